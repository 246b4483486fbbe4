/* library.h - the worked models shipped with the toolkit.
 *
 * Twin description files in one folder: the one named by the
 * environment variable TWIN_MODELS; else PREFIX/share/twin/models as
 * built; else share/twin/models beside the program's folder (a package
 * installed under another prefix), or models/ there (the source tree). */
#ifndef TW_LIBRARY_H
#define TW_LIBRARY_H

#include <stdio.h>

#include "err.h"

/* The folder of the model library (a static string). */
const char *tw_library_dir(void);

/* A twin description to load: path itself when it names a file, else
 * the library's NAME.json for a bare NAME.  Returns a string to free. */
char *tw_library_resolve(const char *path);

/* Writes one line per model of the library, "NAME  first sentence of its
 * comment", sorted by name.  -1 with e when the folder cannot be read. */
int tw_library_list(FILE *f, struct tw_err *e);

#endif
