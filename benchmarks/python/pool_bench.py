#!/usr/bin/env python3
"""Python's multiprocessing doing what dev.shmkit.benchmarks.PoolBenchmark does with shmkit.

Prints one "python <metric> <value> <unit>" line per figure (the median of --rounds rounds after
--warmup unmeasured ones) and the spread on a "#" line:
  spawn_start_to_exit, fork_start_to_exit   Process(target=noop).start() + join(), ms
  map_chunk1, map_default                   Pool(2).map(inc, range(--tasks)) with chunksize=1 / default, tasks/s
  apply_async                               --async-tasks apply_async calls then get(), tasks/s
  cpu_1_worker, cpu_2_workers, cpu_speedup  counting primes below --limit in 48 ranges, chunksize=1
Standard library only.
"""
import argparse
import multiprocessing as mp
import os
import statistics
import time


def noop():
    pass


def inc(x):
    return x + 1


def count_primes(r):
    lo, hi = r
    n = 0
    for x in range(max(2, lo), hi):
        if x == 2 or x & 1:
            d = 3
            prime = True
            while d * d <= x:
                if x % d == 0:
                    prime = False
                    break
                d += 2
            if prime:
                n += 1
    return n


def ranges(limit, parts):
    total = limit ** 1.5
    out, prev = [], 0
    for i in range(1, parts + 1):
        nxt = limit if i == parts else int((total * i / parts) ** (1 / 1.5))
        out.append((prev, nxt))
        prev = nxt
    return out


def report(metric, values, unit):
    v = sorted(values)
    print(f"python {metric} {statistics.median(v):.4g} {unit}")
    print(f"# {metric}: min {v[0]:.4g} max {v[-1]:.4g} over {len(v)}")


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--warmup", type=int, default=2)
    p.add_argument("--tasks", type=int, default=100_000)
    p.add_argument("--async-tasks", type=int, default=20_000)
    p.add_argument("--limit", type=int, default=300_000)
    p.add_argument("--starts", type=int, default=10)
    p.add_argument("--only", default="")
    a = p.parse_args()
    print(f"# Python {'.'.join(map(str, __import__('sys').version_info[:3]))}, {os.cpu_count()} CPUs, load {open('/proc/loadavg').read().strip()}")

    if not a.only or "start" in a.only:
        for method in ("spawn", "fork"):
            ctx = mp.get_context(method)
            ms = []
            for _ in range(a.starts):
                t = time.perf_counter()
                pr = ctx.Process(target=noop)
                pr.start()
                pr.join()
                ms.append((time.perf_counter() - t) * 1e3)
            report(f"{method}_start_to_exit", ms, "ms")

    if not a.only or "map" in a.only:
        c1, cd, aa = [], [], []
        with mp.get_context("fork").Pool(2) as pool:
            for r in range(-max(1, a.warmup), a.rounds):
                t = time.perf_counter()
                out = pool.map(inc, range(a.tasks), chunksize=1)
                x = a.tasks / (time.perf_counter() - t)
                assert out[-1] == a.tasks
                t = time.perf_counter()
                out = pool.map(inc, range(a.tasks))
                y = a.tasks / (time.perf_counter() - t)
                t = time.perf_counter()
                rs = [pool.apply_async(inc, (i,)) for i in range(a.async_tasks)]
                for res in rs:
                    res.get()
                z = a.async_tasks / (time.perf_counter() - t)
                if r >= 0:
                    c1.append(x)
                    cd.append(y)
                    aa.append(z)
        report("map_chunk1", c1, "tasks/s")
        report("map_default", cd, "tasks/s")
        report("apply_async", aa, "tasks/s")

    if not a.only or "cpu" in a.only:
        rs = ranges(a.limit, 48)
        secs = {}
        for n in (1, 2):
            with mp.get_context("fork").Pool(n) as pool:
                secs[n] = []
                for r in range(-1, a.rounds):
                    t = time.perf_counter()
                    total = sum(pool.map(count_primes, rs, chunksize=1))
                    assert total > 0
                    if r >= 0:
                        secs[n].append(time.perf_counter() - t)
        report("cpu_1_worker", secs[1], "s")
        report("cpu_2_workers", secs[2], "s")
        report("cpu_speedup", [x / y for x, y in zip(secs[1], secs[2])], "x")


if __name__ == "__main__":
    main()
