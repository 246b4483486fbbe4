#!/bin/sh
# The benchmarks (make bench).
#
#   A. Ingest throughput: a wide CSV (1,000,000 rows x 6 sensors) through
#      twin-ingest, through Miller's wide-to-long reshape, and through cat
#      (the floor); peak memory of twin-ingest and Miller on 100k and 1M
#      rows.
#   B. The record reader: the canonical readings of A (6,000,000 NDJSON
#      lines) through bench_record and through jq -c .
#   C. twin-sync vs pandas: a long NDJSON from gen_long (4 assets x 6
#      sensors, one reading a second each, 1% out of order by up to 3 s)
#      to 1 s aligned states, with twin-sync --lateness=5s --every=1s and
#      with the same steps in pandas (sync_pandas.py: pivot, groupby asset,
#      resample('1s').last().ffill()); time and peak memory of both on
#      600,000 and 6,000,000 readings, and a check that their states agree
#      (sync_compare.py).
#   D. twin-sim vs SciPy: the thermal model (models/thermal.json) over
#      10^6 fixed 1 s RK4 steps by twin-sim (a free run, --every=1000s,
#      1000 states out), and in the same run by scipy.integrate.solve_ivp
#      (sim_scipy.py: RK45 held to 1 s steps by first_step = max_step = 1 s
#      and loose tolerances, since solve_ivp has no fixed-step RK4), by a
#      hand-written Python RK4 loop over floats and by the same loop over a
#      one-element numpy array; steps per second, the ratios, peak memory,
#      and each one's error against the analytic solution.
#   E. twin-act: (a) rules over a state stream from gen_states (4 assets x
#      6 sensors, one state a second each, 1,000,000 states) with the 20
#      rules of act_rules.json (when/for/clear/cooldown, alerts, commands
#      inside an envelope of min/max, rate, interlocks, clamp and refuse,
#      and a PID): states/s and rule evaluations/s (a state of an asset
#      evaluates every rule whose asset pattern matches it), the same run
#      without rules (reading and passing the records through), and peak
#      memory on 100k and 1M states.  (b) The latency of a live pipe:
#      act_latency.py writes timestamped readings into a FIFO at a steady
#      rate (200 a second for 10 s), through twin-ingest -f ndjson |
#      twin-sync | twin-act with a PID rule (a command at every state, so
#      one per reading), and times each from just before its reading is
#      written to just after its command is read (monotonic clock); the
#      median, 99th percentile and maximum.
#   F. twin-predict vs pandas: the readings of C (gen_long, 4 assets x 6
#      sensors) scored by twin-predict's default detector, and by rolling
#      z-scores per series in pandas (predict_pandas.py: groupby, rolling
#      mean and sd over the same window, a score record per reading);
#      readings/s and peak memory of both on 600,000 and 6,000,000
#      readings.
#   G. Scale-out: the whole pipeline, twin-ingest | twin-sync --every=1m |
#      twin-sim --shadow (the thermal model) | twin-predict -m mad |
#      twin-act (testdata/examples/plant-rules.json), over a log of 32
#      motors, a row a minute each for a day (tests/plant.awk), as one
#      process per stage, and as 1, 2 and 4 shards by asset (--shard) under
#      GNU parallel; seconds, readings/s, the speed-up over one process, how
#      many assets each shard got, the peak memory of the largest process,
#      and a check that the shards' outputs, merged, equal one process's.
#      The speed-up is bounded by the machine's cores (nproc, printed) and
#      by the balance of Kafka's hash over the asset ids: both bounds are
#      printed, with the CPU seconds of each run (what sharding costs).
#
# At the end, one table sums up every section that ran: each tool's
# throughput and peak memory beside its peer's, and the ratios.
#
# Prints numbers and the project's goals next to them; never fails on
# speed, but exits non-zero when a command itself fails.
#
# Environment: TWIN_BIN (directory of twin-ingest, twin-sync, twin-sim and
# twin-act, default bin/), BENCH_DIR (directory of gen_wide, bench_record,
# gen_long and gen_states, default build/plain/bench), BENCH_ROWS (rows of
# the big file of A and B, default 1000000), BENCH_SYNC_READINGS (readings
# of the big file of C, default 6000000; the small one has 600000, or a
# tenth of the big one when that is smaller), BENCH_SYNC_SAMPLE (C compares
# every Nth state, default 1000), BENCH_SIM_STEPS (RK4 steps of D, a
# multiple of 1000, default 1000000), BENCH_SIM_BUDGET (seconds: a Python
# peer of D whose run a tenth as long predicts more than this is measured on
# that tenth and scaled, default 60), BENCH_ACT_STATES (states of E, default
# 1000000; the small run of its memory has 100000, or a tenth when that is
# smaller), BENCH_LAT_RATE and BENCH_LAT_SECONDS (readings a second and
# seconds of the latency run of E, default 200 and 10), BENCH_SECTIONS
# (which benchmarks to run, default ABCDEF; B needs A's output, so A or B
# runs both; default ABCDEFG), BENCH_RUNS (timed runs per command, default 3),
# BENCH_SCALE_MOTORS and BENCH_SCALE_MINUTES (the log of G, default 32
# motors and 1440 minutes, at most 44640), BENCH_NO_HYPERFINE=1 (time with /usr/bin/time even when hyperfine is
# installed), BENCH_PYTHON (the python with pandas and SciPy, default
# /usr/bin/python3, where Debian's python3-pandas and python3-scipy are; E
# needs only its standard library).
#
# Units: MB/s is 10^6 bytes of input per second; peak MB is the maximum
# resident set size reported by /usr/bin/time (KiB) divided by 1024.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
TWIN_BIN=${TWIN_BIN:-$root/bin}
BENCH_DIR=${BENCH_DIR:-$root/build/plain/bench}
big_rows=${BENCH_ROWS:-1000000}
runs=${BENCH_RUNS:-3}
sync_big=${BENCH_SYNC_READINGS:-6000000}
sync_sample=${BENCH_SYNC_SAMPLE:-1000}
sim_steps=${BENCH_SIM_STEPS:-1000000}
sim_budget=${BENCH_SIM_BUDGET:-60}
act_states=${BENCH_ACT_STATES:-1000000}
lat_rate=${BENCH_LAT_RATE:-200}
lat_secs=${BENCH_LAT_SECONDS:-10}
scale_motors=${BENCH_SCALE_MOTORS:-32}
scale_minutes=${BENCH_SCALE_MINUTES:-1440}
sections=${BENCH_SECTIONS:-ABCDEFG}
py=${BENCH_PYTHON:-/usr/bin/python3}
want() { case $sections in *["$1"]*) return 0 ;; esac; return 1; }

# Peers: Miller and jq are needed; /usr/bin/time (Debian package "time")
# measures memory; hyperfine is used when it can be had.
"$here/../deps.sh" miller jq time
if ! command -v hyperfine >/dev/null 2>&1; then
	"$here/../deps.sh" hyperfine 2>/dev/null ||
		echo "note: hyperfine not available; timing with date +%s%N (median of $runs)"
