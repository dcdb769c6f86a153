package dev.shmkit.demos;

import dev.shmkit.objects.SharedArray;
import dev.shmkit.objects.SharedValue;
import dev.shmkit.sync.SharedLock;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Course: shared state with {@code multiprocessing.Value} and {@code Array}, in Java processes.
 *
 * <ol>
 *   <li>The Python documentation's example: a child process sets a shared double and negates a
 *       shared int array in place; the parent sees both changes (no copying, no pickling).</li>
 *   <li>A shared counter incremented by several processes: {@code v.set(v.get() + 1)} loses
 *       updates; doing it under the value's lock ({@code with counter.get_lock():}) or with one
 *       atomic {@code incrementAndGet()} loses none.</li>
 *   <li>Pool-style numeric work: workers each fill their share of one big shared array, then the
 *       parent sums it without copying anything between processes.</li>
 * </ol>
 *
 * <pre>bin/shmkit-java dev.shmkit.demos.ValueArrayDemo [workers] [increments]</pre>
 */
public final class ValueArrayDemo {
    public static void main(String[] args) throws Exception {
        if (args.length > 0 && args[0].startsWith("--")) {
            child(args);
            return;
        }
        int workers = args.length > 0 ? Integer.parseInt(args[0]) : 3;
        int increments = args.length > 1 ? Integer.parseInt(args[1]) : 100_000;
        String tag = "/shmkit-demo-" + ProcessHandle.current().pid();

        System.out.println("1. Value and Array shared with a child process");
        try (SharedValue.OfDouble num = SharedValue.OfDouble.create(tag + "-num", 0.0);
             SharedArray.OfInt arr = SharedArray.OfInt.create(tag + "-arr", new int[] {0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, true)) {
            System.out.println("   parent: num = " + num.get() + ", arr = " + Arrays.toString(arr.toArray()));
            run(List.of(Jvm.demo(ValueArrayDemo.class, "--negate", num.name(), arr.name())));
            System.out.println("   parent, after the child: num = " + num.get() + ", arr = " + Arrays.toString(arr.toArray()));
        } finally {
            SharedValue.unlink(tag + "-num");
            SharedArray.unlink(tag + "-arr");
        }

        System.out.println();
        System.out.printf("2. %d processes x %,d increments of one shared counter = %,d expected%n", workers, increments,
                (long) workers * increments);
        for (String mode : new String[] {"unsafe", "locked", "atomic"}) {
            try (SharedValue.OfLong counter = SharedValue.OfLong.create(tag + "-counter", 0, true)) {
                List<ProcessBuilder> procs = new ArrayList<>();
                for (int i = 0; i < workers; i++) {
                    procs.add(Jvm.demo(ValueArrayDemo.class, "--count", counter.name(), mode, Integer.toString(increments)));
                }
                long t0 = System.nanoTime();
                run(procs);
                long ms = (System.nanoTime() - t0) / 1_000_000;
                long lost = (long) workers * increments - counter.get();
                System.out.printf("   %-46s counter = %,10d   lost updates = %,d   (%,d ms)%n", describe(mode) + ":", counter.get(), lost, ms);
            } finally {
                SharedValue.unlink(tag + "-counter");
            }
        }
        System.out.println("   Without the lock two processes read the same value, both add 1, and one update is lost.");

        System.out.println();
        int n = 1_000_000;
        System.out.printf("3. %d workers fill one shared array of %,d longs (each its own share), the parent sums it%n", workers, n);
        try (SharedArray.OfLong squares = SharedArray.OfLong.create(tag + "-squares", n)) {
            List<ProcessBuilder> procs = new ArrayList<>();
            for (int i = 0; i < workers; i++) {
                procs.add(Jvm.demo(ValueArrayDemo.class, "--fill", squares.name(), Integer.toString(i), Integer.toString(workers)));
            }
            run(procs);
            long sum = 0;
            for (long x : squares.toArray()) sum += x;
            long expected = (long) (n - 1) * n * (2L * n - 1) / 6;
            System.out.printf("   sum of i*i for i < %,d = %d (expected %d)%n", n, sum, expected);
        } finally {
            SharedArray.unlink(tag + "-squares");
        }
    }

    private static String describe(String mode) {
        return switch (mode) {
            case "unsafe" -> "v.set(v.get() + 1), no lock";
            case "locked" -> "v.lock(); v.set(v.get() + 1); v.unlock()";
            default -> "v.incrementAndGet(), atomic";
        };
    }

    private static void run(List<ProcessBuilder> builders) throws Exception {
        List<Process> procs = new ArrayList<>();
        for (ProcessBuilder b : builders) procs.add(b.inheritIO().start());
        for (Process p : procs) {
            if (p.waitFor() != 0) throw new IllegalStateException("a child process failed with exit status " + p.exitValue());
        }
    }

    /** One line in one write, so lines of concurrent children do not interleave. */
    private static void say(String line) {
        System.out.print(line + System.lineSeparator());
        System.out.flush();
    }

    private static void child(String[] args) {
        switch (args[0]) {
            case "--negate" -> {
                try (SharedValue.OfDouble num = SharedValue.OfDouble.open(args[1]);
                     SharedArray.OfInt arr = SharedArray.OfInt.open(args[2])) {
                    num.set(3.1415927);
                    SharedLock lock = arr.lock();
                    lock.lock();
                    try {
                        for (int i = 0; i < arr.length(); i++) arr.set(i, -arr.get(i));
                    } finally {
                        lock.unlock();
                    }
                    say("   child " + ProcessHandle.current().pid() + ": set num and negated arr in place");
                }
            }
            case "--count" -> {
                String mode = args[2];
                int increments = Integer.parseInt(args[3]);
                try (SharedValue.OfLong v = SharedValue.OfLong.open(args[1])) {
                    SharedLock lock = v.lock();
                    for (int i = 0; i < increments; i++) {
                        switch (mode) {
                            case "unsafe" -> v.set(v.get() + 1);
                            case "locked" -> {
                                lock.lock();
                                try {
                                    v.set(v.get() + 1);
                                } finally {
                                    lock.unlock();
                                }
                            }
                            default -> v.incrementAndGet();
                        }
                    }
                }
            }
            case "--fill" -> {
                int id = Integer.parseInt(args[2]);
                int workers = Integer.parseInt(args[3]);
                try (SharedArray.OfLong a = SharedArray.OfLong.open(args[1])) {
                    int n = a.length();
                    int from = (int) ((long) n * id / workers);
                    int to = (int) ((long) n * (id + 1) / workers);
                    long[] chunk = new long[to - from];
                    for (int i = from; i < to; i++) chunk[i - from] = (long) i * i;
                    a.copyFrom(chunk, 0, from, chunk.length);
                    say(String.format("   worker %d filled [%,d, %,d)", id, from, to));
                }
            }
            default -> throw new IllegalArgumentException(args[0]);
        }
    }
}
