/* fmu.c - see fmu.h.
 *
 * The archive is read with libzip and every member written under a
 * folder made by mkdtemp(3) (in TMPDIR, else /tmp): the unit may read
 * its resources/ folder, whose URI it is given.  A member whose name
 * would leave the folder (absolute, or with a ".." component) is an
 * error.  modelDescription.xml is parsed with expat; dlopen(3) loads the
 * binary with RTLD_LOCAL, so that two units (or two copies of one) keep
 * their symbols apart.  Then the folder is removed at once, unless the
 * unit has resources/ (which it may read until it is freed). */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <expat.h>
#include <zip.h>

#include "fmi2.h"
#include "fmu.h"

#define MAX_XML (64u << 20)   /* bytes of modelDescription.xml read at most */

enum phase { PH_LOADED, PH_INSTANTIATED, PH_INITIALIZED, PH_ERROR, PH_FATAL };

struct tw_fmu {
	char *path;                   /* as given */
	char *dir;                    /* the unpacked archive, while it is needed */
	char *uri;                    /* of its resources folder */
	char *model_name, *guid, *id; /* id: the CoSimulation modelIdentifier */
	char *version;
	bool cosim, modex;
	struct tw_fmu_experiment exp;
	struct tw_fmu_var *var;
	char **strings;               /* every string of var[], to free */
	int nvar, capvar, nstrings, capstrings;
	void *dl;
	fmi2CallbackFunctions *cb;
	fmi2Component c;
	enum phase phase;
	struct {
		fmi2InstantiateTYPE *instantiate;
		fmi2FreeInstanceTYPE *free_instance;
		fmi2SetupExperimentTYPE *setup;
		fmi2EnterInitializationModeTYPE *enter_init;
		fmi2ExitInitializationModeTYPE *exit_init;
		fmi2TerminateTYPE *terminate;
		fmi2ResetTYPE *reset;
		fmi2GetRealTYPE *get_real;
		fmi2GetIntegerTYPE *get_integer;
		fmi2GetBooleanTYPE *get_boolean;
		fmi2SetRealTYPE *set_real;
		fmi2SetIntegerTYPE *set_integer;
		fmi2SetBooleanTYPE *set_boolean;
		fmi2DoStepTYPE *do_step;
		fmi2GetRealStatusTYPE *get_real_status;   /* optional */
	} fn;
};

static void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size);
	if (!p)
		abort();
	return p;
}

static char *xstrdup(const char *s)
{
	char *p = strdup(s);
	if (!p)
		abort();
	return p;
}

/* ---- The logger ---- */

static tw_fmu_logger_fn *logger_fn;

void tw_fmu_set_logger(tw_fmu_logger_fn *fn)
{
	logger_fn = fn;
}

static const char *status_name(fmi2Status s)
{
	static const char *const names[] = {
		"fmi2OK", "fmi2Warning", "fmi2Discard", "fmi2Error", "fmi2Fatal", "fmi2Pending"
	};
	return (unsigned)s < 6 ? names[s] : "an unknown status";
}

static void fmu_logger(fmi2ComponentEnvironment env, fmi2String instance, fmi2Status status,
		       fmi2String category, fmi2String message, ...)
{
	static const char *const levels[] = {
		"ok", "warning", "discard", "error", "fatal", "pending"
	};
	va_list ap;
	char small[512], *buf = small;
	int n;

	(void)env;
	if (!logger_fn || !message)
		return;
	va_start(ap, message);
	n = vsnprintf(small, sizeof small, message, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof small) {
		buf = xcalloc((size_t)n + 1, 1);
		va_start(ap, message);
		vsnprintf(buf, (size_t)n + 1, message, ap);
		va_end(ap);
	}
	logger_fn(instance ? instance : "", (unsigned)status < 6 ? levels[status] : "?",
		  category ? category : "", buf);
	if (buf != small)
		free(buf);
}

