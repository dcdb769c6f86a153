package dev.shmkit.ring;

import dev.shmkit.shm.SharedMemory;
import dev.shmkit.sync.SharedLock;
import dev.shmkit.testkit.ChildJvm;
import dev.shmkit.testkit.Names;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.lang.foreign.ValueLayout;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * kill -9 of producers mid-write and of consumers mid-read: no torn record is ever delivered,
 * dead claims are recovered so the ring keeps flowing, dead consumers are reported.
 */
class RingCrashTest {
    private static final long DEADLINE_NANOS = TimeUnit.SECONDS.toNanos(60);
    /** Producer ids of the processes these tests kill; the live ones are 1, 2, ... */
    private static final int VICTIM = 100;

    private final String name = Names.unique("ring");

    @AfterEach
    void unlink() {
        SharedRing.unlink(name);
    }

    /** Consumes and verifies until {@code done} holds; fails after a minute. */
    private static void consumeUntil(SharedRing ring, RingMessages.Tally tally, java.util.function.BooleanSupplier done) throws InterruptedException {
        long start = System.nanoTime();
        while (!done.getAsBoolean()) {
            if (System.nanoTime() - start > DEADLINE_NANOS) {
                fail("stalled: " + state(ring, tally));
            }
            ring.poll((type, buf, index, len) -> {
                assertEquals(RingMessages.DATA, type);
                tally.accept(buf, index, len);
            }, 1024, 20, TimeUnit.MILLISECONDS);
        }
    }

    /**
     * Rounds of several producers that each claim a record, write half of it and are killed,
     * while a live producer streams: the half-written records are never delivered, each is
     * recovered once, and every live and earlier message arrives intact and in order.
     */
    @ParameterizedTest
    @EnumSource(value = RingKind.class, names = {"MPSC", "MPMC"})
    void producersKilledMidWrite(RingKind kind) throws Exception {
        int rounds = 2, victims = 5;
        long liveCount = 300_000, prefix = 100;
        try (SharedRing ring = SharedRing.create(name, 1 << 16, kind)) {
            RingMessages.Tally tally = new RingMessages.Tally();
            ring.read((t, b, i, l) -> {}, 0);
            try (ChildJvm live = ChildJvm.start(RingChildren.Producer.class, name, "1", Long.toString(liveCount), "20", "100", "claim")) {
                live.expectLine("ready");
                live.send("go");
                int killed = 0;
                for (int r = 0; r < rounds; r++) {
                    List<ChildJvm> vs = new ArrayList<>();
                    try {
                        for (int v = 0; v < victims; v++) {
                            vs.add(ChildJvm.start(RingChildren.Victim.class, name, "half", Integer.toString(VICTIM + killed + v), Long.toString(prefix)));
                        }
                        // Kill each as soon as it holds its claim (in whatever order they get there): the
                        // ring fills up behind a live victim's claim. Consume meanwhile.
                        List<ChildJvm> holding = new ArrayList<>(vs);
                        long start = System.nanoTime();
                        while (!holding.isEmpty()) {
                            for (var it = holding.iterator(); it.hasNext(); ) {
                                ChildJvm v = it.next();
                                String line = pollLine(v);
                                if (line == null) continue;
                                assertEquals("claimed", line);
                                v.close(); // SIGKILL, holding a half-written claim
                                it.remove();
                            }
                            if (System.nanoTime() - start > DEADLINE_NANOS) fail("victims never claimed: " + state(ring, tally));
                            consumeOnce(ring, tally);
                        }
                    } finally {
                        closeAll(vs);
                    }
                    killed += victims;
                    int expectRecovered = killed;
                    int round = r;
                    consumeUntil(ring, tally, () -> ring.recoveredRecords() >= expectRecovered
                            && (round < rounds - 1 || tally.count(1) == liveCount));
                }
                consumeUntil(ring, tally, () -> tally.count(1) == liveCount);
                live.expectLine("done");
                live.assertSuccess();
                assertEquals(killed, ring.recoveredRecords(), "each dead claim recovered exactly once");
                tally.check(1, liveCount);
                for (int v = VICTIM; v < VICTIM + killed; v++) tally.check(v, prefix); // whole messages of victims, not the half one
                assertEquals(0, ring.used());
            }
        }
    }

