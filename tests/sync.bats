#!/usr/bin/env bats
# twin-sync: every option and every error path.

load helpers

r() {  # r TS SENSOR VALUE [ASSET]: one reading
	printf '{"ts":"%s","asset":"%s","sensor":"%s","value":%s}\n' "$1" "${4:-p}" "$2" "$3"
}

@test "each reading updates and emits the asset's state" {
	{ r 2024-01-01T00:00:00Z t 1; r 2024-01-01T00:00:01Z rpm 1450; r 2024-01-01T00:00:02Z t 2; } >in
	run --separate-stderr twin-sync in
	assert_success
	assert_equal "$stderr" ""
	assert_output '{"ts":"2024-01-01T00:00:00Z","asset":"p","kind":"state","values":{"t":1}}
{"ts":"2024-01-01T00:00:01Z","asset":"p","kind":"state","values":{"t":1,"rpm":1450}}
{"ts":"2024-01-01T00:00:02Z","asset":"p","kind":"state","values":{"t":2,"rpm":1450}}'
}

@test "records of other kinds pass through unchanged, in place" {
	{ r 2024-01-01T00:00:00Z t 1; echo '{"ts":"2024-01-01T00:00:00Z", "asset":"p","kind":"score","score":0.1}'; } >in
	run --separate-stderr twin-sync in
	assert_success
	assert_output '{"ts":"2024-01-01T00:00:00Z","asset":"p","kind":"state","values":{"t":1}}
{"ts":"2024-01-01T00:00:00Z", "asset":"p","kind":"score","score":0.1}'
}

@test "--lateness reorders readings by event time; later than that is rejected" {
	{ r 2024-01-01T00:00:02Z t 2; r 2024-01-01T00:00:01Z t 1; r 2024-01-01T00:00:05Z t 5; r 2024-01-01T00:00:00Z t 0; } >in
	run --separate-stderr twin-sync --lateness=2s --rejects=rej in
	assert_failure 1
	assert_output '{"ts":"2024-01-01T00:00:01Z","asset":"p","kind":"state","values":{"t":1}}
{"ts":"2024-01-01T00:00:02Z","asset":"p","kind":"state","values":{"t":2}}
{"ts":"2024-01-01T00:00:05Z","asset":"p","kind":"state","values":{"t":5}}'
	assert_equal "$stderr" "twin-sync: in:4: late: 3s behind the watermark of p"
	assert_equal "$(cat rej)" '{"ts":"2024-01-01T00:00:00Z","asset":"p","sensor":"t","value":0}'
}

@test "--late=drop counts, --late=keep passes the late reading through" {
	{ r 2024-01-01T00:00:05Z t 5; r 2024-01-01T00:00:01Z t 1; } >in
	run --separate-stderr twin-sync --late=drop --stats in
	assert_success
	assert_output '{"ts":"2024-01-01T00:00:05Z","asset":"p","kind":"state","values":{"t":5}}'
	assert_regex "$stderr" ", 1 late, "
	run --separate-stderr twin-sync --late=keep in
	assert_success
	assert_output '{"ts":"2024-01-01T00:00:05Z","asset":"p","kind":"state","values":{"t":5}}
{"ts":"2024-01-01T00:00:01Z","asset":"p","sensor":"t","value":1}'
}

@test "watermarks are per asset: an idle asset does not hold others back" {
	{ r 2024-01-01T00:00:10Z t 1 a; r 2024-01-01T00:00:00Z t 2 b; r 2024-01-01T00:00:01Z t 3 b; } >in
	run --separate-stderr twin-sync in
	assert_success
	assert_equal "${#lines[@]}" 3
}

@test "exact duplicates are dropped and counted" {
	{ r 2024-01-01T00:00:00Z t 1; r 2024-01-01T00:00:00Z t 1; r 2024-01-01T00:00:00Z t 2; } >in
	run --separate-stderr twin-sync --stats in
	assert_success
	assert_equal "${#lines[@]}" 2
	assert_regex "$stderr" ", 1 duplicates, "
}

