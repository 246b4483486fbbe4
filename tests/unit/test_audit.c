/* test_audit.c - the audit trail's hash chain: written, continued across
 * opens, and every kind of tampering found at the right line. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "audit.h"
#include "check.h"

static char tmpdir[] = "/tmp/twin-test-audit-XXXXXX";

/* A path in the test directory.  Four buffers in turn, so a call can
 * name two paths. */
static const char *path_of(const char *name)
{
	static char p[4][320];
	static int i;

	i = (i + 1) % 4;
	snprintf(p[i], sizeof p[i], "%s/%s", tmpdir, name);
	return p[i];
}

/* The whole file, NUL-terminated, or NULL; *len its size.  Caller frees. */
static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	size_t cap = 1 << 16, n = 0, r;
	char *buf = malloc(cap + 1);

	if (!f) {
		free(buf);
		return NULL;
	}
	while ((r = fread(buf + n, 1, cap - n, f)) > 0) {
		n += r;
		if (n == cap) {
			cap *= 2;
			buf = realloc(buf, cap + 1);
		}
	}
	fclose(f);
	buf[n] = '\0';
	*len = n;
	return buf;
}

static void spit(const char *path, const char *data, size_t len)
{
	FILE *f = fopen(path, "wb");

	if (!f || fwrite(data, 1, len, f) != len || fclose(f) != 0) {
		fprintf(stderr, "cannot write %s\n", path);
		exit(2);
	}
}

static void spits(const char *path, const char *s)
{
	spit(path, s, strlen(s));
}

/* Appends lines from..to-1, each {"ts":..,"asset":"p1",...}; 0 or -1. */
static int append_range(struct tw_audit *a, int from, int to)
{
	struct tw_err e;
	char obj[256];
	int i, n;

	for (i = from; i < to; i++) {
		n = snprintf(obj, sizeof obj,
			     "{\"ts\":\"2024-01-01T00:00:%02d.%03dZ\",\"asset\":"
			     "\"p1\",\"kind\":\"audit\",\"decision\":\"%s\","
			     "\"seq\":%d}", i / 1000 % 60, i % 1000,
			     i % 3 ? "fired" : "cleared", i);
		if (tw_audit_append(a, obj, (size_t)n, &e) < 0) {
			fprintf(stderr, "append %d: %s\n", i, e.msg);
			return -1;
		}
	}
	return 0;
}

/* Writes a new trail of n lines at path. */
static void make_trail(const char *path, int n)
{
	struct tw_err e;
	struct tw_audit *a;

	unlink(path);
	a = tw_audit_open(path, &e);
	CHECK(a != NULL);
	if (!a)
		return;
	CHECK_INT(append_range(a, 0, n), 0);
	CHECK_INT(tw_audit_close(a, &e), 0);
}

/* The start of line no (from 1) in s, and its length with the newline. */
static char *line_at(char *s, int no, size_t *len)
{
	char *end;

	while (--no > 0)
		s = strchr(s, '\n') + 1;
	end = strchr(s, '\n');
	*len = (size_t)(end - s) + 1;
	return s;
}

/* Verify's result on path: the return value, *lines, *bad, e.msg. */
struct verdict {
	int rc;
	long long lines, bad;
	struct tw_err e;
};

static struct verdict verify(const char *path)
{
	struct verdict v;

	v.lines = v.bad = -7;
	v.e.msg[0] = '\0';
	v.rc = tw_audit_verify(path, &v.lines, &v.bad, &v.e);
	return v;
}

/* Whether msg ends with tail (after the "PATH: " verify adds). */
static int ends_with(const char *msg, const char *tail)
{
	size_t m = strlen(msg), t = strlen(tail);

	if (m >= t && strcmp(msg + m - t, tail) == 0)
		return 1;
	fprintf(stderr, "    message \"%s\" does not end with \"%s\"\n", msg, tail);
	return 0;
}

