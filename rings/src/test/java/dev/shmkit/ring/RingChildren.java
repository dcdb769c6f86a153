package dev.shmkit.ring;

import dev.shmkit.os.ProcessId;
import dev.shmkit.shm.SharedMemory;
import dev.shmkit.sync.SharedLock;
import dev.shmkit.testkit.Child;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.concurrent.TimeUnit;

/** The programs the cross-process ring tests run in child JVMs; they talk to the test by lines. */
final class RingChildren {
    private RingChildren() {}

    /**
     * {@code NAME PRODUCER COUNT MIN MAX MODE}: sends messages 0..COUNT-1 of MIN..MAX bytes with
     * MODE {@code claim} (zero-copy claim/commit, blocking), {@code batch} (tryClaimBatch) or
     * {@code put} (the copying API). Prints {@code ready}, waits for {@code go}, prints {@code done}.
     */
    public static final class Producer {
        public static void main(String[] args) throws Exception {
            try (SharedRing ring = SharedRing.open(args[0])) {
                int producer = Integer.parseInt(args[1]);
                long count = Long.parseLong(args[2]);
                int min = Integer.parseInt(args[3]);
                int max = Integer.parseInt(args[4]);
                String mode = args[5];
                Child.say("ready");
                Child.await("go");
                MemorySegment buf = ring.buffer();
                switch (mode) {
                    case "claim" -> {
                        for (long seq = 0; seq < count; seq++) {
                            int len = RingMessages.length(producer, seq, min, max);
                            long index = ring.claim(RingMessages.DATA, len, -1, TimeUnit.NANOSECONDS);
                            RingMessages.write(buf, index, producer, seq, len);
                            ring.commit(index);
                        }
                    }
                    case "batch" -> {
                        long seq = 0;
                        for (long b = 0; seq < count; b++) {
                            int len = RingMessages.length(producer, b, min, max);
                            int stride = SharedRing.batchStride(len);
                            int n = (int) Math.min(count - seq, Math.max(1, Math.min(64, (ring.maxPayload() + 8) / stride)));
                            long index;
                            while ((index = ring.tryClaimBatch(RingMessages.DATA, len, n)) < 0) Thread.yield(); // no blocking batch claim
                            for (int i = 0; i < n; i++) RingMessages.write(buf, index + (long) i * stride, producer, seq + i, len);
                            ring.commitBatch(index, len, n);
                            seq += n;
                        }
                    }
                    case "put" -> {
                        MemorySegment heap = MemorySegment.ofArray(new byte[max]);
                        for (long seq = 0; seq < count; seq++) {
                            int len = RingMessages.length(producer, seq, min, max);
                            RingMessages.write(heap, 0, producer, seq, len);
                            ring.put(RingMessages.DATA, heap.asSlice(0, len).toArray(ValueLayout.JAVA_BYTE));
                        }
                    }
                    default -> throw new IllegalArgumentException(mode);
                }
                Child.say("done");
            }
        }
    }

    /** Stops a consumer: thrown by its handler on a poison record, which counts as consumed. */
    static final class Stop extends RuntimeException {
        Stop() {
            super(null, null, false, false);
        }
    }

    /**
     * {@code NAME}: consumes and verifies messages until it takes one poison record, then prints
     * its tally lines and {@code done}.
     */
    public static final class Consumer {
        public static void main(String[] args) throws Exception {
            try (SharedRing ring = SharedRing.open(args[0])) {
                RingMessages.Tally tally = new RingMessages.Tally();
                ring.read((t, b, i, l) -> {}, 0); // register before the producers start
                Child.say("ready");
                MessageHandler h = (type, buf, index, len) -> {
                    if (type == RingMessages.POISON) throw new Stop();
                    if (type != RingMessages.DATA) throw new AssertionError("type " + type);
                    tally.accept(buf, index, len);
                };
                try {
                    while (true) ring.poll(h, 256, 1, TimeUnit.SECONDS);
                } catch (Stop stop) {
                    // the one poison this consumer takes
                }
                for (String line : tally.lines()) Child.say(line);
                Child.say("done");
            }
        }
    }

