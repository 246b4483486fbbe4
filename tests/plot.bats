#!/usr/bin/env bats
# twin-plot: the files it makes (valid SVG with the expected panels and
# series, PNG of the asked size, text with axes), choosing, counts, bad
# input, and the failures around gnuplot and the output.

load helpers

EX="$TOP/testdata/examples/plot.ndjson"

setup() {
	cd "$BATS_TEST_TMPDIR"
	command -v gnuplot >/dev/null || skip "gnuplot is not installed (gnuplot-nox)"
	command -v xmllint >/dev/null || skip "xmllint is not installed (libxml2-utils)"
	mkdir -p tmp
	export TMPDIR=$BATS_TEST_TMPDIR/tmp
}

# The text elements of SVG file $1, one a line; fails on invalid XML.
svg_texts() {
	xmllint --noout "$1" || return 1
	xmllint --xpath '//*[local-name()="text"]/text()' "$1"
}

# The panel titles of SVG file $1 ("asset: ..."), in order.
svg_panels() {
	svg_texts "$1" | grep -E '^[a-z0-9-]+: ' || true
}

# Nothing left in the temporary directory.
assert_tmp_empty() {
	run ls -A "$TMPDIR"
	assert_output ""
}

@test "SVG: valid, one panel per sensor, residuals, scores, RUL, in order" {
	run --separate-stderr twin-plot -o plot.svg "$EX"
	assert_success
	assert_equal "$stderr" ""
	assert_output ""
	run svg_panels plot.svg
	assert_success
	assert_output "pump-1: temp_c
pump-1: rpm
pump-1: residuals (measured - simulated)
pump-1: anomaly scores
pump-2: flow_l_s
pump-2: remaining useful life"
	assert_tmp_empty
}

@test "SVG: the series are named in the keys, markers labelled, time in UTC" {
	twin-plot -o plot.svg "$EX"
	texts=$(svg_texts plot.svg)
	for name in reading simulated forecast 'forecast lo..hi' state residual.temp_c threshold alarm \
		temp_c 'RUL (s)' lo..hi commands alerts 'overheat fired' 'overheat cleared' \
		'cooling-valve (overheat)' 'time (UTC), 2024-03-01T00:00:00Z to 2024-03-01T00:02:15Z'; do
		grep -qxF -- "$name" <<<"$texts" || fail "no text '$name' in the SVG: $texts"
	done
	# The string value "running" and the fit record draw nothing.
	! grep -q running <<<"$texts" || fail "a string value was drawn"
	# Ticks every 15 s from 00:00:00, on each of the 6 panels.
	assert_equal "$(grep -cx '00:01:30' <<<"$texts")" 6
	# The same under another zone: time is UTC, not local.
	TZ=Asia/Tokyo twin-plot -o tokyo.svg "$EX"
	cmp plot.svg tokyo.svg
}

@test "SVG: the same input gives the same bytes; --title and --size are in it" {
	twin-plot -T svg --title='Pumps 1 and 2' --size=640x900 "$EX" >a.svg
	twin-plot -T svg --title='Pumps 1 and 2' --size=640x900 "$EX" >b.svg
	cmp a.svg b.svg
	run svg_texts a.svg
	assert_line 'Pumps 1 and 2'
	run xmllint --xpath 'string(/*/@width)' a.svg
	assert_output 640
	run xmllint --xpath 'string(/*/@height)' a.svg
	assert_output 900
}

@test "PNG: the magic bytes and the size asked for" {
	run --separate-stderr twin-plot -o plot.png --size=800x1400 "$EX"
	assert_success
	assert_equal "$stderr" ""
	run od -A n -t x1 -N 8 plot.png
	assert_output " 89 50 4e 47 0d 0a 1a 0a"
	# IHDR: width and height, big-endian, at bytes 16 and 20
	run od -A n -t u1 -j 16 -N 8 plot.png
	read -r w3 w2 w1 w0 h3 h2 h1 h0 <<<"$output"
	assert_equal "$(((w3 << 24) + (w2 << 16) + (w1 << 8) + w0))x$(((h3 << 24) + (h2 << 16) + (h1 << 8) + h0))" 800x1400
	# -T png on standard output: the same picture
	twin-plot -T png --size=800x1400 "$EX" >stdout.png
	cmp plot.png stdout.png
}