@test "--max-future quarantines a reading far ahead instead of moving the watermark" {
	{ r 2024-01-01T00:00:00Z t 1; r 2099-01-01T00:00:00Z t 9; r 2024-01-01T00:00:01Z t 2; } >in
	run --separate-stderr twin-sync --max-future=1h --rejects=rej in
	assert_failure 1
	assert_output '{"ts":"2024-01-01T00:00:00Z","asset":"p","kind":"state","values":{"t":1}}
{"ts":"2024-01-01T00:00:01Z","asset":"p","kind":"state","values":{"t":2}}'
	assert_regex "$stderr" '^twin-sync: in:2: quarantined: [0-9.e+]+s ahead of the watermark of p$'
	assert_equal "$(cat rej)" '{"ts":"2099-01-01T00:00:00Z","asset":"p","sensor":"t","value":9}'
}

@test "--every aligns states on a grid of multiples of DUR, holding values" {
	{ r 2024-01-01T00:00:00.400Z t 1; r 2024-01-01T00:00:01.100Z rpm 5; r 2024-01-01T00:00:02.700Z t 3; } >in
	run --separate-stderr twin-sync --every=1s in
	assert_success
	assert_output '{"ts":"2024-01-01T00:00:01Z","asset":"p","kind":"state","values":{"t":1}}
{"ts":"2024-01-01T00:00:02Z","asset":"p","kind":"state","values":{"t":1,"rpm":5}}'
}

@test "--every includes a reading exactly at the instant" {
	{ r 2024-01-01T00:00:00Z t 1; r 2024-01-01T00:00:01Z t 2; r 2024-01-01T00:00:02Z t 3; } >in
	run --separate-stderr twin-sync --every=1s in
	assert_success
	assert_output '{"ts":"2024-01-01T00:00:00Z","asset":"p","kind":"state","values":{"t":1}}
{"ts":"2024-01-01T00:00:01Z","asset":"p","kind":"state","values":{"t":2}}
{"ts":"2024-01-01T00:00:02Z","asset":"p","kind":"state","values":{"t":3}}'
}

@test "--interp=linear interpolates between neighbours within the lateness" {
	{ r 2024-01-01T00:00:00Z t 0; r 2024-01-01T00:00:04Z t 8; r 2024-01-01T00:00:05Z s '"x"'; } >in
	run --separate-stderr twin-sync --every=1s --interp=linear --lateness=5s in
	assert_success
	assert_output '{"ts":"2024-01-01T00:00:00Z","asset":"p","kind":"state","values":{"t":0}}
{"ts":"2024-01-01T00:00:01Z","asset":"p","kind":"state","values":{"t":2}}
{"ts":"2024-01-01T00:00:02Z","asset":"p","kind":"state","values":{"t":4}}
{"ts":"2024-01-01T00:00:03Z","asset":"p","kind":"state","values":{"t":6}}
{"ts":"2024-01-01T00:00:04Z","asset":"p","kind":"state","values":{"t":8}}
{"ts":"2024-01-01T00:00:05Z","asset":"p","kind":"state","values":{"t":8,"s":"x"}}'
}

@test "--on-change emits when a value moves more than the deadband" {
	{ r 2024-01-01T00:00:00Z t 1; r 2024-01-01T00:00:01Z t 1.05; r 2024-01-01T00:00:02Z t 1.2; r 2024-01-01T00:00:03Z t 1.2; } >in
	run --separate-stderr twin-sync --on-change --deadband=0.1 in
	assert_success
	assert_output '{"ts":"2024-01-01T00:00:00Z","asset":"p","kind":"state","values":{"t":1}}
{"ts":"2024-01-01T00:00:02Z","asset":"p","kind":"state","values":{"t":1.2}}'
}

@test "--stale-after lists stale sensors; --null-stale writes them as null" {
	{ r 2024-01-01T00:00:00Z a 1; r 2024-01-01T00:00:00Z b 2; r 2024-01-01T00:00:10Z a 3; } >in
	run --separate-stderr twin-sync --stale-after=5s in
	assert_success
	assert_line --index 2 '{"ts":"2024-01-01T00:00:10Z","asset":"p","kind":"state","values":{"a":3,"b":2},"stale":["b"]}'
	run --separate-stderr twin-sync --stale-after=5s --null-stale in
	assert_line --index 2 '{"ts":"2024-01-01T00:00:10Z","asset":"p","kind":"state","values":{"a":3,"b":null},"stale":["b"]}'
}

