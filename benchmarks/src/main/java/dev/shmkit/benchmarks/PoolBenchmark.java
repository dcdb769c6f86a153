package dev.shmkit.benchmarks;

import dev.shmkit.process.ChildProcess;
import dev.shmkit.process.ProcessPool;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.stream.IntStream;

/**
 * Process pools and child processes (issue #6): a plain {@code main} like
 * {@link CrossProcessSync}, since what is measured spans several JVMs. Prints one
 * {@code pool <metric> <value> <unit>} line per figure, the median of {@code --rounds} rounds
 * after {@code --warmup} unmeasured ones (the JIT needs about a million small tasks in the workers
 * to reach its steady state; the first, cold round is printed as well), with the spread on a
 * {@code #} line. Compare with
 * {@code benchmarks/python/pool_bench.py} (the same work with Python's multiprocessing).
 *
 * <ul>
 *   <li>{@code child_start_to_result}, {@code child_start_to_exit}: {@link ChildProcess#start}
 *       of a trivial callable until its result is back (JVM start, shmkit's child set-up, the
 *       task), and until the child has exited (Python's spawn figure is start to exit).</li>
 *   <li>{@code worker_ready}: a 1-worker {@link ProcessPool} from {@code build()} until
 *       {@code awaitReady}; with {@code --startup-cache DIR} also with a JDK AOT cache
 *       ({@code worker_ready_aot}, recorded first if missing).</li>
 *   <li>{@code map_chunk1}, {@code map_default}: {@code map(x -> x + 1)} over {@code --tasks}
 *       {@code Integer}s on 2 workers, chunk size 1 and the pool's own choice, in tasks/s.</li>
 *   <li>{@code apply_async}: {@code --async-tasks} {@code applyAsync} calls, in tasks/s.</li>
 *   <li>{@code cpu_1_worker}, {@code cpu_2_workers}, {@code cpu_speedup}: counting primes below
 *       {@code --limit} in 48 ranges, chunk size 1.</li>
 * </ul>
 *
 * <pre>java --enable-native-access=ALL-UNNAMED -cp benchmarks/target/benchmarks.jar dev.shmkit.benchmarks.PoolBenchmark [--rounds 5] ...</pre>
 */
public final class PoolBenchmark {
    private PoolBenchmark() {}

