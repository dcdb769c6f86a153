package dev.shmkit.ring;

import dev.shmkit.shm.SharedMemory;
import dev.shmkit.testkit.Child;
import dev.shmkit.testkit.ChildJvm;
import dev.shmkit.testkit.Names;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Kill loops across real processes (issue 10 §3), with the counts printed:
 * <ul>
 * <li>producers killed with kill -9 at random instants, and a quarter of them between claim and
 *     commit (pause point {@code claimed}), on SPSC and MPSC rings, while this JVM consumes and
 *     verifies every record (checksum, per-producer sequence): 0 torn, 0 committed lost, 0
 *     duplicates, the ring usable after each kill;</li>
 * <li>consumers killed on an MPMC ring at random instants and at the {@code read} and
 *     {@code released} pause points while this JVM produces: every committed record delivered at
 *     least once, nothing stalls.</li>
 * </ul>
 * {@code -Dshmkit.stress.kills=N} sets the number of producer kills (split between SPSC and
 * MPSC) and of consumer kills; the default is small enough for {@code make test}. A child that
 * commits (or consumes) a record stores its count in a progress word of a shared segment right
 * after, so the test knows what was committed before the kill, without a line per record. Child
 * JVMs start ahead of time and wait for {@code go}, so a JVM's start-up overlaps the previous life.
 */
class RingKillLoopTest {
    static final int KILLS = Integer.getInteger("shmkit.stress.kills", 16);
    private static final long LIFE_TIMEOUT_NANOS = TimeUnit.SECONDS.toNanos(30);
    private static final VarHandle LONG = ValueLayout.JAVA_LONG.varHandle();
    private static final VarHandle INT = ValueLayout.JAVA_INT.varHandle();
    /** Progress words: two longs per life (count, batches), lives modulo this. */
    private static final int PROGRESS_LIVES = 1024;
    private static final long TORN_OFFSET = PROGRESS_LIVES * 16L;

    private final String name = Names.unique("ring-kill");
    private final String progressName = Names.unique("ring-kill-progress");
    private final String deliveredName = Names.unique("ring-kill-delivered");
    private final List<ChildJvm> children = new ArrayList<>();

    @AfterEach
    void cleanup() {
        for (ChildJvm c : children) c.close();
        SharedMemory.unlink(name);
        SharedMemory.unlink(progressName);
        SharedMemory.unlink(deliveredName);
    }

    // ------------------------------------------------------------------ children

    /**
     * {@code RING PROGRESS LIFE MIN MAX}: prints {@code ready}, waits for {@code go}, then streams
     * self-checking messages (producer id LIFE, sequence 0, 1, ...) forever, storing the number
     * committed in its progress word after each commit.
     */
    public static final class Producer {
        public static void main(String[] args) throws Exception {
            int life = Integer.parseInt(args[2]);
            int min = Integer.parseInt(args[3]), max = Integer.parseInt(args[4]);
            try (SharedMemory progress = SharedMemory.open(args[1])) {
                MemorySegment p = progress.segment();
                long word = (life % PROGRESS_LIVES) * 16L;
                Child.say("ready");
                Child.await("go");
                try (SharedRing ring = SharedRing.open(args[0])) {
                    MemorySegment buf = ring.buffer();
                    for (long seq = 0; ; seq++) {
                        int len = RingMessages.length(life, seq, min, max);
                        long index = ring.claim(RingMessages.DATA, len, -1, TimeUnit.NANOSECONDS);
                        RingMessages.write(buf, index, life, seq, len);
                        ring.commit(index);
                        LONG.setRelease(p, word, seq + 1);
                    }
                }
            }
        }
    }

