/* diag.c - see diag.h */
#include <errno.h>
#include <stdarg.h>
#include <string.h>

#include "diag.h"

void tw_diag_init(struct tw_diag *d, const char *tool)
{
	memset(d, 0, sizeof *d);
	d->tool = tool;
}

int tw_diag_open_rejects(struct tw_diag *d, const char *path, struct tw_err *e)
{
	if (strcmp(path, "-") == 0)
		return tw_err_set(e, "--rejects needs a file: standard output carries the records");
	d->rejects = fopen(path, "ae");
	if (!d->rejects)
		return tw_err_set(e, "%s: %s", path, strerror(errno));
	d->rejects_path = path;
	return 0;
}

static void vsay(struct tw_diag *d, const char *prefix, const char *fmt, va_list ap)
{
	if (d->before_print)
		d->before_print(d->before_print_arg);
	fprintf(stderr, "%s: %s", d->tool, prefix);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

bool tw_diag_reject(struct tw_diag *d, const char *file, long long line,
		    const char *text, size_t len, const char *eol,
		    const char *fmt, ...)
{
	char where[4096];
	va_list ap;

	snprintf(where, sizeof where, "%s:%lld: ", file, line);
	va_start(ap, fmt);
	vsay(d, where, fmt, ap);
	va_end(ap);
	d->rejected++;
	if (d->rejects) {
		fwrite(text, 1, len, d->rejects);
		fputs(*eol ? eol : "\n", d->rejects);
	}
	return d->strict;
}

void tw_diag_say(struct tw_diag *d, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsay(d, "", fmt, ap);
	va_end(ap);
}

int tw_diag_close(struct tw_diag *d, struct tw_err *e)
{
	int rc = 0;

	if (d->rejects) {
		if (ferror(d->rejects) | fclose(d->rejects))
			rc = tw_err_set(e, "%s: %s", d->rejects_path, strerror(errno));
		d->rejects = NULL;
	}
	return rc;
}
