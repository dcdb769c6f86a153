package dev.shmkit.benchmarks;

import dev.shmkit.objects.SharedArray;
import dev.shmkit.objects.SharedList;
import dev.shmkit.objects.SharedMap;
import dev.shmkit.objects.SharedValue;
import dev.shmkit.queue.Codec;
import dev.shmkit.shm.SharedMemory;
import dev.shmkit.sync.SharedBarrier;
import dev.shmkit.sync.SharedLock;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Shared objects, one thread, nobody else using them (the cross-process cost is measured by
 * {@link CrossProcess}, a plain {@code main} in this file):
 *
 * <ul>
 *   <li>{@link #valueIncrementAndGet}: {@code SharedValue.OfLong.incrementAndGet()}, one
 *       {@code lock xadd} on the shared word. Compare {@link #atomicLongIncrementAndGet}
 *       ({@link AtomicLong}, in-process) and Python's {@code multiprocessing.Value}
 *       ({@code benchmarks/python/value_bench.py}: {@code with v.get_lock(): v.value += 1}).</li>
 *   <li>{@link #valueLockedIncrement}: Python's idiom done the same way in Java: take the value's
 *       {@link SharedLock}, {@code set(get() + 1)}, unlock.</li>
 *   <li>{@link #valueDoubleAddAndGet}: {@code SharedValue.OfDouble.addAndGet(1.0)}, a
 *       compare-and-set loop on the raw bits.</li>
 *   <li>{@link #arrayGetAndAdd}: {@code SharedArray.OfLong.getAndAdd(i, 1)} over 1024 elements.</li>
 *   <li>{@link #mapGet} / {@link #mapPut}: {@code SharedMap<String, Long>} (string keys, longs
 *       codec) holding 1024 entries: a lock-free get of a present key, and a put replacing the
 *       value of a present key (under the map's lock, writing a new record; the garbage is
 *       compacted away every ~30,000 puts, amortized in the figure). Compare {@link #chmGet} /
 *       {@link #chmPut} on an in-process {@link ConcurrentHashMap}, and Python's
 *       {@code Manager().dict()} in {@code value_bench.py}.</li>
 *   <li>{@link #listGet}: {@code SharedList<Long>.get(i)} over 1024 elements.</li>
 * </ul>
 *
 * Every object is a named POSIX object of its own, created in {@code @Setup} after removing any
 * stale one of the same name and unlinked in {@code @TearDown}.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
@State(Scope.Thread)
public class ObjectsBenchmark {
    static final int KEYS = 1024;

    private SharedValue.OfLong counter;
    private SharedValue.OfLong lockedCounter;
    private SharedLock lock;
    private SharedValue.OfDouble dbl;
    private SharedArray.OfLong array;
    private SharedMap<String, Long> map;
    private SharedList<Long> list;
    private final AtomicLong atomic = new AtomicLong();
    private final ConcurrentHashMap<String, Long> chm = new ConcurrentHashMap<>();
    private final String[] keys = new String[KEYS];
    private int i;
    private long v;
    private String base;

    private List<String> names() {
        return List.of(base + "-counter", base + "-locked", base + "-double", base + "-array", base + "-map", base + "-list");
    }

    @Setup(Level.Trial)
    public void setUp() {
        base = "shmkit-bench-" + ProcessHandle.current().pid() + "-" + Thread.currentThread().threadId() + "-obj";
        names().forEach(SharedMemory::unlink);
        try {
            counter = SharedValue.OfLong.create(base + "-counter", 0);
            lockedCounter = SharedValue.OfLong.create(base + "-locked", 0, true);
            lock = lockedCounter.lock();
            dbl = SharedValue.OfDouble.create(base + "-double", 0.0);
            array = SharedArray.OfLong.create(base + "-array", KEYS);
            map = SharedMap.create(base + "-map", Codec.string(), Codec.longs(), 2 * KEYS, 1 << 20);
            list = SharedList.create(base + "-list", Codec.longs(), KEYS, 1 << 16);
            for (int k = 0; k < KEYS; k++) {
                keys[k] = String.format(Locale.ROOT, "key-%04d", k);
                map.put(keys[k], (long) k);
                chm.put(keys[k], (long) k);
                list.add((long) k);
            }
        } catch (RuntimeException | Error e) {
            tearDown();
            throw e;
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        for (AutoCloseable c : new AutoCloseable[] {counter, lockedCounter, dbl, array, map, list}) {
            if (c == null) continue;
            try {
                c.close();
            } catch (Exception ignored) {
                // unlinked below anyway
            }
        }
        names().forEach(SharedMemory::unlink);
    }

    @Benchmark
    public long valueIncrementAndGet() {
        return counter.incrementAndGet();
    }

    @Benchmark
    public long valueLockedIncrement() {
        lock.lock();
        try {
            long n = lockedCounter.get() + 1;
            lockedCounter.set(n);
            return n;
        } finally {
            lock.unlock();
        }
    }

    @Benchmark
    public long atomicLongIncrementAndGet() {
        return atomic.incrementAndGet();
    }

    @Benchmark
    public double valueDoubleAddAndGet() {
        return dbl.addAndGet(1.0);
    }

    @Benchmark
    public long arrayGetAndAdd() {
        return array.getAndAdd(i++ & (KEYS - 1), 1);
    }

    @Benchmark
    public Long mapGet() {
        return map.get(keys[i++ & (KEYS - 1)]);
    }

    @Benchmark
    public Long chmGet() {
        return chm.get(keys[i++ & (KEYS - 1)]);
    }

    @Benchmark
    public Long mapPut() {
        return map.put(keys[i++ & (KEYS - 1)], v++);
    }

    @Benchmark
    public Long chmPut() {
        return chm.put(keys[i++ & (KEYS - 1)], v++);
    }

    @Benchmark
    public Long listGet() {
        return list.get(i++ & (KEYS - 1));
    }

    /**
     * Cross-process increments of one {@code SharedValue.OfLong}: the parent and a child JVM
     * (same class path) each add 1 {@code -N} times (default 2,000,000), starting together at a
     * {@link SharedBarrier}; the figure is the wall time until both finished over all increments.
     * Two ways: {@code atomic} ({@code incrementAndGet()}) and {@code locked} (the value's lock
     * around {@code set(get() + 1)}, Python's {@code with v.get_lock(): v.value += 1}). The total
     * is checked. Both JVMs warm up first (5 x 500,000 increments each, alone); one-process loops
 * of each are printed as references. Prints
     * {@code objects <scenario> ns_per_increment <value>} lines.
     *
     * <pre>java --enable-native-access=ALL-UNNAMED -cp benchmarks/target/benchmarks.jar 'dev.shmkit.benchmarks.ObjectsBenchmark$CrossProcess' [-N 2000000]</pre>
     */
    public static final class CrossProcess {
        private CrossProcess() {}

        public static void main(String[] args) throws Exception {
            if (args.length > 0 && args[0].equals("--child")) {
                child(args[1], args[2], args[3], Long.parseLong(args[4]));
                return;
            }
            long n = args.length > 1 && args[0].equals("-N") ? Long.parseLong(args[1]) : 2_000_000;
            String base = "shmkit-bench-" + ProcessHandle.current().pid() + "-xpo";
            String valueName = base + "-value";
            String barrierName = base + "-barrier";
            String doneName = base + "-done";
            Runtime.getRuntime().addShutdownHook(new Thread(() -> List.of(valueName, barrierName, doneName).forEach(SharedMemory::unlink)));
            for (String mode : new String[] {"atomic", "locked"}) {
                try (SharedValue.OfLong value = SharedValue.OfLong.create(valueName, 0, true)) {
                    for (int w = 0; w < 5; w++) loop(value, mode, Math.min(n, 500_000)); // JIT warm-up
                    value.set(0);
                    long t0 = System.nanoTime();
                    loop(value, mode, n);
                    double single = (System.nanoTime() - t0) / (double) n;
                    System.out.printf(Locale.ROOT, "objects value_%s_1proc ns_per_increment %.1f%n", mode, single);
                    value.set(0);
                    try (SharedBarrier barrier = SharedBarrier.create(barrierName, 2);
                         SharedValue.OfLong done = SharedValue.OfLong.create(doneName, 0)) {
                        Process child = childJvm(valueName, barrierName, doneName, mode, n);
                        try {
                            barrier.await(60, TimeUnit.SECONDS);
                            long start = System.nanoTime();
                            loop(value, mode, n);
                            done.incrementAndGet();
                            while (done.get() < 2) {
                                if (!child.isAlive() && done.get() < 2) throw new IllegalStateException("the child died: " + child.exitValue());
                                Thread.onSpinWait();
                            }
                            double both = (System.nanoTime() - start) / (2.0 * n);
                            if (value.get() != 2 * n) throw new IllegalStateException("lost increments: " + value.get() + " != " + 2 * n);
                            System.out.printf(Locale.ROOT, "objects value_%s_2proc ns_per_increment %.1f%n", mode, both);
                            if (child.waitFor() != 0) throw new IllegalStateException("child exit status " + child.exitValue());
                        } finally {
                            if (child.isAlive()) child.destroyForcibly();
                            SharedMemory.unlink(barrierName);
                            SharedMemory.unlink(doneName);
                        }
                    }
                } finally {
                    SharedMemory.unlink(valueName);
                }
            }
        }

        private static void loop(SharedValue.OfLong value, String mode, long n) {
            if (mode.equals("atomic")) {
                for (long k = 0; k < n; k++) value.incrementAndGet();
                return;
            }
            SharedLock lock = value.lock();
            for (long k = 0; k < n; k++) {
                lock.lock();
                try {
                    value.set(value.get() + 1);
                } finally {
                    lock.unlock();
                }
            }
        }

        private static Process childJvm(String value, String barrier, String done, String mode, long n) throws java.io.IOException {
            List<String> cmd = new ArrayList<>();
            cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
            cmd.add("--enable-native-access=ALL-UNNAMED");
            cmd.add("-cp");
            cmd.add(System.getProperty("java.class.path"));
            cmd.add(CrossProcess.class.getName());
            cmd.addAll(List.of("--child", value, barrier, done + "|" + mode, Long.toString(n)));
            return new ProcessBuilder(cmd).inheritIO().start();
        }

        private static void child(String valueName, String barrierName, String doneAndMode, long n) throws Exception {
            String doneName = doneAndMode.substring(0, doneAndMode.indexOf('|'));
            String mode = doneAndMode.substring(doneAndMode.indexOf('|') + 1);
            try (SharedValue.OfLong value = SharedValue.OfLong.open(valueName);
                 SharedBarrier barrier = SharedBarrier.open(barrierName);
                 SharedValue.OfLong done = SharedValue.OfLong.open(doneName)) {
                for (int w = 0; w < 5; w++) loop(value, mode, Math.min(n, 500_000)); // JIT warm-up, on the same word
                value.getAndAdd(-5 * Math.min(n, 500_000));
                barrier.await(60, TimeUnit.SECONDS);
                loop(value, mode, n);
                done.incrementAndGet();
            }
        }
    }
}
