#!/bin/sh
# make demo: replays the bundled recorded log (a valve experiment on the
# SKAB water-circulation test bench) through the toolkit and summarises.
set -eu
bin=$1
cd "$(dirname "$0")/.."
out=${DEMO_OUT:-build/demo}
mkdir -p "$out"
log=testdata/skab-valve1-1.csv
export PATH="$bin:$PATH"

echo "== twin-ingest: $log (wide CSV, ';'-separated, naive time stamps)"
twin-ingest --asset=skab-bench --numeric --rename='Volume Flow RateRMS=flow_rms' \
	--columns=Accelerometer1RMS,Accelerometer2RMS,Current,Pressure,Temperature,Thermocouple,Voltage,'Volume Flow RateRMS' \
	--stats "$log" >"$out/readings.ndjson"

echo "== twin-sync: 1 s grid, twin description testdata/skab.json (ranges, periods, derived power)"
twin-sync --twin=testdata/skab.json --every=1s --lateness=2s --stats \
	"$out/readings.ndjson" >"$out/states.ndjson"

echo
echo "readings: $(wc -l <"$out/readings.ndjson"), states: $(wc -l <"$out/states.ndjson")"
echo "states with a stale sensor (gaps in the log): $(grep -c '"stale"' "$out/states.ndjson" || true)"
echo "states with a value outside its valid range: $(grep -c '"bad"' "$out/states.ndjson" || true)"
echo "first state:"
head -n 1 "$out/states.ndjson"
echo "electrical power (W), min / mean / max over the run:"
jq -s -r '[.[].values.power_w | select(. != null)] | "\(min | floor) / \(add / length | floor) / \(max | floor)"' \
	"$out/states.ndjson"
echo "== twin-predict: an anomaly score for every sensor of the bench (anomaly likelihood)"
twin-predict --threshold=0.3 --alarms-only --stats "$out/states.ndjson" >"$out/scores.ndjson"
echo "alarms per sensor (score >= 0.3), and the first:"
jq -r 'select(.kind == "score") | .sensor' "$out/scores.ndjson" | sort | uniq -c
jq -r 'select(.kind == "score") | "\(.ts) \(.sensor) \(.score * 100 | round / 100)"' "$out/scores.ndjson" | head -n 3
echo "the valve experiment's labelled anomaly starts at $(awk -F';' 'NR > 1 && $10 == 1.0 { print $1; exit }' "$log") (local time)"
echo "written to $out/readings.ndjson, $out/states.ndjson and $out/scores.ndjson"

echo
echo "== twin-sim: a motor's log against the thermal model of the library (shadow mode)"
twin-ingest testdata/examples/motor-1.csv | twin-sync --every=1m >"$out/motor-states.ndjson"
twin-sim --twin=thermal --shadow "$out/motor-states.ndjson" >"$out/motor-shadow.ndjson"
echo "mean |residual| of temp_c with the library's R = 0.05 K/W: $(jq -s '[.[] | select(.kind == "residual") | .residual | fabs] | add / length * 100 | round / 100' "$out/motor-shadow.ndjson") K"
echo "== twin-sim --fit=R,C: calibrate the model to this motor"
twin-sim --twin=thermal --fit=R,C --fit-out="$out/motor-1.json" "$out/motor-states.ndjson" |
	jq -r '.parameters | to_entries[] | "\(.key) = \(.value.value) +- \(.value.stderr) (was \(.value.initial))"'
twin-sim --twin="$out/motor-1.json" --shadow "$out/motor-states.ndjson" >"$out/motor-shadow-fitted.ndjson"
echo "mean |residual| with the calibrated model: $(jq -s '[.[] | select(.kind == "residual") | .residual | fabs] | add / length * 100 | round / 100' "$out/motor-shadow-fitted.ndjson") K"

echo
echo "== twin-act: a PID holds the motor at 60 degC, tried against the twin (twin-sim --plant)"
loop="$out/loop"
rm -f "$loop" && mkfifo "$loop"
twin-sim --twin=thermal --plant --duration=2h --every=10s --no-noise --asset=motor <"$loop" \
	| tee "$out/plant.ndjson" | twin-act --rules=testdata/examples/motor-pid.json --arm \
	--audit="$out/audit.ndjson" >"$loop"
rm -f "$loop"
echo "temperature after 10, 30 and 120 minutes: $(jq -r 'select(.ts | test("T00:(10|30):00Z|T02:00:00Z")) | .values.temp_c * 100 | round / 100' "$out/plant.ndjson" | paste -sd' ')"
echo "commands decided: $(grep -c '"kind":"command"' "$out/audit.ndjson"), $(twin-act --verify-audit="$out/audit.ndjson")"
