#!/usr/bin/env python3
"""Summarises a JMH JSON result of shmkit's benchmarks, with the Python comparison and the C
floor beside the benchmarks they correspond to.

Usage: jmh_summary.py build/bench/jmh.json [build/bench/python.txt] [build/bench/c.txt]

SegmentBandwidthBenchmark scores are operations per second of one block each, so
bytes/s = score x blockSize; they are printed here in GB/s (10^9) and GiB/s (2^30).
"shmkit xN" beside a peer is shmkit's time divided by the peer's: above 1, shmkit is slower.
"""
import json
import os
import sys

# benchmark method -> (metric of shm_lifecycle.py / shm_floor.c doing the same work, which of them)
BOTH = ("python", "c")
PEER = {
    "createCloseUnlink": ("shm_create_close_unlink_us", BOTH),
    "openClose": ("shm_attach_close_us", BOTH),
    "createAttachCloseUnlink": ("shm_create_attach_close_unlink_us", BOTH),
    "baselineSyscallsConfinedArena": ("shm_create_close_unlink_us", ("c",)),
    "wakeNoWaiter": ("futex_wake_no_waiter_ns", ("c",)),
    "awaitValueChanged": ("futex_wait_value_changed_ns", ("c",)),
}


def read_metrics(path):
    """`<tag> <metric> <value>` lines -> {(tag, metric): value}."""
    out = {}
    if path and os.path.exists(path):
        with open(path) as f:
            for line in f:
                parts = line.split()
                if len(parts) == 3 and not line.startswith("#"):
                    try:
                        out[(parts[0], parts[1])] = float(parts[2])
                    except ValueError:
                        pass
    return out


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    with open(sys.argv[1]) as f:
        runs = json.load(f)
    peers = {}
    for path in sys.argv[2:]:
        peers.update(read_metrics(path))

    for run in runs:
        cls, method = run["benchmark"].rsplit(".", 1)
        cls = cls.rsplit(".", 1)[-1]
        m = run["primaryMetric"]
        score, err, unit = float(m["score"]), float(m["scoreError"]), m["scoreUnit"]  # "NaN" is a string
        has_err = err == err  # NaN when there was a single iteration
        params = run.get("params") or {}
        name = f"{cls}.{method}"
        if params:
            name += "(" + ", ".join(f"{k}={v}" for k, v in params.items()) + ")"
        line = f"{name:<62} {score:10.4g}{f' ± {err:.2g}' if has_err else ''} {unit}"
        if "blockSize" in params and unit == "ops/s":
            bs = int(params["blockSize"])
            line += f"  = {score * bs / 1e9:.2f}{f' ± {err * bs / 1e9:.2f}' if has_err else ''} GB/s" \
                    f" ({score * bs / 2**30:.2f} GiB/s)"
        if method in PEER:
            metric, tags = PEER[method]
            want = metric.rsplit("_", 1)[1] + "/op"  # us/op or ns/op
            for tag in tags:
                v = peers.get((tag, metric))
                if v is not None and unit == want:
                    line += f"  | {tag} {v:.4g} {unit} (shmkit x{score / v:.2f})"
        print(line)


if __name__ == "__main__":
    main()
