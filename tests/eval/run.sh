#!/bin/sh
# NAB evaluation (issue 5, "Evaluation on real data"), run from anywhere.
#
#   1. nab_score.py --self-check: the evaluator gives the null detector 0
#      and a perfect detector 100 for every profile;
#   2. the baseline detector (baseline_zscore.py, a rolling z-score, the
#      bar the C detectors must beat) over every NAB file present, scored
#      with nab_score.py;
#   3. the reference: a port of NAB's windowedGaussian detector
#      (windowed_gaussian.py; 39.6 standard published on the full corpus),
#      scored the same way;
#   4. twin-predict over the same files, scored the same way: its default
#      method, then each of mad, cusum, likelihood, spatial and cad, one
#      configuration (the defaults) for every file.
#
# Data: ../shared/data/nab relative to the repository root (see its
# README); when it is absent the script says so and exits 0.
# Environment: PYTHON (default /usr/bin/python3), TWIN_BIN (default bin/ of
# the repository: run `make` first), EVAL_VERBOSE=1 for the per-file
# detail.  Results go to a temporary folder, removed at exit.
set -eu
cd "$(dirname "$0")/../.."

NAB=../shared/data/nab
PYTHON=${PYTHON:-/usr/bin/python3}
TWIN_BIN=${TWIN_BIN:-$PWD/bin}
EVAL=tests/eval
verbose=
[ "${EVAL_VERBOSE:-0}" = 1 ] && verbose=--verbose

if [ ! -d "$NAB/data" ] || [ ! -f "$NAB/labels/combined_windows.json" ]; then
	echo "eval: $NAB absent, NAB evaluation skipped"
	exit 0
fi

start=$(date +%s)
out=$(mktemp -d "${TMPDIR:-/tmp}/twin-eval.XXXXXX")
trap 'rm -rf "$out"' EXIT
trap 'exit 130' INT TERM

echo "== NAB evaluator self-check"
"$PYTHON" "$EVAL/nab_score.py" --self-check "$NAB"

# run_detector NAME COMMAND...: COMMAND reads a NAB data file on stdin and
# writes timestamp,value,anomaly_score on stdout; once per file present.
run_detector() {
	name=$1
	shift
	for f in "$NAB"/data/*/*.csv; do
		[ -f "$f" ] || continue
		rel=${f#"$NAB"/data/}
		mkdir -p "$out/$name/${rel%/*}"
		"$@" <"$f" >"$out/$name/$rel"
	done
}

echo
echo "== NAB, baseline: rolling z-score over 288 rows, min(1, |z|/6)"
run_detector baseline "$PYTHON" "$EVAL/baseline_zscore.py" --window 288
"$PYTHON" "$EVAL/nab_score.py" $verbose "$out/baseline" "$NAB"

# twin_predict [OPTION]...: the adapter from a NAB data file (stdin) to
# twin-predict with OPTIONs and back to timestamp,value,anomaly_score.
# twin-ingest reads the file's naive local stamps as UTC and writes
# "2014-02-14T14:30:00Z"; each score record follows the reading it
# scores, and the reading carries its line in the file (--lineage), so
# every data row is written as it was, its own stamp and value, with the
# score of its reading.  The score record's stamp, turned back into
# NAB's form ("2014-02-14 14:30:00"), must be the row's.  A row with no
# score (a line twin-ingest rejected) gets 0; so do the warm-up rows,
# whose score twin-predict gives as 0.
twin_predict() {
	cat >"$out/in.csv"
	st=0
	"$TWIN_BIN/twin-ingest" -f csv --asset=x --numeric --lineage --no-progress \
		"$out/in.csv" >"$out/in.ndjson" 2>"$out/err" || st=$?
	if [ "$st" -gt 1 ]; then
		cat "$out/err" >&2
		return 2
	fi
	"$TWIN_BIN/twin-predict" "$@" "$out/in.ndjson" >"$out/out.ndjson"
	awk '
	# A stamp in one form: "T" as a space, no "Z", no trailing zeros of
	# a fraction ("00:00:00.500" and "00:00:00.5" are the same time).
	function norm(t) {
		sub(/T/, " ", t)
		sub(/Z$/, "", t)
		if (t ~ /\.[0-9]+$/) {
			sub(/0+$/, "", t)
			sub(/\.$/, "", t)
		}
		return t
	}
	NR == FNR {
		if (match($0, /"src":"[^"]*:[0-9]+"/)) {
			src = substr($0, RSTART, RLENGTH - 1)
			sub(/.*:/, "", src)
			cur = src + 0
		} else if (index($0, "\"kind\":\"score\"") && cur > 0) {
			match($0, /"score":[^,}]*/)
			score[cur] = substr($0, RSTART + 8, RLENGTH - 8)
			match($0, /^\{"ts":"[^"]*"/)
			stamp[cur] = substr($0, RSTART + 7, RLENGTH - 8)
			cur = 0
		}
		next
	}
	{ sub(/\r$/, "") }
	FNR == 1 { print "timestamp,value,anomaly_score"; next }
	$0 == "" { next }
	{
		if (FNR in score) {
			split($0, f, ",")
			t = norm(stamp[FNR])
			if (t != norm(f[1])) {
				printf "eval: line %d: scored at %s, stamped %s\n", FNR, t, f[1] > "/dev/stderr"
				exit 2
			}
			print $0 "," score[FNR]
		} else
			print $0 ",0"
	}' "$out/out.ndjson" "$out/in.csv"
}

echo
echo "== NAB, reference: NAB's windowedGaussian (window 6400, step 100)"
run_detector windowedGaussian "$PYTHON" "$EVAL/windowed_gaussian.py"
"$PYTHON" "$EVAL/nab_score.py" $verbose "$out/windowedGaussian" "$NAB"

if [ ! -x "$TWIN_BIN/twin-predict" ] || [ ! -x "$TWIN_BIN/twin-ingest" ]; then
	echo "eval: no twin-ingest and twin-predict in $TWIN_BIN (run make)" >&2
	exit 2
fi

echo
echo "== NAB, twin-predict (default method, defaults for every file)"
run_detector twin-predict twin_predict
"$PYTHON" "$EVAL/nab_score.py" $verbose "$out/twin-predict" "$NAB"

for m in mad cusum likelihood spatial cad; do
	echo
	echo "== NAB, twin-predict --method=$m"
	run_detector "twin-predict-$m" twin_predict --method="$m"
	"$PYTHON" "$EVAL/nab_score.py" $verbose "$out/twin-predict-$m" "$NAB"
done

echo
echo "eval: NAB done in $(($(date +%s) - start)) s"