fi
have_hyperfine=0
if [ "${BENCH_NO_HYPERFINE:-0}" != 1 ] && command -v hyperfine >/dev/null 2>&1; then
	have_hyperfine=1
fi

ingest=$TWIN_BIN/twin-ingest
gen=$BENCH_DIR/gen_wide
recbench=$BENCH_DIR/bench_record
sync=$TWIN_BIN/twin-sync
genlong=$BENCH_DIR/gen_long
sim=$TWIN_BIN/twin-sim
act=$TWIN_BIN/twin-act
genstates=$BENCH_DIR/gen_states
need=""
want AB && need="$ingest $gen"
want C && need="$need $sync $genlong"
want D && need="$need $sim"
want E && need="$need $ingest $sync $act $genstates"
want F && need="$need $TWIN_BIN/twin-predict $genlong"
want G && need="$need $ingest $sync $sim $TWIN_BIN/twin-predict $act"
for f in $need; do
	[ -x "$f" ] || { echo "run.sh: $f not built (run make bench)" >&2; exit 2; }
done
for v in BENCH_ROWS="$big_rows" BENCH_SYNC_READINGS="$sync_big" BENCH_SYNC_SAMPLE="$sync_sample" \
	BENCH_SIM_STEPS="$sim_steps" BENCH_SIM_BUDGET="$sim_budget" BENCH_ACT_STATES="$act_states" \
	BENCH_LAT_RATE="$lat_rate" BENCH_LAT_SECONDS="$lat_secs" BENCH_SCALE_MOTORS="$scale_motors" \
	BENCH_SCALE_MINUTES="$scale_minutes"; do
	case ${v#*=} in
	'' | *[!0-9]* | 0) echo "run.sh: ${v%%=*} must be a positive number" >&2; exit 2 ;;
	esac
