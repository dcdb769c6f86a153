package dev.shmkit.ring;

import dev.shmkit.shm.SharedMemory;
import dev.shmkit.testkit.Names;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/** One process: wrap-around, sizes, batches, abort, timeouts, interrupts, wait strategies, validation. */
class SharedRingTest {
    private static final long SECOND = TimeUnit.SECONDS.toNanos(1);

    private final String name = Names.unique("ring");
    private final List<Arena> arenas = new ArrayList<>();

    @AfterEach
    void cleanup() {
        SharedRing.unlink(name);
        arenas.forEach(Arena::close);
    }

    /** A ring in native memory of this process (for single-process tests and to read its header). */
    private MemorySegment region(long capacity) {
        Arena arena = Arena.ofShared();
        arenas.add(arena);
        return arena.allocate(SharedRing.sizeFor(capacity) + 64, 64);
    }

    private record Msg(int type, byte[] bytes) {}

    private static List<Msg> drain(SharedRing ring, int limit) {
        List<Msg> got = new ArrayList<>();
        ring.read((type, buf, index, len) -> got.add(new Msg(type, buf.asSlice(index, len).toArray(ValueLayout.JAVA_BYTE))), limit);
        return got;
    }

    private static byte[] pattern(long seq, int len) {
        byte[] b = new byte[len];
        for (int i = 0; i < len; i++) b[i] = (byte) (seq * 17 + i);
        return b;
    }

    // ------------------------------------------------------------------ wrap-around and sizes

    /**
     * Every record size from 0 to the maximum, in an order that walks the tail over every
     * 8-byte offset of small rings: every offset starts a record, padding lands at every offset
     * where a record can fail to fit, and every byte comes back.
     */
    @ParameterizedTest
    @ValueSource(longs = {64, 128, 256, 512, 1024})
    void wrapAroundAtEveryOffset(long capacity) {
        for (RingKind kind : RingKind.values()) {
            SharedRing ring = SharedRing.create(region(capacity), 0, capacity, kind);
            int max = ring.maxPayload();
            assertEquals(capacity / 8 - 8, max);
            int maxRecord = RingDescriptor.align(max + 8);
            BitSet starts = new BitSet();
            BitSet paddings = new BitSet();
            long seq = 0, delivered = 0;
            List<byte[]> pending = new ArrayList<>();
            for (int step = 0; step < 20_000; step++) {
                // Mostly varied sizes, every fifth an empty record (which moves the tail by 8 bytes
                // only); steered so that each offset gets a record start, and each offset near the
                // end a record that does not fit there.
                long tailBefore = ring.tailPosition();
                int at = (int) (tailBefore & (capacity - 1));
                int len;
                if (at > capacity - maxRecord && !paddings.get(at / 8)) len = max;
                else if (!starts.get(at / 8)) len = (int) Math.min(max, capacity - at - 8);
                else len = step % 5 == 0 ? 0 : (int) ((step * 7L + step / 50) % (max + 1));
                long index = ring.tryClaim(1 + (int) (seq % RingDescriptor.MAX_TYPE_ID), len);
                if (index == SharedRing.INSUFFICIENT_CAPACITY) {
                    // Consume a varying number, so the ring is at different fill levels when it wraps.
                    int n = 1 + step % 3;
                    for (Msg m : drain(ring, n)) {
                        byte[] want = pending.remove(0);
                        assertArrayEquals(want, m.bytes());
                        assertEquals(1 + (int) (delivered % RingDescriptor.MAX_TYPE_ID), m.type());
                        delivered++;
                    }
                    continue;
                }
                long start = index - 8;
                starts.set((int) (start / 8));
                if (start != (tailBefore & (capacity - 1))) {
                    assertEquals(0, start, "a record that does not fit the end starts at 0");
                    paddings.set((int) ((tailBefore & (capacity - 1)) / 8));
                }
                byte[] bytes = pattern(seq, len);
                MemorySegment.copy(bytes, 0, ring.buffer(), ValueLayout.JAVA_BYTE, index, len);
                ring.commit(index);
                pending.add(bytes);
                seq++;
            }
            for (Msg m : drain(ring, Integer.MAX_VALUE)) {
                assertArrayEquals(pending.remove(0), m.bytes());
                delivered++;
            }
            assertEquals(seq, delivered);
            assertTrue(pending.isEmpty());
            assertEquals(capacity / 8, starts.cardinality(), kind + ": records started at offsets " + starts);
            // Padding is needed at offset o when a record longer than capacity - o comes: o > capacity - maxRecord.
            for (long o = capacity - maxRecord + 8; o < capacity; o += 8) {
                assertTrue(paddings.get((int) (o / 8)), kind + " capacity " + capacity + ": no padding at " + o + " (" + paddings + ")");
            }
            assertEquals(0, ring.used());
        }
    }