    /**
     * {@code RING PROGRESS DELIVERED LIFE}: prints {@code ready}, waits for {@code go}, then consumes
     * forever in batches of random size, verifying each message: a good one increments its
     * sequence number's counter in DELIVERED, a torn one the torn counter in PROGRESS. Stores the
     * records and batches handled in its progress words.
     */
    public static final class Consumer {
        public static void main(String[] args) throws Exception {
            int life = Integer.parseInt(args[3]);
            try (SharedMemory progress = SharedMemory.open(args[1]); SharedMemory delivered = SharedMemory.open(args[2])) {
                MemorySegment p = progress.segment(), d = delivered.segment();
                long word = (life % PROGRESS_LIVES) * 16L;
                Child.say("ready");
                Child.await("go");
                try (SharedRing ring = SharedRing.open(args[0])) {
                    long[] handled = {0};
                    MessageHandler h = (type, buf, index, len) -> {
                        try {
                            RingMessages.verify(buf, index, len);
                            INT.getAndAdd(d, RingMessages.seq(buf, index) * 4, 1);
                        } catch (AssertionError | IndexOutOfBoundsException e) {
                            LONG.getAndAdd(p, TORN_OFFSET, 1L);
                        }
                        LONG.setRelease(p, word, ++handled[0]);
                    };
                    ThreadLocalRandom rnd = ThreadLocalRandom.current();
                    for (long batches = 1; ; ) {
                        if (ring.poll(h, 1 + rnd.nextInt(64), 10, TimeUnit.MILLISECONDS) > 0) LONG.setRelease(p, word + 8, batches++);
                    }
                }
            }
        }
    }

    // ------------------------------------------------------------------ lives

    /** One child process from its start to its kill. */
    private static final class Life {
        final int id;
        final String mode; // random, claimed, read, released
        final long target; // random: kill when progress reaches it; pause modes: pauseAfter
        final ChildJvm jvm;
        long goNanos;
        long committed = -1; // producers: progress at death

        Life(int id, String mode, long target, ChildJvm jvm) {
            this.id = id;
            this.mode = mode;
            this.target = target;
            this.jvm = jvm;
        }
    }

    private long progress(MemorySegment p, Life life, int word) {
        return (long) LONG.getAcquire(p, (life.id % PROGRESS_LIVES) * 16L + word * 8L);
    }

    /** The next stdout line if one is there within 1 ms, else null. */
    private static String pollLine(ChildJvm child) {
        try {
            return child.readLine(Duration.ofMillis(1));
        } catch (AssertionError e) {
            if (e.getMessage() != null && e.getMessage().contains("no output within")) return null;
            throw e;
        }
    }

    private static void kill(Life life) {
        life.jvm.process().destroyForcibly();
        life.jvm.waitFor(Duration.ofSeconds(30));
    }

    // ------------------------------------------------------------------ producers killed

    /** What the verifying consumer saw of one producer life. */
    private static final class Seen {
        long next; // sequence number expected next = records delivered in order
        long duplicates;
        long gaps;
    }

    /**
     * A guard over the whole loop, scaled with the kill count (the class-wide default of 5 minutes
     * would cut {@code make stress} short); every wait inside has its own, tighter bound.
     */
    static Duration budget(int kills) {
        return Duration.ofSeconds(120 + 3L * kills);
    }

    @ParameterizedTest
    @EnumSource(value = RingKind.class, names = {"SPSC", "MPSC"})
    @Timeout(value = 3, unit = TimeUnit.HOURS)
    void producersKilled(RingKind kind) {
        int kills = (KILLS + 1) / 2;
        assertTimeoutPreemptively(budget(kills), () -> producersKilled(kind, kills));
    }

