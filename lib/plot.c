/* plot.c - see plot.h
 *
 * Each series writes its rows to a file of its own, "sN.dat" in the
 * temporary directory, as text gnuplot reads: the time in epoch seconds
 * (exact to the nanosecond), then its columns, "?" for a value the
 * record lacks, a blank line where a null value breaks the line.  At
 * most MAX_OPEN of them are open at once; beyond, all are closed and
 * reopened for appending as rows come.  Per column, the series keeps the
 * count, minimum and maximum of its values, so that the script can set
 * every range itself: gnuplot then never warns about an empty range, and
 * a series without a single number is left out of the script rather
 * than drawn as nothing ("no valid points").
 *
 * The script draws one multiplot, a panel under the other, all with the
 * same x range and left margin so that their time axes line up. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "atomic.h"
#include "buf.h"
#include "num.h"
#include "plot.h"
#include "record.h"
#include "strmap.h"
#include "timestamp.h"

extern char **environ;

#define MAX_OPEN 64        /* data files open at once */
#define LABEL_MAX 60       /* bytes of a marker's label */
#define NCOL 4             /* data columns after the time */

/* What a series draws; the order is the order of the lines in a panel. */
enum role {
	R_READING, R_STATE, R_SIM, R_FORECAST, R_RESIDUAL, R_SCORE, R_RUL,
	R_COMMAND, R_ALERT,
};

/* How a record ended up; the lowest of a record's values counts. */
enum outcome { O_PLOTTED, O_GAP, O_OUTSIDE, O_UNCHOSEN, O_UNPLOTTABLE };

struct series {
	enum role role;
	int asset;               /* index in p->assets */
	char *sensor;            /* the panel's sensor (sensor roles), else "" */
	char *label;             /* in the key */
	char *path;
	FILE *f;
	bool made;               /* the file exists */
	bool gap;                /* a blank line is due before the next row */
	long long rows;
	long long n[NCOL];       /* numbers per column */
	double min[NCOL], max[NCOL];
	long long alarms;        /* scores: rows with "alarm":true */
};

struct tw_plot {
	struct tw_plot_opts o;
	struct tw_diag *diag;
	struct tw_rec rec;
	struct tw_strmap only_sensors, only_assets;
	bool sensor_filter, asset_filter;
	char *dir;               /* the temporary directory */
	char *out_tmp;           /* the output's temporary file, until renamed */
	int out_fd;
	struct tw_strmap by_key; /* key -> series index + 1 */
	struct series *s;
	size_t ns, cap;
	char **assets;
	size_t nassets, assets_cap;
	struct tw_strmap asset_idx;  /* name -> index + 1 */
	int open;                /* data files open */
	bool any_time;
	int64_t tmin, tmax;
	struct tw_buf key, name, a, b, c;  /* scratch */
	struct tw_plot_stats st;
	const char *write_error; /* a data file that could not be written */
	int write_errno;
};

static const struct { const char *name; unsigned bit; } kind_names[] = {
	{ "reading", TW_PLOT_READING }, { "state", TW_PLOT_STATE }, { "sim", TW_PLOT_SIM },
	{ "residual", TW_PLOT_RESIDUAL }, { "score", TW_PLOT_SCORE },
	{ "forecast", TW_PLOT_FORECAST }, { "rul", TW_PLOT_RUL },
	{ "command", TW_PLOT_COMMAND }, { "alert", TW_PLOT_ALERT },
};
#define NKINDS (sizeof kind_names / sizeof kind_names[0])

void tw_plot_opts_init(struct tw_plot_opts *o)
{
	memset(o, 0, sizeof *o);
	o->term = TW_PLOT_SVG;
	o->kinds = TW_PLOT_ALL;
	o->from = INT64_MIN;
	o->to = INT64_MAX;
}

int tw_plot_kinds(const char *list, unsigned *kinds, struct tw_err *e)
{
	*kinds = 0;
	for (const char *s = list; *s;) {
		size_t n = strcspn(s, ","), k;
		for (k = 0; k < NKINDS; k++)
			if (strlen(kind_names[k].name) == n && !memcmp(kind_names[k].name, s, n))
				break;
		if (n && k == NKINDS) {
			char q[TW_QUOTE_BUF];
			return tw_err_set(e, "unknown kind '%s' (known: reading, state, sim, residual, score, "
					  "forecast, rul, command, alert)", tw_err_quote(q, s, n));
		}
		if (n)
			*kinds |= kind_names[k].bit;
		s += n + (s[n] == ',');
	}
	if (!*kinds)
		return tw_err_set(e, "name at least one kind");
	return 0;
}

static void list_to_map(struct tw_strmap *m, const char *list)
{
	for (const char *s = list; s && *s;) {
		size_t n = strcspn(s, ",");
		if (n)
			tw_strmap_put(m, s, n, (void *)1);
		s += n + (s[n] == ',');
	}
}

/* A temporary directory whose path gnuplot can read in a quoted string. */
static char *make_dir(struct tw_err *e)
{
	const char *base = getenv("TMPDIR");
	if (!base || !*base || base[0] != '/')
		base = "/tmp";
	for (const char *c = base; *c; c++)
		if ((unsigned char)*c < ' ' || *c == 0x7f) {
			base = "/tmp";
			break;
		}
	size_t n = strlen(base);
	while (n > 1 && base[n - 1] == '/')
		n--;
	char *d = malloc(n + sizeof "/twin-plot.XXXXXX");
	if (!d) {
		tw_err_set(e, "out of memory");
		return NULL;
	}
	memcpy(d, base, n);
	strcpy(d + n, "/twin-plot.XXXXXX");
	if (!mkdtemp(d)) {
		tw_err_set(e, "cannot make a temporary directory in %.*s: %s", (int)n, base, strerror(errno));
		free(d);
		return NULL;
	}
	return d;
}

static mode_t current_umask(void)
{
	mode_t m = umask(0);
	umask(m);
	return m;
}

/* The output's temporary file next to it: an unwritable output fails
 * here, before any input is read. */
static int open_output(struct tw_plot *p, struct tw_err *e)
{
	const char *path = p->o.output;
	struct stat sb;
	if (stat(path, &sb) == 0 && S_ISDIR(sb.st_mode))
		return tw_err_set(e, "%s: is a directory", path);
	size_t n = strlen(path);
	if (!(p->out_tmp = malloc(n + sizeof ".XXXXXX")))
		return tw_err_set(e, "out of memory");
	memcpy(p->out_tmp, path, n);
	strcpy(p->out_tmp + n, ".XXXXXX");
	p->out_fd = mkostemp(p->out_tmp, O_CLOEXEC);
	if (p->out_fd < 0) {
		int saved = errno;
		free(p->out_tmp);
		p->out_tmp = NULL;
		const char *slash = strrchr(path, '/');
		int dn = slash ? (slash == path ? 1 : (int)(slash - path)) : 1;
		return tw_err_set(e, "%s: cannot create a temporary file in '%.*s': %s", path, dn,
				  slash ? path : ".", strerror(saved));
	}
	fchmod(p->out_fd, 0666 & ~current_umask());
	return 0;
}

