package dev.shmkit.queue;

import dev.shmkit.shm.SharedMemory;
import dev.shmkit.testkit.ChildJvm;
import dev.shmkit.testkit.Names;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.Base64;
import java.util.BitSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.concurrent.TimeUnit;

import static dev.shmkit.queue.TestSupport.millisSince;
import static dev.shmkit.queue.TestSupport.task;
import static dev.shmkit.queue.TestSupport.untilInside;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@link SharedQueue}: BlockingQueue semantics, validation, and producers and consumers in many processes. */
@SuppressWarnings("try") // a resource held open only to keep a region mapped
class SharedQueueTest {
    private final String name = Names.unique("queue");

    @AfterEach
    void cleanup() {
        SharedQueue.unlink(name);
    }

    /** N producer processes x M consumer processes: nothing lost, nothing duplicated, each producer's order kept. */
    @Test
    void producersAndConsumersInSixProcesses() throws Exception {
        int producers = 3;
        int consumers = 3;
        long perProducer = 100_000;
        try (SharedQueue<QueueChild.Msg> q = SharedQueue.create(name, 1 << 16, QueueChild.MSG)) {
            List<ChildJvm> ps = new ArrayList<>();
            List<ChildJvm> cs = new ArrayList<>();
            try {
                for (int i = 0; i < consumers; i++) cs.add(ChildJvm.start(QueueChild.class, "consume", name));
                for (int i = 0; i < producers; i++) ps.add(ChildJvm.start(QueueChild.class, "produce", name, Integer.toString(i), Long.toString(perProducer)));
                for (ChildJvm c : cs) c.expectLine("ready");
                for (ChildJvm p : ps) p.expectLine("ready");
                long t0 = System.nanoTime();
                for (ChildJvm p : ps) p.send("go");
                for (ChildJvm p : ps) p.expectLine("done");
                for (int i = 0; i < consumers; i++) q.put(new QueueChild.Msg(-1, 0, "", 0)); // one stop message each
                Map<Integer, BitSet> union = new HashMap<>();
                long total = 0;
                for (ChildJvm c : cs) {
                    while (true) {
                        String line = c.readLine();
                        if (line.startsWith("done ")) {
                            total += Long.parseLong(line.substring(5));
                            break;
                        }
                        String[] f = line.split(" ");
                        int producer = Integer.parseInt(f[1]);
                        BitSet seen = BitSet.valueOf(Base64.getDecoder().decode(f[2]));
                        BitSet all = union.computeIfAbsent(producer, k -> new BitSet());
                        BitSet twice = (BitSet) all.clone();
                        twice.and(seen);
                        assertTrue(twice.isEmpty(), "producer " + producer + ": sequence numbers taken twice: " + twice);
                        all.or(seen);
                    }
                    c.assertSuccess();
                }
                for (ChildJvm p : ps) p.assertSuccess();
                long ms = millisSince(t0);
                System.out.printf("queue: %d producers x %d consumers, %,d messages in %d ms (%.0f k msg/s)%n",
                        producers, consumers, total, ms, total / Math.max(1.0, ms));
                assertEquals(producers * perProducer, total);
                for (int p = 0; p < producers; p++) {
                    assertEquals(perProducer, union.get(p).cardinality(), "producer " + p);
                    assertEquals(perProducer, union.get(p).nextClearBit(0), "producer " + p + ": a gap");
                }
                assertEquals(0, q.size());
                assertTrue(q.isEmpty());
                SharedQueue.Stats s = q.stats();
                assertEquals(producers * perProducer + consumers, s.puts());
                assertEquals(s.puts(), s.takes());
                assertEquals(0, s.recovered());
            } finally {
                for (ChildJvm c : ps) c.close();
                for (ChildJvm c : cs) c.close();
            }
        }
    }