    public static void main(String[] args) throws Exception {
        int rounds = 5;
        int warmup = 10;
        int tasks = 100_000;
        int asyncTasks = 20_000;
        long limit = 3_000_000;
        int starts = 5;
        Path cache = null;
        String only = "";
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--rounds" -> rounds = Integer.parseInt(args[++i]);
                case "--warmup" -> warmup = Integer.parseInt(args[++i]);
                case "--tasks" -> tasks = Integer.parseInt(args[++i]);
                case "--async-tasks" -> asyncTasks = Integer.parseInt(args[++i]);
                case "--limit" -> limit = Long.parseLong(args[++i]);
                case "--starts" -> starts = Integer.parseInt(args[++i]);
                case "--startup-cache" -> cache = Path.of(args[++i]);
                case "--only" -> only = args[++i];
                default -> throw new IllegalArgumentException("unknown option " + args[i]);
            }
        }
        System.out.println("# " + Runtime.version() + ", " + Runtime.getRuntime().availableProcessors() + " CPUs, load "
                + Files.readString(Path.of("/proc/loadavg")).trim());
        if (only.isEmpty() || only.contains("start")) startup(starts, cache);
        if (only.isEmpty() || only.contains("map")) throughput(rounds, warmup, tasks, asyncTasks);
        if (only.isEmpty() || only.contains("cpu")) cpu(rounds, limit);
    }

    private static void startup(int starts, Path cache) throws Exception {
        double[] child = new double[starts];
        double[] exit = new double[starts];
        for (int i = 0; i < starts; i++) {
            long t = System.nanoTime();
            ChildProcess<Integer> c = ChildProcess.start(() -> 42);
            if (c.result() != 42) throw new IllegalStateException();
            child[i] = (System.nanoTime() - t) / 1e6;
            c.join();
            exit[i] = (System.nanoTime() - t) / 1e6;
        }
        report("child_start_to_result", child, "ms");
        report("child_start_to_exit", exit, "ms");
        report("worker_ready", workerReady(starts, null), "ms");
        if (cache != null) {
            // The first pool records the cache in a background JVM; wait until it is in place.
            try (ProcessPool p = ProcessPool.builder().workers(1).startupCache(cache).build()) {
                p.awaitReady(Duration.ofSeconds(120));
            }
            for (int i = 0; i < 600 && !hasCache(cache); i++) Thread.sleep(100);
            if (hasCache(cache)) report("worker_ready_aot", workerReady(starts, cache), "ms");
            else System.out.println("# no AOT cache was recorded in " + cache + " (class path with directories?)");
        }
    }

    private static boolean hasCache(Path dir) throws Exception {
        if (!Files.isDirectory(dir)) return false;
        try (var s = Files.list(dir)) {
            return s.anyMatch(p -> p.getFileName().toString().endsWith(".aot"));
        }
    }

    private static double[] workerReady(int starts, Path cache) throws Exception {
        double[] ms = new double[starts];
        for (int i = 0; i < starts; i++) {
            long t = System.nanoTime();
            ProcessPool.Builder b = ProcessPool.builder().workers(1);
            if (cache != null) b.startupCache(cache);
            try (ProcessPool p = b.build()) {
                if (!p.awaitReady(Duration.ofSeconds(120))) throw new IllegalStateException("not ready");
                ms[i] = (System.nanoTime() - t) / 1e6;
            }
        }
        return ms;
    }

    private static void throughput(int rounds, int warmup, int tasks, int asyncTasks) throws Exception {
        List<Integer> inputs = IntStream.range(0, tasks).boxed().toList();
        List<Integer> asyncInputs = inputs.subList(0, asyncTasks);
        double[] chunk1 = new double[rounds];
        double[] chunkDefault = new double[rounds];
        double[] async = new double[rounds];
        try (ProcessPool pool = ProcessPool.builder().workers(2).name("bench").build()) {
            pool.awaitReady(Duration.ofSeconds(120));
            for (int r = -Math.max(1, warmup); r < rounds; r++) { // the negative rounds warm up
                long t = System.nanoTime();
                List<Integer> out = pool.map(x -> x + 1, inputs, 1);
                double a = tasks / ((System.nanoTime() - t) / 1e9);
                check(out, tasks);
                t = System.nanoTime();
                out = pool.map(x -> x + 1, inputs);
                double b = tasks / ((System.nanoTime() - t) / 1e9);
                check(out, tasks);
                t = System.nanoTime();
                List<CompletableFuture<Integer>> fs = new ArrayList<>(asyncTasks);
                for (Integer x : asyncInputs) fs.add(pool.applyAsync((Integer v) -> v + 1, x));
                CompletableFuture.allOf(fs.toArray(CompletableFuture[]::new)).join();
                double c = asyncTasks / ((System.nanoTime() - t) / 1e9);
                if (r == -Math.max(1, warmup)) {
                    System.out.printf(Locale.ROOT, "# cold (first round): map_chunk1 %.4g, map_default %.4g, apply_async %.4g tasks/s%n", a, b, c);
                }
                if (r >= 0) {
                    chunk1[r] = a;
                    chunkDefault[r] = b;
                    async[r] = c;
                }
            }
        }
        report("map_chunk1", chunk1, "tasks/s");
        report("map_default", chunkDefault, "tasks/s");
        report("apply_async", async, "tasks/s");
    }

    private static void check(List<Integer> out, int tasks) {
        if (out.size() != tasks || out.get(tasks - 1) != tasks) throw new IllegalStateException("wrong results");
    }

    private static void cpu(int rounds, long limit) throws Exception {
        List<long[]> ranges = ranges(limit, 48);
        double[][] secs = new double[2][rounds];
        for (int n = 1; n <= 2; n++) {
            try (ProcessPool pool = ProcessPool.builder().workers(n).build()) {
                pool.awaitReady(Duration.ofSeconds(120));
                for (int r = -1; r < rounds; r++) {
                    long t = System.nanoTime();
                    long total = pool.map(PoolBenchmark::countPrimes, ranges, 1).stream().mapToLong(Long::longValue).sum();
                    if (total <= 0) throw new IllegalStateException();
                    if (r >= 0) secs[n - 1][r] = (System.nanoTime() - t) / 1e9;
                }
            }
        }
        report("cpu_1_worker", secs[0], "s");
        report("cpu_2_workers", secs[1], "s");
        double[] speedup = new double[rounds];
        for (int r = 0; r < rounds; r++) speedup[r] = secs[0][r] / secs[1][r];
        report("cpu_speedup", speedup, "x");
    }

    static long countPrimes(long[] range) {
        long n = 0;
        for (long x = Math.max(2, range[0]); x < range[1]; x++) {
            boolean prime = x == 2 || (x & 1) == 1;
            for (long d = 3; prime && d * d <= x; d += 2) if (x % d == 0) prime = false;
            if (prime) n++;
        }
        return n;
    }

    static List<long[]> ranges(long limit, int parts) {
        List<long[]> r = new ArrayList<>();
        double total = Math.pow(limit, 1.5);
        long prev = 0;
        for (int i = 1; i <= parts; i++) {
            long next = i == parts ? limit : (long) Math.pow(total * i / parts, 1 / 1.5);
            r.add(new long[] {prev, next});
            prev = next;
        }
        return r;
    }

    private static void report(String metric, double[] values, String unit) {
        double[] v = values.clone();
        Arrays.sort(v);
        double median = v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
        System.out.printf(Locale.ROOT, "pool %s %.4g %s%n", metric, median, unit);
        System.out.printf(Locale.ROOT, "# %s: min %.4g max %.4g over %d%n", metric, v[0], v[v.length - 1], v.length);
    }
}
