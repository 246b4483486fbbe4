#!/usr/bin/env bats
# Faults around the tools: standard output full or closed early, a
# checkpoint directory that is read-only or fills up, signals, and an
# --exec command that hangs or fails.  (SIGKILL at random points: the
# --state tests of sync.bats and act.bats; make torture runs 100 trials.)

load helpers

# N readings or states of three assets, one a second (awk: loops in bats are slow)
readings() { awk -v n="$1" 'BEGIN { for (i = 0; i < n; i++) printf "{\"ts\":%d,\"asset\":\"a%d\",\"sensor\":\"temp_c\",\"value\":%d}\n", 1704067200 + i, i % 3, 60 + i % 40 }'; }
states() { awk -v n="$1" 'BEGIN { for (i = 0; i < n; i++) printf "{\"ts\":%d,\"asset\":\"a%d\",\"kind\":\"state\",\"values\":{\"temp_c\":%d,\"power_loss_w\":1000,\"ambient_c\":25}}\n", 1704067200 + i, i % 3, 60 + i % 40 }'; }

setup() {
	cd "$BATS_TEST_TMPDIR"
	echo '{"rules":[{"name":"hot","when":"temp_c > 90","clear":"temp_c < 70","alert":"{asset} hot"}]}' >rules.json
}

# The shim that makes file system calls fail (tests/faults/fault.c).
shim() {
	[ -f "$BATS_FILE_TMPDIR/fault.so" ] ||
		cc -shared -fPIC -o "$BATS_FILE_TMPDIR/fault.so" "$TOP/tests/faults/fault.c" -ldl ||
		skip "cannot build the fault shim"
	# ASan wants to be first; the shim only wraps libc
	export LD_PRELOAD="$BATS_FILE_TMPDIR/fault.so" ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0"
}

@test "standard output on a full disk: exit 2, one message, for every tool" {
	readings 100 >readings
	states 100 >states
	for cmd in "twin-ingest -f ndjson readings" "twin-sync readings" "twin-act --rules=rules.json states" \
		"twin-predict readings" "twin-sim --twin=thermal --shadow states" "twin-sim --twin=thermal --duration=1h"; do
		tool=${cmd%% *}
		run --separate-stderr bash -c "$cmd >/dev/full"
		assert_failure 2
		assert_equal "$stderr" "$tool: standard output: No space left on device"
	done
}

@test "standard output closed early (| head): every tool ends quietly" {
	readings 50000 >readings
	states 50000 >states
	for cmd in "twin-ingest -f ndjson readings" "twin-sync readings" "twin-act --rules=rules.json states" \
		"twin-predict readings" "twin-sim --twin=thermal --shadow states" "twin-sim --twin=thermal --duration=30d"; do
		run --separate-stderr bash -c "set -o pipefail; $cmd | head -n 2"
		assert_equal "$stderr" ""
		assert_equal "${#lines[@]}" 2
		# killed by SIGPIPE (128 + 13), not an error exit
		assert_equal "$status" 141
	done
}