    @Test
    void blockingQueueBasics() throws Exception {
        try (SharedQueue<String> q = SharedQueue.create(name, 1024, Codec.string())) {
            assertTrue(q.isEmpty());
            assertNull(q.poll());
            assertTrue(q.offer("a"));
            q.put("b");
            assertTrue(q.add("c"));
            assertTrue(q.offer("d", 1, TimeUnit.SECONDS));
            assertEquals(4, q.size());
            assertEquals("a", q.poll());
            assertEquals("b", q.take());
            assertEquals("c", q.remove());
            assertEquals("d", q.poll(1, TimeUnit.SECONDS));
            assertEquals(0, q.size());
            assertThrows(NoSuchElementException.class, q::remove);
            assertEquals("", roundTrip(q, ""));
            assertEquals("", roundTrip(q, "")); // two 8-byte records: later ones stay 16-byte aligned
            assertEquals(1024, q.capacityBytes());
            assertEquals(120, q.maxElementBytes());
            assertEquals("string", q.codecName());
            assertEquals(name, q.name());
            assertTrue(q.toString().contains("0 elements"), q.toString());

            // fill it: 8-byte header + up to 8 bytes of payload = 16 bytes per element
            int n = 0;
            while (q.offer("x" + n % 10)) n++;
            assertEquals(1024 / 16, n);
            assertEquals(n, q.size());
            assertEquals(0, q.remainingCapacity());
            assertEquals(0, q.remainingBytes());
            assertThrows(IllegalStateException.class, () -> q.add("full"));

            List<String> out = new ArrayList<>();
            assertEquals(5, q.drainTo(out, 5));
            assertEquals(List.of("x0", "x1", "x2", "x3", "x4"), out);
            assertEquals(n - 5, q.size());
            assertEquals(n - 5, q.drainTo(out));
            assertEquals(n, out.size());
            assertEquals(0, q.drainTo(out));
            assertThrows(IllegalArgumentException.class, () -> q.drainTo(q));
            assertThrows(NullPointerException.class, () -> q.drainTo(null));

            q.addAll(List.of("p", "q", "r"));
            assertEquals(3, q.size());
            q.clear();
            assertEquals(0, q.size());
            assertNull(q.poll());
        }
    }

    private static String roundTrip(SharedQueue<String> q, String s) throws InterruptedException {
        q.put(s);
        return q.take();
    }

    @Test
    void nullsAndOversizedElementsAreRefusedWithoutChangingAnything() throws Exception {
        try (SharedQueue<String> q = SharedQueue.create(name, 1024, Codec.string())) {
            q.put("keep");
            assertThrows(NullPointerException.class, () -> q.offer(null));
            assertThrows(NullPointerException.class, () -> q.put(null));
            assertThrows(NullPointerException.class, () -> q.add(null));
            assertThrows(NullPointerException.class, () -> q.offer(null, 1, TimeUnit.SECONDS));
            IllegalArgumentException big = assertThrows(IllegalArgumentException.class, () -> q.put("y".repeat(121)));
            assertTrue(big.getMessage().contains("at most 120 bytes"), big.getMessage());
            q.put("y".repeat(120));
            assertEquals(2, q.size());
            assertEquals("keep", q.poll());
            assertEquals(120, q.poll().length());
        }
    }

    @Test
    void unsupportedOperationsSaySo() {
        try (SharedQueue<String> q = SharedQueue.create(name, 1024, Codec.string())) {
            q.add("a");
            for (Runnable r : List.<Runnable>of(q::peek, q::element, q::iterator, () -> q.contains("a"), () -> q.remove("a"),
                    q::toArray, () -> q.toArray(new String[0]), () -> q.containsAll(List.of("a")))) {
                UnsupportedOperationException e = assertThrows(UnsupportedOperationException.class, r::run);
                assertTrue(e.getMessage() == null || e.getMessage().contains("SharedQueue"), e.getMessage());
            }
            assertEquals(1, q.size(), "nothing was consumed");
        }
    }

    @Test
    void timeoutsReturnFalseOrNull() throws Exception {
        try (SharedQueue<Integer> q = SharedQueue.create(name, 256, Codec.ints())) {
            long t0 = System.nanoTime();
            assertNull(q.poll(100, TimeUnit.MILLISECONDS));
            assertTrue(millisSince(t0) >= 100);
            t0 = System.nanoTime();
            assertNull(q.poll(0, TimeUnit.SECONDS));
            assertNull(q.poll(-5, TimeUnit.SECONDS), "a negative timeout does not wait");
            assertTrue(millisSince(t0) < 1000);
            // 256 bytes hold 16 ints (16 bytes each)
            for (int i = 0; i < 16; i++) assertTrue(q.offer(i));
            assertEquals(0, q.remainingCapacity());
            t0 = System.nanoTime();
            assertFalse(q.offer(9, 100, TimeUnit.MILLISECONDS));
            assertTrue(millisSince(t0) >= 100);
            assertFalse(q.offer(9, -1, TimeUnit.SECONDS));
            assertFalse(q.offer(9));
            assertEquals(16, q.size());
            assertEquals(0, q.take());
            assertEquals(1, q.remainingCapacity());
            assertTrue(q.offer(9, 0, TimeUnit.SECONDS));
        }
    }

    @Test
    void blockedCallsAreInterruptible() {
        try (SharedQueue<Integer> q = SharedQueue.create(name, 256, Codec.ints())) {
            var taker = task("take", q::take);
            untilInside(taker.thread, "awaitData");
            taker.interrupt();
            assertInstanceOf(InterruptedException.class, taker.joinFailure());

            for (int i = 0; i < 16; i++) q.add(i);
            var putter = task("put", () -> {
                q.put(99);
                return null;
            });
            untilInside(putter.thread, "awaitSpace");
            putter.interrupt();
            assertInstanceOf(InterruptedException.class, putter.joinFailure());
            assertEquals(16, q.size());

            Thread.currentThread().interrupt();
            assertThrows(InterruptedException.class, () -> q.offer(1, 1, TimeUnit.SECONDS));
            Thread.currentThread().interrupt();
            assertThrows(InterruptedException.class, () -> q.put(1), "put on a full queue");
            q.clear();
            Thread.currentThread().interrupt();
            assertThrows(InterruptedException.class, () -> q.poll(1, TimeUnit.SECONDS));
            assertFalse(Thread.interrupted());
        }
    }

