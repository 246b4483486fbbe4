#!/usr/bin/env bats
# twin-sim: free run, faults, shadow mode, what-if, calibration, errors.

load helpers

# The thermal model of the library without noise: T(t) = 75 - 50 exp(-t / 460).
thermal_at() { awk -v t="$1" 'BEGIN { printf "%.9f", 75 - 50 * exp(-t / 460) }'; }

# The temperatures of a free run's readings.
temps() { jq 'select(.sensor == "temp_c") | .value' "$1"; }
export -f temps

@test "--list-models lists the library with a line of physics each" {
	run --separate-stderr twin-sim --list-models
	assert_success
	assert_equal "${#lines[@]}" 6
	assert_line --index 5 --regexp '^thermal +First-order thermal model'
	for m in battery bearing-wear dc-motor mass-spring-damper tank thermal; do
		assert_output --partial "$m "
	done
}

@test "free run: readings of every output and input, with units, from --start every --every" {
	run --separate-stderr twin-sim --twin=thermal --duration=20s --every=10s --start=2024-03-01T00:00:00Z --no-noise
	assert_success
	assert_equal "$stderr" ""
	assert_equal "${#lines[@]}" 9
	assert_line --index 0 '{"ts":"2024-03-01T00:00:00Z","asset":"sim","sensor":"temp_c","value":25,"unit":"degC"}'
	assert_line --index 1 '{"ts":"2024-03-01T00:00:00Z","asset":"sim","sensor":"power_loss_w","value":1000,"unit":"W"}'
	assert_line --index 2 '{"ts":"2024-03-01T00:00:00Z","asset":"sim","sensor":"ambient_c","value":25,"unit":"degC"}'
	assert_regex "${lines[6]}" '^\{"ts":"2024-03-01T00:00:20Z","asset":"sim","sensor":"temp_c","value":27\.1[0-9]+,"unit":"degC"\}$'
}

@test "free run: RK4 follows the analytic solution of the thermal model" {
	run --separate-stderr twin-sim --twin=thermal --duration=460s --every=460s --no-noise --states --asset=m1
	assert_success
	assert_equal "$(echo "${lines[1]}" | jq -r .asset)" m1
	got=$(echo "${lines[1]}" | jq .values.temp_c)
	want=$(thermal_at 460)
	run awk -v a="$got" -v b="$want" 'BEGIN { d = a - b; exit !(d < 1e-6 && d > -1e-6) }'
	assert_success
}

@test "free run: every solver agrees with the analytic solution" {
	want=$(thermal_at 1000)
	for s in rk4 rkf45 rk8pd bdf; do
		v=$(twin-sim --twin=thermal --solver="$s" --duration=1000s --every=1000s --no-noise --states | tail -n 1 | jq .values.temp_c)
		run awk -v a="$v" -v b="$want" 'BEGIN { d = a - b; exit !(d < 1e-4 && d > -1e-4) }'
		assert_success
	done
}

@test "free run: the same seed gives the same bytes, another seed other noise" {
	twin-sim --twin=thermal --duration=10m --every=10s --seed=7 >a
	twin-sim --twin=thermal --duration=10m --every=10s --seed=7 >b
	twin-sim --twin=thermal --duration=10m --every=10s --seed=8 >c
	run cmp a b
	assert_success
	run cmp -s a c
	assert_failure
	# the noise is the model's: 0.1 K around the clean run
	twin-sim --twin=thermal --duration=10m --every=10s --no-noise >clean
	run bash -c "paste <(temps a) <(temps clean) | awk '{ d = \$1 - \$2; s += d * d; n++ } END { sd = sqrt(s / n); exit !(sd > 0.07 && sd < 0.13) }'"
	assert_success
}

@test "free run: input signals drive the model" {
	run --separate-stderr twin-sim --twin=thermal --duration=4h --every=4h --no-noise --states --input=P=2000
	assert_success
	assert_regex "${lines[1]}" '"temp_c":124\.99'
	run --separate-stderr twin-sim --twin=thermal --duration=4h --every=2h --no-noise --states --input=P=step:0,1000@2h
	assert_success
	assert_regex "${lines[1]}" '"temp_c":25[,}]'
	for sig in ramp:0,0.5@1m sine:500,10m,1000 square:0,2000,30m,0.25; do
		run --separate-stderr twin-sim --twin=thermal --duration=1h --every=10m --no-noise --input=P="$sig"
		assert_success
		assert_equal "${#lines[@]}" 21
	done
}

