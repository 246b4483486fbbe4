#!/usr/bin/env bats
# twin-predict: anomaly scores per series, pass-through, options, errors.

load helpers

# A steady noisy series with one spike at second 200.
series() {
	awk -v asset="${1:-p}" 'BEGIN { srand(7); for (i = 0; i < 300; i++) {
		v = 50 + (rand() - 0.5); if (i == 200) v = 80
		printf "{\"ts\":%d,\"asset\":\"%s\",\"sensor\":\"t\",\"value\":%.3f}\n", 1704067200 + i, asset, v } }'
}

@test "every record passes through, each followed by its scores" {
	series >in
	run --separate-stderr twin-predict --method=mad --window=50 --train=50 in
	assert_success
	assert_equal "$stderr" ""
	assert_equal "$(grep -c '"kind":"score"' <<<"$output")" 300
	assert_line --index 0 "$(head -n 1 in)"
	assert_line --index 1 --regexp '^\{"ts":"2024-01-01T00:00:00Z","asset":"p","kind":"score","sensor":"t","score":0,"threshold":0.9,"alarm":false,"method":"mad"\}$'
}

@test "a spike alarms, the normal samples do not" {
	series >in
	run --separate-stderr twin-predict --method=mad --window=50 --train=50 --alarms-only in
	assert_success
	alarms=$(grep '"kind":"score"' <<<"$output")
	assert_equal "$(wc -l <<<"$alarms")" 1
	assert_regex "$alarms" '"ts":"2024-01-01T00:03:20Z".*"alarm":true'
}

@test "each series has its own detector: readings, state values and residuals" {
	{ series a; series b; } >in
	run --separate-stderr twin-predict --method=mad --window=50 --train=50 --alarms-only --stats in
	assert_equal "$(grep -c '"alarm":true' <<<"$output")" 2
	assert_equal "$stderr" "twin-predict: 600 lines: 600 passed through, 0 rejected, 0 of other shards; 600 samples of 2 series, 2 scores, 2 alarms, 0 forecasts, 0 rul, 0 unscored; method mad"
	printf '%s\n' '{"ts":0,"asset":"m","kind":"state","values":{"x":1,"s":"RUN","y":2}}' \
		'{"ts":0,"asset":"m","kind":"residual","sensor":"temp_c","measured":1,"simulated":0.5,"residual":0.5}' >mixed
	run --separate-stderr twin-predict --train=0 mixed
	assert_success
	assert_equal "$(jq -r 'select(.kind == "score") | .sensor' <<<"$output" | paste -sd' ')" "x y residual.temp_c"
	run --separate-stderr twin-predict --sensors=y --train=0 mixed
	assert_equal "$(jq -r 'select(.kind == "score") | .sensor' <<<"$output")" "y"
}

@test "a constant series never alarms; non-numeric values are skipped" {
	for i in $(seq 0 99); do echo "{\"ts\":$i,\"asset\":\"p\",\"sensor\":\"t\",\"value\":5}"; done >flat
	echo '{"ts":100,"asset":"p","sensor":"t","value":"RUN"}' >>flat
	echo '{"ts":101,"asset":"p","sensor":"t","value":null}' >>flat
	for m in auto mad cusum likelihood; do
		run --separate-stderr twin-predict --method=$m --window=10 --train=10 --alarms-only flat
		assert_success
		assert_equal "$(grep -c '"kind":"score"' <<<"$output")" 0
	done
}

@test "the same input gives the same bytes" {
	series >in
	twin-predict in >a
	twin-predict in >b
	run cmp a b
	assert_success
}

@test "bad input is rejected with file and line; bad options exit 2" {
	{ series | head -n 3; echo 'oops'; echo '{"asset":"p"}'; } >in
	run --separate-stderr twin-predict in
	assert_failure 1
	assert_regex "${stderr_lines[0]}" '^twin-predict: in:4: '
	assert_equal "${stderr_lines[1]}" 'twin-predict: in:5: missing "ts"'
	for args in "--method=magic" "--threshold=2" "--window=2" "--train=-1" "--window=1.5" "--no-such"; do
		run --separate-stderr twin-predict $args /dev/null
		assert_failure 2
		assert_output ""
		assert_regex "$stderr" '^twin-predict: '
	done
}

@test "twin-act reads the scores" {
	series m >in
	cat >rules.json <<'JSON'
{"rules":[{"name":"odd","when":"score.t >= 0.9","alert":"{asset}: t looks odd ({score.t})"}]}
JSON
	run bash -c "twin-predict --method=mad --window=50 --train=50 in | sed 's/\"sensor\":\"t\",\"value\":\\([0-9.]*\\)}/\"kind\":\"state\",\"values\":{\"t\":\\1}}/' | twin-act --rules=rules.json | jq -r 'select(.kind == \"alert\" and .state == \"fired\") | .ts'"
	assert_success
	assert_output "2024-01-01T00:03:21Z"
}

