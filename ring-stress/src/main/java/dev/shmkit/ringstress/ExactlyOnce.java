package dev.shmkit.ringstress;

import dev.shmkit.ring.RingKind;
import dev.shmkit.ring.SharedRing;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.Description;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.IIIII_Result;
import org.openjdk.jcstress.infra.results.III_Result;

import static dev.shmkit.ringstress.Rings.PAYLOAD;
import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

/**
 * Delivery: a consumer sees a record at most once, and every committed record is delivered
 * exactly once overall (what the racing reads did not take, the arbiter drains afterwards and
 * counts), in each producer's order. Codes as in {@link ClaimCommitVisibility}.
 */
public final class ExactlyOnce {
    private ExactlyOnce() {}

    @JCStressTest
    @Description("SPSC: a producer commits records 1 and 2 while the consumer reads one record twice; the arbiter drains the rest")
    @Outcome(id = "0, 0, 12", expect = ACCEPTABLE, desc = "both reads came first; the arbiter got 1 then 2")
    @Outcome(id = "0, 1, 2", expect = ACCEPTABLE, desc = "the second read got 1, the arbiter 2")
    @Outcome(id = "1, 0, 2", expect = ACCEPTABLE, desc = "the first read got 1, the second nothing yet, the arbiter 2")
    @Outcome(id = "1, 2, 0", expect = ACCEPTABLE, desc = "the reads got 1 then 2")
    @Outcome(expect = FORBIDDEN, desc = "a record seen twice, lost, out of order, torn, stale or malformed, or a claim failed")
    @State
    public static class Spsc {
        final SharedRing producer, consumer;
        final Rings.Seen first = new Rings.Seen(PAYLOAD), second = new Rings.Seen(PAYLOAD), after = new Rings.Seen(PAYLOAD);
        boolean claimed;

        public Spsc() {
            SharedRing[] h = Rings.handles(RingKind.SPSC, 2);
            producer = h[0];
            consumer = h[1];
            Rings.cycle(producer, consumer, Rings.rotation() % 20, PAYLOAD);
        }

        @Actor
        public void producer() {
            claimed = Rings.produce(producer, 1, PAYLOAD) & Rings.produce(producer, 2, PAYLOAD);
        }

        @Actor
        public void consumer() {
            consumer.read(first, 1);
            consumer.read(second, 1);
        }

        @Arbiter
        public void arbiter(III_Result r) {
            Rings.drain(consumer, after);
            boolean ok = claimed && first.n <= 1 && second.n <= 1;
            r.r1 = ok ? first.digits() : -1;
            r.r2 = ok ? second.digits() : -1;
            r.r3 = ok ? after.digits() : -1;
        }
    }

    @JCStressTest
    @Description("MPSC, two racing producers: one commits records 1 and 2, the other commits 3 and then reads; the arbiter drains the rest and counts each record")
    @Outcome(id = "1, 1, 1, 0, [0-3]", expect = ACCEPTABLE, desc = "each record delivered exactly once, 1 before 2 (last field: how many the racing read took)")
    @Outcome(expect = FORBIDDEN, desc = "a record lost (0) or delivered twice (2), 2 before 1 (fourth field 1), a torn, stale or malformed record (+2) or a failed claim (+4)")
    @State
    public static class Mpsc {
        final SharedRing producer1, producer2, consumer;
        final Rings.Seen seen = new Rings.Seen(PAYLOAD);
        boolean claimed1, claimed2;
        int raced;

        public Mpsc() {
            SharedRing[] h = Rings.handles(RingKind.MPSC, 3);
            producer1 = h[0];
            producer2 = h[1];
            consumer = h[2];
            Rings.cycle(producer1, consumer, Rings.rotation() % 20, PAYLOAD);
        }

        @Actor
        public void producer1() {
            claimed1 = Rings.produce(producer1, 1, PAYLOAD) & Rings.produce(producer1, 2, PAYLOAD);
        }

        @Actor
        public void producer2ThenRead() {
            claimed2 = Rings.produce(producer2, 3, PAYLOAD);
            raced = consumer.read(seen, 4);
        }

        @Arbiter
        public void arbiter(IIIII_Result r) {
            Rings.drain(consumer, seen);
            r.r1 = seen.count(1);
            r.r2 = seen.count(2);
            r.r3 = seen.count(3);
            int firstOfProducer1 = 0; // which of records 1 and 2 was delivered first
            for (int i = 0; i < Math.min(seen.n, seen.codes.length) && firstOfProducer1 == 0; i++) {
                if (seen.codes[i] == 1 || seen.codes[i] == 2) firstOfProducer1 = seen.codes[i];
            }
            int flags = firstOfProducer1 == 2 ? 1 : 0;
            if (seen.anyBad()) flags |= 2;
            if (!claimed1 || !claimed2) flags |= 4;
            r.r4 = flags;
            r.r5 = raced;
        }
    }
}
