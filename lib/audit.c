/* audit.c - see audit.h */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "atomic.h"
#include "audit.h"

/* "prev":" before the hash, "} after it: a line ends with these 74 bytes
 * around the hex, preceded by ',' or (for {"prev":...}) by the '{'. */
#define PREV_KEY "\"prev\":\""
#define PREV_KEY_LEN 8
#define PREV_END "\"}"
#define PREV_END_LEN 2
#define SUFFIX_LEN (PREV_KEY_LEN + TW_AUDIT_HEX + PREV_END_LEN)  /* 74 */
#define MIN_LINE (1 + SUFFIX_LEN)                               /* 75 */

/* Blocks read backwards from the end at open, and forwards to hash. */
#define BLOCK 8192

static const char zeros[TW_AUDIT_HEX + 1] =
	"0000000000000000000000000000000000000000000000000000000000000000";

struct tw_audit {
	int fd;
	char *path;                 /* for messages and the directory sync */
	char hex[TW_AUDIT_HEX + 1]; /* SHA-256 of the last line written */
	char *buf;                  /* the line being written, reused */
	size_t cap;
	int created;                /* this open created the file ... */
	int dir_synced;             /* ... and its directory was synced */
	int torn;                   /* a torn line could not be cut off */
};

static void to_hex(const unsigned char *md, char *hex)
{
	static const char digits[] = "0123456789abcdef";
	int i;

	for (i = 0; i < TW_AUDIT_HEX / 2; i++) {
		hex[2 * i] = digits[md[i] >> 4];
		hex[2 * i + 1] = digits[md[i] & 15];
	}
	hex[TW_AUDIT_HEX] = '\0';
}

int tw_audit_sha256_hex(const void *data, size_t len,
			char hex[TW_AUDIT_HEX + 1])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;

	if (EVP_Digest(data, len, md, &n, EVP_sha256(), NULL) != 1 ||
	    n != TW_AUDIT_HEX / 2)
		return -1;
	to_hex(md, hex);
	return 0;
}

enum line_kind { LINE_OK, LINE_NO_PREV, LINE_BAD_HEX };

/* Whether s[0..n), a line without its newline, is an audit line: '{' at
 * the start and ,"prev":"HEX"} at the end, or exactly {"prev":"HEX"}.
 * Only s[0] and the last SUFFIX_LEN + 1 bytes are looked at.  On
 * LINE_OK, *hex points at the 64 digits in s. */
static enum line_kind classify(const char *s, size_t n, const char **hex)
{
	const char *h;
	size_t i;

	if (n < MIN_LINE || s[0] != '{' ||
	    memcmp(s + n - PREV_END_LEN, PREV_END, PREV_END_LEN) != 0 ||
	    memcmp(s + n - SUFFIX_LEN, PREV_KEY, PREV_KEY_LEN) != 0)
		return LINE_NO_PREV;
	/* {"prev":"HEX"}, or a member, a comma and "prev": "{," is not. */
	if (n > MIN_LINE && (s[n - MIN_LINE] != ',' || n == MIN_LINE + 1))
		return LINE_NO_PREV;
	h = s + n - PREV_END_LEN - TW_AUDIT_HEX;
	for (i = 0; i < TW_AUDIT_HEX; i++)
		if (!((h[i] >= '0' && h[i] <= '9') || (h[i] >= 'a' && h[i] <= 'f')))
			return LINE_BAD_HEX;
	*hex = h;
	return LINE_OK;
}

/* pread all of buf[0..len) at off; -1 with errno (EIO for a short file). */
static int pread_all(int fd, char *buf, size_t len, off_t off)
{
	while (len > 0) {
		ssize_t n = pread(fd, buf, len, off);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (n == 0) {   /* the file shrank under us */
			errno = EIO;
			return -1;
		}
		buf += n;
		len -= (size_t)n;
		off += n;
	}
	return 0;
}

/* Continues the chain of a->fd, size bytes long: checks its last line
 * and sets a->hex to that line's SHA-256. */