    /**
     * SPSC: one producer at a time; each is killed holding a half-written claim, and the next takes
     * over. An SPSC claim stays private to its producer until commit, so there is nothing to recover:
     * the ring simply never sees the half-written record.
     */
    @Test
    void spscProducerKilledMidWriteThenReplaced() throws Exception {
        int trials = 4;
        long prefix = 1000;
        try (SharedRing ring = SharedRing.create(name, 1 << 14, RingKind.SPSC)) {
            RingMessages.Tally tally = new RingMessages.Tally();
            ring.read((t, b, i, l) -> {}, 0);
            for (int trial = 0; trial < trials; trial++) {
                int producer = VICTIM + trial;
                try (ChildJvm v = ChildJvm.start(RingChildren.Victim.class, name, "half", Integer.toString(producer), Long.toString(prefix))) {
                    awaitLineWhileConsuming(v, "claimed", ring, tally);
                }
                consumeUntil(ring, tally, () -> tally.count(producer) == prefix);
                assertEquals(0, ring.recoveredRecords());
                tally.check(producer, prefix);
                assertEquals(ring.headPosition(), ring.tailPosition());
            }
            // A live producer after all that: everything arrives.
            try (ChildJvm live = ChildJvm.start(RingChildren.Producer.class, name, "1", "200000", "20", "200", "claim")) {
                live.expectLine("ready");
                live.send("go");
                consumeUntil(ring, tally, () -> tally.count(1) == 200_000);
                live.expectLine("done");
                live.assertSuccess();
            }
            tally.check(1, 200_000);
            assertEquals(0, ring.recoveredRecords(), "an SPSC claim never reaches the ring before its commit");
        }
    }

    /**
     * Producers streaming at full speed, killed at arbitrary points: whatever each managed to
     * commit arrives intact, gap-free and in order; at most one record each is recovered.
     */
    @Test
    void streamingProducersKilledAtRandom() throws Exception {
        int victims = 8;
        long liveCount = 400_000;
        try (SharedRing ring = SharedRing.create(name, 1 << 15, RingKind.MPSC)) {
            RingMessages.Tally tally = new RingMessages.Tally();
            ring.read((t, b, i, l) -> {}, 0);
            try (ChildJvm live = ChildJvm.start(RingChildren.Producer.class, name, "1", Long.toString(liveCount), "20", "200", "claim")) {
                live.expectLine("ready");
                live.send("go");
                for (int round = 0; round < victims / 2; round++) {
                    List<ChildJvm> vs = new ArrayList<>();
                    try {
                        for (int v = 0; v < 2; v++) {
                            vs.add(ChildJvm.start(RingChildren.Victim.class, name, "stream", Integer.toString(VICTIM + round * 2 + v), Long.toString(20_000 + round * 7919L)));
                        }
                        for (ChildJvm v : vs) awaitLineWhileConsuming(v, "streaming", ring, tally);
                        for (int i = 0; i < 5; i++) consumeOnce(ring, tally); // let them run into the middle of something
                    } finally {
                        closeAll(vs);
                    }
                }
                consumeUntil(ring, tally, () -> tally.count(1) == liveCount);
                live.expectLine("done");
                live.assertSuccess();
                // Drain what the victims committed before dying (a recovered claim may still sit at the head).
                long quiet = System.nanoTime();
                while (System.nanoTime() - quiet < TimeUnit.MILLISECONDS.toNanos(300)) {
                    if (ring.poll((t, b, i, l) -> tally.accept(b, i, l), 1024, 50, TimeUnit.MILLISECONDS) > 0) quiet = System.nanoTime();
                }
                tally.check(1, liveCount);
                for (int v = VICTIM; v < VICTIM + victims; v++) {
                    long n = tally.count(v);
                    assertTrue(n > 20_000, "victim " + v + " sent " + n);
                    tally.check(v, n); // 0..n-1, no gap, no duplicate, in order
                }
                assertTrue(ring.recoveredRecords() <= victims, "recovered " + ring.recoveredRecords());
                assertEquals(0, ring.used());
                System.out.printf("recovered %d of %d killed streaming producers' claims%n", ring.recoveredRecords(), victims);
            }
        }
    }

