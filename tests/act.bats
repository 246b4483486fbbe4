#!/usr/bin/env bats
# twin-act: rules, the safety envelope, acting, acknowledgements, audit, replay.

load helpers

state() {  # state SECOND TEMP [PRESSURE] [ASSET]
	printf '{"ts":"2024-01-01T00:%s","asset":"%s","kind":"state","values":{"temp_c":%s,"pressure_bar":%s}}\n' \
		"$(printf '%02d:%02d' $(($1 / 60)) $(($1 % 60)))Z" "${4:-pump-1}" "$2" "${3:-5}"
}

setup() {
	cd "$BATS_TEST_TMPDIR"
	cat >twin.json <<'JSON'
{"assets": {"pump-*": {"sensors": {"temp_c": {}, "pressure_bar": {}, "valve3_pos": {}}}},
 "rules": [
  {"name": "overheat", "asset": "pump-*", "when": "temp_c > 80", "for": "2s", "clear": "temp_c < 75",
   "cooldown": "1m", "severity": "critical", "priority": 5, "alert": "{asset} at {temp_c} degC",
   "command": {"target": "valve-3", "set": {"position": "(temp_c - 76) / 10"}, "deadline": "5s"}},
  {"name": "warm", "when": "temp_c > 78", "severity": "info", "alert": "warm: {temp_c}"}
 ],
 "targets": {"valve-3": {"fields": {"position": {"min": 0, "max": 1, "rate": 0.1, "reported": "valve3_pos", "tolerance": 0.02}},
                         "interlocks": ["pressure_bar > 8"], "violation": "clamp"}}}
JSON
}

# The decisions, numbers to 1e-6 (muparser's arithmetic is not the shortest decimal).
acts() { jq -c 'select(.kind == "alert" or .kind == "command" or .kind == "ack") | [.kind, .ts[14:19], .rule, .state, .decision, ((.set.position // .desired) | if . == null then null else . * 1e6 | round / 1e6 end)]' "$@"; }

@test "a rule fires after holding for its duration, clears by hysteresis, and rests in its cooldown" {
	{ for s in 0 1 2 3 4 5; do state "$s" 82; done; state 6 77; state 7 74; state 8 82; state 9 82; state 10 82; } >in
	run --separate-stderr twin-act --twin=twin.json in
	assert_success
	assert_equal "$stderr" ""
	run acts <(twin-act --twin=twin.json in)
	assert_output '["alert","00:00","warm","fired",null,null]
["alert","00:02","overheat","fired",null,null]
["command","00:02","overheat",null,"sent",0.6]
["alert","00:06","warm","cleared",null,null]
["alert","00:07","overheat","cleared",null,null]
["alert","00:08","overheat","timeout",null,0.6]
["alert","00:08","warm","fired",null,null]'
}

@test "records pass through, and alerts explain themselves with deterministic ids" {
	{ state 0 90; state 1 90; state 2 90; echo '{"ts":"2024-01-01T00:00:03Z","asset":"pump-1","kind":"score","sensor":"temp_c","score":0.2}'; } >in
	run --separate-stderr twin-act --twin=twin.json in
	assert_success
	assert_line --index 0 "$(state 0 90)"
	assert_line --partial '"kind":"score","sensor":"temp_c","score":0.2}'
	assert_output --partial '"message":"pump-1 at 90 degC","id":"overheat/pump-1/2024-01-01T00:00:02Z","because":{"rule":"overheat","when":"temp_c > 80","values":{"temp_c":90}}'
}

@test "the envelope clamps to min/max and the rate of change, and an interlock refuses" {
	{ state 0 100; state 2 100; } >in
	run acts <(twin-act --twin=twin.json in)
	assert_line --index 2 '["command","00:02","overheat",null,"clamped",1]'
	# fired again 4 s later: at most 0.1/s away from the last value, 1
	sed 's/"cooldown": "1m"/"cooldown": "1s"/; s/"clear": "temp_c < 75"/"clear": "temp_c < 95"/' twin.json >fast.json
	{ state 0 100; state 2 100; state 3 90; state 4 81; state 6 81; } >in2
	run acts <(twin-act --twin=fast.json in2)
	assert_output --partial '["command","00:06","overheat",null,"clamped",0.6]'
	{ state 0 100 9; state 2 100 9; } >locked
	run --separate-stderr twin-act --twin=twin.json locked
	assert_success
	assert_output --partial '"decision":"refused","why":"interlock pressure_bar > 8 holds","armed":false'
}

