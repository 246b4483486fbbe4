#!/usr/bin/python3
"""cmapss_eval.py - remaining useful life on NASA C-MAPSS FD001.

Usage: cmapss_eval.py CMAPSS_DIR [TWIN-PREDICT OPTION]...

Cross-validation by engine over train_FD001.txt, whose 100 engines all
run to failure: the engines are dealt into FOLDS folds (by a fixed
shuffle); for each fold, `twin-predict --rul --fit` learns from the
other engines' whole histories, and each held-out engine, cut at a
random cycle, is scored by `twin-predict --rul --model`: its last rul
record is the prediction at the cut, against the true remaining life
(last cycle - cut).  The cut is uniform between cycle MIN_CYCLES (31, the
shortest history of NASA's own test set) and the engine's last cycle - 1.
A cycle is one second of the stream (ts = the cycle), so the RUL comes
in cycles.  Figures: RMSE against the true RUL capped at 125 cycles (the
usual target) and uncapped, and NASA's asymmetric score over the capped
target, sum(exp(-d/13) - 1) for d < 0 and sum(exp(d/10) - 1) for d >= 0,
d = predicted - true.  Options after CMAPSS_DIR go to both runs.
"""
import math
import os
import random
import sys
import tempfile

import mvar

FOLDS = 5
SEED = 2017
MIN_CYCLES = 31
CAP = 125
# The 14 sensors that change over a run; the other 7 of FD001 are constant.
SENSORS = [2, 3, 4, 7, 8, 9, 11, 12, 13, 14, 15, 17, 20, 21]


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    d, opts = sys.argv[1], sys.argv[2:]
    engines = {}
    with open(os.path.join(d, "train_FD001.txt"), encoding="ascii") as f:
        for line in f:
            v = line.split()
            if v:
                engines.setdefault(int(v[0]), []).append([float(x) for x in v[1:]])
    names = ["s%d" % s for s in SENSORS]
    cols = [4 + s for s in SENSORS]          # cycle, 3 settings, then s1..s21
    rng = random.Random(SEED)
    units = sorted(engines)
    rng.shuffle(units)
    sensors = "--sensors=" + ",".join(names)
    err, err_uncapped, score = [], [], 0.0
    with tempfile.TemporaryDirectory(prefix="twin-cmapss.") as tmp:
        for k in range(FOLDS):
            held = units[k::FOLDS]
            train = os.path.join(tmp, "train.ndjson")
            open(train, "w").close()
            for u in units:
                if u in held:
                    continue
                part = os.path.join(tmp, "part.ndjson")
                rows = engines[u]
                mvar.write_states(part, "engine-%d" % u, [[r[c - 1] for c in cols] for r in rows],
                                  names, [int(r[0]) for r in rows])
                with open(part) as f, open(train, "a") as out:
                    out.write(f.read())
            model = os.path.join(tmp, "model.json")
            mvar.predict(["--rul", "--no-scores", sensors, "--fit=" + model] + opts, [train],
                         os.path.join(tmp, "fit.out"))
            test = os.path.join(tmp, "test.ndjson")
            open(test, "w").close()
            truth = {}
            for u in held:
                rows = engines[u]
                last = int(rows[-1][0])
                cut = rng.randint(MIN_CYCLES, last - 1)
                truth["engine-%d" % u] = last - cut
                part = os.path.join(tmp, "part.ndjson")
                kept = [r for r in rows if r[0] <= cut]
                mvar.write_states(part, "engine-%d" % u, [[r[c - 1] for c in cols] for r in kept],
                                  names, [int(r[0]) for r in kept])
                with open(part) as f, open(test, "a") as out:
                    out.write(f.read())
            recs = mvar.predict(["--rul", "--no-scores", "--model=" + model] + opts, [test],
                                os.path.join(tmp, "out"))
            last_rul = {}
            for r in recs:
                if r["kind"] == "rul":
                    last_rul[r["asset"]] = r
            for asset, true in truth.items():
                if asset not in last_rul:
                    sys.exit("eval: %s: no rul record" % asset)
                pred = last_rul[asset]["value"]
                dc = pred - min(true, CAP)
                err.append(dc)
                err_uncapped.append(pred - true)
                score += math.exp(-dc / 13) - 1 if dc < 0 else math.exp(dc / 10) - 1
    rmse = math.sqrt(sum(e * e for e in err) / len(err))
    rmse_u = math.sqrt(sum(e * e for e in err_uncapped) / len(err_uncapped))
    print("C-MAPSS FD001, %d engines, %d-fold CV by engine, cut at random: RMSE %.2f (capped at %d), "
          "%.2f (uncapped), score %.0f" % (len(err), FOLDS, rmse, CAP, rmse_u, score))


if __name__ == "__main__":
    main()