    @ParameterizedTest
    @EnumSource(RingKind.class)
    void maximumRecordSize(RingKind kind) throws Exception {
        SharedRing ring = SharedRing.create(region(4096), 0, 4096, kind);
        int max = ring.maxPayload();
        assertEquals(4096 / 8 - 8, max);
        assertThrows(IllegalArgumentException.class, () -> ring.tryClaim(1, max + 1));
        assertThrows(IllegalArgumentException.class, () -> ring.tryClaim(1, -1));
        assertThrows(IllegalArgumentException.class, () -> ring.offer(1, new byte[max + 1]));
        assertThrows(IllegalArgumentException.class, () -> ring.claim(1, max + 1, 1, TimeUnit.SECONDS));
        assertThrows(IllegalArgumentException.class, () -> ring.tryClaim(0, 8));
        assertThrows(IllegalArgumentException.class, () -> ring.tryClaim(RingDescriptor.MAX_TYPE_ID + 1, 8));
        // Fill with maximum records through several laps.
        for (long seq = 0; seq < 100; seq++) {
            assertTrue(ring.offer(RingDescriptor.MAX_TYPE_ID, pattern(seq, max), 1, TimeUnit.SECONDS));
            if (seq % 5 == 4) {
                List<Msg> got = drain(ring, 100);
                assertEquals(5, got.size());
                for (int i = 0; i < 5; i++) {
                    assertEquals(RingDescriptor.MAX_TYPE_ID, got.get(i).type());
                    assertArrayEquals(pattern(seq - 4 + i, max), got.get(i).bytes());
                }
            }
        }
        assertEquals(0, ring.used());
        assertTrue(ring.offer(1, new byte[0]), "an empty payload is a record too");
        List<Msg> got = drain(ring, 10);
        assertEquals(1, got.size());
        assertEquals(0, got.get(0).bytes().length);
    }

    @ParameterizedTest
    @EnumSource(RingKind.class)
    void batchClaimAndCommit(RingKind kind) {
        SharedRing ring = SharedRing.create(region(1 << 14), 0, 1 << 14, kind);
        long seq = 0, delivered = 0;
        for (int round = 0; round < 2_000; round++) {
            int len = round % 57;
            int stride = SharedRing.batchStride(len);
            int count = 1 + round % Math.max(1, Math.min(40, (ring.maxPayload() + 8) / stride));
            long index = ring.tryClaimBatch(3, len, count);
            if (index < 0) {
                fail("a drained ring has room for a batch: " + ring.used());
            }
            for (int i = 0; i < count; i++) {
                MemorySegment.copy(pattern(seq + i, len), 0, ring.buffer(), ValueLayout.JAVA_BYTE, index + (long) i * stride, len);
            }
            assertEquals(0, drain(ring, 1000).size(), "nothing is visible before commitBatch");
            ring.commitBatch(index, len, count);
            List<Msg> got = drain(ring, 1000);
            assertEquals(count, got.size());
            for (Msg m : got) {
                assertEquals(3, m.type());
                assertArrayEquals(pattern(delivered++, len), m.bytes());
            }
            seq += count;
        }
        // Batch size limits and misuse.
        int stride = SharedRing.batchStride(8);
        int fits = (ring.maxPayload() + 8) / stride;
        assertThrows(IllegalArgumentException.class, () -> ring.tryClaimBatch(1, 8, fits + 1));
        assertThrows(IllegalArgumentException.class, () -> ring.tryClaimBatch(1, 8, 0));
        long index = ring.tryClaimBatch(1, 8, fits);
        assertTrue(index >= 0);
        assertThrows(IllegalStateException.class, () -> ring.commitBatch(index, 8, fits - 1));
        assertThrows(IllegalStateException.class, () -> ring.commit(index + stride), "the second record of a batch is not a claim of its own");
        ring.abort(index); // a whole batch can be aborted
        assertEquals(0, drain(ring, 1000).size());
        assertEquals(0, ring.used());
    }

