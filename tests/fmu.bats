#!/usr/bin/env bats
# twin-sim --fmu: FMI 2.0 co-simulation units as models.  The units are
# built from testdata/fmu/NAME/ by `make check` (testdata/fmu/NAME.fmu).

load helpers

FMU="$TOP/testdata/fmu"

setup() {
	cd "$BATS_TEST_TMPDIR"
	[[ -f $FMU/thermal.fmu ]] || skip "the test units are not built (make fmus)"
	# Each run unpacks its units here: every test checks that they are gone.
	mkdir -p tmp
	export TMPDIR=$BATS_TEST_TMPDIR/tmp
}

teardown() {
	[[ ! -d $BATS_TEST_TMPDIR/tmp ]] || assert_equal "$(ls -A "$BATS_TEST_TMPDIR/tmp")" ""
}

# |$1 - $2| <= $3
near() {
	awk -v a="$1" -v b="$2" -v tol="$3" 'BEGIN { d = a - b; if (d < 0) d = -d; exit !(d <= tol) }' ||
		fail "$1 is not within $3 of $2"
}

# The thermal unit mapped onto the sensors of the library's thermal model.
thermal_twin() {
	cat >"${1:-twin.json}" <<-'JSON'
	{"name": "thermal as an FMU",
	 "model": {"fmu": "thermal.fmu",
	  "parameters": {"R": {"value": 0.05, "min": 0.001, "max": 1}},
	  "inputs": {"P": {"sensor": "power_loss_w"}, "T_amb": {"sensor": "ambient_c", "hold": "linear"}},
	  "outputs": {"T": {"sensor": "temp_c", "noise": 0.1}}}}
	JSON
	cp "$FMU/thermal.fmu" .
}

@test "free run: the thermal unit follows the analytic solution, with its units and inputs" {
	run --separate-stderr twin-sim --fmu="$FMU/thermal.fmu" --duration=460s --every=460s --no-noise
	assert_success
	assert_equal "$stderr" ""
	assert_equal "${#lines[@]}" 8
	assert_line --index 0 '{"ts":"1970-01-01T00:00:00Z","asset":"sim","sensor":"T","value":25,"unit":"degC"}'
	assert_line --index 1 '{"ts":"1970-01-01T00:00:00Z","asset":"sim","sensor":"P","value":1000,"unit":"W"}'
	assert_line --index 3 '{"ts":"1970-01-01T00:00:00Z","asset":"sim","sensor":"on","value":1}'
	near "$(echo "${lines[4]}" | jq .value)" "$(awk 'BEGIN { printf "%.12f", 75 - 50 * exp(-1) }')" 1e-9
}

@test "free run: the thermal unit and the built-in thermal model agree, driven and changed alike" {
	thermal_twin
	args=(--duration=1000s --every=50s --no-noise --states --input=P=step:1000,2000@300 --set=R=0.08)
	twin-sim --twin=twin.json "${args[@]}" | jq .values.temp_c >fmu
	twin-sim --twin=thermal "${args[@]}" | jq .values.temp_c >ode
	assert_equal "$(lines fmu)" 21
	run paste fmu ode
	while read -r a b; do near "$a" "$b" 1e-6; done <<<"$output"
	# and the step did something: 2000 W through 0.08 K/W is 185 degC at the end
	near "$(tail -n 1 fmu)" 160 40
}

@test "free run: a Boolean input switches the unit's heating off" {
	run --separate-stderr twin-sim --fmu="$FMU/thermal.fmu" --duration=1000s --every=1000s --no-noise --states --input=on=0
	assert_success
	assert_equal "$(echo "${lines[1]}" | jq -c .values)" '{"T":25,"P":1000,"T_amb":25,"on":0}'
}

