"""mvar.py - what the multivariate evaluations share: running twin-predict
over states written from rows of numbers, and reading its records back.

Imported by skab_eval.py, tep_eval.py and cmapss_eval.py; the standard
library only, so that `make eval` needs no Python packages.
"""
import json
import os
import subprocess
import sys


def twin_bin():
    """The directory of the tools: TWIN_BIN, or bin/ of the repository."""
    here = os.path.dirname(os.path.abspath(__file__))
    return os.environ.get("TWIN_BIN", os.path.join(here, "..", "..", "bin"))


def write_states(path, asset, rows, names, times):
    """rows (lists of numbers) as state records of asset at times (epoch seconds)."""
    with open(path, "w", encoding="utf-8") as f:
        for t, row in zip(times, rows):
            values = ",".join('"%s":%s' % (n, repr(float(v))) for n, v in zip(names, row))
            f.write('{"ts":%s,"asset":"%s","kind":"state","values":{%s}}\n' % (t, asset, values))


def predict(args, inputs, out_path):
    """twin-predict ARGS INPUTS > out_path; its own records, parsed, as a list."""
    cmd = [os.path.join(twin_bin(), "twin-predict")] + list(args) + list(inputs)
    with open(out_path, "w", encoding="utf-8") as out:
        r = subprocess.run(cmd, stdout=out, stderr=subprocess.PIPE, text=True)
    if r.returncode != 0:
        sys.exit("eval: %s failed (exit %d):\n%s" % (" ".join(cmd), r.returncode, r.stderr))
    own = []
    with open(out_path, encoding="utf-8") as f:
        for line in f:
            if '"kind":"score"' in line or '"kind":"rul"' in line or '"kind":"forecast"' in line:
                own.append(json.loads(line))
    return own


def rate(n, d):
    return n / d if d else float("nan")