    @ParameterizedTest
    @EnumSource(RingKind.class)
    void abortedRecordsAreSkippedAndTheirSpaceReused(RingKind kind) {
        SharedRing ring = SharedRing.create(region(1024), 0, 1024, kind);
        long a = ring.tryClaim(1, 40);
        long b = ring.tryClaim(2, 40);
        long c = ring.tryClaim(3, 40);
        ring.buffer().asSlice(b, 40).fill((byte) 2);
        ring.abort(a);
        ring.commit(b);
        assertEquals(1, drain(ring, 10).size(), "the aborted record is skipped, the claimed one blocks");
        ring.abort(c);
        assertEquals(0, drain(ring, 10).size());
        assertEquals(0, ring.used());
        assertThrows(IllegalStateException.class, () -> ring.commit(b), "already committed and consumed");
        long d = ring.tryClaim(4, 8);
        ring.commit(d);
        assertThrows(IllegalStateException.class, () -> ring.commit(d), "committed twice");
        assertThrows(IllegalStateException.class, () -> ring.abort(d), "aborted after commit");
        assertEquals(1, drain(ring, 10).size(), "record d");
        // Claims and aborts through many laps leave the ring empty and usable.
        for (int i = 0; i < 10_000; i++) {
            long x = ring.tryClaim(5, i % (ring.maxPayload() + 1));
            if (x < 0) {
                drain(ring, 100);
                x = ring.tryClaim(5, i % (ring.maxPayload() + 1));
            }
            ring.abort(x);
        }
        assertEquals(0, drain(ring, 100_000).size(), "only padding");
        assertEquals(0, ring.used());
    }

    // ------------------------------------------------------------------ timeouts and interrupts

    @ParameterizedTest
    @EnumSource(WaitStrategy.class)
    void fullAndEmptyTimeouts(WaitStrategy strategy) throws Exception {
        SharedRing ring = SharedRing.create(region(1024), 0, 1024, RingKind.SPSC).waitStrategy(strategy);
        assertEquals(strategy, ring.waitStrategy());
        long t0 = System.nanoTime();
        assertEquals(0, ring.poll((t, b, i, l) -> fail(), 10, 50, TimeUnit.MILLISECONDS));
        long waited = System.nanoTime() - t0;
        assertTrue(waited >= TimeUnit.MILLISECONDS.toNanos(50), "poll returned after " + waited + " ns");
        assertTrue(waited < 5 * SECOND, "poll returned after " + waited + " ns");
        assertEquals(0, ring.poll((t, b, i, l) -> fail(), 10, 0, TimeUnit.MILLISECONDS), "a zero timeout does not wait");

        byte[] msg = new byte[100];
        int n = 0;
        while (ring.offer(1, msg, 0, TimeUnit.MILLISECONDS)) n++;
        assertEquals(1024 / 112, n);
        t0 = System.nanoTime();
        assertFalse(ring.offer(1, msg, 50, TimeUnit.MILLISECONDS));
        waited = System.nanoTime() - t0;
        assertTrue(waited >= TimeUnit.MILLISECONDS.toNanos(50) && waited < 5 * SECOND, "offer returned after " + waited + " ns");
        t0 = System.nanoTime();
        assertEquals(SharedRing.INSUFFICIENT_CAPACITY, ring.claim(1, 100, 30, TimeUnit.MILLISECONDS));
        assertTrue(System.nanoTime() - t0 >= TimeUnit.MILLISECONDS.toNanos(30));
        assertEquals(SharedRing.INSUFFICIENT_CAPACITY, ring.tryClaim(1, 100));
        // After one record is consumed there is room again.
        assertEquals(1, ring.poll((t, b, i, l) -> {}, 1, 1, TimeUnit.SECONDS));
        assertTrue(ring.offer(1, msg, 0, TimeUnit.MILLISECONDS));
    }