@test "free run: the bouncing ball's impacts fall inside steps, at the analytic times" {
	run --separate-stderr twin-sim --fmu="$FMU/ball.fmu" --step=10ms --duration=4s --every=1s --no-noise --states
	assert_success
	assert_equal "$stderr" ""
	t1=$(awk 'BEGIN { printf "%.15f", sqrt(2 * 10 / 9.81) }')
	assert_equal "$(echo "${lines[1]}" | jq -c '[.values.bounces, .values.last_impact]')" '[0,-1]'
	assert_equal "$(echo "${lines[2]}" | jq .values.bounces)" 1
	near "$(echo "${lines[2]}" | jq .values.last_impact)" "$t1" 1e-12
	# the second impact: back up and down at 0.7 times the speed, 2 e t1 later
	assert_equal "$(echo "${lines[4]}" | jq .values.bounces)" 2
	near "$(echo "${lines[4]}" | jq .values.last_impact)" "$(awk -v t="$t1" 'BEGIN { printf "%.15f", t * 2.4 }')" 1e-12
	# a lower drop, set before the unit starts (h0 is a fixed parameter)
	run --separate-stderr twin-sim --fmu="$FMU/ball.fmu" --set=h0=5 --duration=2s --every=2s --no-noise --states
	assert_success
	near "$(echo "${lines[1]}" | jq .values.last_impact)" "$(awk 'BEGIN { printf "%.15f", sqrt(10 / 9.81) }')" 1e-12
}

@test "shadow mode: residuals against the unit, zero on its own physics and not on other" {
	thermal_twin
	twin-sim --twin=thermal --duration=600s --every=10s --no-noise --states --input=P=step:1000,2000@300 >same
	twin-sim --twin=thermal --duration=600s --every=10s --no-noise --states --set=R=0.08 >other
	run --separate-stderr twin-sim --twin=twin.json --shadow same
	assert_success
	assert_equal "$stderr" ""
	echo "$output" >out
	assert_equal "$(jq -c 'select(.kind == "residual")' out | wc -l)" 61
	assert_equal "$(jq 'select(.kind == "residual") | .residual | fabs | select(. > 1e-6)' out)" ""
	assert_equal "$(jq -c 'select(.kind == "sim") | .values | keys' out | sort -u)" '["temp_c"]'
	run --separate-stderr twin-sim --twin=twin.json --shadow other
	assert_success
	want=$(awk 'BEGIN { printf "%.12f", 80 * (1 - exp(-600 / 736)) - 50 * (1 - exp(-600 / 460)) }')
	near "$(echo "${lines[-1]}" | jq .residual)" "$want" 1e-6
}

@test "calibration: --fit recovers the unit's parameter and writes a description that runs" {
	thermal_twin
	twin-sim --twin=thermal --duration=1000s --every=10s --no-noise --states --input=P=step:1000,2000@300 --set=R=0.08 >recorded
	run --separate-stderr twin-sim --twin=twin.json --fit=R --fit-out=calibrated.json recorded
	assert_success
	assert_equal "$stderr" ""
	assert_equal "$(echo "$output" | jq -r .converged)" true
	near "$(echo "$output" | jq .parameters.R.value)" 0.08 1e-9
	assert_equal "$(jq -r .model.fmu calibrated.json)" thermal.fmu
	near "$(jq .model.parameters.R.value calibrated.json)" 0.08 1e-9
	# a fixed parameter too: the unit starts again for every evaluation
	twin-sim --twin=thermal --duration=1000s --every=10s --no-noise --states --set=C=12000 >recorded2
	run --separate-stderr twin-sim --twin=twin.json --fit=C recorded2
	assert_success
	near "$(echo "$output" | jq .parameters.C.value)" 12000 1e-3
}

@test "calibration: --fmu alone, the fitted parameter added to the description" {
	twin-sim --twin=thermal --duration=600s --every=10s --no-noise --states --set=R=0.07 |
		jq -c '.values = {T: .values.temp_c, P: .values.power_loss_w, T_amb: .values.ambient_c}' >recorded
	run --separate-stderr twin-sim --fmu="$FMU/thermal.fmu" --fit=R --fit-out=cal.json recorded
	assert_success
	near "$(echo "$output" | jq .parameters.R.value)" 0.07 1e-9
	near "$(jq .model.parameters.R cal.json)" 0.07 1e-9
}

@test "what-if: a tunable parameter changes at the end of the stream; a fixed one cannot" {
	thermal_twin
	twin-sim --twin=thermal --duration=600s --every=10s --no-noise --states >s
	run --separate-stderr twin-sim --twin=twin.json --what-if --horizon=2h --every=1h --set=R=0.1 --input=P=2000 s
	assert_success
	assert_equal "$stderr" ""
	# 2000 W through 0.1 K/W: 225 degC, reached after some hours
	near "$(echo "${lines[-1]}" | jq .values.temp_c)" 200 25
	assert_equal "$(echo "${lines[-1]}" | jq -r .scenario)" what-if
	run --separate-stderr twin-sim --twin=twin.json --what-if --horizon=1h --set=C=5000 s
	assert_failure 2
	assert_equal "${stderr_lines[-1]}" "twin-sim: sim: thermal.fmu: the parameter C is fixed: it can change before the run starts, not during it"
}

