/* test_fmu.c - FMI 2.0 units: archives, model descriptions, the calling
 * sequence (over testdata/fmu/thermal.fmu, which make check builds; the
 * tests that need it are skipped when it is absent). */
#include <dirent.h>
#include <math.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <zip.h>

#include "check.h"
#include "fmu.h"

static char dir[] = "/tmp/test_fmu.XXXXXX";
static char unpack_dir[4096];

/* Writes an archive at path with members name[i] = text[i] (n of them). */
static void make_zip(const char *path, int n, const char *const *name, const char *const *text)
{
	int err;
	zip_t *z = zip_open(path, ZIP_CREATE | ZIP_TRUNCATE, &err);

	if (!z) {
		fprintf(stderr, "%s: cannot create (%d)\n", path, err);
		exit(2);
	}
	for (int i = 0; i < n; i++) {
		zip_source_t *s = zip_source_buffer(z, text[i], strlen(text[i]), 0);
		if (!s || zip_file_add(z, name[i], s, ZIP_FL_ENC_UTF_8) < 0) {
			fprintf(stderr, "%s: %s\n", path, zip_strerror(z));
			exit(2);
		}
	}
	if (zip_close(z) < 0) {
		fprintf(stderr, "%s: %s\n", path, zip_strerror(z));
		exit(2);
	}
}

/* The message opening an archive of one modelDescription.xml gives. */
static const char *open_xml(const char *xml)
{
	static struct tw_err e;
	const char *name[] = { "modelDescription.xml" }, *text[] = { xml };
	struct tw_fmu *f;

	make_zip("t.fmu", 1, name, text);
	f = tw_fmu_open("t.fmu", &e);
	if (f) {
		tw_fmu_close(f);
		return "OK";
	}
	return e.msg;
}

/* The number of entries in the folder units are unpacked in. */
static int leftovers(void)
{
	DIR *d = opendir(unpack_dir);
	struct dirent *de;
	int n = 0;

	if (!d)
		return -1;
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
			n++;
	closedir(d);
	return n;
}

#define HEAD "<?xml version=\"1.0\"?>\n<fmiModelDescription fmiVersion=\"2.0\" modelName=\"m\" guid=\"g\">\n"
#define CS "<CoSimulation modelIdentifier=\"m\"/>\n"

static void test_archives(void)
{
	struct tw_err e;
	const char *evil[] = { "modelDescription.xml", "../evil" };
	const char *abs[] = { "/tmp/evil" };
	const char *text[] = { HEAD CS "</fmiModelDescription>\n", "x" };

	make_zip("slip.fmu", 2, evil, text);
	CHECK(tw_fmu_open("slip.fmu", &e) == NULL);
	CHECK_STR(e.msg, "slip.fmu: the member '../evil' would be unpacked outside its folder");
	CHECK(access("../evil", F_OK) != 0);
	make_zip("abs.fmu", 1, abs, text);
	CHECK(tw_fmu_open("abs.fmu", &e) == NULL);
	CHECK_STR(e.msg, "abs.fmu: the member '/tmp/evil' would be unpacked outside its folder");
	const char *other[] = { "README" };
	make_zip("empty.fmu", 1, other, text);
	CHECK(tw_fmu_open("empty.fmu", &e) == NULL);
	CHECK_STR(e.msg, "empty.fmu: no modelDescription.xml in the archive");
	CHECK(tw_fmu_open("absent.fmu", &e) == NULL);
	CHECK_STR(e.msg, "absent.fmu: No such file or directory");
	CHECK(tw_fmu_open(".", &e) == NULL);
	CHECK_STR(e.msg, ".: Is a directory");
	CHECK_INT(leftovers(), 0);
}

