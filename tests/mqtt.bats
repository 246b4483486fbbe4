#!/usr/bin/env bats
# twin-act with a real Mosquitto broker on the loopback: readings published
# to plant/# flow through mosquitto_sub -v | twin-ingest -f mqtt | twin-sync
# | twin-act --arm --exec 'mosquitto_pub ...', and the commands arrive on
# cmd/valve.  Needs the Debian packages mosquitto and mosquitto-clients
# (tests/deps.sh lists them); skipped without them.
#
# Everything is bounded: the broker's start by a retry loop, the collector
# by -C and -W, the end of the pipeline by a loop; teardown kills every
# process the test started, by its id, pass or fail.  The broker listens on
# 127.0.0.1 only.  Subscriptions are made synchronous with persistent
# sessions: a first mosquitto_sub -c -i ID -E returns once the broker has
# the subscription, and the broker keeps the QoS 1 messages for that ID
# until its real subscriber connects; no sleeps decide the outcome.

load helpers

mosq_pid="" sub_pid="" pipe_pgid=""

# The broker: mosquitto is in /usr/sbin, which a user's PATH may lack.
find_mosquitto() {
	command -v mosquitto 2>/dev/null && return
	[ -x /usr/sbin/mosquitto ] && echo /usr/sbin/mosquitto
}

# Starts a broker on a free loopback port, in $port: a port that is taken
# makes mosquitto exit ("Address already in use"), and the next is tried.
start_broker() {
	local try i
	for try in 0 1 2 3 4 5 6 7 8 9; do
		port=$((20000 + ($$ + try * 997) % 10000))
		printf 'listener %s 127.0.0.1\nallow_anonymous true\npersistence false\nlog_dest stderr\n' \
			"$port" >mosquitto.conf
		"$MOSQUITTO" -c mosquitto.conf 2>mosquitto.log 3>&- &
		mosq_pid=$!
		for i in $(seq 50); do
			grep -q ' running$' mosquitto.log && break
			kill -0 "$mosq_pid" 2>/dev/null || break
			sleep 0.1
		done
		if grep -q ' running$' mosquitto.log && kill -0 "$mosq_pid" 2>/dev/null; then
			# It accepts: a publish goes through (retried while it comes up).
			for i in $(seq 20); do
				mosquitto_pub -h 127.0.0.1 -p "$port" -t probe -m up 2>/dev/null && return 0
				sleep 0.1
			done
		fi
		kill "$mosq_pid" 2>/dev/null
		wait "$mosq_pid" 2>/dev/null
		mosq_pid=""
	done
	cat mosquitto.log >&2
	echo "no free port for mosquitto" >&2
	return 1
}

# Makes the broker keep QoS 1 messages of TOPIC for the client ID from now
# on: returns once the subscription is acknowledged.
subscribe_ahead() {  # ID TOPIC
	timeout 10 mosquitto_sub -h 127.0.0.1 -p "$port" -q 1 -c -i "$1" -t "$2" -E
}

setup() {
	cd "$BATS_TEST_TMPDIR"
	MOSQUITTO=$(find_mosquitto) || skip "mosquitto not installed (Debian package mosquitto)"
	if ! command -v mosquitto_pub >/dev/null || ! command -v mosquitto_sub >/dev/null; then
		skip "mosquitto_pub/mosquitto_sub not installed (Debian package mosquitto-clients)"
	fi
	start_broker
	cat >twin.json <<'JSON'
{"assets": {"pump-*": {"sensors": {"temp_c": {}, "pressure_bar": {}}}},
 "rules": [
  {"name": "overheat", "asset": "pump-*", "when": "temp_c > 80", "for": "2s", "clear": "temp_c < 75",
   "cooldown": "1m", "severity": "critical", "alert": "{asset} at {temp_c} degC",
   "command": {"target": "valve-3", "set": {"position": "(temp_c - 76) / 10"}}}
 ],
 "targets": {"valve-3": {"fields": {"position": {"min": 0, "max": 1}},
                         "interlocks": ["pressure_bar > 8"], "violation": "clamp"}}}
JSON
}