@test "errors: units twin-sim cannot run are named with the reason, exit 2" {
	check() {
		run --separate-stderr twin-sim --fmu="$1" --duration=1s
		assert_failure 2
		assert_output ""
		assert_equal "$stderr" "twin-sim: $1: $2"
	}
	cp "$FMU"/{me_only,fmi1,nobinary}.fmu .
	check me_only.fmu "not a co-simulation unit (no CoSimulation element: model exchange only)"
	check fmi1.fmu 'modelDescription.xml: fmiVersion "1.0": only FMI 2.0 is supported'
	check nobinary.fmu "no binary for linux64 (binaries/linux64/nobinary.so): the unit cannot run on this machine"
	head -c 300 "$FMU/thermal.fmu" >cut.fmu
	check cut.fmu "not a readable FMU (a zip archive): Not a zip archive"
	printf 'not a zip\n' >text.fmu
	check text.fmu "not a readable FMU (a zip archive): Not a zip archive"
	check absent.fmu "No such file or directory"
}

@test "errors: a doStep that fails stops the run with the function and the status, exit 2" {
	for s in 2:fmi2Discard 3:fmi2Error 4:fmi2Fatal; do
		run --separate-stderr twin-sim --fmu="$FMU/faulty.fmu" --set=fail_at=2 --set=fail_status="${s%%:*}" --duration=5s --states
		assert_failure 2
		assert_equal "${#lines[@]}" 3    # 0 s, 1 s and 2 s were simulated
		assert_regex "${stderr_lines[0]}" "^twin-sim: FMU faulty: [a-z]+ test: failing at t=2 s as asked"
		assert_regex "${stderr_lines[1]}" "^twin-sim: .*/faulty.fmu: fmi2DoStep at t=2 s returned ${s#*:}"
	done
	# a warning is the unit's message, and the run goes on
	run --separate-stderr twin-sim --fmu="$FMU/faulty.fmu" --set=fail_at=2 --set=fail_status=1 --duration=3s --states
	assert_success
	assert_equal "${#lines[@]}" 4
	assert_equal "$(echo "${lines[3]}" | jq .values.y)" 3
	assert_regex "${stderr_lines[0]}" "^twin-sim: FMU faulty: warning test: failing at t=2 s"
}

@test "errors: the twin description names what the unit does not have" {
	cp "$FMU/thermal.fmu" .
	check() {
		echo "$1" >t.json
		run --separate-stderr twin-sim --twin=t.json --duration=1s
		assert_failure 2
		assert_output ""
		assert_equal "$stderr" "twin-sim: t.json: $2"
	}
	check '{"model": {"fmu": "thermal.fmu", "outputs": {"nosuch": {}}}}' "model.outputs.nosuch: the FMU thermal.fmu has no variable 'nosuch'"
	check '{"model": {"fmu": "thermal.fmu", "inputs": {"T": {}}}}' "model.inputs.T: not an input of the FMU thermal.fmu (its causality is output)"
	check '{"model": {"fmu": "thermal.fmu", "parameters": {"P": 3}}}' "model.parameters.P: not a parameter of the FMU thermal.fmu (its causality is input)"
	check '{"model": {"fmu": "thermal.fmu", "outputs": {"T": {"expr": "1"}}}}' "model.outputs.T.expr: unknown key (known: noise, unit, sensor, comment)"
	check '{"model": {"fmu": "thermal.fmu", "states": {}}}' "model: a model is equations (states, derivatives) or an FMU (fmu), not both"
	check '{"model": {"fmu": ""}}' "model.fmu: expected a non-empty string"
	run --separate-stderr twin-sim --twin=t.json --fmu=nosuch.fmu --duration=1s
	assert_failure 2
	assert_equal "$stderr" "twin-sim: nosuch.fmu: No such file or directory"
	run --separate-stderr twin-sim --fmu="$FMU/thermal.fmu" --shadow --assimilate=0.5 </dev/null
	assert_failure 2
	assert_equal "$stderr" "twin-sim: --assimilate: an FMU keeps its states to itself: they cannot be nudged"
}

