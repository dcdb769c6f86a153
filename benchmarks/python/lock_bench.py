#!/usr/bin/env python3
"""Python's multiprocessing locks, the baseline for shmkit's LockBenchmark and CrossProcessSync
(see docs/benchmarks.md). Standard library only; Linux (fork start method).

Prints one line per measurement, `python <metric> <value>` (the unit ends the metric's name):

    python loop_overhead_ns <v>              an empty `for` loop iteration, included in the figures below
    python lock_acquire_release_ns <v>       multiprocessing.Lock: acquire() + release(), uncontended
    python rlock_acquire_release_ns <v>      multiprocessing.RLock: the same
    python semaphore_try_release_ns <v>      multiprocessing.Semaphore(1): acquire(False) + release()
    python event_is_set_ns <v>               multiprocessing.Event: is_set()
    python pingpong_lock_pair_{steady,idle}_rtt_{p50,p99}_us <v>
                                             two processes, two Locks held as semaphores: the initiator
                                             releases `ping` and acquires `pong`, the responder the reverse
    python pingpong_event_pair_{steady,idle}_rtt_{p50,p99}_us <v>
                                             two Events: set / wait / clear each way
    python lock_contended_ops_per_s <v>      two processes, each acquiring and releasing one Lock with a
                                             counter increment inside, for --seconds; total pairs per second

"steady" round trips run back to back; "idle" ones sleep --pause-us (1000) in the initiator first.
The spread (uncontended: round means; ping-pong: mean, min, max) goes to stderr.
"""
import argparse
import multiprocessing as mp
import os
import resource
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


