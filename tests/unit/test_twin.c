/* test_twin.c - loading and checking twin descriptions. */
#include <math.h>
#include <stdlib.h>
#include <unistd.h>

#include "check.h"
#include "expr.h"
#include "rules.h"
#include "twin.h"

static char dir[] = "/tmp/test_twin.XXXXXX";
static char cwd[4096];

/* Writes text to t.json in the test directory (the current one), so that
 * messages start with "t.json". */
static void put(const char *text)
{
	FILE *f = fopen("t.json", "w");

	if (!f || fputs(text, f) == EOF || fclose(f) != 0) {
		perror("t.json");
		exit(2);
	}
}

/* The message loading text gives, or "OK". */
static const char *err(const char *text)
{
	static struct tw_err e;
	struct tw_twin *t;

	put(text);
	t = tw_twin_load("t.json", &e);
	if (t) {
		tw_twin_free(t);
		return "OK";
	}
	return e.msg;
}

static const char FULL[] =
	"{\n"
	"  \"name\": \"pump station 3\",\n"
	"  \"comment\": [\"any JSON\", 1],\n"
	"  \"assets\": {\n"
	"    \"comment\": \"the pumps\",\n"
	"    \"pump-1\": {\n"
	"      \"comment\": \"the old one\",\n"
	"      \"sensors\": {\n"
	"        \"temp_c\": {\"unit\": \"degC\", \"min\": -20, \"max\": 150, \"period\": \"1s\",\n"
	"                   \"deadband\": 0.1, \"stale_after\": \"5s\", \"comment\": \"PT100\"},\n"
	"        \"rpm\": {\"unit\": \"1/min\", \"min\": 0, \"max\": 3000.5, \"period\": 0.25},\n"
	"        \"state\": {}\n"
	"      },\n"
	"      \"derived\": {\"temp_f\": \"temp_c * 9 / 5 + 32\", \"score.x\": \"rpm > 0\"}\n"
	"    },\n"
	"    \"pump-*\": {\"sensors\": {\"temp_c\": {\"max\": 100}}},\n"
	"    \"pump-?\": {\"sensors\": {\"temp_c\": {\"max\": 90}}},\n"
	"    \"pump-2\": {\"derived\": {\"comment\": \"none\"}},\n"
	"    \"*\": {}\n"
	"  },\n"
	"  \"model\": {\"states\": {\"T\": 20}},\n"
	"  \"detect\": [1, 2],\n"
	"  \"rules\": \"anything\",\n"
	"  \"targets\": null\n"
	"}\n";

static void full(void)
{
	struct tw_err e;
	struct tw_twin *t;
	const struct tw_asset_spec *a;
	const struct tw_sensor_spec *s;

	put(FULL);
	t = tw_twin_load("t.json", &e);
	CHECK(t != NULL);
	if (!t) {
		fprintf(stderr, "    %s\n", e.msg);
		return;
	}
	CHECK_STR(t->path, "t.json");
	CHECK_STR(t->name, "pump station 3");
	CHECK_INT(t->nassets, 5);
	a = &t->assets[0];
	CHECK_STR(a->pattern, "pump-1");
	CHECK(!a->is_pattern);
	CHECK_INT(a->nsensors, 3);
	s = &a->sensors[0];
	CHECK_STR(s->name, "temp_c");
	CHECK_STR(s->unit, "degC");
	CHECK(s->min == -20 && s->max == 150);
	CHECK(s->period_ns == 1000000000);
	CHECK(s->stale_after_ns == 5000000000);
	CHECK(s->deadband == 0.1);
	s = tw_twin_sensor(a, "rpm");
	CHECK(s == &a->sensors[1]);
	CHECK(s && s->max == 3000.5 && s->period_ns == 250000000);
	CHECK(s && s->stale_after_ns == 0 && s->deadband == 0);
	s = tw_twin_sensor(a, "state");
	CHECK(s && s->unit == NULL && isnan(s->min) && isnan(s->max));
	CHECK(s && s->period_ns == 0);
	CHECK(tw_twin_sensor(a, "nope") == NULL);
	CHECK(tw_twin_sensor(NULL, "temp_c") == NULL);
	CHECK_INT(a->nderived, 2);
	CHECK_STR(a->derived[0].name, "temp_f");
	CHECK_STR(a->derived[0].expr, "temp_c * 9 / 5 + 32");
	CHECK_STR(a->derived[1].name, "score.x");
	CHECK(t->assets[1].is_pattern && t->assets[2].is_pattern);
	CHECK_INT(t->assets[3].nderived, 0);
	CHECK_INT(t->assets[4].nsensors, 0);

	/* Sections for the other tools: kept as they are. */
	CHECK(json_is_object(tw_twin_section(t, "model")));
	CHECK(json_is_array(tw_twin_section(t, "detect")));
	CHECK_STR(json_string_value(tw_twin_section(t, "rules")), "anything");
	CHECK(json_is_null(tw_twin_section(t, "targets")));
	CHECK(tw_twin_section(t, "nope") == NULL);
	tw_twin_free(t);
	tw_twin_free(NULL);

	/* The smallest description. */
	put("{}");
	t = tw_twin_load("t.json", &e);
	CHECK(t && t->nassets == 0 && t->name == NULL);
	CHECK(t && tw_twin_asset(t, "pump-1") == NULL);
	tw_twin_free(t);
}

