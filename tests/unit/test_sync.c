/* test_sync.c - the reorder buffer, grid alignment and checkpoints of
 * lib/sync.c, driven through its API. */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "check.h"
#include "sync.h"
#include "timestamp.h"

/* An engine writing to a temporary file, and what it wrote. */
struct rig {
	struct tw_out out;
	struct tw_diag diag;
	struct tw_sync *s;
	FILE *f;
};

static void rig_start(struct rig *r, const struct tw_sync_opts *o)
{
	struct tw_err e;
	r->f = tmpfile();
	tw_out_init(&r->out, fileno(r->f), "test");
	tw_diag_init(&r->diag, "test");
	r->s = tw_sync_new(o, &r->out, &r->diag, &e);
}

static void feed(struct rig *r, const char *const *lines)
{
	struct tw_err e;
	for (long long i = 0; lines[i]; i++)
		tw_sync_line(r->s, "t", i + 1, lines[i], strlen(lines[i]), "\n", &e);
}

/* Everything written so far; ends the rig when stop is set. */
static char *output(struct rig *r, bool stop)
{
	static char buf[1 << 16];
	int epipe;
	struct tw_err e;

	tw_out_flush(&r->out);
	rewind(r->f);
	size_t n = fread(buf, 1, sizeof buf - 1, r->f);
	buf[n] = '\0';
	if (stop) {
		tw_sync_free(r->s);
		tw_out_close(&r->out, &epipe, &e);
		fclose(r->f);
	}
	return buf;
}

#define R(ts, sensor, value) "{\"ts\":\"" ts "\",\"asset\":\"a\",\"sensor\":\"" sensor "\",\"value\":" value "}"

/* Out-of-order readings within the lateness come out in event-time
 * order; ties keep their arrival order. */
static void test_reorder(void)
{
	struct tw_sync_opts o;
	struct rig r;
	tw_sync_opts_init(&o);
	o.lateness = 10 * TW_NS_PER_SEC;
	rig_start(&r, &o);
	const char *in[] = {
		R("2024-01-01T00:00:03Z", "x", "3"), R("2024-01-01T00:00:01Z", "x", "1"),
		R("2024-01-01T00:00:02Z", "x", "2"), R("2024-01-01T00:00:02Z", "y", "9"),
		R("2024-01-01T00:00:00Z", "x", "0"), NULL,
	};
	feed(&r, in);
	CHECK_STR(output(&r, false), "");     /* all still inside the lateness */
	tw_sync_finish(r.s);
	CHECK_STR(output(&r, true),
		  "{\"ts\":\"2024-01-01T00:00:00Z\",\"asset\":\"a\",\"kind\":\"state\",\"values\":{\"x\":0}}\n"
		  "{\"ts\":\"2024-01-01T00:00:01Z\",\"asset\":\"a\",\"kind\":\"state\",\"values\":{\"x\":1}}\n"
		  "{\"ts\":\"2024-01-01T00:00:02Z\",\"asset\":\"a\",\"kind\":\"state\",\"values\":{\"x\":2}}\n"
		  "{\"ts\":\"2024-01-01T00:00:02Z\",\"asset\":\"a\",\"kind\":\"state\",\"values\":{\"x\":2,\"y\":9}}\n"
		  "{\"ts\":\"2024-01-01T00:00:03Z\",\"asset\":\"a\",\"kind\":\"state\",\"values\":{\"x\":3,\"y\":9}}\n");
}

/* A large shuffled stream comes out sorted (the heap under load). */
static void test_heap_order(void)
{
	struct tw_sync_opts o;
	struct rig r;
	struct tw_err e;
	char line[200];
	tw_sync_opts_init(&o);
	o.lateness = 1000 * TW_NS_PER_SEC;
	rig_start(&r, &o);
	unsigned x = 12345;
	int order[500];
	for (int i = 0; i < 500; i++)
		order[i] = i;
	for (int i = 499; i > 0; i--) {
		x = x * 1103515245 + 12345;
		int j = (int)((x >> 8) % (unsigned)(i + 1)), t = order[i];
		order[i] = order[j], order[j] = t;
	}
	for (int i = 0; i < 500; i++) {
		int n = snprintf(line, sizeof line, "{\"ts\":%d,\"asset\":\"a\",\"sensor\":\"x\",\"value\":%d}",
				 order[i], order[i]);
		tw_sync_line(r.s, "t", i + 1, line, (size_t)n, "\n", &e);
	}
	tw_sync_finish(r.s);
	char *out = output(&r, false);
	int expect = 0, bad = 0;
	for (char *p = out; (p = strstr(p, "\"x\":")); p += 4)
		bad += atoi(p + 4) != expect++;
	CHECK_INT(expect, 500);
	CHECK_INT(bad, 0);
	output(&r, true);
}

/* Grid instants are multiples of --every from the epoch, also before
 * 1970, and hold the last value at or before them. */