@test "text: axes, titles and key on standard output, the size asked for" {
	run --separate-stderr twin-plot -T dumb --size=100x60 --sensors=temp_c "$EX"
	assert_success
	assert_equal "$stderr" ""
	twin-plot -T dumb --size=100x60 --sensors=temp_c "$EX" >text
	assert_equal "$(wc -l <text)" 60
	assert_output --partial "pump-1: temp_c"
	assert_output --partial "reading"
	assert_output --regexp '\+-{20,}\+'          # the frame of a panel
	assert_output --regexp '00:01:00'            # time ticks
	assert_output --partial "time (UTC), 2024-03-01T00:00:00Z to 2024-03-01T00:02:15Z"
	local l
	for l in "${lines[@]}"; do
		((${#l} <= 100)) || fail "a line of ${#l} characters: $l"
	done
	# .txt means text
	twin-plot -o plot.txt --size=100x60 --sensors=temp_c "$EX"
	assert_equal "$(cat plot.txt)" "$output"
}

@test "the format: from the suffix, else SVG on a pipe; others are usage errors" {
	twin-plot "$EX" >out
	assert_equal "$(head -c 5 out)" "<?xml"
	twin-plot -o PLOT.SVG "$EX"
	xmllint --noout PLOT.SVG
	run --separate-stderr twin-plot -o plot.pdf "$EX"
	assert_failure 2
	assert_equal "$stderr" "twin-plot: --output: cannot tell the format of 'plot.pdf' (.svg, .png or .txt): give --terminal
Try 'twin-plot --help' for more information."
	[ ! -e plot.pdf ]
	twin-plot -o plot.pdf -T svg "$EX"
	xmllint --noout plot.pdf
	for bad in --terminal=pdf --size=100 --size=10x10 --size=axb --kinds=reading,foo --kinds=, \
		--sensors=, --asset= --from=yesterday --gnuplot= --output=; do
		run --separate-stderr twin-plot $bad "$EX"
		assert_equal "$bad: $status" "$bad: 2"
		assert_equal "$bad: $output" "$bad: "
		[[ $stderr == twin-plot:* ]] || fail "$bad: $stderr"
	done
	run --separate-stderr twin-plot --from=2024-03-01T00:02:00Z --to=2024-03-01T00:01:00Z "$EX"
	assert_failure 2
	assert_equal "${stderr%%$'\n'*}" "twin-plot: --from is after --to"
}

@test "choosing: --asset, --sensors, --kinds, --from and --to; every line counted once" {
	run --separate-stderr twin-plot --stats -o all.svg "$EX"
	assert_equal "$stderr" "twin-plot: 177 lines: 174 plotted, 1 gaps, 0 not chosen, 0 outside the time range, 2 not plottable, 0 blank, 0 rejected; 10 series in 6 panels"

	run --separate-stderr twin-plot --stats -o rpm.svg --sensors=rpm "$EX"
	assert_success
	assert_equal "$stderr" "twin-plot: 177 lines: 50 plotted, 1 gaps, 125 not chosen, 0 outside the time range, 1 not plottable, 0 blank, 0 rejected; 4 series in 2 panels"
	run svg_panels rpm.svg
	assert_output "pump-1: rpm
pump-2: remaining useful life"
	# the markers of pump-1 are on its rpm panel
	run svg_texts rpm.svg
	assert_line alerts
	assert_line 'overheat fired'

	run --separate-stderr twin-plot --stats -o p2.svg --asset=pump-2 --kinds=state "$EX"
	assert_equal "$stderr" "twin-plot: 177 lines: 24 plotted, 0 gaps, 152 not chosen, 0 outside the time range, 1 not plottable, 0 blank, 0 rejected; 1 series in 1 panels"
	run svg_panels p2.svg
	assert_output "pump-2: flow_l_s"

	# the forecasts are at their "at": 00:02:00 to 00:02:15
	run --separate-stderr twin-plot --stats -o late.svg --from=2024-03-01T00:02:00Z --kinds=forecast,reading "$EX"
	assert_equal "$stderr" "twin-plot: 177 lines: 4 plotted, 0 gaps, 123 not chosen, 49 outside the time range, 1 not plottable, 0 blank, 0 rejected; 1 series in 1 panels"
	run svg_texts late.svg
	assert_line 'time (UTC), 2024-03-01T00:02:00Z to 2024-03-01T00:02:15Z'
	assert_line forecast
	refute_line reading

	run --separate-stderr twin-plot -o none.svg --sensors=nosuch --kinds=reading "$EX"
	assert_failure 2
	assert_equal "$stderr" "twin-plot: nothing to plot: 177 lines read, no value to draw"
	[ ! -e none.svg ]
}

@test "each record kind on its own; a residual alone shows its measured and simulated sides" {
	printf '%s\n' \
		'{"ts":"2024-03-01T00:00:00Z","asset":"m","kind":"residual","sensor":"t","measured":2,"simulated":1,"residual":1}' \
		'{"ts":"2024-03-01T00:00:01Z","asset":"m","kind":"residual","sensor":"t","measured":3,"simulated":1,"residual":2}' >res
	twin-plot -o res.svg res
	run svg_panels res.svg
	assert_output "m: t
m: residuals (measured - simulated)"
	run svg_texts res.svg
	assert_line measured
	assert_line simulated
	# a score of the whole asset is named by its method; an asset with
	# commands only has a panel of its own
	printf '%s\n' \
		'{"ts":0,"asset":"m","kind":"score","score":0.2,"threshold":0.5,"alarm":false,"method":"pca"}' \
		'{"ts":1,"asset":"m","kind":"score","score":0.7,"threshold":0.5,"alarm":true,"method":"pca"}' \
		'{"ts":1,"asset":"v","kind":"command","target":"valve-3","set":{"position":0.4},"rule":"hot"}' \
		'{"ts":2,"asset":"m","kind":"sim","scenario":"overload","values":{"t":5}}' >mix
	twin-plot -o mix.svg mix
	run svg_panels mix.svg
	assert_output "m: t
m: anomaly scores
v: commands and alerts"
	run svg_texts mix.svg
	assert_line pca
	assert_line 'simulated (overload)'
	assert_line 'valve-3 (hot)'
	assert_tmp_empty
}

@test "many series: more data files than may be open at once" {
	awk 'BEGIN { for (t = 0; t < 20; t++) for (s = 0; s < 100; s++)
		printf "{\"ts\":%d,\"asset\":\"a\",\"sensor\":\"s%03d\",\"value\":%d}\n", t, s, s + t }' >many
	run --separate-stderr twin-plot --stats -o many.svg many
	assert_success
	assert_equal "$stderr" "twin-plot: 2000 lines: 2000 plotted, 0 gaps, 0 not chosen, 0 outside the time range, 0 not plottable, 0 blank, 0 rejected; 100 series in 100 panels"
	run svg_panels many.svg
	assert_equal "${#lines[@]}" 100
	assert_line --index 99 "a: s099"
	assert_tmp_empty
}

@test "bad lines: FILE:LINE: reason, exit 1, the rest plotted; --rejects; --strict draws nothing" {
	{
		head -n 5 "$EX"
		echo 'not json'
		echo '{"ts":"2024-03-01T00:00:09Z","asset":"pump-1","kind":"score","score":"high"}'
		echo '{"ts":"2024-03-01T00:00:09Z","asset":"pump-1","kind":"forecast","sensor":"temp_c","at":"soon","value":1}'
		echo '{"ts":"2024-03-01T00:00:09Z","asset":"pump-1","kind":"state","values":[1]}'
		echo '{"ts":"2024-03-01T00:00:09Z","asset":"pump-1","kind":7}'
		echo '{"asset":"pump-1","sensor":"temp_c","value":1}'
		echo ''
	} >bad
	run --separate-stderr twin-plot --stats --rejects=rej -o bad.svg bad
	assert_failure 1
	assert_output ""
	assert_equal "$stderr" 'twin-plot: bad:6: not a JSON object
twin-plot: bad:7: a score needs a number "score" (a number "threshold", a boolean "alarm" and a string "sensor" if there)
twin-plot: bad:8: a forecast needs a string "sensor", a time "at" and a number "value" ("lo" and "hi" numbers if there)
twin-plot: bad:9: a state needs an object "values"
twin-plot: bad:10: "kind" is not a string
twin-plot: bad:11: missing "ts"
twin-plot: 12 lines: 5 plotted, 0 gaps, 0 not chosen, 0 outside the time range, 0 not plottable, 1 blank, 6 rejected; 5 series in 4 panels'
	xmllint --noout bad.svg
	assert_equal "$(cat rej)" "$(sed -n 6,11p bad)"
	run --separate-stderr twin-plot --strict -o strict.svg bad
	assert_failure 1
	assert_equal "$stderr" "twin-plot: bad:6: not a JSON object"
	[ ! -e strict.svg ]
	run ls -A
	refute_output --partial strict.svg
	assert_tmp_empty
}

@test "empty input, or nothing numeric: a clear error, exit 2, no output" {
	run --separate-stderr twin-plot -o empty.svg </dev/null
	assert_failure 2
	assert_equal "$stderr" "twin-plot: nothing to plot: 0 lines read, no value to draw"
	[ ! -e empty.svg ]
	printf '%s\n' '{"ts":0,"asset":"a","sensor":"mode","value":"RUN"}' '{"ts":0,"asset":"a","sensor":"x","value":null}' >strings
	run --separate-stderr twin-plot -T svg strings
	assert_failure 2
	assert_output ""
	assert_equal "$stderr" "twin-plot: nothing to plot: 2 lines read, no value to draw"
	assert_tmp_empty
}

@test "no gnuplot on PATH: a clear error, exit 2, the old output kept" {
	echo old >plot.svg
	run --separate-stderr env PATH="$BATS_TEST_TMPDIR/nowhere" "$TWIN_BIN/twin-plot" -o plot.svg "$EX"
	assert_failure 2
	assert_equal "$stderr" "twin-plot: cannot run gnuplot: not found on PATH (on Debian: apt-get install gnuplot-nox)"
	assert_equal "$(cat plot.svg)" old
	run find . -name 'plot.svg?*'
	assert_output ""
	assert_tmp_empty
}

@test "gnuplot failing: its messages, then ours, exit 2, the old output kept" {
	echo old >plot.svg
	printf '#!/bin/sh\necho "gnuplot: broken" >&2\nexit 3\n' >fail.sh
	chmod +x fail.sh
	run --separate-stderr twin-plot --gnuplot="$PWD/fail.sh" -o plot.svg "$EX"
	assert_failure 2
	assert_equal "$stderr" "gnuplot: broken
twin-plot: $PWD/fail.sh failed (exit status 3) on the script it was given"
	assert_equal "$(cat plot.svg)" old
	# one that draws nothing
	run --separate-stderr twin-plot --gnuplot=true -T svg "$EX"
	assert_failure 2
	assert_equal "$stderr" "twin-plot: true drew nothing"
	assert_output ""
	assert_tmp_empty
}

@test "an output that cannot be written: exit 2 before any input is read" {
	mkfifo never    # opening it would block: it must not be read
	run --separate-stderr timeout 5 twin-plot -o nodir/plot.svg never
	assert_failure 2
	assert_equal "$stderr" "twin-plot: nodir/plot.svg: cannot create a temporary file in 'nodir': No such file or directory"
	mkdir dir.svg
	run --separate-stderr timeout 5 twin-plot -o dir.svg never
	assert_failure 2
	assert_equal "$stderr" "twin-plot: dir.svg: is a directory"
	touch file
	run --separate-stderr timeout 5 twin-plot -o file/plot.svg never
	assert_failure 2
	assert_equal "$stderr" "twin-plot: file/plot.svg: cannot create a temporary file in 'file': Not a directory"
	run --separate-stderr bash -c 'twin-plot -T svg "$1" >/dev/full' _ "$EX"
	assert_failure 2
	assert_equal "$stderr" "twin-plot: standard output: No space left on device"
	run --separate-stderr twin-plot --rejects=nodir/rej "$EX"
	assert_failure 2
	assert_tmp_empty
}

@test "SIGTERM while reading: no plot, the temporary files removed" {
	mkfifo in
	twin-plot -o sig.svg in 2>err &
	pid=$!
	exec 5>in
	head -n 20 "$EX" >&5
	for _ in $(seq 50); do [ -n "$(ls -A "$TMPDIR")" ] && break; sleep 0.1; done
	[ -n "$(ls -A "$TMPDIR")" ] || fail "no temporary directory while reading"
	kill -TERM "$pid"
	status=0
	wait "$pid" || status=$?
	exec 5>&-
	assert_equal "$status" 143
	[ ! -e sig.svg ]
	assert_tmp_empty
	run find . -name 'sig.svg*'
	assert_output ""
}