@test "violation refuse: a command outside its envelope is refused, not clamped" {
	sed 's/"violation": "clamp"/"violation": "refuse"/' twin.json >refuse.json
	{ state 0 100; state 2 100; } >in
	run --separate-stderr twin-act --twin=refuse.json in
	assert_success
	assert_output --partial '"rule":"overheat","id":"overheat/pump-1/2024-01-01T00:00:02Z","decision":"refused","why":"position = 2.4'
	assert_output --partial ' outside [0, 1]","armed":false'
}

@test "a reported value within tolerance acknowledges; a late one times out" {
	{ state 0 82; state 2 82; echo '{"ts":"2024-01-01T00:00:03Z","asset":"pump-1","sensor":"valve3_pos","value":0.61}'; } >ok
	run acts <(twin-act --twin=twin.json ok)
	assert_line --index 3 '["ack","00:03",null,null,null,0.6]'
	{ state 0 82; state 2 82; echo '{"ts":"2024-01-01T00:00:03Z","asset":"pump-1","sensor":"valve3_pos","value":0.2}'; state 9 82; } >late
	run --separate-stderr twin-act --twin=twin.json late
	assert_success
	assert_output --partial '"kind":"alert","rule":"overheat","state":"timeout","severity":"warning","message":"valve-3.position did not reach 0.6'
	assert_output --partial ' in time","id":"overheat/pump-1/2024-01-01T00:00:02Z","target":"valve-3","field":"position"'
}

@test "a PID keeps its output within limits and does not wind up" {
	cat >pid.json <<'JSON'
{"rules": [{"name": "level", "pid": {"measured": "level_m", "setpoint": "2", "kp": 2, "ki": 0.5, "kd": 0,
            "min": 0, "max": 1, "target": "pump", "field": "speed"}}]}
JSON
	for s in $(seq 0 29); do
		printf '{"ts":"2024-01-01T00:00:%02dZ","asset":"tank","kind":"state","values":{"level_m":%s}}\n' "$s" "$([ "$s" -lt 20 ] && echo 0 || echo 3)"
	done >in
	run bash -c "twin-act --rules=pid.json in | jq -c 'select(.kind == \"command\") | .set.speed'"
	assert_success
	assert_equal "${#lines[@]}" 30
	assert_equal "${lines[0]}" 1
	assert_equal "${lines[19]}" 1
	# anti-windup: the output leaves its limit at once when the error turns
	assert_equal "${lines[20]}" 0
}

@test "--arm --exec runs a command per record; failures are reported, counted and exit 1" {
	{ state 0 82; state 2 82; } >in
	run --separate-stderr twin-act --twin=twin.json --arm --exec='cat >>sent' in
	assert_success
	assert_equal "$(jq -c '[.kind, .armed, (.set.position * 1e6 | round / 1e6)]' sent)" '["command",true,0.6]'
	run --separate-stderr twin-act --twin=twin.json --arm --exec='exit 3' --exec-retries=1 --exec-backoff=10ms --stats in
	assert_failure 1
	assert_regex "${stderr_lines[0]}" "^twin-act: pump-1: command overheat/pump-1/2024-01-01T00:00:02Z failed: .*status 3"
	assert_regex "${stderr_lines[1]}" ", 0 executed, 1 failed, "
	run --separate-stderr twin-act --twin=twin.json --arm --exec='sleep 5' --exec-timeout=200ms --exec-retries=0 in
	assert_failure 1
	assert_regex "$stderr" "timed out"
	run --separate-stderr twin-act --twin=twin.json --exec='cat' in
	assert_failure 2
}

@test "the audit trail chains every decision; --verify-audit finds the first broken line" {
	{ state 0 82; state 2 82; echo '{"ts":"2024-01-01T00:00:03Z","asset":"pump-1","sensor":"valve3_pos","value":0.6}'; state 4 70; } >in
	twin-act --twin=twin.json --audit=trail in >/dev/null
	twin-act --twin=twin.json --audit=trail in >/dev/null
	run jq -r .decision trail
	assert_output "fired
fired
sent
acked
cleared
cleared
fired
fired
sent
acked
cleared
cleared"
	run --separate-stderr twin-act --verify-audit=trail
	assert_success
	assert_output "trail: 12 lines, chain whole"
	sed -i '5s/"cleared"/"fired"/' trail
	run --separate-stderr twin-act --verify-audit=trail
	assert_failure 1
	assert_regex "$stderr" "line 6: prev does not match line 5"
}