    /** An interrupt before or during the wait ends poll, put, offer and claim with InterruptedException. */
    @ParameterizedTest
    @EnumSource(WaitStrategy.class)
    void interrupts(WaitStrategy strategy) throws Exception {
        MemorySegment region = region(1024);
        SharedRing ring = SharedRing.create(region, 0, 1024, RingKind.SPSC).waitStrategy(strategy);
        Thread.currentThread().interrupt();
        assertThrows(InterruptedException.class, () -> ring.poll((t, b, i, l) -> {}, 1, -1, TimeUnit.SECONDS));
        assertFalse(Thread.interrupted(), "the status is cleared by the exception");
        while (ring.offer(1, new byte[100])) {
            // fill it
        }
        Thread.currentThread().interrupt();
        assertThrows(InterruptedException.class, () -> ring.put(1, new byte[100]));
        Thread.currentThread().interrupt();
        assertThrows(InterruptedException.class, () -> ring.offer(1, new byte[100], 10, TimeUnit.SECONDS));
        Thread.currentThread().interrupt();
        assertThrows(InterruptedException.class, () -> ring.claim(1, 100, -1, TimeUnit.SECONDS));
        drain(ring, 100);

        // During the wait: the waiter is asleep on the futex (BLOCKING/ADAPTIVE) or spinning.
        try (ExecutorService exec = Executors.newSingleThreadExecutor()) {
            CountDownLatch started = new CountDownLatch(1);
            Future<Integer> polling = exec.submit(() -> {
                started.countDown();
                return ring.poll((t, b, i, l) -> {}, 1, -1, TimeUnit.SECONDS);
            });
            started.await();
            awaitWaiting(region, RingDescriptor.DATA_WAITERS_OFFSET, strategy);
            exec.shutdownNow(); // interrupts
            ExecutionException e = assertThrows(ExecutionException.class, () -> polling.get(10, TimeUnit.SECONDS));
            assertInstanceOf(InterruptedException.class, e.getCause());
        }
        while (ring.offer(1, new byte[100])) {
            // fill it
        }
        try (ExecutorService exec = Executors.newSingleThreadExecutor()) {
            CountDownLatch started = new CountDownLatch(1);
            Future<?> putting = exec.submit(() -> {
                started.countDown();
                ring.put(1, new byte[100]);
                return null;
            });
            started.await();
            awaitWaiting(region, RingDescriptor.SPACE_WAITERS_OFFSET, strategy);
            exec.shutdownNow();
            ExecutionException e = assertThrows(ExecutionException.class, () -> putting.get(10, TimeUnit.SECONDS));
            assertInstanceOf(InterruptedException.class, e.getCause());
        }
    }

    /** For the sleeping strategies, waits until a waiter has announced itself on the futex word. */
    private static void awaitWaiting(MemorySegment region, long waitersOffset, WaitStrategy strategy) {
        if (strategy != WaitStrategy.BLOCKING && strategy != WaitStrategy.ADAPTIVE) return;
        long start = System.nanoTime();
        while (region.get(ValueLayout.JAVA_INT, waitersOffset) == 0) {
            assertTrue(System.nanoTime() - start < 30 * SECOND, "the waiter never slept");
            Thread.onSpinWait();
        }
    }