static void test_descriptions(void)
{
	CHECK_STR(open_xml("<fmiModelDescription fmiVersion=\"2.0\""),
		  "t.fmu: modelDescription.xml:1:1: unclosed token");
	CHECK_STR(open_xml("<x/>"), "t.fmu: modelDescription.xml:1: the root element is x, not "
		  "fmiModelDescription");
	CHECK_STR(open_xml("<fmiModelDescription fmiVersion=\"3.0\">" CS "</fmiModelDescription>"),
		  "t.fmu: modelDescription.xml: fmiVersion \"3.0\": only FMI 2.0 is supported");
	CHECK_STR(open_xml(HEAD "<ModelExchange modelIdentifier=\"m\"/></fmiModelDescription>"),
		  "t.fmu: not a co-simulation unit (no CoSimulation element: model exchange only)");
	CHECK_STR(open_xml(HEAD "</fmiModelDescription>"),
		  "t.fmu: not a co-simulation unit (no CoSimulation element)");
	CHECK_STR(open_xml(HEAD "<CoSimulation/></fmiModelDescription>"),
		  "t.fmu: modelDescription.xml: CoSimulation has no modelIdentifier");
	CHECK_STR(open_xml(HEAD "<CoSimulation modelIdentifier=\"../m\"/></fmiModelDescription>"),
		  "t.fmu: the modelIdentifier '../m' is not a file name");
	CHECK_STR(open_xml(HEAD CS "<ModelVariables>\n<ScalarVariable name=\"x\" valueReference=\"-1\">"
			   "<Real/></ScalarVariable></ModelVariables></fmiModelDescription>"),
		  "t.fmu: modelDescription.xml:5: the valueReference of x is not a whole number");
	CHECK_STR(open_xml(HEAD CS "<ModelVariables>\n<ScalarVariable name=\"x\" valueReference=\"1\" "
			   "causality=\"outptu\"><Real/></ScalarVariable></ModelVariables>"
			   "</fmiModelDescription>"),
		  "t.fmu: modelDescription.xml:5: unknown causality 'outptu'");
	CHECK_STR(open_xml(HEAD CS "<ModelVariables>\n<ScalarVariable name=\"x\" valueReference=\"1\">"
			   "<Real start=\"1x\"/></ScalarVariable></ModelVariables></fmiModelDescription>"),
		  "t.fmu: modelDescription.xml:5: the attribute start is not a number");
	CHECK_STR(open_xml(HEAD CS "<ModelVariables>\n<ScalarVariable name=\"x\" valueReference=\"1\">"
			   "<Boolean start=\"yes\"/></ScalarVariable></ModelVariables>"
			   "</fmiModelDescription>"),
		  "t.fmu: modelDescription.xml:5: the start of a Boolean is 'yes', not true or false");
	CHECK_STR(open_xml(HEAD CS "<ModelVariables>\n<ScalarVariable name=\"x\" valueReference=\"1\">"
			   "<Real/></ScalarVariable><ScalarVariable name=\"x\" valueReference=\"2\">"
			   "<Real/></ScalarVariable></ModelVariables></fmiModelDescription>"),
		  "t.fmu: modelDescription.xml: two variables named 'x'");
	CHECK_STR(open_xml(HEAD CS "</fmiModelDescription>"),
		  "t.fmu: no binary for linux64 (binaries/linux64/m.so): the unit cannot run on this "
		  "machine");
	CHECK_INT(leftovers(), 0);
}

static int logged;
static void count_log(const char *instance, const char *status, const char *category,
		      const char *message)
{
	(void)instance, (void)category, (void)message;
	if (strcmp(status, "error") == 0)
		logged++;
}