    @Test
    void aTakerInThisProcessIsWokenByAPutterInAnother() throws Exception {
        try (SharedQueue<String> q = SharedQueue.create(name, 4096, Codec.string());
             ChildJvm child = ChildJvm.start(QueueChild.class, "put-strings", name, "50")) {
            assertEquals("s0", q.take());
            String line = child.readLine();
            assertTrue(line.startsWith("put 50 size "), line);
            for (int i = 1; i < 50; i++) assertEquals("s" + i, q.poll(30, TimeUnit.SECONDS));
            assertEquals(0, q.size());
            child.send("exit");
            child.assertSuccess();
        }
    }

    @Test
    void sizeWorksAcrossProcesses() throws Exception {
        try (SharedQueue<String> q = SharedQueue.create(name, 4096, Codec.string());
             ChildJvm child = ChildJvm.start(QueueChild.class, "put-strings", name, "10")) {
            assertEquals("put 10 size 10", child.readLine());
            assertEquals(10, q.size());
            q.take();
            assertEquals(9, q.size());
            child.send("exit");
            child.assertSuccess();
        }
    }

    /** A producer killed while encoding leaves no torn element, and size() counts its claim out again. */
    @Test
    void aProducerKilledWhileEncodingLeavesNothingTorn() throws Exception {
        try (SharedQueue<String> q = SharedQueue.create(name, 4096, Codec.string());
             ChildJvm child = ChildJvm.start(QueueChild.class, "die-while-encoding", name)) {
            child.expectLine("encoding");
            child.process().destroyForcibly().waitFor();
            q.put("after");
            assertEquals("first", q.take());
            assertEquals("after", q.poll(30, TimeUnit.SECONDS), "the dead claim is skipped");
            assertEquals(1, q.stats().recovered());
            assertEquals(0, q.size());
            assertNull(q.poll());
        }
    }

    /** A consumer killed while taking an element (inside the ring's read) leaves it for the next consumer. */
    @Test
    void aConsumerKilledWhileTakingLeavesTheElementForTheNext() throws Exception {
        try (SharedQueue<String> q = SharedQueue.create(name, 4096, Codec.string());
             ChildJvm child = ChildJvm.start(QueueChild.class, "die-while-decoding", name)) {
            q.put("victim");
            q.put("second");
            child.expectLine("decoding");
            child.process().destroyForcibly().waitFor();
            assertEquals("victim", q.poll(30, TimeUnit.SECONDS), "redelivered");
            assertEquals("second", q.poll());
            assertEquals(1, q.stats().redeliveries());
            assertEquals(0, q.size());
        }
    }

    @Test
    void aFailingEncoderGivesItsSpaceBack() throws Exception {
        Codec<String> failing = new Codec<>() {
            @Override
            public int size(String value) {
                return value.length();
            }

            @Override
            public void encode(String value, MemorySegment target, long offset) {
                if (value.equals("bad")) throw new IllegalArgumentException("cannot encode " + value);
                if (value.equals("o")) target.set(ValueLayout.JAVA_LONG_UNALIGNED, offset, -1L); // 8 bytes where 1 was claimed
                else target.setString(offset, value.substring(0, value.length() - 1));
            }

            @Override
            public String decode(MemorySegment source, long offset, int length) {
                return source.getString(offset);
            }
        };
        try (SharedQueue<String> q = SharedQueue.create(name, 1024, failing)) {
            assertEquals("", q.codecName());
            assertThrows(IllegalArgumentException.class, () -> q.put("bad"));
            assertEquals(0, q.size());
            q.put("ok!");
            assertEquals("ok", q.take());
            // a custom codec gets a slice bounded to its bytes: writing past them fails instead of corrupting the ring
            assertThrows(IndexOutOfBoundsException.class, () -> q.put("o"));
            assertEquals(0, q.size());
        }
    }