done
small_rows=100000
[ "$big_rows" -le "$small_rows" ] && small_rows=$((big_rows / 10 > 0 ? big_rows / 10 : 1))
sync_small=600000
[ "$sync_big" -le "$sync_small" ] && sync_small=$((sync_big / 10 > 0 ? sync_big / 10 : 1))
act_small=100000
[ "$act_states" -le "$act_small" ] && act_small=$((act_states / 10 > 0 ? act_states / 10 : 1))
[ $((sim_steps % 1000)) -eq 0 ] || { echo "run.sh: BENCH_SIM_STEPS must be a multiple of 1000" >&2; exit 2; }
[ "$scale_minutes" -le 44640 ] || { echo "run.sh: BENCH_SCALE_MINUTES must be at most 44640 (31 days)" >&2; exit 2; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/twin-bench.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

sensors=temp_c,pressure_bar,rpm,current_a,vib_mm_s,flow_m3_h
nsensors=6

# --- helpers ---------------------------------------------------------------

say() { printf '%s\n' "$*"; }
step() { printf '.. %s\n' "$*"; }
fail() { printf 'run.sh: %s\n' "$*" >&2; exit 1; }

# A word quoted for hyperfine's command-line splitting (and for sh).
q() { printf "'%s'" "$(printf '%s' "$1" | sed "s/'/'\\\\''/g")"; }

# calc EXPR: floating-point arithmetic through awk.
calc() { awk "BEGIN { printf \"%.9g\", ($1) }" </dev/null; }
fmt() { awk -v v="$2" "BEGIN { printf \"$1\", v }" </dev/null; }

# time_cmd WARMUP RUNS CMD...: wall seconds of CMD with its output to
# /dev/null (or to the file $time_out when set), in $secs: with hyperfine the
# mean of RUNS runs, else the median of RUNS runs timed with date +%s%N.  A
# failing command fails the benchmark.
time_cmd() {
	warm=$1 n=$2
	shift 2
	if [ "$have_hyperfine" = 1 ]; then
		cmdline=""
		for a in "$@"; do cmdline="$cmdline $(q "$a")"; done
		# Its warnings (outliers, very short runs) are noise here; its
		# messages are shown only when the command fails.
		hyperfine -N --style none --output "${time_out:-null}" --warmup "$warm" --runs "$n" \
			--export-json "$tmp/hf.json" "${cmdline# }" >"$tmp/hf.log" 2>&1 ||
			{ cat "$tmp/hf.log" >&2; fail "command failed: $*"; }
		secs=$(jq '.results[0].mean' "$tmp/hf.json")
	else
		i=0
		while [ "$i" -lt "$warm" ]; do
			"$@" >"${time_out:-/dev/null}" 2>"$tmp/err" || { cat "$tmp/err" >&2; fail "command failed: $*"; }
			i=$((i + 1))
		done
		: >"$tmp/times"
		i=0
		while [ "$i" -lt "$n" ]; do
			t0=$(date +%s%N)
			"$@" >"${time_out:-/dev/null}" 2>"$tmp/err" || { cat "$tmp/err" >&2; fail "command failed: $*"; }
			t1=$(date +%s%N)
			calc "$((t1 - t0)) / 1e9" >>"$tmp/times"
			echo >>"$tmp/times"
			i=$((i + 1))
		done
		secs=$(sort -g "$tmp/times" | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }')
	fi
	# Never zero: the tables divide by it.
	secs=$(calc "$secs > 1e-6 ? $secs : 1e-6")
}

# rss_kb OUT CMD...: runs CMD once with standard output to OUT; its peak
# resident set size in KiB in $rss.
rss_kb() {
	out=$1
	shift
	/usr/bin/time -f '%M' -o "$tmp/rss" "$@" >"$out" || fail "command failed: $*"
	rss=$(tail -n 1 "$tmp/rss")
}

mb_of_kb() { fmt '%.1f' "$(calc "$1 / 1024")"; }

# The summary at the end: each section adds its row with
#   summary SECTION TOOL UNIT RATE PEAK_KB PEER PEER_RATE PEER_PEAK_KB INPUT
# (RATE in UNIT per second; "-" for what was not measured; INPUT says
# what both ran on).
summary() {
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" "$5" "$6" "$7" "$8" >>"$tmp/summary"
	printf '%s: %s\n' "$1" "$9" >>"$tmp/summary.inputs"
}

if [ "$have_hyperfine" = 1 ]; then
	hf_note="hyperfine, mean of $runs runs after 1 warmup"
else
	hf_note="no hyperfine: median of $runs runs after 1 warmup"
fi

# --- A and B ---------------------------------------------------------------

if want AB; then

	# --- inputs --------------------------------------------------------

	small=$tmp/wide-small.csv
	large=$tmp/wide-big.csv
	step "generating wide CSVs: $small_rows and $big_rows rows x $nsensors sensors"
	"$gen" "$small_rows" >"$small"
	"$gen" "$big_rows" >"$large"
	large_bytes=$(wc -c <"$large")
	large_mb=$(fmt '%.1f' "$(calc "$large_bytes / 1e6")")

	# --- A: ingest throughput ------------------------------------------

	say ""
	say "Benchmark A: ingest throughput ($big_rows rows x $nsensors sensors, $large_mb MB wide CSV)"

	step "twin-ingest ($hf_note)"
	time_cmd 1 "$runs" "$ingest" "$large"
	t_ingest=$secs
	step "mlr reshape ($hf_note)"
	time_cmd 1 "$runs" mlr --icsv --ojsonl reshape -i "$sensors" -o sensor,value "$large"
	t_mlr=$secs
	step "cat ($hf_note)"
	time_cmd 1 "$runs" cat "$large"
	t_cat=$secs

	# Memory, and once the outputs themselves: the big file's readings are kept
	# for benchmark B, Miller's are only counted.
	readings=$tmp/readings.ndjson
	step "peak memory: twin-ingest and mlr on $small_rows and $big_rows rows; output counts"
	rss_kb /dev/null "$ingest" "$small"
	m_ingest_small=$rss
	rss_kb "$readings" "$ingest" "$large"
	m_ingest_big=$rss
	rss_kb /dev/null mlr --icsv --ojsonl reshape -i "$sensors" -o sensor,value "$small"
	m_mlr_small=$rss
	rss_kb "$tmp/mlr.out" mlr --icsv --ojsonl reshape -i "$sensors" -o sensor,value "$large"
	m_mlr_big=$rss
	rss_kb /dev/null cat "$large"
	m_cat=$rss

	n_readings=$(wc -l <"$readings")
	n_mlr=$(wc -l <"$tmp/mlr.out")
	rm -f "$tmp/mlr.out"
	n_expected=$((big_rows * nsensors))

	say ""
	printf '%-14s %9s %9s %9s %14s\n' tool seconds "MB/s" "peak MB" "time vs twin"
	row() {   # NAME SECONDS PEAK_KB
		printf '%-14s %9s %9s %9s %13sx\n' "$1" \
			"$(fmt '%.3f' "$2")" \
			"$(fmt '%.1f' "$(calc "$large_bytes / 1e6 / $2")")" \
			"$(mb_of_kb "$3")" \
			"$(fmt '%.2f' "$(calc "$2 / $t_ingest")")"
	}
	row twin-ingest "$t_ingest" "$m_ingest_big"
	row "mlr reshape" "$t_mlr" "$m_mlr_big"
	row cat "$t_cat" "$m_cat"
	say ""
	say "twin-ingest vs Miller: $(fmt '%.1f' "$(calc "$t_mlr / $t_ingest")")x throughput (goal >= 5x)"
	say "twin-ingest peak memory $small_rows rows: $(mb_of_kb "$m_ingest_small") MB, $big_rows rows: $(mb_of_kb "$m_ingest_big") MB (goal: does not grow with the input)"
	say "mlr reshape peak memory $small_rows rows: $(mb_of_kb "$m_mlr_small") MB, $big_rows rows: $(mb_of_kb "$m_mlr_big") MB"
	summary A twin-ingest "rows" "$(calc "$big_rows / $t_ingest")" "$m_ingest_big" \
		"mlr reshape" "$(calc "$big_rows / $t_mlr")" "$m_mlr_big" \
		"the wide CSV of $big_rows rows x $nsensors sensors (gen_wide)"
	if [ "$n_readings" -eq "$n_mlr" ] && [ "$n_readings" -eq "$n_expected" ]; then
		say "outputs agree: $n_readings readings"
	else
		say "outputs DISAGREE: twin-ingest $n_readings readings, Miller $n_mlr records, expected $n_expected"
	fi

	# --- B: the record reader ------------------------------------------

	say ""
	readings_mb=$(fmt '%.1f' "$(calc "$(wc -c <"$readings") / 1e6")")
	say "Benchmark B: record reader ($n_readings canonical readings, $readings_mb MB NDJSON)"
	if [ -x "$recbench" ]; then
		step "bench_record ($hf_note)"
		time_cmd 1 "$runs" "$recbench" "$readings"
		t_rec=$secs
		step "bench_record once more for its own report, and once for a pass-through check"
		"$recbench" "$readings" >/dev/null 2>"$tmp/rec.err" ||
			{ cat "$tmp/rec.err" >&2; fail "bench_record failed"; }
		rec_line=$(grep '^records: ' "$tmp/rec.err") || fail "bench_record printed no report"
		"$recbench" "$readings" 2>/dev/null | cmp -s - "$readings" && same=1 || same=0
		rec_rate=$(printf '%s\n' "$rec_line" | sed 's/.*records\/s: *//')
	else
		say "bench_record: skipped ($recbench not built)"
	fi
	step "jq -c . (one run, no warmup)"
	time_cmd 0 1 jq -c . "$readings"
	t_jq=$secs

	say ""
	printf '%-14s %9s %13s %14s\n' tool seconds "records/s" "time vs rec"
	if [ -x "$recbench" ]; then
		printf '%-14s %9s %13s %13sx\n' bench_record "$(fmt '%.3f' "$t_rec")" \
			"$(fmt '%.0f' "$(calc "$n_readings / $t_rec")")" "1.00"
	fi
	printf '%-14s %9s %13s %14s\n' "jq -c ." "$(fmt '%.3f' "$t_jq")" \
		"$(fmt '%.0f' "$(calc "$n_readings / $t_jq")")" \
		"$([ -x "$recbench" ] && printf '%sx' "$(fmt '%.2f' "$(calc "$t_jq / $t_rec")")" || echo -)"
	say ""
	if [ -x "$recbench" ]; then
		say "bench_record says: $rec_line"
		if [ "$same" = 1 ]; then
			say "bench_record pass-through: output identical to input"
		else
			say "bench_record pass-through: output DIFFERS from input"
		fi
		say "record reader vs jq: $(fmt '%.1f' "$(calc "$t_jq / $t_rec")")x throughput"
		say "record reader: $(fmt '%.0f' "$rec_rate") records/s (goal >= 4M/s)"
		summary B "record reader" records "$(calc "$n_readings / $t_rec")" - \
			"jq -c ." "$(calc "$n_readings / $t_jq")" - \
			"A's $n_readings canonical readings"
	else
		say "record reader: skipped (bench_record not built)"
	fi

fi
# --- C: twin-sync vs pandas ------------------------------------------------

# 600000 -> 600k, 6000000 -> 6M: for the summary lines.
human() {
	awk -v n="$1" 'BEGIN {
		if (n >= 1e6 && n % 1e6 == 0) printf "%dM", n / 1e6
		else if (n >= 1e3 && n % 1e3 == 0) printf "%dk", n / 1e3
		else printf "%d", n
	}' </dev/null
}