# States of asset m: a and b move together (b = 2a), c on its own; from
# state 300 on, b = -2a: each value stays in its usual range, their
# relation breaks.
states() {
	awk -v n="${1:-400}" 'BEGIN { srand(11); for (i = 0; i < n; i++) {
		a = sin(i / 7) + 0.05 * (rand() - 0.5); b = 2 * a + 0.05 * (rand() - 0.5)
		c = rand(); if (i >= 300) b = -b
		printf "{\"ts\":%d,\"asset\":\"m\",\"kind\":\"state\",\"values\":{\"a\":%.4f,\"b\":%.4f,\"c\":%.4f}}\n", 1704067200 + i, a, b, c } }'
}

@test "pca: a broken relation between sensors alarms, with the sensor that drove it" {
	states >in
	run --separate-stderr twin-predict --method=pca --train=200 --stats in
	assert_success
	scores=$(grep '"kind":"score"' <<<"$output")
	assert_equal "$(wc -l <<<"$scores")" 200
	# Before the break: at most a few alarms at 99 % confidence; after it: nearly all.
	before=$(head -n 100 <<<"$scores" | grep -c '"alarm":true' || true)
	after=$(tail -n 100 <<<"$scores" | grep -c '"alarm":true' || true)
	[ "$before" -le 5 ] || fail "$before alarms before the break"
	[ "$after" -ge 95 ] || fail "only $after alarms after the break"
	last=$(tail -n 1 <<<"$scores")
	assert_equal "$(jq -r '[.method, .alarm, (.q > .q_limit), (.top == "a" or .top == "b")] | @tsv' <<<"$last")" \
		"pca	true	true	true"
	assert_equal "$(jq '.contributions | [.[]] | add | . * 1000 | round' <<<"$last")" 1000
	assert_regex "$stderr" '400 lines: 400 passed through, 0 rejected, 0 of other shards; 400 samples of 1 series, 200 scores, [0-9]+ alarms, 0 forecasts, 0 rul, 0 unscored; method pca$'
}

@test "pca: a model fitted once scores like the reference period learned in the stream" {
	states >in
	head -n 200 in >ref
	run --separate-stderr twin-predict --method=pca --fit=model.json ref
	assert_success
	assert_equal "$stderr" ""
	assert_output "$(cat ref)"   # records pass through; nothing scored
	jq -e '.format == "twin-predict model" and .method == "pca" and (.pca[0].sensors == ["a","b","c"])' model.json
	twin-predict --method=pca --train=200 in | grep '"kind":"score"' >streamed
	tail -n 200 in >rest
	run --separate-stderr twin-predict --model=model.json rest
	assert_success
	assert_equal "$(grep '"kind":"score"' <<<"$output")" "$(cat streamed)"
}

@test "pca: a state without a sensor of the model is passed through, not scored, and said once" {
	states >in
	head -n 200 in | twin-predict --method=pca --fit=model.json >/dev/null
	tail -n 5 in | sed 's/"c":[0-9.]*/"d":1/' >other
	run --separate-stderr twin-predict --model=model.json --stats other
	assert_success
	assert_equal "$(grep -c '"kind":"score"' <<<"$output")" 0
	assert_equal "$(wc -l <<<"$output")" 5
	assert_equal "$(head -n 1 <<<"$stderr")" "twin-predict: other:1: asset m: state without a number for sensor 'c' of the model; such states are not scored"
	assert_equal "$(grep -c 'not scored' <<<"$stderr")" 1
	assert_regex "$stderr" '5 unscored; method pca$'
}