/* The calling sequence over the thermal unit of testdata/fmu. */
static void test_thermal(const char *path)
{
	struct tw_err e = { "" };
	struct tw_fmu *f = tw_fmu_open(path, &e);
	double v = 0;

	CHECK_STR(e.msg, "");
	if (!f)
		return;
	CHECK_INT(leftovers(), 0);    /* no resources: the folder went at once */
	CHECK_STR(tw_fmu_model_name(f), "thermal");
	CHECK_INT(tw_fmu_nvars(f), 7);
	struct tw_fmu_experiment x = tw_fmu_default_experiment(f);
	CHECK(x.start == 0 && x.stop == 1000 && x.step == 1 && isnan(x.tolerance));
	int r = tw_fmu_find(f, "R"), on = tw_fmu_find(f, "on"), t = tw_fmu_find(f, "T");
	CHECK(r >= 0 && on >= 0 && t >= 0 && tw_fmu_find(f, "nosuch") == -1);
	if (r < 0 || on < 0 || t < 0) {
		tw_fmu_close(f);
		return;
	}
	const struct tw_fmu_var *vr = tw_fmu_var(f, r), *von = tw_fmu_var(f, on);
	CHECK(vr->type == TW_FMU_REAL && vr->causality == TW_FMU_PARAMETER &&
	      vr->variability == TW_FMU_TUNABLE && vr->vr == 1);
	CHECK(vr->has_start && vr->start == 0.05 && vr->min == 1e-4 && vr->max == 10);
	CHECK_STR(vr->unit, "K/W");
	CHECK(von->type == TW_FMU_BOOLEAN && von->causality == TW_FMU_INPUT && von->start == 1);
	CHECK(tw_fmu_var(f, t)->unit && strcmp(tw_fmu_var(f, t)->unit, "degC") == 0);

	/* One step of 460 s, the time constant: 63 % of the way to 75. */
	CHECK_INT(tw_fmu_instantiate(f, &e), 0);
	CHECK_INT(tw_fmu_init(f, 0, &e), 0);
	CHECK_INT(tw_fmu_get(f, t, &v, &e), 0);
	CHECK(v == 25);
	CHECK_INT(tw_fmu_step(f, 0, 460, &e), 0);
	CHECK_INT(tw_fmu_get(f, t, &v, &e), 0);
	CHECK(fabs(v - (75 - 50 * exp(-1))) < 1e-12);
	/* Started again, heating off: it stays at 25. */
	CHECK_INT(tw_fmu_reset(f, &e), 0);
	CHECK_INT(tw_fmu_set(f, on, 0, &e), 0);
	CHECK_INT(tw_fmu_init(f, 0, &e), 0);
	CHECK_INT(tw_fmu_step(f, 0, 460, &e), 0);
	CHECK_INT(tw_fmu_get(f, t, &v, &e), 0);
	CHECK(v == 25);
	CHECK_INT(tw_fmu_get(f, on, &v, &e), 0);
	CHECK(v == 0);
	/* The unit's own error: a step at the wrong time. */
	CHECK_INT(tw_fmu_step(f, 5, 1, &e), -1);
	CHECK_STR(e.msg, "testdata/fmu/thermal.fmu: fmi2DoStep at t=5 s returned fmi2Error");
	CHECK_INT(logged, 1);   /* the unit said why, through the logger */
	CHECK_INT(tw_fmu_step(f, 460, 1, &e), -1);
	CHECK_STR(e.msg, "testdata/fmu/thermal.fmu: fmi2DoStep: the unit failed before (fmi2Error)");
	tw_fmu_close(f);
	CHECK_INT(leftovers(), 0);
}

/* A copy of the thermal unit with a resources folder: the unpacked
 * folder stays while the unit is open. */
static void test_resources(const char *path)
{
	char copy[4096], buf[1 << 16];
	struct tw_err e;
	FILE *in = fopen(path, "rb"), *out;
	size_t n;
	int err;

	snprintf(copy, sizeof copy, "%s/res.fmu", dir);
	if (!in || !(out = fopen(copy, "wb"))) {
		perror(copy);
		exit(2);
	}
	while ((n = fread(buf, 1, sizeof buf, in)) > 0)
		fwrite(buf, 1, n, out);
	fclose(in);
	if (fclose(out) != 0) {
		perror(copy);
		exit(2);
	}
	zip_t *z = zip_open(copy, 0, &err);
	zip_source_t *src = z ? zip_source_buffer(z, "note", 4, 0) : NULL;
	if (!src || zip_file_add(z, "resources/note.txt", src, 0) < 0 || zip_close(z) < 0) {
		fprintf(stderr, "%s: cannot add a resource\n", copy);
		exit(2);
	}
	struct tw_fmu *f = tw_fmu_open(copy, &e);
	CHECK(f != NULL);
	CHECK_INT(leftovers(), 1);
	CHECK_INT(tw_fmu_instantiate(f, &e), 0);
	tw_fmu_close(f);
	CHECK_INT(leftovers(), 0);
	remove(copy);
}

int main(void)
{
	char cwd[4096];
	const char *thermal = "testdata/fmu/thermal.fmu";

	if (!getcwd(cwd, sizeof cwd) || !mkdtemp(dir)) {
		perror("test_fmu");
		return 2;
	}
	snprintf(unpack_dir, sizeof unpack_dir, "%s/tmp", dir);
	if (mkdir(unpack_dir, 0700) < 0 || setenv("TMPDIR", unpack_dir, 1) < 0) {
		perror(unpack_dir);
		return 2;
	}
	tw_fmu_set_logger(count_log);
	if (access(thermal, R_OK) == 0) {
		test_thermal(thermal);
		test_resources(thermal);
	} else
		fprintf(stderr, "test_fmu: %s not built: its tests skipped\n", thermal);
	if (chdir(dir) < 0) {
		perror(dir);
		return 2;
	}
	test_archives();
	test_descriptions();
	remove("t.fmu"), remove("slip.fmu"), remove("abs.fmu"), remove("empty.fmu");
	rmdir(unpack_dir);
	if (chdir(cwd) < 0 || rmdir(dir) < 0)
		perror(dir);
	return check_done("test_fmu");
}