/* ---- The folder ---- */

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st, (void)flag, (void)ftw;
	remove(path);
	return 0;
}

static void remove_tree(const char *dir)
{
	nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* mkdir -p of the folders of rel (a relative path) under dir. */
static int make_parents(const char *dir, const char *rel)
{
	char path[PATH_MAX];
	size_t dlen = strlen(dir);

	if (dlen + 1 + strlen(rel) >= sizeof path)
		return -1;
	memcpy(path, dir, dlen);
	path[dlen] = '/';
	strcpy(path + dlen + 1, rel);
	for (char *p = path + dlen + 1; (p = strchr(p, '/')); p++) {
		*p = '\0';
		if (mkdir(path, 0700) < 0 && errno != EEXIST)
			return -1;
		*p = '/';
	}
	return 0;
}

/* A member name that stays inside the folder. */
static bool safe_name(const char *name)
{
	if (!*name || name[0] == '/')
		return false;
	for (const char *p = name; *p;) {
		size_t n = strcspn(p, "/");
		if (n == 2 && p[0] == '.' && p[1] == '.')
			return false;
		p += n;
		if (*p)
			p++;
	}
	return true;
}

static int extract(struct tw_fmu *f, zip_t *z, zip_uint64_t i, const char *name, struct tw_err *e)
{
	char path[PATH_MAX], buf[1 << 15];
	zip_file_t *zf;
	zip_int64_t n;
	int fd, rc = 0;

	if (!safe_name(name))
		return tw_err_set(e, "%s: the member '%s' would be unpacked outside its folder",
				  f->path, name);
	if (make_parents(f->dir, name) < 0 ||
	    snprintf(path, sizeof path, "%s/%s", f->dir, name) >= (int)sizeof path)
		return tw_err_set(e, "%s: cannot unpack '%s': %s", f->path, name, strerror(errno));
	if (name[strlen(name) - 1] == '/')
		return 0;               /* a folder: made by make_parents */
	if (!(zf = zip_fopen_index(z, i, 0)))
		return tw_err_set(e, "%s: %s: %s", f->path, name, zip_strerror(z));
	if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0700)) < 0) {
		zip_fclose(zf);
		return tw_err_set(e, "%s: cannot unpack '%s': %s", f->path, name, strerror(errno));
	}
	while ((n = zip_fread(zf, buf, sizeof buf)) > 0)
		if (write(fd, buf, (size_t)n) != n) {
			rc = tw_err_set(e, "%s: cannot unpack '%s': %s", f->path, name,
					strerror(errno ? errno : ENOSPC));
			break;
		}
	if (n < 0 && rc == 0)
		rc = tw_err_set(e, "%s: %s: %s", f->path, name, zip_file_strerror(zf));
	if (close(fd) < 0 && rc == 0)
		rc = tw_err_set(e, "%s: cannot unpack '%s': %s", f->path, name, strerror(errno));
	zip_fclose(zf);
	return rc;
}

static int unpack(struct tw_fmu *f, struct tw_err *e)
{
	const char *tmp = getenv("TMPDIR");
	char templ[PATH_MAX];
	zip_error_t ze;
	zip_t *z;
	int err = 0, rc = 0;
	struct stat st;

	if (stat(f->path, &st) < 0)
		return tw_err_set(e, "%s: %s", f->path, strerror(errno));
	if (S_ISDIR(st.st_mode))
		return tw_err_set(e, "%s: %s", f->path, strerror(EISDIR));
	if (!(z = zip_open(f->path, ZIP_RDONLY, &err))) {
		zip_error_init_with_code(&ze, err);
		tw_err_set(e, "%s: not a readable FMU (a zip archive): %s", f->path,
			   zip_error_strerror(&ze));
		zip_error_fini(&ze);
		return -1;
	}
	if (!tmp || !*tmp)
		tmp = "/tmp";
	if (snprintf(templ, sizeof templ, "%s/twin-fmu.XXXXXX", tmp) >= (int)sizeof templ ||
	    !mkdtemp(templ)) {
		zip_discard(z);
		return tw_err_set(e, "%s: cannot make a folder to unpack it in %s: %s", f->path, tmp,
				  strerror(errno));
	}
	f->dir = xstrdup(templ);
	zip_int64_t n = zip_get_num_entries(z, 0);
	for (zip_int64_t i = 0; i < n && rc == 0; i++) {
		const char *name = zip_get_name(z, (zip_uint64_t)i, 0);
		rc = name ? extract(f, z, (zip_uint64_t)i, name, e)
			  : tw_err_set(e, "%s: %s", f->path, zip_strerror(z));
	}
	zip_discard(z);
	return rc;
}

