package dev.shmkit.ringstress;

import dev.shmkit.ring.MessageHandler;
import dev.shmkit.ring.RingKind;
import dev.shmkit.ring.SharedRing;
import dev.shmkit.ring.WaitStrategy;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * What the jcstress tests share: rings over one mapping with a handle per side, records whose
 * payload is one long value repeated (so a reader can tell a complete record from a torn one),
 * and the codes the tests report.
 *
 * <p>Each test state maps its own ring in {@link Arena#ofAuto()} memory: native, accessible from
 * every thread, freed by the garbage collector once the state is dropped, and never a named
 * object (nothing can be left in /dev/shm). The first handle creates the ring with
 * {@link SharedRing#create(MemorySegment, long, long, RingKind)}; every other handle opens the
 * same bytes with {@link SharedRing#open(MemorySegment, long)}, as another process would.
 */
final class Rings {
    private Rings() {}

    /** 1 KiB of records: a 64-byte payload fits (at most 120), 14 of them leave 16 bytes at the end. */
    static final long CAPACITY = 1024;
    /** The payload of the visibility and delivery tests: 8 longs. */
    static final int PAYLOAD = 64;
    /** The largest payload of a 1 KiB ring: 8 records of 128 bytes fill it exactly. */
    static final int FULL_PAYLOAD = 120;

    // Codes a reader reports for one record (and 0 for none).
    static final int NONE = 0;
    /** Records 1..4 have type id k and payload words {@code value(k)}. */
    static final int MAX_ID = 4;
    /** A record of an earlier lap (the states consume some first): the reader went back in time. */
    static final int STALE = 7;
    /** Wrong length, type id or value: a header or payload that no producer of this test wrote. */
    static final int BAD = 8;
    /** Payload words that differ (or read as zero): the record was seen before all of it was visible. */
    static final int TORN = 9;

    /** Type id and word of the records the states send and consume before the test. */
    static final int OLD_TYPE = 7;
    static final long OLD = 0x0DDE_0DDE_0DDE_0DDEL;

    static long value(int id) {
        return 0x0101_0101_0101_0101L * id;
    }

    /** Heap copies of the payloads, for {@code offer(typeId, byte[], ...)}. */
    static byte[] bytes(int id, int length) {
        byte[] b = new byte[length];
        MemorySegment s = MemorySegment.ofArray(b);
        for (int i = 0; i < length; i += 8) s.set(ValueLayout.JAVA_LONG_UNALIGNED, i, value(id));
        return b;
    }

    /**
     * {@code count} handles on one new ring: the first created it, the others opened it. Every
     * handle waits with {@link WaitStrategy#BLOCKING}: straight to the futex, so the wake-up
     * handshake is what the tests exercise.
     */
    static SharedRing[] handles(RingKind kind, int count) {
        MemorySegment mapping = Arena.ofAuto().allocate(SharedRing.sizeFor(CAPACITY), 64);
        SharedRing[] h = new SharedRing[count];
        h[0] = SharedRing.create(mapping, 0, CAPACITY, kind);
        for (int i = 1; i < count; i++) h[i] = SharedRing.open(mapping, 0);
        for (SharedRing r : h) r.waitStrategy(WaitStrategy.BLOCKING);
        return h;
    }

    private static final AtomicInteger ROTATION = new AtomicInteger();

    /** A different number for each state, to start each test at another place in the ring. */
    static int rotation() {
        return ROTATION.getAndIncrement() & 0x7fff_ffff;
    }

    /**
     * Sends and consumes {@code records} records of {@code length} bytes, so the test's records
     * land elsewhere than at index 0 of a fresh ring: mid-buffer, across the wrap (with padding)
     * and on the next lap, over the headers and payloads of consumed records.
     */
    static void cycle(SharedRing producer, SharedRing consumer, int records, int length) {
        for (int i = 0; i < records; i++) {
            if (!produce(producer, OLD_TYPE, OLD, length)) throw new IllegalStateException("an empty ring refused a record: " + producer);
            if (consumer.read(IGNORE, 1) != 1) throw new IllegalStateException("a committed record was not read: " + consumer);
        }
    }

    private static final MessageHandler IGNORE = (type, buffer, index, length) -> {};

    /** Zero copy: claims, writes the payload in place (plain stores), commits. False when there is no room. */
    static boolean produce(SharedRing ring, int id, int length) {
        return produce(ring, id, value(id), length);
    }

    private static boolean produce(SharedRing ring, int type, long word, int length) {
        long index = ring.tryClaim(type, length);
        if (index < 0) return false;
        MemorySegment buffer = ring.buffer();
        for (int i = 0; i < length; i += 8) buffer.set(ValueLayout.JAVA_LONG, index + i, word);
        ring.commit(index);
        return true;
    }

    /** Claims records of record {@code id} until the ring refuses one; returns how many fit. */
    static int fill(SharedRing ring, int id, int length) {
        int n = 0;
        while (produce(ring, id, length)) n++;
        return n;
    }

    /** Reads until the ring is empty (bounded: a ring of 1 KiB holds at most 128 records). */
    static void drain(SharedRing consumer, Seen seen) {
        for (int i = 0; i < 256 && consumer.read(seen, 16) > 0; i++) {
            // keep reading
        }
    }

    static int classify(int type, MemorySegment buffer, long index, int length, int expectedLength) {
        if (length != expectedLength) return BAD;
        long w = buffer.get(ValueLayout.JAVA_LONG, index);
        for (int i = 8; i < length; i += 8) {
            if (buffer.get(ValueLayout.JAVA_LONG, index + i) != w) return TORN;
        }
        if (w == 0) return TORN;
        if (w == OLD || type == OLD_TYPE) return STALE;
        int id = (int) (w & 0xff);
        if (id < 1 || id > MAX_ID || w != value(id) || type != id) return BAD;
        return id;
    }

    /** A handler that classifies every record it is handed, in order. */
    static final class Seen implements MessageHandler {
        private final int expectedLength;
        final int[] codes = new int[160];
        int n;

        Seen(int expectedLength) {
            this.expectedLength = expectedLength;
        }

        @Override
        public void onMessage(int typeId, MemorySegment buffer, long index, int length) {
            int code = classify(typeId, buffer, index, length, expectedLength);
            if (n < codes.length) codes[n] = code;
            n++;
        }

        int code(int i) {
            return i < n ? codes[i] : NONE;
        }

        int count(int code) {
            int c = 0;
            for (int i = 0; i < Math.min(n, codes.length); i++) if (codes[i] == code) c++;
            return c;
        }

        /** Whether a record was torn, stale or malformed. */
        boolean anyBad() {
            for (int i = 0; i < Math.min(n, codes.length); i++) if (codes[i] < 1 || codes[i] > MAX_ID) return true;
            return n > codes.length;
        }

        /** The codes as decimal digits, in order (12: record 1 then record 2); 0 when empty. */
        int digits() {
            if (n > 4) return 99_999;
            int d = 0;
            for (int i = 0; i < n; i++) d = d * 10 + codes[i];
            return d;
        }
    }

    /**
     * Lines the two actors of a state up before the race, so each state is a real race rather
     * than one actor finding the other long done (what a blocking wait would otherwise turn every
     * state after the first of a stride into). Bounded: after 100 ms alone an actor goes on.
     */
    static final class Rendezvous {
        private static final VarHandle ARRIVED;
        static {
            try {
                ARRIVED = MethodHandles.lookup().findVarHandle(Rendezvous.class, "arrived", int.class);
            } catch (ReflectiveOperationException e) {
                throw new ExceptionInInitializerError(e);
            }
        }
        private volatile int arrived;

        void await() {
            ARRIVED.getAndAdd(this, 1);
            long deadline = 0;
            for (int i = 1; arrived < 2; i++) {
                Thread.onSpinWait();
                if ((i & 1023) == 0) {
                    long now = System.nanoTime();
                    if (deadline == 0) deadline = now + TimeUnit.MILLISECONDS.toNanos(100);
                    else if (now - deadline > 0) return;
                }
            }
        }
    }

    /** Spins {@code n} pauses: sweeps one side's start across the other's wait path. */
    static void delay(int n) {
        for (int i = 0; i < n; i++) Thread.onSpinWait();
    }

    /** A blocking call that returns more than this after its cause is reported LATE. */
    static final long LATE_NANOS = TimeUnit.MILLISECONDS.toNanos(1);
    /**
     * The blocking calls wait at most 2 s; one that returns the record (or room) this long after
     * its cause slept through its whole timeout and found it only on the way out: LOST.
     */
    static final long LOST_NANOS = TimeUnit.SECONDS.toNanos(1);

    /** 1 on time, 2 LATE, 3 LOST (found only when the timeout ran out), for a wait that succeeded. */
    static int timeliness(long waitStart, long cause, long done) {
        long delay = done - Math.max(waitStart, cause);
        return delay >= LOST_NANOS ? 3 : delay > LATE_NANOS ? 2 : 1;
    }
}
