package dev.shmkit.objects;

import dev.shmkit.shm.SharedMemory;
import dev.shmkit.sync.SharedLock;
import dev.shmkit.testkit.Child;
import dev.shmkit.testkit.ChildJvm;
import dev.shmkit.testkit.Names;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Pool-style workers in separate JVMs sharing one SharedValue or SharedArray: no update is lost,
 * whichever way they synchronize, and nothing they write is seen torn.
 */
class ValueProcessesTest {
    static final int WORKERS = 3;

    /** Child: adds 1 to a shared counter {@code count} times, the way args[1] says. */
    public static final class Incrementer {
        public static void main(String[] args) {
            String mode = args[1];
            int count = Integer.parseInt(args[2]);
            try (SharedValue v = SharedValue.open(args[0])) {
                Child.say("ready");
                Child.await("go");
                switch (mode) {
                    case "atomic" -> {
                        SharedValue.OfLong l = (SharedValue.OfLong) v;
                        for (int i = 0; i < count; i++) l.incrementAndGet();
                    }
                    case "locked" -> {
                        // Python's `with v.get_lock(): v.value += 1`: a read-modify-write under the lock.
                        SharedValue.OfLong l = (SharedValue.OfLong) v;
                        SharedLock lock = l.lock();
                        for (int i = 0; i < count; i++) {
                            lock.lock();
                            try {
                                l.set(l.get() + 1);
                            } finally {
                                lock.unlock();
                            }
                        }
                    }
                    case "double" -> {
                        SharedValue.OfDouble d = (SharedValue.OfDouble) v;
                        for (int i = 0; i < count; i++) d.addAndGet(0.5);
                    }
                    case "int" -> {
                        SharedValue.OfInt n = (SharedValue.OfInt) v;
                        for (int i = 0; i < count; i++) n.updateAndGet(x -> x + 1);
                    }
                    default -> throw new IllegalArgumentException(mode);
                }
            }
            Child.say("done");
        }
    }

    private static void runWorkers(Class<?> main, String... args) {
        List<ChildJvm> children = new ArrayList<>();
        try {
            for (int i = 0; i < WORKERS; i++) children.add(ChildJvm.start(main, args));
            for (ChildJvm c : children) c.expectLine("ready");
            for (ChildJvm c : children) c.send("go");
            for (ChildJvm c : children) {
                c.expectLine("done");
                c.assertSuccess();
            }
        } finally {
            children.forEach(ChildJvm::close);
        }
    }

    @Test
    void atomicIncrementsFromSeveralProcessesAreNeverLost() {
        String name = Names.unique("value-atomic");
        try (SharedValue.OfLong v = SharedValue.OfLong.create(name, 0)) {
            runWorkers(Incrementer.class, name, "atomic", "200000");
            assertEquals(WORKERS * 200_000L, v.get());
        } finally {
            SharedMemory.unlink(name);
        }
    }

    @Test
    void lockedIncrementsFromSeveralProcessesAreNeverLost() {
        String name = Names.unique("value-locked");
        try (SharedValue.OfLong v = SharedValue.OfLong.create(name, 0, true)) {
            runWorkers(Incrementer.class, name, "locked", "100000");
            assertEquals(WORKERS * 100_000L, v.get());
            assertEquals(0, v.lock().recoveries());
        } finally {
            SharedMemory.unlink(name);
        }
    }

    @Test
    void casLoopsOnDoublesAndIntsFromSeveralProcesses() {
        String d = Names.unique("value-double");
        String i = Names.unique("value-int");
        try (SharedValue.OfDouble dv = SharedValue.OfDouble.create(d, 0.0);
             SharedValue.OfInt iv = SharedValue.OfInt.create(i, 0)) {
            runWorkers(Incrementer.class, d, "double", "50000");
            assertEquals(WORKERS * 25_000.0, dv.get(), "halves add up exactly in binary");
            runWorkers(Incrementer.class, i, "int", "50000");
            assertEquals(WORKERS * 50_000, iv.get());
        } finally {
            SharedMemory.unlink(d);
            SharedMemory.unlink(i);
        }
    }

