package dev.shmkit.demos;

import dev.shmkit.process.ChildProcess;
import dev.shmkit.process.ProcessPool;
import dev.shmkit.process.WorkerCrashedException;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Course day 5: a thread pool beside a process pool. In Python the lesson is parallelism: threads
 * share one interpreter lock, processes do not. Java has no such lock, so both pools run the same
 * CPU-bound work about equally fast. The lesson here is isolation: a task that brings its process
 * down (a fatal error, {@code System.exit}, a crash in native code, simulated with
 * {@code Runtime.halt}) takes a whole thread pool and every result with it, but only one worker of
 * a process pool, which is replaced while the other tasks complete.
 *
 * <pre>bin/shmkit-java dev.shmkit.demos.PoolVsThreadsDemo [LIMIT]</pre>
 */
public final class PoolVsThreadsDemo {
    private PoolVsThreadsDemo() {}

    static final int TASKS = 8;
    static final int CRASHING_TASK = 3;

    public static void main(String[] args) throws Exception {
        long limit = args.length > 0 ? Long.parseLong(args[0]) : 2_000_000;
        int n = Math.max(2, Runtime.getRuntime().availableProcessors());
        List<long[]> ranges = Primes.ranges(limit, 4 * n);

        System.out.println("1. The same CPU-bound work on " + n + " threads and on " + n + " worker processes");
        double threads;
        try (ExecutorService pool = Executors.newFixedThreadPool(n)) {
            timeThreads(pool, Primes.ranges(limit / 10, 4 * n)); // warm-up
            threads = timeThreads(pool, ranges);
        }
        double processes;
        try (ProcessPool pool = ProcessPool.builder().workers(n).name("vs-threads").build()) {
            pool.awaitReady(Duration.ofSeconds(120));
            pool.map(SpeedupDemo::countRange, Primes.ranges(limit / 10, 4 * n), 1); // warm-up
            long t = System.nanoTime();
            pool.map(SpeedupDemo::countRange, ranges, 1);
            processes = (System.nanoTime() - t) / 1e9;
        }
        System.out.printf(Locale.ROOT, "   thread pool:  %.2f s%n   process pool: %.2f s  (no GIL in Java: threads are parallel too)%n%n", threads, processes);

        System.out.println("2. Isolation: task " + CRASHING_TASK + " of " + TASKS + " brings its process down (Runtime.halt)");
        // The thread pool has to run in a JVM of its own, or this demo would die with it.
        try (ChildProcess<String> jvm = ChildProcess.builder().name("thread-pool-jvm").start(PoolVsThreadsDemo::threadPoolWithACrash)) {
            jvm.join();
            System.out.println("   thread pool: its JVM " + jvm.exitStatus().orElseThrow() + "; results it returned: "
                    + (jvm.exception().isEmpty() && jvm.exitCode().orElseThrow() == 0 ? "all" : "none, all " + TASKS + " lost"));
        }
        try (ProcessPool pool = ProcessPool.builder().workers(n).name("isolation").build()) {
            List<CompletableFuture<String>> futures = new ArrayList<>();
            for (int i = 0; i < TASKS; i++) {
                int k = i;
                futures.add(pool.submit(() -> task(k)));
            }
            int ok = 0;
            for (int i = 0; i < TASKS; i++) {
                try {
                    futures.get(i).get();
                    ok++;
                } catch (ExecutionException e) {
                    WorkerCrashedException c = (WorkerCrashedException) e.getCause();
                    System.out.println("   process pool: task " + i + " failed: " + c.getMessage());
                }
            }
            System.out.println("   process pool: " + ok + " of " + TASKS + " results; workers started " + pool.stats().workersStarted()
                    + ", crashed " + pool.stats().workersCrashed() + "; the pool goes on: " + pool.map(x -> x * 2, List.of(1, 2, 3)));
        }
    }

    private static double timeThreads(ExecutorService pool, List<long[]> ranges) throws Exception {
        long t = System.nanoTime();
        List<Future<Long>> fs = new ArrayList<>();
        for (long[] r : ranges) fs.add(pool.submit(() -> Primes.count(r[0], r[1])));
        for (Future<Long> f : fs) f.get();
        return (System.nanoTime() - t) / 1e9;
    }

    /** One task: a little work; the crashing one halts its JVM as a fatal error would. */
    static String task(int k) {
        Primes.count(0, 20_000);
        if (k == CRASHING_TASK) Runtime.getRuntime().halt(70);
        return "task " + k + " done in " + ProcessHandle.current().pid();
    }

    /** Runs in a child JVM: the same tasks on a thread pool. */
    static String threadPoolWithACrash() throws Exception {
        try (ExecutorService pool = Executors.newFixedThreadPool(2)) {
            List<Future<String>> fs = new ArrayList<>();
            for (int i = 0; i < TASKS; i++) {
                int k = i;
                fs.add(pool.submit(() -> task(k)));
            }
            StringBuilder b = new StringBuilder();
            for (Future<String> f : fs) b.append(f.get()).append('\n');
            return b.toString();
        }
    }
}