/* ---- modelDescription.xml ---- */

struct parse {
	struct tw_fmu *f;
	XML_Parser p;
	struct tw_err *e;
	int failed;
	bool root_seen, in_vars, in_var;
	int depth;
};

static char *keep(struct tw_fmu *f, const char *s)
{
	if (f->nstrings == f->capstrings) {
		f->capstrings = f->capstrings ? 2 * f->capstrings : 64;
		f->strings = realloc(f->strings, (size_t)f->capstrings * sizeof *f->strings);
		if (!f->strings)
			abort();
	}
	return f->strings[f->nstrings++] = xstrdup(s);
}

static const char *attr(const XML_Char **a, const char *name)
{
	for (; a[0]; a += 2)
		if (strcmp(a[0], name) == 0)
			return a[1];
	return NULL;
}

static void parse_fail(struct parse *ps, const char *fmt, const char *what)
{
	char msg[300];

	if (ps->failed)
		return;
	ps->failed = 1;
	snprintf(msg, sizeof msg, fmt, what);
	tw_err_set(ps->e, "%s: modelDescription.xml:%lu: %s", ps->f->path,
		   (unsigned long)XML_GetCurrentLineNumber(ps->p), msg);
	XML_StopParser(ps->p, XML_FALSE);
}

/* An attribute that is a number, into *v (left alone when absent). */
static void number_attr(struct parse *ps, const XML_Char **a, const char *name, double *v)
{
	const char *s = attr(a, name);
	char *end;

	if (!s)
		return;
	errno = 0;
	double x = strtod(s, &end);
	if (end == s || *end || errno == ERANGE)
		parse_fail(ps, "the attribute %s is not a number", name);
	else
		*v = x;
}

static int pick(const char *s, const char *const *names)
{
	for (int i = 0; names[i]; i++)
		if (strcmp(s, names[i]) == 0)
			return i;
	return -1;
}

static const char *const CAUSALITIES[] = {
	"parameter", "calculatedParameter", "input", "output", "local", "independent", NULL
};
static const char *const VARIABILITIES[] = {
	"constant", "fixed", "tunable", "discrete", "continuous", NULL
};
static const char *const TYPES[] = { "Real", "Integer", "Boolean", "Enumeration", "String", NULL };