    /**
     * A consumer asleep on the futex is woken by a commit, and a producer asleep on a full ring
     * by a read: no lost wake-up in many alternations (each would cost a 10 ms slice at least,
     * so the total time bounds the number lost).
     */
    @Test
    void sleepersAreWokenWithoutLostWakeups() throws Exception {
        MemorySegment region = region(1024);
        SharedRing ring = SharedRing.create(region, 0, 1024, RingKind.SPSC).waitStrategy(WaitStrategy.BLOCKING);
        int rounds = 300;
        try (ExecutorService exec = Executors.newSingleThreadExecutor()) {
            Future<Long> consumer = exec.submit(() -> {
                long sum = 0;
                for (int i = 0; i < rounds; i++) {
                    long[] v = {0};
                    while (ring.poll((t, b, idx, l) -> v[0] = b.get(ValueLayout.JAVA_LONG_UNALIGNED, idx), 1, -1, TimeUnit.SECONDS) == 0) {
                        // a poll without timeout returns only with a record
                    }
                    sum += v[0];
                }
                return sum;
            });
            long t0 = System.nanoTime();
            for (int i = 0; i < rounds; i++) {
                // Wait until the consumer sleeps, then commit: the wake-up must not be lost.
                long start = System.nanoTime();
                while (region.get(ValueLayout.JAVA_INT, RingDescriptor.DATA_WAITERS_OFFSET) == 0 && System.nanoTime() - start < SECOND) {
                    Thread.onSpinWait();
                }
                long index = ring.claim(1, 8, 10, TimeUnit.SECONDS);
                ring.buffer().set(ValueLayout.JAVA_LONG_UNALIGNED, index, i);
                ring.commit(index);
            }
            assertEquals((long) rounds * (rounds - 1) / 2, consumer.get(60, TimeUnit.SECONDS));
            long ms = (System.nanoTime() - t0) / 1_000_000;
            System.out.printf("%d futex wake-ups in %d ms%n", rounds, ms);
            // A lost wake-up costs a whole 10 ms slice: the time bounds how many there were.
            assertTrue(ms < rounds * 5L, rounds + " wake-ups took " + ms + " ms: wake-ups were lost");
        }
        // Producers: fill, then let a sleeping producer be woken by each read.
        try (ExecutorService exec = Executors.newSingleThreadExecutor()) {
            while (ring.offer(1, new byte[56])) {
                // fill
            }
            Future<?> producer = exec.submit(() -> {
                for (int i = 0; i < rounds; i++) ring.put(1, new byte[56]);
                return null;
            });
            int got = 0;
            while (got < rounds) {
                long start = System.nanoTime();
                while (region.get(ValueLayout.JAVA_INT, RingDescriptor.SPACE_WAITERS_OFFSET) == 0 && !producer.isDone() && System.nanoTime() - start < SECOND) {
                    Thread.onSpinWait();
                }
                got += ring.read((t, b, i, l) -> {}, 1);
            }
            producer.get(60, TimeUnit.SECONDS);
        }
    }

    /** A producer thread and a consumer thread, a million messages, each wait strategy. */
    @ParameterizedTest
    @EnumSource(WaitStrategy.class)
    void threadsWithEachWaitStrategy(WaitStrategy strategy) throws Exception {
        for (RingKind kind : RingKind.values()) {
            SharedRing ring = SharedRing.create(region(1 << 12), 0, 1 << 12, kind).waitStrategy(strategy);
            long count = 100_000;
            try (ExecutorService exec = Executors.newSingleThreadExecutor()) {
                Future<?> producer = exec.submit(() -> {
                    for (long seq = 0; seq < count; seq++) {
                        int len = RingMessages.length(1, seq, RingMessages.MIN, 200);
                        long index = ring.claim(RingMessages.DATA, len, -1, TimeUnit.SECONDS);
                        RingMessages.write(ring.buffer(), index, 1, seq, len);
                        ring.commit(index);
                    }
                    return null;
                });
                RingMessages.Tally tally = new RingMessages.Tally();
                while (tally.total() < count) {
                    assertTrue(ring.poll((t, b, i, l) -> tally.accept(b, i, l), 512, 30, TimeUnit.SECONDS) > 0,
                            () -> kind + " " + strategy + " stalled after " + tally.total() + ": " + ring.debugState());
                }
                producer.get();
                tally.check(1, count);
            }
        }
    }

    /** Several producer threads of one process share its slot; MPSC and MPMC keep each thread's order. */
    @ParameterizedTest
    @EnumSource(value = RingKind.class, names = {"MPSC", "MPMC"})
    void producerThreads(RingKind kind) throws Exception {
        SharedRing ring = SharedRing.create(region(1 << 12), 0, 1 << 12, kind);
        int threads = 3;
        long count = 100_000;
        try (ExecutorService exec = Executors.newFixedThreadPool(threads)) {
            List<Future<?>> fs = new ArrayList<>();
            for (int p = 1; p <= threads; p++) {
                int producer = p;
                fs.add(exec.submit(() -> {
                    for (long seq = 0; seq < count; seq++) {
                        int len = RingMessages.length(producer, seq, RingMessages.MIN, 100);
                        long index = ring.claim(RingMessages.DATA, len, -1, TimeUnit.SECONDS);
                        RingMessages.write(ring.buffer(), index, producer, seq, len);
                        ring.commit(index);
                    }
                    return null;
                }));
            }
            RingMessages.Tally tally = new RingMessages.Tally();
            while (tally.total() < threads * count) {
                assertTrue(ring.poll((t, b, i, l) -> tally.accept(b, i, l), 512, 30, TimeUnit.SECONDS) > 0);
            }
            for (Future<?> f : fs) f.get();
            for (int p = 1; p <= threads; p++) tally.check(p, count);
        }
    }

