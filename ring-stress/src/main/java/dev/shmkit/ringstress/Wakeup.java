package dev.shmkit.ringstress;

import dev.shmkit.ring.PeerDeadException;
import dev.shmkit.ring.RingKind;
import dev.shmkit.ring.SharedRing;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.Description;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.III_Result;
import org.openjdk.jcstress.infra.results.II_Result;

import java.util.concurrent.TimeUnit;

import static dev.shmkit.ringstress.Rings.FULL_PAYLOAD;
import static dev.shmkit.ringstress.Rings.PAYLOAD;
import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE_INTERESTING;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

/**
 * The sleep/wake handshake never loses a wake-up. Every handle waits with
 * {@link dev.shmkit.ring.WaitStrategy#BLOCKING} (straight to the futex). The two actors of a
 * state line up first ({@link Rings.Rendezvous}), then the waking side starts after 0..240 spin
 * pauses, so its commit (or release) falls before, inside and after the sleeper's
 * announce-check-sleep sequence across the states.
 *
 * <p>First field: 1 received; 2 LATE: received, but more than 1 ms after the other side's
 * commit or release (a descheduled thread on a busy machine, or a lost wake-up covered by a
 * timed re-check: v1 sleeps in futex slices of 10 ms, so a lost wake-up shows here, as a LATE
 * share far above the usual few percent); LOST, forbidden: 0 the call timed out, 3 it
 * succeeded only as its 2 s timeout ran out (v1's poll and offer look once more on the way out,
 * so a sleeper nobody woke ends there).
 */
public final class Wakeup {
    private Wakeup() {}

    static final byte[] RECORD_2 = Rings.bytes(2, PAYLOAD);
    static final byte[] FULL_RECORD_2 = Rings.bytes(2, FULL_PAYLOAD);

    /** A consumer asleep in {@code poll(handler, 1, 2 s)} on an empty ring; a producer commits one record. */
    abstract static class DataState {
        final SharedRing producer, consumer;
        final Rings.Seen seen = new Rings.Seen(PAYLOAD);
        final Rings.Rendezvous start = new Rings.Rendezvous();
        final int delay;
        boolean committed;
        int polled = -2;
        long pollStart, received, commitTime;

        DataState(RingKind kind) {
            SharedRing[] h = Rings.handles(kind, 2);
            producer = h[0];
            consumer = h[1];
            int rotation = Rings.rotation();
            Rings.cycle(producer, consumer, rotation % 20, PAYLOAD);
            delay = rotation / 20 % 16 * 16;
        }

        void consume() {
            start.await();
            pollStart = System.nanoTime();
            try {
                polled = consumer.poll(seen, 1, 2, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                polled = -1;
                Thread.currentThread().interrupt();
            }
            received = System.nanoTime();
        }

        void produce() {
            start.await();
            Rings.delay(delay);
            committed = Rings.produce(producer, 1, PAYLOAD);
            commitTime = System.nanoTime();
        }

        void judge(II_Result r) {
            r.r2 = committed ? 1 : 0;
            if (polled == 0) r.r1 = 0;
            else if (polled != 1 || seen.n != 1) r.r1 = Rings.BAD;
            else if (seen.code(0) != 1) r.r1 = seen.code(0);
            else r.r1 = Rings.timeliness(pollStart, commitTime, received);
        }
    }

    @JCStressTest
    @Description("SPSC: a consumer blocked in poll on an empty ring is woken by one committed record")
    @Outcome(id = "1, 1", expect = ACCEPTABLE, desc = "received, complete")
    @Outcome(id = "2, 1", expect = ACCEPTABLE_INTERESTING, desc = "LATE: received more than 1 ms after the commit")
    @Outcome(id = "[03], 1", expect = FORBIDDEN, desc = "LOST: poll returned 0 (0), or the record only as its 2 s timeout ran out (3)")
    @Outcome(expect = FORBIDDEN, desc = "torn (9), stale (7) or malformed (8) record, or the claim failed")
    @State
    public static class DataSpsc extends DataState {
        public DataSpsc() {
            super(RingKind.SPSC);
        }