@test "models: bad files and mismatched options are clear errors" {
	echo '{"format":"something else"}' >other.json
	run --separate-stderr twin-predict --model=other.json /dev/null
	assert_failure 2
	assert_equal "$stderr" "twin-predict: other.json: not a twin-predict model (no \"format\": \"twin-predict model\")"
	echo '{"format":' >broken.json
	run --separate-stderr twin-predict --model=broken.json /dev/null
	assert_failure 2
	assert_regex "$stderr" '^twin-predict: broken.json:[0-9]+:[0-9]+: '
	run --separate-stderr twin-predict --model=missing.json /dev/null
	assert_failure 2
	assert_regex "$stderr" '^twin-predict: missing.json: .*No such file or directory'
	states 250 | twin-predict --method=pca --fit=model.json >/dev/null
	run --separate-stderr twin-predict --model=model.json --method=mad /dev/null
	assert_failure 2
	assert_equal "$stderr" "twin-predict: model.json: a model of method 'pca', not 'mad'"
	jq '.pca[0].model.loadings[0] = [1]' model.json >bad.json
	states 5 >in
	run --separate-stderr twin-predict --model=bad.json in
	assert_success
	assert_regex "$stderr" '^twin-predict: in:1: asset m: .*loadings'
	run --separate-stderr twin-predict --fit=m.json --model=m.json /dev/null
	assert_failure 2
	assert_regex "$stderr" 'same file'
	run --separate-stderr twin-predict --rul /dev/null
	assert_failure 2
	assert_regex "$stderr" '^twin-predict: --rul needs a model'
	mkdir ro && chmod 555 ro
	if [ "$(id -u)" != 0 ]; then
		run --separate-stderr twin-predict --method=pca --fit=ro/m.json in
		assert_failure 2
		assert_regex "$stderr" 'ro/m.json'
	fi
}

@test "shards: each asset in exactly one shard, scored as in one process" {
	for a in p1 p2 p3 p4 p5; do series $a; done >in
	twin-predict in >all
	: >merged
	for k in 0 1 2; do
		run --separate-stderr twin-predict --shard=$k/3 --stats in
		assert_success
		printf '%s\n' "$output" >>merged
	done
	assert_equal "$(sort merged | sha256sum)" "$(sort all | sha256sum)"
	run --separate-stderr twin-predict --shard=3/3 in
	assert_failure 2
	assert_regex "$stderr" "shard"
}

@test "forecasts: Holt forecasts a line exactly, with a zero-width interval" {
	awk 'BEGIN { for (i = 0; i < 40; i++) printf "{\"ts\":%d,\"asset\":\"p\",\"sensor\":\"t\",\"value\":%d}\n", 1704067200 + i, 2 * i + 1 }' >line
	run --separate-stderr twin-predict --forecast=10s --train=20 --no-scores --stats line
	assert_success
	fc=$(grep '"kind":"forecast"' <<<"$output")
	assert_equal "$(wc -l <<<"$fc")" 21
	assert_equal "$(head -n 1 <<<"$fc")" '{"ts":"2024-01-01T00:00:19Z","asset":"p","kind":"forecast","sensor":"t","at":"2024-01-01T00:00:29Z","value":59,"lo":59,"hi":59,"level":0.95,"method":"holt"}'
	assert_equal "$(grep -c '"kind":"score"' <<<"$output")" 0
	assert_regex "$stderr" ' 0 scores, 0 alarms, 21 forecasts,'
	run --separate-stderr twin-predict --forecast=10s --train=20 --no-scores --forecast-every=5 line
	assert_equal "$(grep -c '"kind":"forecast"' <<<"$output")" 4
}

# A daily-like cycle of 24 samples a minute apart, with noise.
seasonal() {
	awk 'BEGIN { srand(3); for (i = 0; i < 600; i++)
		printf "{\"ts\":%d,\"asset\":\"p\",\"sensor\":\"t\",\"value\":%.3f}\n", 1704067200 + 60 * i, 10 * sin(2 * 3.14159265 * i / 24) + rand() }'
}

@test "forecasts: Holt-Winters finds the season; the intervals hold the values that came" {
	seasonal >in
	for m in holt-winters ar; do
		twin-predict --forecast=1h --forecast-method=$m --train=200 --no-scores in >out
		# Each forecast at "at" against the value that came then.
		jq -s -r '(map(select(.sensor == "t" and .kind == null)) | map({(.ts | tostring): .value}) | add) as $v
			| map(select(.kind == "forecast")) | map(($v[(.at | fromdateiso8601 | tostring)]) as $y
			| select($y != null) | [$y >= .lo and $y <= .hi, .method]) | [length, (map(select(.[0])) | length), .[0][1]] | @tsv' out >cover
		read -r n inside method <cover
		[ "$n" -ge 300 ] || fail "$m: only $n forecasts checked"
		[ "$method" = "$m" ] || fail "$m ran as $method"
		[ $((100 * inside / n)) -ge 88 ] || fail "$m: $inside of $n values inside the 95 % intervals"
	done
}

@test "forecasts: a fitted forecaster saved in a model forecasts on as in one run" {
	seasonal >in
	head -n 300 in >ref
	tail -n 300 in >rest
	twin-predict --forecast=1h --forecast-method=holt-winters --train=200 --no-scores in |
		grep '"kind":"forecast"' | tail -n 300 >one
	run --separate-stderr twin-predict --forecast=1h --forecast-method=holt-winters --train=200 --fit=m.json ref
	assert_success
	jq -e '.series[0].forecaster and .series[0].sensor == "t"' m.json
	run --separate-stderr twin-predict --forecast=1h --model=m.json --no-scores rest
	assert_success
	assert_equal "$(grep '"kind":"forecast"' <<<"$output")" "$(cat one)"
}