@test "--twin: ranges mark bad values, periods make staleness, derived signals" {
	cat >twin.json <<'JSON'
{"assets": {"pump-*": {"sensors": {"temp_c": {"min": -20, "max": 150, "period": "1s"}},
                       "derived": {"temp_f": "temp_c * 9 / 5 + 32"}}}}
JSON
	{ r 2024-01-01T00:00:00Z temp_c 100 pump-1; r 2024-01-01T00:00:01Z temp_c 200 pump-1; r 2024-01-01T00:00:05Z x 1 pump-1; } >in
	run --separate-stderr twin-sync --twin=twin.json in
	assert_success
	assert_output '{"ts":"2024-01-01T00:00:00Z","asset":"pump-1","kind":"state","values":{"temp_c":100,"temp_f":212}}
{"ts":"2024-01-01T00:00:01Z","asset":"pump-1","kind":"state","values":{"temp_c":200,"temp_f":392},"bad":["temp_c"]}
{"ts":"2024-01-01T00:00:05Z","asset":"pump-1","kind":"state","values":{"temp_c":200,"x":1,"temp_f":392},"stale":["temp_c"],"bad":["temp_c"]}'
	run --separate-stderr twin-sync --twin=twin.json --out-of-range=reject in
	assert_failure 1
	assert_equal "$stderr" "twin-sync: in:2: temp_c = 200 is outside its valid range [-20, 150]"
}

@test "--twin: a bad expression is a fatal error naming the file and the signal" {
	echo '{"assets": {"p": {"derived": {"y": "t * (2"}}}}' >bad.json
	run --separate-stderr twin-sync --twin=bad.json /dev/null
	assert_failure 2
	assert_regex "$stderr" '^twin-sync: bad\.json: assets\.p\.derived\.y: '
	run --separate-stderr twin-sync --twin=missing.json /dev/null
	assert_failure 2
	assert_regex "$stderr" '^twin-sync: missing\.json'
}

@test "bad input is rejected with file and line, the rest processed" {
	{
		r 2024-01-01T00:00:00Z t 1
		echo 'not json'
		echo '{"ts":"2024-01-01T00:00:01Z","asset":"p","value":1}'
		echo '{"ts":"2024-01-01T00:00:01Z","asset":"p","sensor":"t","value":[1]}'
		echo '{"asset":"p","sensor":"t","value":1}'
		r 2024-01-01T00:00:02Z t 2
	} >in
	run --separate-stderr twin-sync --rejects=rej in
	assert_failure 1
	assert_equal "${#lines[@]}" 2
	assert_equal "${#stderr_lines[@]}" 4
	assert_regex "${stderr_lines[0]}" '^twin-sync: in:2: '
	assert_equal "${stderr_lines[1]}" 'twin-sync: in:3: missing "sensor"'
	assert_regex "${stderr_lines[2]}" '^twin-sync: in:4: "value" must be'
	assert_equal "${stderr_lines[3]}" 'twin-sync: in:5: missing "ts"'
	assert_equal "$(lines rej)" 4
}

@test "--strict stops at the first rejected line" {
	{ r 2024-01-01T00:00:00Z t 1; echo 'bad'; r 2024-01-01T00:00:02Z t 2; } >in
	run --separate-stderr twin-sync --strict in
	assert_failure 1
	assert_equal "${#lines[@]}" 1
}

@test "--keep-readings passes accepted readings through, bad ones marked" {
	echo '{"assets": {"p": {"sensors": {"t": {"max": 10}}}}}' >twin.json
	{ r 2024-01-01T00:00:00Z t 1; r 2024-01-01T00:00:01Z t 11; } >in
	run --separate-stderr twin-sync --keep-readings --twin=twin.json in
	assert_success
	assert_output '{"ts":"2024-01-01T00:00:00Z","asset":"p","sensor":"t","value":1}
{"ts":"2024-01-01T00:00:00Z","asset":"p","kind":"state","values":{"t":1}}
{"ts":"2024-01-01T00:00:01Z","asset":"p","sensor":"t","value":11,"q":"bad"}
{"ts":"2024-01-01T00:00:01Z","asset":"p","kind":"state","values":{"t":11},"bad":["t"]}'
}

@test "--snapshot prints the last state of every asset" {
	{ r 2024-01-01T00:00:00Z t 1 a; r 2024-01-01T00:00:03Z t 2 b; r 2024-01-01T00:00:05Z u 3 a; } >in
	run --separate-stderr twin-sync --every=10s --snapshot in
	assert_success
	# the grid instant 00:00:00 of a, then the snapshot
	assert_output '{"ts":"2024-01-01T00:00:00Z","asset":"a","kind":"state","values":{"t":1}}
{"ts":"2024-01-01T00:00:05Z","asset":"a","kind":"state","values":{"t":1,"u":3}}
{"ts":"2024-01-01T00:00:03Z","asset":"b","kind":"state","values":{"t":2}}'
}