    private void producersKilled(RingKind kind, int kills) throws Exception {
        int lanes = kind == RingKind.SPSC ? 1 : 2;
        long t0 = System.nanoTime();
        try (SharedRing ring = SharedRing.create(name, 1 << 14, kind);
             SharedMemory progressShm = SharedMemory.create(progressName, TORN_OFFSET + 8)) {
            MemorySegment progress = progressShm.segment();
            ThreadLocalRandom rnd = ThreadLocalRandom.current();
            Map<Integer, Seen> seen = new HashMap<>();
            long[] torn = {0};
            AtomicReference<String> firstTorn = new AtomicReference<>();
            MessageHandler verify = (type, buf, index, len) -> {
                try {
                    int life = RingMessages.verify(buf, index, len);
                    Seen s = seen.get(life);
                    if (s == null) throw new AssertionError("a message of unknown producer " + life);
                    long seq = RingMessages.seq(buf, index);
                    if (seq < s.next) s.duplicates++;
                    else {
                        s.gaps += seq - s.next;
                        s.next = seq + 1;
                    }
                } catch (AssertionError e) {
                    torn[0]++;
                    firstTorn.compareAndSet(null, e.getMessage());
                }
            };
            ring.read(verify, 0); // this JVM is the consumer

            List<Life> dead = new ArrayList<>();
            Life[] current = new Life[lanes];
            Life[] spare = new Life[lanes];
            int started = 0, forced = 0, hookMissing = 0;
            for (int lane = 0; lane < lanes; lane++) {
                spare[lane] = startProducer(started++, rnd, seen);
            }
            int killed = 0;
            while (killed < kills) {
                ring.poll(verify, 256, 1, TimeUnit.MILLISECONDS);
                for (int lane = 0; lane < lanes; lane++) {
                    Life life = current[lane];
                    if (life == null) {
                        if (killed + active(current) >= kills || spare[lane] == null) continue;
                        life = current[lane] = spare[lane];
                        spare[lane] = null;
                        life.jvm.expectLine("ready");
                        LONG.setRelease(progress, (life.id % PROGRESS_LIVES) * 16L, 0L);
                        life.goNanos = System.nanoTime();
                        life.jvm.send("go");
                        if (started < kills) spare[lane] = startProducer(started++, rnd, seen);
                    }
                    long done = progress(progress, life, 0);
                    boolean killNow;
                    if (life.mode.equals("claimed")) {
                        String line = pollLine(life.jvm);
                        if (line != null && !line.equals("PAUSED claimed")) fail("unexpected line from producer " + life.id + ": " + line);
                        killNow = line != null;
                        if (killNow) forced++;
                        else if (done > life.target) { // went past its pause point: no hook
                            hookMissing++;
                            killNow = true;
                        }
                    } else {
                        killNow = done >= life.target;
                    }
                    if (!killNow && System.nanoTime() - life.goNanos > LIFE_TIMEOUT_NANOS) {
                        fail(kind + ": the ring stalled after " + killed + " producer kills: producer " + life.id + " (" + life.mode + " "
                                + life.target + ") committed only " + done + " in 30 s; head " + ring.headPosition() + ", tail " + ring.tailPosition()
                                + ", recovered " + ring.recoveredRecords() + life.jvm.stderr());
                    }
                    if (killNow) {
                        kill(life);
                        life.committed = progress(progress, life, 0);
                        dead.add(life);
                        current[lane] = null;
                        killed++;
                    }
                }
            }
            for (Life s : spare) if (s != null) s.jvm.close();

            // Drain: everything each dead producer committed must arrive; then the ring must still carry a record.
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (true) {
                int n = ring.poll(verify, 256, 20, TimeUnit.MILLISECONDS);
                boolean all = dead.stream().allMatch(l -> seen.get(l.id).next >= l.committed);
                if (all && n == 0) break;
                if (System.nanoTime() > deadline) break;
            }
            long lost = 0, duplicates = 0, records = 0;
            for (Life l : dead) {
                Seen s = seen.get(l.id);
                lost += s.gaps + Math.max(0, l.committed - s.next);
                duplicates += s.duplicates;
                records += s.next;
            }
            ring.offer(RingMessages.DATA, RingDefectsTest.message(999_999, 0, 40));
            long before = records;
            List<String> last = new ArrayList<>();
            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            while (last.isEmpty() && System.nanoTime() < end) {
                ring.poll((t, b, i, l) -> last.add(RingMessages.producer(b, i) + ":" + RingMessages.seq(b, i)), 16, 20, TimeUnit.MILLISECONDS);
            }
            System.out.printf("producer-kills %d kind %s forced-between-claim-and-commit %d torn %d lost %d duplicates %d"
                            + " (records %d, recovered %d, pause-hook-missing %d, %.1f s)%n",
                    killed, kind, forced, torn[0], lost, duplicates, before, ring.recoveredRecords(), hookMissing, (System.nanoTime() - t0) / 1e9);
            assertEquals(0, torn[0], "torn records, the first: " + firstTorn.get());
            assertEquals(0, lost, "committed records lost");
            assertEquals(0, duplicates, "duplicates");
            assertEquals(List.of("999999:0"), last, "the ring carries a record after the kills");
            assertEquals(0, hookMissing, "producers that went past -Ddev.shmkit.ring.pauseAt=claimed without pausing (pause hook missing)");
            assertTrue(forced >= kills / 4, "forced between claim and commit: " + forced);
        }
    }

    private static int active(Life[] lives) {
        int n = 0;
        for (Life l : lives) if (l != null) n++;
        return n;
    }