struct tw_plot *tw_plot_new(const struct tw_plot_opts *o, struct tw_diag *d, struct tw_err *e)
{
	struct tw_plot *p = calloc(1, sizeof *p);
	if (!p) {
		tw_err_set(e, "out of memory");
		return NULL;
	}
	p->o = *o;
	if (!p->o.gnuplot)
		p->o.gnuplot = "gnuplot";
	p->diag = d;
	p->out_fd = -1;
	tw_rec_init(&p->rec);
	list_to_map(&p->only_sensors, o->sensors);
	list_to_map(&p->only_assets, o->assets);
	p->sensor_filter = o->sensors != NULL;
	p->asset_filter = o->assets != NULL;
	if (!(p->dir = make_dir(e)) || (o->output && open_output(p, e) < 0)) {
		tw_plot_free(p);
		return NULL;
	}
	return p;
}

/* The script, the drawing when it goes to a writer, and the data files. */
static void remove_files(struct tw_plot *p)
{
	struct tw_buf b = TW_BUF_INIT;
	for (size_t i = 0; i < p->ns; i++)
		if (p->s[i].made)
			unlink(p->s[i].path);
	tw_buf_adds(&b, p->dir);
	tw_buf_adds(&b, "/plot.gp");
	tw_buf_addc(&b, '\0');
	unlink(b.p);
	b.len = 0;
	tw_buf_adds(&b, p->dir);
	tw_buf_adds(&b, "/plot.out");
	tw_buf_addc(&b, '\0');
	unlink(b.p);
	tw_buf_release(&b);
	rmdir(p->dir);
}

void tw_plot_free(struct tw_plot *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->ns; i++) {
		struct series *s = &p->s[i];
		if (s->f)
			fclose(s->f);
	}
	if (p->dir)
		remove_files(p);
	for (size_t i = 0; i < p->ns; i++) {
		free(p->s[i].sensor);
		free(p->s[i].label);
		free(p->s[i].path);
	}
	free(p->s);
	if (p->out_fd >= 0)
		close(p->out_fd);
	if (p->out_tmp)
		unlink(p->out_tmp);
	free(p->out_tmp);
	for (size_t i = 0; i < p->nassets; i++)
		free(p->assets[i]);
	free(p->assets);
	free(p->dir);
	tw_strmap_release(&p->by_key, NULL);
	tw_strmap_release(&p->asset_idx, NULL);
	tw_strmap_release(&p->only_sensors, NULL);
	tw_strmap_release(&p->only_assets, NULL);
	tw_buf_release(&p->key);
	tw_buf_release(&p->name);
	tw_buf_release(&p->a);
	tw_buf_release(&p->b);
	tw_buf_release(&p->c);
	tw_rec_release(&p->rec);
	free(p);
}

void tw_plot_stats(const struct tw_plot *p, struct tw_plot_stats *st)
{
	*st = p->st;
	st->series = (long long)p->ns;
}

/* ---- reading ---- */

/* The text of string token tok into buf, NUL-ended. */
static const char *text(const struct tw_rec *r, int tok, struct tw_buf *buf, size_t *len)
{
	size_t n;
	tw_rec_raw(r, tok, &n);
	buf->len = 0;
	tw_buf_grow(buf, n + 1);
	*len = tw_rec_str(r, tok, buf->p);
	buf->p[*len] = '\0';
	return buf->p;
}

static bool is_str(const struct tw_rec *r, int tok)
{
	return tok >= 0 && tw_rec_type(r, tok) == TW_J_STRING;
}

static bool is_num(const struct tw_rec *r, int tok)
{
	return tok >= 0 && tw_rec_type(r, tok) == TW_J_NUMBER;
}

/* A number, null or absent: what an optional numeric field may be. */
static bool num_or_nothing(const struct tw_rec *r, int tok)
{
	return tok < 0 || tw_rec_type(r, tok) == TW_J_NUMBER || tw_rec_type(r, tok) == TW_J_NULL;
}

static bool sensor_chosen(const struct tw_plot *p, const char *s, size_t n)
{
	if (!p->sensor_filter || tw_strmap_get(&p->only_sensors, s, n))
		return true;
	/* twin-predict's scores of residuals: "residual.temp_c" */
	return n > 9 && !memcmp(s, "residual.", 9) && tw_strmap_get(&p->only_sensors, s + 9, n - 9);
}

static bool in_window(const struct tw_plot *p, int64_t t)
{
	return t >= p->o.from && t <= p->o.to;
}

/* The index of asset name[0..n), added when new. */
static int asset_index(struct tw_plot *p, const char *name, size_t n)
{
	void *v = tw_strmap_get(&p->asset_idx, name, n);
	if (v)
		return (int)((size_t)v - 1);
	if (p->nassets == p->assets_cap) {
		size_t cap = p->assets_cap ? p->assets_cap * 2 : 8;
		char **a = realloc(p->assets, cap * sizeof *a);
		if (!a)
			abort();
		p->assets = a;
		p->assets_cap = cap;
	}
	char *copy = malloc(n + 1);
	if (!copy)
		abort();
	memcpy(copy, name, n);
	copy[n] = '\0';
	p->assets[p->nassets++] = copy;
	tw_strmap_put(&p->asset_idx, name, n, (void *)(size_t)p->nassets);
	return (int)p->nassets - 1;
}

static char *dup_str(const char *s)
{
	char *c = strdup(s);
	if (!c)
		abort();
	return c;
}

static const char *const role_words[] = {
	[R_READING] = "reading", [R_STATE] = "state", [R_SIM] = "simulated",
	[R_FORECAST] = "forecast", [R_RESIDUAL] = "residual", [R_SCORE] = "score",
	[R_RUL] = "RUL", [R_COMMAND] = "commands", [R_ALERT] = "alerts",
};

/* The series (asset, role, name, variant), made when new.  name is the
 * sensor for the sensor roles, the score's series, the RUL's unit;
 * variant a what-if's scenario (or NULL). */