static int read_tail(struct tw_audit *a, off_t size, struct tw_err *e)
{
	char block[BLOCK], check[MIN_LINE + 2];
	const char *hex;
	off_t end, start = 0, line_start = 0, line_end, off;
	size_t n, i;
	EVP_MD_CTX *ctx;
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	int ok;

	if (size == 0) {
		memcpy(a->hex, zeros, sizeof zeros);
		return 0;
	}
	if (pread_all(a->fd, block, 1, size - 1) < 0)
		return tw_err_set(e, "%s: %s", a->path, strerror(errno));
	if (block[0] != '\n')
		return tw_err_set(e, "%s: the last line is unfinished: the trail "
				  "may have been cut; run --verify-audit", a->path);

	/* The newline before the last line, seeking back a block at a time. */
	line_end = size - 1;
	for (end = line_end; end > 0; end = start) {
		start = end > BLOCK ? end - BLOCK : 0;
		n = (size_t)(end - start);
		if (pread_all(a->fd, block, n, start) < 0)
			return tw_err_set(e, "%s: %s", a->path, strerror(errno));
		for (i = n; i > 0 && block[i - 1] != '\n'; i--)
			;
		if (i > 0) {
			line_start = start + (off_t)i;
			break;
		}
	}

	/* Its first byte and its last MIN_LINE + 1 bytes are all classify
	 * needs: a longer line classifies as this shortened copy does. */
	n = (size_t)(line_end - line_start);
	if (n <= sizeof check) {
		if (pread_all(a->fd, check, n, line_start) < 0)
			return tw_err_set(e, "%s: %s", a->path, strerror(errno));
	} else {
		if (pread_all(a->fd, check, 1, line_start) < 0 ||
		    pread_all(a->fd, check + 1, MIN_LINE + 1,
			      line_end - (MIN_LINE + 1)) < 0)
			return tw_err_set(e, "%s: %s", a->path, strerror(errno));
		n = MIN_LINE + 2;
	}
	if (classify(check, n, &hex) != LINE_OK)
		return tw_err_set(e, "%s: the last line is not an audit line (no "
				  "\"prev\" at its end): is this an audit trail?",
				  a->path);

	/* Hash the line, streaming: it may be longer than any buffer. */
	ctx = EVP_MD_CTX_new();
	ok = ctx && EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) == 1;
	for (off = line_start; ok && off < line_end; off += (off_t)n) {
		n = line_end - off > BLOCK ? BLOCK : (size_t)(line_end - off);
		if (pread_all(a->fd, block, n, off) < 0) {
			int saved = errno;
			EVP_MD_CTX_free(ctx);
			return tw_err_set(e, "%s: %s", a->path, strerror(saved));
		}
		ok = EVP_DigestUpdate(ctx, block, n) == 1;
	}
	ok = ok && EVP_DigestFinal_ex(ctx, md, &mdlen) == 1 &&
	     mdlen == TW_AUDIT_HEX / 2;
	EVP_MD_CTX_free(ctx);
	if (!ok)
		return tw_err_set(e, "%s: SHA-256 failed (libcrypto)", a->path);
	to_hex(md, a->hex);
	return 0;
}

struct tw_audit *tw_audit_open(const char *path, struct tw_err *e)
{
	struct tw_audit *a;
	struct stat st;
	int created = 1;
	int fd;

	fd = open(path, O_RDWR | O_APPEND | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0 && errno == EEXIST) {
		created = 0;
		fd = open(path, O_RDWR | O_APPEND | O_CLOEXEC);
	}
	if (fd < 0) {
		tw_err_set(e, "%s: %s", path, strerror(errno));
		return NULL;
	}
	if (fstat(fd, &st) < 0) {
		tw_err_set(e, "%s: %s", path, strerror(errno));
		close(fd);
		return NULL;
	}
	if (!S_ISREG(st.st_mode)) {
		tw_err_set(e, "%s: not a regular file", path);
		close(fd);
		return NULL;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		if (errno == EWOULDBLOCK)
			tw_err_set(e, "%s: in use by another process (an audit "
				   "trail has one writer)", path);
		else
			tw_err_set(e, "%s: flock: %s", path, strerror(errno));
		close(fd);
		return NULL;
	}
	/* Again, now that no other writer can be appending. */
	if (fstat(fd, &st) < 0) {
		tw_err_set(e, "%s: %s", path, strerror(errno));
		close(fd);
		return NULL;
	}

