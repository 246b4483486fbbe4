#!/bin/sh
# make eval (issue 5, "Evaluation on real data"), run from anywhere: NAB,
# then SKAB, TEP and C-MAPSS, then one table beside the published figures.
#
# NAB:
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
# SKAB: skab_eval.py, the pca detector on the valve1 experiments (first
#      400 rows of each train), point-wise F1, FAR and MAR.
# TEP: tep_eval.py, pca fitted on normal operation, detection rates of T2
#      and Q for faults 1-7 and the false alarm rate.
# C-MAPSS: cmapss_eval.py, remaining useful life on FD001 by 5-fold
#      cross-validation by engine, RMSE and NASA's score.
#
# Data: ../shared/data/{nab,skab,tep,cmapss} relative to the repository
# root (see its README); a data set that is absent is skipped, said so.
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

start=$(date +%s)
out=$(mktemp -d "${TMPDIR:-/tmp}/twin-eval.XXXXXX")
trap 'rm -rf "$out"' EXIT
trap 'exit 130' INT TERM

if [ ! -x "$TWIN_BIN/twin-predict" ] || [ ! -x "$TWIN_BIN/twin-ingest" ]; then
	echo "eval: no twin-ingest and twin-predict in $TWIN_BIN (run make)" >&2
	exit 2
fi

have_nab=1
if [ ! -d "$NAB/data" ] || [ ! -f "$NAB/labels/combined_windows.json" ]; then
	echo "eval: $NAB absent, NAB evaluation skipped"
	have_nab=0
fi

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

nab_default=""
if [ "$have_nab" = 1 ]; then
	echo "== NAB evaluator self-check"
	"$PYTHON" "$EVAL/nab_score.py" --self-check "$NAB"

	echo
	echo "== NAB, baseline: rolling z-score over 288 rows, min(1, |z|/6)"
	run_detector baseline "$PYTHON" "$EVAL/baseline_zscore.py" --window 288
	"$PYTHON" "$EVAL/nab_score.py" $verbose "$out/baseline" "$NAB"

	echo
	echo "== NAB, reference: NAB's windowedGaussian (window 6400, step 100)"
	run_detector windowedGaussian "$PYTHON" "$EVAL/windowed_gaussian.py"
	"$PYTHON" "$EVAL/nab_score.py" $verbose "$out/windowedGaussian" "$NAB"

	echo
	echo "== NAB, twin-predict (default method, defaults for every file)"
	run_detector twin-predict twin_predict
	"$PYTHON" "$EVAL/nab_score.py" $verbose "$out/twin-predict" "$NAB" | tee "$out/nab-default.txt"
	nab_default=$(awk '$1 == "standard" { s = $3 } $1 == "reward_low_FP_rate" { f = $3 }
		$1 == "reward_low_FN_rate" { n = $3 } END { print s " / " f " / " n }' "$out/nab-default.txt")

	for m in mad cusum likelihood spatial cad; do
		echo
		echo "== NAB, twin-predict --method=$m"
		run_detector "twin-predict-$m" twin_predict --method="$m"
		"$PYTHON" "$EVAL/nab_score.py" $verbose "$out/twin-predict-$m" "$NAB" | tee "$out/nab-$m.txt"
	done
	nab_cad=$(awk '$1 == "standard" { print $3 }' "$out/nab-cad.txt")
fi

# --- the multivariate detector, forecasts aside, and remaining useful life --

SKAB=../shared/data/skab
TEP=../shared/data/tep
CMAPSS=../shared/data/cmapss
skab_line="" tep_table="" cmapss_line=""
if [ -d "$SKAB/valve1" ]; then
	echo
	echo "== SKAB valve1: twin-predict -m pca --train=400 --variance=0.95 --smooth=0.05 --statistics=t2"
	skab_line=$(TWIN_BIN=$TWIN_BIN "$PYTHON" "$EVAL/skab_eval.py" "$SKAB" --variance=0.95 --smooth=0.05 --statistics=t2)
	echo "$skab_line"
else
	echo "eval: $SKAB absent, SKAB evaluation skipped"
fi
if [ -f "$TEP/d00.dat" ]; then
	echo
	echo "== TEP: twin-predict -m pca --components=9, fitted on d00 (normal operation)"
	tep_table=$(TWIN_BIN=$TWIN_BIN "$PYTHON" "$EVAL/tep_eval.py" "$TEP" --components=9)
	echo "$tep_table"
else
	echo "eval: $TEP absent, TEP evaluation skipped"
fi
if [ -f "$CMAPSS/train_FD001.txt" ]; then
	echo
	echo "== C-MAPSS FD001: twin-predict --rul --rul-cap=125s, 5-fold cross-validation by engine"
	cmapss_line=$(TWIN_BIN=$TWIN_BIN "$PYTHON" "$EVAL/cmapss_eval.py" "$CMAPSS" --rul-cap=125s)
	echo "$cmapss_line"
else
	echo "eval: $CMAPSS absent, C-MAPSS evaluation skipped"
fi

# --- one table -------------------------------------------------------------

field() { printf '%s\n' "$1" | sed -n "s/.*$2 \([0-9.]*\).*/\1/p"; }
echo
echo "== Summary, beside the published figures"
printf '%-34s %-30s %s\n' "benchmark" "twin-predict" "published"
if [ -n "${nab_default:-}" ]; then
	printf '%-34s %-30s %s\n' "NAB std / low FP / low FN" "$nab_default" "std: HTM 70.1, ARTime 74.9, CAD OSE 69.9"
	printf '%-34s %-30s %s\n' "NAB standard, -m cad" "$nab_cad" "(published on the 58 files of the full corpus)"
fi
if [ -n "$skab_line" ]; then
	printf '%-34s %-30s %s\n' "SKAB valve1 F1 / FAR / MAR" \
		"$(field "$skab_line" F1) / $(field "$skab_line" FAR) / $(field "$skab_line" MAR)" \
		"F1: Conv-AE 0.78, MSET 0.78, PCA T2+Q 0.76"
fi
if [ -n "$cmapss_line" ]; then
	printf '%-34s %-30s %s\n' "C-MAPSS FD001 RMSE / score" \
		"$(field "$cmapss_line" RMSE) / $(field "$cmapss_line" score)" "RMSE: LSTM 16.1, deep CNN 12.6 (test set)"
fi
if [ -n "$tep_table" ]; then
	printf '%s\n' "$tep_table" | awk '/^normal/ { printf "%-34s %-30s %s\n", "TEP false alarms T2 / Q %", $2 " / " $3, "about 1-5 % at 99 % limits" }
		/^fault [1-7] / { printf "%-34s %-30s %s\n", "TEP " $1 " " $2 " detection T2 / Q %", $3 " / " $4, substr($0, index($0, $7)) }'
fi

echo
echo "eval: done in $(($(date +%s) - start)) s"
