/* err.c - see err.h */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "err.h"
#include "jsonw.h"

int tw_err_set(struct tw_err *e, const char *fmt, ...)
{
	if (e) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(e->msg, sizeof e->msg, fmt, ap);
		va_end(ap);
	}
	return -1;
}

const char *tw_err_quote(char *buf, const char *s, size_t len)
{
	return tw_err_quote_max(buf, s, len, TW_QUOTE_MAX);
}

const char *tw_err_quote_max(char *buf, const char *s, size_t len, size_t max)
{
	size_t i, n = len > max ? max : len;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c >= 0x80) {
			/* a whole, valid UTF-8 sequence is kept, any other byte
			 * of 0x80 and above becomes '?' */
			size_t k = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 1;
			if (k > 1 && i + k <= n && tw_utf8_valid(s + i, k)) {
				memcpy(buf + i, s + i, k);
				i += k - 1;
				continue;
			}
		}
		buf[i] = c < 0x20 || c >= 0x7f ? '?' : (char)c;
	}
	if (len > n) {
		memcpy(buf + n, "...", 3);
		n += 3;
	}
	buf[n] = '\0';
	return buf;
}