        @Actor
        public void consumer() {
            consume();
        }

        @Actor
        public void producer() {
            produce();
        }

        @Arbiter
        public void arbiter(II_Result r) {
            judge(r);
        }
    }

    @JCStressTest
    @Description("MPSC: a consumer blocked in poll on an empty ring is woken by one committed record")
    @Outcome(id = "1, 1", expect = ACCEPTABLE, desc = "received, complete")
    @Outcome(id = "2, 1", expect = ACCEPTABLE_INTERESTING, desc = "LATE: received more than 1 ms after the commit")
    @Outcome(id = "[03], 1", expect = FORBIDDEN, desc = "LOST: poll returned 0 (0), or the record only as its 2 s timeout ran out (3)")
    @Outcome(expect = FORBIDDEN, desc = "torn (9), stale (7) or malformed (8) record, or the claim failed")
    @State
    public static class DataMpsc extends DataState {
        public DataMpsc() {
            super(RingKind.MPSC);
        }

        @Actor
        public void consumer() {
            consume();
        }

        @Actor
        public void producer() {
            produce();
        }

        @Arbiter
        public void arbiter(II_Result r) {
            judge(r);
        }
    }

    @JCStressTest
    @Description("MPMC: a consumer blocked in poll on an empty ring is woken by one committed record")
    @Outcome(id = "1, 1", expect = ACCEPTABLE, desc = "received, complete")
    @Outcome(id = "2, 1", expect = ACCEPTABLE_INTERESTING, desc = "LATE: received more than 1 ms after the commit")
    @Outcome(id = "[03], 1", expect = FORBIDDEN, desc = "LOST: poll returned 0 (0), or the record only as its 2 s timeout ran out (3)")
    @Outcome(expect = FORBIDDEN, desc = "torn (9), stale (7) or malformed (8) record, or the claim failed")
    @State
    public static class DataMpmc extends DataState {
        public DataMpmc() {
            super(RingKind.MPMC);
        }

        @Actor
        public void consumer() {
            consume();
        }

        @Actor
        public void producer() {
            produce();
        }

        @Arbiter
        public void arbiter(II_Result r) {
            judge(r);
        }
    }

    /**
     * A producer blocked in {@code offer(typeId, bytes, 2 s)} on a full ring (it filled the ring
     * itself); a consumer reads one record, which frees room for it. The arbiter then drains the
     * ring: the filler records but the one read, then the new record, complete.
     */
    abstract static class SpaceState {
        final SharedRing producer, consumer;
        final int length;
        final byte[] record;
        final int filled;
        final Rings.Seen freed, after;
        final Rings.Rendezvous start = new Rings.Rendezvous();
        final int delay;
        int offered = -2, read;
        long offerStart, offerDone, freedTime;

        SpaceState(RingKind kind, int length) {
            SharedRing[] h = Rings.handles(kind, 2);
            producer = h[0];
            consumer = h[1];
            this.length = length;
            record = length == FULL_PAYLOAD ? FULL_RECORD_2 : RECORD_2;
            freed = new Rings.Seen(length);
            after = new Rings.Seen(length);
            int rotation = Rings.rotation();
            Rings.cycle(producer, consumer, rotation % (length == FULL_PAYLOAD ? 8 : 20), length);
            filled = Rings.fill(producer, 1, length);
            if (length == FULL_PAYLOAD && filled != 8) {
                throw new IllegalStateException(filled + " records of " + length + " bytes in " + producer + "; 8 fill it exactly");
            }
            delay = rotation / 20 % 16 * 16;
        }

        void produce() {
            start.await();
            offerStart = System.nanoTime();
            try {
                offered = producer.offer(2, record, 2, TimeUnit.SECONDS) ? 1 : 0;
            } catch (InterruptedException e) {
                offered = -1;
                Thread.currentThread().interrupt();
            } catch (PeerDeadException e) {
                offered = -3;
            }
            offerDone = System.nanoTime();
        }

        void consume() {
            start.await();
            Rings.delay(delay);
            read = consumer.read(freed, 1);
            freedTime = System.nanoTime();
        }

