#!/bin/sh
# make longrun: streaming tools keep constant memory.  Each streaming tool
# reads 10^6 and then 10^7 records from a pipe, and its peak resident set
# (GNU time's %M) must not grow by more than 25% + 8 MB from the short run
# to the ten times longer one.  Prints one line per tool:
#   twin-sync: peak RSS 9.1 MB at 10^6 records, 9.3 MB at 10^7 (12.4 s)
# LONGRUN_N overrides the short run's length (the long one is ten times it).
set -u
cd "$(dirname "$0")/.."
: "${TWIN_BIN:?}" "${BENCH_DIR:?}"
export PATH="$TWIN_BIN:$PATH" TZ=UTC LC_ALL=C TWIN_MODELS="$PWD/models"
n=${LONGRUN_N:-1000000}
tmp=$(mktemp -d) && trap 'rm -rf "$tmp"' EXIT
readings="$BENCH_DIR/gen_long"
states="$BENCH_DIR/gen_states"
failed=0

# peak GEN N CMD...: the peak RSS in kB of CMD reading GEN's N records.
peak() {
	gen=$1 count=$2
	shift 2
	"$gen" "$count" | /usr/bin/time -f '%M %e' -o "$tmp/time" "$@" >/dev/null 2>"$tmp/err"
	st=$?
	# 0, or 1 when some lines are rejected: either way all input was read
	if [ "$st" -gt 1 ]; then
		echo "$*: exit status $st" >&2
		cat "$tmp/err" >&2
		return 1
	fi
	cat "$tmp/time"
}

run() {
	name=$1 gen=$2
	shift 2
	a=$(peak "$gen" "$n" "$@") && b=$(peak "$gen" $((n * 10)) "$@") || { failed=1; return; }
	set -- $a $b
	awk -v name="$name" -v a="$1" -v b="$3" -v n="$n" -v t="$4" 'BEGIN {
		printf "%s: peak RSS %.1f MB at %d records, %.1f MB at %d (%s s)\n", name, a / 1024, n, b / 1024, n * 10, t }'
	if [ "$3" -gt $(($1 + $1 / 4 + 8192)) ]; then
		echo "  FAILED: memory grows with the input" >&2
		failed=1
	fi
}

run twin-ingest "$readings" twin-ingest -f ndjson -
run twin-sync "$readings" twin-sync --lateness=5s --every=1s -
run twin-predict "$readings" twin-predict -
run twin-act "$states" twin-act --rules=tests/bench/act_rules.json -
run "twin-sim --shadow" "$states" twin-sim --twin=thermal --shadow -
[ "$failed" -eq 0 ] && echo "longrun: memory is constant" || echo "longrun: FAILED"
[ "$failed" -eq 0 ]