static struct series *series_of(struct tw_plot *p, int asset, enum role role, const char *name,
				const char *variant)
{
	struct tw_buf *k = &p->key;
	k->len = 0;
	tw_buf_add(k, &asset, sizeof asset);
	tw_buf_addc(k, (char)role);
	tw_buf_adds(k, name);
	tw_buf_addc(k, '\0');
	if (variant)
		tw_buf_adds(k, variant);
	void *v = tw_strmap_get(&p->by_key, k->p, k->len);
	if (v)
		return &p->s[(size_t)v - 1];
	if (p->ns == p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 16;
		struct series *s = realloc(p->s, cap * sizeof *s);
		if (!s)
			abort();
		p->s = s;
		p->cap = cap;
	}
	struct series *s = &p->s[p->ns];
	memset(s, 0, sizeof *s);
	s->role = role;
	s->asset = asset;
	bool sensor_role = role <= R_RESIDUAL;
	s->sensor = dup_str(sensor_role ? name : "");
	struct tw_buf l = TW_BUF_INIT;
	/* In the key: the panel's title names the sensor. */
	switch (role) {
	case R_RUL:
		tw_buf_adds(&l, "RUL");
		if (*name) {
			tw_buf_adds(&l, " (");
			tw_buf_adds(&l, name);
			tw_buf_addc(&l, ')');
		}
		break;
	case R_RESIDUAL:
	case R_SCORE:
		tw_buf_adds(&l, name);
		break;
	default:
		tw_buf_adds(&l, role_words[role]);
		if (variant) {
			tw_buf_adds(&l, " (");
			tw_buf_adds(&l, variant);
			tw_buf_addc(&l, ')');
		}
	}
	tw_buf_addc(&l, '\0');
	s->label = l.p;
	char path[64];
	snprintf(path, sizeof path, "/s%zu.dat", p->ns);
	struct tw_buf pb = TW_BUF_INIT;
	tw_buf_adds(&pb, p->dir);
	tw_buf_adds(&pb, path);
	tw_buf_addc(&pb, '\0');
	s->path = pb.p;
	p->ns++;
	tw_strmap_put(&p->by_key, k->p, k->len, (void *)p->ns);
	return s;
}

static int close_series(struct tw_plot *p, struct series *s)
{
	if (!s->f)
		return 0;
	int bad = ferror(s->f);
	int saved = errno;
	if (fclose(s->f) != 0 && !bad) {
		bad = 1;
		saved = errno;
	}
	s->f = NULL;
	p->open--;
	if (bad && !p->write_error) {
		p->write_error = s->path;
		p->write_errno = saved ? saved : EIO;
	}
	return bad ? -1 : 0;
}

static int write_failed(struct tw_plot *p, struct tw_err *e)
{
	return tw_err_set(e, "cannot write the temporary file %s: %s", p->write_error,
			  strerror(p->write_errno));
}

/* The open data file of s. */
static FILE *file_of(struct tw_plot *p, struct series *s, struct tw_err *e)
{
	if (s->f)
		return s->f;
	if (p->open >= MAX_OPEN)
		for (size_t i = 0; i < p->ns; i++)
			close_series(p, &p->s[i]);
	if (p->write_error) {
		write_failed(p, e);
		return NULL;
	}
	s->f = fopen(s->path, s->made ? "ae" : "we");
	if (!s->f) {
		tw_err_set(e, "cannot write the temporary file %s: %s", s->path, strerror(errno));
		return NULL;
	}
	s->made = true;
	p->open++;
	return s->f;
}

/* ns as epoch seconds, exact: "1709251201", "1709251201.25",
 * "-0.5".  buf holds 32 bytes; returns buf. */
static const char *epoch(char *buf, int64_t ns)
{
	uint64_t a = ns < 0 ? 0 - (uint64_t)ns : (uint64_t)ns;
	unsigned long long sec = (unsigned long long)(a / (uint64_t)TW_NS_PER_SEC);
	unsigned long long frac = (unsigned long long)(a % (uint64_t)TW_NS_PER_SEC);
	const char *sign = ns < 0 ? "-" : "";
	if (!frac) {
		snprintf(buf, 32, "%s%llu", sign, sec);
		return buf;
	}
	int digits = 9;
	while (frac % 10 == 0) {
		frac /= 10;
		digits--;
	}
	snprintf(buf, 32, "%s%llu.%0*llu", sign, sec, digits, frac);
	return buf;
}

static void put_time(FILE *f, int64_t ns)
{
	char buf[32];
	fputs(epoch(buf, ns), f);
}

static void see_time(struct tw_plot *p, int64_t t)
{
	if (!p->any_time || t < p->tmin)
		p->tmin = t;
	if (!p->any_time || t > p->tmax)
		p->tmax = t;
	p->any_time = true;
}

/* One row of s: time t and NCOL values (NAN for "?", written only up to
 * ncol).  A null value (null true) makes a gap instead. */
static int row(struct tw_plot *p, struct series *s, int64_t t, const double *v, int ncol,
	       struct tw_err *e)
{
	FILE *f = file_of(p, s, e);
	if (!f)
		return -1;
	if (s->gap && s->rows)
		putc('\n', f);
	s->gap = false;
	put_time(f, t);
	for (int k = 0; k < ncol; k++) {
		char num[TW_NUM_MAX];
		putc(' ', f);
		if (isnan(v[k])) {
			putc('?', f);
			continue;
		}
		tw_num_format(v[k], num);
		fputs(num, f);
		if (!s->n[k] || v[k] < s->min[k])
			s->min[k] = v[k];
		if (!s->n[k] || v[k] > s->max[k])
			s->max[k] = v[k];
		s->n[k]++;
	}
	putc('\n', f);
	s->rows++;
	see_time(p, t);
	return 0;
}

/* A number token's value, or NAN for anything else. */
static double num_or_nan(const struct tw_rec *r, int tok)
{
	return is_num(r, tok) ? tw_rec_num(r, tok) : NAN;
}

/* One value of a sensor role: a number is a row, null a gap. */
static int value(struct tw_plot *p, int asset, enum role role, const char *sensor, size_t slen,
		 const char *variant, int64_t t, int tok, enum outcome *out, struct tw_err *e)
{
	enum outcome o;
	if (!sensor_chosen(p, sensor, slen)) {
		o = O_UNCHOSEN;
	} else if (!in_window(p, t)) {
		o = O_OUTSIDE;
	} else if (tw_rec_type(&p->rec, tok) == TW_J_NUMBER) {
		double v = tw_rec_num(&p->rec, tok);
		if (row(p, series_of(p, asset, role, sensor, variant), t, &v, 1, e) < 0)
			return -1;
		o = O_PLOTTED;
	} else if (tw_rec_type(&p->rec, tok) == TW_J_NULL) {
		series_of(p, asset, role, sensor, variant)->gap = true;
		o = O_GAP;
	} else {
		o = O_UNPLOTTABLE;
	}
	if (o < *out)
		*out = o;
	return 0;
}

/* A marker's label, safe in a quoted data column: no '"', no control
 * bytes, at most LABEL_MAX bytes cut at a character's start. */
static void put_label(FILE *f, const char *s)
{
	size_t n = strlen(s);
	if (n > LABEL_MAX) {
		n = LABEL_MAX;
		while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
			n--;
	}
	putc('"', f);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		putc(c == '"' ? '\'' : c < ' ' || c == 0x7f ? ' ' : c, f);
	}
	putc('"', f);
}

