#!/usr/bin/python3
"""sync_compare.py - do twin-sync's states and pandas' states agree?

Usage: sync_compare.py [--every N] TWIN.ndjson PANDAS.ndjson

Both files hold 1 s grid states, {"ts","asset","kind":"state","values"},
in any order (twin-sync interleaves the assets by event time, pandas writes
asset by asset).  Checks:

  - per asset, each side's instants form one gap-free 1 s grid (no instant
    missing, none twice);
  - the ends: twin-sync emits, per asset, every grid instant from the first
    reading's to the last reading's (the input ends, so everything buffered
    is released and the grid is closed at the asset's newest reading);
    pandas' resample spans the same first..last range.  Where an asset's
    ranges differ anyway, only the instants both have are compared, and
    the difference is printed;
  - the values of every Nth twin-sync state (default 1000) and of each
    asset's first and last common instant: the same sensors, each number
    within 1e-9 relative (1e-12 absolute near zero) of the other.

Prints "states agree: N compared" and exits 0, or prints what differs and
exits 1.  Only the standard library: runs with any python3.
"""
import json
import re
import sys
from datetime import datetime

REL = 1e-9
ABS = 1e-12
# Both tools start a state this way; other lines are parsed in full.
HEAD = re.compile(r'\{"ts":"([^"\\]*)","asset":"([^"\\]*)","kind":"state"')


def parse_ts(s):
    return datetime.strptime(s, "%Y-%m-%dT%H:%M:%SZ")


def scan(path, every, want=None):
    """Per asset: first ts, last ts, count, set of ts seen twice.  Keeps
    the values of every `every`th line (by position) and, when want is
    given, of the keys in it.  Returns (ranges, kept, total)."""
    ranges = {}
    kept = {}
    n = 0
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            m = HEAD.match(line)
            if m:
                ts, a = m.group(1), m.group(2)
                r = None
            else:
                r = json.loads(line)
                if r.get("kind") != "state":
                    continue
                a, ts = r["asset"], r["ts"]
            g = ranges.get(a)
            if g is None:
                ranges[a] = [ts, ts, 1]
            else:
                if ts < g[0]:
                    g[0] = ts
                if ts > g[1]:
                    g[1] = ts
                g[2] += 1
            if (every and n % every == 0) or (want is not None and (a, ts) in want):
                if r is None:
                    r = json.loads(line)
                kept[(a, ts)] = r.get("values", {})
    return ranges, kept, n


def grid_len(first, last):
    return int((parse_ts(last) - parse_ts(first)).total_seconds()) + 1


def same_values(x, y):
    if set(x) != set(y):
        return False
    for k, u in x.items():
        v = y[k]
        if isinstance(u, (int, float)) and isinstance(v, (int, float)):
            if abs(u - v) > max(REL * max(abs(u), abs(v)), ABS):
                return False
        elif u != v:
            return False
    return True


def main(argv):
    args = argv[1:]
    every = 1000
    if len(args) >= 2 and args[0] == "--every":
        every = int(args[1])
        args = args[2:]
    if len(args) != 2:
        sys.stderr.write("usage: sync_compare.py [--every N] TWIN.ndjson PANDAS.ndjson\n")
        return 2
    twin_path, pd_path = args
    bad = []

    t_rng, t_kept, _ = scan(twin_path, every)
    # The ends of each asset's common range join the sample.
    p_rng, _, _ = scan(pd_path, 0)
    common = {}
    for a in sorted(set(t_rng) | set(p_rng)):
        if a not in t_rng or a not in p_rng:
            bad.append("asset %s only in %s" % (a, "twin-sync" if a in t_rng else "pandas"))
            continue
        for who, g in (("twin-sync", t_rng[a]), ("pandas", p_rng[a])):
            if g[2] != grid_len(g[0], g[1]):
                bad.append("%s: %s has %d states over %s .. %s, a 1 s grid has %d"
                           % (who, a, g[2], g[0], g[1], grid_len(g[0], g[1])))
        lo, hi = max(t_rng[a][0], p_rng[a][0]), min(t_rng[a][1], p_rng[a][1])
        if (t_rng[a][0], t_rng[a][1]) != (p_rng[a][0], p_rng[a][1]):
            print("note: %s: twin-sync %s .. %s, pandas %s .. %s; comparing %s .. %s"
                  % (a, t_rng[a][0], t_rng[a][1], p_rng[a][0], p_rng[a][1], lo, hi))
        if lo <= hi:
            common[a] = (lo, hi)
    ends = {(a, lo) for a, (lo, hi) in common.items()} | {(a, hi) for a, (lo, hi) in common.items()}
    missing_ends = ends - set(t_kept)
    if missing_ends:
        _, more, _ = scan(twin_path, 0, missing_ends)
        t_kept.update(more)
    sample = {k: v for k, v in t_kept.items()
              if k[0] in common and common[k[0]][0] <= k[1] <= common[k[0]][1]}
    _, p_kept, _ = scan(pd_path, 0, set(sample))

    compared = 0
    for key in sorted(sample):
        if key not in p_kept:
            bad.append("pandas has no state for %s at %s" % key)
            continue
        compared += 1
        if not same_values(sample[key], p_kept[key]):
            bad.append("%s at %s: twin-sync %s, pandas %s"
                       % (key[0], key[1], json.dumps(sample[key], sort_keys=True),
                          json.dumps(p_kept[key], sort_keys=True)))

    n_twin = sum(g[2] for g in t_rng.values())
    n_pd = sum(g[2] for g in p_rng.values())
    n_common = sum(grid_len(lo, hi) for lo, hi in common.values())
    print("states: twin-sync %d, pandas %d, on the instants both have %d" % (n_twin, n_pd, n_common))
    if bad:
        for b in bad[:10]:
            print("DIFFERS: " + b)
        if len(bad) > 10:
            print("DIFFERS: ... and %d more" % (len(bad) - 10))
        print("states DISAGREE: %d differences (%d states compared)" % (len(bad), compared))
        return 1
    print("states agree: %d compared" % compared)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