    /** Every fourth life is killed between claim and commit (at a random claim); the others when they have committed a random number. */
    private Life startProducer(int id, ThreadLocalRandom rnd, Map<Integer, Seen> seen) {
        boolean forced = id % 4 == 1;
        long target = forced ? 1 + rnd.nextInt(2000) : rnd.nextInt(3001);
        List<String> jvm = forced ? List.of("-Ddev.shmkit.ring.pauseAt=claimed", "-Ddev.shmkit.ring.pauseAfter=" + target) : List.of();
        int life = 1000 + id;
        seen.put(life, new Seen());
        ChildJvm c = ChildJvm.start(Producer.class, jvm, name, progressName, Integer.toString(life), "20", "200");
        children.add(c);
        return new Life(life, forced ? "claimed" : "random", target, c);
    }

    // ------------------------------------------------------------------ consumers killed

    @Test
    @Timeout(value = 3, unit = TimeUnit.HOURS)
    void mpmcConsumersKilled() {
        assertTimeoutPreemptively(budget(KILLS), () -> mpmcConsumersKilled(KILLS));
    }

    private void mpmcConsumersKilled(int kills) throws Exception {
        int lanes = 2;
        // The producer commits only what the consumers are granted: each promoted consumer life adds
        // enough for its kill condition (and more), so the delivered counters stay small.
        long grantMax = 64L * 50 + 4096 + 3000;
        long maxSeq = (kills + lanes + 1) * grantMax;
        java.util.concurrent.Semaphore credits = new java.util.concurrent.Semaphore(0);
        long t0 = System.nanoTime();
        try (SharedRing ring = SharedRing.create(name, 1 << 14, RingKind.MPMC);
             SharedMemory progressShm = SharedMemory.create(progressName, TORN_OFFSET + 8);
             SharedMemory deliveredShm = SharedMemory.create(deliveredName, maxSeq * 4)) {
            MemorySegment progress = progressShm.segment(), delivered = deliveredShm.segment();
            ThreadLocalRandom rnd = ThreadLocalRandom.current();

            // The producer: this JVM, one thread, streaming until told to stop (or maxSeq).
            AtomicLong committed = new AtomicLong();
            AtomicLong peerDead = new AtomicLong();
            AtomicReference<String> producerFailure = new AtomicReference<>();
            var stop = new java.util.concurrent.atomic.AtomicBoolean();
            Thread producer = Thread.ofPlatform().name("kill-loop-producer").start(() -> {
                try {
                    for (long seq = 0; seq < maxSeq && !stop.get(); ) {
                        if (!credits.tryAcquire(100, TimeUnit.MILLISECONDS)) continue;
                        int len = RingMessages.length(1, seq, 20, 200);
                        long index;
                        try {
                            index = ring.claim(RingMessages.DATA, len, 30, TimeUnit.SECONDS);
                        } catch (PeerDeadException e) {
                            peerDead.incrementAndGet(); // every consumer dead for a moment: the next one is on its way
                            credits.release();
                            continue;
                        }
                        if (index < 0) {
                            producerFailure.set("no room for 30 s: the ring stalled at record " + seq + " (head " + ring.headPosition()
                                    + ", tail " + ring.tailPosition() + ")");
                            return;
                        }
                        RingMessages.write(ring.buffer(), index, 1, seq, len);
                        ring.commit(index);
                        committed.set(++seq);
                    }
                } catch (Throwable t) {
                    producerFailure.set(t.toString());
                }
            });

            Life[] current = new Life[lanes];
            Life[] spare = new Life[lanes];
            int started = 0, killed = 0, hookMissing = 0;
            Map<String, Integer> byMode = new HashMap<>();
            try {
                for (int lane = 0; lane < lanes; lane++) spare[lane] = startConsumer(started++, rnd);
                while (killed < kills) {
                    if (producerFailure.get() != null) fail("producer: " + producerFailure.get());
                    for (int lane = 0; lane < lanes; lane++) {
                        Life life = current[lane];
                        if (life == null) {
                            if (killed + active(current) >= kills || spare[lane] == null) continue;
                            life = current[lane] = spare[lane];
                            spare[lane] = null;
                            life.jvm.expectLine("ready");
                            LONG.setRelease(progress, (life.id % PROGRESS_LIVES) * 16L, 0L);
                            LONG.setRelease(progress, (life.id % PROGRESS_LIVES) * 16L + 8, 0L);
                            life.goNanos = System.nanoTime();
                            life.jvm.send("go");
                            credits.release((int) (4096 + (life.mode.equals("random") ? life.target : 64 * life.target)));
                            if (started < kills) spare[lane] = startConsumer(started++, rnd);
                        }
                        boolean killNow;
                        String line = pollLine(life.jvm);
                        if (life.mode.equals("random")) {
                            if (line != null) fail("unexpected line from consumer " + life.id + ": " + line);
                            killNow = progress(progress, life, 0) >= life.target;
                        } else {
                            if (line != null && !line.equals("PAUSED " + life.mode)) fail("unexpected line from consumer " + life.id + ": " + line);
                            killNow = line != null;
                            if (!killNow && progress(progress, life, 1) > life.target) { // past its pause point: no hook
                                hookMissing++;
                                killNow = true;
                            }
                        }
                        if (!killNow && System.nanoTime() - life.goNanos > LIFE_TIMEOUT_NANOS) {
                            fail("MPMC: stalled after " + killed + " consumer kills: consumer " + life.id + " (" + life.mode + " " + life.target
                                    + ") handled " + progress(progress, life, 0) + " records in " + progress(progress, life, 1) + " batches in 30 s; "
                                    + "committed " + committed.get() + ", head " + ring.headPosition() + ", tail " + ring.tailPosition() + life.jvm.stderr());
                        }
                        if (killNow) {
                            kill(life);
                            byMode.merge(life.mode, 1, Integer::sum);
                            current[lane] = null;
                            killed++;
                        }
                    }
                }
            } finally {
                stop.set(true);
                for (Life s : spare) if (s != null) s.jvm.close();
                for (Life s : current) if (s != null) s.jvm.close();
                producer.join(Duration.ofSeconds(60));
            }
            if (producerFailure.get() != null) fail("producer: " + producerFailure.get());
            long total = committed.get();

            // Drain here, counting like the children; then every committed record must have been delivered.
            MessageHandler mark = (type, buf, index, len) -> {
                try {
                    RingMessages.verify(buf, index, len);
                    INT.getAndAdd(delivered, RingMessages.seq(buf, index) * 4, 1);
                } catch (AssertionError e) {
                    LONG.getAndAdd(progress, TORN_OFFSET, 1L);
                }
            };
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            long missing = total;
            while (System.nanoTime() < deadline) {
                int n = ring.poll(mark, 256, 20, TimeUnit.MILLISECONDS);
                if (n > 0) continue;
                missing = 0;
                for (long s = 0; s < total; s++) if ((int) INT.getAcquire(delivered, s * 4) == 0) missing++;
                if (missing == 0) break;
            }
            long redelivered = 0;
            long firstMissing = -1;
            for (long s = 0; s < total; s++) {
                int c = (int) INT.getAcquire(delivered, s * 4);
                if (c > 1) redelivered += c - 1;
                if (c == 0 && firstMissing < 0) firstMissing = s;
            }
            long torn = (long) LONG.getAcquire(progress, TORN_OFFSET);
            System.out.printf("consumer-kills %d kind MPMC at-read %d at-released %d random %d torn %d undelivered %d redelivered %d"
                            + " (records %d, redeliveries %d, pause-hook-missing %d, producer saw all consumers dead %d times, %.1f s)%n",
                    killed, byMode.getOrDefault("read", 0), byMode.getOrDefault("released", 0), byMode.getOrDefault("random", 0), torn, missing,
                    redelivered, total, ring.redeliveries(), hookMissing, peerDead.get(), (System.nanoTime() - t0) / 1e9);
            assertEquals(0, torn, "torn records");
            assertEquals(0, missing, "committed records never delivered (the first: " + firstMissing + "); head " + ring.headPosition()
                    + ", tail " + ring.tailPosition());
            assertEquals(0, hookMissing, "consumers that went past their pause point without pausing (pause hook missing)");
        }
    }

    /** Every fourth life is killed at pause point {@code read}, every fourth at {@code released}, the others after a random number of records. */
    private Life startConsumer(int id, ThreadLocalRandom rnd) {
        String mode = switch (id % 4) {
            case 1 -> "read";
            case 3 -> "released";
            default -> "random";
        };
        long target = mode.equals("random") ? rnd.nextInt(3001) : 1 + rnd.nextInt(50);
        List<String> jvm = mode.equals("random") ? List.of()
                : List.of("-Ddev.shmkit.ring.pauseAt=" + mode, "-Ddev.shmkit.ring.pauseAfter=" + target);
        int life = 1000 + id;
        ChildJvm c = ChildJvm.start(Consumer.class, jvm, name, progressName, deliveredName, Integer.toString(life));
        children.add(c);
        return new Life(life, mode, target, c);
    }
}