    /**
     * A producer killed between its claim (the CAS that puts its header in the ring) and moving
     * the tail (staged: the child writes the header and is killed). The consumer recovers the
     * claim first; the next producer then moves the tail past it.
     */
    @Test
    void producerKilledBetweenClaimHeaderAndTail() throws Exception {
        try (SharedRing ring = SharedRing.create(name, 1 << 16, RingKind.MPSC)) {
            RingMessages.Tally tally = new RingMessages.Tally();
            ring.read((t, b, i, l) -> {}, 0);
            try (ChildJvm v = ChildJvm.start(RingChildren.Victim.class, name, "header", Integer.toString(VICTIM))) {
                v.expectLine("staged");
            }
            consumeUntil(ring, tally, () -> ring.recoveredRecords() == 1);
            try (ChildJvm live = ChildJvm.start(RingChildren.Producer.class, name, "1", "100000", "20", "100", "claim")) {
                live.expectLine("ready");
                live.send("go");
                consumeUntil(ring, tally, () -> tally.count(1) == 100_000);
                live.expectLine("done");
                live.assertSuccess();
            }
            tally.check(1, 100_000);
            assertTrue(ring.headPosition() == ring.tailPosition(), "head " + ring.headPosition() + " tail " + ring.tailPosition());
        }
    }

    /** Every consumer dies: a producer blocked on the full ring gets PeerDeadException instead of waiting forever. */
    @ParameterizedTest
    @EnumSource(RingKind.class)
    void consumerDiesWhileProducerBlockedOnFullRing(RingKind kind) throws Exception {
        try (SharedRing ring = SharedRing.create(name, 4096, kind);
             SharedMemory shm = SharedMemory.open(name);
             ExecutorService exec = Executors.newSingleThreadExecutor()) {
            assertEquals(SharedRing.PeerState.NONE, ring.consumerState());
            ChildJvm consumer = ChildJvm.start(RingChildren.IdleConsumer.class, name);
            try {
                consumer.expectLine("registered");
                assertEquals(SharedRing.PeerState.ALIVE, ring.consumerState());
                byte[] msg = new byte[100];
                while (ring.offer(1, msg)) {
                    // fill it
                }
                assertEquals(SharedRing.PeerState.ALIVE, ring.producerState());
                assertEquals(1, ring.liveParticipants()[0]);
                assertEquals(1, ring.liveParticipants()[1]);
                assertTrue(!ring.offer(1, msg, 30, TimeUnit.MILLISECONDS), "full: a timed offer times out while the consumer lives");
                Future<?> blocked = exec.submit(() -> {
                    ring.put(1, msg);
                    return null;
                });
                long start = System.nanoTime();
                while ((int) shm.segment().get(ValueLayout.JAVA_INT, RingDescriptor.SPACE_WAITERS_OFFSET) == 0) {
                    assertTrue(System.nanoTime() - start < DEADLINE_NANOS, "the producer never slept");
                    Thread.onSpinWait();
                }
                consumer.close(); // SIGKILL
                ExecutionException e = assertThrows(ExecutionException.class, () -> blocked.get(30, TimeUnit.SECONDS));
                assertInstanceOf(PeerDeadException.class, e.getCause());
            } finally {
                consumer.close();
            }
            assertEquals(SharedRing.PeerState.DEAD, ring.consumerState());
            assertEquals(0, ring.liveParticipants()[1]);
            assertThrows(PeerDeadException.class, () -> ring.offer(1, new byte[100], 10, TimeUnit.SECONDS));
        }
    }

    /** The same with a busy-spinning producer: it must notice too, not spin forever. */
    @Test
    void busySpinningProducerNoticesDeadConsumer() throws Exception {
        try (SharedRing ring = SharedRing.create(name, 4096, RingKind.SPSC)) {
            ring.waitStrategy(WaitStrategy.BUSY_SPIN);
            try (ChildJvm consumer = ChildJvm.start(RingChildren.IdleConsumer.class, name)) {
                consumer.expectLine("registered");
                while (ring.offer(1, new byte[100])) {
                    // fill it
                }
            }
            assertEquals(SharedRing.PeerState.DEAD, ring.consumerState());
            assertThrows(PeerDeadException.class, () -> ring.offer(1, new byte[100], 10, TimeUnit.SECONDS));
        }
    }

    /** The same for a busy-spinning consumer behind a dead producer's claim. */
    @Test
    void busySpinningConsumerRecoversDeadClaim() throws Exception {
        try (SharedRing ring = SharedRing.create(name, 1 << 14, RingKind.MPSC)) {
            ring.waitStrategy(WaitStrategy.BUSY_SPIN);
            RingMessages.Tally tally = new RingMessages.Tally();
            ring.read((t, b, i, l) -> {}, 0);
            try (ChildJvm v = ChildJvm.start(RingChildren.Victim.class, name, "half", Integer.toString(VICTIM), "10")) {
                v.expectLine("claimed");
            }
            consumeUntil(ring, tally, () -> ring.recoveredRecords() == 1);
            tally.check(VICTIM, 10);
        }
    }

