/* test_plot.c - the plot engine (lib/plot.h) without gnuplot: --kinds,
 * the count of every line, and the script it writes, read back through
 * a stand-in for gnuplot that prints its script. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "out.h"
#include "plot.h"

static char dir[] = "/tmp/test_plot.XXXXXX";
static char fake[256];

static void feed(struct tw_plot *p, const char *const *lines)
{
	struct tw_err e;
	for (long long i = 0; lines[i]; i++)
		CHECK_INT(tw_plot_line(p, "t", i + 1, lines[i], strlen(lines[i]), "\n", &e), 0);
}

/* The script that p would hand to gnuplot, in *script (caller frees). */
static int script_of(struct tw_plot *p, char **script, struct tw_err *e)
{
	char path[300];
	snprintf(path, sizeof path, "%s/out", dir);
	FILE *f = fopen(path, "w+");
	if (!f)
		return -1;
	struct tw_out out;
	tw_out_init(&out, fileno(f), "out");
	int rc = tw_plot_render(p, &out, e);
	struct tw_err ce;
	int epipe;
	tw_out_close(&out, &epipe, &ce);
	long n = ftell(f);
	rewind(f);
	*script = calloc(1, (size_t)n + 1);
	if (fread(*script, 1, (size_t)n, f) != (size_t)n)
		rc = -1;
	fclose(f);
	unlink(path);
	return rc;
}

static void test_kinds(void)
{
	unsigned k;
	struct tw_err e;
	CHECK_INT(tw_plot_kinds("reading,score", &k, &e), 0);
	CHECK_INT(k, TW_PLOT_READING | TW_PLOT_SCORE);
	CHECK_INT(tw_plot_kinds(",alert,,command,", &k, &e), 0);
	CHECK_INT(k, TW_PLOT_ALERT | TW_PLOT_COMMAND);
	CHECK_INT(tw_plot_kinds("reading,readings", &k, &e), -1);
	CHECK_STR(e.msg, "unknown kind 'readings' (known: reading, state, sim, residual, score, "
		  "forecast, rul, command, alert)");
	CHECK_INT(tw_plot_kinds(",", &k, &e), -1);
	CHECK_STR(e.msg, "name at least one kind");
}

static void test_counts(void)
{
	static const char *const lines[] = {
		"{\"ts\":0,\"asset\":\"a\",\"sensor\":\"x\",\"value\":1}",
		"{\"ts\":1,\"asset\":\"a\",\"sensor\":\"x\",\"value\":null}",
		"{\"ts\":2,\"asset\":\"a\",\"sensor\":\"y\",\"value\":2}",           /* not chosen */
		"{\"ts\":3,\"asset\":\"b\",\"sensor\":\"x\",\"value\":3}",           /* not chosen */
		"{\"ts\":99,\"asset\":\"a\",\"sensor\":\"x\",\"value\":4}",          /* outside */
		"{\"ts\":4,\"asset\":\"a\",\"sensor\":\"x\",\"value\":\"RUN\"}",     /* not plottable */
		"{\"ts\":4,\"asset\":\"a\",\"kind\":\"ack\",\"id\":\"z\"}",           /* not plottable */
		"{\"ts\":5,\"asset\":\"a\",\"kind\":\"state\",\"values\":{\"y\":1,\"x\":null}}", /* gap */
		"  ",
		"{\"ts\":6,\"asset\":\"a\",\"kind\":\"score\",\"sensor\":\"residual.x\",\"score\":0.5}",
		NULL,
	};
	struct tw_plot_opts o;
	struct tw_diag d;
	struct tw_err e;
	struct tw_plot_stats st;
	tw_plot_opts_init(&o);
	tw_diag_init(&d, "test_plot");
	o.assets = "a";
	o.sensors = "x";
	o.to = 50 * 1000000000LL;
	o.gnuplot = "true";
	struct tw_plot *p = tw_plot_new(&o, &d, &e);
	CHECK(p != NULL);
	if (!p)
		return;
	feed(p, lines);
	tw_plot_stats(p, &st);
	CHECK_INT(st.lines, 10);
	CHECK_INT(st.plotted, 2);
	CHECK_INT(st.gaps, 2);
	CHECK_INT(st.unchosen, 2);
	CHECK_INT(st.outside, 1);
	CHECK_INT(st.unplottable, 2);
	CHECK_INT(st.blank, 1);
	CHECK_INT(d.rejected, 0);
	/* "true" draws nothing: an error, not an empty plot */
	char *s = NULL;
	CHECK_INT(script_of(p, &s, &e), -1);
	CHECK_STR(e.msg, "true drew nothing");
	free(s);
	tw_plot_free(p);
}

static void test_script(void)
{
	static const char *const lines[] = {
		"{\"ts\":-1.5,\"asset\":\"it's\",\"sensor\":\"t\",\"value\":1}",
		"{\"ts\":-1.5,\"asset\":\"it's\",\"kind\":\"alert\",\"rule\":\"r\",\"state\":\"fired\"}",
		NULL,
	};
	struct tw_plot_opts o;
	struct tw_diag d;
	struct tw_err e;
	tw_plot_opts_init(&o);
	tw_diag_init(&d, "test_plot");
	o.gnuplot = fake;
	o.title = "a 'quoted' title";
	struct tw_plot *p = tw_plot_new(&o, &d, &e);
	CHECK(p != NULL);
	if (!p)
		return;
	feed(p, lines);
	char *s = NULL;
	CHECK_INT(script_of(p, &s, &e), 0);
	CHECK(s && strstr(s, "set terminal svg noenhanced size 1000,300 "));
	/* a single instant: a second either side, before 1970 too */
	CHECK(s && strstr(s, "set xrange ['-2.5':'-0.5']\n"));
	CHECK(s && strstr(s, "set multiplot layout 1,1 title 'a ''quoted'' title'\n"));
	CHECK(s && strstr(s, "set title 'it''s: t'\n"));
	CHECK(s && strstr(s, "points pt 7 ps 0.6 title 'reading'"));
	CHECK(s && strstr(s, "vectors nohead dt 4 lc rgb '#d62728' title 'alerts'"));
	CHECK(s && strstr(s, "set yrange [0.95:1.05]\n"));
	free(s);
	/* the data files: exact times */
	tw_plot_free(p);

	/* nothing read: nothing to plot, and gnuplot not run */
	p = tw_plot_new(&o, &d, &e);
	CHECK(p != NULL);
	if (!p)
		return;
	CHECK_INT(script_of(p, &s, &e), -1);
	CHECK_STR(e.msg, "nothing to plot: 0 lines read, no value to draw");
	free(s);
	tw_plot_free(p);
}

int main(void)
{
	if (!mkdtemp(dir))
		return 1;
	setenv("TMPDIR", dir, 1);
	/* The stand-in for gnuplot: prints the script, its second argument. */
	snprintf(fake, sizeof fake, "%s/fake-gnuplot", dir);
	FILE *f = fopen(fake, "w");
	if (!f)
		return 1;
	fputs("#!/bin/sh\nexec cat \"$2\"\n", f);
	fclose(f);
	chmod(fake, 0755);

	test_kinds();
	test_counts();
	test_script();

	unlink(fake);
	CHECK_INT(rmdir(dir), 0);   /* every temporary directory was removed */
	return check_done("test_plot");
}