static void matching(void)
{
	struct tw_err e;
	struct tw_twin *t;

	put(FULL);
	t = tw_twin_load("t.json", &e);
	CHECK(t != NULL);
	if (!t)
		return;
	/* An exact name wins over patterns, wherever it stands in the file. */
	CHECK(tw_twin_asset(t, "pump-1") == &t->assets[0]);
	CHECK(tw_twin_asset(t, "pump-2") == &t->assets[3]);
	/* Otherwise the first pattern in file order. */
	CHECK(tw_twin_asset(t, "pump-3") == &t->assets[1]);
	CHECK(tw_twin_asset(t, "pump-12") == &t->assets[1]);
	CHECK(tw_twin_asset(t, "fan") == &t->assets[4]);
	CHECK(tw_twin_asset(t, "plant/pump-9") == &t->assets[4]);
	tw_twin_free(t);

	put("{\"assets\": {\"pump-[12]\": {}, \"pump-?\": {}, \"valve-1\": {}}}");
	t = tw_twin_load("t.json", &e);
	CHECK(t != NULL);
	if (!t)
		return;
	CHECK(tw_twin_asset(t, "pump-1") == &t->assets[0]);
	CHECK(tw_twin_asset(t, "pump-3") == &t->assets[1]);
	CHECK(tw_twin_asset(t, "pump-33") == NULL);
	CHECK(tw_twin_asset(t, "valve-1") == &t->assets[2]);
	CHECK(tw_twin_asset(t, "valve-2") == NULL);
	CHECK(tw_twin_asset(t, "") == NULL);
	tw_twin_free(t);
}