	a = calloc(1, sizeof *a);
	if (!a || !(a->path = strdup(path))) {
		free(a);
		close(fd);
		tw_err_set(e, "%s: out of memory", path);
		return NULL;
	}
	a->fd = fd;
	a->created = created;
	if (read_tail(a, st.st_size, e) < 0) {
		close(fd);
		free(a->path);
		free(a);
		return NULL;
	}
	return a;
}

/* Cuts off the `written` bytes of a line that failed half-way. */
static int cut_torn(struct tw_audit *a, size_t written)
{
	struct stat st;

	if (written == 0)
		return 0;
	if (fstat(a->fd, &st) < 0 || (uintmax_t)st.st_size < written)
		return -1;
	return ftruncate(a->fd, st.st_size - (off_t)written);
}

static int is_json_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

int tw_audit_append(struct tw_audit *a, const char *json_obj, size_t len,
		    struct tw_err *e)
{
	size_t body, need, n, written = 0, i;
	char hex[TW_AUDIT_HEX + 1];
	char *p;

	if (a->torn)
		return tw_err_set(e, "%s: an earlier write left a torn line: the "
				  "trail cannot be continued", a->path);
	if (len < 2 || json_obj[0] != '{' || json_obj[len - 1] != '}')
		return tw_err_set(e, "%s: cannot append: not a JSON object text "
				  "(it must start with '{' and end with '}')",
				  a->path);
	if (memchr(json_obj, '\n', len) || memchr(json_obj, '\0', len))
		return tw_err_set(e, "%s: cannot append: a newline or NUL byte "
				  "inside the object", a->path);

	/* Everything but the final '}'; an empty object loses its spaces. */
	for (i = 1; i < len - 1 && is_json_space(json_obj[i]); i++)
		;
	body = i == len - 1 ? 1 : len - 1;
	if (len > SIZE_MAX - 16 - SUFFIX_LEN)
		return tw_err_set(e, "%s: cannot append: object too long", a->path);
	need = body + 1 + SUFFIX_LEN + 1;
	if (need > a->cap) {
		size_t cap = a->cap ? a->cap : 256;
		while (cap < need)
			cap = cap > SIZE_MAX / 2 ? need : cap * 2;
		p = realloc(a->buf, cap);
		if (!p)
			return tw_err_set(e, "%s: out of memory", a->path);
		a->buf = p;
		a->cap = cap;
	}
	p = a->buf;
	memcpy(p, json_obj, body);
	n = body;
	if (body > 1)
		p[n++] = ',';
	memcpy(p + n, PREV_KEY, PREV_KEY_LEN);
	n += PREV_KEY_LEN;
	memcpy(p + n, a->hex, TW_AUDIT_HEX);
	n += TW_AUDIT_HEX;
	memcpy(p + n, PREV_END, PREV_END_LEN);
	n += PREV_END_LEN;
	if (tw_audit_sha256_hex(p, n, hex) < 0)
		return tw_err_set(e, "%s: SHA-256 failed (libcrypto)", a->path);
	p[n++] = '\n';

	while (written < n) {
		size_t left = n - written;
		ssize_t w = write(a->fd, p + written,
				  left > SSIZE_MAX ? SSIZE_MAX : left);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			int saved = w < 0 ? errno : EIO;
			if (cut_torn(a, written) < 0) {
				a->torn = 1;
				return tw_err_set(e, "%s: write: %s; the trail now "
						  "ends with a torn line", a->path,
						  strerror(saved));
			}
			return tw_err_set(e, "%s: write: %s", a->path,
					  strerror(saved));
		}
		written += (size_t)w;
	}
	memcpy(a->hex, hex, sizeof hex);
	return 0;
}

/* Syncs the directory holding path: "." for "a.ndjson", "/" for
 * "/a.ndjson". */