def uncontended(n, rounds):
    lock, rlock, sem, event = mp.Lock(), mp.RLock(), mp.Semaphore(1), mp.Event()

    def empty(k):
        for _ in range(k):
            pass

    def lock_pair(k, acq=lock.acquire, rel=lock.release):
        for _ in range(k):
            acq()
            rel()

    def rlock_pair(k, acq=rlock.acquire, rel=rlock.release):
        for _ in range(k):
            acq()
            rel()

    def sem_pair(k, acq=sem.acquire, rel=sem.release):
        for _ in range(k):
            if acq(False):
                rel()

    def is_set(k, f=event.is_set):
        for _ in range(k):
            f()

    report("loop_overhead_ns", per_op_ns(empty, n, rounds))
    report("lock_acquire_release_ns", per_op_ns(lock_pair, n, rounds))
    report("rlock_acquire_release_ns", per_op_ns(rlock_pair, n, rounds))
    report("semaphore_try_release_ns", per_op_ns(sem_pair, n, rounds))
    report("event_is_set_ns", per_op_ns(is_set, n // 10, rounds))


# ---------------------------------------------------------------------- two processes

def lock_responder(ping, pong, total):
    for _ in range(total):
        if not ping.acquire(timeout=30):
            os._exit(3)
        pong.release()


def event_responder(ping, pong, total):
    for _ in range(total):
        if not ping.wait(timeout=30):
            os._exit(3)
        ping.clear()
        pong.set()


def switches():
    """The calling thread's voluntary (it slept) and involuntary (it was preempted) context switches."""
    ru = resource.getrusage(resource.RUSAGE_THREAD)
    return ru.ru_nvcsw, ru.ru_nivcsw


def report_rtt(metric, rtt_ns, before, after, pacing):
    """pacing: voluntary switches per round trip owed to the initiator's pause, not to the handoff."""
    rtt = sorted(rtt_ns)
    n = len(rtt)
    p50, p99 = rtt[n // 2] / 1000, rtt[int(n * 0.99)] / 1000
    print(f"python {metric}_rtt_p50_us {p50:.2f}", flush=True)
    print(f"python {metric}_rtt_p99_us {p99:.2f}", flush=True)
    print(f"# {metric}: {n} round trips, mean {statistics.fmean(rtt) / 1000:.2f} "
          f"min {rtt[0] / 1000:.2f} max {rtt[-1] / 1000:.2f} us; initiator sleeps "
          f"{(after[0] - before[0]) / n - pacing:.2f}, preemptions {(after[1] - before[1]) / n:.2f} per round trip",
          file=sys.stderr)


def pingpong(name, kind, warm, steady, idle, pause_s):
    total = warm + steady + idle
    if kind == "lock":
        ping, pong = mp.Lock(), mp.Lock()
        ping.acquire()
        pong.acquire()  # both start taken: a release is a ping, an acquire waits for one

        def one():
            ping.release()
            if not pong.acquire(timeout=30):
                raise RuntimeError("no pong within 30 s")
        child = mp.Process(target=lock_responder, args=(ping, pong, total), daemon=True)
    else:
        ping, pong = mp.Event(), mp.Event()

        def one():
            ping.set()
            if not pong.wait(timeout=30):
                raise RuntimeError("no pong within 30 s")
            pong.clear()
        child = mp.Process(target=event_responder, args=(ping, pong, total), daemon=True)
    child.start()
    try:
        rtt = []
        sw = [None, None, None]
        clock = time.perf_counter_ns
        for i in range(total):
            if i == warm:
                sw[0] = switches()
            if i == warm + steady:
                sw[1] = switches()
            if i >= warm + steady:
                time.sleep(pause_s)
            t0 = clock()
            one()
            if i >= warm:
                rtt.append(clock() - t0)
    finally:
        child.join(timeout=30)
        if child.is_alive():
            child.kill()
    if child.exitcode != 0:
        raise RuntimeError(f"responder exited with {child.exitcode}")
    sw[2] = switches()
    if sw[1] is None:
        sw[1] = sw[2]
    report_rtt(f"pingpong_{name}_steady", rtt[:steady], sw[0], sw[1], 0)
    if idle:
        report_rtt(f"pingpong_{name}_idle", rtt[steady:], sw[1], sw[2], 1)


def contended_worker(lock, counter, go, seconds, result):
    go.wait()
    end = time.perf_counter() + seconds
    ops = 0
    acq, rel = lock.acquire, lock.release
    while True:
        for _ in range(256):
            acq()
            counter.value += 1
            rel()
        ops += 256
        if time.perf_counter() >= end:
            break
    if result is None:
        return ops
    result.value = ops


def contended(seconds):
    lock = mp.Lock()
    counter = mp.RawValue("q", 0)  # protected by `lock`, not by a lock of its own
    child_ops = mp.RawValue("q", 0)
    go = mp.Event()
    child = mp.Process(target=contended_worker, args=(lock, counter, go, seconds, child_ops), daemon=True)
    child.start()
    time.sleep(0.2)  # let the child reach its start line
    t0 = time.perf_counter()
    go.set()
    mine = contended_worker(lock, counter, go, seconds, None)
    child.join(timeout=seconds + 30)
    elapsed = time.perf_counter() - t0
    if child.exitcode != 0:
        raise RuntimeError(f"contending child exited with {child.exitcode}")
    total = mine + child_ops.value
    if counter.value != total:
        raise RuntimeError(f"counter {counter.value} != {total} pairs: the lock failed")
    print(f"python lock_contended_ops_per_s {total / elapsed:.0f}", flush=True)
    print(f"# lock_contended: 2 processes, {elapsed:.2f} s, {total} pairs, initiator's share {mine / total:.2f}",
          file=sys.stderr)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("-n", "--iterations", type=int, default=1_000_000, help="uncontended operations per round (default 1000000)")
    p.add_argument("-r", "--rounds", type=int, default=5, help="uncontended measured rounds (default 5)")
    p.add_argument("-k", "--round-trips", type=int, default=20_000, help="steady ping-pong round trips (default 20000)")
    p.add_argument("-i", "--idle-round-trips", type=int, default=2_000, help="idle ping-pong round trips (default 2000)")
    p.add_argument("-p", "--pause-us", type=int, default=1000, help="initiator's pause before an idle round trip (default 1000)")
    p.add_argument("-t", "--seconds", type=float, default=1.0, help="contended run length (default 1)")
    args = p.parse_args()
    if sys.platform != "linux":
        sys.exit("lock_bench.py: Linux only (fork start method, like the C and Java programs)")
    mp.set_start_method("fork")

    uncontended(args.iterations, args.rounds)
    warm = max(1, args.round_trips // 4)
    pingpong("lock_pair", "lock", warm, args.round_trips, args.idle_round_trips, args.pause_us / 1e6)
    pingpong("event_pair", "event", warm, args.round_trips, args.idle_round_trips, args.pause_us / 1e6)
    contended(args.seconds)


if __name__ == "__main__":
    main()
