# Shared by the bats suites: the tools under test, a scratch folder, and
# the bats helper libraries.
bats_require_minimum_version 1.5.0
load '/usr/lib/bats/bats-support/load'
load '/usr/lib/bats/bats-assert/load'

TOP=$(cd "$BATS_TEST_DIRNAME/.." && pwd)
: "${TWIN_BIN:=$TOP/bin}"
export PATH="$TWIN_BIN:$PATH" TZ=UTC LC_ALL=C

setup() {
	cd "$BATS_TEST_TMPDIR"
}

# Counts the lines of a file (0 for a missing one).
lines() {
	if [ -f "$1" ]; then wc -l <"$1" | tr -d ' '; else echo 0; fi
}