@test "--key prefixes asset and a tab" {
	r 2024-01-01T00:00:00Z t 1 pump-1 >in
	run --separate-stderr twin-sync --key in
	assert_success
	assert_output "$(printf 'pump-1\t{"ts":"2024-01-01T00:00:00Z","asset":"pump-1","kind":"state","values":{"t":1}}')"
}

@test "--shard K/N: the shards together hold every asset exactly once" {
	for i in $(seq 1 40); do r 2024-01-01T00:00:00Z t "$i" "asset-$i"; done >in
	twin-sync in | sort >all
	for k in 0 1 2; do twin-sync --shard="$k/3" in; done | sort >merged
	run diff all merged
	assert_success
	run --separate-stderr twin-sync --shard=3/3 in
	assert_failure 2
}

@test "--shard under GNU parallel: merged outputs equal one process's" {
	command -v parallel >/dev/null || skip "GNU parallel is not installed"
	for i in $(seq 1 300); do
		r "2024-01-01T00:00:0$((i % 10))Z" t "$i" "asset-$((i % 17))"
	done >in
	twin-sync --lateness=10s --every=1s in | sort >one
	for n in 2 4; do
		parallel -j "$n" "twin-sync --lateness=10s --every=1s --shard={}/$n in" ::: $(seq 0 $((n - 1))) | sort >"merged$n"
		run diff one "merged$n"
		assert_success
	done
}

@test "--state: a log that grows, read again by cron, gives what one run gives" {
	for i in $(seq 0 59); do r "2024-01-01T00:00:$(printf %02d "$i")Z" t "$i"; done >log
	twin-sync --state=one.json --every=2s --lateness=3s log >one.out
	head -n 20 log >part
	twin-sync --state=cron.json --every=2s --lateness=3s part >>cron.out
	head -n 41 log >part
	twin-sync --state=cron.json --every=2s --lateness=3s part >>cron.out
	twin-sync --state=cron.json --every=2s --lateness=3s log >>cron.out
	run cmp one.out cron.out
	assert_success
	# instants 0, 2 ... 54 s: the watermark (59 s - 3 s) has passed them
	assert_equal "$(lines one.out)" 28
	twin-sync --state=one.json --every=2s --lateness=3s --final log >>one.out
	assert_equal "$(lines one.out)" 30
}

@test "--state: an input that does not continue the saved run is a fatal error" {
	{ r 2024-01-01T00:00:00Z t 1; r 2024-01-01T00:00:01Z t 2; } >log
	twin-sync --state=s.json log >/dev/null
	r 2024-01-01T00:00:00Z t 9 >other
	r 2024-01-01T00:00:01Z t 2 >>other
	run --separate-stderr twin-sync --state=s.json other
	assert_failure 2
	assert_regex "$stderr" "^twin-sync: other:2: the input does not continue the run saved in s\.json"
	r 2024-01-01T00:00:00Z t 1 >short
	run --separate-stderr twin-sync --state=s.json short
	assert_failure 2
	assert_regex "$stderr" "fewer than the 2"
	echo '{"not":"a checkpoint"}' >junk.json
	run --separate-stderr twin-sync --state=junk.json log
	assert_failure 2
	assert_regex "$stderr" '^twin-sync: junk\.json: not a checkpoint'
}

@test "--state: SIGTERM saves the state and the run resumes where it stopped" {
	mkfifo in.fifo
	twin-sync --state=s.json --every=1s in.fifo >out &
	pid=$!
	exec 4>in.fifo
	for i in 0 1 2 3; do r "2024-01-01T00:00:0${i}Z" t "$i" >&4; done
	for _ in $(seq 50); do [ "$(lines out)" -ge 3 ] && break; sleep 0.1; done
	kill -TERM "$pid"
	wait "$pid" || status=$?
	exec 4>&-
	assert_equal "${status:-0}" 143
	[ -s s.json ]
	{ for i in 0 1 2 3 4 5; do r "2024-01-01T00:00:0${i}Z" t "$i"; done; } >full
	twin-sync --state=s.json --every=1s --final full >>out
	run jq -c '.values.t' out
	assert_output "0
1
2
3
4
5"
}