@test "a checkpoint directory that is read-only: exit 2 before any output, the old checkpoint kept" {
	shim
	readings 10 >readings
	states 10 >states
	mkdir ck
	for cmd in "twin-sync readings" "twin-act --rules=rules.json states"; do
		tool=${cmd%% *}
		rm -f ck/*
		run --separate-stderr env TW_FAULT=EROFS TW_FAULT_PATH=ck/ $cmd --state=ck/s.json
		assert_failure 2
		assert_output ""
		assert_equal "$stderr" "$tool: ck/s.json: cannot create a temporary file in 'ck': Read-only file system"
		assert_equal "$(ls ck)" ""
		# a checkpoint there already: a resumed run cannot save, and says so
		$cmd --state=ck/s.json >first
		cp ck/s.json saved
		head -n 5 "${cmd##* }" >part
		run --separate-stderr env TW_FAULT=EROFS TW_FAULT_PATH=ck/ ${cmd% *} --state=ck/s.json part
		assert_failure 2
		cmp ck/s.json saved
		assert_equal "$(ls ck)" "s.json"
	done
	if [ "$(id -u)" != 0 ]; then
		mkdir ro && chmod 555 ro
		run --separate-stderr twin-sync --state=ro/s.json readings
		assert_failure 2
		assert_equal "$stderr" "twin-sync: ro/s.json: cannot create a temporary file in 'ro': Permission denied"
	fi
}

@test "a checkpoint disk that fills up during a run: exit 2, then a resumed run loses nothing" {
	shim
	readings 600 >readings
	states 600 >states
	twin-sync --every=10s readings >sync.want
	twin-act --rules=rules.json states >act.want
	mkdir ck
	# the checkpoint at the start and two of --checkpoint-every are written, then the disk is full
	run --separate-stderr env TW_FAULT=ENOSPC TW_FAULT_PATH=ck/s.json TW_FAULT_AFTER=3 \
		twin-sync --every=10s --final --state=ck/s.json --checkpoint-every=1m readings
	assert_failure 2
	assert_regex "$stderr" "^twin-sync: ck/s\.json: No space left on device$"
	assert_equal "$(ls ck)" "s.json"
	jq -e '.lines > 0 and .lines < 600' ck/s.json
	printf '%s\n' "$output" >sync.got
	# on a pipe, what came after the last checkpoint is written again (on a
	# file it is cut back: the next test); nothing is lost
	twin-sync --every=10s --final --state=ck/s.json --checkpoint-every=1m readings >>sync.got
	run diff <(sed '/^$/d' sync.got | awk '!seen[$0]++') sync.want
	assert_success

	# twin-act: the first save succeeds, the one at the end fails
	rm -f ck/*
	run --separate-stderr env TW_FAULT=ENOSPC TW_FAULT_PATH=ck/s.json TW_FAULT_AFTER=1 \
		twin-act --rules=rules.json --state=ck/s.json states
	assert_failure 2
	assert_equal "$stderr" "twin-act: ck/s.json: No space left on device"
	jq -e '.lines == 0' ck/s.json
}

@test "a full checkpoint disk with output to a file: nothing lost, nothing twice" {
	shim
	readings 600 >readings
	twin-sync --every=10s readings >want
	mkdir ck
	run env TW_FAULT=ENOSPC TW_FAULT_PATH=ck/s.json TW_FAULT_AFTER=4 \
		bash -c 'twin-sync --every=10s --final --state=ck/s.json --checkpoint-every=1m readings >got'
	assert_failure 2
	twin-sync --every=10s --final --state=ck/s.json --checkpoint-every=1m readings >>got
	cmp got want
}

@test "SIGTERM and SIGINT with --state: exit 143 and 130, state saved, the resumed run completes the output" {
	readings 60 >readings
	states 60 >states
	twin-sync --every=1s readings >sync.want
	twin-act --rules=rules.json states >act.want
	for sig in TERM INT; do
		for cmd in "twin-sync --every=1s" "twin-act --rules=rules.json"; do
			tool=${cmd%% *}
			in=readings want=sync.want
			[ "$tool" = twin-act ] && in=states want=act.want
			rm -f s.json got fifo
			mkfifo fifo
			# SIGINT of a background job is ignored by default: the tool is started with it restored
			bash -c "trap - INT; exec $cmd --state=s.json fifo >got" &
			pid=$!
			exec 4>fifo
			head -n 30 "$in" >&4
			for _ in $(seq 100); do [ -s got ] && break; sleep 0.05; done
			kill -"$sig" "$pid"
			status=0
			wait "$pid" || status=$?
			exec 4>&-
			want_status=143
			[ "$sig" = INT ] && want_status=130
			assert_equal "$status" "$want_status"
			jq -e '.lines > 0' s.json
			final=
			[ "$tool" = twin-sync ] && final=--final
			$cmd --state=s.json $final "$in" >>got
			cmp got "$want" || fail "$tool, SIG$sig: the resumed output differs"
		done
	done
}

@test "--exec: a command that hangs and ignores SIGTERM is killed; one that fails is retried, then counted" {
	echo '{"rules":[{"name":"hot","when":"temp_c > 90","alert":"hot","command":{"target":"fan","set":{"on":"1"}}}],"targets":{"fan":{"fields":{"on":{}}}}}' >cmd.json
	printf '{"ts":%d,"asset":"a0","kind":"state","values":{"temp_c":95}}\n' 1704067200 >hot
	start=$(date +%s)
	run --separate-stderr twin-act --rules=cmd.json --arm --exec='trap "" TERM; sleep 30' --exec-timeout=100ms --exec-retries=0 --stats hot
	assert_failure 1
	assert_regex "${stderr_lines[0]}" "^twin-act: a0: command hot/a0/2024-01-01T00:00:00Z failed: .*timed out"
	assert_regex "${stderr_lines[1]}" ", 0 executed, 1 failed, "
	[ $(($(date +%s) - start)) -lt 10 ] || fail "the hung command was not killed"
	run --separate-stderr twin-act --rules=cmd.json --arm --exec='echo x >>tries; exit 7' --exec-retries=2 --exec-backoff=10ms hot
	assert_failure 1
	assert_equal "$(lines tries)" 3
	assert_regex "$stderr" "status 7"
	# the command record is written before, whatever happens to the command
	assert_equal "$(grep -c '"kind":"command"' <<<"$output")" 1
}
