package dev.shmkit.ringstress;

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

import static dev.shmkit.ringstress.Rings.PAYLOAD;
import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

/**
 * Claim/commit/read visibility: everything a producer wrote into a record before {@code commit}
 * is seen by a reader that sees the record, never part of it (no torn record), and a reader
 * never takes a consumed record of an earlier lap for a new one. Producers use the zero-copy
 * path: {@code tryClaim}, plain stores of 8 equal longs into {@code buffer()}, {@code commit}.
 * Each state first sends and consumes 0..19 records, so the records under test sit anywhere in
 * the ring, across the wrap and over the previous lap's bytes.
 *
 * <p>Codes: 0 nothing, 1..2 the record of producer 1..2 complete, 7 a stale record of an earlier
 * lap, 8 a malformed record, 9 a torn one.
 */
public final class ClaimCommitVisibility {
    private ClaimCommitVisibility() {}

    @JCStressTest
    @Description("SPSC: a reader racing a zero-copy producer sees the record complete or not at all; the arbiter drains what is left (exactly once)")
    @Outcome(id = "0, 1", expect = ACCEPTABLE, desc = "the reader came first; the record was delivered later, once")
    @Outcome(id = "1, 1", expect = ACCEPTABLE, desc = "the reader saw the record, complete, once")
    @Outcome(expect = FORBIDDEN, desc = "torn, stale or malformed record, lost or delivered twice, or the claim failed")
    @State
    public static class Spsc {
        final SharedRing producer, consumer;
        final Rings.Seen raced = new Rings.Seen(PAYLOAD), after = new Rings.Seen(PAYLOAD);
        boolean claimed;

        public Spsc() {
            SharedRing[] h = Rings.handles(RingKind.SPSC, 2);
            producer = h[0];
            consumer = h[1];
            Rings.cycle(producer, consumer, Rings.rotation() % 20, PAYLOAD);
        }

        @Actor
        public void producer() {
            claimed = Rings.produce(producer, 1, PAYLOAD);
        }

        @Actor
        public void consumer() {
            consumer.read(raced, 1);
        }

        @Arbiter
        public void arbiter(II_Result r) {
            Rings.drain(consumer, after);
            r.r1 = raced.n == 1 ? raced.code(0) : raced.n == 0 ? 0 : Rings.BAD;
            r.r2 = !claimed || after.anyBad() ? -1 : raced.count(1) + after.count(1);
        }
    }

    @JCStressTest
    @Description("MPSC: two producers race their claims (tryClaim) and commits; the second then reads and must see complete records, its own included")
    @Outcome(id = "0, 0, 0", expect = ACCEPTABLE, desc = "producer 1 claimed first and had not committed: the read stopped at its claim")
    @Outcome(id = "2, 0, 0", expect = ACCEPTABLE, desc = "only the reader's own record (producer 1 not there yet, or behind)")
    @Outcome(id = "1, 2, 0", expect = ACCEPTABLE, desc = "producer 1's record, complete, then the reader's own")
    @Outcome(id = "2, 1, 0", expect = ACCEPTABLE, desc = "the reader's own record, then producer 1's, complete")
    @Outcome(id = "1, 0, .*", expect = FORBIDDEN, desc = "the reader missed its own committed record behind producer 1's")
    @Outcome(expect = FORBIDDEN, desc = "torn, stale or malformed record, a record lost or delivered twice (third field), or a claim failed")
    @State
    public static class Mpsc {
        final SharedRing producer1, producer2, consumer;
        final Rings.Seen raced = new Rings.Seen(PAYLOAD), after = new Rings.Seen(PAYLOAD);
        boolean claimed1, claimed2;

        public Mpsc() {
            SharedRing[] h = Rings.handles(RingKind.MPSC, 3);
            producer1 = h[0];
            producer2 = h[1];
            consumer = h[2];
            Rings.cycle(producer1, consumer, Rings.rotation() % 20, PAYLOAD);
        }

        @Actor
        public void producer1() {
            claimed1 = Rings.produce(producer1, 1, PAYLOAD);
        }

        @Actor
        public void producer2ThenRead() {
            claimed2 = Rings.produce(producer2, 2, PAYLOAD);
            consumer.read(raced, 2);
        }

        @Arbiter
        public void arbiter(III_Result r) {
            Rings.drain(consumer, after);
            r.r1 = raced.code(0);
            r.r2 = raced.code(1);
            boolean once = raced.count(1) + after.count(1) == 1 && raced.count(2) + after.count(2) == 1;
            r.r3 = claimed1 && claimed2 && once && !after.anyBad() && raced.n <= 2 ? 0 : 1;
        }
    }

    @JCStressTest
    @Description("MPMC: each actor commits a record and then reads with its own consumer handle; every record is seen complete, by exactly one consumer (the arbiter drains the rest)")
    @Outcome(id = "1, 1, 0", expect = ACCEPTABLE, desc = "consumer 1 took both records")
    @Outcome(id = "2, 2, 0", expect = ACCEPTABLE, desc = "consumer 2 took both records")
    @Outcome(id = "1, 2, 0", expect = ACCEPTABLE, desc = "each consumer took its own record")
    @Outcome(id = "2, 1, 0", expect = ACCEPTABLE, desc = "each consumer took the other's record")
    @Outcome(id = "[12], 3, 0", expect = ACCEPTABLE, desc = "record 2 sat behind an uncommitted claim during both reads; the arbiter got it")
    @Outcome(id = "3, [12], 0", expect = ACCEPTABLE, desc = "record 1 sat behind an uncommitted claim during both reads; the arbiter got it")
    @Outcome(id = "3, 3, 0", expect = FORBIDDEN, desc = "both reads missed the committed record at the head")
    @Outcome(expect = FORBIDDEN, desc = "a record lost (0), delivered twice (8), torn, stale or malformed (third field), or a claim failed")
    @State
    public static class Mpmc {
        final SharedRing producer1, producer2, consumer1, consumer2;
        final Rings.Seen seen1 = new Rings.Seen(PAYLOAD), seen2 = new Rings.Seen(PAYLOAD), after = new Rings.Seen(PAYLOAD);
        boolean claimed1, claimed2;

        public Mpmc() {
            SharedRing[] h = Rings.handles(RingKind.MPMC, 4);
            producer1 = h[0];
            producer2 = h[1];
            consumer1 = h[2];
            consumer2 = h[3];
            Rings.cycle(producer1, consumer1, Rings.rotation() % 20, PAYLOAD);
        }

        @Actor
        public void actor1() {
            claimed1 = Rings.produce(producer1, 1, PAYLOAD);
            consumer1.read(seen1, 2);
        }

        @Actor
        public void actor2() {
            claimed2 = Rings.produce(producer2, 2, PAYLOAD);
            consumer2.read(seen2, 2);
        }

        @Arbiter
        public void arbiter(III_Result r) {
            Rings.drain(consumer1, after);
            r.r1 = who(1);
            r.r2 = who(2);
            r.r3 = claimed1 && claimed2 && !seen1.anyBad() && !seen2.anyBad() && !after.anyBad() ? 0 : 1;
        }

        /** Which consumer got record {@code id}: 1 or 2, 3 the arbiter, 0 nobody, 8 more than one. */
        private int who(int id) {
            int a = seen1.count(id), b = seen2.count(id), c = after.count(id);
            if (a + b + c == 0) return 0;
            if (a + b + c > 1) return 8;
            return a == 1 ? 1 : b == 1 ? 2 : 3;
        }
    }
}