if want C; then
	say ""
	say "Benchmark C: 1 s aligned states, twin-sync vs pandas ($sync_small and $sync_big readings)"
	# Debian's python3-pandas, for Debian's python3: a python3 earlier on
	# PATH (a virtualenv, pyenv) may not see it.
	"$here/../deps.sh" python3-pandas
	[ -x "$py" ] || fail "$py not found (set BENCH_PYTHON to a python3 with pandas)"
	pd_version=$("$py" -c 'import pandas; print(pandas.__version__)') ||
		fail "$py cannot import pandas (set BENCH_PYTHON to a python3 with pandas)"

	# Both inputs first, so neither tool's run waits on the generator.
	long_small=$tmp/long-small.ndjson
	long_big=$tmp/long-big.ndjson
	step "generating $sync_small and $sync_big readings: 4 assets x 6 sensors, 1 s period, 1% out of order"
	"$genlong" -s "$sync_small" >"$long_small" 2>"$tmp/gen-small.err" ||
		{ cat "$tmp/gen-small.err" >&2; fail "gen_long failed"; }
	"$genlong" -s "$sync_big" >"$long_big" 2>"$tmp/gen-big.err" ||
		{ cat "$tmp/gen-big.err" >&2; fail "gen_long failed"; }
	# "gen_long: N readings, S s of event time, D delayed"
	d_s=$(sed -n 's/.*, \([0-9]*\) delayed$/\1/p' "$tmp/gen-small.err")
	d_b=$(sed -n 's/.*, \([0-9]*\) delayed$/\1/p' "$tmp/gen-big.err")

	# run_sync FILE N: twin-sync and pandas on FILE (N readings); sets
	# r_secs and r_kb (twin-sync), p_secs and p_kb (pandas), and r_cmp
	# (what sync_compare.py says, each line prefixed with N in short).
	run_sync() {
		in=$1
		out_sync=$tmp/sync.ndjson
		out_pd=$tmp/pandas.ndjson
		step "twin-sync on $2 readings ($hf_note; output to a file)"
		time_out=$out_sync
		time_cmd 1 "$runs" "$sync" --lateness=5s --every=1s "$in"
		time_out=
		r_secs=$secs
		step "twin-sync on $2 readings: peak memory"
		# A rejected line (late or malformed) makes twin-sync exit 1:
		# that fails the benchmark here.
		rss_kb "$out_sync" "$sync" --lateness=5s --every=1s "$in"
		r_kb=$rss
		step "pandas on $2 readings (one run, timed by /usr/bin/time with its peak memory)"
		/usr/bin/time -f '%e %M' -o "$tmp/pd.time" \
			"$py" "$here/sync_pandas.py" "$in" "$out_pd" || fail "sync_pandas.py failed"
		p_secs=$(tail -n 1 "$tmp/pd.time" | cut -d ' ' -f 1)
		p_secs=$(calc "$p_secs > 1e-6 ? $p_secs : 1e-6")
		p_kb=$(tail -n 1 "$tmp/pd.time" | cut -d ' ' -f 2)
		step "comparing states (every ${sync_sample}th of twin-sync's, and each asset's first and last)"
		# A disagreement is reported, as in A, not a failure of the run.
		"$py" "$here/sync_compare.py" --every "$sync_sample" "$out_sync" "$out_pd" \
			>"$tmp/cmp.out" || true
		r_cmp=$(sed "s/^/$(human "$2"): /" "$tmp/cmp.out")
		rm -f "$out_sync" "$out_pd"
	}
	run_sync "$long_small" "$sync_small"
	t_ss=$r_secs m_ss=$r_kb t_ps=$p_secs m_ps=$p_kb c_s=$r_cmp
	run_sync "$long_big" "$sync_big"
	t_sb=$r_secs m_sb=$r_kb t_pb=$p_secs m_pb=$p_kb c_b=$r_cmp

	say ""
	printf '%-14s %9s %9s %12s %9s\n' tool readings seconds "readings/s" "peak MB"
	crow() {   # NAME READINGS SECONDS PEAK_KB
		printf '%-14s %9s %9s %12s %9s\n' "$1" "$2" "$(fmt '%.3f' "$3")" \
			"$(fmt '%.0f' "$(calc "$2 / $3")")" "$(mb_of_kb "$4")"
	}
	crow twin-sync "$sync_small" "$t_ss" "$m_ss"
	crow twin-sync "$sync_big" "$t_sb" "$m_sb"
	crow "pandas $pd_version" "$sync_small" "$t_ps" "$m_ps"
	crow "pandas $pd_version" "$sync_big" "$t_pb" "$m_pb"
	say ""
	say "out of order: $d_s of $sync_small and $d_b of $sync_big readings delayed by up to 3 s (--lateness=5s)"
	say "twin-sync: $hf_note; pandas: one run of the whole script (python start, load, pivot, resample, write)"
	say "$c_s"
	say "$c_b"
	say ""
	say "twin-sync vs pandas: $(fmt '%.1f' "$(calc "$t_pb / $t_sb")")x faster on $(human "$sync_big") readings, $(fmt '%.1f' "$(calc "$t_ps / $t_ss")")x on $(human "$sync_small") (goal >= 10x)"
	say "twin-sync peak memory $(human "$sync_small"): $(mb_of_kb "$m_ss") MB, $(human "$sync_big"): $(mb_of_kb "$m_sb") MB (goal: independent of input length)"
	say "pandas peak memory $(human "$sync_small"): $(mb_of_kb "$m_ps") MB, $(human "$sync_big"): $(mb_of_kb "$m_pb") MB"
	summary C twin-sync readings "$(calc "$sync_big / $t_sb")" "$m_sb" \
		"pandas $pd_version" "$(calc "$sync_big / $t_pb")" "$m_pb" \
		"$sync_big readings of gen_long (4 assets x 6 sensors, 1% out of order), to 1 s states"
fi

# --- D: twin-sim vs SciPy --------------------------------------------------

if want D; then
	model=$root/models/thermal.json
	every=$((sim_steps / 1000))
	say ""
	say "Benchmark D: the thermal model over $sim_steps fixed 1 s RK4 steps, twin-sim vs SciPy"
	"$here/../deps.sh" python3-scipy
	[ -x "$py" ] || fail "$py not found (set BENCH_PYTHON to a python3 with SciPy)"
	sp_version=$("$py" -c 'import scipy; print(scipy.__version__)') ||
		fail "$py cannot import scipy (set BENCH_PYTHON to a python3 with SciPy)"
	[ -r "$model" ] || fail "$model not found"

	set -- "$sim" --twin="$model" --solver=rk4 --step=1s --duration="${sim_steps}s" \
		--every="${every}s" --no-noise --states
	step "twin-sim ($hf_note; the whole process: start, model, $sim_steps steps, 1000 states out)"
	time_cmd 1 "$runs" "$@"
	t_sim=$secs
	step "twin-sim: peak memory, and its states against the analytic solution"
	rss_kb "$tmp/sim.ndjson" "$@"
	m_sim=$rss
	# T(t) = T_amb + P R + (T0 - T_amb - P R) exp(-t / (R C)), with the
	# model's numbers; the i-th state (from 0) is at t = i * every.
	a_vals=$(jq -r '.model | [.parameters.C.value, .parameters.R.value, .inputs.P.default,
		.inputs.T_amb.default, .states.T.initial] | @tsv' "$model") ||
		fail "cannot read the parameters of $model"
	read -r a_c a_r a_p a_amb a_t0 <<EOF
