/* library.c - see library.h */
#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "library.h"

#ifndef TW_MODELS_DIR
#define TW_MODELS_DIR "/usr/local/share/twin/models"
#endif

static bool is_dir(const char *p)
{
	struct stat st;
	return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

const char *tw_library_dir(void)
{
	static char beside[PATH_MAX];
	const char *env = getenv("TWIN_MODELS");

	if (env && *env)
		return env;
	if (is_dir(TW_MODELS_DIR))
		return TW_MODELS_DIR;
	/* Installed elsewhere than built for (a package's DESTDIR), or run
	 * from the source tree: look beside the program. */
	static const char *const near[] = { "/../share/twin/models", "/../models" };
	ssize_t n = readlink("/proc/self/exe", beside, sizeof beside - 32);
	char *slash = n > 0 ? memrchr(beside, '/', (size_t)n) : NULL;
	for (size_t i = 0; slash && i < sizeof near / sizeof near[0]; i++) {
		strcpy(slash, near[i]);
		if (is_dir(beside))
			return beside;
	}
	return TW_MODELS_DIR;
}

char *tw_library_resolve(const char *path)
{
	struct stat st;
	if (stat(path, &st) == 0 || strchr(path, '/'))
		return strdup(path);
	size_t n = strlen(tw_library_dir()) + strlen(path) + 8;
	char *p = malloc(n);
	if (p)
		snprintf(p, n, "%s/%s.json", tw_library_dir(), path);
	return p;
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

static int is_json(const struct dirent *d)
{
	size_t n = strlen(d->d_name);
	return n > 5 && strcmp(d->d_name + n - 5, ".json") == 0;
}

int tw_library_list(FILE *f, struct tw_err *e)
{
	struct dirent **names;
	const char *dir = tw_library_dir();
	int n = scandir(dir, &names, is_json, by_name);

	if (n < 0)
		return tw_err_set(e, "%s: %s", dir, strerror(errno));
	for (int i = 0; i < n; i++) {
		char path[PATH_MAX];
		snprintf(path, sizeof path, "%s/%s", dir, names[i]->d_name);
		json_t *doc = json_load_file(path, 0, NULL);
		const char *comment = json_string_value(json_object_get(doc, "comment"));
		size_t len = comment ? strcspn(comment, ".\n") : 0;
		fprintf(f, "%-20.*s %.*s%s\n", (int)(strlen(names[i]->d_name) - 5), names[i]->d_name,
			(int)len, comment ? comment : "", comment && comment[len] == '.' ? "." : "");
		json_decref(doc);
		free(names[i]);
	}
	free(names);
	return 0;
}
