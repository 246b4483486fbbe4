#!/bin/sh
# make demo: replays the bundled recorded log (a valve experiment on the
# SKAB water-circulation test bench) through the toolkit and summarises.
set -eu
bin=$1
cd "$(dirname "$0")/.."
out=${DEMO_OUT:-build/demo}
mkdir -p "$out"
log=testdata/skab-valve1-1.csv
echo "== twin-ingest $log (wide CSV, ';'-separated, naive local time stamps)"
"$bin/twin-ingest" --asset=skab-bench --columns=Pressure,Temperature,Current,Voltage,Thermocouple,Accelerometer1RMS \
	--unit=Pressure=bar,Temperature=degC,Thermocouple=degC,Current=A,Voltage=V \
	--tz=Europe/Moscow --stats "$log" >"$out/readings.ndjson"
echo "first readings:"
head -n 3 "$out/readings.ndjson"
echo "readings per sensor:"
jq -r .sensor "$out/readings.ndjson" | sort | uniq -c
echo "written to $out/readings.ndjson"