    @Test
    void handlerExceptionConsumesTheRecordAndKeepsTheRest() {
        SharedRing ring = SharedRing.create(region(1024), 0, 1024, RingKind.SPSC);
        for (int i = 1; i <= 3; i++) assertTrue(ring.offer(i, new byte[] {(byte) i}));
        assertThrows(IllegalStateException.class, () -> ring.read((t, b, i, l) -> {
            if (t == 2) throw new IllegalStateException("boom");
        }, 10));
        List<Msg> rest = drain(ring, 10);
        assertEquals(1, rest.size());
        assertEquals(3, rest.get(0).type());
    }

    @Test
    void readLimitAndCountersAndQueries() {
        SharedRing ring = SharedRing.create(region(1024), 0, 1024, RingKind.MPSC);
        assertEquals(RingKind.MPSC, ring.kind());
        assertEquals(1024, ring.capacity());
        assertNull(ring.name());
        assertThrows(IllegalStateException.class, ring::unlink);
        for (int i = 0; i < 5; i++) assertTrue(ring.offer(1, new byte[8]));
        assertEquals(5 * 16, ring.used());
        assertEquals(2, drain(ring, 2).size());
        assertEquals(3 * 16, ring.used());
        assertEquals(32, ring.headPosition());
        assertEquals(80, ring.tailPosition());
        assertEquals(3, drain(ring, 100).size());
        assertEquals(0, ring.recoveredRecords());
        assertEquals(0, ring.redeliveries());
        assertEquals(SharedRing.PeerState.ALIVE, ring.producerState());
        assertEquals(SharedRing.PeerState.ALIVE, ring.consumerState());
        assertTrue(ring.toString().contains("MPSC"));
    }

    // ------------------------------------------------------------------ placement and validation

    @Test
    void namedRingCreateOpenAndClose() throws Exception {
        try (SharedRing ring = SharedRing.create(name, 4096, RingKind.MPMC)) {
            assertEquals(name, ring.name());
            assertThrows(RuntimeException.class, () -> SharedRing.create(name, 4096, RingKind.MPMC), "exclusive");
            try (SharedRing other = SharedRing.open(name)) {
                assertEquals(RingKind.MPMC, other.kind());
                assertEquals(4096, other.capacity());
                assertTrue(other.offer(5, "hi".getBytes()));
            }
            List<Msg> got = drain(ring, 10);
            assertEquals(1, got.size());
            assertEquals("hi", new String(got.get(0).bytes()));
            try (SharedRing third = SharedRing.open(name, dev.shmkit.shm.OpenMode.OPEN_OR_CREATE, 1024, RingKind.SPSC, 0600)) {
                assertEquals(RingKind.MPMC, third.kind(), "an existing ring keeps its kind and capacity");
                assertEquals(4096, third.capacity());
            }
        }
        assertThrows(IllegalArgumentException.class, () -> SharedRing.create(name, 1000, RingKind.SPSC));
        assertThrows(IllegalArgumentException.class, () -> SharedRing.create(name, 32, RingKind.SPSC));
        assertThrows(IllegalArgumentException.class, () -> SharedRing.sizeFor(1L << 31));
    }

    @Test
    void placementChecks() {
        MemorySegment region = region(1024);
        assertThrows(IllegalArgumentException.class, () -> SharedRing.create(MemorySegment.ofArray(new byte[4096]), 0, 1024, RingKind.SPSC), "heap memory");
        assertThrows(IllegalArgumentException.class, () -> SharedRing.create(region, 4, 1024, RingKind.SPSC), "misaligned");
        assertThrows(IndexOutOfBoundsException.class, () -> SharedRing.create(region, 128, 1024, RingKind.SPSC), "does not fit");
        assertThrows(IndexOutOfBoundsException.class, () -> SharedRing.create(region, -8, 1024, RingKind.SPSC));
        SharedRing ring = SharedRing.create(region, 64, 1024, RingKind.SPSC);
        assertTrue(ring.offer(1, new byte[3]));
        assertEquals(1, drain(ring, 10).size());
        assertEquals(0L, region.get(ValueLayout.JAVA_LONG, 0), "nothing written before the offset");
    }

