#!/usr/bin/env bats
# The EXAMPLES of every man/*.1 page run as written, from the top of the
# source tree.
#
#   TWIN_BIN=$PWD/bin bats tests/man-examples.bats
#
# Every line of the EXAMPLES section that starts with "$ twin-" is a
# command.  It must exit 0, with output on stdout and nothing on stderr,
# unless it ends in a comment that says otherwise:
#   # exit status N          it must exit N, with output on stdout;
#   # runs until interrupted  it must still be running, with output, after
#                             a few seconds (then it is stopped);
#   # no output              it must exit 0 and print nothing at all (it
#                             writes to a file, or cmp finds no difference).
# A line "$ rm -f /tmp/twin-..." (scratch files under /tmp only) runs too,
# in its place: examples that keep a checkpoint start afresh with it.
# Examples whose input files under testdata/ are missing are not run;
# the last test then says which.

bats_require_minimum_version 1.5.0

load '/usr/lib/bats/bats-support/load'
load '/usr/lib/bats/bats-assert/load'

RUN_FOR=3   # seconds a "runs until interrupted" example is given

setup() {
	ROOT=$(cd "$BATS_TEST_DIRNAME/.." && pwd)
	TWIN_BIN=${TWIN_BIN:-$ROOT/bin}
	cd "$ROOT" || return 1
	command -v mandoc >/dev/null || skip "mandoc is not installed"
	EXAMPLES=()
	PAGES=(man/*.1)
	local line
	while IFS= read -r line; do
		EXAMPLES+=("$line")
	done < <(for page in "${PAGES[@]}"; do examples_of "$page"; done)
}

# The "$ twin-" command lines of the EXAMPLES section of page $1.
examples_of() {
	mandoc -Tutf8 -O width=400 "$1" | col -bx |
		awk '/^EXAMPLES$/ { on = 1; next } /^[A-Z]/ { on = 0 }
		     on && /^[ \t]*\$ (twin-|rm -f \/tmp\/twin-)/ { sub(/^[ \t]*\$ /, ""); print }'
}

# The files under testdata/ that command $1 names but that are missing.
missing_inputs() {
	local w
	for w in $(grep -oE 'testdata/[^ |<>;&]+' <<<"$1"); do
		w=${w%\'}
		w=${w%\"}
		[[ -e $w ]] || printf '%s\n' "$w"
	done
}

@test "the EXAMPLES section of every man page of a tool has examples" {
	local page n
	for page in "${PAGES[@]}"; do
		n=$(examples_of "$page" | grep -c '^twin-')
		((n >= 5)) || fail "$page: only $n '\$ twin-' lines found in EXAMPLES"
	done
}

@test "every example whose inputs exist runs as documented" {
	local cmd failures="" ran=0 want
	for cmd in "${EXAMPLES[@]}"; do
		[[ -z $(missing_inputs "$cmd") ]] || continue
		if [[ $cmd == rm\ * ]]; then
			if [[ ! $cmd =~ ^rm\ -f(\ /tmp/twin-[A-Za-z0-9._*-]+)+$ ]]; then
				failures+=$'\n'"[$cmd] removes something else than /tmp/twin-* files"
			elif ! bash -c "$cmd"; then
				failures+=$'\n'"[$cmd] failed"
			fi
			continue
		fi
		ran=$((ran + 1))
		if [[ $cmd == *"# runs until interrupted"* ]]; then
			run --separate-stderr timeout "$RUN_FOR" \
				env PATH="$TWIN_BIN:$PATH" bash -c "set -o pipefail; $cmd"
			if ((status != 124)); then
				failures+=$'\n'"[$cmd] ended with status $status before $RUN_FOR s: $stderr"
			elif [[ -z $output ]]; then
				failures+=$'\n'"[$cmd] printed nothing in $RUN_FOR s"
			fi
			continue
		fi
		if [[ $cmd == *"# no output" ]]; then
			run --separate-stderr env PATH="$TWIN_BIN:$PATH" bash -c "set -o pipefail; $cmd"
			if ((status != 0)) || [[ -n $output || -n $stderr ]]; then
				failures+=$'\n'"[$cmd] exit status $status, output '$output', stderr '$stderr' (wanted 0 and none)"
			fi
			continue
		fi
		want=0
		if [[ $cmd =~ \#\ exit\ status\ ([0-9]+) ]]; then
			want=${BASH_REMATCH[1]}
		fi
		run --separate-stderr env PATH="$TWIN_BIN:$PATH" bash -c "set -o pipefail; $cmd"
		if ((status != want)); then
			failures+=$'\n'"[$cmd] exit status $status, not $want: $stderr"
		elif [[ -z $output ]]; then
			failures+=$'\n'"[$cmd] printed nothing on stdout"
		elif ((want == 0)) && [[ -n $stderr ]]; then
			failures+=$'\n'"[$cmd] printed on stderr: $stderr"
		fi
	done
	((ran > 0)) || fail "no example could run: their input files are missing"
	assert_equal "failed examples:$failures" "failed examples:"
}

@test "every input file the examples name is in testdata/" {
	local cmd missing=""
	for cmd in "${EXAMPLES[@]}"; do
		missing+=$(missing_inputs "$cmd")
	done
	missing=$(sort -u <<<"$missing" | tr '\n' ' ')
	[[ -z ${missing// /} ]] || skip "examples not run, missing: $missing"
}
