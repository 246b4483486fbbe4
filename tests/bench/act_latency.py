#!/usr/bin/env python3
"""Latency of a live pipe, for benchmark E of run.sh: from a reading
entering twin-ingest to its command leaving twin-act.

Usage: act_latency.py RATE SECONDS PIPELINE

Runs PIPELINE (a shell command line, e.g. "twin-ingest -f ndjson | twin-sync
| twin-act --twin=RULES") with its standard input a FIFO and its standard
output a pipe.  Writes RATE readings a second for SECONDS seconds into the
FIFO, one line each, paced by the monotonic clock:

  {"ts":"2024-03-01T00:00:00.005000Z","asset":"tank-1","sensor":"level_m","value":1.93}

each with its own event time (the i-th reading at 2024-03-01T00:00:00Z plus
i / RATE seconds).  The rules must make every reading's state give a command
with the reading's ts (a PID does: a command at every state).  A reader
thread takes twin-act's output as it comes, and for each command matches its
ts to the reading; the latency is the monotonic time from just before the
reading was written to just after its command was read.

Bounded: the writer stops after RATE * SECONDS readings and closes the FIFO,
so the pipeline ends; the reader gives up 10 s after that.  Prints one line:

  readings=N commands=N median_ms=X p99_ms=X max_ms=X lag_ms=X

(lag_ms: how far the writer fell behind its schedule at worst) and exits 1
when a reading has no command or the pipeline fails.
"""
import datetime
import json
import os
import subprocess
import sys
import tempfile
import threading
import time

T0 = datetime.datetime(2024, 3, 1, tzinfo=datetime.timezone.utc)


def ts_of(i, rate):
    t = T0 + datetime.timedelta(microseconds=i * 1_000_000 // rate)
    return t.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def index_of(ts, rate):
    """The reading a command's ts belongs to (fraction digits as they come)."""
    t = datetime.datetime.fromisoformat(ts.replace("Z", "+00:00"))
    us = (t - T0) // datetime.timedelta(microseconds=1)
    return round(us * rate / 1_000_000)


def main():
    if len(sys.argv) != 4:
        sys.exit("usage: act_latency.py RATE SECONDS PIPELINE")
    rate, seconds, pipeline = int(sys.argv[1]), float(sys.argv[2]), sys.argv[3]
    n = int(rate * seconds)
    sent = [None] * n
    got = [None] * n
    extra = [0]

    with tempfile.TemporaryDirectory() as d:
        fifo = os.path.join(d, "in.fifo")
        os.mkfifo(fifo)
        proc = subprocess.Popen(["sh", "-c", 'exec <"$0"; ' + pipeline, fifo],
                                stdout=subprocess.PIPE, bufsize=0)

        def reader():
            for line in proc.stdout:
                now = time.monotonic_ns()
                if b'"kind":"command"' not in line:
                    continue
                i = index_of(json.loads(line)["ts"], rate)
                if 0 <= i < n and got[i] is None:
                    got[i] = now
                else:
                    extra[0] += 1

        th = threading.Thread(target=reader, daemon=True)
        th.start()
        lag = 0
        with open(fifo, "wb", buffering=0) as w:   # waits for the shell to open it
            start = time.monotonic_ns() + 50_000_000
            for i in range(n):
                due = start + i * 1_000_000_000 // rate
                now = time.monotonic_ns()
                if due > now:
                    time.sleep((due - now) / 1e9)
                line = ('{"ts":"%s","asset":"tank-1","sensor":"level_m","value":%.3f}\n'
                        % (ts_of(i, rate), 2 + 0.1 * ((i % 20) - 10) / 10)).encode()
                t = time.monotonic_ns()
                lag = max(lag, t - due)
                sent[i] = t
                w.write(line)
        th.join(timeout=10)
        if th.is_alive():
            proc.kill()
        rc = proc.wait(timeout=10)

    lat = sorted((g - s) / 1e6 for s, g in zip(sent, got) if g is not None)
    ok = len(lat) == n and rc == 0
    if lat:
        med = lat[(len(lat) - 1) // 2] if len(lat) % 2 else (lat[len(lat) // 2 - 1] + lat[len(lat) // 2]) / 2
        p99 = lat[min(len(lat) - 1, int(0.99 * len(lat)))]
        print("readings=%d commands=%d median_ms=%.3f p99_ms=%.3f max_ms=%.3f lag_ms=%.3f extra=%d status=%d"
              % (n, len(lat), med, p99, lat[-1], lag / 1e6, extra[0], rc))
    else:
        print("readings=%d commands=0 status=%d" % (n, rc))
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