$a_vals
EOF
	sim_err=$(jq -r '.values.temp_c' "$tmp/sim.ndjson" | awk -v every="$every" \
		-v C="$a_c" -v R="$a_r" -v P="$a_p" -v Ta="$a_amb" -v T0="$a_t0" '
		{
			t = (NR - 1) * every
			a = Ta + P * R + (T0 - Ta - P * R) * exp(-t / (R * C))
			e = $1 - a; if (e < 0) e = -e
			if (e > max) max = e
			last = e; lt = t; n = NR
		}
		END { printf "%d %.9g %.3g %.3g\n", n, lt, last, max }')
	read -r sim_n sim_tend sim_efin sim_emax <<EOF
$sim_err
EOF
	if [ "$sim_n" != 1001 ] || [ "$(calc "$sim_tend == $sim_steps")" != 1 ]; then
		fail "twin-sim wrote $sim_n states up to t=$sim_tend s (expected 1001 up to $sim_steps s)"
	fi
	rm -f "$tmp/sim.ndjson"

	# run_py METHOD: sim_scipy.py METHOD over sim_steps steps, or, when a
	# run a tenth as long predicts more than sim_budget seconds, that run
	# scaled.  Sets py_secs (integration time for sim_steps steps), py_kb,
	# py_steps and py_nfev (of the run measured), py_efin, py_emax and
	# py_scaled (empty, or a note).
	pyfield() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" "$tmp/py.out"; }
	run_py() {
		probe=$((sim_steps / 10))
		step "$1: $probe steps first (one run; the integration timed inside Python)"
		/usr/bin/time -f '%M' -o "$tmp/py.rss" "$py" "$here/sim_scipy.py" "$1" "$probe" "$model" \
			>"$tmp/py.out" || fail "sim_scipy.py $1 failed"
		predict=$(calc "$(pyfield seconds) * 10")
		py_scaled=""
		if [ "$(calc "$predict > $sim_budget")" = 1 ]; then
			py_scaled="$1: measured on $probe steps (t_end $probe s) and scaled x10 (its errors are at t <= $probe s): $sim_steps steps would take ~$(fmt '%.0f' "$predict") s > BENCH_SIM_BUDGET=$sim_budget s"
			say "   $py_scaled"
		else
			step "$1: $sim_steps steps (one run; predicted $(fmt '%.2f' "$predict") s)"
			/usr/bin/time -f '%M' -o "$tmp/py.rss" "$py" "$here/sim_scipy.py" "$1" "$sim_steps" "$model" \
				>"$tmp/py.out" || fail "sim_scipy.py $1 failed"
		fi
		py_steps=$(pyfield steps)
		py_nfev=$(pyfield nfev)
		py_secs=$(calc "$(pyfield seconds) * $sim_steps / $py_steps")
		py_secs=$(calc "$py_secs > 1e-6 ? $py_secs : 1e-6")
		py_efin=$(pyfield err_final)
		py_emax=$(pyfield err_max)
		py_kb=$(tail -n 1 "$tmp/py.rss")
	}
	run_py solve_ivp
	t_ivp=$py_secs m_ivp=$py_kb s_ivp=$py_steps n_ivp=$py_nfev ef_ivp=$py_efin em_ivp=$py_emax sc_ivp=$py_scaled
	run_py rk4
	t_rk=$py_secs m_rk=$py_kb ef_rk=$py_efin em_rk=$py_emax sc_rk=$py_scaled
	run_py rk4-numpy
	t_np=$py_secs m_np=$py_kb ef_np=$py_efin em_np=$py_emax sc_np=$py_scaled

	say ""
	printf '%-22s %9s %9s %12s %12s %9s %10s %10s\n' tool steps seconds "steps/s" "time vs twin" \
		"peak MB" "err end" "err max"
	drow() {   # NAME SECONDS PEAK_KB ERR_END ERR_MAX [~]
		printf '%-22s %9s %9s %12s %11sx %9s %10s %10s\n' "$1" "$sim_steps" \
			"${6:-}$(fmt '%.3f' "$2")" "$(fmt '%.0f' "$(calc "$sim_steps / $2")")" \
			"$(fmt '%.2f' "$(calc "$2 / $t_sim")")" "$(mb_of_kb "$3")" "$4" "$5"
	}
	drow twin-sim "$t_sim" "$m_sim" "$sim_efin" "$sim_emax"
	drow "solve_ivp RK45 $sp_version" "$t_ivp" "$m_ivp" "$ef_ivp" "$em_ivp" "${sc_ivp:+~}"
	drow "python RK4 (floats)" "$t_rk" "$m_rk" "$ef_rk" "$em_rk" "${sc_rk:+~}"
	drow "python RK4 (numpy)" "$t_np" "$m_np" "$ef_np" "$em_np" "${sc_np:+~}"
	say ""
	say "twin-sim: $hf_note, the whole process; Python: the integration alone (perf_counter, one run, without interpreter start and imports)"
	say "solve_ivp: RK45, first_step = max_step = 1 s, rtol = atol = 1e-2: $s_ivp steps, $n_ivp evaluations of f ($(fmt '%.2f' "$(calc "$n_ivp / $s_ivp")") a step; RK4 takes 4)"
	for n in "$sc_ivp" "$sc_rk" "$sc_np"; do [ -n "$n" ] && say "~ $n"; done
	say "errors: |T - analytic| at t = $sim_steps s (err end) and the largest over twin-sim's 1000 states, solve_ivp's steps, or the loops' steps at the times of those states (err max)"
	say ""
	say "twin-sim vs python RK4 loop: $(fmt '%.1f' "$(calc "$t_rk / $t_sim")")x over floats, $(fmt '%.1f' "$(calc "$t_np / $t_sim")")x over numpy"
	say "twin-sim vs scipy solve_ivp: $(fmt '%.1f' "$(calc "$t_ivp / $t_sim")")x (goal >= 50x)"
	say "twin-sim: $(fmt '%.0f' "$(calc "$sim_steps / $t_sim")") steps/s, peak memory $(mb_of_kb "$m_sim") MB"
	summary D twin-sim "RK4 steps" "$(calc "$sim_steps / $t_sim")" "$m_sim" \
		"solve_ivp${sc_ivp:+ ~}" "$(calc "$sim_steps / $t_ivp")" "$m_ivp" \
		"the thermal model, $sim_steps steps of 1 s${sc_ivp:+ (~: solve_ivp measured on a tenth and scaled)}"
fi

# --- E: twin-act -----------------------------------------------------------

if want E; then
	rules=$here/act_rules.json
	say ""
	say "Benchmark E: twin-act, rules over $act_states states (4 assets), and the latency of a live pipe"
	[ -r "$rules" ] || fail "$rules not found"
	[ -x "$py" ] || fail "$py not found (set BENCH_PYTHON to a python3)"

	# --- (a) rules evaluated per second --------------------------------

	states_big=$tmp/states-big.ndjson
	states_small=$tmp/states-small.ndjson
	step "generating $act_states states: 4 assets x 6 sensors, one state a second each"
	"$genstates" "$act_states" >"$states_big" || fail "gen_states failed"
	head -n "$act_small" "$states_big" >"$states_small"
	states_mb=$(fmt '%.1f' "$(calc "$(wc -c <"$states_big") / 1e6")")
	printf '{"rules": []}\n' >"$tmp/norules.json"

	# Rule evaluations: every state of asset pump-K evaluates the rules
	# whose asset pattern (a glob, "*" when absent) matches pump-K; gen_states
	# writes the assets in turn, pump-1 first.
	n_rules=$(jq '.rules | length' "$rules")
	jq -r '.rules[] | .asset // "*"' "$rules" >"$tmp/patterns"
	evals=0 pairs=0 k=0
	for a in pump-1 pump-2 pump-3 pump-4; do
		m=0
		while IFS= read -r pat; do
			# shellcheck disable=SC2254
			case $a in $pat) m=$((m + 1)) ;; esac
		done <"$tmp/patterns"
		evals=$((evals + m * ((act_states + 3 - k) / 4)))
		pairs=$((pairs + m))
		k=$((k + 1))
	done

	step "twin-act with the $n_rules rules of act_rules.json on $act_states states ($hf_note)"
	time_cmd 1 "$runs" "$act" --twin="$rules" "$states_big"
	t_act=$secs
	step "twin-act without rules on $act_states states ($hf_note)"
	time_cmd 1 "$runs" "$act" --twin="$tmp/norules.json" "$states_big"
	t_act0=$secs
	step "twin-act: peak memory on $act_small and $act_states states, with its counts"
	/usr/bin/time -f '%M' -o "$tmp/rss" "$act" --twin="$rules" --stats "$states_small" \
		>/dev/null 2>"$tmp/act-small.err" || { cat "$tmp/act-small.err" >&2; fail "twin-act failed"; }
	m_act_small=$(tail -n 1 "$tmp/rss")
	/usr/bin/time -f '%M' -o "$tmp/rss" "$act" --twin="$rules" --stats "$states_big" \
		>/dev/null 2>"$tmp/act-big.err" || { cat "$tmp/act-big.err" >&2; fail "twin-act failed"; }
	m_act=$(tail -n 1 "$tmp/rss")
	rss_kb /dev/null "$act" --twin="$tmp/norules.json" "$states_small"
	m_act0_small=$rss
	rss_kb /dev/null "$act" --twin="$tmp/norules.json" "$states_big"
	m_act0=$rss
	# "twin-act: 1000000 lines: 17488 fired, ... 0 timeouts"
	act_counts=$(sed -n 's/^twin-act: [0-9]* lines: //p' "$tmp/act-big.err")
	[ -n "$act_counts" ] || fail "twin-act --stats printed no counts"
	rm -f "$states_big" "$states_small"

	say ""
	printf '%-22s %9s %9s %12s %14s %9s\n' tool states seconds "states/s" "rule evals/s" "peak MB"
	printf '%-22s %9s %9s %12s %14s %9s\n' "twin-act, $n_rules rules" "$act_states" "$(fmt '%.3f' "$t_act")" \
		"$(fmt '%.0f' "$(calc "$act_states / $t_act")")" "$(fmt '%.0f' "$(calc "$evals / $t_act")")" \
		"$(mb_of_kb "$m_act")"
	printf '%-22s %9s %9s %12s %14s %9s\n' "twin-act, no rules" "$act_states" "$(fmt '%.3f' "$t_act0")" \
		"$(fmt '%.0f' "$(calc "$act_states / $t_act0")")" - "$(mb_of_kb "$m_act0")"
	say ""
	say "input: $states_mb MB of NDJSON states; $n_rules rules, $pairs rule-asset pairs over the 4 assets: $evals rule evaluations"
	say "decisions on $act_states states: $act_counts"
	if [ "$(calc "$t_act > $t_act0")" = 1 ]; then
		say "rule evaluations net of reading and passing the records (time with rules - time without): $(fmt '%.0f' "$(calc "$evals / ($t_act - $t_act0)")")/s"
	fi
	say "twin-act: $(fmt '%.0f' "$(calc "$act_states / $t_act")") states/s, $(fmt '%.0f' "$(calc "$evals / $t_act")") rule evaluations/s"
	say "twin-act peak memory $(human "$act_small"): $(mb_of_kb "$m_act_small") MB, $(human "$act_states"): $(mb_of_kb "$m_act") MB (goal: independent of input length)"
	say "twin-act without rules peak memory $(human "$act_small"): $(mb_of_kb "$m_act0_small") MB, $(human "$act_states"): $(mb_of_kb "$m_act0") MB"
	# No peer does rules with an envelope; the reference is twin-act
	# reading and passing the same states through without rules.
	summary E "twin-act, $n_rules rules" states "$(calc "$act_states / $t_act")" "$m_act" \
		"twin-act, no rules" "$(calc "$act_states / $t_act0")" "$m_act0" \
		"$act_states states of gen_states; no peer applies rules in an envelope: the reference is twin-act without rules"

	# --- (b) latency of a live pipe ------------------------------------

	# A PID from level_m to 2 m: a command at every state, and twin-sync
	# (no --every, --lateness=0) writes a state for every reading.
	cat >"$tmp/pid.json" <<'JSON'
{"rules": [{"name": "level", "asset": "tank-*",
  "pid": {"measured": "level_m", "setpoint": "2", "kp": 0.8, "ki": 0.05, "kd": 0,
          "min": 0, "max": 1, "target": "pump", "field": "speed"}}],
 "targets": {"pump": {"fields": {"speed": {"min": 0, "max": 1, "rate": 10}}, "violation": "clamp"}}}
