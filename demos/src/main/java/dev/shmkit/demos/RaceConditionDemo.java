package dev.shmkit.demos;

import dev.shmkit.shm.SharedMemory;
import dev.shmkit.sync.SharedLock;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;

/**
 * Course days 6–7: a race condition across processes. Several worker JVMs each add 1 to a
 * counter in shared memory many times. Without a lock, read-modify-write steps interleave and
 * updates are lost; with a {@link SharedLock} around each increment, none is.
 *
 * <pre>bin/shmkit-java dev.shmkit.demos.RaceConditionDemo [workers] [increments]</pre>
 */
public final class RaceConditionDemo {
    public static void main(String[] args) throws Exception {
        if (args.length > 0 && args[0].equals("--worker")) {
            worker(args[1], args[2], Integer.parseInt(args[3]), Boolean.parseBoolean(args[4]));
            return;
        }
        int workers = args.length > 0 ? Integer.parseInt(args[0]) : 3;
        int increments = args.length > 1 ? Integer.parseInt(args[1]) : 200_000;
        long expected = (long) workers * increments;
        System.out.printf("%d worker processes x %,d increments of one shared counter = %,d expected%n%n",
                workers, increments, expected);
        for (boolean locked : new boolean[] {false, true}) {
            long got = run(workers, increments, locked);
            System.out.printf("%-16s counter = %,11d   lost updates = %,d%n",
                    locked ? "with SharedLock:" : "without a lock:", got, expected - got);
        }
        System.out.println();
        System.out.println("Without the lock, two processes read the same value, both add 1, and one write is lost.");
    }

    private static long run(int workers, int increments, boolean locked) throws Exception {
        String pid = Long.toString(ProcessHandle.current().pid());
        String counterName = "/shmkit-race-counter-" + pid;
        String lockName = "/shmkit-race-lock-" + pid;
        try (SharedMemory counter = SharedMemory.create(counterName, 8); SharedLock lock = SharedLock.create(lockName)) {
            List<Process> procs = new ArrayList<>();
            for (int i = 0; i < workers; i++) {
                procs.add(Jvm.demo(RaceConditionDemo.class, "--worker", counterName, lockName,
                        Integer.toString(increments), Boolean.toString(locked)).inheritIO().start());
            }
            for (Process p : procs) {
                if (p.waitFor() != 0) throw new IllegalStateException("a worker failed with exit status " + p.exitValue());
            }
            return counter.segment().get(ValueLayout.JAVA_LONG, 0);
        } finally {
            SharedMemory.unlink(counterName);
            SharedLock.unlink(lockName);
        }
    }

    private static void worker(String counterName, String lockName, int increments, boolean locked) {
        try (SharedMemory counter = SharedMemory.open(counterName); SharedLock lock = SharedLock.open(lockName)) {
            MemorySegment c = counter.segment();
            for (int i = 0; i < increments; i++) {
                if (locked) lock.lock();
                try {
                    long v = c.get(ValueLayout.JAVA_LONG, 0);   // read
                    c.set(ValueLayout.JAVA_LONG, 0, v + 1);     // modify, write
                } finally {
                    if (locked) lock.unlock();
                }
            }
        }
    }
}
