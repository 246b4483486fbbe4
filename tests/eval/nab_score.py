#!/usr/bin/python3
"""nab_score.py - score anomaly detectors on NAB the way
../shared/data/README.md describes it ("How NAB scores a detector").

Usage:
  nab_score.py [--verbose] RESULTS NAB       score a detector's results
  nab_score.py --self-check NAB              null = 0 and perfect = 100?

NAB is the benchmark folder: NAB/data/<group>/<file>.csv (timestamp,value),
NAB/labels/combined_windows.json and NAB/profiles.json.  RESULTS holds one
CSV per NAB data file at the same relative path (RESULTS/realKnownCause/
nyc_taxi.csv) with the columns timestamp,value,anomaly_score, one row per
data row, in the same order, scores in [0,1].  Only the data files present
under NAB/data are scored (this copy holds part of the corpus); each must
have a results file.

The rules, as the README states them (the functions cite them):
  - the first min(floor(0.15 N), 750) rows of a file are not scored;
  - s(y) = 2/(1+exp(5y)) - 1, and -1 when y > 3;
  - a detection is a row with score >= threshold; in a window [a,b] of W
    rows, a detection at row i is worth A_TP * s(-(b-i+1)/W) / s(-1); only
    the earliest detection of a window counts; a window without one costs
    -A_FN; a detection outside every window costs -A_FP before any window
    has ended, and A_FP * s((i-b')/(W'-1)) after the latest window that
    ended (end b', width W'); every false detection is charged;
  - one threshold per profile, chosen to maximise the corpus total S;
    normalised score 100 * (S - S_null) / (S_perfect - S_null), with
    S_perfect = A_TP and S_null = -A_FN per window.

Threshold search: exact.  The total only changes where the threshold passes
a score that occurs in the data, so every distinct score of a scored row is
tried, plus "never" (a threshold above every score: the null detector).
One sweep from the highest score down updates the total incrementally
(O(n log n) for the sort).  Among equal totals the highest threshold wins.
The chosen threshold is then re-scored file by file with a direct,
independent computation, and the two totals must agree.

Details the README leaves open, settled as NAB's own scorer does:
  - window rows are found by time stamp: a = the first row stamped with the
    window's start, b = the first row at or after a stamped with its end
    (files may repeat a stamp at a clock change); when a stamp is missing,
    the rows whose stamps fall inside [start, end];
  - a window entirely inside the probationary period is not counted; rows of
    a window inside it are not scored (no file here has either case);
  - a window of one row (W' = 1) uses W' - 1 = 1 after it.

Checked against NAB's own code (nab/sweeper.py, nab/optimizer.py,
nab/runner.py): the same probationary length, window rows, values in and
after windows, sweep over the whole corpus (ties: the highest threshold)
and normalisation.  NAB scores the scores as its results files hold them,
unrounded in the published results (12 digits), and so does this.  Two
differences, neither met by the files here: NAB's perfect score counts
every window of its label file, also those wholly in a probationary
period (here only the windows counted); and NAB finds a window's end as
the first row anywhere in the file with that stamp.  As a check,
windowed_gaussian.py (a port of NAB's windowedGaussian detector) at NAB's
published threshold for it (1.0) gets NAB's published per-file standard
scores exactly on 15 of these 18 files; on the other 3 the rows whose
score is exactly 1.0 (z beyond about 8.3) differ with the arithmetic.

Prints one table (profile, threshold, score), with --verbose also the
detail per file, and exits 0; 2 on bad input.  --self-check prints the
null and perfect detectors' scores per profile and exits 1 unless they are
0 and 100.  Standard library only.
"""
import csv
import json
import math
import os
import sys
import tempfile
from datetime import datetime