static void scalar_variable(struct parse *ps, const XML_Char **a)
{
	struct tw_fmu *f = ps->f;
	const char *name = attr(a, "name"), *vr = attr(a, "valueReference");
	const char *caus = attr(a, "causality"), *varb = attr(a, "variability");
	struct tw_fmu_var *v;
	char *end;
	int k;

	if (!name || !*name) {
		parse_fail(ps, "a ScalarVariable without a %s", "name");
		return;
	}
	if (!vr) {
		parse_fail(ps, "the ScalarVariable %s has no valueReference", name);
		return;
	}
	if (f->nvar == f->capvar) {
		f->capvar = f->capvar ? 2 * f->capvar : 32;
		f->var = realloc(f->var, (size_t)f->capvar * sizeof *f->var);
		if (!f->var)
			abort();
	}
	v = &f->var[f->nvar++];
	memset(v, 0, sizeof *v);
	v->name = keep(f, name);
	v->min = v->max = v->start = NAN;
	v->type = TW_FMU_STRING;      /* until its type element says */
	v->causality = TW_FMU_LOCAL;
	v->variability = TW_FMU_CONTINUOUS;
	errno = 0;
	unsigned long r = strtoul(vr, &end, 10);
	if (end == vr || *end || errno || r > UINT_MAX) {
		parse_fail(ps, "the valueReference of %s is not a whole number", name);
		return;
	}
	v->vr = (unsigned)r;
	if (caus) {
		if ((k = pick(caus, CAUSALITIES)) < 0) {
			parse_fail(ps, "unknown causality '%s'", caus);
			return;
		}
		v->causality = (enum tw_fmu_causality)k;
	}
	if (varb) {
		if ((k = pick(varb, VARIABILITIES)) < 0) {
			parse_fail(ps, "unknown variability '%s'", varb);
			return;
		}
		v->variability = (enum tw_fmu_variability)k;
	}
	if (v->causality == TW_FMU_PARAMETER && !varb)
		v->variability = TW_FMU_FIXED;   /* continuous is not allowed: a common omission */
	ps->in_var = true;
}

static void type_element(struct parse *ps, const XML_Char *el, const XML_Char **a)
{
	struct tw_fmu_var *v = &ps->f->var[ps->f->nvar - 1];
	const char *start = attr(a, "start"), *unit = attr(a, "unit");
	int k = pick(el, TYPES);

	if (k < 0)
		return;                 /* annotations and the like */
	v->type = (enum tw_fmu_type)k;
	if (unit && *unit)
		v->unit = keep(ps->f, unit);
	number_attr(ps, a, "min", &v->min);
	number_attr(ps, a, "max", &v->max);
	if (!start || v->type == TW_FMU_STRING)
		return;
	v->has_start = true;
	if (v->type == TW_FMU_BOOLEAN) {
		if (strcmp(start, "true") == 0 || strcmp(start, "1") == 0)
			v->start = 1;
		else if (strcmp(start, "false") == 0 || strcmp(start, "0") == 0)
			v->start = 0;
		else
			parse_fail(ps, "the start of a Boolean is '%s', not true or false", start);
	} else
		number_attr(ps, a, "start", &v->start);
}

static void XMLCALL on_start(void *data, const XML_Char *el, const XML_Char **a)
{
	struct parse *ps = data;
	struct tw_fmu *f = ps->f;
	const char *s;

	ps->depth++;
	if (ps->failed)
		return;
	if (ps->depth == 1) {
		if (strcmp(el, "fmiModelDescription") != 0) {
			parse_fail(ps, "the root element is %s, not fmiModelDescription", el);
			return;
		}
		ps->root_seen = true;
		f->version = keep(f, (s = attr(a, "fmiVersion")) ? s : "");
		f->model_name = keep(f, (s = attr(a, "modelName")) ? s : "");
		f->guid = keep(f, (s = attr(a, "guid")) ? s : "");
		return;
	}
	if (ps->depth == 2) {
		if (strcmp(el, "CoSimulation") == 0) {
			f->cosim = true;
			if ((s = attr(a, "modelIdentifier")))
				f->id = keep(f, s);
		} else if (strcmp(el, "ModelExchange") == 0)
			f->modex = true;
		else if (strcmp(el, "DefaultExperiment") == 0) {
			number_attr(ps, a, "startTime", &f->exp.start);
			number_attr(ps, a, "stopTime", &f->exp.stop);
			number_attr(ps, a, "tolerance", &f->exp.tolerance);
			number_attr(ps, a, "stepSize", &f->exp.step);
		} else if (strcmp(el, "ModelVariables") == 0)
			ps->in_vars = true;
		return;
	}
	if (ps->depth == 3 && ps->in_vars && strcmp(el, "ScalarVariable") == 0)
		scalar_variable(ps, a);
	else if (ps->depth == 4 && ps->in_var)
		type_element(ps, el, a);
}

