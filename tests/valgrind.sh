#!/bin/sh
# make valgrind: every bats suite (or those named as arguments) with each
# tool run under valgrind memcheck, through a directory of wrapper scripts
# given to the suites as TWIN_BIN.  valgrind writes its reports to a log
# per process, so the suites see the tools' own stderr; a tool with a
# memory error or a definite or indirect leak exits 99, and every log
# with an error in it is printed at the end.  The binaries are copied
# first, so that a rebuild meanwhile does not disturb the run.
#   make valgrind                      all suites
#   make valgrind SUITES=tests/ingest.bats
set -u
cd "$(dirname "$0")/.."
: "${TWIN_BIN:?}"
real=$TWIN_BIN
work=$(mktemp -d) && trap 'rm -rf "$work"' EXIT
mkdir "$work/bin" "$work/logs" "$work/real"
for t in "$real"/twin-*; do
	name=$(basename "$t")
	cp "$t" "$work/real/$name"
	t=$work/real/$name
	cat >"$work/bin/$name" <<WRAP
#!/bin/sh
exec valgrind -q --error-exitcode=99 --leak-check=full \\
	--errors-for-leak-kinds=definite,indirect --show-leak-kinds=definite,indirect \\
	--log-file="$work/logs/$name.%p.log" "$t" "\$@"
WRAP
	chmod +x "$work/bin/$name"
done
# TWIN_VALGRIND: the tests that kill the tools at random moments skip
export TWIN_VALGRIND=1 TWIN_BIN="$work/bin" TZ=UTC LC_ALL=C TWIN_MODELS="$PWD/models"
suites=${*:-tests/*.bats}
# shellcheck disable=SC2086
bats --formatter tap $suites >"$work/tap" 2>&1
cat "$work/tap"
runs=$(find "$work/logs" -name '*.log' | wc -l)
bad=0
for l in "$work/logs"/*.log; do
	# valgrind's own warnings (e.g. a system call it does not know) are
	# "--PID--" lines; errors and leaks are "==PID==" lines
	grep -q '^==' "$l" || continue
	bad=$((bad + 1))
	echo "=== $(basename "$l")"
	cat "$l"
done
echo "valgrind: $runs runs of the tools, $bad with errors or leaks;" \
	"bats: $(grep -c '^ok ' "$work/tap") ok, $(grep -c '^not ok ' "$work/tap") not ok"
[ "$bad" -eq 0 ] && ! grep -q '^not ok ' "$work/tap"