static void errors(void)
{
	struct tw_err e;

	/* The file itself. */
	CHECK(tw_twin_load("missing.json", &e) == NULL);
	CHECK_STR(e.msg, "missing.json: No such file or directory");
	CHECK(tw_twin_load(".", &e) == NULL);
	CHECK_STR(e.msg, ".: Is a directory");
	CHECK_STR(err("{\n  \"assets\": {,\n}\n"), "t.json:2:14: string or '}' expected near ','");
	CHECK_STR(err("{\"a\": 1} x"), "t.json:1:10: end of file expected near 'x'");
	CHECK_STR(err(""), "t.json:1:0: '[' or '{' expected near end of file");
	CHECK_STR(err("{\n  \"name\": \"a\",\n  \"name\": \"b\"\n}"),
		  "t.json:3:8: duplicate object key near '\"name\"'");
	CHECK_STR(err("{\"assets\": {\"p\": {\"sensors\": {\"t\": {\"min\": 1, \"min\": 2}}}}}"),
		  "t.json:1:51: duplicate object key near '\"min\"'");
	CHECK_STR(err("[]"), "t.json: expected a JSON object at the top level");

	/* Unknown keys, at every level this module defines. */
	CHECK_STR(err("{\"nmae\": \"x\"}"),
		  "t.json: nmae: unknown key (known: name, assets, model, detect, rules, "
		  "targets, comment)");
	CHECK_STR(err("{\"assets\": {\"pump-1\": {\"sensros\": {}}}}"),
		  "t.json: assets.pump-1.sensros: unknown key (known: sensors, derived, comment)");
	CHECK_STR(err("{\"assets\": {\"pump-1\": {\"sensors\": {\"temp_c\": {\"units\": \"C\"}}}}}"),
		  "t.json: assets.pump-1.sensors.temp_c.units: unknown key (known: unit, min, "
		  "max, period, deadband, stale_after, comment)");

	/* Wrong types. */
	CHECK_STR(err("{\"name\": 3}"), "t.json: name: expected a string");
	CHECK_STR(err("{\"assets\": []}"), "t.json: assets: expected an object");
	CHECK_STR(err("{\"assets\": {\"p\": 1}}"), "t.json: assets.p: expected an object");
	CHECK_STR(err("{\"assets\": {\"p\": {\"sensors\": [\"t\"]}}}"),
		  "t.json: assets.p.sensors: expected an object");
	CHECK_STR(err("{\"assets\": {\"p\": {\"sensors\": {\"t\": \"degC\"}}}}"),
		  "t.json: assets.p.sensors.t: expected an object");
	CHECK_STR(err("{\"assets\": {\"pump-1\": {\"sensors\": {\"temp_c\": {\"min\": \"-20\"}}}}}"),
		  "t.json: assets.pump-1.sensors.temp_c.min: expected a number");
	CHECK_STR(err("{\"assets\": {\"p\": {\"sensors\": {\"t\": {\"max\": null}}}}}"),
		  "t.json: assets.p.sensors.t.max: expected a number");
	CHECK_STR(err("{\"assets\": {\"p\": {\"sensors\": {\"t\": {\"unit\": 1}}}}}"),
		  "t.json: assets.p.sensors.t.unit: expected a string");
	CHECK_STR(err("{\"assets\": {\"p\": {\"sensors\": {\"t\": {\"deadband\": true}}}}}"),
		  "t.json: assets.p.sensors.t.deadband: expected a number");
	CHECK_STR(err("{\"assets\": {\"p\": {\"derived\": []}}}"),
		  "t.json: assets.p.derived: expected an object");
	CHECK_STR(err("{\"assets\": {\"p\": {\"derived\": {\"x\": 1}}}}"),
		  "t.json: assets.p.derived.x: expected a string (an expression)");

	/* Values out of range. */
	CHECK_STR(err("{\"assets\": {\"p\": {\"sensors\": {\"t\": {\"min\": 150, \"max\": -20}}}}}"),
		  "t.json: assets.p.sensors.t: min (150) is greater than max (-20)");
	CHECK_STR(err("{\"assets\": {\"p\": {\"sensors\": {\"t\": {\"min\": 1, \"max\": 1}}}}}"), "OK");
	CHECK_STR(err("{\"assets\": {\"p\": {\"sensors\": {\"t\": {\"deadband\": -0.5}}}}}"),
		  "t.json: assets.p.sensors.t.deadband: must not be negative");

	/* Durations. */
	CHECK_STR(err("{\"assets\": {\"p\": {\"sensors\": {\"t\": {\"period\": \"1 s\"}}}}}"),
		  "t.json: assets.p.sensors.t.period: invalid duration '1 s': unknown unit "
		  "(ns, us, ms, s, m, h, d)");
	CHECK_STR(err("{\"assets\": {\"p\": {\"sensors\": {\"t\": {\"period\": \"-1s\"}}}}}"),
		  "t.json: assets.p.sensors.t.period: invalid duration '-1s': negative");
	CHECK_STR(err("{\"assets\": {\"p\": {\"sensors\": {\"t\": {\"stale_after\": -5}}}}}"),
		  "t.json: assets.p.sensors.t.stale_after: negative duration");
	CHECK_STR(err("{\"assets\": {\"p\": {\"sensors\": {\"t\": {\"period\": \"0s\"}}}}}"),
		  "t.json: assets.p.sensors.t.period: a duration must be greater than zero");
	CHECK_STR(err("{\"assets\": {\"p\": {\"sensors\": {\"t\": {\"period\": 1e30}}}}}"),
		  "t.json: assets.p.sensors.t.period: duration out of range");
	CHECK_STR(err("{\"assets\": {\"p\": {\"sensors\": {\"t\": {\"stale_after\": [1]}}}}}"),
		  "t.json: assets.p.sensors.t.stale_after: expected a duration such as \"1s\" "
		  "or \"250ms\"");
	CHECK_STR(err("{\"assets\": {\"p\": {\"sensors\": {\"t\": {\"stale_after\": \"2h\"}}}}}"), "OK");

	/* Names. */
	CHECK_STR(err("{\"assets\": {\"\": {}}}"), "t.json: assets: an asset with an empty name");
	CHECK_STR(err("{\"assets\": {\"p\": {\"sensors\": {\"\": {}}}}}"),
		  "t.json: assets.p.sensors: a sensor with an empty name");
	CHECK_STR(err("{\"assets\": {\"p\": {\"derived\": {\"power-kw\": \"1\"}}}}"),
		  "t.json: assets.p.derived.power-kw: not a valid name for a derived signal "
		  "(letters, digits, '_' and inner '.', not first a digit)");
	CHECK_STR(err("{\"assets\": {\"p\": {\"derived\": {\"2x\": \"1\"}}}}"),
		  "t.json: assets.p.derived.2x: not a valid name for a derived signal "
		  "(letters, digits, '_' and inner '.', not first a digit)");
	CHECK_STR(err("{\"assets\": {\"p\": {\"sensors\": {\"t\": {}}, \"derived\": {\"t\": \"1\"}}}}"),
		  "t.json: assets.p.derived.t: the name of a sensor of the same asset");
	CHECK_STR(err("{\"assets\": {\"p\": {\"derived\": {\"x\": \" \"}}}}"),
		  "t.json: assets.p.derived.x: empty expression");
	/* Control bytes in a key are shown as '?'. */
	CHECK_STR(err("{\"assets\": {\"p\\n1\": 0}}"), "t.json: assets.p?1: expected an object");
}