    @Test
    void openAtOffsetOfASegment() {
        MemorySegment region = region(1024);
        SharedRing created = SharedRing.create(region, 64, 1024, RingKind.MPSC);
        assertTrue(created.offer(1, new byte[] {42}));
        SharedRing opened = SharedRing.open(region, 64);
        assertEquals(1024, opened.capacity());
        assertEquals(42, drain(opened, 10).get(0).bytes()[0]);
    }

    /** Each corruption of a named ring's header is refused on open with an IllegalStateException saying what is wrong. */
    @Test
    void corruptHeadersAreRefused() {
        record Corruption(String what, String message, Consumer<MemorySegment> damage) {}
        long cap = 4096;
        List<Corruption> cases = List.of(
                new Corruption("magic", "not a shmkit ring", s -> s.set(ValueLayout.JAVA_INT, 0, 0x12345678)),
                new Corruption("version", "version", s -> s.set(ValueLayout.JAVA_SHORT, 4, (short) 1)),
                new Corruption("clean past the head", "positions", s -> s.set(ValueLayout.JAVA_LONG, RingDescriptor.CLEAN_OFFSET, 64L)),
                new Corruption("kind", "kind", s -> s.set(ValueLayout.JAVA_SHORT, 6, (short) 9)),
                new Corruption("capacity not a power of two", "capacity", s -> s.set(ValueLayout.JAVA_LONG, 8, 3000L)),
                new Corruption("capacity larger than the region", "capacity", s -> s.set(ValueLayout.JAVA_LONG, 8, 8192L)),
                new Corruption("capacity huge", "capacity", s -> s.set(ValueLayout.JAVA_LONG, 8, 1L << 40)),
                new Corruption("capacity negative", "capacity", s -> s.set(ValueLayout.JAVA_LONG, 8, Long.MIN_VALUE)),
                new Corruption("max payload", "maximum payload", s -> s.set(ValueLayout.JAVA_INT, 16, 1 << 20)),
                // the head may lead the tail by up to a lap (a dead producer's unpublished tail), never more
                new Corruption("head more than a lap past the tail", "positions",
                        s -> s.set(ValueLayout.JAVA_LONG, RingDescriptor.HEAD_OFFSET, 8L * cap)),
                new Corruption("tail - head > capacity", "positions", s -> s.set(ValueLayout.JAVA_LONG, RingDescriptor.TAIL_OFFSET, cap + 8)),
                new Corruption("negative head", "positions", s -> {
                    s.set(ValueLayout.JAVA_LONG, RingDescriptor.HEAD_OFFSET, -8L);
                    s.set(ValueLayout.JAVA_LONG, RingDescriptor.TAIL_OFFSET, 0L);
                }),
                new Corruption("misaligned tail", "positions", s -> s.set(ValueLayout.JAVA_LONG, RingDescriptor.TAIL_OFFSET, 12L)));
        for (Corruption c : cases) {
            String n = Names.unique("ring");
            SharedRing.create(n, cap, RingKind.MPSC).close();
            try {
                try (SharedMemory shm = SharedMemory.open(n)) {
                    c.damage().accept(shm.segment());
                }
                IllegalStateException e = assertThrows(IllegalStateException.class, () -> SharedRing.open(n), c.what());
                assertTrue(e.getMessage().contains(c.message()) && e.getMessage().contains(n), c.what() + ": " + e.getMessage());
                assertThrows(IllegalStateException.class,
                        () -> SharedRing.open(n, dev.shmkit.shm.OpenMode.OPEN_OR_CREATE, cap, RingKind.MPSC, 0600), c.what());
            } finally {
                SharedRing.unlink(n);
            }
        }
        // A region too small for even the header.
        try (SharedMemory shm = SharedMemory.create(name, 1024)) {
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> SharedRing.open(name));
            assertTrue(e.getMessage().contains("too small"), e.getMessage());
        }
    }

    /** The same validation for a ring placed in a segment. */
    @Test
    void corruptHeaderInASegmentIsRefused() {
        MemorySegment region = region(1024);
        SharedRing.create(region, 0, 1024, RingKind.SPSC);
        region.set(ValueLayout.JAVA_LONG, 8, 1L << 30);
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> SharedRing.open(region, 0));
        assertTrue(e.getMessage().contains("capacity"), e.getMessage());
        region.set(ValueLayout.JAVA_INT, 0, 0);
        assertThrows(IllegalStateException.class, () -> SharedRing.open(region, 0));
    }

    /** A record header whose length runs past the end of the buffer is refused, never followed. */
    @ParameterizedTest
    @EnumSource(RingKind.class)
    void corruptRecordLengthIsRefused(RingKind kind) {
        MemorySegment region = region(1024);
        SharedRing ring = SharedRing.create(region, 0, 1024, kind);
        for (int i = 0; i < 5; i++) assertTrue(ring.offer(1, new byte[40]));
        drain(ring, 5);
        assertTrue(ring.offer(1, new byte[40])); // at index 240
        long at = RingDescriptor.HEADER_LENGTH + 240;
        for (int bad : new int[] {1024 - 240 + 8, 4096, Integer.MAX_VALUE}) {
            region.set(ValueLayout.JAVA_LONG, at, RingDescriptor.header(RingDescriptor.COMMITTED, 0, 1, bad));
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> drain(ring, 10), "length " + bad);
            assertTrue(e.getMessage().contains("corrupt record"), e.getMessage());
        }
    }

    /** A committed record shorter than its own header is refused (the handler would get a negative length). */
    @Test
    void recordShorterThanItsHeaderIsRefused() {
        MemorySegment region = region(1024);
        SharedRing ring = SharedRing.create(region, 0, 1024, RingKind.SPSC);
        assertTrue(ring.offer(1, new byte[40]));
        region.set(ValueLayout.JAVA_LONG, RingDescriptor.HEADER_LENGTH, RingDescriptor.header(RingDescriptor.COMMITTED, 0, 1, 3));
        int[] seen = {0};
        assertThrows(IllegalStateException.class, () -> ring.read((t, b, i, l) -> seen[0] = l, 10));
        assertEquals(0, seen[0]);
    }

    /** Random claims, commits, aborts and batches against a model, on a small ring. */
    @Test
    void randomOperationsAgainstAModel() {
        ThreadLocalRandom rnd = ThreadLocalRandom.current();
        for (RingKind kind : RingKind.values()) {
            SharedRing ring = SharedRing.create(region(512), 0, 512, kind);
            List<Msg> model = new ArrayList<>();
            long seq = 0;
            for (int op = 0; op < 50_000; op++) {
                int r = rnd.nextInt(10);
                if (r < 5) {
                    int len = rnd.nextInt(ring.maxPayload() + 1);
                    int type = 1 + rnd.nextInt(RingDescriptor.MAX_TYPE_ID);
                    long index = ring.tryClaim(type, len);
                    if (index < 0) continue;
                    byte[] b = pattern(seq++, len);
                    MemorySegment.copy(b, 0, ring.buffer(), ValueLayout.JAVA_BYTE, index, len);
                    if (rnd.nextInt(5) == 0) ring.abort(index);
                    else {
                        ring.commit(index);
                        model.add(new Msg(type, b));
                    }
                } else if (r < 7) {
                    int len = rnd.nextInt(16);
                    int count = 1 + rnd.nextInt(Math.max(1, (ring.maxPayload() + 8) / SharedRing.batchStride(len)));
                    long index = ring.tryClaimBatch(2, len, count);
                    if (index < 0) continue;
                    for (int i = 0; i < count; i++) {
                        byte[] b = pattern(seq++, len);
                        MemorySegment.copy(b, 0, ring.buffer(), ValueLayout.JAVA_BYTE, index + (long) i * SharedRing.batchStride(len), len);
                        model.add(new Msg(2, b));
                    }
                    ring.commitBatch(index, len, count);
                } else {
                    for (Msg m : drain(ring, 1 + rnd.nextInt(8))) {
                        Msg want = model.remove(0);
                        assertEquals(want.type(), m.type());
                        assertArrayEquals(want.bytes(), m.bytes());
                    }
                }
                assertTrue(ring.used() <= 512);
            }
            for (Msg m : drain(ring, Integer.MAX_VALUE)) assertArrayEquals(model.remove(0).bytes(), m.bytes());
            assertTrue(model.isEmpty());
        }
    }
}
