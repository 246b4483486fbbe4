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

sensors=Accelerometer1RMS,Accelerometer2RMS,Current,Pressure,Temperature,Thermocouple,Voltage,flow_rms
twin=testdata/skab-twin.json

echo "== the whole twin over $log (a valve experiment of the SKAB test bench, real data)"
echo "   twin-ingest | twin-sync | twin-sim --shadow | twin-predict | twin-predict -m pca | twin-act"
# The motor's twin: the library's thermal model, its temperature heated
# by the electrical power and cooled to the water, R calibrated on the
# first 400 s of the log (before the labelled anomaly).
twin-ingest --asset=skab-bench --numeric --rename='Volume Flow RateRMS=flow_rms' \
	--columns=Accelerometer1RMS,Accelerometer2RMS,Current,Pressure,Temperature,Thermocouple,Voltage,'Volume Flow RateRMS' \
	--until=2020-03-09T10:41:13 "$log" | twin-sync --twin="$twin" --every=1s --lateness=2s |
	twin-sim --twin="$twin" --fit=R --fit-out="$out/skab-motor.json" >"$out/fit.ndjson"
echo "calibrated on the first 400 s: $(jq -r 'select(.kind == "fit") | "R = \(.parameters.R.value * 1000 | round / 1000) K/W, rmse \(.outputs.Temperature.rmse * 100 | round / 100) K"' "$out/fit.ndjson")"

twin-ingest --asset=skab-bench --numeric --rename='Volume Flow RateRMS=flow_rms' \
	--columns=Accelerometer1RMS,Accelerometer2RMS,Current,Pressure,Temperature,Thermocouple,Voltage,'Volume Flow RateRMS' \
	"$log" | tee "$out/readings.ndjson" |
	twin-sync --twin="$twin" --every=1s --lateness=2s |
	twin-sim --twin="$out/skab-motor.json" --shadow |
	twin-predict --sensors=residual.Temperature --method=cusum --train=400 --alarms-only |
	twin-predict -m pca --train=400 --sensors="$sensors" --variance=0.95 --smooth=0.05 --statistics=t2 |
	twin-act --twin="$twin" --audit="$out/skab-audit.ndjson" >"$out/twin.ndjson"

count() { jq -c "select($1)" "$out/twin.ndjson" | wc -l | tr -d ' '; }
echo
echo "readings: $(wc -l <"$out/readings.ndjson" | tr -d ' '), states: $(count '.kind == "state"'), residuals: $(count '.kind == "residual"')"
echo "pca alarms: $(count '.kind == "score" and .method == "pca" and .alarm'), first at $(jq -r 'select(.kind == "score" and .method == "pca" and .alarm) | .ts' "$out/twin.ndjson" | head -n 1), mostly driven by: $(jq -r 'select(.kind == "score" and .method == "pca" and .alarm) | .top' "$out/twin.ndjson" | sort | uniq -c | sort -rn | head -n 2 | awk '{ printf "%s%s (%d)", (NR > 1 ? ", " : ""), $2, $1 }')"
echo "motor warmer than its twin (CUSUM of the residual): $(count '.kind == "score" and .sensor == "residual.Temperature" and .alarm') alarms, first at $(jq -r 'select(.kind == "score" and .sensor == "residual.Temperature" and .alarm) | .ts' "$out/twin.ndjson" | head -n 1)"
echo "alerts: $(count '.kind == "alert" and .state == "fired"'), commands: $(count '.kind == "command"')"
jq -r 'select(.kind == "alert" and .state == "fired" or .kind == "command") | "  \(.ts) \(.kind) \(.rule): \(.message // ("\(.target) \(.set | tostring) \(.decision)"))"' "$out/twin.ndjson" | head -n 6
echo "the valve experiment's labelled anomaly: $(awk -F';' 'NR > 1 && $10 == 1.0 { s = s ? s : $1; e = $1 } END { print s " to " e }' "$log") (local time, read as UTC)"
twin-plot -o "$out/skab.svg" --title="SKAB valve1/1: measured vs twin, anomaly scores, commands" \
	--sensors=Temperature,residual.Temperature,flow_rms \
	--kinds=state,sim,residual,score,command,alert "$out/twin.ndjson"
echo "plot: $out/skab.svg (the motor's temperature measured and simulated, the flow, the residual, the scores; commands and alerts marked)"
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
