/* in.c - see in.h */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "in.h"

#define BLOCK ((size_t)256 << 10)
#define FOLLOW_POLL_NS 200000000L
#define STOPPED (-3)          /* what the read helpers return for TW_IN_STOPPED */

struct tw_in {
	int fd;
	char *path;            /* as given; NULL for stdin */
	char *buf;             /* decoded bytes; lines live here */
	size_t cap, start, end, scan;
	const char *eol;
	long long lineno;
	bool eof, skipping;

	bool gz, gz_done;
	z_stream z;
	unsigned char *zbuf;

	off_t done, size;
	void (*idle)(void *);
	void *idle_arg;
	volatile sig_atomic_t *stop;
	bool follow, is_reg, restart, restarted;
	dev_t dev;
	ino_t ino;
};

struct tw_in *tw_in_open(const char *path, struct tw_err *e)
{
	bool is_stdin = strcmp(path, "-") == 0;
	int fd = is_stdin ? STDIN_FILENO : open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;

	if (fd < 0) {
		tw_err_set(e, "%s: %s", path, strerror(errno));
		return NULL;
	}
	if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
		tw_err_set(e, "%s: is a directory", path);
		if (!is_stdin)
			close(fd);
		return NULL;
	}
	struct tw_in *in = calloc(1, sizeof *in);
	char *buf = malloc(BLOCK + 1);
	char *copy = is_stdin ? NULL : strdup(path);
	if (!in || !buf || (!is_stdin && !copy)) {
		free(in), free(buf), free(copy);
		if (!is_stdin)
			close(fd);
		tw_err_set(e, "out of memory");
		return NULL;
	}
	in->fd = fd;
	in->path = copy;
	in->buf = buf;
	in->cap = BLOCK;
	in->eol = "";
	in->size = S_ISREG(st.st_mode) ? st.st_size : -1;
	in->is_reg = S_ISREG(st.st_mode);
	in->dev = st.st_dev;
	in->ino = st.st_ino;
	return in;
}

void tw_in_close(struct tw_in *in)
{
	if (!in)
		return;
	if (in->gz)
		inflateEnd(&in->z);
	if (in->path && in->fd >= 0)
		close(in->fd);
	free(in->zbuf);
	free(in->buf);
	free(in->path);
	free(in);
}

const char *tw_in_name(const struct tw_in *in)
{
	return in->path ? in->path : "(stdin)";
}

long long tw_in_lineno(const struct tw_in *in) { return in->lineno; }
const char *tw_in_eol(const struct tw_in *in) { return in->eol; }
off_t tw_in_done(const struct tw_in *in) { return in->done; }
off_t tw_in_size(const struct tw_in *in) { return in->size; }
void tw_in_follow(struct tw_in *in, bool on) { in->follow = on && in->is_reg; }

bool tw_in_restarted(struct tw_in *in)
{
	bool r = in->restarted;
	in->restarted = false;
	return r;
}

void tw_in_stop_on(struct tw_in *in, volatile sig_atomic_t *flag)
{
	in->stop = flag;
}

void tw_in_on_idle(struct tw_in *in, void (*fn)(void *), void *arg)
{
	in->idle = fn;
	in->idle_arg = arg;
}

/* Reads raw bytes, calling the idle hook first when the read would block. */
static ssize_t raw_read(struct tw_in *in, void *dst, size_t n)
{
	if (in->idle) {
		struct pollfd p = { .fd = in->fd, .events = POLLIN };
		if (poll(&p, 1, 0) == 0)
			in->idle(in->idle_arg);
	}
	for (;;) {
		ssize_t got = read(in->fd, dst, n);
		if (got >= 0) {
			in->done += got;
			return got;
		}
		if (errno != EINTR)
			return -1;
		if (in->stop && *in->stop)
			return STOPPED;
	}
}

/* At the end of a followed file: wait until it grows, is truncated or is
 * replaced.  Returns 1 when there may be more to read. */
