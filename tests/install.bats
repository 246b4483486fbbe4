#!/usr/bin/env bats
# make install and make uninstall honour PREFIX and DESTDIR.

load helpers

@test "install: DESTDIR and PREFIX; the installed tool runs from a clean PATH" {
	[ "$TWIN_BIN" = "$TOP/bin" ] || skip "installs the plain build only"
	dest="$BATS_TEST_TMPDIR/root"
	run make -s -C "$TOP" install DESTDIR="$dest" PREFIX=/opt/twin
	assert_success
	for f in bin/twin-ingest share/man/man1/twin-ingest.1 share/man/man5/twin-format.5 \
		share/man/man7/twin.7 share/bash-completion/completions/twin-ingest \
		share/zsh/vendor-completions/_twin-ingest share/fish/vendor_completions.d/twin-ingest.fish \
		share/man/man1/twin-sync.1 share/man/man1/twin-sim.1 share/man/man5/twin-description.5 \
		bin/twin-sync bin/twin-sim share/twin/models/thermal.json; do
		[ -f "$dest/opt/twin/$f" ] || fail "missing $f"
	done
	run --separate-stderr env -i PATH="$dest/opt/twin/bin" twin-ingest "$TOP/testdata/pump-1.csv"
	assert_success
	assert_output "$(cat "$TOP/testdata/golden/pump-1.ndjson")"
	run --separate-stderr env -i PATH="$dest/opt/twin/bin" twin-sim --list-models
	assert_success
	assert_line --index 5 --regexp '^thermal '
	run --separate-stderr env -i PATH="$dest/opt/twin/bin" /bin/sh -c 'twin-ingest "$0" | twin-sync --every=5s' "$TOP/testdata/pump-1.csv"
	assert_success
	assert_equal "${#lines[@]}" 3
	run make -s -C "$TOP" uninstall DESTDIR="$dest" PREFIX=/opt/twin
	assert_success
	run find "$dest" -type f
	assert_output ""
}
