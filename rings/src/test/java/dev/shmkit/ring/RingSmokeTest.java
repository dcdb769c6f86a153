package dev.shmkit.ring;

import dev.shmkit.testkit.Child;
import dev.shmkit.testkit.ChildJvm;
import dev.shmkit.testkit.Names;
import org.junit.jupiter.api.Test;

import java.lang.foreign.ValueLayout;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;

class RingSmokeTest {
    public static final class Producer {
        public static void main(String[] args) throws Exception {
            try (SharedRing ring = SharedRing.open(args[0])) {
                long n = Long.parseLong(args[1]);
                Child.say("ready");
                Child.await("go");
                for (long i = 0; i < n; i++) {
                    long idx;
                    while ((idx = ring.tryClaim(1, 8)) < 0) {
                        idx = ring.claim(1, 8, -1, TimeUnit.NANOSECONDS);
                        if (idx >= 0) break;
                    }
                    ring.buffer().set(ValueLayout.JAVA_LONG_UNALIGNED, idx, i);
                    ring.commit(idx);
                }
                Child.say("sent");
            }
        }
    }

    @Test
    void spscInOrderAcrossProcesses() throws Exception {
        for (RingKind kind : RingKind.values()) {
            String name = Names.unique("ring");
            long n = 5_000_000;
            try (SharedRing ring = SharedRing.create(name, 1 << 16, kind);
                 ChildJvm producer = ChildJvm.start(Producer.class, name, Long.toString(n))) {
                producer.expectLine("ready");
                long[] next = {0};
                producer.send("go");
                long t0 = System.nanoTime();
                while (next[0] < n) {
                    ring.poll((type, buf, index, len) -> {
                        long v = buf.get(ValueLayout.JAVA_LONG_UNALIGNED, index);
                        if (v != next[0]) throw new AssertionError("expected " + next[0] + " got " + v);
                        next[0]++;
                    }, 1 << 14, 30, TimeUnit.SECONDS);
                }
                long ns = System.nanoTime() - t0;
                System.out.printf("%s: %,d msgs in %d ms = %.1f M msg/s%n", kind, n, ns / 1_000_000, n * 1e3 / ns);
                producer.expectLine("sent");
                producer.assertSuccess();
                assertEquals(n, next[0]);
            } finally {
                SharedRing.unlink(name);
            }
        }
    }
}
