/* test_jcheck.c - checking JSON members: messages with the file and the
 * path, absent, missing and wrong members, durations. */
#include <math.h>
#include <stdlib.h>

#include "check.h"
#include "jcheck.h"

static struct tw_err e;
static const struct tw_jc C = { "t.json", &e };
static const struct tw_jc NOFILE = { NULL, &e };

static json_t *doc(const char *text)
{
	json_error_t jerr;
	json_t *j = json_loads(text, JSON_REJECT_DUPLICATES, &jerr);

	if (!j) {
		fprintf(stderr, "bad test JSON: %s: %s\n", text, jerr.text);
		exit(2);
	}
	return j;
}

static void test_fail(void)
{
	CHECK_INT(tw_jc_fail(&C, "a.b", "expected %s", "x"), -1);
	CHECK_STR(e.msg, "t.json: a.b: expected x");
	tw_jc_fail(&C, "", "top");
	CHECK_STR(e.msg, "t.json: top");
	tw_jc_fail(&NOFILE, "a", "no file");
	CHECK_STR(e.msg, "a: no file");
	tw_jc_fail(&NOFILE, "", "nothing");
	CHECK_STR(e.msg, "nothing");
}

static void test_child(void)
{
	char buf[TW_JC_PATH_BUF], path[300], key[100];

	CHECK_STR(tw_jc_child(buf, "", "name"), "name");
	CHECK_STR(tw_jc_child(buf, "assets", "p-1"), "assets.p-1");
	CHECK_STR(tw_jc_child(buf, "a", "x\ty\x7f"), "a.x?y?");
	memset(key, 'k', 50);
	key[50] = '\0';
	tw_jc_child(buf, "a", key);
	CHECK_INT(strlen(buf), 2 + 40 + 3);
	CHECK(strcmp(buf + strlen(buf) - 4, "k...") == 0);
	memset(path, 'p', 299);
	path[299] = '\0';
	tw_jc_child(buf, path, "k");
	CHECK_INT(strlen(buf), 200 + 2);
}

static void test_keys(void)
{
	static const char *const KEYS[] = { "a", "b", NULL };
	json_t *j = doc("{\"comment\": 1, \"a\": 1, \"b\": 2}");
	json_t *bad = doc("{\"a\": 1, \"comment\": 0, \"c\": 3, \"d\": 4}");
	const char *key;
	json_t *v;
	int n = 0;

	CHECK(tw_jc_is_comment("comment"));
	CHECK(!tw_jc_is_comment("comments"));
	CHECK_INT(tw_jc_members(j), 2);
	CHECK_INT(tw_jc_members(bad), 3);
	TW_JC_FOREACH_MEMBER(j, key, v)
		n++;
	CHECK_INT(n, 2);

	CHECK(tw_jc_unknown_key(j, KEYS) == NULL);
	CHECK_STR(tw_jc_unknown_key(bad, KEYS), "c");
	CHECK_INT(tw_jc_known_keys(&C, "x", j, KEYS), 0);
	CHECK_INT(tw_jc_known_keys(&C, "x", bad, KEYS), -1);
	CHECK_STR(e.msg, "t.json: x.c: unknown key (known: a, b, comment)");
	tw_jc_known_keys(&C, "", bad, KEYS);
	CHECK_STR(e.msg, "t.json: c: unknown key (known: a, b, comment)");

	CHECK_INT(tw_jc_need_object(&C, "x", j), 0);
	CHECK_INT(tw_jc_need_object(&C, "x", json_object_get(j, "a")), -1);
	CHECK_STR(e.msg, "t.json: x: expected an object");
	json_decref(j);
	json_decref(bad);
}