static int sync_dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');
	char *dir;
	size_t n;

	if (!slash) {
		dir = strdup(".");
	} else {
		n = slash == path ? 1 : (size_t)(slash - path);
		dir = malloc(n + 1);
		if (dir) {
			memcpy(dir, path, n);
			dir[n] = '\0';
		}
	}
	if (!dir) {
		errno = ENOMEM;
		return -1;
	}
	int rc = tw_atomic_sync_dir(dir), saved = errno;
	free(dir);
	errno = saved;
	return rc;
}

int tw_audit_sync(struct tw_audit *a, struct tw_err *e)
{
	int rc;

	do
		rc = fdatasync(a->fd);
	while (rc < 0 && errno == EINTR);
	if (rc < 0)
		return tw_err_set(e, "%s: fdatasync: %s", a->path, strerror(errno));
	if (a->created && !a->dir_synced) {
		if (sync_dir_of(a->path) < 0)
			return tw_err_set(e, "%s: syncing its directory: %s",
					  a->path, strerror(errno));
		a->dir_synced = 1;
	}
	return 0;
}

const char *tw_audit_last_hash(const struct tw_audit *a)
{
	return a->hex;
}

int tw_audit_close(struct tw_audit *a, struct tw_err *e)
{
	int rc;

	if (!a)
		return 0;
	rc = tw_audit_sync(a, e);
	if (close(a->fd) < 0 && rc == 0)
		rc = tw_err_set(e, "%s: close: %s", a->path, strerror(errno));
	free(a->buf);
	free(a->path);
	free(a);
	return rc;
}

int tw_audit_verify(const char *path, long long *lines, long long *bad_line,
		    struct tw_err *e)
{
	char want[TW_AUDIT_HEX + 1];
	const char *hex;
	char *line = NULL;
	size_t cap = 0;
	ssize_t got;
	long long no = 0, dummy_lines, dummy_bad;
	FILE *f;
	int rc = 0;

	if (!lines)
		lines = &dummy_lines;
	if (!bad_line)
		bad_line = &dummy_bad;
	*lines = 0;
	*bad_line = 0;
	f = fopen(path, "r");
	if (!f)
		return tw_err_set(e, "%s: %s", path, strerror(errno));
	memcpy(want, zeros, sizeof zeros);
	for (;;) {
		size_t n;

		errno = 0;
		got = getline(&line, &cap, f);
		if (got < 0)
			break;
		n = (size_t)got;
		no++;
		if (n == 0 || line[n - 1] != '\n') {
			rc = tw_err_set(e, "%s: line %lld: unfinished (no newline)",
					path, no);
			break;
		}
		n--;
		switch (classify(line, n, &hex)) {
		case LINE_NO_PREV:
			rc = tw_err_set(e, "%s: line %lld: not an audit line "
					"(no prev)", path, no);
			break;
		case LINE_BAD_HEX:
			rc = tw_err_set(e, "%s: line %lld: prev is not 64 "
					"lowercase hex digits", path, no);
			break;
		case LINE_OK:
			if (memcmp(hex, want, TW_AUDIT_HEX) == 0)
				break;
			if (no == 1)
				rc = tw_err_set(e, "%s: line 1: prev is not 64 zeros "
						"(the first line of a trail)", path);
			else
				rc = tw_err_set(e, "%s: line %lld: prev does not "
						"match line %lld", path, no, no - 1);
			break;
		}
		if (rc < 0)
			break;
		if (tw_audit_sha256_hex(line, n, want) < 0) {
			rc = tw_err_set(e, "%s: SHA-256 failed (libcrypto)", path);
			no = 0;
			break;
		}
		*lines = no;
	}
	if (rc == 0 && ferror(f)) {
		rc = tw_err_set(e, "%s: %s", path,
				strerror(errno ? errno : EIO));
		no = 0;
	} else if (rc == 0 && got < 0 && errno == ENOMEM) {
		rc = tw_err_set(e, "%s: line %lld: out of memory", path, no + 1);
		no = 0;
	}
	free(line);
	fclose(f);
	if (rc < 0)
		*bad_line = no;
	return rc;
}
