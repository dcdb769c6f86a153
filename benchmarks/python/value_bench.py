#!/usr/bin/env python3
"""Python's multiprocessing.Value, Array and Manager().dict(), the baseline for shmkit's
ObjectsBenchmark (see docs/benchmarks.md, "Objects"). Standard library only; Linux (fork).

Prints one line per measurement, `python <metric> <value>` (the unit ends the metric's name):

    python loop_overhead_ns <v>                 an empty `for` iteration, included in the figures below
    python value_locked_increment_ns <v>        Value('q'): `with v.get_lock(): v.value += 1`, one process
    python value_unlocked_increment_ns <v>      Value('q'): `v.value += 1` without the lock (not atomic)
    python rawvalue_increment_ns <v>            RawValue('q'): `v.value += 1` (no lock exists)
    python array_increment_ns <v>               Array('q', 1024, lock=False): `a[i] += 1`
    python value_locked_increment_2proc_ns <v>  two processes, each doing -n/4 locked increments at once:
                                                wall time over all increments (the total is checked)
    python dict_get_ns <v> / dict_put_ns <v>    a plain dict of 1024 str -> int, in-process
    python manager_dict_get_ns <v>              Manager().dict() proxy: d[key], 1024 keys
    python manager_dict_put_ns <v>              Manager().dict() proxy: d[key] = value (replacing)

The spread of the round means goes to stderr.
"""
import argparse
import multiprocessing as mp
import statistics
import sys
import time


def per_op_ns(body, n, rounds):
    """body(n) runs n operations; returns the mean ns per operation of each round."""
    body(max(1, n // 4))  # warm-up
    means = []
    for _ in range(rounds):
        t0 = time.perf_counter_ns()
        body(n)
        means.append((time.perf_counter_ns() - t0) / n)
    return means


def report(metric, means, unit="ns"):
    mean = statistics.fmean(means)
    sd = statistics.stdev(means) if len(means) > 1 else 0.0
    print(f"python {metric} {mean:.2f}", flush=True)
    print(f"# {metric}: {len(means)} rounds, round means min {min(means):.2f} max {max(means):.2f} "
          f"stdev {sd:.2f} {unit}", file=sys.stderr)


def single_process(n, rounds):
    v = mp.Value("q", 0)
    raw = mp.RawValue("q", 0)
    arr = mp.Array("q", 1024, lock=False)

    def empty(k):
        for _ in range(k):
            pass

    def locked(k, v=v, lock=v.get_lock()):
        for _ in range(k):
            with lock:
                v.value += 1

    def unlocked(k, v=v):
        for _ in range(k):
            v.value += 1

    def raw_inc(k, raw=raw):
        for _ in range(k):
            raw.value += 1

    def array_inc(k, a=arr):
        for i in range(k):
            a[i & 1023] += 1

    report("loop_overhead_ns", per_op_ns(empty, n, rounds))
    report("value_locked_increment_ns", per_op_ns(locked, n, rounds))
    report("value_unlocked_increment_ns", per_op_ns(unlocked, n, rounds))
    report("rawvalue_increment_ns", per_op_ns(raw_inc, n, rounds))
    report("array_increment_ns", per_op_ns(array_inc, n, rounds))


def worker(v, go, k):
    go.wait()
    lock = v.get_lock()
    for _ in range(k):
        with lock:
            v.value += 1


def two_processes(n):
    k = max(1, n // 4)
    v = mp.Value("q", 0)
    go = mp.Event()
    child = mp.Process(target=worker, args=(v, go, k), daemon=True)
    child.start()
    time.sleep(0.2)  # let the child reach its start line
    t0 = time.perf_counter_ns()
    go.set()
    worker(v, go, k)
    child.join(timeout=600)
    elapsed = time.perf_counter_ns() - t0
    if child.exitcode != 0:
        raise RuntimeError(f"child exited with {child.exitcode}")
    if v.value != 2 * k:
        raise RuntimeError(f"lost increments: {v.value} != {2 * k}")
    print(f"python value_locked_increment_2proc_ns {elapsed / (2 * k):.2f}", flush=True)
    print(f"# value_locked_increment_2proc: 2 processes x {k} increments, {elapsed / 1e9:.2f} s", file=sys.stderr)


def dicts(n, rounds):
    keys = [f"key-{i:04d}" for i in range(1024)]
    d = {k: i for i, k in enumerate(keys)}

    def dict_get(m, d=d, keys=keys):
        for i in range(m):
            d[keys[i & 1023]]

    def dict_put(m, d=d, keys=keys):
        for i in range(m):
            d[keys[i & 1023]] = i

    report("dict_get_ns", per_op_ns(dict_get, n, rounds))
    report("dict_put_ns", per_op_ns(dict_put, n, rounds))
    with mp.Manager() as manager:
        md = manager.dict(d)

        def manager_get(m, md=md, keys=keys):
            for i in range(m):
                md[keys[i & 1023]]

        def manager_put(m, md=md, keys=keys):
            for i in range(m):
                md[keys[i & 1023]] = i

        small = max(1, n // 100)  # each access is a round trip to the manager process
        report("manager_dict_get_ns", per_op_ns(manager_get, small, rounds))
        report("manager_dict_put_ns", per_op_ns(manager_put, small, rounds))


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("-n", "--iterations", type=int, default=1_000_000, help="operations per round (default 1000000)")
    p.add_argument("-r", "--rounds", type=int, default=5, help="measured rounds (default 5)")
    args = p.parse_args()
    if sys.platform != "linux":
        sys.exit("value_bench.py: Linux only (fork start method, like the Java harness)")
    mp.set_start_method("fork")
    single_process(args.iterations, args.rounds)
    two_processes(args.iterations)
    dicts(args.iterations, args.rounds)


if __name__ == "__main__":
    main()