static void XMLCALL on_end(void *data, const XML_Char *el)
{
	struct parse *ps = data;

	(void)el;
	if (ps->depth == 2)
		ps->in_vars = false;
	if (ps->depth == 3)
		ps->in_var = false;
	ps->depth--;
}

static int read_description(struct tw_fmu *f, struct tw_err *e)
{
	char path[PATH_MAX];
	struct parse ps = { f, NULL, e, 0, false, false, false, 0 };
	struct stat st;
	FILE *in;
	char *buf;
	size_t n;
	int rc = 0;

	snprintf(path, sizeof path, "%s/modelDescription.xml", f->dir);
	if (!(in = fopen(path, "rb")))
		return tw_err_set(e, "%s: no modelDescription.xml in the archive", f->path);
	if (fstat(fileno(in), &st) < 0 || !S_ISREG(st.st_mode) || st.st_size > MAX_XML) {
		fclose(in);
		return tw_err_set(e, "%s: modelDescription.xml: %s", f->path,
				  S_ISREG(st.st_mode) ? "too large" : "not a file");
	}
	buf = xcalloc((size_t)st.st_size + 1, 1);
	n = fread(buf, 1, (size_t)st.st_size, in);
	if (ferror(in)) {
		fclose(in);
		free(buf);
		return tw_err_set(e, "%s: modelDescription.xml: cannot be read", f->path);
	}
	fclose(in);
	ps.p = XML_ParserCreate(NULL);
	if (!ps.p)
		abort();
	XML_SetUserData(ps.p, &ps);
	XML_SetElementHandler(ps.p, on_start, on_end);
	if (XML_Parse(ps.p, buf, (int)n, XML_TRUE) == XML_STATUS_ERROR && !ps.failed)
		rc = tw_err_set(e, "%s: modelDescription.xml:%lu:%lu: %s", f->path,
				(unsigned long)XML_GetCurrentLineNumber(ps.p),
				(unsigned long)XML_GetCurrentColumnNumber(ps.p) + 1,
				XML_ErrorString(XML_GetErrorCode(ps.p)));
	if (ps.failed)
		rc = -1;
	XML_ParserFree(ps.p);
	free(buf);
	if (rc < 0)
		return -1;
	if (strcmp(f->version, "2.0") != 0)
		return tw_err_set(e, "%s: modelDescription.xml: fmiVersion \"%s\": only FMI 2.0 is "
				  "supported", f->path, f->version);
	if (!f->cosim)
		return tw_err_set(e, "%s: not a co-simulation unit (no CoSimulation element%s)",
				  f->path, f->modex ? ": model exchange only" : "");
	if (!f->id || !*f->id)
		return tw_err_set(e, "%s: modelDescription.xml: CoSimulation has no "
				  "modelIdentifier", f->path);
	for (int i = 0; i < f->nvar; i++)
		for (int j = 0; j < i; j++)
			if (strcmp(f->var[i].name, f->var[j].name) == 0)
				return tw_err_set(e, "%s: modelDescription.xml: two variables named "
						  "'%s'", f->path, f->var[i].name);
	return 0;
}

/* ---- The binary ---- */