# README, "Profiles (A_TP, A_FN, A_FP)"; profiles.json must agree (checked
# by --self-check, and a difference is reported when scoring).
README_PROFILES = {
    "standard": (1.0, 1.0, 0.11),
    "reward_low_FP_rate": (1.0, 1.0, 0.22),
    "reward_low_FN_rate": (1.0, 2.0, 0.11),
}
PROFILE_ORDER = ["standard", "reward_low_FP_rate", "reward_low_FN_rate"]
NEVER = float("inf")   # threshold above every score: nothing is detected
TOLERANCE = 1e-6       # agreement of sweep and direct totals; self-check


class InputError(Exception):
    """Bad or missing input: reported on stderr, exit status 2."""


# ---------------------------------------------------------------- rules

def scaled_sigmoid(y):
    """README: s(y) = 2/(1+exp(5y)) - 1 (and -1 when y > 3)."""
    if y > 3.0:
        return -1.0
    return 2.0 / (1.0 + math.exp(5.0 * y)) - 1.0


def probation_length(n_rows):
    """README: the first min(floor(0.15 N), 750) rows are not scored."""
    return min(math.floor(0.15 * n_rows), 750)


def tp_value(i, a, b):
    """README: a detection at row i in window [a,b] of W rows is worth
    A_TP * s(-(b-i+1)/W) / s(-1); this is the part without A_TP."""
    width = b - a + 1
    return scaled_sigmoid(-(b - i + 1) / width) / scaled_sigmoid(-1.0)


def fp_value(i, last_window):
    """README: a detection outside every window costs -A_FP before any
    window has ended; after the latest window that ended (end b', width W')
    it is worth A_FP * s((i-b')/(W'-1)).  This is the part without A_FP."""
    if last_window is None:
        return -1.0
    a, b = last_window
    return scaled_sigmoid((i - b) / max(b - a, 1))   # W' - 1 = b - a


# ---------------------------------------------------------------- input

def parse_time(text, where):
    """A time stamp as a naive datetime (NAB stamps are local, no zone)."""
    try:
        return datetime.fromisoformat(text.strip()).replace(tzinfo=None)
    except ValueError:
        raise InputError("%s: bad time stamp %r" % (where, text))


def read_csv(path):
    """The header and rows of a CSV file."""
    try:
        with open(path, newline="") as f:
            rows = list(csv.reader(f))
    except OSError as e:
        raise InputError("%s: %s" % (path, e.strerror))
    if not rows:
        raise InputError("%s: empty file" % path)
    return rows[0], [r for r in rows[1:] if r]


def column(header, name, path):
    if name not in header:
        raise InputError("%s: no %s column" % (path, name))
    return header.index(name)


def read_json(path):
    try:
        with open(path) as f:
            return json.load(f)
    except OSError as e:
        raise InputError("%s: %s" % (path, e.strerror))
    except ValueError as e:
        raise InputError("%s: %s" % (path, e))


def read_profiles(nab_dir):
    """Weights (A_TP, A_FN, A_FP) per profile from profiles.json."""
    path = os.path.join(nab_dir, "profiles.json")
    doc = read_json(path)
    profiles = {}
    for name in PROFILE_ORDER:
        try:
            cost = doc[name]["CostMatrix"]
            profiles[name] = (float(cost["tpWeight"]), float(cost["fnWeight"]),
                              float(cost["fpWeight"]))
        except (KeyError, TypeError, ValueError):
            raise InputError("%s: no usable cost matrix for %s" % (path, name))
    return profiles


def profile_differences(profiles):
    """Lines naming where profiles.json and the README disagree."""
    return ["profile %s: profiles.json has %s, README says %s"
            % (name, profiles[name], README_PROFILES[name])
            for name in PROFILE_ORDER if profiles[name] != README_PROFILES[name]]


def data_files(nab_dir):
    """Relative paths (group/file.csv) of the data files present."""
    root = os.path.join(nab_dir, "data")
    if not os.path.isdir(root):
        raise InputError("%s: no such folder" % root)
    found = []
    for group in sorted(os.listdir(root)):
        folder = os.path.join(root, group)
        if os.path.isdir(folder):
            found += [group + "/" + f for f in sorted(os.listdir(folder))
                      if f.endswith(".csv")]
    return found


