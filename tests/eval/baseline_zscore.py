#!/usr/bin/python3
"""baseline_zscore.py - the baseline NAB detector: a rolling z-score.

Usage: baseline_zscore.py [--window ROWS] < data.csv > results.csv

Reads a NAB data file (timestamp,value) and writes timestamp,value,
anomaly_score, the form nab_score.py reads.  Each row's value is compared
with the ROWS values before it (default 288: one day at NAB's usual
5-minute rate; the window is counted in rows, the same for every file
whatever its rate, because the twin-predict goal allows no per-file
tuning):

    z = (x - mean) / sd      (mean and population sd of the window)
    anomaly_score = min(1, |z| / 6)

Until two earlier values exist the score is 0, and so it is on a constant
window (sd = 0, z undefined): no evidence, no alarm.  (Scoring 1 there
instead, as an infinite |z| would, makes the baseline fire on every
non-zero reading after a run of zeros: in rogue_agent_key_updown that is
hundreds of rows, and its NAB score falls to 0 for every profile.)

Deliberately simple: it is the bar the C detectors must beat.  Standard
library only.
"""
import csv
import sys
from collections import deque

DEFAULT_WINDOW = 288   # rows: 24 h x 12 rows per hour at 5-minute samples
Z_FULL = 6.0           # |z| at which the score reaches 1


class RollingStats:
    """Mean and population variance of the last `size` values pushed.
    Sums are kept relative to the first value seen (a fixed shift), which
    keeps the sum of squares well conditioned for large offsets, and are
    recomputed from the window every `size` pushes so that rounding errors
    of the sliding updates do not build up."""

    def __init__(self, size):
        self.values = deque()
        self.size = size
        self.shift = None
        self.sum = 0.0
        self.sum_sq = 0.0
        self.pushes = 0

    def push(self, x):
        if self.shift is None:
            self.shift = x
        d = x - self.shift
        self.values.append(d)
        self.sum += d
        self.sum_sq += d * d
        if len(self.values) > self.size:
            old = self.values.popleft()
            self.sum -= old
            self.sum_sq -= old * old
        self.pushes += 1
        if self.pushes % self.size == 0:
            self.sum = sum(self.values)
            self.sum_sq = sum(d * d for d in self.values)

    def __len__(self):
        return len(self.values)

    def mean_var(self):
        """Mean and variance; the variance is 0 when it is below the
        rounding noise of the second moment (a constant window)."""
        n = len(self.values)
        mean = self.sum / n
        moment2 = self.sum_sq / n
        var = moment2 - mean * mean
        if var <= 1e-12 * moment2:
            var = 0.0
        return mean + self.shift, var


def score(x, stats):
    """min(1, |z|/6) of x against the window before it."""
    if len(stats) < 2:
        return 0.0
    mean, var = stats.mean_var()
    if var == 0.0:
        return 0.0            # constant window: z undefined, no alarm
    return min(1.0, abs(x - mean) / var ** 0.5 / Z_FULL)


def parse_args(argv):
    if not argv:
        return DEFAULT_WINDOW
    if len(argv) == 2 and argv[0] == "--window" and argv[1].isdigit() \
            and int(argv[1]) >= 2:
        return int(argv[1])
    sys.exit("usage: baseline_zscore.py [--window ROWS>=2] < data.csv > results.csv")


def main(argv):
    stats = RollingStats(parse_args(argv))
    reader = csv.reader(sys.stdin)
    header = next(reader, None)
    if header is None or "timestamp" not in header or "value" not in header:
        sys.exit("baseline_zscore: input needs a timestamp,value header")
    t, v = header.index("timestamp"), header.index("value")
    out = csv.writer(sys.stdout, lineterminator="\n")
    out.writerow(["timestamp", "value", "anomaly_score"])
    for row in reader:
        if not row:
            continue
        x = float(row[v])
        out.writerow([row[t], row[v], "%.6f" % score(x, stats)])
        stats.push(x)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