static int load_binary(struct tw_fmu *f, struct tw_err *e)
{
	char path[PATH_MAX];
	struct stat st;

	if (strchr(f->id, '/') || strcmp(f->id, "..") == 0)
		return tw_err_set(e, "%s: the modelIdentifier '%s' is not a file name", f->path, f->id);
	if (snprintf(path, sizeof path, "%s/binaries/linux64/%s.so", f->dir, f->id) >= (int)sizeof path)
		return tw_err_set(e, "%s: the modelIdentifier is too long", f->path);
	if (stat(path, &st) < 0)
		return tw_err_set(e, "%s: no binary for linux64 (binaries/linux64/%s.so): the unit "
				  "cannot run on this machine", f->path, f->id);
	dlerror();
	if (!(f->dl = dlopen(path, RTLD_NOW | RTLD_LOCAL))) {
		const char *why = dlerror();
		return tw_err_set(e, "%s: cannot load binaries/linux64/%s.so: %s", f->path, f->id,
				  why ? why : "dlopen failed");
	}
	struct { const char *name; void *slot; bool optional; } syms[] = {
		{ "fmi2Instantiate", &f->fn.instantiate, false },
		{ "fmi2FreeInstance", &f->fn.free_instance, false },
		{ "fmi2SetupExperiment", &f->fn.setup, false },
		{ "fmi2EnterInitializationMode", &f->fn.enter_init, false },
		{ "fmi2ExitInitializationMode", &f->fn.exit_init, false },
		{ "fmi2Terminate", &f->fn.terminate, false },
		{ "fmi2Reset", &f->fn.reset, false },
		{ "fmi2GetReal", &f->fn.get_real, false },
		{ "fmi2GetInteger", &f->fn.get_integer, false },
		{ "fmi2GetBoolean", &f->fn.get_boolean, false },
		{ "fmi2SetReal", &f->fn.set_real, false },
		{ "fmi2SetInteger", &f->fn.set_integer, false },
		{ "fmi2SetBoolean", &f->fn.set_boolean, false },
		{ "fmi2DoStep", &f->fn.do_step, false },
		{ "fmi2GetRealStatus", &f->fn.get_real_status, true },
	};
	for (size_t i = 0; i < sizeof syms / sizeof *syms; i++) {
		/* A function pointer from dlsym's object pointer (POSIX). */
		void *p = dlsym(f->dl, syms[i].name);
		memcpy(syms[i].slot, &p, sizeof p);
		if (!p && !syms[i].optional)
			return tw_err_set(e, "%s: binaries/linux64/%s.so has no function %s", f->path,
					  f->id, syms[i].name);
	}
	return 0;
}

/* ---- Opening and closing ---- */

struct tw_fmu *tw_fmu_open(const char *path, struct tw_err *e)
{
	struct tw_fmu *f = xcalloc(1, sizeof *f);

	f->path = xstrdup(path);
	f->exp = (struct tw_fmu_experiment){ NAN, NAN, NAN, NAN };
	f->phase = PH_LOADED;
	if (unpack(f, e) < 0 || read_description(f, e) < 0 || load_binary(f, e) < 0) {
		tw_fmu_close(f);
		return NULL;
	}
	/* The URI the standard asks for, of a folder that may not exist. */
	size_t n = strlen(f->dir) + sizeof "file:///resources";
	f->uri = xcalloc(n, 1);
	snprintf(f->uri, n, "file://%s/resources", f->dir);
	/* Loaded, the binary needs its file no more: without resources to
	 * read, the folder goes now, so that a run killed (by SIGPIPE after
	 * | head, say) leaves nothing behind. */
	char res[PATH_MAX];
	struct stat st;
	snprintf(res, sizeof res, "%s/resources", f->dir);
	if (stat(res, &st) < 0) {
		remove_tree(f->dir);
		free(f->dir);
		f->dir = NULL;
	}
	return f;
}

void tw_fmu_close(struct tw_fmu *f)
{
	if (!f)
		return;
	if (f->c && f->phase == PH_INITIALIZED)
		f->fn.terminate(f->c);
	if (f->c && f->phase != PH_FATAL)
		f->fn.free_instance(f->c);
	if (f->dl)
		dlclose(f->dl);
	if (f->dir) {
		remove_tree(f->dir);
		free(f->dir);
	}
	for (int i = 0; i < f->nstrings; i++)
		free(f->strings[i]);
	free(f->strings);
	free(f->var);
	free(f->cb);
	free(f->uri);
	free(f->path);
	free(f);
}

