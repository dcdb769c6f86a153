#!/usr/bin/env python3
"""Throughput of Python's multiprocessing.Queue between two processes: the reference for
shmkit's SharedQueue<Integer> (docs/benchmarks.md, "Rings"). Standard library only.

A child process puts N small ints (0..1023, like the Java side's cached Integers) as fast as it
can; the parent gets them. One warm-up round, then ROUNDS measured rounds; prints the median as
    python-mp-queue-int msgs_per_s <value> msg/s
and the rounds on a '#' line.

    python3 benchmarks/python/queue_bench.py [-n MESSAGES] [-r ROUNDS] [--simple] [--cpus P,C]

--simple measures multiprocessing.SimpleQueue (no feeder thread) instead. --cpus P,C pins the
producer process (with its feeder thread) to CPU P and the consumer to CPU C, as the Java harness
(dev.shmkit.cli.RingBench, which runs this script) pins its producer to CPU 0 and consumer to CPU 1.
"""
import argparse
import multiprocessing as mp
import os
import statistics
import sys
import time


def produce(q, n, cpu):
    if cpu is not None:
        os.sched_setaffinity(0, {cpu})
    put = q.put
    for i in range(n):
        put(i & 1023)


def one_round(ctx, queue_type, n, cpu):
    q = ctx.SimpleQueue() if queue_type == "simple" else ctx.Queue()
    p = ctx.Process(target=produce, args=(q, n, cpu))
    get = q.get
    p.start()
    get()  # the clock starts when the first message arrives, as on the Java side
    t0 = time.perf_counter()
    for _ in range(n - 1):
        get()
    dt = time.perf_counter() - t0
    p.join()
    return (n - 1) / dt


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-n", type=int, default=300_000, help="messages per round (default 300000)")
    ap.add_argument("-r", "--rounds", type=int, default=5, help="measured rounds (default 5)")
    ap.add_argument("--simple", action="store_true", help="multiprocessing.SimpleQueue instead of Queue")
    ap.add_argument("--cpus", metavar="P,C", help="pin the producer to CPU P and the consumer to CPU C")
    a = ap.parse_args()
    producer_cpu = None
    if a.cpus:
        producer_cpu, consumer_cpu = (int(c) for c in a.cpus.split(","))
        os.sched_setaffinity(0, {consumer_cpu})
    ctx = mp.get_context("fork") if sys.platform.startswith("linux") else mp.get_context()
    kind = "simple" if a.simple else "queue"
    name = "python-mp-simplequeue-int" if a.simple else "python-mp-queue-int"
    one_round(ctx, kind, min(a.n, 50_000), producer_cpu)  # warm-up
    rates = [one_round(ctx, kind, a.n, producer_cpu) for _ in range(a.rounds)]
    print(f"{name} msgs_per_s {statistics.median(rates):.0f} msg/s")
    print(f"# {name}: rounds (k msg/s): " + " ".join(f"{r / 1e3:.0f}" for r in rates)
          + f"; {a.n} messages per round; {sys.version.split()[0]}"
          + (f"; producer on CPU {producer_cpu}, consumer on CPU {consumer_cpu}" if a.cpus else ""))


if __name__ == "__main__":
    main()