    @Test
    void codecsAreCheckedOnOpen() throws Exception {
        try (SharedQueue<Integer> q = SharedQueue.create(name, 1024, Codec.ints())) {
            q.put(0x636261); // "abc\0"
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> SharedQueue.open(name, Codec.string()));
            assertTrue(e.getMessage().contains("encoded by codec 'ints'; it cannot be read with codec 'string'"), e.getMessage());
            try (SharedQueue<byte[]> raw = SharedQueue.open(name, Codec.bytes())) {
                assertEquals("ints", raw.codecName());
                assertArrayEquals(new byte[] {'a', 'b', 'c', 0}, raw.take());
            }
            assertThrows(IllegalStateException.class, () -> JoinableQueue.open(name, Codec.ints()), "a plain queue is not joinable");
            assertThrows(IllegalStateException.class, () -> SharedQueue.open(name, Codec.record(CodecTest.Point.class)));
        }
    }

    @Test
    void corruptOrForeignRegionsAreRefused() {
        try (SharedMemory shm = SharedMemory.create(name, SharedQueue.sizeFor(1024))) {
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> SharedQueue.open(name, Codec.string()));
            assertTrue(e.getMessage().contains("is not a shmkit queue (magic 0x0"), e.getMessage());
            SharedQueue.create(shm.segment(), 0, 1024, Codec.string()).close();
            MemorySegment s = shm.segment();
            try (SharedQueue<String> ok = SharedQueue.open(name, Codec.string())) {
                assertEquals(1024, ok.capacityBytes());
            }
            s.set(ValueLayout.JAVA_LONG, QueueDescriptor.CAPACITY_OFFSET, 1L << 40);
            e = assertThrows(IllegalStateException.class, () -> SharedQueue.open(name, Codec.string()));
            assertTrue(e.getMessage().contains("corrupt capacity"), e.getMessage());
            s.set(ValueLayout.JAVA_LONG, QueueDescriptor.CAPACITY_OFFSET, 1024);
            s.set(ValueLayout.JAVA_SHORT, QueueDescriptor.CODEC_LENGTH_OFFSET, (short) 9999);
            e = assertThrows(IllegalStateException.class, () -> SharedQueue.open(name, Codec.string()));
            assertTrue(e.getMessage().contains("corrupt codec name length"), e.getMessage());
            s.set(ValueLayout.JAVA_SHORT, QueueDescriptor.CODEC_LENGTH_OFFSET, (short) 6);
            s.set(ValueLayout.JAVA_INT, QueueDescriptor.HEADER_LENGTH, 0x12345678); // the ring's magic
            e = assertThrows(IllegalStateException.class, () -> SharedQueue.open(name, Codec.string()));
            assertTrue(e.getMessage().contains("not a shmkit ring"), e.getMessage());
            s.set(ValueLayout.JAVA_SHORT, QueueDescriptor.VERSION_OFFSET, (short) 7);
            e = assertThrows(IllegalStateException.class, () -> SharedQueue.open(name, Codec.string()));
            assertTrue(e.getMessage().contains("layout version 7"), e.getMessage());
        }
        String small = Names.unique("queue-small");
        try (SharedMemory shm = SharedMemory.create(small, 100)) {
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> SharedQueue.open(small, Codec.string()));
            assertTrue(e.getMessage().contains("too small"), e.getMessage());
        } finally {
            SharedMemory.unlink(small);
        }
    }

    @Test
    void placedInASegmentAndOpenedByAnotherHandle() throws Exception {
        try (SharedMemory shm = SharedMemory.create(name, 64 + SharedQueue.sizeFor(4096))) {
            try (SharedQueue<Long> a = SharedQueue.create(shm.segment(), 64, 4096, Codec.longs());
                 SharedQueue<Long> b = SharedQueue.open(shm.segment(), 64, Codec.longs())) {
                assertNull(a.name());
                assertThrows(IllegalStateException.class, a::unlink);
                for (long i = 0; i < 1000; i++) {
                    a.put(i);
                    assertEquals(i, b.take());
                }
                assertEquals(0, b.size());
            }
            assertThrows(IllegalArgumentException.class, () -> SharedQueue.create(shm.segment(), 4, 4096, Codec.longs()));
            assertThrows(IndexOutOfBoundsException.class, () -> SharedQueue.create(shm.segment(), 128, 4096, Codec.longs()));
        }
    }

    @Test
    void creationModes() {
        assertThrows(IllegalArgumentException.class, () -> SharedQueue.create(name, 1000, Codec.string()), "not a power of two");
        assertFalse(SharedMemory.exists(name));
        try (SharedQueue<String> a = SharedQueue.openOrCreate(name, 2048, Codec.string());
             SharedQueue<String> b = SharedQueue.openOrCreate(name, 2048, Codec.string())) {
            a.add("shared");
            assertEquals("shared", b.poll());
            assertThrows(dev.shmkit.os.ObjectExistsException.class, () -> SharedQueue.create(name, 2048, Codec.string()));
        }
        SharedQueue<String> closed = SharedQueue.open(name, Codec.string());
        closed.close();
        closed.close();
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> closed.offer("x"));
        assertTrue(e.getMessage().contains("is closed"), e.getMessage());
    }
}