const char *tw_fmu_path(const struct tw_fmu *f) { return f->path; }
const char *tw_fmu_model_name(const struct tw_fmu *f) { return f->model_name; }
struct tw_fmu_experiment tw_fmu_default_experiment(const struct tw_fmu *f) { return f->exp; }
int tw_fmu_nvars(const struct tw_fmu *f) { return f->nvar; }
const struct tw_fmu_var *tw_fmu_var(const struct tw_fmu *f, int i) { return &f->var[i]; }

int tw_fmu_find(const struct tw_fmu *f, const char *name)
{
	for (int i = 0; i < f->nvar; i++)
		if (strcmp(f->var[i].name, name) == 0)
			return i;
	return -1;
}

const char *tw_fmu_type_name(enum tw_fmu_type t)
{
	return (unsigned)t < 5 ? TYPES[t] : "?";
}

const char *tw_fmu_causality_name(enum tw_fmu_causality c)
{
	return (unsigned)c < 6 ? CAUSALITIES[c] : "?";
}

/* ---- Calls ---- */

/* The unit's state allows a call. */
static int usable(const struct tw_fmu *f, const char *fn, struct tw_err *e)
{
	if (f->phase == PH_ERROR || f->phase == PH_FATAL)
		return tw_err_set(e, "%s: %s: the unit failed before (%s)", f->path, fn,
				  f->phase == PH_FATAL ? "fmi2Fatal" : "fmi2Error");
	return 0;
}

/* The status of call fn (at time t, unless NAN): fmi2OK and fmi2Warning
 * pass. */
static int check(struct tw_fmu *f, const char *fn, double t, fmi2Status s, struct tw_err *e)
{
	char at[64] = "";

	if (s == fmi2OK || s == fmi2Warning)
		return 0;
	if (s == fmi2Error)
		f->phase = PH_ERROR;
	else if (s == fmi2Fatal)
		f->phase = PH_FATAL;
	if (!isnan(t))
		snprintf(at, sizeof at, " at t=%.17g s", t);
	if (s == fmi2Pending)
		return tw_err_set(e, "%s: %s%s returned fmi2Pending (asynchronous steps are not "
				  "supported)", f->path, fn, at);
	return tw_err_set(e, "%s: %s%s returned %s", f->path, fn, at, status_name(s));
}

int tw_fmu_instantiate(struct tw_fmu *f, struct tw_err *e)
{
	fmi2CallbackFunctions cb = { fmu_logger, calloc, free, NULL, f };

	if (f->c)
		return 0;
	if (!f->cb) {
		f->cb = xcalloc(1, sizeof *f->cb);
		memcpy(f->cb, &cb, sizeof cb);
	}
	f->c = f->fn.instantiate(f->model_name[0] ? f->model_name : f->id, fmi2CoSimulation,
				 f->guid, f->uri, f->cb, fmi2False, fmi2False);
	if (!f->c)
		return tw_err_set(e, "%s: fmi2Instantiate failed", f->path);
	f->phase = PH_INSTANTIATED;
	return 0;
}

int tw_fmu_init(struct tw_fmu *f, double t0, struct tw_err *e)
{
	bool tol = isfinite(f->exp.tolerance) && f->exp.tolerance > 0;

	if (usable(f, "fmi2SetupExperiment", e) < 0)
		return -1;
	if (check(f, "fmi2SetupExperiment", NAN,
		  f->fn.setup(f->c, tol, tol ? f->exp.tolerance : 0, t0, fmi2False, 0), e) < 0 ||
	    check(f, "fmi2EnterInitializationMode", NAN, f->fn.enter_init(f->c), e) < 0 ||
	    check(f, "fmi2ExitInitializationMode", NAN, f->fn.exit_init(f->c), e) < 0)
		return -1;
	f->phase = PH_INITIALIZED;
	return 0;
}