        void judge(III_Result r) {
            Rings.drain(consumer, after);
            if (offered == 0) r.r1 = 0;
            else if (offered != 1) r.r1 = Rings.BAD;
            else r.r1 = Rings.timeliness(offerStart, freedTime, offerDone);
            r.r2 = read == 1 && freed.n == 1 && freed.code(0) == 1 ? 1 : 0;
            boolean rest = after.n == filled && after.count(1) == filled - 1 && after.code(filled - 1) == 2;
            r.r3 = rest ? 1 : 0;
        }
    }

    @JCStressTest
    @Description("SPSC, exactly full (8 records of 120 bytes in 1 KiB): a producer blocked in offer is woken when the consumer frees one record")
    @Outcome(id = "1, 1, 1", expect = ACCEPTABLE, desc = "the offer went through; the ring then held the rest and the new record, complete")
    @Outcome(id = "2, 1, 1", expect = ACCEPTABLE_INTERESTING, desc = "LATE: the offer returned more than 1 ms after the room was freed")
    @Outcome(id = "[03], .*", expect = FORBIDDEN, desc = "LOST: offer timed out (0), or went through only as its 2 s timeout ran out (3)")
    @Outcome(expect = FORBIDDEN, desc = "the offer failed otherwise (8), the read got no complete record, or the ring's contents were wrong afterwards")
    @State
    public static class SpaceSpsc extends SpaceState {
        public SpaceSpsc() {
            super(RingKind.SPSC, FULL_PAYLOAD);
        }

        @Actor
        public void producer() {
            produce();
        }

        @Actor
        public void consumer() {
            consume();
        }

        @Arbiter
        public void arbiter(III_Result r) {
            judge(r);
        }
    }

    @JCStressTest
    @Description("MPSC, full (64-byte records, padding at the wrap): a producer blocked in offer is woken when the consumer frees one record")
    @Outcome(id = "1, 1, 1", expect = ACCEPTABLE, desc = "the offer went through; the ring then held the rest and the new record, complete")
    @Outcome(id = "2, 1, 1", expect = ACCEPTABLE_INTERESTING, desc = "LATE: the offer returned more than 1 ms after the room was freed")
    @Outcome(id = "[03], .*", expect = FORBIDDEN, desc = "LOST: offer timed out (0), or went through only as its 2 s timeout ran out (3)")
    @Outcome(expect = FORBIDDEN, desc = "the offer failed otherwise (8), the read got no complete record, or the ring's contents were wrong afterwards")
    @State
    public static class SpaceMpsc extends SpaceState {
        public SpaceMpsc() {
            super(RingKind.MPSC, PAYLOAD);
        }

        @Actor
        public void producer() {
            produce();
        }

        @Actor
        public void consumer() {
            consume();
        }

        @Arbiter
        public void arbiter(III_Result r) {
            judge(r);
        }
    }

    @JCStressTest
    @Description("MPMC, exactly full (8 records of 120 bytes in 1 KiB): a producer blocked in offer is woken when the consumer frees one record")
    @Outcome(id = "1, 1, 1", expect = ACCEPTABLE, desc = "the offer went through; the ring then held the rest and the new record, complete")
    @Outcome(id = "2, 1, 1", expect = ACCEPTABLE_INTERESTING, desc = "LATE: the offer returned more than 1 ms after the room was freed")
    @Outcome(id = "[03], .*", expect = FORBIDDEN, desc = "LOST: offer timed out (0), or went through only as its 2 s timeout ran out (3)")
    @Outcome(expect = FORBIDDEN, desc = "the offer failed otherwise (8), the read got no complete record, or the ring's contents were wrong afterwards")
    @State
    public static class SpaceMpmc extends SpaceState {
        public SpaceMpmc() {
            super(RingKind.MPMC, FULL_PAYLOAD);
        }

        @Actor
        public void producer() {
            produce();
        }

        @Actor
        public void consumer() {
            consume();
        }

        @Arbiter
        public void arbiter(III_Result r) {
            judge(r);
        }
    }
}