JSON
	pipe="$(q "$ingest") -f ndjson | $(q "$sync") | $(q "$act") --twin=$(q "$tmp/pid.json")"
	say ""
	step "latency: $lat_rate readings/s for $lat_secs s into a FIFO, through twin-ingest -f ndjson | twin-sync | twin-act (a PID: a command per reading)"
	"$py" "$here/act_latency.py" "$lat_rate" "$lat_secs" "$pipe" >"$tmp/lat.out" ||
		{ cat "$tmp/lat.out" >&2; fail "act_latency.py failed"; }
	latf() { sed -n "s/.*$1=\([^ ]*\).*/\1/p" "$tmp/lat.out"; }
	say ""
	say "latency, reading written -> its command read, $(latf commands) of $(latf readings) readings at $lat_rate/s: median $(latf median_ms) ms, p99 $(latf p99_ms) ms, max $(latf max_ms) ms (writer at most $(latf lag_ms) ms behind its schedule)"
fi

# --- F: twin-predict vs pandas ---------------------------------------------

if want F; then
	predict=$TWIN_BIN/twin-predict
	say ""
	say "Benchmark F: anomaly scores per series, twin-predict vs pandas rolling z-scores ($sync_small and $sync_big readings)"
	"$here/../deps.sh" python3-pandas
	[ -x "$py" ] || fail "$py not found (set BENCH_PYTHON to a python3 with pandas)"
	pd_version=$("$py" -c 'import pandas; print(pandas.__version__)') ||
		fail "$py cannot import pandas (set BENCH_PYTHON to a python3 with pandas)"
	long_small=$tmp/long-small.ndjson
	long_big=$tmp/long-big.ndjson
	if [ ! -s "$long_big" ]; then
		step "generating $sync_small and $sync_big readings: 4 assets x 6 sensors, 1 s period"
		"$genlong" -s "$sync_small" >"$long_small" 2>/dev/null || fail "gen_long failed"
		"$genlong" -s "$sync_big" >"$long_big" 2>/dev/null || fail "gen_long failed"
	fi
	method=$("$predict" --stats "$long_small" 2>&1 >/dev/null | sed -n 's/.*method \([^,;]*\).*/\1/p')

	# run_predict FILE N: sets f_secs, f_kb (twin-predict), g_secs, g_kb (pandas), f_scores.
	run_predict() {
		step "twin-predict on $2 readings ($hf_note)"
		time_cmd 1 "$runs" "$predict" "$1"
		f_secs=$secs
		step "twin-predict on $2 readings: peak memory and counts"
		/usr/bin/time -f '%M' -o "$tmp/rss" "$predict" --stats "$1" >/dev/null 2>"$tmp/pr.err" ||
			{ cat "$tmp/pr.err" >&2; fail "twin-predict failed"; }
		f_kb=$(tail -n 1 "$tmp/rss")
		f_scores=$(sed -n 's/.* \([0-9]*\) scores.*/\1/p' "$tmp/pr.err")
		step "pandas on $2 readings (one run, timed by /usr/bin/time with its peak memory)"
		/usr/bin/time -f '%e %M' -o "$tmp/pd.time" \
			"$py" "$here/predict_pandas.py" "$1" /dev/null || fail "predict_pandas.py failed"
		g_secs=$(tail -n 1 "$tmp/pd.time" | cut -d ' ' -f 1)
		g_secs=$(calc "$g_secs > 1e-6 ? $g_secs : 1e-6")
		g_kb=$(tail -n 1 "$tmp/pd.time" | cut -d ' ' -f 2)
	}
	run_predict "$long_small" "$sync_small"
	t_fs=$f_secs m_fs=$f_kb t_gs=$g_secs m_gs=$g_kb n_fs=$f_scores
	run_predict "$long_big" "$sync_big"
	t_fb=$f_secs m_fb=$f_kb t_gb=$g_secs m_gb=$g_kb n_fb=$f_scores

	say ""
	printf '%-16s %9s %9s %12s %9s\n' tool readings seconds "readings/s" "peak MB"
	frow() {   # NAME READINGS SECONDS PEAK_KB
		printf '%-16s %9s %9s %12s %9s\n' "$1" "$2" "$(fmt '%.3f' "$3")" \
			"$(fmt '%.0f' "$(calc "$2 / $3")")" "$(mb_of_kb "$4")"
	}
	frow twin-predict "$sync_small" "$t_fs" "$m_fs"
	frow twin-predict "$sync_big" "$t_fb" "$m_fb"
	frow "pandas $pd_version" "$sync_small" "$t_gs" "$m_gs"
	frow "pandas $pd_version" "$sync_big" "$t_gb" "$m_gb"
	say ""
	say "twin-predict: method ${method:-auto}, $hf_note; every reading passed through and scored ($n_fs and $n_fb score records); pandas: one run of the whole script (load, groupby, rolling mean and sd, write)"
	say "twin-predict vs pandas: $(fmt '%.1f' "$(calc "$t_gb / $t_fb")")x faster on $(human "$sync_big") readings, $(fmt '%.1f' "$(calc "$t_gs / $t_fs")")x on $(human "$sync_small") (goal >= 10x)"
	say "twin-predict peak memory $(human "$sync_small"): $(mb_of_kb "$m_fs") MB, $(human "$sync_big"): $(mb_of_kb "$m_fb") MB (goal: independent of input length)"
	say "pandas peak memory $(human "$sync_small"): $(mb_of_kb "$m_gs") MB, $(human "$sync_big"): $(mb_of_kb "$m_gb") MB"
	summary F twin-predict readings "$(calc "$sync_big / $t_fb")" "$m_fb" \
		"pandas $pd_version" "$(calc "$sync_big / $t_gb")" "$m_gb" \
		"the same $sync_big readings as C, scored per series"
