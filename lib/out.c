/* out.c - see out.h */
#include <errno.h>
#include <unistd.h>

#include "out.h"

void tw_out_init(struct tw_out *o, int fd, const char *name)
{
	o->fd = fd;
	o->name = name;
	o->error = 0;
	o->b = (struct tw_buf)TW_BUF_INIT;
	tw_buf_grow(&o->b, TW_OUT_BLOCK + 4096);
}

int tw_out_flush(struct tw_out *o)
{
	size_t off = 0;

	if (o->error) {
		o->b.len = 0;
		return -1;
	}
	while (off < o->b.len) {
		ssize_t n = write(o->fd, o->b.p + off, o->b.len - off);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			o->error = errno;
			o->b.len = 0;
			return -1;
		}
		off += (size_t)n;
	}
	o->b.len = 0;
	return 0;
}

void tw_out_flush_hook(void *o)
{
	tw_out_flush(o);
}

int tw_out_close(struct tw_out *o, int *epipe, struct tw_err *e)
{
	tw_out_flush(o);
	tw_buf_release(&o->b);
	*epipe = o->error == EPIPE;
	if (o->error && o->error != EPIPE)
		return tw_err_set(e, "%s: %s", o->name, strerror(o->error));
	return o->error ? -1 : 0;
}
