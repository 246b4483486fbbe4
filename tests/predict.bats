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
	run --separate-stderr twin-predict --method=mad --window=50 --warmup=50 in
	assert_success
	assert_equal "$stderr" ""
	assert_equal "$(grep -c '"kind":"score"' <<<"$output")" 300
	assert_line --index 0 "$(head -n 1 in)"
	assert_line --index 1 --regexp '^\{"ts":"2024-01-01T00:00:00Z","asset":"p","kind":"score","sensor":"t","score":0,"threshold":0.9,"alarm":false,"method":"mad"\}$'
}

@test "a spike alarms, the normal samples do not" {
	series >in
	run --separate-stderr twin-predict --method=mad --window=50 --warmup=50 --alarms-only in
	assert_success
	alarms=$(grep '"kind":"score"' <<<"$output")
	assert_equal "$(wc -l <<<"$alarms")" 1
	assert_regex "$alarms" '"ts":"2024-01-01T00:03:20Z".*"alarm":true'
}

@test "each series has its own detector: readings, state values and residuals" {
	{ series a; series b; } >in
	run --separate-stderr twin-predict --method=mad --window=50 --warmup=50 --alarms-only --stats in
	assert_equal "$(grep -c '"alarm":true' <<<"$output")" 2
	assert_equal "$stderr" "twin-predict: 600 lines: 600 samples of 2 series, 2 scores, 2 alarms"
	printf '%s\n' '{"ts":0,"asset":"m","kind":"state","values":{"x":1,"s":"RUN","y":2}}' \
		'{"ts":0,"asset":"m","kind":"residual","sensor":"temp_c","measured":1,"simulated":0.5,"residual":0.5}' >mixed
	run --separate-stderr twin-predict --warmup=0 mixed
	assert_success
	assert_equal "$(jq -r 'select(.kind == "score") | .sensor' <<<"$output" | paste -sd' ')" "x y residual.temp_c"
	run --separate-stderr twin-predict --sensors=y --warmup=0 mixed
	assert_equal "$(jq -r 'select(.kind == "score") | .sensor' <<<"$output")" "y"
}

@test "a constant series never alarms; non-numeric values are skipped" {
	for i in $(seq 0 99); do echo "{\"ts\":$i,\"asset\":\"p\",\"sensor\":\"t\",\"value\":5}"; done >flat
	echo '{"ts":100,"asset":"p","sensor":"t","value":"RUN"}' >>flat
	echo '{"ts":101,"asset":"p","sensor":"t","value":null}' >>flat
	for m in auto mad cusum likelihood; do
		run --separate-stderr twin-predict --method=$m --window=10 --warmup=10 --alarms-only flat
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
	for args in "--method=magic" "--threshold=2" "--window=2" "--warmup=-1" "--window=1.5" "--no-such"; do
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
	run bash -c "twin-predict --method=mad --window=50 --warmup=50 in | sed 's/\"sensor\":\"t\",\"value\":\\([0-9.]*\\)}/\"kind\":\"state\",\"values\":{\"t\":\\1}}/' | twin-act --rules=rules.json | jq -r 'select(.kind == \"alert\" and .state == \"fired\") | .ts'"
	assert_success
	assert_output "2024-01-01T00:03:21Z"
}