teardown() {
	# Every process this test started, by its id (the pipeline by the
	# process group setsid gave it).
	[ -n "$sub_pid" ] && kill "$sub_pid" 2>/dev/null
	[ -n "$pipe_pgid" ] && kill -- -"$pipe_pgid" 2>/dev/null
	[ -n "$mosq_pid" ] && kill "$mosq_pid" 2>/dev/null
	wait 2>/dev/null
	true
}

# readings ASSET PRESSURE TEMP: one JSON payload a second, 00:00:00 to
# 00:00:03, each a reading of both sensors.
readings() {
	local s
	for s in 0 1 2 3; do
		printf '{"ts":"2024-01-01T00:00:%02dZ","pressure_bar":%s,"temp_c":%s}\n' "$s" "$2" "$3"
	done
}

# Starts mosquitto_sub on plant/# and the pipeline behind it (through a
# FIFO, so that the subscriber can be stopped alone to end the pipeline).
# $sub_format: mosquitto_sub's -F format (default -v: "topic payload");
# $topic: twin-ingest's --topic; $twin: the twin description.  ARGS are
# twin-act's options.
start_pipeline() {  # ARGS...
	subscribe_ahead twin-in 'plant/#'
	mkfifo raw
	local out=(-v)
	[ -n "${sub_format:-}" ] && out=(-F "$sub_format")
	mosquitto_sub -h 127.0.0.1 -p "$port" -q 1 -c -i twin-in "${out[@]}" -t 'plant/#' \
		>raw 2>sub.err 3>&- &
	sub_pid=$!
	cat >pipeline.sh <<'SH'
twin-ingest -f mqtt --topic="$TOPIC" <raw 2>ingest.err | twin-sync 2>sync.err |
	twin-act --twin="$TWIN" "$@" >acted 2>act.err
echo $? >act.rc
SH
	TOPIC=${topic:-'plant/{asset}'} TWIN=${twin:-twin.json} setsid sh pipeline.sh "$@" 3>&- &
	pipe_pgid=$!
}

# Ends the pipeline: its subscriber stops, the tools read to the end of
# their input and exit (within 10 s).
stop_pipeline() {
	local i
	kill "$sub_pid"
	wait "$sub_pid" 2>/dev/null
	sub_pid=""
	for i in $(seq 100); do
		[ -s act.rc ] && break
		sleep 0.1
	done
	[ -s act.rc ] || { echo "the pipeline did not end" >&2; return 1; }
	pipe_pgid=""
}

# The commands received: [topic, asset, target, position (to 1e-6), decision, armed].
# (mosquitto_pub -s sends the record with its newline: blank lines follow.)
received() {
	while read -r topic json; do
		[ -n "$topic" ] || continue
		printf '%s\n' "$json" | jq -c --arg t "$topic" \
			'[$t, .asset, .target, (.set.position * 1e6 | round / 1e6), .decision, .armed]'
	done <"$1"
}

