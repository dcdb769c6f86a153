#!/usr/bin/env python3
"""Summarises a JMH JSON result of shmkit's benchmarks, with the Python comparisons and the C
floors beside the benchmarks they correspond to, then CrossProcessSync's figures beside theirs.

Usage: jmh_summary.py build/bench/jmh.json [peer files ...]

Peer files hold `python <metric> <value>` / `c <metric> <value>` lines (python.txt, c.txt,
python_lock.txt, c_lock.txt) or CrossProcessSync's `<name> <metric> <value> <unit>` lines
(xproc.txt); any may be missing.

SegmentBandwidthBenchmark scores are operations per second of one block each, so
bytes/s = score x blockSize; they are printed here in GB/s (10^9) and GiB/s (2^30).
"shmkit xN" beside a peer is shmkit's time divided by the peer's: above 1, shmkit is slower
(for a throughput, shmkit's ops/s divided by the peer's: above 1, shmkit is faster).
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
    # LockBenchmark: a {tag: metric} dict where the peers' metrics differ
    "sharedLock": ({"c": "mutex_robust_lock_unlock_ns", "python": "lock_acquire_release_ns"}, BOTH),
    "sharedReentrantLock": ({"python": "rlock_acquire_release_ns"}, ("python",)),
    "namedSemaphore": ({"c": "sem_trywait_post_ns", "python": "semaphore_try_release_ns"}, BOTH),
    "sharedSemaphore": ({"c": "sem_trywait_post_ns", "python": "semaphore_try_release_ns"}, BOTH),
    "sharedEventIsSet": ({"python": "event_is_set_ns"}, ("python",)),
}

# CrossProcessSync scenario -> the peers' scenarios doing the same handoff, as (tag, metric prefix)
XPROC_PEERS = {
    "event_pingpong": [("python", "pingpong_event_pair"), ("c", "pingpong_futex")],
    "semaphore_pingpong": [("python", "pingpong_lock_pair"), ("c", "pingpong_futex")],
    "named_semaphore_pingpong": [("python", "pingpong_lock_pair"), ("c", "pingpong_futex")],
    "lock_pingpong": [("c", "pingpong_mutex3"), ("c", "pingpong_adaptive")],
    "condition_pingpong": [("python", "pingpong_event_pair")],
}
XPROC_THROUGHPUT_PEERS = {
    "lock_contended_2proc": [("python", "lock_contended_ops_per_s"), ("c", "mutex_contended_ops_per_s")],
}


def read_metrics(path):
    """`<tag> <metric> <value>` lines -> {(tag, metric): value};
    `<name> <metric> <value> <unit>` lines (CrossProcessSync) -> {("shmkit", name, metric): (value, unit)}."""
    out = {}
    if path and os.path.exists(path):
        with open(path) as f:
            for line in f:
                parts = line.split()
                if line.startswith("#") or len(parts) not in (3, 4):
                    continue
                try:
                    value = float(parts[2])
                except ValueError:
                    continue
                if len(parts) == 3:
                    out[(parts[0], parts[1])] = value
                else:
                    out[("shmkit", parts[0], parts[1])] = (value, parts[3])
    return out


def xproc_summary(peers):
    """CrossProcessSync's lines, each with the Python and C figures for the same kind of handoff."""
    rows = [((k[1], k[2]), v) for k, v in peers.items() if k[0] == "shmkit" and len(k) == 3]  # file order
    if not rows:
        return
    print("== Cross-process (CrossProcessSync; Python lock_bench.py and C lock_floor.c alike)")
    for (name, metric), (value, unit) in rows:
        line = f"{name + ' ' + metric:<48} {value:12.4g} {unit}"
        scenario, _, mode = name.rpartition("_")
        if mode in ("steady", "idle") and scenario in XPROC_PEERS and unit == "us":
            for tag, prefix in XPROC_PEERS[scenario]:
                v = peers.get((tag, f"{prefix}_{mode}_{metric}_us"))
                if v:
                    line += f"  | {tag} {prefix.removeprefix('pingpong_')} {v:.4g} us (shmkit x{value / v:.3g})"
        elif name in XPROC_THROUGHPUT_PEERS and metric == "throughput":
            for tag, peer_metric in XPROC_THROUGHPUT_PEERS[name]:
                v = peers.get((tag, peer_metric))
                if v:
                    line += f"  | {tag} {v:.4g} ops/s (shmkit x{value / v:.3g})"
        print(line)


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
            metrics, tags = PEER[method]
            for tag in tags:
                metric = metrics[tag] if isinstance(metrics, dict) else metrics
                want = metric.rsplit("_", 1)[1] + "/op"  # us/op or ns/op
                v = peers.get((tag, metric))
                if v is not None and unit == want:
                    line += f"  | {tag} {v:.4g} {unit} (shmkit x{score / v:.3g})"
        print(line)
    xproc_summary(peers)


if __name__ == "__main__":
    main()
