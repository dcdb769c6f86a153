package dev.shmkit.demos;

import dev.shmkit.process.ProcessPool;

import java.awt.Color;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;

/**
 * Course days 2 and 5: CPU-bound work (counting primes) on 1, 2, ... N worker processes, the
 * measured speed-up against Amdahl's law, as a table and as a PNG chart.
 *
 * <p>Amdahl: with a parallel fraction {@code p} of the work, {@code n} workers give at most
 * {@code S(n) = 1 / ((1 - p) + p / n)}. The demo estimates the serial fraction {@code 1 - p}
 * from its own measurements (the Karp–Flatt metric at the largest worker count that has a CPU of
 * its own) and draws the curve it implies beside the ideal line and the measurements. Past the
 * number of CPUs, more workers only share the same cores.
 *
 * <pre>bin/shmkit-java dev.shmkit.demos.SpeedupDemo [LIMIT [MAX_WORKERS [CHART.png]]]</pre>
 */
public final class SpeedupDemo {
    private SpeedupDemo() {}

    public static void main(String[] args) throws Exception {
        long limit = args.length > 0 ? Long.parseLong(args[0]) : 3_000_000;
        int cpus = Runtime.getRuntime().availableProcessors();
        int maxWorkers = args.length > 1 ? Integer.parseInt(args[1]) : Math.max(2, cpus + 1);
        Path chart = Path.of(args.length > 2 ? args[2] : "build/demos/speedup.png");
        int parts = 48;
        List<long[]> ranges = Primes.ranges(limit, parts);

        long t = System.nanoTime();
        long expected = 0;
        for (long[] r : ranges) expected += Primes.count(r[0], r[1]);
        double inProcess = (System.nanoTime() - t) / 1e9;
        System.out.printf(Locale.ROOT, "counting the primes below %,d in %d ranges; %d CPUs%n", limit, parts, cpus);
        System.out.printf(Locale.ROOT, "in this process, one thread: %.2f s (%,d primes)%n%n", inProcess, expected);

        double[] workers = new double[maxWorkers];
        double[] seconds = new double[maxWorkers];
        for (int n = 1; n <= maxWorkers; n++) {
            try (ProcessPool pool = ProcessPool.builder().workers(n).name("speedup-" + n).build()) {
                pool.awaitReady(Duration.ofSeconds(120)); // start-up is not part of the measurement
                pool.map(SpeedupDemo::countRange, Primes.ranges(limit / 10, parts), 1); // warm up the JIT in every worker
                long s = System.nanoTime();
                List<Long> counts = pool.map(SpeedupDemo::countRange, ranges, 1);
                seconds[n - 1] = (System.nanoTime() - s) / 1e9;
                long total = counts.stream().mapToLong(Long::longValue).sum();
                if (total != expected) throw new IllegalStateException("wrong count " + total + " with " + n + " workers");
            }
            workers[n - 1] = n;
        }

        double[] speedup = new double[maxWorkers];
        for (int i = 0; i < maxWorkers; i++) speedup[i] = seconds[0] / seconds[i];
        // Karp-Flatt: the experimentally determined serial fraction e = (1/S - 1/n) / (1 - 1/n).
        int ref = Math.min(cpus, maxWorkers);
        double serial = ref < 2 ? 0 : Math.max(0, Math.min(1, (1 / speedup[ref - 1] - 1.0 / ref) / (1 - 1.0 / ref)));
        double[] amdahl = new double[maxWorkers];
        for (int i = 0; i < maxWorkers; i++) {
            int n = i + 1;
            int effective = Math.min(n, cpus); // beyond the CPUs, workers share cores
            amdahl[i] = 1 / (serial + (1 - serial) / effective);
        }

        System.out.println("workers   time (s)   speed-up   efficiency   Amdahl (serial fraction " + String.format(Locale.ROOT, "%.3f", serial) + ")");
        for (int i = 0; i < maxWorkers; i++) {
            System.out.printf(Locale.ROOT, "%7d   %8.2f   %7.2fx   %9.0f%%   %7.2fx%s%n", i + 1, seconds[i], speedup[i],
                    100 * speedup[i] / Math.min(i + 1, cpus), amdahl[i], i + 1 > cpus ? "   (more workers than CPUs)" : "");
        }
        double[] ideal = new double[maxWorkers];
        for (int i = 0; i < maxWorkers; i++) ideal[i] = Math.min(i + 1, cpus);
        new LineChart("Prime counting: speed-up with worker processes (" + cpus + " CPUs)", "worker processes", "speed-up")
                .add("ideal (one CPU per worker)", new Color(120, 120, 120), workers, ideal, true)
                .add(String.format(Locale.ROOT, "Amdahl, serial fraction %.3f", serial), new Color(214, 120, 20), workers, amdahl, true)
                .add("measured", new Color(30, 90, 200), workers, speedup, false)
                .marker(cpus, cpus + " CPUs")
                .write(chart);
        System.out.println("\nchart: " + chart.toAbsolutePath());
        System.out.printf(Locale.ROOT, "speed-up with %d workers: %.2fx%n", ref, speedup[ref - 1]);
    }

    /** One task: the primes in one range. */
    static long countRange(long[] range) {
        return Primes.count(range[0], range[1]);
    }
}
