#!/bin/sh
# make fuzz: runs each fuzz target for FUZZ_TIME seconds (one at a time,
# one job each) on a fresh copy of its seed corpus, and prints per target
# the executions, the corpus it grew to and whether it crashed.  A crash,
# a leak or a hang leaves its input in build/fuzz/crash/TARGET/ and makes
# the run fail; add it to tests/fuzz/regress/TARGET/ once fixed.
# Usage: tests/fuzz/run.sh BUILD_DIR TARGET...
set -u
cd "$(dirname "$0")/../.."
dir=$1
shift
: "${FUZZ_TIME:=60}"
ntargets=$# crashed=0
for t in "$@"; do
	work=$dir/corpus/$t crash=$dir/crash/$t log=$dir/log/$t.log
	rm -rf "$work" "$crash"
	mkdir -p "$work" "$crash" "$dir/log"
	[ -d "tests/fuzz/corpus/$t" ] && cp tests/fuzz/corpus/"$t"/* "$work"/ 2>/dev/null
	[ -d "tests/fuzz/regress/$t" ] && cp tests/fuzz/regress/"$t"/* "$work"/ 2>/dev/null
	args="-max_total_time=$FUZZ_TIME -timeout=10 -rss_limit_mb=2048 -max_len=8192"
	args="$args -print_final_stats=1 -artifact_prefix=$crash/"
	[ -f "tests/fuzz/$t.dict" ] && args="$args -dict=tests/fuzz/$t.dict"
	t0=$(date +%s)
	if "$dir/bin/$t" $args "$work" >"$log" 2>&1; then
		status=ok
	else
		status="CRASH (see $log)"
		crashed=$((crashed + 1))
	fi
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
	echo "fuzz $t: $(( $(date +%s) - t0 )) s, ${runs:-?} executions, corpus $(ls "$work" | wc -l), $status"
done
echo "fuzz: $ntargets targets, $crashed crashed"
[ "$crashed" -eq 0 ]