int tw_fmu_reset(struct tw_fmu *f, struct tw_err *e)
{
	/* The one call, with fmi2FreeInstance, allowed after fmi2Error. */
	if (f->phase == PH_FATAL && usable(f, "fmi2Reset", e) < 0)
		return -1;
	if (check(f, "fmi2Reset", NAN, f->fn.reset(f->c), e) < 0)
		return -1;
	f->phase = PH_INSTANTIATED;
	return 0;
}

int tw_fmu_set(struct tw_fmu *f, int i, double v, struct tw_err *e)
{
	const struct tw_fmu_var *x = &f->var[i];
	fmi2ValueReference vr = x->vr;
	fmi2Status s;

	if (usable(f, "setting a value", e) < 0)
		return -1;
	switch (x->type) {
	case TW_FMU_REAL: {
		fmi2Real r = v;
		s = f->fn.set_real(f->c, &vr, 1, &r);
		return check(f, "fmi2SetReal", NAN, s, e);
	}
	case TW_FMU_INTEGER:
	case TW_FMU_ENUMERATION: {
		double w = nearbyint(v);
		if (!(w >= INT_MIN && w <= INT_MAX))
			return tw_err_set(e, "%s: %s: %.17g is not an Integer", f->path, x->name, v);
		fmi2Integer n = (fmi2Integer)w;
		s = f->fn.set_integer(f->c, &vr, 1, &n);
		return check(f, "fmi2SetInteger", NAN, s, e);
	}
	case TW_FMU_BOOLEAN: {
		fmi2Boolean b = v != 0 ? fmi2True : fmi2False;
		s = f->fn.set_boolean(f->c, &vr, 1, &b);
		return check(f, "fmi2SetBoolean", NAN, s, e);
	}
	default:
		return tw_err_set(e, "%s: %s is a String: not supported", f->path, x->name);
	}
}

int tw_fmu_get(struct tw_fmu *f, int i, double *v, struct tw_err *e)
{
	const struct tw_fmu_var *x = &f->var[i];
	fmi2ValueReference vr = x->vr;
	fmi2Status s;

	if (usable(f, "getting a value", e) < 0)
		return -1;
	switch (x->type) {
	case TW_FMU_REAL: {
		fmi2Real r = NAN;
		s = f->fn.get_real(f->c, &vr, 1, &r);
		*v = r;
		return check(f, "fmi2GetReal", NAN, s, e);
	}
	case TW_FMU_INTEGER:
	case TW_FMU_ENUMERATION: {
		fmi2Integer n = 0;
		s = f->fn.get_integer(f->c, &vr, 1, &n);
		*v = n;
		return check(f, "fmi2GetInteger", NAN, s, e);
	}
	case TW_FMU_BOOLEAN: {
		fmi2Boolean b = fmi2False;
		s = f->fn.get_boolean(f->c, &vr, 1, &b);
		*v = b ? 1 : 0;
		return check(f, "fmi2GetBoolean", NAN, s, e);
	}
	default:
		return tw_err_set(e, "%s: %s is a String: not supported", f->path, x->name);
	}
}

int tw_fmu_step(struct tw_fmu *f, double t, double h, struct tw_err *e)
{
	fmi2Status s;

	if (usable(f, "fmi2DoStep", e) < 0)
		return -1;
	s = f->fn.do_step(f->c, t, h, fmi2True);
	if (s == fmi2Discard && f->fn.get_real_status) {
		fmi2Real last = NAN;
		if (f->fn.get_real_status(f->c, fmi2LastSuccessfulTime, &last) == fmi2OK)
			return tw_err_set(e, "%s: fmi2DoStep at t=%.17g s returned fmi2Discard (the "
					  "unit stopped at t=%.17g s)", f->path, t, last);
	}
	return check(f, "fmi2DoStep", t, s, e);
}