    /**
     * {@code NAME MODE PRODUCER [PREFIX]}: a producer that gets killed. Modes:
     * <ul>
     * <li>{@code half}: sends PREFIX whole messages, claims a 64-byte record, writes half of
     *     it, prints {@code claimed}, and blocks;</li>
     * <li>{@code lock}: takes the ring's producer claim lock and prints {@code locked};</li>
     * <li>{@code header}: under the claim lock, writes a claimed record header at the tail
     *     without moving the tail (a producer killed between those two stores), prints
     *     {@code staged};</li>
     * <li>{@code stream}: sends messages forever, printing {@code streaming} after PREFIX.</li>
     * </ul>
     */
    public static final class Victim {
        public static void main(String[] args) throws Exception {
            String mode = args[1];
            int producer = Integer.parseInt(args[2]);
            long prefix = args.length > 3 ? Long.parseLong(args[3]) : 0;
            try (SharedRing ring = SharedRing.open(args[0]); SharedMemory shm = SharedMemory.open(args[0])) {
                MemorySegment buf = ring.buffer();
                long seq = 0;
                for (; seq < prefix && !mode.equals("stream"); seq++) {
                    int len = RingMessages.length(producer, seq, RingMessages.MIN, 64);
                    long index = ring.claim(RingMessages.DATA, len, -1, TimeUnit.NANOSECONDS);
                    RingMessages.write(buf, index, producer, seq, len);
                    ring.commit(index);
                }
                switch (mode) {
                    case "half" -> {
                        long index = ring.claim(RingMessages.DATA, 64, -1, TimeUnit.NANOSECONDS);
                        RingMessages.writeHalf(buf, index, producer, seq, 64);
                        Child.say("claimed");
                    }
                    case "header" -> {
                        ring.abort(ring.claim(RingMessages.DATA, 0, -1, TimeUnit.NANOSECONDS)); // registers a producer slot
                        int slot = ownSlot(shm.segment());
                        MemorySegment s = shm.segment();
                        // As if killed between the claim's CAS on the header and the CAS that moves the tail.
                        long tail = s.get(ValueLayout.JAVA_LONG, RingDescriptor.TAIL_OFFSET);
                        s.set(ValueLayout.JAVA_LONG, RingDescriptor.HEADER_LENGTH + (tail & (ring.capacity() - 1)),
                                RingDescriptor.header(RingDescriptor.CLAIMED, slot, RingMessages.DATA, 64 + RingDescriptor.RECORD_HEADER_LENGTH));
                        Child.say("staged");
                    }
                    case "stream" -> {
                        for (; ; seq++) {
                            int len = RingMessages.length(producer, seq, RingMessages.MIN, 200);
                            long index = ring.claim(RingMessages.DATA, len, -1, TimeUnit.NANOSECONDS);
                            RingMessages.write(buf, index, producer, seq, len);
                            ring.commit(index);
                            if (seq == prefix) Child.say("streaming");
                        }
                    }
                    default -> throw new IllegalArgumentException(mode);
                }
                Child.listen(); // blocks until killed
                System.exit(98);
            }
        }

        static int ownSlot(MemorySegment ring) {
            int pid = ProcessId.current().pid();
            for (int i = 0; i < RingDescriptor.SLOTS; i++) {
                long id = ring.get(ValueLayout.JAVA_LONG, RingDescriptor.PRODUCER_SLOTS_OFFSET + i * 8L);
                if ((int) (id & 0x3fff_ffffL) == pid) return i;
            }
            throw new IllegalStateException("not registered");
        }
    }

    /** {@code NAME}: registers as a consumer, prints {@code registered}, and blocks until killed. */
    public static final class IdleConsumer {
        public static void main(String[] args) {
            try (SharedRing ring = SharedRing.open(args[0])) {
                ring.read((t, b, i, l) -> {}, 0);
                Child.say("registered");
                Child.listen();
                System.exit(98);
            }
        }
    }

    /**
     * {@code NAME}: an MPMC consumer that takes a batch and, handling its first record, prints
     * {@code holding SEQ} and blocks until killed: it dies mid-read, holding the consumer lock.
     */
    public static final class HoldingConsumer {
        public static void main(String[] args) throws Exception {
            try (SharedRing ring = SharedRing.open(args[0])) {
                ring.poll((type, buf, index, len) -> {
                    RingMessages.verify(buf, index, len);
                    Child.say("holding " + RingMessages.seq(buf, index));
                    Child.listen();
                    System.exit(98);
                }, 100, 30, TimeUnit.SECONDS);
                Child.say("nothing");
            }
        }
    }

    /**
     * {@code NAME OFFSET COUNT}: maps the named segment, opens the ring placed at OFFSET, and
     * consumes COUNT messages from producer 1, printing tally lines and {@code done}.
     */
    public static final class SegmentConsumer {
        public static void main(String[] args) throws Exception {
            try (SharedMemory shm = SharedMemory.open(args[0])) {
                SharedRing ring = SharedRing.open(shm.segment(), Long.parseLong(args[1]));
                long count = Long.parseLong(args[2]);
                RingMessages.Tally tally = new RingMessages.Tally();
                Child.say("ready");
                while (tally.total() < count) {
                    if (ring.poll((t, b, i, l) -> tally.accept(b, i, l), 256, 30, TimeUnit.SECONDS) == 0) break;
                }
                for (String line : tally.lines()) Child.say(line);
                Child.say("done");
                ring.close();
            }
        }
    }
}