def window_rows(stamps, windows, where):
    """README: windows are [start, end] with inclusive time stamps.  Rows
    (a, b) of each, found as the module notes say."""
    rows = []
    for start, end in windows:
        t0, t1 = parse_time(start, where), parse_time(end, where)
        a = next((i for i, t in enumerate(stamps) if t == t0), None)
        b = next((i for i in range(a, len(stamps)) if stamps[i] == t1),
                 None) if a is not None else None
        if a is None or b is None:
            inside = [i for i, t in enumerate(stamps) if t0 <= t <= t1]
            if not inside:
                raise InputError("%s: window %s..%s holds no row"
                                 % (where, start, end))
            a, b = inside[0], inside[-1]
        rows.append((a, b))
    rows.sort()
    for (a0, b0), (a1, b1) in zip(rows, rows[1:]):
        if a1 <= b0:
            raise InputError("%s: windows overlap" % where)
    return rows


class DataFile:
    """One NAB data file: its stamps, probationary length and windows."""

    def __init__(self, nab_dir, rel, windows):
        path = os.path.join(nab_dir, "data", rel)
        header, rows = read_csv(path)
        t = column(header, "timestamp", path)
        self.rel = rel
        self.stamps = [parse_time(r[t], path) for r in rows]
        self.n = len(rows)
        self.probation = probation_length(self.n)
        self.windows = window_rows(self.stamps, windows, rel)
        # A window wholly in the probationary period is not counted (it
        # still places the false positives after it).
        self.counted = sum(1 for a, b in self.windows if b >= self.probation)
        self._scored = None

    def scored_rows(self):
        """(row, window number or None, value without the weight) of every
        scored row, in order; the value is tp_value in a window, fp_value
        outside.  Computed once."""
        if self._scored is None:
            self._scored = self._place_rows()
        return self._scored

    def _place_rows(self):
        out = []
        k = 0                 # next window not yet ended
        last = None           # the latest window that ended
        for i in range(self.n):
            while k < len(self.windows) and self.windows[k][1] < i:
                last = self.windows[k]
                k += 1
            inside = k < len(self.windows) and self.windows[k][0] <= i
            if i < self.probation:
                continue
            if inside:
                a, b = self.windows[k]
                out.append((i, k, tp_value(i, a, b)))
            else:
                out.append((i, None, fp_value(i, last)))
        return out


def load_corpus(nab_dir):
    """The data files present that the labels cover, as DataFile."""
    labels = read_json(os.path.join(nab_dir, "labels", "combined_windows.json"))
    corpus = []
    for rel in data_files(nab_dir):
        if rel not in labels:
            print("nab_score: %s has no labels, not scored" % rel,
                  file=sys.stderr)
            continue
        corpus.append(DataFile(nab_dir, rel, labels[rel]))
    if not corpus:
        raise InputError("%s: no labelled data files" % nab_dir)
    if not any(f.counted for f in corpus):
        raise InputError("%s: no anomaly windows to score" % nab_dir)
    return corpus


def read_scores(results_dir, data):
    """The anomaly_score column of data's results file, checked against the
    data file: same rows, same stamps, scores in [0,1]."""
    path = os.path.join(results_dir, data.rel)
    if not os.path.exists(path):
        raise InputError("%s: missing (one results file per data file)" % path)
    header, rows = read_csv(path)
    t = column(header, "timestamp", path)
    s = column(header, "anomaly_score", path)
    if len(rows) != data.n:
        raise InputError("%s: %d rows, the data file has %d"
                         % (path, len(rows), data.n))
    scores = []
    for i, row in enumerate(rows):
        if parse_time(row[t], path) != data.stamps[i]:
            raise InputError("%s: row %d is stamped %s, the data row %s"
                             % (path, i + 2, row[t], data.stamps[i]))
        try:
            x = float(row[s])
        except ValueError:
            x = float("nan")
        if not 0.0 <= x <= 1.0:
            raise InputError("%s: row %d: anomaly_score %r not in [0,1]"
                             % (path, i + 2, row[s]))
        scores.append(x)
    return scores