@test "faults: bias, drift, stuck, noise, spikes and a parameter change" {
	twin-sim --twin=thermal --duration=1h --every=1m --no-noise >clean
	twin-sim --twin=thermal --duration=1h --every=1m --no-noise --fault=bias:temp_c=2.5@30m >bias
	run bash -c "paste <(temps clean) <(temps bias) | awk 'NR <= 30 && \$1 != \$2 { exit 1 } NR > 30 && (\$2 - \$1 < 2.4999 || \$2 - \$1 > 2.5001) { exit 1 }'"
	assert_success
	twin-sim --twin=thermal --duration=1h --every=1m --no-noise --fault=drift:temp_c=0.01@30m >drift
	assert_equal "$(paste <(temps clean) <(temps drift) | awk 'NR == 61 { printf "%.3f", $2 - $1 }')" "18.000"
	twin-sim --twin=thermal --duration=1h --every=1m --fault=stuck:temp_c@10m-20m >stuck
	assert_equal "$(temps stuck | sed -n '11,20p' | sort -u | wc -l)" 1
	assert_equal "$(temps stuck | sed -n '21,22p' | sort -u | wc -l)" 2
	twin-sim --twin=thermal --duration=1h --every=1m --seed=3 --fault=spikes:temp_c=10,0.2 >spikes
	n=$(paste <(temps clean) <(temps spikes) | awk '{ d = $2 - $1; if (d > 5 || d < -5) n++ } END { print n + 0 }')
	[ "$n" -ge 4 ] && [ "$n" -le 25 ]
	twin-sim --twin=thermal --duration=4h --every=4h --no-noise --fault=param:R=0.1@0 --states >param
	assert_regex "$(tail -n 1 param)" '"temp_c":12[0-9]\.'
}

@test "shadow: on the model's own stream the residuals are its noise" {
	twin-sim --twin=thermal --duration=2h --every=10s --states --seed=5 >stream
	twin-sim --twin=thermal --shadow stream >shadow
	assert_equal "$(jq -r .kind shadow | sort | uniq -c | tr -s ' ')" " 721 residual
 721 sim
 721 state"
	# residual = noise: mean about 0, standard deviation about 0.1 K
	run bash -c "jq 'select(.kind == \"residual\") | .residual' shadow | awk '{ s += \$1; q += \$1 * \$1; n++ } END { m = s / n; sd = sqrt(q / n - m * m); exit !(m < 0.02 && m > -0.02 && sd > 0.09 && sd < 0.11) }'"
	assert_success
	twin-sim --twin=thermal --duration=2h --every=10s --states --no-noise >clean
	run bash -c "twin-sim --twin=thermal --shadow clean | jq 'select(.kind == \"residual\") | .residual' | awk '{ if (\$1 > 1e-9 || \$1 < -1e-9) exit 1 }'"
	assert_success
}

@test "shadow: records pass through first, then sim and residual" {
	twin-sim --twin=thermal --duration=10s --every=10s --states --no-noise --asset=m >s
	echo '{"ts":"1970-01-01T00:00:05Z","asset":"m","kind":"score","score":0.5}' >>s
	run --separate-stderr twin-sim --twin=thermal --shadow s
	assert_success
	assert_line --index 0 '{"ts":"1970-01-01T00:00:00Z","asset":"m","kind":"state","values":{"temp_c":25,"power_loss_w":1000,"ambient_c":25}}'
	assert_line --index 1 '{"ts":"1970-01-01T00:00:00Z","asset":"m","kind":"sim","values":{"temp_c":25}}'
	assert_line --index 2 '{"ts":"1970-01-01T00:00:00Z","asset":"m","kind":"residual","sensor":"temp_c","measured":25,"simulated":25,"residual":0}'
	assert_line --index 6 '{"ts":"1970-01-01T00:00:05Z","asset":"m","kind":"score","score":0.5}'
	run --separate-stderr twin-sim --twin=thermal --shadow --asset=other s
	assert_success
	assert_equal "${#lines[@]}" 3
}