@test "forecasts: bad options are usage errors; a forecaster learns at least two seasons" {
	for args in "--forecast=0s" "--forecast=soon" "--forecast=1h --forecast-method=magic" "--forecast=1h --level=1" "--forecast=1h --forecast-every=0" "--forecast=1h --ar-order=0" "--forecast=1h --forecast-method=ar --ar-order=65"; do
		run --separate-stderr twin-predict $args /dev/null
		assert_failure 2
		assert_regex "$stderr" '^twin-predict: '
	done
	seasonal >in
	# A season of 2 days is 2880 samples: 600 are not enough to learn it.
	run --separate-stderr twin-predict --forecast=1h --forecast-method=holt-winters --season=2d --train=10 --no-scores in
	assert_success
	assert_equal "$stderr" ""
	assert_equal "$(grep -c '"kind":"forecast"' <<<"$output")" 0
	run --separate-stderr twin-predict --forecast=1h --forecast-method=holt-winters --season=2h --train=10 --no-scores in
	assert_equal "$(grep -c '"kind":"forecast"' <<<"$output")" 361
}

# Run-to-failure histories: asset e1..e8 of lives 100..170 s; its sensors
# wear as (t / life)^2 with a little noise, the last state is the failure.
histories() {
	awk -v only="${1:-}" -v cut="${2:-0}" 'BEGIN { srand(5)
		for (e = 1; e <= 9; e++) { life = 90 + 10 * e
			for (t = 1; t <= life; t++) { w = (t / life) ^ 2
				a = 10 + 5 * w + 0.05 * (rand() - 0.5); b = 3 - 2 * w + 0.05 * (rand() - 0.5)
				if ((only == "" && e < 9) || (only == e && t <= cut))
					printf "{\"ts\":%d,\"asset\":\"e%d\",\"kind\":\"state\",\"values\":{\"a\":%.4f,\"b\":%.4f,\"c\":1}}\n", t, e, a, b } } }'
}

@test "rul: a model fitted on run-to-failure histories estimates the life left" {
	histories >train
	run --separate-stderr twin-predict --rul --no-scores --fit=rul.json train
	assert_success
	assert_equal "$stderr" ""
	jq -e '.rul.sensors == ["a","b","c"] and .rul.model.method == "similarity" and (.series | length) == 0' rul.json
	# e9 lives 180 s: cut at 120 s, 60 s are left.
	histories 9 120 >e9
	run --separate-stderr twin-predict --rul --no-scores --model=rul.json --stats e9
	assert_success
	last=$(grep '"kind":"rul"' <<<"$output" | tail -n 1)
	assert_regex "$last" '^\{"ts":"1970-01-01T00:02:00Z","asset":"e9","kind":"rul","value":[0-9.e+-]+,"unit":"s","lo":[0-9.e+-]+,"hi":[0-9.e+-]+,"level":0.95,"health":[0-9.e+-]+\}$'
	jq -e '(.value - 60 | fabs) < 20 and .lo <= 60 and .hi >= 60 and .lo <= .value and .value <= .hi and .health > 0 and .health < 1' <<<"$last"
	assert_regex "$stderr" ' 0 scores, 0 alarms, 0 forecasts, [0-9]+ rul, 0 unscored;'
}

@test "rul: states without a sensor of the model are said once; too few histories is an error" {
	histories >train
	twin-predict --rul --no-scores --fit=rul.json train >/dev/null
	histories 9 50 | sed 's/,"c":1//' >noc
	run --separate-stderr twin-predict --rul --no-scores --model=rul.json --stats noc
	assert_success
	assert_equal "$(grep -c '"kind":"rul"' <<<"$output")" 0
	assert_equal "$(head -n 1 <<<"$stderr")" "twin-predict: noc:1: asset e9: state without a number for sensor 'c' of the rul model; such states give no rul"
	assert_regex "$stderr" ' 50 unscored;'
	grep '"asset":"e[12]"' train >two
	run --separate-stderr twin-predict --rul --no-scores --fit=two.json two
	assert_failure 2
	assert_equal "$stderr" 'twin-predict: rul: 2 histories: at least 3 are needed'
	[ ! -e two.json ]
	run --separate-stderr twin-predict --rul --model=rul.json --method=pca /dev/null
	assert_failure 2
}
