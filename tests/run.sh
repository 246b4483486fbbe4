#!/bin/sh
# Runs the C unit tests, the fuzz regressions and the bats suites; ends with one line
# "check: N passed, N failed" (and the skipped count).
set -u
cd "$(dirname "$0")/.."
: "${TWIN_BIN:?}" "${UNIT_DIR:?}"
# The model library of this tree, wherever the binaries under test are.
export TWIN_BIN TZ=UTC LC_ALL=C TWIN_MODELS="$PWD/models"
passed=0 failed=0 skipped=0
log=$(mktemp) && trap 'rm -f "$log"' EXIT

for t in "$UNIT_DIR"/test_*; do
	[ -x "$t" ] || continue
	if "$t" >"$log" 2>&1; then status=ok; else status=FAILED; fi
	line=$(tail -n 1 "$log")
	p=$(echo "$line" | sed -n 's/.*: \([0-9]*\) passed, \([0-9]*\) failed$/\1/p')
	f=$(echo "$line" | sed -n 's/.*: \([0-9]*\) passed, \([0-9]*\) failed$/\2/p')
	if [ "$status" = FAILED ] || [ -z "$p" ]; then
		cat "$log"
		f=$(( ${f:-0} + 1 ))
	fi
	echo "unit $(basename "$t"): ${p:-0} passed, ${f:-0} failed"
	passed=$((passed + ${p:-0})) failed=$((failed + ${f:-0}))
done

# The fuzz targets without libFuzzer, on their seed corpus and the inputs
# that once crashed them (tests/fuzz/regress): one pass per input.
for t in "${FUZZ_DIR:-/nonexistent}"/fuzz_*; do
	[ -x "$t" ] || continue
	n=$(basename "$t")
	set -- tests/fuzz/corpus/"$n" tests/fuzz/regress/"$n"
	[ -d "$2" ] || set -- "$1"
	if "$t" "$@" >"$log" 2>&1; then status=ok; else status=FAILED; fi
	p=$(tail -n 1 "$log" | sed -n 's/.*: \([0-9]*\) passed, \([0-9]*\) failed$/\1/p')
	f=$(tail -n 1 "$log" | sed -n 's/.*: \([0-9]*\) passed, \([0-9]*\) failed$/\2/p')
	if [ "$status" = FAILED ] || [ -z "$p" ]; then
		cat "$log"
		f=$(( ${f:-0} + 1 ))
	fi
	echo "fuzz replay $n: ${p:-0} passed, ${f:-0} failed"
	passed=$((passed + ${p:-0})) failed=$((failed + ${f:-0}))
done

bats --formatter tap tests/*.bats >"$log" 2>&1
cat "$log"
p=$(grep -c '^ok ' "$log")
s=$(grep -c '^ok .* # skip' "$log")
f=$(grep -c '^not ok ' "$log")
passed=$((passed + p - s)) failed=$((failed + f)) skipped=$((skipped + s))
grep -q '^1\.\.' "$log" || failed=$((failed + 1))   # bats itself failed

echo "check: $passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
