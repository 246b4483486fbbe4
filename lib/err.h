/* err.h - an error message a library call hands back to its caller.
 *
 * Library code never prints and never exits: a failing call fills a
 * struct tw_err and returns -1, and the tool reports it once, where it
 * knows the file and line.  The struct owns its text; nothing to free. */
#ifndef TW_ERR_H
#define TW_ERR_H

#include <stddef.h>

struct tw_err {
	char msg[512];
};

/* Formats the message into e (if e is not NULL) and returns -1, so that
 * `return tw_err_set(e, "...")` both records and signals the failure. */
int tw_err_set(struct tw_err *e, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Offending text quoted in a message: at most TW_QUOTE_MAX bytes of
 * s[0..len), control bytes and bytes that are not valid UTF-8 as '?'
 * (so the message is text), "..." when cut.  buf holds
 * TW_QUOTE_BUF bytes; returns buf. */
#define TW_QUOTE_MAX 40
#define TW_QUOTE_BUF (TW_QUOTE_MAX + 4)
const char *tw_err_quote(char *buf, const char *s, size_t len);

/* The same with another limit: buf holds max + 4 bytes. */
const char *tw_err_quote_max(char *buf, const char *s, size_t len, size_t max);

#endif