/* testdata/pump.json describes testdata/pump-1.csv, and its derived
 * signal compiles over the sensors it declares.  Run from the top of the
 * tree, as tests/run.sh does. */
static void pump_json(void)
{
	struct tw_err e;
	struct tw_twin *t = tw_twin_load("testdata/pump.json", &e);
	const struct tw_asset_spec *a;
	struct tw_expr_scope *s;
	struct tw_expr *x;

	CHECK(t != NULL);
	if (!t) {
		fprintf(stderr, "    %s\n", e.msg);
		return;
	}
	a = tw_twin_asset(t, "pump-1");
	CHECK(a && a->nsensors == 3 && a->nderived == 1);
	if (!a || a->nsensors != 3 || a->nderived != 1) {
		tw_twin_free(t);
		return;
	}
	CHECK_STR(a->sensors[0].name, "temp_c");
	CHECK_STR(a->sensors[0].unit, "degC");
	CHECK(a->sensors[0].min == -20 && a->sensors[0].max == 150);
	CHECK(a->sensors[0].period_ns == 1000000000);
	CHECK_STR(a->sensors[1].name, "rpm");
	CHECK_STR(a->sensors[1].unit, "1/min");
	CHECK(a->sensors[1].min == 0 && a->sensors[1].max == 3000);
	CHECK(a->sensors[1].period_ns == 1000000000);
	CHECK_STR(a->sensors[2].name, "state");
	CHECK(isnan(a->sensors[2].min) && isnan(a->sensors[2].max));
	s = tw_expr_scope_new();
	for (int i = 0; i < a->nsensors; i++)
		tw_expr_scope_var(s, a->sensors[i].name);
	x = tw_expr_compile(s, a->derived[0].expr, false, &e);
	CHECK(x != NULL);
	if (x) {
		*tw_expr_scope_find(s, "temp_c") = 100;
		CHECK_STR(a->derived[0].name, "temp_f");
		CHECK(tw_expr_eval(x) == 212);
	}
	tw_expr_free(x);
	tw_expr_scope_free(s);
	tw_twin_free(t);
}

/* A rules section that fails leaves nothing allocated (found by
 * fuzz_twin: the rules read before the error leaked). */
static void rules_failed(void)
{
	struct tw_rules r;
	struct tw_err e;
	json_t *doc = json_loads("{\"rules\": [{\"name\": \"t\", \"asset\": \"m\", \"pid\": {"
				 "\"measured\": \"temp_c\", \"setpoint\": \"60\", \"kp\": 1, \"ki\": 0, "
				 "\"kd\": 0, \"min\": 0, \"max\": 1, \"target\": \"h\", \"field\": \"P\"}}],"
				 "\"targets\": {\"h\": {\"fields\": {\"P\": {\"razte\": 5}}}}}", 0, NULL);

	CHECK(doc != NULL);
	CHECK_INT(tw_rules_load(&r, json_object_get(doc, "rules"), json_object_get(doc, "targets"),
				"t.json", &e), -1);
	CHECK(strstr(e.msg, "t.json: targets.h.fields.P.razte: unknown member") == e.msg);
	CHECK(r.rules == NULL && r.targets == NULL && r.nrules == 0 && r.ntargets == 0);
	tw_rules_release(&r);
	json_decref(doc);
}

int main(void)
{
	pump_json();
	if (!getcwd(cwd, sizeof cwd) || !mkdtemp(dir) || chdir(dir) != 0) {
		perror("test_twin");
		return 2;
	}
	full();
	matching();
	errors();
	rules_failed();
	unlink("t.json");
	if (chdir(cwd) != 0 || rmdir(dir) != 0)
		perror(dir);
	return check_done("twin");
}