static int marker(struct tw_plot *p, int asset, enum role role, int64_t t, const char *label,
		  enum outcome *out, struct tw_err *e)
{
	if (!in_window(p, t)) {
		*out = O_OUTSIDE;
		return 0;
	}
	struct series *s = series_of(p, asset, role, "", NULL);
	FILE *f = file_of(p, s, e);
	if (!f)
		return -1;
	put_time(f, t);
	putc(' ', f);
	put_label(f, label);
	putc('\n', f);
	s->rows++;
	see_time(p, t);
	*out = O_PLOTTED;
	return 0;
}

/* The string field key as text in buf ("" when absent or not a string). */
static const char *field(struct tw_plot *p, const char *key, struct tw_buf *buf)
{
	int tok = tw_rec_get(&p->rec, 0, key);
	size_t n;
	if (is_str(&p->rec, tok))
		return text(&p->rec, tok, buf, &n);
	buf->len = 0;
	tw_buf_addc(buf, '\0');
	return buf->p;
}

/* A reason to reject the line in why; returns 1, as record() does then. */
static int reject(struct tw_err *why, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int reject(struct tw_err *why, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(why->msg, sizeof why->msg, fmt, ap);
	va_end(ap);
	return 1;
}

/* The record of kind bit at line; *out set, or a reason for rejecting it
 * in why (return 1), or -1 with e. */
static int record(struct tw_plot *p, unsigned bit, int asset, int64_t ts, enum outcome *out,
		  struct tw_err *why, struct tw_err *e)
{
	struct tw_rec *r = &p->rec;
	size_t n;
	*out = O_UNPLOTTABLE;
	switch (bit) {
	case TW_PLOT_READING:
		if (!is_str(r, r->sensor) || r->value < 0)
			return reject(why, "a reading needs a string \"sensor\" and a \"value\"");
		text(r, r->sensor, &p->a, &n);
		return value(p, asset, R_READING, p->a.p, n, NULL, ts, r->value, out, e);
	case TW_PLOT_STATE:
	case TW_PLOT_SIM: {
		int values = tw_rec_get(r, 0, "values");
		if (values < 0 || tw_rec_type(r, values) != TW_J_OBJECT)
			return reject(why, "a %s needs an object \"values\"",
					  bit == TW_PLOT_STATE ? "state" : "sim");
		const char *scenario = NULL;
		if (bit == TW_PLOT_SIM) {
			int sc = tw_rec_get(r, 0, "scenario");
			if (is_str(r, sc))
				scenario = text(r, sc, &p->b, &n);
		}
		for (int k = values + 1, i = 0; i < r->tok[values].size; i++, k = tw_rec_skip(r, k + 1)) {
			text(r, k, &p->a, &n);
			if (value(p, asset, bit == TW_PLOT_STATE ? R_STATE : R_SIM, p->a.p, n, scenario,
				  ts, k + 1, out, e) < 0)
				return -1;
		}
		return 0;
	}
	case TW_PLOT_RESIDUAL: {
		int m = tw_rec_get(r, 0, "measured"), s = tw_rec_get(r, 0, "simulated");
		int res = tw_rec_get(r, 0, "residual");
		if (!is_str(r, r->sensor) || res < 0 || !num_or_nothing(r, res) || !num_or_nothing(r, m) ||
		    !num_or_nothing(r, s))
			return reject(why, "a residual needs a string \"sensor\" and a number "
					  "\"residual\" (\"measured\" and \"simulated\" numbers if there)");
		text(r, r->sensor, &p->a, &n);
		if (!sensor_chosen(p, p->a.p, n)) {
			*out = O_UNCHOSEN;
			return 0;
		}
		if (!in_window(p, ts)) {
			*out = O_OUTSIDE;
			return 0;
		}
		struct series *se = series_of(p, asset, R_RESIDUAL, p->a.p, NULL);
		double v[3] = { num_or_nan(r, m), num_or_nan(r, s), num_or_nan(r, res) };
		if (isnan(v[0]) && isnan(v[1]) && isnan(v[2])) {
			se->gap = true;
			*out = O_GAP;
			return 0;
		}
		*out = O_PLOTTED;
		return row(p, se, ts, v, 3, e);
	}
	case TW_PLOT_SCORE: {
		int sc = tw_rec_get(r, 0, "score"), th = tw_rec_get(r, 0, "threshold");
		int al = tw_rec_get(r, 0, "alarm");
		if (!num_or_nothing(r, sc) || sc < 0 || !num_or_nothing(r, th) ||
		    (al >= 0 && tw_rec_type(r, al) != TW_J_TRUE && tw_rec_type(r, al) != TW_J_FALSE &&
		     tw_rec_type(r, al) != TW_J_NULL) ||
		    (r->sensor >= 0 && !is_str(r, r->sensor)))
			return reject(why, "a score needs a number \"score\" (a number \"threshold\", "
					  "a boolean \"alarm\" and a string \"sensor\" if there)");
		const char *name;
		if (r->sensor >= 0) {
			name = text(r, r->sensor, &p->a, &n);
			if (!sensor_chosen(p, name, n)) {
				*out = O_UNCHOSEN;
				return 0;
			}
		} else {    /* a score of the whole asset: its method names it */
			name = field(p, "method", &p->a);
			if (!*name)
				name = "asset";
		}
		if (!in_window(p, ts)) {
			*out = O_OUTSIDE;
			return 0;
		}
		struct series *se = series_of(p, asset, R_SCORE, name, NULL);
		if (!is_num(r, sc)) {
			se->gap = true;
			*out = O_GAP;
			return 0;
		}
		bool alarm = al >= 0 && tw_rec_type(r, al) == TW_J_TRUE;
		double v[3] = { tw_rec_num(r, sc), num_or_nan(r, th),
				al >= 0 && tw_rec_type(r, al) != TW_J_NULL ? alarm : NAN };
		se->alarms += alarm;
		*out = O_PLOTTED;
		return row(p, se, ts, v, 3, e);
	}
	case TW_PLOT_FORECAST: {
		int at = tw_rec_get(r, 0, "at"), lo = tw_rec_get(r, 0, "lo"), hi = tw_rec_get(r, 0, "hi");
		int64_t t;
		struct tw_err te;
		static const struct tw_time_fmt automatic = { TW_TIME_AUTO, NULL };
		const char *raw = NULL;
		size_t rn = 0;
		if (is_str(r, at))
			raw = tw_rec_raw(r, at, &rn);
		if (!is_str(r, r->sensor) || !raw || tw_time_parse(raw, rn, &automatic, &t, &te) < 0 ||
		    r->value < 0 || !num_or_nothing(r, r->value) || !num_or_nothing(r, lo) ||
		    !num_or_nothing(r, hi))
			return reject(why, "a forecast needs a string \"sensor\", a time \"at\" and a "
					  "number \"value\" (\"lo\" and \"hi\" numbers if there)");
		text(r, r->sensor, &p->a, &n);
		if (!sensor_chosen(p, p->a.p, n)) {
			*out = O_UNCHOSEN;
			return 0;
		}
		if (!in_window(p, t)) {
			*out = O_OUTSIDE;
			return 0;
		}
		struct series *se = series_of(p, asset, R_FORECAST, p->a.p, NULL);
		if (!is_num(r, r->value)) {
			se->gap = true;
			*out = O_GAP;
			return 0;
		}
		double v[3] = { tw_rec_num(r, r->value), num_or_nan(r, lo), num_or_nan(r, hi) };
		*out = O_PLOTTED;
		return row(p, se, t, v, 3, e);
	}
	case TW_PLOT_RUL: {
		int lo = tw_rec_get(r, 0, "lo"), hi = tw_rec_get(r, 0, "hi");
		int unit = tw_rec_get(r, 0, "unit");
		if (r->value < 0 || !num_or_nothing(r, r->value) || !num_or_nothing(r, lo) ||
		    !num_or_nothing(r, hi) || (unit >= 0 && !is_str(r, unit)))
			return reject(why, "a rul needs a number \"value\" (\"lo\" and \"hi\" numbers "
					  "and a string \"unit\" if there)");
		if (!in_window(p, ts)) {
			*out = O_OUTSIDE;
			return 0;
		}
		struct series *se = series_of(p, asset, R_RUL, field(p, "unit", &p->a), NULL);
		if (!is_num(r, r->value)) {
			se->gap = true;
			*out = O_GAP;
			return 0;
		}
		double v[3] = { tw_rec_num(r, r->value), num_or_nan(r, lo), num_or_nan(r, hi) };
		*out = O_PLOTTED;
		return row(p, se, ts, v, 3, e);
	}
	case TW_PLOT_COMMAND: {
		/* "cooling-valve (overheat)" */
		const char *rule = field(p, "rule", &p->a), *target = field(p, "target", &p->b);
		p->c.len = 0;
		tw_buf_adds(&p->c, *target ? target : "command");
		if (*rule) {
			tw_buf_adds(&p->c, " (");
			tw_buf_adds(&p->c, rule);
			tw_buf_addc(&p->c, ')');
		}
		tw_buf_addc(&p->c, '\0');
		return marker(p, asset, R_COMMAND, ts, p->c.p, out, e);
	}
	case TW_PLOT_ALERT: {
		/* "overheat fired" */
		const char *rule = field(p, "rule", &p->a), *state = field(p, "state", &p->b);
		p->c.len = 0;
		tw_buf_adds(&p->c, rule);
		if (*rule && *state)
			tw_buf_addc(&p->c, ' ');
		tw_buf_adds(&p->c, state);
		tw_buf_addc(&p->c, '\0');
		return marker(p, asset, R_ALERT, ts, p->c.p, out, e);
	}
	}
	return 0;
}

int tw_plot_line(struct tw_plot *p, const char *file, long long lineno, const char *line,
		 size_t len, const char *eol, struct tw_err *e)
{
	struct tw_rec *r = &p->rec;
	struct tw_err why;
	int64_t ts;

	p->st.lines++;
	if (len == strspn(line, " \t")) {
		p->st.blank++;
		return 0;
	}
	if (tw_rec_parse(r, line, len, &why) < 0 || tw_rec_need_common(r, &ts, &why) < 0)
		return tw_diag_reject(p->diag, file, lineno, line, len, eol, "%s", why.msg);
	if (r->kind >= 0 && !is_str(r, r->kind))
		return tw_diag_reject(p->diag, file, lineno, line, len, eol, "\"kind\" is not a string");
	unsigned bit = 0;
	if (r->kind < 0) {
		bit = TW_PLOT_READING;
	} else {
		for (size_t k = 0; k < NKINDS && !bit; k++)
			if (tw_rec_streq(r, r->kind, kind_names[k].name))
				bit = kind_names[k].bit;
	}
	size_t alen;
	const char *asset = text(r, r->asset, &p->name, &alen);
	if (!bit) {                /* a fit, an ack, a kind not known here */
		p->st.unplottable++;
		return 0;
	}
	if ((p->asset_filter && !tw_strmap_get(&p->only_assets, asset, alen)) || !(p->o.kinds & bit)) {
		p->st.unchosen++;
		return 0;
	}
	enum outcome out = O_UNPLOTTABLE;
	int rc = record(p, bit, asset_index(p, asset, alen), ts, &out, &why, e);
	if (rc < 0)
		return -1;
	if (rc > 0)
		return tw_diag_reject(p->diag, file, lineno, line, len, eol, "%s", why.msg);
	switch (out) {
	case O_PLOTTED: p->st.plotted++; break;
	case O_GAP: p->st.gaps++; break;
	case O_OUTSIDE: p->st.outside++; break;
	case O_UNCHOSEN: p->st.unchosen++; break;
	case O_UNPLOTTABLE: p->st.unplottable++; break;
	}
	return 0;
}

/* ---- the script ---- */

enum panel_type { P_SENSOR, P_RESIDUAL, P_SCORE, P_RUL, P_EVENTS };

struct panel {
	enum panel_type type;
	int asset;
	const char *sensor;      /* P_SENSOR */
};

/* s[0..] as a gnuplot single-quoted string: '' for ', control bytes as
 * blanks. */
static void quoted(struct tw_buf *b, const char *s)
{
	tw_buf_addc(b, '\'');
	for (; *s; s++) {
		if (*s == '\'')
			tw_buf_addc(b, '\'');
		tw_buf_addc(b, (unsigned char)*s < ' ' || *s == 0x7f ? ' ' : *s);
	}
	tw_buf_addc(b, '\'');
}

static void num(struct tw_buf *b, double v)
{
	char s[TW_NUM_MAX];
	tw_buf_add(b, s, tw_num_format(v, s));
}

/* Epoch seconds as a quoted time for set xrange. */
static void qtime(struct tw_buf *b, int64_t ns)
{
	char s[32];
	tw_buf_addc(b, '\'');
	tw_buf_adds(b, epoch(s, ns));
	tw_buf_addc(b, '\'');
}

/* The y range of a panel, grown by what it draws. */
struct range {
	bool any;
	double lo, hi;
};

static void grow_range(struct range *y, const struct series *s, int col)
{
	if (!s->n[col])
		return;
	if (!y->any || s->min[col] < y->lo)
		y->lo = s->min[col];
	if (!y->any || s->max[col] > y->hi)
		y->hi = s->max[col];
	y->any = true;
}

/* One element of a plot command. */
struct emit {
	struct tw_buf *b;        /* NULL: only count */
	int count;
	struct range y;
	bool dumb;
	int thresholds, alarms;  /* drawn: the first has a title */
};

static void element(struct emit *m, const struct series *s, const char *using, const char *with,
		    const char *title)
{
	m->count++;
	if (!m->b)
		return;
	tw_buf_adds(m->b, m->count > 1 ? ", \\\n     " : "plot ");
	quoted(m->b, s->path);
	tw_buf_adds(m->b, " using ");
	tw_buf_adds(m->b, using);
	tw_buf_adds(m->b, " with ");
	tw_buf_adds(m->b, with);
	if (title) {
		tw_buf_adds(m->b, " title ");
		quoted(m->b, title);
	} else {
		tw_buf_adds(m->b, " notitle");
	}
}

/* A line of column col + 2: points alone when there is only one. */
static void line(struct emit *m, const struct series *s, int col, const char *style, const char *title)
{
	char using[32], with[96];
	if (!s->n[col])
		return;
	snprintf(using, sizeof using, "1:%d", col + 2);
	snprintf(with, sizeof with, "%s%s", s->n[col] > 1 ? "lines lw 1.5" : "points pt 7 ps 0.6",
		 style ? style : "");
	element(m, s, using, with, title);
	grow_range(&m->y, s, col);
}

/* A band between columns lo + 2 and lo + 3 (two lines on dumb). */
static void band(struct emit *m, const struct series *s, int lo, const char *title)
{
	char using[32];
	if (!s->n[lo] || !s->n[lo + 1])
		return;
	grow_range(&m->y, s, lo);
	grow_range(&m->y, s, lo + 1);
	if (m->dumb) {
		line(m, s, lo, NULL, title);
		line(m, s, lo + 1, NULL, NULL);
		return;
	}
	snprintf(using, sizeof using, "1:%d:%d", lo + 2, lo + 3);
	element(m, s, using, "filledcurves fs transparent solid 0.2 noborder lc rgb '#7f7f7f'", title);
}

static bool has_role(const struct tw_plot *p, int asset, enum role role, const char *sensor)
{
	for (size_t i = 0; i < p->ns; i++)
		if (p->s[i].asset == asset && p->s[i].role == role && p->s[i].rows &&
		    (!sensor || !strcmp(p->s[i].sensor, sensor)))
			return true;
	return false;
}

/* The plot command of panel pn (or only its element count, m->b NULL). */
static void panel_plot(struct tw_plot *p, const struct panel *pn, bool first_of_asset, struct emit *m)
{
	for (size_t i = 0; i < p->ns; i++) {
		const struct series *s = &p->s[i];
		if (s->asset != pn->asset || !s->rows)
			continue;
		switch (pn->type) {
		case P_SENSOR:
			if (s->role > R_RESIDUAL || strcmp(s->sensor, pn->sensor))
				break;
			if (s->role == R_READING || s->role == R_STATE)
				line(m, s, 0, NULL, s->label);
			else if (s->role == R_SIM)
				line(m, s, 0, " dt 2", s->label);
			else if (s->role == R_FORECAST) {
				band(m, s, 1, "forecast lo..hi");
				line(m, s, 0, " dt 3", s->label);
			} else {    /* a residual's sides, when nothing else shows them */
				if (!has_role(p, pn->asset, R_READING, s->sensor) &&
				    !has_role(p, pn->asset, R_STATE, s->sensor))
					line(m, s, 0, NULL, "measured");
				if (!has_role(p, pn->asset, R_SIM, s->sensor))
					line(m, s, 1, " dt 2", "simulated");
			}
			break;
		case P_RESIDUAL:
			if (s->role == R_RESIDUAL)
				line(m, s, 2, NULL, s->label);
			break;
		case P_SCORE:
			if (s->role != R_SCORE)
				break;
			line(m, s, 0, NULL, s->label);
			if (s->n[1]) {
				element(m, s, "1:3", "steps dt 2 lc rgb '#555555'",
					m->thresholds++ ? NULL : "threshold");
				grow_range(&m->y, s, 1);
			}
			if (s->alarms)
				element(m, s, "1:($4>0?$2:NaN)", "points pt 7 ps 0.8 lc rgb '#d62728'",
					m->alarms++ ? NULL : "alarm");
			break;
		case P_RUL:
			if (s->role != R_RUL)
				break;
			band(m, s, 1, "lo..hi");
			line(m, s, 0, NULL, s->label);
			break;
		case P_EVENTS:
			break;
		}
	}
	/* The markers of the asset, on y2 from 0 to 1: the whole height. */
	for (size_t i = 0; m->count + (pn->type == P_EVENTS) > 0 && i < p->ns; i++) {
		const struct series *s = &p->s[i];
		if (s->asset != pn->asset || !s->rows || (s->role != R_COMMAND && s->role != R_ALERT))
			continue;
		const char *color = s->role == R_COMMAND ? "'#1f77b4'" : "'#d62728'";
		char with[128];
		snprintf(with, sizeof with, "vectors nohead dt 4 lc rgb %s", color);
		element(m, s, "1:(0):(0):(1) axes x1y2", with, first_of_asset ? s->label : NULL);
		if (first_of_asset && !m->dumb) {     /* text cannot turn there */
			snprintf(with, sizeof with, "labels rotate left offset 0.4,0 tc rgb %s%s", color,
				 m->dumb ? "" : " font ',8'");
			element(m, s, "1:(0.03):2 axes x1y2", with, NULL);
		}
	}
}

static const char *panel_title(const struct tw_plot *p, const struct panel *pn, struct tw_buf *b)
{
	static const char *const what[] = {
		[P_RESIDUAL] = ": residuals (measured - simulated)", [P_SCORE] = ": anomaly scores",
		[P_RUL] = ": remaining useful life", [P_EVENTS] = ": commands and alerts",
	};
	b->len = 0;
	tw_buf_adds(b, p->assets[pn->asset]);
	if (pn->type == P_SENSOR) {
		tw_buf_adds(b, ": ");
		tw_buf_adds(b, pn->sensor);
	} else {
		tw_buf_adds(b, what[pn->type]);
	}
	tw_buf_addc(b, '\0');
	return b->p;
}

/* The panels worth drawing, in order; *n of them (caller frees). */
static struct panel *panels(struct tw_plot *p, size_t *n)
{
	/* at most a sensor panel per series, and four more per asset */
	struct panel *v = calloc(p->ns + 4 * p->nassets + 1, sizeof *v);
	if (!v)
		abort();
	*n = 0;
	for (int a = 0; a < (int)p->nassets; a++) {
		size_t first = *n;
		for (size_t i = 0; i < p->ns; i++) {
			const struct series *s = &p->s[i];
			if (s->asset != a || s->role > R_RESIDUAL)
				continue;
			bool seen = false;
			for (size_t k = first; k < *n && !seen; k++)
				seen = !strcmp(v[k].sensor, s->sensor);
			if (!seen)
				v[(*n)++] = (struct panel){ P_SENSOR, a, s->sensor };
		}
		static const enum panel_type more[] = { P_RESIDUAL, P_SCORE, P_RUL, P_EVENTS };
		for (size_t k = 0; k < sizeof more / sizeof more[0]; k++)
			v[(*n)++] = (struct panel){ more[k], a, NULL };
		/* Keep those that draw something; events only when alone. */
		size_t keep = first;
		for (size_t k = first; k < *n; k++) {
			struct emit m = { NULL, 0, { false, 0, 0 }, false, 0, 0 };
			if (v[k].type == P_EVENTS && keep > first)
				continue;
			panel_plot(p, &v[k], keep == first, &m);
			if (m.count > 0)
				v[keep++] = v[k];
		}
		*n = keep;
	}
	return v;
}

/* The x axis: a time format that suits the span. */
static const char *time_format(int64_t span)
{
	int64_t s = span / TW_NS_PER_SEC;
	if (s <= 600)
		return "%H:%M:%S";
	if (s <= 86400)
		return "%H:%M";
	if (s <= 7 * 86400)
		return "%m-%d %H:%M";
	return "%Y-%m-%d";
}

/* On text, tics far enough apart for their labels: w columns wide. */
static void xtics(struct tw_buf *b, int64_t span, int w)
{
	static const int64_t nice[] = {
		1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600,
		43200, 86400, 2 * 86400, 7 * 86400, 14 * 86400, 30 * 86400, 91 * 86400, 365 * 86400,
	};
	int width = (int)strlen(time_format(span)) + 4;  /* "%m-%d %H:%M" prints 11 */
	int room = (int)(w * 0.7) - 11, n = room / width;
	if (n < 2)
		n = 2;
	double need = (double)span / TW_NS_PER_SEC / n;
	size_t k = 0;
	while (k + 1 < sizeof nice / sizeof nice[0] && nice[k] < need)
		k++;
	char s[64];
	snprintf(s, sizeof s, "set xtics %lld\n", (long long)nice[k]);
	tw_buf_adds(b, s);
}

static void script(struct tw_plot *p, const struct panel *v, size_t n, struct tw_buf *b)
{
	const struct tw_plot_opts *o = &p->o;
	bool dumb = o->term == TW_PLOT_DUMB;
	char s[256];
	int w = o->width, h = o->height;
	int64_t t0 = o->from != INT64_MIN ? o->from : p->tmin;
	int64_t t1 = o->to != INT64_MAX ? o->to : p->tmax;
	if (t1 <= t0) {     /* a single instant: a second around it */
		t0 -= TW_NS_PER_SEC;
		t1 += TW_NS_PER_SEC;
	}
	if (!w)
		w = dumb ? 79 : 1000;
	if (!h)
		h = (int)((dumb ? 16 : 230) * n + (o->title ? (dumb ? 2 : 30) : 0) + (dumb ? 2 : 40));

	tw_buf_adds(b, "# Written by twin-plot: the data files are in the same directory.\n");
	if (o->term == TW_PLOT_SVG)
		snprintf(s, sizeof s, "set terminal svg noenhanced size %d,%d font 'sans,11' "
			 "background '#ffffff'\n", w, h);
	else if (o->term == TW_PLOT_PNG)
		snprintf(s, sizeof s, "set terminal pngcairo noenhanced size %d,%d font 'sans,9' "
			 "background '#ffffff'\n", w, h);
	else
		snprintf(s, sizeof s, "set terminal dumb noenhanced nofeed size %d,%d\n", w, h);
	tw_buf_adds(b, s);
	tw_buf_adds(b, "set datafile missing '?'\nset xdata time\nset timefmt '%s'\n"
		    "set format x '");
	tw_buf_adds(b, time_format(t1 - t0));
	tw_buf_adds(b, "'\n");
	if (dumb)
		xtics(b, t1 - t0, w);
	tw_buf_adds(b, "set xrange [");
	qtime(b, t0);
	tw_buf_addc(b, ':');
	qtime(b, t1);
	tw_buf_adds(b, "]\nset y2range [0:1]\nunset y2tics\nset lmargin 11\n");
	tw_buf_adds(b, dumb ? "set rmargin at screen 0.7\n" : "set rmargin at screen 0.76\n");
	tw_buf_adds(b, "set key outside right top Left reverse samplen 2\n");
	if (!dumb)
		tw_buf_adds(b, "set grid xtics ytics lc rgb '#e0e0e0'\n");
	snprintf(s, sizeof s, "set multiplot layout %zu,1", n);
	tw_buf_adds(b, s);
	if (o->title) {
		tw_buf_adds(b, " title ");
		quoted(b, o->title);
	}
	tw_buf_addc(b, '\n');

	struct tw_buf t = TW_BUF_INIT;
	for (size_t k = 0; k < n; k++) {
		const struct panel *pn = &v[k];
		bool first = k == 0 || v[k - 1].asset != pn->asset;
		tw_buf_adds(b, "\nset title ");
		quoted(b, panel_title(p, pn, &t));
		tw_buf_addc(b, '\n');
		if (k + 1 == n) {
			char a[TW_TIME_MAX], z[TW_TIME_MAX];
			tw_time_format(t0, a);
			tw_time_format(t1, z);
			snprintf(s, sizeof s, "set xlabel 'time (UTC), %s to %s'\n", a, z);
			tw_buf_adds(b, s);
		}
		/* The element count and y range first, then the command. */
		struct emit m = { NULL, 0, { false, 0, 0 }, dumb, 0, 0 };
		panel_plot(p, pn, first, &m);
		double lo = m.y.any ? m.y.lo : 0, hi = m.y.any ? m.y.hi : 1;
		double pad = hi > lo ? (hi - lo) * 0.05 : fabs(hi) > 0 ? fabs(hi) * 0.05 : 1;
		if (pn->type == P_RESIDUAL) {       /* zero in sight */
			lo = fmin(lo, 0);
			hi = fmax(hi, 0);
			pad = hi > lo ? (hi - lo) * 0.05 : 1;
		}
		if (pn->type == P_EVENTS)
			tw_buf_adds(b, "set yrange [0:1]\nunset ytics\n");
		else {
			tw_buf_adds(b, "set yrange [");
			num(b, lo - pad);
			tw_buf_addc(b, ':');
			num(b, hi + pad);
			tw_buf_adds(b, "]\nset ytics autofreq\n");
		}
		m = (struct emit){ b, 0, { false, 0, 0 }, dumb, 0, 0 };
		panel_plot(p, pn, first, &m);
		if (pn->type == P_RESIDUAL)
			tw_buf_adds(b, ", \\\n     0 with lines dt 2 lc rgb '#555555' notitle");
		tw_buf_addc(b, '\n');
	}
	tw_buf_adds(b, "\nunset multiplot\n");
	tw_buf_release(&t);
}

/* ---- running gnuplot ---- */

static int run(struct tw_plot *p, const char *script_path, int out_fd, struct tw_err *e)
{
	posix_spawn_file_actions_t fa;
	char *argv[] = { (char *)p->o.gnuplot, "--default-settings", (char *)script_path, NULL };
	pid_t pid;
	int rc, st;

	if ((rc = posix_spawn_file_actions_init(&fa)) != 0)
		return tw_err_set(e, "cannot run %s: %s", p->o.gnuplot, strerror(rc));
	rc = posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	if (!rc)
		rc = posix_spawn_file_actions_adddup2(&fa, out_fd, 1);
	if (!rc)
		rc = posix_spawnp(&pid, p->o.gnuplot, &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (rc == ENOENT)
		return tw_err_set(e, "cannot run %s: not found on PATH (on Debian: apt-get install "
				  "gnuplot-nox)", p->o.gnuplot);
	if (rc)
		return tw_err_set(e, "cannot run %s: %s", p->o.gnuplot, strerror(rc));
	while ((rc = waitpid(pid, &st, 0)) < 0 && errno == EINTR)
		;
	if (rc < 0)
		return tw_err_set(e, "%s: %s", p->o.gnuplot, strerror(errno));
	if (WIFSIGNALED(st))
		return tw_err_set(e, "%s was killed by signal %d", p->o.gnuplot, WTERMSIG(st));
	if (WIFEXITED(st) && WEXITSTATUS(st) == 127)
		return tw_err_set(e, "cannot run %s (exit status 127)", p->o.gnuplot);
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
		return tw_err_set(e, "%s failed (exit status %d) on the script it was given",
				  p->o.gnuplot, WIFEXITED(st) ? WEXITSTATUS(st) : -1);
	return 0;
}

static char *in_dir(const struct tw_plot *p, const char *name)
{
	size_t n = strlen(p->dir);
	char *s = malloc(n + strlen(name) + 2);
	if (!s)
		abort();
	memcpy(s, p->dir, n);
	s[n] = '/';
	strcpy(s + n + 1, name);
	return s;
}

static int write_file(const char *path, const struct tw_buf *b, struct tw_err *e)
{
	FILE *f = fopen(path, "we");
	if (!f)
		return tw_err_set(e, "cannot write the temporary file %s: %s", path, strerror(errno));
	fwrite(b->p, 1, b->len, f);
	int bad = ferror(f), saved = errno;
	if (fclose(f) != 0 && !bad) {
		bad = 1;
		saved = errno;
	}
	return bad ? tw_err_set(e, "cannot write the temporary file %s: %s", path, strerror(saved)) : 0;
}

/* The drawing in fd, from its start, into b. */
static int slurp(int fd, struct tw_buf *b, struct tw_err *e)
{
	char buf[65536];
	ssize_t n;
	if (lseek(fd, 0, SEEK_SET) < 0)
		return tw_err_set(e, "cannot read what gnuplot drew: %s", strerror(errno));
	while ((n = read(fd, buf, sizeof buf)) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return tw_err_set(e, "cannot read what gnuplot drew: %s", strerror(errno));
		}
		tw_buf_add(b, buf, (size_t)n);
	}
	return 0;
}

/* gnuplot's text starts with a form feed and pads its lines with
 * blanks, the last without a newline: the lines alone, each ended. */
static void tidy_text(struct tw_buf *b)
{
	size_t r = 0, w = 0;
	if (b->len && b->p[0] == '\f')
		r++;
	while (r < b->len) {
		size_t end = r;
		while (end < b->len && b->p[end] != '\n')
			end++;
		size_t keep = end;
		while (keep > r && b->p[keep - 1] == ' ')
			keep--;
		memmove(b->p + w, b->p + r, keep - r);
		w += keep - r;
		b->p[w++] = '\n';
		r = end + 1;
	}
	b->len = w;
}

static int write_all(int fd, const char *p, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int deliver(struct tw_plot *p, struct tw_err *e)
{
	const char *path = p->o.output;
	if (fsync(p->out_fd) < 0 && errno != EINVAL)
		return tw_err_set(e, "%s: %s", path, strerror(errno));
	int rc = close(p->out_fd);
	p->out_fd = -1;
	if (rc < 0)
		return tw_err_set(e, "%s: %s", path, strerror(errno));
	if (rename(p->out_tmp, path) < 0)
		return tw_err_set(e, "%s: %s", path, strerror(errno));
	free(p->out_tmp);
	p->out_tmp = NULL;
	const char *slash = strrchr(path, '/');
	char *dir = slash ? strndup(path, slash == path ? 1 : (size_t)(slash - path)) : strdup(".");
	if (!dir)
		abort();
	rc = tw_atomic_sync_dir(dir);
	free(dir);
	return rc < 0 ? tw_err_set(e, "%s: %s", path, strerror(errno)) : 0;
}

int tw_plot_render(struct tw_plot *p, struct tw_out *out, struct tw_err *e)
{
	for (size_t i = 0; i < p->ns; i++)
		close_series(p, &p->s[i]);
	if (p->write_error)
		return write_failed(p, e);
	size_t n;
	struct panel *v = panels(p, &n);
	p->st.panels = (long long)n;
	if (n == 0) {
		free(v);
		return tw_err_set(e, "nothing to plot: %lld lines read, no value to draw", p->st.lines);
	}
	struct tw_buf b = TW_BUF_INIT;
	script(p, v, n, &b);
	free(v);
	char *sp = in_dir(p, "plot.gp"), *op = NULL;
	int rc = write_file(sp, &b, e);
	tw_buf_release(&b);
	/* gnuplot writes straight into the output file, but for text,
	 * which is tidied first, and for a writer. */
	bool text = p->o.term == TW_PLOT_DUMB;
	int fd = text ? -1 : p->out_fd;
	if (rc == 0 && fd < 0) {
		op = in_dir(p, "plot.out");
		fd = open(op, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
		if (fd < 0)
			rc = tw_err_set(e, "cannot write the temporary file %s: %s", op, strerror(errno));
	}
	if (rc == 0)
		rc = run(p, sp, fd, e);
	struct stat sb;
	if (rc == 0 && fstat(fd, &sb) == 0 && sb.st_size == 0)
		rc = tw_err_set(e, "%s drew nothing", p->o.gnuplot);
	if (rc == 0 && op) {
		b = (struct tw_buf)TW_BUF_INIT;
		rc = slurp(fd, &b, e);
		if (rc == 0 && text)
			tidy_text(&b);
		if (rc == 0 && !p->o.output)
			tw_out_write(out, b.p, b.len);
		else if (rc == 0 && write_all(p->out_fd, b.p, b.len) < 0)
			rc = tw_err_set(e, "%s: %s", p->o.output, strerror(errno));
		tw_buf_release(&b);
	}
	if (rc == 0 && p->o.output)
		rc = deliver(p, e);
	if (op && fd >= 0)
		close(fd);
	free(sp);
	free(op);
	return rc;
}