@test "--fmu with --twin: the unit replaces the description's, found from the current folder" {
	mkdir sub
	thermal_twin sub/twin.json
	rm thermal.fmu
	cp "$FMU/thermal.fmu" mine.fmu
	run --separate-stderr twin-sim --twin=sub/twin.json --fmu=mine.fmu --duration=10s --every=10s --no-noise --states
	assert_success
	assert_equal "$(echo "${lines[0]}" | jq -c .values)" '{"temp_c":25,"power_loss_w":1000,"ambient_c":25}'
	# the unit's input "on", not named in the description, is left at its start
}

@test "faults: a parameter fault on a tunable parameter degrades the unit; on a fixed one it is an error" {
	# restitution 0.35 from 1 s on: the first bounce rises half as fast
	run --separate-stderr twin-sim --fmu="$FMU/ball.fmu" --step=10ms --duration=2s --every=2s --no-noise --states --fault=param:e=0.35@1s
	assert_success
	t1=$(awk 'BEGIN { printf "%.15f", sqrt(2 * 10 / 9.81) }')
	near "$(echo "${lines[1]}" | jq .values.v)" "$(awk -v t="$t1" 'BEGIN { printf "%.12f", 0.35 * 9.81 * t - 9.81 * (2 - t) }')" 1e-9
	run --separate-stderr twin-sim --fmu="$FMU/ball.fmu" --duration=2s --no-noise --fault=param:g=5@1s
	assert_failure 2
	assert_regex "$stderr" "ball.fmu: the parameter g is fixed: it can change before the run starts, not during it$"
}

@test "free run: the unit's default experiment gives the duration and the step not given" {
	# ball.fmu: stopTime 5, stepSize 0.01; the third impact at t1 (1 + 2 e + 2 e^2)
	run --separate-stderr twin-sim --fmu="$FMU/ball.fmu" --every=1s --states
	assert_success
	assert_equal "${#lines[@]}" 6
	assert_equal "$(echo "${lines[5]}" | jq -r .ts)" 1970-01-01T00:00:05Z
	assert_equal "$(echo "${lines[5]}" | jq .values.bounces)" 3
	near "$(echo "${lines[5]}" | jq .values.last_impact)" "$(awk 'BEGIN { printf "%.15f", sqrt(2 * 10 / 9.81) * 3.38 }')" 1e-12
	# faulty.fmu has no default experiment; equations have none either
	run --separate-stderr twin-sim --fmu="$FMU/faulty.fmu"
	assert_failure 2
	assert_output ""
	assert_equal "$stderr" "twin-sim: a free run needs --duration: $FMU/faulty.fmu has no stopTime in a default experiment"
	run --separate-stderr twin-sim --twin=thermal
	assert_failure 2
	assert_equal "$stderr" "twin-sim: a free run needs --duration (or give --shadow, --what-if or --fit)"
}

@test "shadow mode: each asset has its own copy of a unit that allows one instance per process" {
	# faulty.fmu keeps its one instance in static memory: y integrates u
	printf '%s\n' '{"ts":0,"asset":"a","kind":"state","values":{"u":1,"y":0}}' \
		'{"ts":0,"asset":"b","kind":"state","values":{"u":2,"y":0}}' \
		'{"ts":10,"asset":"a","kind":"state","values":{"u":1,"y":10}}' \
		'{"ts":10,"asset":"b","kind":"state","values":{"u":2,"y":20}}' >two
	run --separate-stderr twin-sim --fmu="$FMU/faulty.fmu" --shadow two
	assert_success
	assert_equal "$stderr" ""
	echo "$output" >out
	assert_equal "$(jq -c 'select(.kind == "residual") | [.asset, .simulated, .residual]' out | tr -d '\n')" \
		'["a",0,0]["b",0,0]["a",10,0]["b",20,0]'
}

@test "plant mode: a command's values drive the unit's inputs, a Boolean one too" {
	echo '{"ts":"1970-01-01T00:00:00Z","asset":"sim","kind":"command","armed":true,"set":{"on":0}}' >cmds
	run --separate-stderr twin-sim --fmu="$FMU/thermal.fmu" --plant --duration=400s --every=200s --no-noise cmds
	assert_success
	assert_equal "${#lines[@]}" 3
	assert_equal "$(echo "${lines[2]}" | jq -c .values)" '{"T":25,"P":1000,"T_amb":25,"on":0}'
}
