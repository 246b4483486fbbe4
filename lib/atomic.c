/* atomic.c - see atomic.h */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "atomic.h"

/* The directory holding path, for the temporary file's message and the
 * directory fsync: "." for "s.json", "/" for "/s.json". */
static char *dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');
	size_t n;
	char *d;

	if (!slash)
		return strdup(".");
	n = slash == path ? 1 : (size_t)(slash - path);
	d = malloc(n + 1);
	if (d) {
		memcpy(d, path, n);
		d[n] = '\0';
	}
	return d;
}

/* umask(2) can only be read by setting it; the window where it is 0 is
 * harmless in our single-threaded tools. */
static mode_t current_umask(void)
{
	mode_t m = umask(0);

	umask(m);
	return m;
}

static int write_all(int fd, const char *p, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, p, len > SSIZE_MAX ? SSIZE_MAX : len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (n == 0) {   /* not seen on regular files; never spin */
			errno = EIO;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Makes the rename durable.  Some file systems cannot fsync a directory
 * (EINVAL): nothing more can be done there, so that is not an error. */
int tw_atomic_sync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int rc, saved;

	if (fd < 0)
		return -1;
	rc = fsync(fd);
	saved = errno;
	close(fd);
	if (rc < 0 && saved == EINVAL)
		rc = 0;
	errno = saved;
	return rc;
}

int tw_atomic_write(const char *path, const void *data, size_t len,
		    struct tw_err *e)
{
	size_t plen = strlen(path);
	char *tmp = malloc(plen + 8), *dir = dir_of(path);
	int fd = -1, rc = -1;

	if (!tmp || !dir) {
		tw_err_set(e, "%s: %s", path, strerror(ENOMEM));
		goto out;
	}
	memcpy(tmp, path, plen);
	memcpy(tmp + plen, ".XXXXXX", 8);
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0) {
		tw_err_set(e, "%s: cannot create a temporary file in '%s': %s",
			   path, dir, strerror(errno));
		goto out;
	}
	/* mkstemp makes 0600; state files are ordinary files. */
	if (fchmod(fd, 0666 & ~current_umask()) < 0) {
		tw_err_set(e, "%s: cannot set the mode of '%s': %s", path, tmp,
			   strerror(errno));
		goto fail;
	}
	if (write_all(fd, data, len) < 0) {
		tw_err_set(e, "%s: %s", path, strerror(errno));
		goto fail;
	}
	if (fsync(fd) < 0) {
		tw_err_set(e, "%s: cannot sync '%s': %s", path, tmp, strerror(errno));
		goto fail;
	}
	/* NFS and quotas may report a failed write only here. */
	if (close(fd) < 0) {
		fd = -1;
		tw_err_set(e, "%s: cannot close '%s': %s", path, tmp, strerror(errno));
		goto fail;
	}
	fd = -1;
	if (rename(tmp, path) < 0) {
		tw_err_set(e, "%s: cannot rename '%s' to it: %s", path, tmp,
			   strerror(errno));
		goto fail;
	}
	if (tw_atomic_sync_dir(dir) < 0) {
		tw_err_set(e, "%s: cannot sync the directory '%s': %s", path, dir,
			   strerror(errno));
		goto out;
	}
	rc = 0;
	goto out;
fail:
	if (fd >= 0)
		close(fd);
	fd = -1;
	unlink(tmp);
out:
	free(tmp);
	free(dir);
	return rc;
}

int tw_atomic_write_json(const char *path, const json_t *doc,
			 struct tw_err *e)
{
	/* JSON_PRESERVE_ORDER is the default since jansson 2.8; kept for
	 * older ones, so the file reads like the document was built.  No
	 * JSON_ENCODE_ANY: a scalar would not load back. */
	const size_t flags = JSON_COMPACT | JSON_PRESERVE_ORDER;
	size_t n = json_dumpb(doc, NULL, 0, flags);
	char *buf;
	int rc;

	if (n == 0)
		return tw_err_set(e, "%s: cannot serialise the JSON document", path);
	buf = malloc(n + 1);
	if (!buf)
		return tw_err_set(e, "%s: %s", path, strerror(ENOMEM));
	if (json_dumpb(doc, buf, n, flags) != n) {
		free(buf);
		return tw_err_set(e, "%s: cannot serialise the JSON document", path);
	}
	buf[n] = '\n';
	rc = tw_atomic_write(path, buf, n + 1, e);
	free(buf);
	return rc;
}

/* Reads the whole file: its size is small (state), and a read error is
 * then reported as one, not as a JSON syntax error. */
static char *read_file(int fd, size_t *len)
{
	struct stat st;
	size_t cap = 4096, n = 0;
	char *buf, *p;

	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0)
		cap = (size_t)st.st_size + 1;
	buf = malloc(cap);
	if (!buf)
		return NULL;
	for (;;) {
		ssize_t r;

		if (n == cap) {
			p = cap > SIZE_MAX / 2 ? NULL : realloc(buf, cap * 2);
			if (!p) {
				free(buf);
				errno = ENOMEM;
				return NULL;
			}
			buf = p;
			cap *= 2;
		}
		r = read(fd, buf + n, cap - n);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			free(buf);
			return NULL;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	*len = n;
	return buf;
}

json_t *tw_json_load_file(const char *path, bool missing_ok, struct tw_err *e)
{
	json_error_t jerr;
	json_t *doc;
	size_t len = 0;
	char *buf;
	int fd;

	e->msg[0] = '\0';
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT && missing_ok)
			return NULL;
		tw_err_set(e, "%s: %s", path, strerror(errno));
		return NULL;
	}
	buf = read_file(fd, &len);
	if (!buf) {
		tw_err_set(e, "%s: %s", path, strerror(errno));
		close(fd);
		return NULL;
	}
	close(fd);
	doc = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &jerr);
	free(buf);
	if (!doc) {
		/* jansson says column 0 for an error before the first byte. */
		if (jerr.line >= 1)
			tw_err_set(e, "%s:%d:%d: %s", path, jerr.line,
				   jerr.column < 1 ? 1 : jerr.column, jerr.text);
		else
			tw_err_set(e, "%s: %s", path, jerr.text);
	}
	return doc;
}
