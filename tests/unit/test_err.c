/* test_err.c - offending text quoted in messages (tw_err_quote). */
#include "check.h"
#include "err.h"

int main(void)
{
	char q[TW_QUOTE_BUF], small[8 + 4];

	CHECK_STR(tw_err_quote(q, "12abc", 5), "12abc");
	/* a NUL does not cut the text short; control bytes become '?' */
	CHECK_STR(tw_err_quote(q, "1\0002\t3", 5), "1?2?3");
	/* valid UTF-8 is kept, other bytes of 0x80 and above become '?' */
	CHECK_STR(tw_err_quote(q, "caf\xc3\xa9", 5), "caf\xc3\xa9");
	CHECK_STR(tw_err_quote(q, "\xff\xfe", 2), "??");
	CHECK_STR(tw_err_quote(q, "ab\xe2\x82", 4), "ab??");        /* cut sequence */
	CHECK_STR(tw_err_quote(q, "\xc0\xaf", 2), "??");            /* overlong */
	CHECK_STR(tw_err_quote(q, "\xed\xa0\x80", 3), "???");       /* surrogate */
	CHECK_STR(tw_err_quote(q, "\xf0\x9f\x98\x80!", 5), "\xf0\x9f\x98\x80!");
	CHECK_STR(tw_err_quote(q, "\x7f", 1), "?");
	/* cut at the limit, with "...": a sequence the limit splits is '?' */
	CHECK_STR(tw_err_quote_max(small, "abcdefghij", 10, 8), "abcdefgh...");
	CHECK_STR(tw_err_quote_max(small, "abcdefg\xc3\xa9", 9, 8), "abcdefg?...");
	CHECK_STR(tw_err_quote(q, "", 0), "");
	return check_done("err");
}