# ---------------------------------------------------------------- scoring

def sweep(corpus, scores, weights):
    """README: "the threshold is chosen to maximise the corpus total".
    Every distinct score is tried, from the highest down, plus NEVER.
    Returns (threshold, total)."""
    a_tp, a_fn, a_fp = weights
    points = []   # (score, window key or None, weighted value)
    n_windows = 0
    for f, data in enumerate(corpus):
        n_windows += data.counted
        for i, k, u in data.scored_rows():
            if k is None:
                points.append((scores[f][i], None, a_fp * u))
            else:
                points.append((scores[f][i], (f, k), a_tp * u))
    points.sort(key=lambda p: p[0], reverse=True)

    window_value = {}                 # key -> best detection so far
    total = -a_fn * n_windows         # nothing detected: every window missed
    best = (NEVER, total)
    for j, (score, key, value) in enumerate(points):
        if key is None:
            total += value            # every false detection is charged
        else:
            old = window_value.get(key, -a_fn)
            if value > old:           # only the earliest (best) one counts
                window_value[key] = value
                total += value - old
        last_of_level = j + 1 == len(points) or points[j + 1][0] != score
        if last_of_level and total > best[1]:
            best = (score, total)
    return best


def score_file(data, scores, threshold, weights):
    """The README's rules applied directly to one file at one threshold:
    {"raw", "windows", "detected", "fp"}."""
    a_tp, a_fn, a_fp = weights
    best = {}                         # window -> earliest detection's value
    raw, fp = 0.0, 0
    for i, k, u in data.scored_rows():
        if scores[i] < threshold:
            continue
        if k is None:
            raw += a_fp * u
            fp += 1
        elif k not in best:           # rows come in order: first is earliest
            best[k] = a_tp * u
    raw += sum(best.values()) - a_fn * (data.counted - len(best))
    return {"raw": raw, "windows": data.counted,
            "detected": len(best), "fp": fp}


def normalise(total, n_windows, weights):
    """README: 100 * (S - S_null) / (S_perfect - S_null), with A_TP per
    window for the perfect detector and -A_FN for the null one."""
    a_tp, a_fn, _ = weights
    s_perfect, s_null = a_tp * n_windows, -a_fn * n_windows
    return 100.0 * (total - s_null) / (s_perfect - s_null)


def evaluate(corpus, scores, profiles):
    """Per profile: threshold, total, normalised score and file detail."""
    n_windows = sum(d.counted for d in corpus)
    out = {}
    for name in PROFILE_ORDER:
        weights = profiles[name]
        threshold, total = sweep(corpus, scores, weights)
        files = [score_file(d, scores[f], threshold, weights)
                 for f, d in enumerate(corpus)]
        direct = sum(r["raw"] for r in files)
        if abs(direct - total) > TOLERANCE:
            raise AssertionError("%s: sweep total %.9f, direct total %.9f"
                                 % (name, total, direct))
        out[name] = {"threshold": threshold, "raw": total,
                     "score": normalise(total, n_windows, weights),
                     "files": files}
    return out


# ---------------------------------------------------------------- output

def fmt_threshold(t):
    """Six digits, more when six would round a threshold below 1 up to 1
    (a tail probability's thresholds crowd there)."""
    if t == NEVER:
        return "never"
    text = "%.6g" % t
    return "%.12g" % t if t < 1.0 and float(text) >= 1.0 else text