static int follow_wait(struct tw_in *in, struct tw_err *e)
{
	struct timespec nap = { 0, FOLLOW_POLL_NS };
	struct stat st;

	if (in->idle)
		in->idle(in->idle_arg);
	nanosleep(&nap, NULL);
	if (in->path && stat(in->path, &st) == 0 &&
	    (st.st_dev != in->dev || st.st_ino != in->ino)) {
		/* Rotated: the old file has been read to its end; go on with
		 * the new one from its top. */
		int fd = open(in->path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			return 1;
		close(in->fd);
		in->fd = fd;
		in->dev = st.st_dev;
		in->ino = st.st_ino;
		in->done = 0;
		in->size = st.st_size;
		in->restart = true;
		return 1;
	}
	if (fstat(in->fd, &st) == 0 && S_ISREG(st.st_mode)) {
		off_t pos = lseek(in->fd, 0, SEEK_CUR);
		if (pos >= 0 && st.st_size < pos) {
			/* Truncated: start again from the top. */
			if (lseek(in->fd, 0, SEEK_SET) < 0)
				return tw_err_set(e, "%s: %s", tw_in_name(in), strerror(errno));
			in->done = 0;
			in->restart = true;
			in->start = in->scan = in->end = 0;   /* an unfinished line is gone */
		}
		in->size = st.st_size;
	}
	return 1;
}

static int gz_start(struct tw_in *in, struct tw_err *e)
{
	in->zbuf = malloc(BLOCK);
	if (!in->zbuf)
		return tw_err_set(e, "out of memory");
	/* 15 + 32: a gzip or zlib header, recognised automatically. */
	if (inflateInit2(&in->z, 15 + 32) != Z_OK)
		return tw_err_set(e, "%s: cannot start zlib", tw_in_name(in));
	in->gz = true;
	/* The bytes already read are compressed: move them to zbuf. */
	size_t n = in->end - in->start;
	memcpy(in->zbuf, in->buf + in->start, n);
	in->z.next_in = in->zbuf;
	in->z.avail_in = (uInt)n;
	in->end = in->start;
	return 0;
}

/* Inflates more bytes into buf[end..cap).  0 at the end of the data. */
static ssize_t gz_fill(struct tw_in *in, struct tw_err *e)
{
	for (;;) {
		if (in->gz_done)
			return 0;
		if (in->z.avail_in == 0) {
			ssize_t got = raw_read(in, in->zbuf, BLOCK);
			if (got == STOPPED)
				return STOPPED;
			if (got < 0)
				return tw_err_set(e, "%s: %s", tw_in_name(in), strerror(errno));
			if (got == 0)
				return tw_err_set(e, "%s: truncated gzip data", tw_in_name(in));
			in->z.next_in = in->zbuf;
			in->z.avail_in = (uInt)got;
		}
		in->z.next_out = (unsigned char *)in->buf + in->end;
		in->z.avail_out = (uInt)(in->cap - in->end);
		int rc = inflate(&in->z, Z_NO_FLUSH);
		size_t made = in->cap - in->end - in->z.avail_out;
		in->end += made;
		if (rc == Z_STREAM_END) {
			/* Another gzip member may follow (cat a.gz b.gz). */
			if (in->z.avail_in == 0) {
				ssize_t got = raw_read(in, in->zbuf, BLOCK);
				if (got == STOPPED)
					return STOPPED;
				if (got < 0)
					return tw_err_set(e, "%s: %s", tw_in_name(in), strerror(errno));
				in->z.next_in = in->zbuf;
				in->z.avail_in = (uInt)got;
			}
			if (in->z.avail_in == 0)
				in->gz_done = true;
			else
				inflateReset(&in->z);
		} else if (rc != Z_OK && rc != Z_BUF_ERROR) {
			return tw_err_set(e, "%s: corrupt gzip data (%s)", tw_in_name(in),
					  in->z.msg ? in->z.msg : "inflate failed");
		}
		if (made > 0)
			return (ssize_t)made;
	}
}

/* Makes room and reads more decoded bytes.  0 at the end of the input. */
static ssize_t fill(struct tw_in *in, struct tw_err *e)
{
	if (in->start > 0) {
		memmove(in->buf, in->buf + in->start, in->end - in->start);
		in->end -= in->start;
		in->scan -= in->start;
		in->start = 0;
	}
	if (in->cap - in->end < BLOCK / 4) {
		size_t cap = in->cap * 2;
		char *p = realloc(in->buf, cap + 1);
		if (!p)
			return tw_err_set(e, "out of memory");
		in->buf = p;
		in->cap = cap;
	}
	if (in->gz)
		return gz_fill(in, e);
	for (;;) {
		ssize_t got = raw_read(in, in->buf + in->end, in->cap - in->end);
		if (got == STOPPED)
			return STOPPED;
		if (got < 0)
			return tw_err_set(e, "%s: %s", tw_in_name(in), strerror(errno));
		if (got == 0 && in->follow) {
			if (follow_wait(in, e) < 0)
				return -1;
			if (in->stop && *in->stop)
				return STOPPED;
			if (in->restart)
				return -2;     /* tw_in_getline ends the old file first */
			continue;
		}
		bool first = in->done == got && in->lineno == 0 && in->end == 0;
		in->end += got;
		if (first && got >= 2 && (unsigned char)in->buf[0] == 0x1f &&
		    (unsigned char)in->buf[1] == 0x8b) {
			if (gz_start(in, e) < 0)
				return -1;
			return gz_fill(in, e);
		}
		return got;
	}
}

/* Hands out the bytes left in the buffer as a line with no end of line
 * (buf always has a spare byte for the NUL). */
static enum tw_in_status hand_out_rest(struct tw_in *in, char **line, size_t *len)
{
	char *p = in->buf + in->start;
	size_t n = in->end - in->start;

	in->start = in->scan = in->end;
	p[n] = '\0';
	in->eol = "";
	in->lineno++;
	*line = p;
	*len = n;
	return TW_IN_LINE;
}

enum tw_in_status tw_in_getline(struct tw_in *in, char **line, size_t *len,
				struct tw_err *e)
{
	for (;;) {
		char *nl = memchr(in->buf + in->scan, '\n', in->end - in->scan);
		if (nl) {
			char *p = in->buf + in->start;
			size_t n = (size_t)(nl - p);
			in->start = in->scan = (size_t)(nl - in->buf) + 1;
			if (in->skipping) {      /* the tail of a line too long */
				in->skipping = false;
				continue;
			}
			if (n > TW_IN_MAX_LINE) {  /* read whole in one gulp */
				p[TW_IN_MAX_LINE] = '\0';
				in->eol = "";
				in->lineno++;
				*line = p;
				*len = TW_IN_MAX_LINE;
				return TW_IN_TOOLONG;
			}
			in->eol = "\n";
			if (n > 0 && p[n - 1] == '\r') {
				n--;
				in->eol = "\r\n";
			}
			p[n] = '\0';
			in->lineno++;
			*line = p;
			*len = n;
			return TW_IN_LINE;
		}
		in->scan = in->end;
		if (in->skipping) {
			in->start = in->scan = in->end;
		} else if (in->end - in->start > TW_IN_MAX_LINE) {
			char *p = in->buf + in->start;
			p[TW_IN_MAX_LINE] = '\0';
			in->start = in->scan = in->end;
			in->skipping = true;
			in->eol = "";
			in->lineno++;
			*line = p;
			*len = TW_IN_MAX_LINE;
			return TW_IN_TOOLONG;
		}
		if (in->eof) {
			if (in->start == in->end || in->skipping)
				return TW_IN_EOF;
			/* A last line without its newline. */
			return hand_out_rest(in, line, len);
		}
		if (in->restart) {
			if (in->start < in->end) {
				/* The replaced file's last line had no newline. */
				return hand_out_rest(in, line, len);
			}
			in->restart = false;
			in->restarted = true;
			in->lineno = 0;
		}
		ssize_t got = fill(in, e);
		if (got == -2)
			continue;
		if (got == STOPPED)
			return TW_IN_STOPPED;
		if (got < 0)
			return TW_IN_ERROR;
		if (got == 0)
			in->eof = true;
	}
}
