#!/bin/sh
# NAB evaluation (issue 5, "Evaluation on real data"), run from anywhere.
#
#   1. nab_score.py --self-check: the evaluator gives the null detector 0
#      and a perfect detector 100 for every profile;
#   2. the baseline detector (baseline_zscore.py, a rolling z-score, the
#      bar the C detectors must beat) over every NAB file present, scored
#      with nab_score.py.
# Later: twin-predict over the same files, scored the same way.
#
# Data: ../shared/data/nab relative to the repository root (see its
# README); when it is absent the script says so and exits 0.
# Environment: PYTHON (default /usr/bin/python3), EVAL_VERBOSE=1 for the
# per-file detail.  Results go to a temporary folder, removed at exit.
set -eu
cd "$(dirname "$0")/../.."

NAB=../shared/data/nab
PYTHON=${PYTHON:-/usr/bin/python3}
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

echo
echo "eval: NAB done in $(($(date +%s) - start)) s"