@test "--state: SIGKILL at random points, then resume: nothing lost, nothing twice" {
	[ -z "${TWIN_VALGRIND:-}" ] || skip "a run under valgrind is too slow to be killed at random"
	for i in $(seq 0 3999); do
		printf '{"ts":%d,"asset":"a%d","sensor":"t","value":%d}\n' "$((1704067200 + i / 4))" "$((i % 4))" "$i"
	done >log
	twin-sync --every=1s --lateness=2s log >want
	trials=${SIGKILL_TRIALS:-25}
	for t in $(seq "$trials"); do
		rm -f s.json got
		: >got
		while :; do
			twin-sync --state=s.json --checkpoint-every=5s --every=1s --lateness=2s --final log >>got &
			pid=$!
			sleep "0.0$((RANDOM % 9))$((RANDOM % 10))"
			if kill -KILL "$pid" 2>/dev/null; then wait "$pid" || true; else wait "$pid"; break; fi
		done
		cmp want got || fail "trial $t: output differs after kills"
	done
}

@test "usage errors exit 2" {
	for args in "--every=0" "--every=soon" "--late=maybe" "--interp=cubic --every=1s" "--interp=linear" \
		"--every=1s --on-change" "--final" "--checkpoint-every=1m" "--shard=1" "--stale-factor=-1" \
		"--out-of-range=clip" "--no-such-option"; do
		run --separate-stderr twin-sync $args /dev/null
		assert_failure 2
		assert_output ""
		assert_regex "$stderr" '^twin-sync: '
	done
}

@test "output: a full disk is an error, | head is quiet" {
	for i in $(seq 0 9); do r "2024-01-01T00:00:0${i}Z" t "$i"; done >in
	run --separate-stderr bash -c 'twin-sync in >/dev/full'
	assert_failure 2
	assert_equal "$stderr" "twin-sync: standard output: No space left on device"
	for i in $(seq 0 99999); do echo "{\"ts\":$i,\"asset\":\"p\",\"sensor\":\"t\",\"value\":1}"; done >big
	run --separate-stderr bash -c 'twin-sync big | head -n 1'
	assert_equal "$stderr" ""
	assert_output '{"ts":"1970-01-01T00:00:00Z","asset":"p","kind":"state","values":{"t":1}}'
}

@test "real data: SKAB states on a 1 s grid match the recorded values" {
	twin-ingest --numeric --columns=Pressure,Temperature "$TOP/testdata/skab-valve1-1.csv" >readings
	run --separate-stderr twin-sync --every=1s readings
	assert_success
	# The bench records about once a second: one state per second of the
	# span (the gaps hold the last row), and each recorded second its row.
	first=$(jq -r .ts readings | head -n 1) last=$(jq -r .ts readings | tail -n 1)
	span=$(( $(date -u -d "$last" +%s) - $(date -u -d "$first" +%s) + 1 ))
	assert_equal "${#lines[@]}" "$span"
	assert_equal "${lines[0]}" '{"ts":"2020-03-09T10:34:33Z","asset":"skab-valve1-1","kind":"state","values":{"Pressure":0.054711,"Temperature":75.4955}}'
	for n in 2 101 700 1146; do
		row=$(sed -n "${n}p" "$TOP/testdata/skab-valve1-1.csv")
		when=$(echo "$row" | cut -d';' -f1 | sed 's/ /T/; s/$/Z/')
		want=$(echo "$row" | awk -F';' '{ printf "[%s,%s]", $5, $6 }')
		got=$(printf '%s\n' "${lines[@]}" | jq -c --arg t "$when" 'select(.ts == $t) | [.values.Pressure, .values.Temperature]')
		assert_equal "$got" "$(jq -nc "$want")"
	done
}

@test "--state: a resumed run cuts back only the output file it wrote" {
	for i in $(seq 0 9); do r "2024-01-01T00:00:0${i}Z" t "$i"; done >log
	twin-sync --state=s.json log >out
	cp s.json s2.json
	seq 1 1000 >other
	twin-sync --state=s2.json log >>other
	assert_equal "$(lines other)" 1000
	echo "junk" >>out
	twin-sync --state=s.json log >>out
	assert_equal "$(lines out)" 10
}