@test "shadow: --assimilate keeps a wrong model close to the measurements" {
	twin-sim --twin=thermal --set=R=0.07 --duration=2h --every=10s --states --no-noise >real
	mean_abs() { jq 'select(.kind == "residual") | .residual' | awk '{ s += ($1 < 0 ? -$1 : $1); n++ } END { print s / n }'; }
	free=$(twin-sim --twin=thermal --shadow real | mean_abs)
	nudged=$(twin-sim --twin=thermal --shadow --assimilate=0.5 real | mean_abs)
	run awk -v f="$free" -v n="$nudged" 'BEGIN { exit !(f > 5 && n < f / 10) }'
	assert_success
}

@test "what-if: the latest state, a horizon ahead, with an input changed" {
	twin-sim --twin=thermal --duration=1h --every=1m --states --no-noise --asset=m >s
	run --separate-stderr twin-sim --twin=thermal --what-if --horizon=4h --every=1h --input=P=2000 --scenario=overload s
	assert_success
	assert_equal "${#lines[@]}" 65
	assert_line --index 61 --regexp '^\{"ts":"1970-01-01T02:00:00Z","asset":"m","kind":"sim","scenario":"overload","values":\{"temp_c":[0-9.]+\}\}$'
	assert_regex "${lines[64]}" '"ts":"1970-01-01T05:00:00Z".*"temp_c":124\.9'
}

@test "calibration recovers the parameters of a simulated machine within 2%" {
	twin-sim --twin=thermal --set=R=0.06 --set=C=8000 --duration=4h --every=10s --states \
		--input=P=square:500,1500,20m --seed=3 >recorded
	run --separate-stderr twin-sim --twin=thermal --fit=R,C --fit-out=calibrated.json recorded
	assert_success
	assert_equal "$stderr" ""
	report=$output
	assert_equal "$(echo "$report" | jq -r .kind)" fit
	assert_equal "$(echo "$report" | jq '.converged')" true
	run jq -n --argjson r "$report" '$r.parameters.R.value / 0.06 - 1 | fabs < 0.02'
	assert_output true
	run jq -n --argjson r "$report" '($r.parameters.C.value / 8000 - 1 | fabs < 0.02) and ($r.outputs.temp_c.rmse < 0.12)'
	assert_output true
	# the calibrated twin runs as the machine did
	assert_equal "$(jq '.model.parameters.R.value | . * 1000 | round' calibrated.json)" 60
	run --separate-stderr twin-sim --twin=calibrated.json --duration=1m --every=1m --no-noise
	assert_success
	run --separate-stderr twin-sim --twin=thermal --fit=X recorded
	assert_failure 2
	assert_equal "$stderr" "twin-sim: --fit: the model has no parameter 'X'"
	run --separate-stderr twin-sim --twin=thermal --fit=R </dev/null
	assert_failure 2
	assert_equal "$stderr" "twin-sim: no state records to fit to"
}

@test "bad input in a stream is rejected with file and line" {
	{ echo '{"ts":"1970-01-01T00:00:00Z","asset":"m","kind":"state","values":{"temp_c":25}}'; echo 'oops'; echo '{"asset":"m"}'; } >s
	run --separate-stderr twin-sim --twin=thermal --shadow --rejects=rej s
	assert_failure 1
	assert_equal "${#lines[@]}" 3
	assert_regex "${stderr_lines[0]}" '^twin-sim: s:2: '
	assert_equal "${stderr_lines[1]}" 'twin-sim: s:3: missing "ts"'
	assert_equal "$(lines rej)" 2
}

