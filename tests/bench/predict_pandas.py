#!/usr/bin/python3
"""predict_pandas.py - rolling z-scores per series, written the pandas way.

Usage: predict_pandas.py READINGS.ndjson SCORES.ndjson [WINDOW]

The peer of twin-predict in make bench (section F).  Reads canonical
readings (one {"ts","asset","sensor","value"} a line), and for every
series (asset, sensor) scores each value by its z-score against the mean
and standard deviation of the WINDOW values before it (default 288, the
window twin-predict uses by default), then writes one score record a
reading in twin-predict's shape:
  {"ts":"...","asset":"pump-2","kind":"score","sensor":"temp_c","score":0.12}
with score = min(1, |z| / 6).

The steps are the ones a pandas user would write: load, groupby (asset,
sensor), rolling(WINDOW).mean()/std() shifted by one (the window before
the value), z, to_json(lines=True).  Loading is the json module line by
line into lists (faster than pd.read_json(lines=True); see sync_pandas.py).
A rolling mean and sd is the simplest peer: twin-predict's default is
heavier per sample (a robust, rank-based window and more), so the ratio
understates nothing.
"""
import json
import sys

import numpy as np
import pandas as pd


def main():
    if len(sys.argv) not in (3, 4):
        sys.exit(__doc__)
    src, dst = sys.argv[1], sys.argv[2]
    window = int(sys.argv[3]) if len(sys.argv) == 4 else 288
    ts, asset, sensor, value = [], [], [], []
    with open(src, encoding="utf-8") as f:
        for line in f:
            r = json.loads(line)
            ts.append(r["ts"])
            asset.append(r["asset"])
            sensor.append(r["sensor"])
            value.append(r["value"])
    df = pd.DataFrame({"ts": ts, "asset": asset, "sensor": sensor, "value": value})
    g = df.groupby(["asset", "sensor"], sort=False)["value"]
    mean = g.transform(lambda s: s.rolling(window).mean().shift(1))
    sd = g.transform(lambda s: s.rolling(window).std().shift(1))
    z = ((df["value"] - mean) / sd).abs()
    df["kind"] = "score"
    df["score"] = np.minimum(1.0, z / 6).fillna(0.0)
    df[["ts", "asset", "kind", "sensor", "score"]].to_json(dst, orient="records", lines=True)


if __name__ == "__main__":
    main()
