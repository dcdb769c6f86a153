#!/usr/bin/env python3
"""Python's multiprocessing.shared_memory lifecycle costs, the baseline for shmkit's
SharedMemoryLifecycleBenchmark (see docs/benchmarks.md). Standard library only.

Prints one line per measurement, `python <metric> <mean microseconds per operation>`:

    python shm_create_close_unlink_us <v>         SharedMemory(name, create=True, size=4096) + close + unlink
    python shm_attach_close_us <v>                SharedMemory(name) of an existing object + close
    python shm_create_attach_close_unlink_us <v>  create + attach + close both + unlink

and, on stderr, the spread over the batches. Note that on CPython < 3.13 every constructor call
(creating *and* attaching) registers the name with the resource tracker process, and unlink
unregisters it: each is a write to the tracker's pipe, which is part of what is measured here.
"""
import argparse
import os
import statistics
import sys
import time
from multiprocessing import shared_memory

SIZE = 4096


def batches(op, iterations, rounds):
    """Runs op() `iterations` times per round; returns the mean microseconds per call of each round."""
    means = []
    for _ in range(rounds):
        t0 = time.perf_counter_ns()
        for _ in range(iterations):
            op()
        means.append((time.perf_counter_ns() - t0) / iterations / 1000.0)
    return means


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("-n", "--iterations", type=int, default=2000, help="operations per round (default 2000)")
    p.add_argument("-r", "--rounds", type=int, default=5, help="measured rounds (default 5)")
    p.add_argument("-w", "--warmup", type=int, default=1, help="unmeasured warm-up rounds (default 1)")
    args = p.parse_args()

    base = f"shmkit-pybench-{os.getpid()}"
    fresh = base + "-new"
    existing = base + "-old"

    def create_close_unlink():
        s = shared_memory.SharedMemory(name=fresh, create=True, size=SIZE)
        s.close()
        s.unlink()

    def attach_close():
        s = shared_memory.SharedMemory(name=existing)
        s.close()

    def create_attach_close_unlink():
        s = shared_memory.SharedMemory(name=fresh, create=True, size=SIZE)
        a = shared_memory.SharedMemory(name=fresh)
        a.close()
        s.close()
        s.unlink()

    holder = shared_memory.SharedMemory(name=existing, create=True, size=SIZE)
    try:
        for metric, op in (("shm_create_close_unlink_us", create_close_unlink),
                           ("shm_attach_close_us", attach_close),
                           ("shm_create_attach_close_unlink_us", create_attach_close_unlink)):
            batches(op, args.iterations, args.warmup)  # also starts the resource tracker
            means = batches(op, args.iterations, args.rounds)
            mean = statistics.fmean(means)
            sd = statistics.stdev(means) if len(means) > 1 else 0.0
            print(f"python {metric} {mean:.2f}", flush=True)
            print(f"# {metric}: {args.rounds} rounds x {args.iterations} ops, round means "
                  f"min {min(means):.2f} max {max(means):.2f} stdev {sd:.2f} us", file=sys.stderr)
    finally:
        holder.close()
        holder.unlink()


if __name__ == "__main__":
    main()
