/* fuzz_record.c - one NDJSON line through tw_rec_parse, then every
 * accessor over what it accepted; checks what record.h promises of an
 * accepted line (unescaped text no longer than raw, finite numbers). */
#include <math.h>

#include "fuzz.h"
#include "jsonw.h"
#include "record.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fuzz_init();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tw_rec r;
	struct tw_err e;
	char *line = fuzz_str(data, size);   /* the reader's lines end in NUL */

	tw_rec_init(&r);
	if (tw_rec_parse(&r, line, size, &e) == 0) {
		int64_t ts;
		size_t n;

		tw_rec_need_common(&r, &ts, &e);
		tw_rec_path(&r, "payload.temp");
		tw_rec_get(&r, 0, "value");
		for (int i = 0; i < r.ntok; i++) {
			const char *raw = tw_rec_raw(&r, i, &n);
			if (raw < line || raw + n > line + size)
				abort();
			switch (tw_rec_type(&r, i)) {
			case TW_J_STRING: {
				char *s = malloc(n + 1);
				size_t m = tw_rec_str(&r, i, s);
				if (m > n || s[m] != '\0' || (tw_rec_plain(&r, i) && (m != n || memcmp(s, raw, n))))
					abort();
				if (memchr(s, '\0', m) == NULL && !tw_utf8_valid(s, m))
					abort();
				tw_rec_streq(&r, i, "ts");
				free(s);
				break;
			}
			case TW_J_NUMBER:
				if (!isfinite(tw_rec_num(&r, i)))
					abort();
				break;
			default:
				break;
			}
			if (tw_rec_skip(&r, i) <= i || tw_rec_skip(&r, i) > r.ntok)
				abort();
		}
	}
	tw_rec_release(&r);
	free(line);
	return 0;
}