fi

# --- G: the whole pipeline as shards ---------------------------------------

if want G; then
	predict=$TWIN_BIN/twin-predict
	cores=$(nproc 2>/dev/null || getconf _NPROCESSORS_ONLN)
	n_read=$((scale_motors * scale_minutes * 3))
	say ""
	say "Benchmark G: the whole pipeline as 1, 2 and 4 shards under GNU parallel ($scale_motors motors, $n_read readings; $cores cores)"
	"$here/../deps.sh" parallel
	plant=$tmp/plant.csv
	step "generating the log: $scale_motors motors x $scale_minutes minutes, a row a minute each (tests/plant.awk)"
	awk -v minutes="$scale_minutes" -v motors="$scale_motors" -f "$here/../plant.awk" >"$plant" ||
		fail "plant.awk failed"
	cp "$root/models/thermal.json" "$tmp/thermal.json"
	plant_rules=$root/testdata/examples/plant-rules.json
	[ -r "$plant_rules" ] || fail "$plant_rules not found"
	# The pipeline, with the shard option $1 (or none).
	pipeline() {
		printf '%s' "$(q "$ingest") --asset-field=asset $(q "$plant") | $(q "$sync") --every=1m $1" \
			" | $(q "$sim") --twin=$(q "$tmp/thermal.json") --shadow" \
			" | $(q "$predict") -m mad --window=60 --train=60 $1 | $(q "$act") --rules=$(q "$plant_rules") $1"
	}
	# The command for N shards under parallel (N 0: one process, no parallel).
	scale_cmd() {
		if [ "$1" = 0 ]; then
			pipeline ""
		else
			printf 'parallel -j %s --halt now,fail=1 %s ::: %s' "$1" \
				"$(q "bash -o pipefail -c $(q "$(pipeline "--shard={}/$1")")")" "$(seq 0 $(($1 - 1)) | tr '\n' ' ')"
		fi
	}
	# The same shards started by the shell instead of parallel: for the
	# peak memory of the largest process of the pipelines (parallel, a
	# perl program, would be that process).
	shards_cmd() {
		bk=0 cmd=""
		while [ "$bk" -lt "$1" ]; do
			cmd="$cmd bash -o pipefail -c $(q "$(pipeline "--shard=$bk/$1")") & p$bk=\$!;"
			bk=$((bk + 1))
		done
		bk=0
		while [ "$bk" -lt "$1" ]; do
			cmd="$cmd wait \$p$bk || exit 1;"
			bk=$((bk + 1))
		done
		printf '%s' "$cmd"
	}
	# Assets per shard: one reading of each motor through twin-sync --shard.
	balance() {
		bk=0 bb=""
		while [ "$bk" -lt "$1" ]; do
			c=$(awk -v m="$scale_motors" 'BEGIN { for (a = 1; a <= m; a++)
				printf "{\"ts\":0,\"asset\":\"motor-%d\",\"sensor\":\"x\",\"value\":1}\n", a }' |
				"$sync" --shard="$bk/$1" | wc -l)
			bb="$bb${bb:+ }$c"
			bk=$((bk + 1))
		done
		printf '%s' "$bb"
	}
	step "one process per stage: output once for the check"
	bash -o pipefail -c "$(scale_cmd 0)" >"$tmp/scale-one.ndjson" || fail "the pipeline failed"
	one_sum=$(sort "$tmp/scale-one.ndjson" | cksum)
	one_lines=$(wc -l <"$tmp/scale-one.ndjson")
	rm -f "$tmp/scale-one.ndjson"
	: >"$tmp/scale.rows"
	for shards in 0 1 2 4; do
		label=$([ "$shards" = 0 ] && echo "1 process" || echo "$shards shard$([ "$shards" = 1 ] || echo s)")
		step "$label ($hf_note)"
		time_cmd 1 "$runs" bash -o pipefail -c "$(scale_cmd "$shards")"
		t_n=$secs
		step "$label: peak memory of the largest process (the shards started by the shell), and the merged output checked"
		if [ "$shards" = 0 ]; then mem_cmd=$(scale_cmd 0); else mem_cmd=$(shards_cmd "$shards"); fi
		/usr/bin/time -f '%M %U %S' -o "$tmp/rss" bash -o pipefail -c "$mem_cmd" >"$tmp/scale.ndjson" ||
			fail "$label: the pipeline failed"
		m_n=$(tail -n 1 "$tmp/rss" | cut -d ' ' -f 1)
		cpu_n=$(tail -n 1 "$tmp/rss" | awk '{ print $2 + $3 }')
		same=$([ "$(sort "$tmp/scale.ndjson" | cksum)" = "$one_sum" ] && echo yes || echo NO)
		rm -f "$tmp/scale.ndjson"
		[ "$shards" = 0 ] && t_one=$t_n m_one=$m_n
		printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$label" "$t_n" "$cpu_n" "$m_n" "$same" \
			"$([ "$shards" -le 1 ] && echo "$scale_motors" || balance "$shards")" >>"$tmp/scale.rows"
		[ "$shards" = 4 ] && t_four=$t_n m_four=$m_n
		[ "$shards" = 2 ] && t_two=$t_n
	done
	say ""
	printf '%-12s %9s %9s %12s %9s %11s %7s  %s\n' run seconds "CPU s" "readings/s" speed-up "largest MB" "= one" \
		"assets per shard"
	bounds=""
	while IFS='	' read -r label t_n cpu_n m_n same bal; do
		# The best a run can do: the cores, and the share of the busiest shard.
		busiest=$(printf '%s\n' $bal | sort -n | tail -n 1)
		case $label in *shards)
			bounds="$bounds${bounds:+, }$(fmt '%.2f' "$(calc "$scale_motors / $busiest < $cores ? $scale_motors / $busiest : $cores")")x with ${label% shards} ($busiest of $scale_motors motors in the busiest shard)" ;;
		esac
		printf '%-12s %9s %9s %12s %8sx %11s %7s  %s\n' "$label" "$(fmt '%.3f' "$t_n")" "$(fmt '%.2f' "$cpu_n")" \
			"$(fmt '%.0f' "$(calc "$n_read / $t_n")")" "$(fmt '%.2f' "$(calc "$t_one / $t_n")")" \
			"$(mb_of_kb "$m_n")" "$same" "$bal"
	done <"$tmp/scale.rows"
	say ""
	say "output: $one_lines records; \"= one\": the shards' outputs, merged and sorted, equal one process's"
	say "each shard reads and parses the whole log and keeps its own assets; $cores cores for 5 processes a shard"
	say "CPU s: user + system seconds of all the processes of one run (the memory run): what sharding costs in work, whatever the cores free"
	say "speed-up over one process: $(fmt '%.2f' "$(calc "$t_one / $t_two")")x with 2 shards, $(fmt '%.2f' "$(calc "$t_one / $t_four")")x with 4; at best, for the cores ($cores) and the busiest shard: $bounds"
	summary G "pipeline, 4 shards" readings "$(calc "$n_read / $t_four")" "$m_four" \
		"pipeline, 1 process" "$(calc "$n_read / $t_one")" "$m_one" \
		"$n_read readings of tests/plant.awk ($scale_motors motors), through all five tools; memory: the largest process; $cores cores"
