#!/usr/bin/env bats
# The options of every tool agree in --help, the man page and the three
# shell completions; --help, --version and bad options behave as twin(7)
# says; the man pages are clean under mandoc's linter.
#
#   TWIN_BIN=$PWD/bin bats tests/options.bats

bats_require_minimum_version 1.5.0

load '/usr/lib/bats/bats-support/load'
load '/usr/lib/bats/bats-assert/load'

setup() {
	ROOT=$(cd "$BATS_TEST_DIRNAME/.." && pwd)
	TWIN_BIN=${TWIN_BIN:-$ROOT/bin}
	cd "$ROOT" || return 1
	TOOLS=()
	local t
	for t in "$TWIN_BIN"/twin-*; do
		[[ -f $t && -x $t ]] && TOOLS+=("${t##*/}")
	done
}

# The long options in text ($1), one a line, sorted, without duplicates.
long_opts() {
	grep -oE -- '--[a-z][a-z0-9-]*' <<<"$1" | LC_ALL=C sort -u
}

# The man page of tool $1 as text: wide, so that no option is broken
# across lines.
man_text() {
	mandoc -Tutf8 -O width=400 "man/$1.1" | col -bx
}

# The OPTIONS section of rendered man page text $1.
options_section() {
	awk '/^OPTIONS$/ { on = 1; next } /^[A-Z]/ { on = 0 } on' <<<"$1"
}

# True when text $2 has long option $1 as a whole word.
has_opt() {
	grep -qE -- "(^|[^a-zA-Z0-9-])$1([^a-zA-Z0-9-]|\$)" <<<"$2"
}

@test "there are tools to check in TWIN_BIN" {
	[[ -d $TWIN_BIN ]] || fail "TWIN_BIN=$TWIN_BIN is not a directory (run make)"
	((${#TOOLS[@]} > 0)) || fail "no twin-* tool in $TWIN_BIN"
}

@test "--help exits 0, prints usage on stdout, nothing on stderr" {
	local t
	for t in "${TOOLS[@]}"; do
		run --separate-stderr "$TWIN_BIN/$t" --help
		assert_equal "$t --help: status $status" "$t --help: status 0"
		assert_equal "$t --help: stderr '$stderr'" "$t --help: stderr ''"
		[[ $output == *"Usage: $t"* ]] || fail "$t --help: no 'Usage: $t' in: $output"
	done
}

@test "--version prints 'TOOL (twin toolkit) VERSION'" {
	local t
	for t in "${TOOLS[@]}"; do
		run --separate-stderr "$TWIN_BIN/$t" --version
		assert_equal "$t --version: status $status" "$t --version: status 0"
		assert_equal "$t --version: stderr '$stderr'" "$t --version: stderr ''"
		[[ $output =~ ^$t\ \(twin\ toolkit\)\ [0-9]+(\.[0-9]+)*[^[:space:]]*$ ]] ||
			fail "$t --version printed '$output'"
	done
}

@test "an unknown option exits 2 with a message on stderr and nothing on stdout" {
	local t
	for t in "${TOOLS[@]}"; do
		run --separate-stderr "$TWIN_BIN/$t" --no-such-option </dev/null
		assert_equal "$t --no-such-option: status $status" "$t --no-such-option: status 2"
		assert_equal "$t --no-such-option: stdout '$output'" "$t --no-such-option: stdout ''"
		[[ -n $stderr ]] || fail "$t --no-such-option: nothing on stderr"
	done
}

@test "every long option of --help is in the man page" {
	local t o missing=""
	for t in "${TOOLS[@]}"; do
		[[ -f man/$t.1 ]] || { missing+=" man/$t.1(missing)"; continue; }
		run --separate-stderr "$TWIN_BIN/$t" --help
		assert_equal "$status" 0
		local help=$output page
		page=$(man_text "$t")
		for o in $(long_opts "$help"); do
			has_opt "$o" "$page" || missing+=" $t:$o"
		done
	done
	assert_equal "missing from man pages:$missing" "missing from man pages:"
}

@test "every long option in the man page's OPTIONS section is in --help" {
	local t o extra=""
	for t in "${TOOLS[@]}"; do
		[[ -f man/$t.1 ]] || fail "no man/$t.1"
		run --separate-stderr "$TWIN_BIN/$t" --help
		assert_equal "$status" 0
		local help=$output section
		section=$(options_section "$(man_text "$t")")
		[[ -n $section ]] || fail "man/$t.1 has no OPTIONS section"
		for o in $(long_opts "$section"); do
			has_opt "$o" "$help" || extra+=" $t:$o"
		done
	done
	assert_equal "in the man page only:$extra" "in the man page only:"
}

@test "every long option of --help is in the bash, zsh and fish completions" {
	local t o missing=""
	for t in "${TOOLS[@]}"; do
		local f
		for f in "completions/$t.bash" "completions/_$t" "completions/$t.fish"; do
			[[ -f $f ]] || missing+=" $f(missing)"
		done
		run --separate-stderr "$TWIN_BIN/$t" --help
		assert_equal "$status" 0
		local help=$output bash zsh fish
		bash=$(cat "completions/$t.bash" 2>/dev/null)
		zsh=$(cat "completions/_$t" 2>/dev/null)
		fish=$(cat "completions/$t.fish" 2>/dev/null)
		for o in $(long_opts "$help"); do
			has_opt "$o" "$bash" || missing+=" $t.bash:$o"
			has_opt "$o" "$zsh" || missing+=" _$t:$o"
			# fish names a long option without its dashes: -l NAME
			grep -qE -- "(^|[[:space:]])-l[[:space:]]+${o#--}([[:space:]]|\$)" <<<"$fish" ||
				missing+=" $t.fish:$o"
		done
	done
	assert_equal "missing from completions:$missing" "missing from completions:"
}

@test "mandoc -Tlint -Wwarning finds nothing in man/*" {
	command -v mandoc >/dev/null || skip "mandoc is not installed"
	run --separate-stderr mandoc -Tlint -Wwarning man/*
	assert_equal "$stderr$output" ""
	assert_equal "$status" 0
}

@test "the bash completions load without error" {
	local t
	for t in "${TOOLS[@]}"; do
		run --separate-stderr bash -c 'source "$1" && complete -p "$2"' _ "completions/$t.bash" "$t"
		assert_equal "$t.bash: status $status, stderr '$stderr'" "$t.bash: status 0, stderr ''"
		assert_output --partial "complete -F"
	done
}

@test "the zsh completions start with #compdef and parse" {
	local t
	for t in "${TOOLS[@]}"; do
		[[ -f completions/_$t ]] || fail "no completions/_$t"
		run head -n 1 "completions/_$t"
		assert_output --regexp "^#compdef( .*)? $t( |\$)"
	done
	command -v zsh >/dev/null || skip "zsh is not installed: not parsed"
	for t in "${TOOLS[@]}"; do
		run --separate-stderr zsh -n "completions/_$t"
		assert_equal "_$t: status $status, stderr '$stderr'" "_$t: status 0, stderr ''"
	done
}

@test "the fish completions parse" {
	command -v fish >/dev/null || skip "fish is not installed"
	local t
	for t in "${TOOLS[@]}"; do
		run --separate-stderr fish -n "completions/$t.fish"
		assert_equal "$t.fish: status $status, stderr '$stderr'" "$t.fish: status 0, stderr ''"
		run --separate-stderr fish -c 'source $argv[1]' "completions/$t.fish"
		assert_equal "$t.fish: status $status, stderr '$stderr'" "$t.fish: status 0, stderr ''"
	done
}