@test "--final: readings that arrive later cannot take the state back in time" {
	{ r 2024-01-01T00:00:00Z t 1; r 2024-01-01T00:00:05Z t 5; } >log
	twin-sync --state=s.json --lateness=10s --final log >out
	{ cat log; r 2024-01-01T00:00:03Z t 3; } >log2
	run --separate-stderr twin-sync --state=s.json --lateness=10s log2
	assert_failure 1
	assert_output ""
	assert_equal "$stderr" "twin-sync: log2:3: late: 2s behind the watermark of p"
}

@test "--strict writes what came before the rejected line" {
	{ r 2024-01-01T00:00:00Z t 1; r 2024-01-01T00:00:01Z t 2; echo bad; r 2024-01-01T00:00:02Z t 3; } >in
	run --separate-stderr twin-sync --strict --lateness=5s in
	assert_failure 1
	assert_equal "${#lines[@]}" 2
}

@test "--twin: derived signals may use only known sensors and earlier signals" {
	echo '{"assets": {"p": {"sensors": {"a": {}}, "derived": {"x": "y + 1", "y": "a * 2"}}}}' >fwd.json
	run --separate-stderr twin-sync --twin=fwd.json /dev/null
	assert_failure 2
	assert_equal "$stderr" "twin-sync: fwd.json: assets.p.derived.x: uses 'y', which is defined after it"
	echo '{"assets": {"p": {"sensors": {"a": {}}, "derived": {"y": "b * 2"}}}}' >typo.json
	run --separate-stderr twin-sync --twin=typo.json /dev/null
	assert_failure 2
	assert_regex "$stderr" "unknown variable 'b'"
	echo '{"assets": {"p": {"sensors": {"a": {}}, "derived": {"y": "a * 2"}}}}' >ok.json
	r 2024-01-01T00:00:00Z y 1 >in
	run --separate-stderr twin-sync --twin=ok.json in
	assert_failure 1
	assert_equal "$stderr" "twin-sync: in:1: y is a derived signal of p, not a sensor"
}

@test "--keep-readings marks a bad reading's quality in place" {
	echo '{"assets": {"p": {"sensors": {"t": {"max": 10}}}}}' >twin.json
	printf '%s\n' '{"ts":"2024-01-01T00:00:00Z","asset":"p","sensor":"t","value":11,"q":"good"}  ' \
		'{"ts":"2024-01-01T00:00:01Z","asset":"p","sensor":"t","value":12}  ' >in
	run --separate-stderr twin-sync --keep-readings --twin=twin.json --out-of-range=mark in
	assert_success
	assert_line --index 0 '{"ts":"2024-01-01T00:00:00Z","asset":"p","sensor":"t","value":11,"q":"bad"}  '
	assert_line --index 2 '{"ts":"2024-01-01T00:00:01Z","asset":"p","sensor":"t","value":12,"q":"bad"}  '
	run --separate-stderr twin-sync --twin=twin.json --out-of-range=reject in
	assert_equal "${stderr_lines[0]}" "twin-sync: in:1: t = 11 is outside its valid range at most 10"
}

@test "time stamps at the ends of the range neither wrap nor repeat grid instants" {
	printf '{"ts":"2262-04-11T23:00:00Z","asset":"a","sensor":"t","value":1}\n{"ts":"2262-04-11T23:47:16.854775807Z","asset":"a","sensor":"t","value":2}\n' >end
	run --separate-stderr twin-sync --every=1h end
	assert_success
	assert_output '{"ts":"2262-04-11T23:00:00Z","asset":"a","kind":"state","values":{"t":1}}'
	printf '{"ts":"1677-09-21T00:12:43.145224192Z","asset":"a","sensor":"t","value":1}\n{"ts":"2262-04-11T23:47:16.854775807Z","asset":"a","sensor":"t","value":2}\n' >span
	run --separate-stderr twin-sync --max-future=1s --lateness=100000d span
	assert_failure 1
	assert_regex "$stderr" "quarantined"
	# interpolation and staleness across the whole range (585 years)
	run --separate-stderr twin-sync --every=100000d --interp=linear --lateness=100000d span
	assert_success
	assert_output '{"ts":"1696-03-17T00:00:00Z","asset":"a","kind":"state","values":{"t":1.031624661486262}}
{"ts":"1970-01-01T00:00:00Z","asset":"a","kind":"state","values":{"t":1.5}}
{"ts":"2243-10-17T00:00:00Z","asset":"a","kind":"state","values":{"t":1.968375338513738}}'
	run --separate-stderr twin-sync --every=100000d --stale-after=1s span
	assert_success
	assert_line --index 0 --partial '"stale":["t"]'
}