static void test_grid(void)
{
	struct tw_sync_opts o;
	struct rig r;
	tw_sync_opts_init(&o);
	o.emit = TW_EMIT_GRID;
	o.every = TW_NS_PER_SEC;
	rig_start(&r, &o);
	const char *in[] = {
		"{\"ts\":-2.5,\"asset\":\"a\",\"sensor\":\"x\",\"value\":1}",
		"{\"ts\":-1,\"asset\":\"a\",\"sensor\":\"x\",\"value\":2}",
		"{\"ts\":0.5,\"asset\":\"a\",\"sensor\":\"x\",\"value\":3}", NULL,
	};
	feed(&r, in);
	tw_sync_finish(r.s);
	CHECK_STR(output(&r, true),
		  "{\"ts\":\"1969-12-31T23:59:58Z\",\"asset\":\"a\",\"kind\":\"state\",\"values\":{\"x\":1}}\n"
		  "{\"ts\":\"1969-12-31T23:59:59Z\",\"asset\":\"a\",\"kind\":\"state\",\"values\":{\"x\":2}}\n"
		  "{\"ts\":\"1970-01-01T00:00:00Z\",\"asset\":\"a\",\"kind\":\"state\",\"values\":{\"x\":2}}\n");

	/* 250 ms grid over a 1 s reading period: held between readings. */
	o.every = TW_NS_PER_SEC / 4;
	rig_start(&r, &o);
	const char *in2[] = { R("2024-01-01T00:00:00Z", "x", "1"), R("2024-01-01T00:00:01Z", "x", "2"), NULL };
	feed(&r, in2);
	tw_sync_finish(r.s);
	char *out = output(&r, false);
	CHECK(strstr(out, "\"ts\":\"2024-01-01T00:00:00.750Z\",\"asset\":\"a\",\"kind\":\"state\",\"values\":{\"x\":1}") != NULL);
	CHECK(strstr(out, "\"ts\":\"2024-01-01T00:00:01Z\",\"asset\":\"a\",\"kind\":\"state\",\"values\":{\"x\":2}") != NULL);
	int n = 0;
	for (char *p = out; (p = strchr(p, '\n')); p++)
		n++;
	CHECK_INT(n, 5);
	output(&r, true);
}

/* Saving the engine mid-stream and loading it into a new one gives the
 * same output as one engine over the whole stream. */
static void test_checkpoint_roundtrip(void)
{
	const char *first[] = {
		R("2024-01-01T00:00:00Z", "x", "1"), R("2024-01-01T00:00:02Z", "x", "3.50"),
		R("2024-01-01T00:00:01Z", "y", "\"on\""), R("2024-01-01T00:00:03Z", "x", "4"), NULL,
	};
	const char *second[] = {
		R("2024-01-01T00:00:02.500Z", "y", "\"off\""), R("2024-01-01T00:00:06Z", "x", "5"),
		R("2024-01-01T00:00:09Z", "x", "6"), NULL,
	};
	struct tw_sync_opts o;
	tw_sync_opts_init(&o);
	o.emit = TW_EMIT_GRID;
	o.every = TW_NS_PER_SEC;
	o.lateness = 2 * TW_NS_PER_SEC;
	o.interp_linear = true;

	struct rig one;
	rig_start(&one, &o);
	feed(&one, first);
	feed(&one, second);
	tw_sync_finish(one.s);
	char want[1 << 16];
	strcpy(want, output(&one, true));

	struct rig a, b;
	rig_start(&a, &o);
	feed(&a, first);
	json_t *saved = tw_sync_save(a.s);
	char *dump = json_dumps(saved, JSON_COMPACT);
	json_decref(saved);
	char got[1 << 16];
	strcpy(got, output(&a, true));

	struct tw_err e;
	json_t *loaded = json_loads(dump, 0, NULL);
	free(dump);
	rig_start(&b, &o);
	CHECK_INT(tw_sync_load(b.s, loaded, &e), 0);
	json_decref(loaded);
	feed(&b, second);
	tw_sync_finish(b.s);
	strcat(got, output(&b, true));
	CHECK_STR(got, want);
	CHECK(strstr(want, "\"x\":3.50") != NULL);   /* values kept as written */

	json_t *junk = json_loads("{\"assets\":3}", 0, NULL);
	rig_start(&b, &o);
	CHECK_INT(tw_sync_load(b.s, junk, &e), -1);
	CHECK(strstr(e.msg, "not a twin-sync state") != NULL);
	json_decref(junk);
	output(&b, true);
}

/* The checkpoint clock runs on event time. */
static void test_checkpoint_due(void)
{
	struct tw_sync_opts o;
	struct rig r;
	tw_sync_opts_init(&o);
	rig_start(&r, &o);
	const char *in1[] = { R("2024-01-01T00:00:00Z", "x", "1"), NULL };
	const char *in2[] = { R("2024-01-01T00:00:04Z", "x", "1"), NULL };
	const char *in3[] = { R("2024-01-01T00:00:05Z", "x", "2"), NULL };
	CHECK(!tw_sync_checkpoint_due(r.s, 5 * TW_NS_PER_SEC));
	feed(&r, in1);
	CHECK(!tw_sync_checkpoint_due(r.s, 5 * TW_NS_PER_SEC));
	feed(&r, in2);
	CHECK(!tw_sync_checkpoint_due(r.s, 5 * TW_NS_PER_SEC));
	feed(&r, in3);
	CHECK(tw_sync_checkpoint_due(r.s, 5 * TW_NS_PER_SEC));
	CHECK(!tw_sync_checkpoint_due(r.s, 5 * TW_NS_PER_SEC));
	output(&r, true);
}

int main(void)
{
	tw_tz_set(NULL, NULL);
	test_reorder();
	test_heap_order();
	test_grid();
	test_checkpoint_roundtrip();
	test_checkpoint_due();
	return check_done("sync");
}