fi

# --- the summary -----------------------------------------------------------

if [ -s "$tmp/summary" ]; then
	say ""
	say "Summary: throughput and peak memory of each tool beside its peer (ratios: the tool's rate / the peer's; the peer's memory / the tool's)"
	say ""
	printf '%-2s %-20s %-10s %12s %9s   %-20s %12s %9s %8s %8s\n' "" tool unit "per second" "peak MB" \
		peer "per second" "peak MB" speed memory
	mb() { if [ "$1" = - ]; then echo -; else mb_of_kb "$1"; fi; }
	ratio() { if [ "$1" = - ] || [ "$2" = - ]; then echo -; else echo "$(fmt '%.2f' "$(calc "$1 / $2")")x"; fi; }
	while IFS='	' read -r sec tool unit rate kb peer prate pkb; do
		printf '%-2s %-20s %-10s %12s %9s   %-20s %12s %9s %8s %8s\n' "$sec" "$tool" "$unit" \
			"$(fmt '%.0f' "$rate")" "$(mb "$kb")" "$peer" "$(fmt '%.0f' "$prate")" "$(mb "$pkb")" \
			"$(ratio "$rate" "$prate")" "$(ratio "$pkb" "$kb")"
	done <"$tmp/summary"
	say ""
	cat "$tmp/summary.inputs"
	say "-: not measured"
fi
