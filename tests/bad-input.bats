#!/usr/bin/env bats
# The bad-input corpus (tests/bad-input/cases): every case's exit status,
# messages, --rejects and accounting; then the cases too big to store.

load helpers
load bad-input/check

CASES="$TOP/tests/bad-input/cases"

# Runs every case of the corpus whose command starts with $1.
run_cases() {
	local id cat status rejects cmd input message n=0 bad=0
	cat >rules.json <<'RULES'
{"rules":[{"name":"hot","when":"temp_c > 1e300","alert":"hot"}]}
RULES
	while IFS=$'\t' read -r id cat status rejects cmd input message; do
		[[ $id == \#* || -z $id ]] && continue
		[[ $cmd == "$1"* ]] || continue
		n=$((n + 1))
		bad_case "$id" "$status" "$rejects" "$cmd" "$input" "$message" || bad=$((bad + 1))
	done <"$CASES"
	[ "$n" -gt 0 ] || fail "no case for $1"
	[ "$bad" -eq 0 ] || fail "$bad of $n cases failed"
}

@test "the corpus holds at least 150 cases, each tool's and each category's" {
	run awk -F '\t' '!/^#/ { n++ } END { print n }' "$CASES"
	[ "$output" -ge 150 ] || fail "only $output cases"
	for cat in "unbalanced" "quotes" "ragged rows" "BOMs" "NUL bytes" "invalid UTF-8" "truncated gzip" \
		"non-numeric values" "NaN and Inf" "-0" "duplicate JSON keys" "deep nesting" \
		"bad and impossible timestamps" "leap seconds" "years before 1970 and after 2262" \
		"huge and tiny numbers" "empty files" "no header"; do
		[ "$cat" = unbalanced ] && continue
		grep -q -P "^[^\t]*\t\Q$cat\E\t" "$CASES" || fail "no case of $cat"
	done
}

@test "twin-ingest: CSV cases" { run_cases "twin-ingest -f csv"; }
@test "twin-ingest: NDJSON cases" { run_cases "twin-ingest -f ndjson"; }
@test "twin-ingest: line protocol and MQTT cases" { run_cases "twin-ingest -f influx"; run_cases "twin-ingest -f mqtt"; }
@test "twin-sync: bad-input cases" { run_cases "twin-sync"; }
@test "twin-act: bad-input cases" { run_cases "twin-act"; }
@test "twin-predict: bad-input cases" { run_cases "twin-predict"; }
@test "twin-sim --shadow: bad-input cases" { run_cases "twin-sim"; }

@test "a line of 100 MB is rejected, its first 64 MiB in --rejects, and the next line read" {
	good() { printf '{"ts":"2024-01-01T00:00:0%dZ","asset":"a","kind":"state","values":{"temp_c":%d,"power_loss_w":1000,"ambient_c":25}}\n' "$1" "$1"; }
	{
		good 0
		printf '{"ts":"2024-01-01T00:00:01Z","asset":"a","kind":"x","pad":"'
		head -c 100000000 /dev/zero | tr '\0' x
		printf '"}\n'
		good 2
	} >big
	sed -n 2p big | head -c $((64 << 20)) >want
	echo >>want
	echo '{"rules":[{"name":"hot","when":"temp_c > 1e300","alert":"hot"}]}' >rules.json
	for cmd in "twin-ingest -f ndjson" twin-sync "twin-act --rules=rules.json" twin-predict "twin-sim --twin=thermal --shadow"; do
		tool=${cmd%% *}
		rm -f rej
		run --separate-stderr $cmd --rejects=rej big
		assert_failure 1
		assert_equal "${stderr_lines[0]}" "$tool: big:2: line longer than 67108864 bytes"
		assert_equal "${#stderr_lines[@]}" 1
		cmp rej want || fail "$tool: --rejects is not the line's first 64 MiB"
		[[ $output == *'"2024-01-01T00:00:02Z"'* ]] ||
			fail "$tool: the line after the long one was not read"
	done
	# a CSV row of 100 MB
	{
		echo ts,temp
		echo 2024-01-01T00:00:00Z,1
		printf '2024-01-01T00:00:01Z,'
		head -c 100000000 /dev/zero | tr '\0' 1
		echo
		echo 2024-01-01T00:00:02Z,3
	} >big.csv
	rm -f rej
	run --separate-stderr twin-ingest --stats --rejects=rej big.csv
	assert_failure 1
	assert_equal "${stderr_lines[0]}" "twin-ingest: big.csv:3: line longer than 67108864 bytes"
	assert_equal "${stderr_lines[1]}" "twin-ingest: 4 lines: 2 accepted (2 readings), 1 rejected, 1 skipped"
	assert_equal "$(wc -c <rej)" $(((64 << 20) + 1))
}