@test "--state: a replayed log acts once" {
	{ state 0 82; state 2 82; state 3 70; state 70 82; state 72 82; } >log
	twin-act --twin=twin.json --state=s.json log >once
	head -n 2 log >part
	twin-act --twin=twin.json --state=c.json part >twice
	twin-act --twin=twin.json --state=c.json log >>twice
	twin-act --twin=twin.json --state=c.json log >>twice
	run cmp once twice
	assert_success
	assert_equal "$(grep -c '"kind":"command"' twice)" 2
}

@test "--state: a checkpoint of twin-sync is refused, not resumed from" {
	{ state 0 82; state 2 82; } >log
	twin-sync --state=sync.json log >/dev/null
	run --separate-stderr twin-act --twin=twin.json --state=sync.json log
	assert_failure 2
	assert_output ""
	assert_equal "$stderr" "twin-act: sync.json: a checkpoint of twin-sync, not of twin-act"
	# one written before checkpoints named their tool
	echo '{"ts":0,"asset":"pump-1","sensor":"temp_c","value":82}' >readings
	twin-sync --state=sync2.json readings >/dev/null
	jq -c 'del(.tool)' sync2.json >old.json
	run --separate-stderr twin-act --twin=twin.json --state=old.json readings
	assert_failure 2
	assert_equal "$stderr" "twin-act: old.json: not a twin-act state: assets[0] has no rules"
	twin-act --twin=twin.json --state=act.json log >/dev/null
	run --separate-stderr twin-sync --state=act.json log
	assert_failure 2
	assert_equal "$stderr" "twin-sync: act.json: a checkpoint of twin-act, not of twin-sync"
}

@test "rules over states 585 years apart: durations, rates and deadlines do not overflow" {
	echo '{"rules":[{"name":"hot","when":"temp_c > 0","for":"1s","cooldown":"1m","alert":"x","command":{"target":"v","set":{"p":"temp_c"},"deadline":"5s"}}],"targets":{"v":{"fields":{"p":{"min":0,"max":1,"rate":0.1,"reported":"p_r"}}}}}' >span.json
	printf '{"ts":"1677-09-21T00:12:43.145224192Z","asset":"a","kind":"state","values":{"temp_c":1}}\n{"ts":"2262-04-11T23:47:16.854775807Z","asset":"a","kind":"state","values":{"temp_c":1}}\n' >span
	run --separate-stderr twin-act --rules=span.json span
	assert_success
	assert_equal "$(jq -r 'select(.kind == "alert" or .kind == "command") | [.kind, .ts, (.set.p // .state)] | @tsv' <<<"$output")" \
		"$(printf 'alert\t2262-04-11T23:47:16.854775807Z\tfired\ncommand\t2262-04-11T23:47:16.854775807Z\t1')"
}

@test "bad rules are errors naming the rule and the member" {
	check() { echo "$1" >bad.json; run --separate-stderr twin-act --rules=bad.json /dev/null; assert_failure 2; assert_equal "$stderr" "twin-act: $2"; }
	check '{"rules":[{"name":"r","when":"x >"}]}' "bad.json: rules.r.when: syntax error at column 4: Unexpected end of expression"
	check '{"rules":[{"name":"r","when":"x > 1","for":"soon","alert":"a"}]}' "bad.json: rules[0].for: invalid duration 'soon': expected a number and a unit (ns, us, ms, s, m, h, d)"
	check '{"rules":[{"name":"r","when":"x > 1"}]}' "bad.json: rules.r: a rule needs an alert, a command or both"
	check '{"rules":[{"name":"r","when":"x > 1","alert":"a","severity":"doom"}]}' "bad.json: rules.r.severity: 'doom' is not info, warning or critical"
	check '{"rules":[{"name":"r","when":"1","command":{"target":"v","set":{"p":"1"}}}],"targets":{"w":{"fields":{"p":{}}}}}' "bad.json: rules.r: no target 'v' in targets"
	check '{"rules":[{"name":"r","when":"1","alert":"a","wen":"2"}]}' "bad.json: rules[0].wen: unknown member"
	run --separate-stderr twin-act /dev/null
	assert_failure 2
}