def print_table(corpus, results, title):
    n_windows = sum(d.counted for d in corpus)
    print("%s: NAB score, %d files, %d windows" % (title, len(corpus), n_windows))
    print("%-20s %10s %8s %9s %9s %6s" % ("profile", "threshold", "score",
                                           "raw", "detected", "FP"))
    for name in PROFILE_ORDER:
        r = results[name]
        detected = sum(f["detected"] for f in r["files"])
        fp = sum(f["fp"] for f in r["files"])
        print("%-20s %10s %8.2f %9.3f %5d/%-3d %6d"
              % (name, fmt_threshold(r["threshold"]), r["score"], r["raw"],
                 detected, n_windows, fp))


def print_detail(corpus, results):
    for name in PROFILE_ORDER:
        r = results[name]
        print("\n%s (threshold %s): per file" % (name, fmt_threshold(r["threshold"])))
        print("%-56s %8s %9s %6s" % ("file", "raw", "detected", "FP"))
        for data, f in zip(corpus, r["files"]):
            print("%-56s %8.3f %5d/%-3d %6d" % (data.rel, f["raw"], f["detected"],
                                                f["windows"], f["fp"]))


# ---------------------------------------------------------------- self-check

def write_results(folder, corpus, detector):
    """Results files for a detector given as detector(data) -> scores."""
    for data in corpus:
        path = os.path.join(folder, data.rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w", newline="") as f:
            w = csv.writer(f, lineterminator="\n")
            w.writerow(["timestamp", "value", "anomaly_score"])
            for t, s in zip(data.stamps, detector(data)):
                w.writerow([t.isoformat(sep=" "), 0, s])


def null_detector(data):
    """Never fires: every score 0."""
    return [0] * data.n


def perfect_detector(data):
    """Fires exactly at the first row of each window: score 1 there."""
    starts = {a for a, _ in data.windows}
    return [1 if i in starts else 0 for i in range(data.n)]


def self_check(nab_dir):
    """README: the null detector scores 0 and the perfect one 100, for
    every profile.  The detectors go through results files, as a real
    detector's do.  Returns the exit status."""
    corpus = load_corpus(nab_dir)
    profiles = read_profiles(nab_dir)
    failures = profile_differences(profiles)
    expected = {"null": (null_detector, 0.0), "perfect": (perfect_detector, 100.0)}
    with tempfile.TemporaryDirectory(prefix="nab_self_check.") as tmp:
        for label, (detector, want) in expected.items():
            folder = os.path.join(tmp, label)
            write_results(folder, corpus, detector)
            scores = [read_scores(folder, d) for d in corpus]
            results = evaluate(corpus, scores, profiles)
            print_table(corpus, results, "self-check, %s detector" % label)
            for name in PROFILE_ORDER:
                got = results[name]["score"]
                if abs(got - want) > TOLERANCE:
                    failures.append("%s detector, %s: %.6f, expected %.0f"
                                    % (label, name, got, want))
    for line in failures:
        print("self-check FAILED: " + line)
    print("self-check: %s" % ("FAILED" if failures else
                              "null 0 and perfect 100 for every profile"))
    return 1 if failures else 0


# ---------------------------------------------------------------- main

USAGE = ("usage: nab_score.py [--verbose] RESULTS NAB\n"
         "       nab_score.py --self-check NAB")


def score_results(results_dir, nab_dir, verbose):
    corpus = load_corpus(nab_dir)
    profiles = read_profiles(nab_dir)
    for line in profile_differences(profiles):
        print("nab_score: warning: " + line, file=sys.stderr)
    scores = [read_scores(results_dir, d) for d in corpus]
    results = evaluate(corpus, scores, profiles)
    print_table(corpus, results, os.path.basename(results_dir.rstrip("/")))
    if verbose:
        print_detail(corpus, results)
    return 0


def main(argv):
    args = [a for a in argv if a not in ("--verbose", "-v")]
    verbose = len(args) != len(argv)
    try:
        if len(args) == 2 and args[0] == "--self-check":
            return self_check(args[1])
        if len(args) == 2 and not any(a.startswith("-") for a in args):
            return score_results(args[0], args[1], verbose)
    except InputError as e:
        print("nab_score: %s" % e, file=sys.stderr)
        return 2
    print(USAGE, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
