#!/usr/bin/python3
"""windowed_gaussian.py - a port of NAB's "windowedGaussian" detector
(nab/detectors/gaussian/windowedGaussian_detector.py), the reference that
checks nab_score.py against a published figure (39.6 standard on the full
corpus of 58 files).

Usage: windowed_gaussian.py < data.csv > results.csv

As NAB's: the mean and population sd of a window of up to 6400 values;
while the window fills it is refreshed after every value, then it slides
by 100 values at a time (the newest 100 wait in a buffer).  A value x is
scored against the window before it: with z = |x - mean| / sd (sd 1e-6
when the window is constant), anomaly_score = 1 - Q(z) = 1 - erfc(z /
sqrt 2) / 2, in [0.5, 1); the first row scores 0.  Needs numpy.
"""
import csv
import math
import sys

import numpy

WINDOW = 6400
STEP = 100


def main():
    rows = list(csv.reader(sys.stdin))
    out = csv.writer(sys.stdout, lineterminator="\n")
    out.writerow(["timestamp", "value", "anomaly_score"])
    window, step = [], []
    mean, sd = 0.0, 1.0

    def refresh():
        # numpy as NAB's: the exact scores of 1.0 it gives far out in the
        # tails depend on its summation (pairwise)
        m, s = float(numpy.mean(window)), float(numpy.std(window))
        return m, (s if s != 0.0 else 0.000001)

    for row in rows[1:]:
        if not row:
            continue
        x = float(row[1])
        score = 0.0
        if window:
            z = abs(x - mean) / sd
            score = 1.0 - 0.5 * math.erfc(z / math.sqrt(2.0))
        if len(window) < WINDOW:
            window.append(x)
            mean, sd = refresh()
        else:
            step.append(x)
            if len(step) == STEP:
                window = window[STEP:] + step
                step = []
                mean, sd = refresh()
        out.writerow([row[0], row[1], repr(score)])


if __name__ == "__main__":
    main()