static void test_number_string(void)
{
	json_t *j = doc("{\"n\": 2.5, \"s\": \"abc\", \"empty\": \"\", \"t\": true}");
	const char *s = "dflt";
	double d = -7;

	CHECK_INT(tw_jc_number(&C, "x", j, "absent", 0, &d), 0);
	CHECK(d == -7);
	CHECK_INT(tw_jc_number(&C, "x", j, "absent", TW_JC_REQUIRED, &d), -1);
	CHECK_STR(e.msg, "t.json: x.absent: missing");
	CHECK_INT(tw_jc_number(&C, "x", j, "n", TW_JC_REQUIRED, &d), 0);
	CHECK(d == 2.5);
	CHECK_INT(tw_jc_number(&C, "x", j, "s", 0, &d), -1);
	CHECK_STR(e.msg, "t.json: x.s: expected a number");

	CHECK_INT(tw_jc_string(&C, "x", j, "absent", TW_JC_NONEMPTY, &s), 0);
	CHECK_STR(s, "dflt");
	CHECK_INT(tw_jc_string(&NOFILE, "x", j, "absent", TW_JC_REQUIRED, &s), -1);
	CHECK_STR(e.msg, "x.absent: missing");
	CHECK_INT(tw_jc_string(&C, "x", j, "s", TW_JC_NONEMPTY | TW_JC_REQUIRED, &s), 0);
	CHECK_STR(s, "abc");
	CHECK_INT(tw_jc_string(&C, "x", j, "empty", 0, &s), 0);
	CHECK_STR(s, "");
	CHECK_INT(tw_jc_string(&C, "x", j, "empty", TW_JC_NONEMPTY, &s), -1);
	CHECK_STR(e.msg, "t.json: x.empty: expected a non-empty string");
	CHECK_INT(tw_jc_string(&C, "x", j, "t", TW_JC_NONEMPTY, &s), -1);
	CHECK_STR(e.msg, "t.json: x.t: expected a non-empty string");
	CHECK_INT(tw_jc_string(&C, "", j, "n", 0, &s), -1);
	CHECK_STR(e.msg, "t.json: n: expected a string");
	json_decref(j);
}

/* The message for {"d": text} as a duration, or "OK ns". */
static const char *dur(const char *text)
{
	static char out[600];
	char buf[100];
	int64_t ns = 0;
	json_t *j;

	snprintf(buf, sizeof buf, "{\"d\": %s}", text);
	j = doc(buf);
	if (tw_jc_duration(&C, "s", j, "d", 0, &ns) < 0)
		snprintf(out, sizeof out, "%s", e.msg);
	else
		snprintf(out, sizeof out, "OK %lld", (long long)ns);
	json_decref(j);
	return out;
}

static void test_duration(void)
{
	json_t *j = doc("{}");
	int64_t ns = 5;

	CHECK_STR(dur("\"250ms\""), "OK 250000000");
	CHECK_STR(dur("1.5"), "OK 1500000000");
	CHECK_STR(dur("\"2h\""), "OK 7200000000000");
	CHECK_STR(dur("\"1x\""), "t.json: s.d: invalid duration '1x': unknown unit "
		  "(ns, us, ms, s, m, h, d)");
	CHECK_STR(dur("\"-1s\""), "t.json: s.d: invalid duration '-1s': negative");
	CHECK_STR(dur("-1"), "t.json: s.d: negative duration");
	CHECK_STR(dur("1e30"), "t.json: s.d: duration out of range");
	CHECK_STR(dur("\"0s\""), "t.json: s.d: a duration must be greater than zero");
	CHECK_STR(dur("1e-12"), "t.json: s.d: a duration must be greater than zero");
	CHECK_STR(dur("[1]"), "t.json: s.d: expected a duration such as \"1s\" or \"250ms\"");
	CHECK_INT(tw_jc_duration(&C, "s", j, "d", 0, &ns), 0);
	CHECK_INT(ns, 5);
	CHECK_INT(tw_jc_duration(&C, "s", j, "d", TW_JC_REQUIRED, &ns), -1);
	CHECK_STR(e.msg, "t.json: s.d: missing");
	json_decref(j);
}

/* Doubles out as a JSON array, exactly; none at all for a NaN. */
static void test_reals(void)
{
	double v[] = { 1, 0.1, -2.5e-300 }, bad[] = { 1, NAN };
	json_t *a = tw_jc_reals(v, 3);
	CHECK(json_is_array(a) && json_array_size(a) == 3);
	for (size_t i = 0; a && i < 3; i++)
		CHECK(json_real_value(json_array_get(a, i)) == v[i]);
	json_decref(a);
	a = tw_jc_reals(v, 0);
	CHECK(json_is_array(a) && json_array_size(a) == 0);
	json_decref(a);
	CHECK(tw_jc_reals(bad, 2) == NULL);
}

int main(void)
{
	test_reals();
	test_fail();
	test_child();
	test_keys();
	test_number_string();
	test_duration();
	return check_done("test_jcheck");
}
