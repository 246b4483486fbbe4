#!/usr/bin/python3
"""skab_eval.py - the multivariate detector on SKAB's valve experiments.

Usage: skab_eval.py SKAB_DIR [TWIN-PREDICT OPTION]...

The usual protocol of the Skoltech Anomaly Benchmark: in each experiment
of SKAB_DIR/valve1 the first 400 rows train and the rest are tested.
Every file becomes the states of an asset of its own (the eight sensors;
the labels stay out) and one run of `twin-predict --method=pca
--train=400` scores them all, each asset learning its own first 400
states.  A test row is a detection when its score record alarms;
point-wise over the test rows of all files together: F1 = TP / (TP + (FN
+ FP) / 2), the false alarm rate FAR = FP / (FP + TN) and the missed
alarm rate MAR = FN / (FN + TP).  Options after SKAB_DIR go to
twin-predict after those.
"""
import csv
import glob
import os
import sys
import tempfile
from datetime import datetime, timezone

import mvar

TRAIN = 400


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    d, opts = sys.argv[1], sys.argv[2:]
    files = sorted(glob.glob(os.path.join(d, "valve1", "*.csv")),
                   key=lambda p: int(os.path.basename(p)[:-4]))
    if not files:
        sys.exit("eval: no SKAB files in %s/valve1" % d)
    labels = {}
    with tempfile.TemporaryDirectory(prefix="twin-skab.") as tmp:
        src = os.path.join(tmp, "valve1.ndjson")
        for path in files:
            asset = "valve1-" + os.path.basename(path)[:-4]
            with open(path, encoding="utf-8") as f:
                rows = list(csv.reader(f, delimiter=";"))
            head, body = rows[0], rows[1:]
            sensors = head[1:-2]          # datetime first, anomaly and changepoint last
            times = [datetime.strptime(r[0], "%Y-%m-%d %H:%M:%S").replace(tzinfo=timezone.utc)
                     .timestamp() for r in body]
            values = [[float(v) for v in r[1:-2]] for r in body]
            labels[asset] = [float(r[-2]) > 0 for r in body]
            part = os.path.join(tmp, asset + ".ndjson")
            mvar.write_states(part, asset, values, [s.replace(" ", "_") for s in sensors],
                              [int(t) for t in times])
            with open(part, encoding="utf-8") as f, open(src, "a", encoding="utf-8") as out:
                out.write(f.read())
        scores = mvar.predict(["--method=pca", "--train=%d" % TRAIN] + opts, [src],
                              os.path.join(tmp, "out"))
    by_asset = {}
    for s in scores:
        by_asset.setdefault(s["asset"], []).append(s["alarm"])
    tp = fp = fn = tn = 0
    for asset, lab in labels.items():
        alarms = by_asset.get(asset, [])
        test = lab[TRAIN:]
        if len(alarms) != len(test):
            sys.exit("eval: %s: %d test rows but %d scores" % (asset, len(test), len(alarms)))
        for a, l in zip(alarms, test):
            tp += a and l
            fp += a and not l
            fn += l and not a
            tn += not a and not l
    f1 = mvar.rate(tp, tp + (fn + fp) / 2)
    print("SKAB valve1, %d files, %d test rows: F1 %.3f  FAR %.3f  MAR %.3f  (TP %d FP %d FN %d TN %d)"
          % (len(files), tp + fp + fn + tn, f1, mvar.rate(fp, fp + tn), mvar.rate(fn, fn + tp),
             tp, fp, fn, tn))


if __name__ == "__main__":
    main()