@test "readings through the broker fire a rule; its commands arrive on the command topic" {
	subscribe_ahead cmd-collector 'cmd/#'
	start_pipeline --arm --exec="mosquitto_pub -h 127.0.0.1 -p $port -q 1 -t cmd/valve -s"
	# pump-3 is interlocked (pressure 9 bar): its command is refused, never
	# sent; it is published first, so that a wrongly sent one would arrive
	# before the others.  pump-1 gets position 0.8, pump-2 1.9 clamped to 1.
	readings pump-3 9 84 | mosquitto_pub -h 127.0.0.1 -p "$port" -q 1 -t plant/pump-3 -l
	readings pump-1 5 84 | mosquitto_pub -h 127.0.0.1 -p "$port" -q 1 -t plant/pump-1 -l
	readings pump-2 5 95 | mosquitto_pub -h 127.0.0.1 -p "$port" -q 1 -t plant/pump-2 -l
	t0=$(date +%s%N)
	# While the pipeline is live (its input still open): two commands
	# within 10 s.
	run timeout 15 mosquitto_sub -h 127.0.0.1 -p "$port" -q 1 -c -i cmd-collector -t 'cmd/#' -v -C 2 -W 10
	t1=$(date +%s%N)
	printf '%s\n' "$output" >cmds
	[ "$status" -eq 0 ] || { cat ingest.err sync.err act.err mosquitto.log; false; }
	run received cmds
	assert_output '["cmd/valve","pump-1","valve-3",0.8,"sent",true]
["cmd/valve","pump-2","valve-3",1,"clamped",true]'
	echo "# commands arrived $(((t1 - t0) / 1000000)) ms after the last reading was published" >&3
	assert [ $(((t1 - t0) / 1000000)) -lt 10000 ]

	# The rest of the record: why, and the id that makes replays act once.
	run jq -r '[.id, .because.rule, .because.values.temp_c, (.why // "-")] | @tsv' <(grep . cmds | cut -d ' ' -f 2-)
	assert_line --index 0 "overheat/pump-1/2024-01-01T00:00:02Z	overheat	84	-"
	assert_line --index 1 --regexp '^overheat/pump-2/2024-01-01T00:00:02Z	overheat	95	position = 1\.9[0-9]* outside \[0, 1\]$'

	# The pipeline ends with its input: every tool exits 0, says nothing,
	# and twin-act wrote the states, the alerts and all three decisions,
	# the refusal among them.
	stop_pipeline
	assert_equal "$(cat act.rc)" 0
	assert_equal "$(cat ingest.err sync.err act.err)" ""
	run jq -s -c '[.[] | select(.kind == "state")] | group_by(.asset) | map(last | [.asset, .ts[11:19], .values]) | .[]' acted
	assert_output '["pump-1","00:00:03",{"pressure_bar":5,"temp_c":84}]
["pump-2","00:00:03",{"pressure_bar":5,"temp_c":95}]
["pump-3","00:00:03",{"pressure_bar":9,"temp_c":84}]'
	run jq -c 'select(.kind != "state") | [.kind, .asset, .ts[11:19], .state // .decision, .armed]' acted
	assert_output '["alert","pump-3","00:00:02","fired",null]
["command","pump-3","00:00:02","refused",false]
["alert","pump-1","00:00:02","fired",null]
["command","pump-1","00:00:02","sent",true]
["alert","pump-2","00:00:02","fired",null]
["command","pump-2","00:00:02","clamped",true]'
}

@test "readings stamped by the subscriber (-F '%I %t %p'), plain payloads, a rule without for" {
	# The time stamp is the subscriber's clock (whole seconds), the payload
	# a bare number, the topic's last two levels the asset and the sensor.
	sed 's/"for": "2s"/"for": "0s"/' twin.json >now.json
	subscribe_ahead cmd-collector 'cmd/#'
	sub_format='%I %t %p' topic='plant/{asset}/{sensor}' twin=now.json \
		start_pipeline --arm --exec="mosquitto_pub -h 127.0.0.1 -p $port -q 1 -t cmd/valve -s"
	mosquitto_pub -h 127.0.0.1 -p "$port" -q 1 -t plant/pump-7/pressure_bar -m 5
	mosquitto_pub -h 127.0.0.1 -p "$port" -q 1 -t plant/pump-7/temp_c -m 86.5
	run timeout 15 mosquitto_sub -h 127.0.0.1 -p "$port" -q 1 -c -i cmd-collector -t 'cmd/#' -v -C 1 -W 10
	printf '%s\n' "$output" >cmds
	[ "$status" -eq 0 ] || { cat ingest.err sync.err act.err mosquitto.log; false; }
	run received cmds
	assert_output '["cmd/valve","pump-7","valve-3",1,"clamped",true]'
	# Stamped now, to the second.
	ts=$(grep . cmds | cut -d ' ' -f 2- | jq -r .ts)
	now=$(date -u +%s)
	stamped=$(date -u -d "$ts" +%s)
	assert [ $((now - stamped)) -ge 0 ]
	assert [ $((now - stamped)) -le 15 ]
	stop_pipeline
	assert_equal "$(cat act.rc)" 0
	assert_equal "$(cat ingest.err sync.err act.err)" ""
}