@test "bad input lines are rejected with file and line" {
	{ state 0 82; echo 'nope'; echo '{"asset":"p"}'; } >in
	run --separate-stderr twin-act --twin=twin.json in
	assert_failure 1
	assert_regex "${stderr_lines[0]}" "^twin-act: in:2: "
	assert_equal "${stderr_lines[1]}" 'twin-act: in:3: missing "ts"'
}

@test "--state with --exec: killed at any moment, no command is executed twice, no record lost or repeated" {
	for s in $(seq 0 59); do state "$s" $((80 + (s % 2) * 10)); done >log
	sed 's/"cooldown": "1m"/"cooldown": "0s"/; s/"for": "2s"/"for": "0s"/; s/"clear": "temp_c < 75"/"clear": "temp_c < 85"/' twin.json >each.json
	[ -z "${TWIN_VALGRIND:-}" ] || skip "a run under valgrind is too slow to be killed at random"
	twin-act --twin=each.json --state=once.json --arm --exec='cat >>once.sent' log >want
	for trial in $(seq 1 "${SIGKILL_TRIALS:-10}"); do
		rm -f s.json sent out
		while :; do
			twin-act --twin=each.json --state=s.json --arm --exec='cat >>sent; sleep 0.01' log >>out &
			pid=$!
			sleep "0.0$((RANDOM % 9))$((RANDOM % 10))"
			if kill -KILL "$pid" 2>/dev/null; then wait "$pid" || true; else wait "$pid"; break; fi
		done
		ids=$(jq -r .id sent | sort | uniq -d)
		[ -z "$ids" ] || fail "trial $trial: executed twice: $ids"
		cmp want out || fail "trial $trial: the output differs after kills"
	done
}

@test "an interlock that cannot be evaluated refuses; a one-sided range reads as such" {
	sed 's/"pressure_bar > 8"/"flow > 1"/' twin.json >unknown.json
	{ state 0 82; state 2 82; } >in
	run --separate-stderr twin-act --twin=unknown.json in
	assert_output --partial '"decision":"refused","why":"interlock flow > 1 is unknown"'
	sed 's/"min": 0, "max": 1,/"max": 0.5,/' twin.json >onesided.json
	run --separate-stderr twin-act --twin=onesided.json in
	assert_output --partial '"decision":"clamped","why":"position = 0.6'
	assert_output --partial ' above its maximum 0.5"'
}

@test "the envelope holds for two commands at one instant and from the machine's report" {
	cat >two.json <<'JSON'
{"rules":[{"name":"a","when":"x > 0","command":{"target":"v","set":{"p":"0"}}},
          {"name":"b","when":"x > 1","command":{"target":"v","set":{"p":"1"}}}],
 "targets":{"v":{"fields":{"p":{"min":0,"max":1,"rate":0.01}}}}}
JSON
	echo '{"ts":"2024-01-01T00:00:00Z","asset":"m","kind":"state","values":{"x":2}}' >in
	run bash -c "twin-act --rules=two.json in | jq -c 'select(.kind == \"command\") | [.rule, .set.p, .decision]'"
	assert_output '["a",0,"sent"]
["b",0,"clamped"]'
	cat >pid.json <<'JSON'
{"rules":[{"name":"l","pid":{"measured":"y","setpoint":"10","kp":0.01,"ki":1,"min":0,"max":1,"target":"pump","field":"c"}}]}
JSON
	for s in 0 1 2 3 4 5; do printf '{"ts":"2024-01-01T00:00:0%dZ","asset":"m","kind":"state","values":{"y":0}}\n' "$s"; done >y
	run bash -c "twin-act --rules=pid.json y | jq -c 'select(.kind == \"command\") | .set.c' | tail -n 1"
	assert_output 1
}