@test "usage and configuration errors exit 2 with a clear message" {
	check() { run --separate-stderr twin-sim "$@"; assert_failure 2; assert_output ""; assert_regex "$stderr" "^twin-sim: "; }
	check --duration=1m
	check --twin=thermal
	check --twin=nope --duration=1m
	check --twin=thermal --duration=1m --solver=euler
	check --twin=thermal --duration=1m --input=Q=5
	check --twin=thermal --duration=1m --input=P=sine:1
	check --twin=thermal --duration=1m --set=X=1
	check --twin=thermal --duration=1m --fault=melt:temp_c
	check --twin=thermal --duration=1m --fault=bias:nope=1
	check --twin=thermal --duration=1m --fault=stuck:temp_c@10m-5m
	check --twin=thermal --duration=0
	check --twin=thermal --assimilate=0.5 --duration=1m
	check --twin=thermal --duration=1m extra-file
	echo '{"assets":{}}' >nomodel.json
	run --separate-stderr twin-sim --twin=nomodel.json --duration=1m
	assert_failure 2
	assert_equal "$stderr" "twin-sim: nomodel.json: no \"model\" section"
	echo '{"model":{"states":{"T":{"initial":1}},"derivatives":{"T":"-k*T"}}}' >bad.json
	run --separate-stderr twin-sim --twin=bad.json --duration=1m
	assert_failure 2
	assert_regex "$stderr" "^twin-sim: bad\.json: model\.derivatives\.T: unknown variable 'k'"
}

@test "output: a full disk is an error" {
	run --separate-stderr bash -c 'twin-sim --twin=thermal --duration=1h --every=1s >/dev/full'
	assert_failure 2
	assert_equal "$stderr" "twin-sim: standard output: No space left on device"
}

@test "every model of the library runs free and in its own shadow" {
	for m in battery bearing-wear dc-motor mass-spring-damper tank thermal; do
		# the motor's armature (L/R = 3 ms) is stiff beside its shaft
		solver=rk4
		[ "$m" = dc-motor ] && solver=bdf
		twin-sim --twin="$m" --solver=$solver --duration=10m --every=10s --states --no-noise >"$m.states" || fail "$m: free run"
		twin-sim --twin="$m" --solver=$solver --shadow "$m.states" >"$m.shadow" || fail "$m: shadow"
		worst=$(jq 'select(.kind == "residual") | .residual | if . < 0 then -. else . end' "$m.shadow" | sort -g | tail -n 1)
		run awk -v w="$worst" 'BEGIN { exit !(w < 1e-6) }'
		assert_success
	done
}

@test "a parameter fault ends on the value --set gave; the last active fault wins" {
	run --separate-stderr twin-sim --twin=thermal --duration=3000s --every=3000s --states --no-noise \
		--set=R=0.1 --fault=param:R=0.1@1000s-1500s
	assert_success
	assert_regex "${lines[1]}" '"temp_c":121\.'
	a=$(twin-sim --twin=thermal --duration=4000s --every=4000s --states --no-noise \
		--fault=param:R=0.1@2000s --fault=param:R=0.02@500s-1000s | tail -n 1 | jq .values.temp_c)
	b=$(twin-sim --twin=thermal --duration=4000s --every=4000s --states --no-noise \
		--fault=param:R=0.02@500s-1000s --fault=param:R=0.1@2000s | tail -n 1 | jq .values.temp_c)
	assert_equal "$a" "$b"
}

@test "--set drives shadow mode and starts a fit; faults and signals are for free runs" {
	twin-sim --twin=thermal --set=R=0.07 --duration=1h --every=1m --states --no-noise >s
	run bash -c "twin-sim --twin=thermal --set=R=0.07 --shadow s | jq 'select(.kind == \"residual\") | .residual' | sort -u"
	assert_output "0"
	run --separate-stderr twin-sim --twin=thermal --fit=R --set=R=0.3 s
	assert_success
	assert_equal "$(echo "$output" | jq '.parameters.R.initial')" 0.3
	assert_equal "$(echo "$output" | jq '.parameters.R.value * 1000 | round')" 70
	for args in "--shadow --fault=bias:temp_c=1" "--fit=R --input=P=5" "--shadow --input=P=5"; do
		run --separate-stderr twin-sim --twin=thermal $args s
		assert_failure 2
	done
}

@test "calibration skips a late state instead of taking it for the newest" {
	twin-sim --twin=thermal --set=R=0.06 --duration=30m --every=10s --states >s
	head -n 100 s >a
	sed -n 50p s | sed 's/"temp_c":[0-9.]*/"temp_c":500/' >>a
	run --separate-stderr twin-sim --twin=thermal --fit=R a
	assert_success
	assert_equal "$(echo "$output" | jq '.parameters.R.value * 100 | round')" 6
}