    /** A consumer that polls with short timeouts (or calls read() in its own loop) behind a dead producer's claim. */
    @Test
    void pollingWithShortTimeoutsRecoversDeadClaim() throws Exception {
        try (SharedRing ring = SharedRing.create(name, 1 << 14, RingKind.MPSC)) {
            RingMessages.Tally tally = new RingMessages.Tally();
            ring.read((t, b, i, l) -> {}, 0);
            try (ChildJvm v = ChildJvm.start(RingChildren.Victim.class, name, "half", Integer.toString(VICTIM), "10")) {
                v.expectLine("claimed");
            }
            long start = System.nanoTime();
            while (ring.recoveredRecords() == 0) {
                assertTrue(System.nanoTime() - start < DEADLINE_NANOS, "never recovered");
                ring.read((type, buf, index, len) -> tally.accept(buf, index, len), 1024); // a duty-cycle loop, Agrona style
                ring.poll((type, buf, index, len) -> tally.accept(buf, index, len), 1024, 0, TimeUnit.MICROSECONDS);
            }
            tally.check(VICTIM, 10);
        }
    }

    /**
     * An MPMC consumer killed while handling a batch: its records were not consumed, and the
     * next consumer gets them all again (at-least-once), with the redelivery counted.
     */
    @Test
    void mpmcConsumerKilledMidReadRedelivers() throws Exception {
        try (SharedRing ring = SharedRing.create(name, 1 << 14, RingKind.MPMC)) {
            for (long seq = 0; seq < 10; seq++) {
                long index = ring.tryClaim(RingMessages.DATA, 40);
                RingMessages.write(ring.buffer(), index, 1, seq, 40);
                ring.commit(index);
            }
            try (ChildJvm c = ChildJvm.start(RingChildren.HoldingConsumer.class, name)) {
                c.expectLine("holding 0");
            }
            assertEquals(SharedRing.PeerState.DEAD, ring.consumerState());
            RingMessages.Tally tally = new RingMessages.Tally();
            consumeUntil(ring, tally, () -> tally.total() == 10);
            tally.check(1, 10);
            assertEquals(1, ring.redeliveries());
            assertEquals(SharedRing.PeerState.ALIVE, ring.consumerState());
            assertEquals(0, ring.used());
        }
    }

    /** Waits for {@code expected} from {@code child}, consuming meanwhile so that the producers can go on. */
    private static void awaitLineWhileConsuming(ChildJvm child, String expected, SharedRing ring, RingMessages.Tally tally) throws InterruptedException {
        long start = System.nanoTime();
        while (true) {
            String line = pollLine(child);
            if (line != null) {
                assertEquals(expected, line);
                return;
            }
            if (System.nanoTime() - start > DEADLINE_NANOS) {
                fail("no '" + expected + "' from the child within 60 s; " + state(ring, tally) + "; child stderr: " + child.stderr());
            }
            consumeOnce(ring, tally);
        }
    }

    /** The next stdout line if one is there within 2 ms, else null. */
    private static String pollLine(ChildJvm child) {
        try {
            return child.readLine(Duration.ofMillis(2));
        } catch (AssertionError e) {
            if (e.getMessage() != null && e.getMessage().contains("no output within")) return null;
            throw e;
        }
    }

    /**
     * One poll of at most 20 ms. (A poll must be long enough to reach the futex sleep, after
     * the spin and yield phases, for dead claims to be recovered: see pollingWithShortTimeoutsRecoversDeadClaim.)
     */
    private static void consumeOnce(SharedRing ring, RingMessages.Tally tally) throws InterruptedException {
        ring.poll((type, buf, index, len) -> tally.accept(buf, index, len), 1024, 20, TimeUnit.MILLISECONDS);
    }

    private static String state(SharedRing ring, RingMessages.Tally tally) {
        long head = ring.headPosition();
        long header = ring.buffer().get(ValueLayout.JAVA_LONG, head & (ring.capacity() - 1));
        return tally.total() + " messages, " + ring.recoveredRecords() + " recovered, head " + head + " tail " + ring.tailPosition()
                + ", header at head 0x" + Long.toHexString(header) + ", participants " + java.util.Arrays.toString(ring.liveParticipants());
    }

    private static void closeAll(List<ChildJvm> children) {
        for (ChildJvm c : children) c.close();
    }
}