@test "an empty targets list allows no command; huge durations and too many fields are errors" {
	echo '{"rules":[{"name":"r","when":"x>1","command":{"target":"valve","set":{"p":"1e9"}}}],"targets":{}}' >empty.json
	run --separate-stderr twin-act --rules=empty.json /dev/null
	assert_failure 2
	assert_equal "$stderr" "twin-act: empty.json: rules.r: no target 'valve' in targets"
	echo '{"rules":[{"name":"r","when":"x>1","for":1e300,"alert":"a"}]}' >huge.json
	run --separate-stderr twin-act --rules=huge.json /dev/null
	assert_failure 2
	assert_equal "$stderr" "twin-act: huge.json: rules[0].for: duration out of range"
}

@test "an asset's own score (pca, no sensor) is the variable score.METHOD" {
	cat >rules.json <<'JSON'
{"rules": [{"name": "pattern", "asset": "m", "when": "score.pca >= 0.5", "alert": "{asset}: pca score {score.pca}"}]}
JSON
	printf '%s\n' '{"ts":1,"asset":"m","kind":"score","score":0.7,"threshold":0.5,"alarm":true,"method":"pca","t2":1,"t2_limit":2,"q":3,"q_limit":1}' \
		'{"ts":1,"asset":"m","kind":"state","values":{"a":1}}' >in
	run --separate-stderr twin-act --rules=rules.json in
	assert_success
	assert_equal "$(jq -r 'select(.kind == "alert") | .message' <<<"$output")" "m: pca score 0.7"
}

@test "--shard K/N: each asset acted on by one shard, together what one process writes" {
	for a in pump-1 pump-2 pump-3 pump-4 pump-7 pump-12; do
		for s in 0 1 2 3 4; do state "$s" 90 5 "$a"; done
	done >in
	echo '{"ts":"2024-01-01T00:00:05Z","asset":"pump-3","kind":"command","target":"valve-3","set":{"position":1}}' >>in
	twin-act --twin=twin.json in >one
	: >merged
	for k in 0 1 2 3; do
		run --separate-stderr twin-act --twin=twin.json --shard="$k/4" --stats in
		assert_success
		printf '%s\n' "$output" >>merged
		assert_regex "$stderr" ", [0-9]+ of other shards$"
	done
	# pump-3, pump-7 in shard 0; pump-4 in 1; pump-12 in 2; pump-1, pump-2 in 3 (Kafka's murmur2)
	run --separate-stderr twin-act --twin=twin.json --shard=0/4 --stats in
	assert_equal "$(jq -r .asset <<<"$output" | sort -u | tr '\n' ' ')" "pump-3 pump-7 "
	assert_equal "$stderr" "twin-act: 31 lines: 4 fired, 0 cleared, 2 commands (2 clamped, 0 refused), 0 executed, 0 failed, 0 acked, 0 timeouts, 20 of other shards"
	sed -i '/^$/d' merged
	assert_equal "$(sort merged | sha256sum)" "$(sort one | sha256sum)"
	for a in pump-1 pump-2 pump-3 pump-4 pump-7 pump-12; do   # each asset's records in the same order
		assert_equal "$(grep -F "\"asset\":\"$a\"" merged)" "$(grep -F "\"asset\":\"$a\"" one)"
	done
	for bad in 4/4 -1/4 1/0 1 x/2 1/2x 1/99999999999; do
		run --separate-stderr twin-act --twin=twin.json --shard="$bad" in
		assert_failure 2
		assert_regex "$stderr" "^twin-act: --shard: "
	done
}

@test "--shard with --state: each shard resumes from its own checkpoint; another shard's is refused" {
	for a in pump-1 pump-2 pump-3 pump-12; do
		for s in 0 1 2 3 70 71 72; do state "$s" 90 5 "$a"; done
	done | sort >log
	twin-act --twin=twin.json log >one
	head -n 13 log >part
	: >merged
	for k in 0 1 2; do
		twin-act --twin=twin.json --shard="$k/3" --state="s$k.json" part >"out$k"
		twin-act --twin=twin.json --shard="$k/3" --state="s$k.json" log >>"out$k"
		cat "out$k" >>merged
	done
	assert_equal "$(sort merged | sha256sum)" "$(sort one | sha256sum)"
	run --separate-stderr twin-act --twin=twin.json --shard=1/3 --state=s0.json log
	assert_failure 2
	assert_regex "$stderr" "^twin-act: s0.json: assets\[0\]: pump-2 is not of shard 1/3: the state of another shard$"
}
