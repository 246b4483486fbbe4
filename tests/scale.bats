#!/usr/bin/env bats
# The whole twin in one pipeline: as N shards by asset under GNU parallel,
# and as a cron job over a log that grows.
#
# The pipeline: twin-ingest | twin-sync | twin-sim --shadow | twin-predict
# | twin-act, over a generated log of 8 motors (tests/plant.awk).  twin-sim
# has no --shard, and needs none: in shadow mode each asset's model is
# driven by that asset's states only, and its output is a function of
# them (no noise, no clock), so a shard's twin-sim sees its own assets and
# writes what one process writes for them.

load helpers

# The pipeline for shard $1 (a K/N, or "" for one process).
pipeline() {
	local shard=${1:+--shard=$1}
	echo "twin-ingest --asset-field=asset plant.csv | twin-sync --every=1m $shard" \
		"| twin-sim --twin=thermal.json --shadow | twin-predict -m mad --window=60 --train=60 $shard" \
		"| twin-act --rules=rules.json $shard"
}

# The records of each asset of file $1, in their order, asset by asset.
by_asset() {
	local a
	for a in $(seq 1 8); do
		grep -F "\"asset\":\"motor-$a\"" "$1" || true
	done
}

setup() {
	cd "$BATS_TEST_TMPDIR"
	command -v parallel >/dev/null || skip "GNU parallel is not installed"
	awk -v minutes=240 -f "$TOP/tests/plant.awk" >plant.csv
	cp "$TOP/models/thermal.json" thermal.json
	cp "$TOP/testdata/examples/plant-rules.json" rules.json
}

@test "the whole pipeline as 1, 2 and 4 shards under GNU parallel: merged outputs equal one process's" {
	bash -o pipefail -c "$(pipeline)" >one
	# Every stage did something: states, residuals, scores, alarms, alerts, commands.
	for kind in state sim residual score alert command; do
		grep -q "\"kind\":\"$kind\"" one || fail "no $kind record in one process's output"
	done
	grep -q '"alarm":true' one || fail "no alarm"
	assert_equal "$(jq -r 'select(.kind == "alert") | .asset' one | sort -u | wc -l)" 8
	by_asset one >one.by-asset
	for n in 1 2 4; do
		run parallel -j "$n" --halt now,fail=1 "bash -o pipefail -c '$(pipeline "{}/$n")'" ::: $(seq 0 $((n - 1)))
		assert_success
		printf '%s\n' "$output" | sed '/^$/d' >"merged$n"
		assert_equal "$(sort "merged$n" | sha256sum)" "$(sort one | sha256sum)"
		# Each asset's records in the same order as one process writes them.
		by_asset "merged$n" >"merged$n.by-asset"
		run cmp one.by-asset "merged$n.by-asset"
		assert_success
	done
	# Kafka's partitioner puts no motor-N of these eight in partition 0 of 4:
	# an empty shard is a shard too.
	run --separate-stderr bash -o pipefail -c "$(pipeline 0/4)"
	assert_success
	assert_output ""
}

@test "shards after one twin-sync: twin-predict and twin-act drop the other assets and count them" {
	twin-ingest --asset-field=asset plant.csv | twin-sync --every=1m >states
	twin-sim --twin=thermal.json --shadow states | twin-predict -m mad --window=60 --train=60 |
		twin-act --rules=rules.json >one
	for k in 0 1; do
		twin-sim --twin=thermal.json --shadow states |
			twin-predict -m mad --window=60 --train=60 --shard="$k/2" --stats 2>"predict$k.err" |
			twin-act --rules=rules.json --shard="$k/2" --stats >"out$k" 2>"act$k.err"
		# twin-predict dropped the other shard's records; twin-act saw none.
		assert_regex "$(cat "predict$k.err")" ' [1-9][0-9]* of other shards; '
		assert_regex "$(cat "act$k.err")" ', 0 of other shards$'
	done
	# motor-2 and motor-6 are in shard 0 of 2, the others in shard 1.
	assert_equal "$(jq -r .asset out0 | sort -u | tr '\n' ' ')" "motor-2 motor-6 "
	assert_equal "$(jq -r .asset out1 | sort -u | tr '\n' ' ')" "motor-1 motor-3 motor-4 motor-5 motor-7 motor-8 "
	cat out0 out1 >merged
	run cmp <(by_asset one) <(by_asset merged)
	assert_success
}

# One tick of the cron job of twin-sync(1) EXAMPLES for shard $1 (or
# none): the log read from the top, twin-sync resuming from its checkpoint
# and appending only what is new to the states; the states scored again
# from their top (twin-sim and twin-predict keep no checkpoint: they are
# streaming filters, whose output for a longer input begins with their
# output for a shorter one), and twin-act, resuming from its checkpoint,
# acting only on what follows the lines it consumed before.
tick() {
	local s=${1:+--shard=$1} f=${1:+-${1%/*}}
	twin-ingest --asset-field=asset log.csv | twin-sync --every=1m --state="sync$f.json" $s >>"states$f.ndjson" &&
		twin-sim --twin=thermal.json --shadow "states$f.ndjson" |
		twin-predict -m mad --window=60 --train=60 $s |
			twin-act --rules=rules.json --state="act$f.json" $s >>"acts$f.ndjson"
}

@test "cron: a log that grows, processed tick by tick with checkpoints, gives what one run over the whole log gives" {
	cp plant.csv log.csv
	tick
	mkdir once && mv sync.json act.json states.ndjson acts.ndjson once/
	rm log.csv
	ticks=0
	# Chunks of odd sizes, cut in the middle of a minute's rows.
	for n in 1 37 200 201 202 555 901 1400 1921 1921; do
		head -n "$n" plant.csv >log.csv
		run tick
		assert_success
		ticks=$((ticks + 1))
	done
	run cmp once/acts.ndjson acts.ndjson
	assert_success
	run cmp once/states.ndjson states.ndjson
	assert_success
	# The result is not empty, and no decision was taken twice.
	assert [ "$(grep -c '"kind":"alert"' acts.ndjson)" -gt 10 ]
	assert [ "$(grep -c '"kind":"command"' acts.ndjson)" -gt 2 ]
	assert_equal "$(jq -r 'select(.kind == "alert" or .kind == "command") | .id + .kind + .state' acts.ndjson | sort | uniq -d)" ""
	# A log that is rewritten rather than grown stops the job, and nothing
	# is written.
	sed '2s/motor-1,/motor-9,/' plant.csv >log.csv
	cp acts.ndjson before
	run --separate-stderr tick
	assert_failure 2
	assert_regex "$stderr" "^twin-sync: \\(stdin\\):[0-9]+: the input does not continue the run saved in sync.json: "
	run cmp before acts.ndjson
	assert_success
}

@test "cron as 2 shards under GNU parallel, a checkpoint per shard: together what one process writes" {
	cp plant.csv log.csv
	tick
	mv acts.ndjson one.ndjson
	rm -f sync.json act.json states.ndjson log.csv
	for n in 100 1000 1921; do
		head -n "$n" plant.csv >log.csv
		export -f tick
		run parallel -j 2 --halt now,fail=1 tick "{}/2" ::: 0 1
		assert_success
	done
	assert [ -s acts-0.ndjson ]
	assert [ -s acts-1.ndjson ]
	assert [ -s sync-0.json ]
	assert [ -s act-1.json ]
	cat acts-0.ndjson acts-1.ndjson >merged
	assert_equal "$(sort merged | sha256sum)" "$(sort one.ndjson | sha256sum)"
	run cmp <(by_asset one.ndjson) <(by_asset merged)
	assert_success
}
