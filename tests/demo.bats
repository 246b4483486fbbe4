#!/usr/bin/env bats
# make demo: the whole twin over the bundled SKAB log, its summary and its plot.

load helpers

@test "the demo runs the whole pipeline, summarises it and draws its plot" {
	command -v gnuplot >/dev/null || skip "gnuplot is not installed"
	run --separate-stderr env DEMO_OUT="$BATS_TEST_TMPDIR/demo" "$TOP/tests/demo.sh" "$TWIN_BIN"
	assert_success
	assert_line --regexp '^calibrated on the first 400 s: R = 0\.1[0-9]* K/W, rmse 0\.[0-9]+ K$'
	assert_line 'readings: 9160, states: 1201, residuals: 1201'
	assert_line --regexp '^pca alarms: [1-9][0-9]*, first at 2020-03-09T10:4[4-9]:[0-9]{2}Z, mostly driven by: '
	assert_line --regexp '^alerts: [1-9][0-9]*, commands: [1-9][0-9]*$'
	assert_line --regexp '^  2020-03-09T[0-9:]+Z command flow-pattern: valve \{"position":0.5\} sent$'
	svg="$BATS_TEST_TMPDIR/demo/skab.svg"
	xmllint --noout "$svg"
	# The panels and series the summary promises: measured vs simulated,
	# the residual, the scores with their threshold, the markers.
	for text in "skab-bench: Temperature" "skab-bench: flow_rms" "simulated" "skab-bench: residuals (measured - simulated)" \
		"skab-bench: anomaly scores" "pca" "residual.Temperature" "threshold" "commands" "alerts"; do
		grep -q ">$text<" "$svg" || fail "the plot has no '$text'"
	done
	# The audit chain of the commands decided is whole.
	run --separate-stderr twin-act --verify-audit="$BATS_TEST_TMPDIR/demo/skab-audit.ndjson"
	assert_success
}