static void test_sha256(void)
{
	char hex[TW_AUDIT_HEX + 1];

	CHECK_INT(tw_audit_sha256_hex("abc", 3, hex), 0);
	CHECK_STR(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	CHECK_INT(tw_audit_sha256_hex("", 0, hex), 0);
	CHECK_STR(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	CHECK_INT(tw_audit_sha256_hex(
		"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 56, hex), 0);
	CHECK_STR(hex, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

/* 1000 lines, then 500 more after a reopen: one chain. */
static void test_chain(void)
{
	const char *p = path_of("chain.ndjson");
	char hex[TW_AUDIT_HEX + 1], last[TW_AUDIT_HEX + 1];
	char *s, *l;
	size_t len, n;
	struct tw_audit *a;
	struct tw_err e;
	struct verdict v;
	struct stat st;

	make_trail(p, 1000);
	v = verify(p);
	CHECK_INT(v.rc, 0);
	CHECK_INT(v.lines, 1000);
	CHECK_INT(v.bad, 0);
	CHECK(stat(p, &st) == 0 && (st.st_mode & 0777) == (0644 & ~(mode_t)022));

	/* The layout, checked by hand: prev last, zeros first. */
	s = slurp(p, &len);
	CHECK(s != NULL);
	if (!s)
		return;
	l = line_at(s, 1, &n);
	CHECK(strncmp(l, "{\"ts\":\"2024-01-01T00:00:00.000Z\",\"asset\":\"p1\","
		      "\"kind\":\"audit\",\"decision\":\"cleared\",\"seq\":0,"
		      "\"prev\":\"0000000000000000000000000000000000000000000000000000000000000000\"}\n",
		      n) == 0);
	tw_audit_sha256_hex(l, n - 1, hex);
	l = line_at(s, 2, &n);
	CHECK(n > 66 && memcmp(l + n - 67, hex, 64) == 0);
	l = line_at(s, 1000, &n);
	tw_audit_sha256_hex(l, n - 1, last);
	free(s);

	/* Reopen: the chain continues from the last line. */
	a = tw_audit_open(p, &e);
	CHECK(a != NULL);
	if (!a)
		return;
	CHECK_STR(tw_audit_last_hash(a), last);
	CHECK_INT(append_range(a, 1000, 1500), 0);
	CHECK_INT(tw_audit_sync(a, &e), 0);
	CHECK_INT(tw_audit_close(a, &e), 0);
	v = verify(p);
	CHECK_INT(v.rc, 0);
	CHECK_INT(v.lines, 1500);

	s = slurp(p, &len);
	l = line_at(s, 1001, &n);
	CHECK(n > 66 && memcmp(l + n - 67, last, 64) == 0);
	free(s);

	/* A reopen with nothing appended changes nothing. */
	a = tw_audit_open(p, &e);
	CHECK(a != NULL);
	CHECK_INT(tw_audit_close(a, &e), 0);
	v = verify(p);
	CHECK_INT(v.rc, 0);
	CHECK_INT(v.lines, 1500);
	CHECK_INT(tw_audit_close(NULL, &e), 0);
}

/* Edits, deletions, swaps and cuts, each found at the right line. */
static void test_tamper(void)
{
	const char *good = path_of("good.ndjson"), *bad = path_of("bad.ndjson");
	char *s, *l, *l2, *t;
	size_t len, n, n2;
	struct verdict v;
	struct tw_audit *a;
	struct tw_err e;

	make_trail(good, 1000);
	s = slurp(good, &len);
	CHECK(s != NULL);
	if (!s)
		return;

	/* One byte of line 500's body: line 500 still carries a valid prev,
	 * line 501's no longer matches. */
	t = malloc(len + 1);
	memcpy(t, s, len + 1);
	l = line_at(t, 500, &n);
	CHECK(l[2] == 't');
	l[2] = 'T';
	spit(bad, t, len);
	v = verify(bad);
	CHECK_INT(v.rc, -1);
	CHECK_INT(v.bad, 501);
	CHECK_INT(v.lines, 500);
	CHECK(ends_with(v.e.msg, "line 501: prev does not match line 500"));
	CHECK(strncmp(v.e.msg, bad, strlen(bad)) == 0);

	/* One byte of line 500's own prev: line 500 itself. */
	memcpy(t, s, len + 1);
	l = line_at(t, 500, &n);
	l[n - 4] = l[n - 4] == '0' ? '1' : '0';
	spit(bad, t, len);
	v = verify(bad);
	CHECK_INT(v.bad, 500);
	CHECK(ends_with(v.e.msg, "line 500: prev does not match line 499"));

	/* An uppercase digit in a prev is not a prev. */
	memcpy(t, s, len + 1);
	l = line_at(t, 7, &n);
	l[n - 4] = 'A';
	spit(bad, t, len);
	v = verify(bad);
	CHECK_INT(v.bad, 7);
	CHECK(ends_with(v.e.msg, "line 7: prev is not 64 lowercase hex digits"));

	/* Delete line 500: old line 501, now line 500, points at a line that
	 * is gone. */
	l = line_at(s, 500, &n);
	memcpy(t, s, (size_t)(l - s));
	memcpy(t + (l - s), l + n, len - (size_t)(l - s) - n);
	spit(bad, t, len - n);
	v = verify(bad);
	CHECK_INT(v.rc, -1);
	CHECK_INT(v.bad, 500);
	CHECK(ends_with(v.e.msg, "line 500: prev does not match line 499"));

	/* Delete line 1: the new first line does not start the chain. */
	l = line_at(s, 1, &n);
	spit(bad, s + n, len - n);
	v = verify(bad);
	CHECK_INT(v.bad, 1);
	CHECK_INT(v.lines, 0);
	CHECK(ends_with(v.e.msg, "line 1: prev is not 64 zeros (the first line of a trail)"));

	/* Swap lines 10 and 11: line 10 breaks first. */
	l = line_at(s, 10, &n);
	l2 = line_at(s, 11, &n2);
	memcpy(t, s, len + 1);
	memcpy(t + (l - s), l2, n2);
	memcpy(t + (l - s) + n2, l, n);
	spit(bad, t, len);
	v = verify(bad);
	CHECK_INT(v.bad, 10);
	CHECK(ends_with(v.e.msg, "line 10: prev does not match line 9"));

	/* Insert a copy of line 20 after itself: line 21. */
	l = line_at(s, 20, &n);
	t = realloc(t, len + n + 1);
	memcpy(t, s, (size_t)(l - s) + n);
	memcpy(t + (l - s) + n, l, len - (size_t)(l - s));
	spit(bad, t, len + n);
	v = verify(bad);
	CHECK_INT(v.bad, 21);
	CHECK(ends_with(v.e.msg, "line 21: prev does not match line 20"));

	/* Insert a foreign line. */
	l = line_at(s, 30, &n);
	memcpy(t, s, (size_t)(l - s));
	memcpy(t + (l - s), "{\"a\":1}\n", 8);
	memcpy(t + (l - s) + 8, l, len - (size_t)(l - s));
	spit(bad, t, len + 8);
	v = verify(bad);
	CHECK_INT(v.bad, 30);
	CHECK(ends_with(v.e.msg, "line 30: not an audit line (no prev)"));

	/* Cut mid-line: the last line is unfinished; and a trail so cut is
	 * not continued. */
	l = line_at(s, 1000, &n);
	spit(bad, s, (size_t)(l - s) + n / 2);
	v = verify(bad);
	CHECK_INT(v.rc, -1);
	CHECK_INT(v.bad, 1000);
	CHECK_INT(v.lines, 999);
	CHECK(ends_with(v.e.msg, "line 1000: unfinished (no newline)"));
	e.msg[0] = '\0';
	a = tw_audit_open(bad, &e);
	CHECK(a == NULL);
	tw_audit_close(a, NULL);
	{
		char want[400];
		snprintf(want, sizeof want, "%s: the last line is unfinished: the "
			 "trail may have been cut; run --verify-audit", bad);
		CHECK_STR(e.msg, want);
	}
	/* ... and nothing was written to it. */
	{
		size_t len2;
		char *s2 = slurp(bad, &len2);
		CHECK_INT(len2, (size_t)(l - s) + n / 2);
		free(s2);
	}

	/* Cut just before the final newline. */
	spit(bad, s, len - 1);
	v = verify(bad);
	CHECK_INT(v.bad, 1000);
	CHECK(tw_audit_open(bad, &e) == NULL);

	/* Cut at a line boundary: the chain alone cannot tell (see audit.h:
	 * anchor the last hash elsewhere). */
	spit(bad, s, (size_t)(l - s));
	v = verify(bad);
	CHECK_INT(v.rc, 0);
	CHECK_INT(v.lines, 999);

	/* A CRLF line ending is a change too. */
	l = line_at(s, 3, &n);
	memcpy(t, s, (size_t)(l - s) + n - 1);
	t[(l - s) + n - 1] = '\r';
	memcpy(t + (l - s) + n, l + n - 1, len - (size_t)(l - s) - n + 1);
	spit(bad, t, len + 1);
	v = verify(bad);
	CHECK_INT(v.bad, 3);
	CHECK(ends_with(v.e.msg, "line 3: not an audit line (no prev)"));

	/* An empty line. */
	l = line_at(s, 4, &n);
	memcpy(t, s, (size_t)(l - s));
	t[l - s] = '\n';
	memcpy(t + (l - s) + 1, l, len - (size_t)(l - s));
	spit(bad, t, len + 1);
	v = verify(bad);
	CHECK_INT(v.bad, 4);
	CHECK(ends_with(v.e.msg, "line 4: not an audit line (no prev)"));

	free(t);
	free(s);
}

static void test_empty_and_missing(void)
{
	const char *p = path_of("empty.ndjson");
	struct verdict v;
	struct tw_audit *a;
	struct tw_err e;

	spits(p, "");
	v = verify(p);
	CHECK_INT(v.rc, 0);
	CHECK_INT(v.lines, 0);
	CHECK_INT(v.bad, 0);

	/* An existing empty file starts a chain with zeros. */
	a = tw_audit_open(p, &e);
	CHECK(a != NULL);
	if (a) {
		CHECK_STR(tw_audit_last_hash(a),
			  "0000000000000000000000000000000000000000000000000000000000000000");
		CHECK_INT(tw_audit_close(a, &e), 0);
	}

	v = verify(path_of("missing.ndjson"));
	CHECK_INT(v.rc, -1);
	CHECK_INT(v.bad, 0);
	CHECK_INT(v.lines, 0);
	CHECK(ends_with(v.e.msg, "missing.ndjson: No such file or directory"));

	/* A directory cannot be read as a trail, nor opened as one. */
	v = verify(tmpdir);
	CHECK_INT(v.rc, -1);
	CHECK_INT(v.bad, 0);
	CHECK(strstr(v.e.msg, "Is a directory") != NULL);
	CHECK(tw_audit_open(tmpdir, &e) == NULL);
	CHECK(strstr(e.msg, "Is a directory") != NULL);

	CHECK(tw_audit_open(path_of("no/such/dir/a.ndjson"), &e) == NULL);
	CHECK(ends_with(e.msg, "No such file or directory"));

	/* NULL out-pointers are allowed. */
	CHECK_INT(tw_audit_verify(p, NULL, NULL, &e), 0);
	CHECK_INT(tw_audit_verify(path_of("missing.ndjson"), NULL, NULL, NULL), -1);
}

/* Objects with nested braces and strings holding "}" get prev before
 * their own final brace; empty objects get no comma. */
static void test_objects(void)
{
	const char *p = path_of("objects.ndjson");
	static const char *objs[] = {
		"{\"a\":{\"b\":\"}\"},\"c\":\"{}}\"}",
		"{}",
		"{  }",
		"{\"s\":\"x\\\"}\" }",
		"{\"deep\":[{\"x\":{}}]}",
	};
	char want[4096], hex[TW_AUDIT_HEX + 1], zero[TW_AUDIT_HEX + 1];
	size_t i, w = 0, len;
	struct tw_audit *a;
	struct tw_err e;
	struct verdict v;
	char *s;

	unlink(p);
	a = tw_audit_open(p, &e);
	CHECK(a != NULL);
	if (!a)
		return;
	memset(zero, '0', TW_AUDIT_HEX);
	zero[TW_AUDIT_HEX] = '\0';
	memcpy(hex, zero, sizeof hex);
	for (i = 0; i < sizeof objs / sizeof *objs; i++) {
		const char *o = objs[i];
		size_t start = w;
		int empty = strspn(o + 1, " ") == strlen(o) - 2;

		CHECK_INT(tw_audit_append(a, o, strlen(o), &e), 0);
		if (empty)
			w += (size_t)snprintf(want + w, sizeof want - w,
					      "{\"prev\":\"%s\"}", hex);
		else
			w += (size_t)snprintf(want + w, sizeof want - w,
					      "%.*s,\"prev\":\"%s\"}",
					      (int)strlen(o) - 1, o, hex);
		tw_audit_sha256_hex(want + start, w - start, hex);
		want[w++] = '\n';
		CHECK_STR(tw_audit_last_hash(a), hex);
	}
	CHECK_INT(tw_audit_close(a, &e), 0);
	s = slurp(p, &len);
	CHECK_INT(len, w);
	CHECK(s && memcmp(s, want, w) == 0);
	free(s);
	v = verify(p);
	CHECK_INT(v.rc, 0);
	CHECK_INT(v.lines, 5);

	/* A trail ending in {"prev":...} is continued too. */
	a = tw_audit_open(p, &e);
	CHECK(a != NULL);
	if (!a)
		return;
	CHECK_STR(tw_audit_last_hash(a), hex);
	CHECK_INT(tw_audit_append(a, "{}", 2, &e), 0);
	CHECK_INT(tw_audit_close(a, &e), 0);
	a = tw_audit_open(p, &e);
	CHECK(a != NULL);
	CHECK_INT(tw_audit_append(a, "{\"z\":1}", 7, &e), 0);
	CHECK_INT(tw_audit_close(a, &e), 0);
	v = verify(p);
	CHECK_INT(v.rc, 0);
	CHECK_INT(v.lines, 7);
}

/* Bad input is refused and writes nothing. */
static void test_bad_input(void)
{
	const char *p = path_of("input.ndjson");
	static const struct { const char *s; size_t len; const char *msg; } bad[] = {
		{ "", 0, "not a JSON object text" },
		{ "{", 1, "not a JSON object text" },
		{ "}", 1, "not a JSON object text" },
		{ "[1]", 3, "not a JSON object text" },
		{ "{\"a\":1} ", 8, "not a JSON object text" },
		{ " {\"a\":1}", 8, "not a JSON object text" },
		{ "{\"a\":1}\n", 8, "not a JSON object text" },
		{ "{\"a\":\n1}", 8, "a newline or NUL byte inside the object" },
		{ "{\"a\":\0 1}", 9, "a newline or NUL byte inside the object" },
	};
	struct tw_audit *a;
	struct tw_err e;
	struct verdict v;
	size_t i, len;
	char *s;

	unlink(p);
	a = tw_audit_open(p, &e);
	CHECK(a != NULL);
	if (!a)
		return;
	CHECK_INT(tw_audit_append(a, "{\"a\":1}", 7, &e), 0);
	for (i = 0; i < sizeof bad / sizeof *bad; i++) {
		e.msg[0] = '\0';
		CHECK_INT(tw_audit_append(a, bad[i].s, bad[i].len, &e), -1);
		CHECK(strstr(e.msg, bad[i].msg) != NULL);
		CHECK(strncmp(e.msg, p, strlen(p)) == 0);
	}
	/* The length is honoured: the text need not be NUL-terminated. */
	CHECK_INT(tw_audit_append(a, "{\"b\":2}xyz", 7, &e), 0);
	CHECK_INT(tw_audit_close(a, &e), 0);
	s = slurp(p, &len);
	CHECK(s && strncmp(s, "{\"a\":1,\"prev\":\"", 15) == 0);
	CHECK(s && strstr(s, "\n{\"b\":2,\"prev\":\"") != NULL);
	free(s);
	v = verify(p);
	CHECK_INT(v.rc, 0);
	CHECK_INT(v.lines, 2);
}

/* A file that is not an audit trail is not continued. */
static void test_foreign(void)
{
	const char *p = path_of("foreign.txt");
	struct tw_audit *a;
	struct tw_err e;
	struct verdict v;

	spits(p, "hello\nworld\n");
	a = tw_audit_open(p, &e);
	CHECK(a == NULL);
	tw_audit_close(a, NULL);
	CHECK(strstr(e.msg, "the last line is not an audit line") != NULL);
	v = verify(p);
	CHECK_INT(v.bad, 1);
	CHECK(ends_with(v.e.msg, "line 1: not an audit line (no prev)"));

	/* prev present but not last. */
	spits(p, "{\"prev\":\"0000000000000000000000000000000000000000000000000000000000000000\",\"a\":1}\n");
	CHECK(tw_audit_open(p, &e) == NULL);
	v = verify(p);
	CHECK_INT(v.bad, 1);
	CHECK(ends_with(v.e.msg, "line 1: not an audit line (no prev)"));

	/* No comma before prev. */
	spits(p, "{\"a\":1 \"prev\":\"0000000000000000000000000000000000000000000000000000000000000000\"}\n");
	CHECK(tw_audit_open(p, &e) == NULL);
	v = verify(p);
	CHECK_INT(v.bad, 1);
	CHECK(ends_with(v.e.msg, "line 1: not an audit line (no prev)"));

	/* "{," is not an object. */
	spits(p, "{,\"prev\":\"0000000000000000000000000000000000000000000000000000000000000000\"}\n");
	CHECK(tw_audit_open(p, &e) == NULL);
	v = verify(p);
	CHECK_INT(v.bad, 1);

	/* A hand-made minimal trail is fine. */
	spits(p, "{\"prev\":\"0000000000000000000000000000000000000000000000000000000000000000\"}\n");
	v = verify(p);
	CHECK_INT(v.rc, 0);
	CHECK_INT(v.lines, 1);
	a = tw_audit_open(p, &e);
	CHECK(a != NULL);
	CHECK_INT(tw_audit_close(a, &e), 0);

	/* A FIFO is not a trail. */
	unlink(path_of("fifo"));
	if (mkfifo(path_of("fifo"), 0600) == 0) {
		CHECK(tw_audit_open(path_of("fifo"), &e) == NULL);
		CHECK(ends_with(e.msg, "fifo: not a regular file"));
		unlink(path_of("fifo"));
	}
}

/* Last lines around the block size used to read the tail backwards, and
 * a line far longer than it: each trail is continued correctly. */
static void test_long_lines(void)
{
	static const size_t sizes[] = {
		90, 4095, 4096, 4097, 8190, 8191, 8192, 8193, 8194,
		16383, 16384, 16385, 1 << 20,
	};
	const char *p = path_of("long.ndjson");
	size_t i, k, len;
	struct tw_audit *a;
	struct tw_err e;
	struct verdict v;
	char *obj, *s;

	obj = malloc((1 << 20) + 1);
	for (i = 0; i < sizeof sizes / sizeof *sizes; i++) {
		/* The written line is the object + 74 bytes + newline: make
		 * the whole line sizes[i] bytes, newline included. */
		size_t total = sizes[i], olen = total - 75;
		for (k = 0; k < 2; k++) {
			unlink(p);
			a = tw_audit_open(p, &e);
			CHECK(a != NULL);
			if (!a)
				continue;
			if (k == 1)     /* a first line before the long one */
				CHECK_INT(append_range(a, 0, 3), 0);
			memset(obj, 'x', olen);
			memcpy(obj, "{\"pad\":\"", 8);
			memcpy(obj + olen - 2, "\"}", 2);
			CHECK_INT(tw_audit_append(a, obj, olen, &e), 0);
			CHECK_INT(tw_audit_close(a, &e), 0);
			s = slurp(p, &len);
			CHECK(s && (len == total ||
				    (len > total && s[len - total - 1] == '\n')));
			free(s);
			a = tw_audit_open(p, &e);
			CHECK(a != NULL);
			if (!a) {
				fprintf(stderr, "    size %zu: %s\n", total, e.msg);
				continue;
			}
			CHECK_INT(append_range(a, 3, 5), 0);
			CHECK_INT(tw_audit_close(a, &e), 0);
			v = verify(p);
			CHECK_INT(v.rc, 0);
			CHECK_INT(v.lines, k ? 6 : 3);
		}
	}
	free(obj);
}

/* One writer at a time. */
static void test_lock(void)
{
	const char *p = path_of("lock.ndjson");
	struct tw_audit *a, *b;
	struct tw_err e;

	unlink(p);
	a = tw_audit_open(p, &e);
	CHECK(a != NULL);
	b = tw_audit_open(p, &e);
	CHECK(b == NULL);
	tw_audit_close(b, NULL);
	CHECK(ends_with(e.msg, "lock.ndjson: in use by another process (an audit trail has one writer)"));
	CHECK_INT(tw_audit_close(a, &e), 0);
	b = tw_audit_open(p, &e);   /* free again once closed */
	CHECK(b != NULL);
	CHECK_INT(tw_audit_close(b, &e), 0);
}

/* A write cut short (here by RLIMIT_FSIZE, as a full disk would) leaves
 * no torn line, and the trail goes on once there is room again. */
static void test_write_failure(void)
{
	const char *p = path_of("full.ndjson");
	struct rlimit old, lim;
	struct tw_audit *a;
	struct tw_err e;
	struct verdict v;
	struct stat st;
	char obj[300];
	off_t size;

	unlink(p);
	a = tw_audit_open(p, &e);
	CHECK(a != NULL);
	if (!a)
		return;
	CHECK_INT(append_range(a, 0, 10), 0);
	CHECK(stat(p, &st) == 0);
	size = st.st_size;
	memset(obj, 'y', sizeof obj);
	memcpy(obj, "{\"big\":\"", 8);
	memcpy(obj + sizeof obj - 2, "\"}", 2);

	signal(SIGXFSZ, SIG_IGN);
	CHECK(getrlimit(RLIMIT_FSIZE, &old) == 0);
	lim = old;
	lim.rlim_cur = (rlim_t)size + 100;  /* room for part of the line */
	CHECK(setrlimit(RLIMIT_FSIZE, &lim) == 0);
	CHECK_INT(tw_audit_append(a, obj, sizeof obj, &e), -1);
	CHECK(strstr(e.msg, "write: File too large") != NULL);
	CHECK(strstr(e.msg, "torn") == NULL);
	CHECK(setrlimit(RLIMIT_FSIZE, &old) == 0);
	signal(SIGXFSZ, SIG_DFL);

	CHECK(stat(p, &st) == 0 && st.st_size == size);
	CHECK_INT(append_range(a, 10, 12), 0);
	CHECK_INT(tw_audit_append(a, obj, sizeof obj, &e), 0);
	CHECK_INT(tw_audit_close(a, &e), 0);
	v = verify(p);
	CHECK_INT(v.rc, 0);
	CHECK_INT(v.lines, 13);
}

static void cleanup(void)
{
	static const char *names[] = {
		"chain.ndjson", "good.ndjson", "bad.ndjson", "empty.ndjson",
		"objects.ndjson", "input.ndjson", "foreign.txt", "long.ndjson",
		"lock.ndjson", "full.ndjson", "fifo",
	};
	size_t i;

	for (i = 0; i < sizeof names / sizeof *names; i++)
		unlink(path_of(names[i]));
	rmdir(tmpdir);
}

int main(void)
{
	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		return 2;
	}
	umask(022);
	test_sha256();
	test_chain();
	test_tamper();
	test_empty_and_missing();
	test_objects();
	test_bad_input();
	test_foreign();
	test_long_lines();
	test_lock();
	test_write_failure();
	cleanup();
	return check_done("audit");
}