    /** Child: writes its share of an array (i % workers == id gets i * i) and adds to a shared total in element 0 of another. */
    public static final class Filler {
        public static void main(String[] args) {
            int id = Integer.parseInt(args[2]);
            try (SharedArray.OfLong squares = SharedArray.OfLong.open(args[0]);
                 SharedArray.OfLong totals = SharedArray.OfLong.open(args[1])) {
                Child.say("ready");
                Child.await("go");
                long sum = 0;
                for (int i = id; i < squares.length(); i += WORKERS) {
                    squares.set(i, (long) i * i);
                    sum += (long) i * i;
                }
                totals.getAndAdd(0, sum);
                totals.incrementAndGet(1 + id);
            }
            Child.say("done");
        }
    }

    @Test
    void workersFillOneArrayWithoutCopying() {
        String squaresName = Names.unique("array-squares");
        String totalsName = Names.unique("array-totals");
        int n = 100_000;
        try (SharedArray.OfLong squares = SharedArray.OfLong.create(squaresName, n);
             SharedArray.OfLong totals = SharedArray.OfLong.create(totalsName, 1 + WORKERS)) {
            List<ChildJvm> children = new ArrayList<>();
            try {
                for (int id = 0; id < WORKERS; id++) children.add(ChildJvm.start(Filler.class, squaresName, totalsName, Integer.toString(id)));
                for (ChildJvm c : children) c.expectLine("ready");
                for (ChildJvm c : children) c.send("go");
                for (ChildJvm c : children) {
                    c.expectLine("done");
                    c.assertSuccess();
                }
            } finally {
                children.forEach(ChildJvm::close);
            }
            long[] expected = new long[n];
            long sum = 0;
            for (int i = 0; i < n; i++) {
                expected[i] = (long) i * i;
                sum += expected[i];
            }
            assertArrayEquals(expected, squares.toArray());
            assertEquals(sum, totals.get(0));
            long[] perWorker = new long[WORKERS];
            totals.copyTo(1, perWorker, 0, WORKERS);
            assertTrue(Arrays.stream(perWorker).allMatch(x -> x == 1), Arrays.toString(perWorker));
        } finally {
            SharedMemory.unlink(squaresName);
            SharedMemory.unlink(totalsName);
        }
    }

    /** Child: sets a bytes value again and again to 'k' repeated (k % 50) + 1 times, until told to stop. */
    public static final class BytesWriter {
        public static void main(String[] args) throws Exception {
            try (SharedValue.OfBytes v = SharedValue.OfBytes.open(args[0])) {
                Child.say("ready");
                Thread stopper = Thread.ofPlatform().daemon().start(() -> Child.await("stop"));
                for (int k = 0; stopper.isAlive(); k++) {
                    byte[] b = new byte[(k % 50) + 1];
                    Arrays.fill(b, (byte) k);
                    v.set(b);
                }
            }
            Child.say("done");
        }
    }

    @Test
    void bytesValuesAreNeverSeenTornWhileOtherProcessesWrite() {
        String name = Names.unique("value-bytes");
        try (SharedValue.OfBytes v = SharedValue.OfBytes.create(name, 64, new byte[] {0})) {
            List<ChildJvm> writers = List.of(ChildJvm.start(BytesWriter.class, name), ChildJvm.start(BytesWriter.class, name));
            try {
                for (ChildJvm w : writers) w.expectLine("ready");
                long reads = 0;
                long versions = v.version();
                long deadline = System.nanoTime() + 1_000_000_000L;
                while (System.nanoTime() < deadline || v.version() - versions < 1000) {
                    byte[] b = v.get();
                    assertTrue(b.length >= 1 && b.length <= 50, "length " + b.length);
                    for (byte x : b) assertEquals(b[0], x, "torn read " + Arrays.toString(b));
                    reads++;
                }
                for (ChildJvm w : writers) w.send("stop");
                for (ChildJvm w : writers) {
                    w.expectLine("done");
                    w.assertSuccess();
                }
                System.out.println("bytes value: " + reads + " consistent reads during " + (v.version() - versions) + " writes");
            } finally {
                writers.forEach(ChildJvm::close);
            }
        } finally {
            SharedMemory.unlink(name);
        }
    }
}
