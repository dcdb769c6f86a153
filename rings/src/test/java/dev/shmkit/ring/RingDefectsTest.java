package dev.shmkit.ring;

import dev.shmkit.queue.Codec;
import dev.shmkit.queue.SharedQueue;
import dev.shmkit.shm.SharedMemory;
import dev.shmkit.testkit.Child;
import dev.shmkit.testkit.ChildJvm;
import dev.shmkit.testkit.Names;
import dev.shmkit.testkit.Programs;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * One regression test per defect of issue 10 §1, each across real processes (child JVMs driven
 * by {@link RingAgent}, and the real launcher {@code bin/shmkit}). Every wait is bounded; no
 * sleep synchronizes anything.
 */
class RingDefectsTest {
    private static final Path ROOT = Path.of(System.getProperty("shmkit.repo.root", "..")).toAbsolutePath().normalize();
    private static final Duration CALL = Duration.ofSeconds(30);

    private final String name = Names.unique("ring-defect");
    private final List<ChildJvm> children = new ArrayList<>();

    @AfterEach
    void cleanup() {
        for (ChildJvm c : children) c.close();
        SharedMemory.unlink(name);
    }

    // ------------------------------------------------------------------ helpers

    private ChildJvm agent(String... jvmOptions) {
        ChildJvm c = ChildJvm.start(RingAgent.class, List.of(jvmOptions));
        children.add(c);
        String hello = c.readLine();
        assertTrue(hello.startsWith("agent "), hello);
        return c;
    }

    /** Sends a command to an agent and returns its reply. */
    private static String call(ChildJvm agent, String command) {
        agent.send(command);
        return agent.readLine(CALL);
    }

    /** As {@link #call}, failing unless the reply is {@code ok...}. */
    private static String ok(ChildJvm agent, String command) {
        String r = call(agent, command);
        if (!r.startsWith("ok")) fail("'" + command + "' -> '" + r + "'" + stderr(agent));
        return r;
    }

    private static String stderr(ChildJvm c) {
        return c.stderr().isEmpty() ? "" : "\n--- child stderr ---\n" + c.stderr();
    }

    /** kill -9, then waits until it is gone (so that its registrations are those of a dead process). */
    private static void kill(ChildJvm c) {
        c.process().destroyForcibly();
        c.waitFor(Duration.ofSeconds(30));
    }

    /** The {@code producer:seq} entries of a read/poll reply ({@code ok N a:b,c:d}). */
    private static List<String> seen(String reply) {
        String[] f = reply.split(" ");
        if (f.length < 3 || f[2].isEmpty()) return List.of();
        return List.of(f[2].split(","));
    }

    /** Polls with an agent until {@code want} messages arrived or a poll returns nothing twice in a row. */
    private static List<String> pollAll(ChildJvm agent, String handle, int want, int millis) {
        List<String> got = new ArrayList<>();
        int empty = 0;
        while (got.size() < want && empty < 2) {
            List<String> s = seen(ok(agent, "poll " + handle + " 64 " + millis));
            if (s.isEmpty()) empty++;
            else empty = 0;
            got.addAll(s);
        }
        return got;
    }

    /** Consumes in this JVM with the blocking poll until {@code want} messages arrived or {@code within} elapsed. */
    private static List<String> pollHere(SharedRing ring, int want, Duration within) throws InterruptedException {
        List<String> got = new ArrayList<>();
        long deadline = System.nanoTime() + within.toNanos();
        while (got.size() < want && System.nanoTime() < deadline) {
            ring.poll((t, b, i, l) -> got.add(describe(b, i, l)), 64, 50, TimeUnit.MILLISECONDS);
        }
        return got;
    }

    private static String describe(java.lang.foreign.MemorySegment b, long i, int l) {
        try {
            return RingMessages.verify(b, i, l) + ":" + RingMessages.seq(b, i);
        } catch (AssertionError e) {
            return "torn";
        }
    }

    private static List<String> expected(int producer, long from, long count) {
        List<String> l = new ArrayList<>();
        for (long s = from; s < from + count; s++) l.add(producer + ":" + s);
        return l;
    }

    private static Programs.Result shmkit(byte[] stdin, Duration timeout, String... args) {
        Path launcher = ROOT.resolve("bin/shmkit");
        assumeTrue(Files.isExecutable(launcher), "bin/shmkit is produced by 'make build' (run it after changing rings)");
        List<String> cmd = new ArrayList<>();
        cmd.add(launcher.toString());
        cmd.addAll(List.of(args));
        return Programs.run(cmd, stdin, timeout);
    }

    private static Process shmkitStart(String stdin, String... args) {
        Path launcher = ROOT.resolve("bin/shmkit");
        assumeTrue(Files.isExecutable(launcher), "bin/shmkit is produced by 'make build'");
        List<String> cmd = new ArrayList<>();
        cmd.add(launcher.toString());
        cmd.addAll(List.of(args));
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            try (var in = p.getOutputStream()) {
                in.write(stdin.getBytes(StandardCharsets.UTF_8));
            }
            return p;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** An agent's reply for an {@link IllegalStateException} (or a subclass). */
    private static boolean isIllegalState(String reply) {
        return reply.startsWith("error IllegalStateException") || reply.matches("error \\w+ extends IllegalStateException: .*");
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    // ------------------------------------------------------------------ 1. exactly full ring

    /**
     * Defect 1: a new producer on an exactly full SPSC ring must time out (exit 3), never spin;
     * after a drain the ring still opens and carries messages.
     */
    @Test
    void exactlyFullRingNewProducerTimesOutAndTheRingStaysUsable() throws Exception {
        int capacity = 4096, records = 64;
        // One record per 4096/64 = 64 bytes: the 8-byte header plus a payload that keeps 8-byte alignment.
        int payload = capacity / records - RingDescriptor.RECORD_HEADER_LENGTH;
        assertEquals(capacity / records, RingDescriptor.align(payload + RingDescriptor.RECORD_HEADER_LENGTH));
        Programs.Result created = shmkit(null, CALL, "ring", "create", "--capacity", "4096", "--kind", "spsc", name);
        assertEquals(0, created.exitCode(), created.stderr());

        StringBuilder lines = new StringBuilder();
        for (int i = 0; i < records; i++) {
            String head = "line-" + i + "-";
            lines.append(head).append("x".repeat(payload - head.length())).append('\n');
        }
        Programs.Result sent = shmkit(utf8(lines.toString()), CALL, "ring", "send", "--timeout", "10s", name);
        assertEquals(0, sent.exitCode(), sent.stderr());
        String info = ringInfo();
        assertTrue(info.lines().anyMatch("used: 4096"::equals) && info.lines().anyMatch("free: 0"::equals),
                "the ring must be exactly full:\n" + info);

        // The new producer: must exit 3 within a few seconds. Drain only once it is gone, or after 15 s
        // (the defect: it spins; a drain while it spins moved v1's tail laps ahead and bricked the ring).
        long t0 = System.nanoTime();
        Process extra = shmkitStart("extra\n", "ring", "send", "--timeout", "2s", name);
        boolean exited = extra.waitFor(15, TimeUnit.SECONDS);
        long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
        List<String> failures = new ArrayList<>();
        if (!exited) failures.add("'shmkit ring send --timeout 2s' on the exactly full ring was still running after " + ms + " ms");
        else if (extra.exitValue() != 3) failures.add("'shmkit ring send --timeout 2s' on the full ring exited " + extra.exitValue() + ", expected 3");

        Programs.Result drained = shmkit(null, CALL, "ring", "recv", "--count", "64", "--timeout", "10s", name);
        extra.destroyForcibly();
        extra.waitFor(30, TimeUnit.SECONDS);
        if (drained.exitCode() != 0 || !drained.stdout().equals(lines.toString())) {
            failures.add("drain: exit " + drained.exitCode() + ", " + drained.stdout().lines().count() + " lines, stderr " + drained.stderr());
        }
        Programs.Result stat = shmkit(null, CALL, "ring", "stat", name);
        if (stat.exitCode() != 0) failures.add("after the drain the ring no longer opens: " + stat.stderr().trim());
        Programs.Result after = shmkit(utf8("after\n"), CALL, "ring", "send", "--timeout", "5s", name);
        Programs.Result got = shmkit(null, CALL, "ring", "recv", "--count", "1", "--timeout", "5s", name);
        if (after.exitCode() != 0 || got.exitCode() != 0 || !got.stdout().equals("after\n")) {
            failures.add("after the drain the ring does not carry messages: send exit " + after.exitCode() + " " + after.stderr().trim()
                    + ", recv exit " + got.exitCode() + " '" + got.stdout().trim() + "' " + got.stderr().trim());
        }
        if (!failures.isEmpty()) fail(String.join("\n", failures));
    }

    /** {@code shmkit ring info NAME}, or {@code ring stat} where there is no {@code info}. */
    private String ringInfo() {
        Programs.Result info = shmkit(null, CALL, "ring", "info", name);
        if (info.exitCode() == 2) info = shmkit(null, CALL, "ring", "stat", name);
        assertEquals(0, info.exitCode(), info.stderr());
        return info.stdout();
    }

    // ------------------------------------------------------------------ 2. consumer killed while releasing

    /**
     * A consumer that prints {@code handled SEQ} for each record it handles (touching only the
     * first bytes of the payload), then {@code returned N} after the poll, and blocks until killed.
     * Args: NAME LIMIT [watch]. With {@code watch}, a second thread prints {@code clearing} as soon as
     * the header word of the first record changes: the consumer has started to clear what it consumed.
     */
    public static final class ReleasingConsumer {
        private static final java.lang.invoke.VarHandle LONG = ValueLayout.JAVA_LONG.varHandle();

        public static void main(String[] args) throws Exception {
            try (SharedRing ring = SharedRing.open(args[0])) {
                long at = ring.headPosition() & (ring.capacity() - 1);
                long first = (long) LONG.getAcquire(ring.buffer(), at);
                boolean watch = args.length > 2 && args[2].equals("watch");
                Thread watcher = Thread.ofPlatform().daemon().start(() -> {
                    while (watch) {
                        if ((long) LONG.getAcquire(ring.buffer(), at) != first) {
                            Child.say("clearing");
                            return;
                        }
                        Thread.onSpinWait();
                    }
                });
                Child.say("ready");
                int n = ring.poll((type, buf, index, len) -> Child.say("handled " + RingMessages.seq(buf, index)),
                        Integer.parseInt(args[1]), 30, TimeUnit.SECONDS);
                Child.say("returned " + n);
                watcher.join(Duration.ofSeconds(1));
                Child.listen();
                System.exit(98);
            }
        }
    }

    /**
     * Defect 2, as reproduced: 64 MiB ring, 7 records of 8 MiB; the consumer is killed as soon
     * as it starts to clear the space it consumed (v1: while it zeroes record 0, with the head
     * not moved yet). The next consumer must get the records again (or after), and a fresh record.
     */
    @ParameterizedTest
    @EnumSource(RingKind.class)
    void consumerKilledWhileReleasingDoesNotStallTheRing(RingKind kind) throws Exception {
        consumerKilledAt(kind, 64L << 20, "clearing");
    }

    /** Defect 2 at the v2 pause points: killed after handing records out ({@code read}) and after moving the head ({@code released}). */
    @ParameterizedTest
    @CsvSource({"SPSC,read", "SPSC,released", "MPSC,read", "MPSC,released", "MPMC,read", "MPMC,released"})
    void consumerKilledAtAPausePointDoesNotStallTheRing(RingKind kind, String point) throws Exception {
        consumerKilledAt(kind, 1L << 20, point);
    }

    private void consumerKilledAt(RingKind kind, long capacity, String point) throws Exception {
        int records = 7;
        try (SharedRing ring = SharedRing.create(name, capacity, kind)) {
            int len = ring.maxPayload();
            for (long seq = 0; seq < records; seq++) {
                long index = ring.tryClaim(RingMessages.DATA, len);
                assertTrue(index >= 0);
                RingMessages.write(ring.buffer(), index, 1, seq, len);
                ring.commit(index);
            }
            boolean clearing = point.equals("clearing");
            List<String> jvm = clearing ? List.of() : List.of("-Ddev.shmkit.ring.pauseAt=" + point);
            Set<Long> handled = new TreeSet<>();
            try (ChildJvm c = ChildJvm.start(ReleasingConsumer.class, jvm, name, "16", clearing ? "watch" : "-")) {
                children.add(c);
                c.expectLine("ready");
                while (true) {
                    String line = c.readLine(CALL);
                    if (line.startsWith("handled ")) handled.add(Long.parseLong(line.substring(8)));
                    if (line.equals(clearing ? "clearing" : "PAUSED " + point)) break;
                    if (line.startsWith("returned ") && clearing) break; // cleared lazily, or not at all: killed after the poll
                    if (line.startsWith("returned ")) {
                        fail("the consumer passed pause point '" + point + "' without pausing (pause hook not implemented): " + line);
                    }
                }
                kill(c);
            }
            long head = ring.headPosition();
            long word = ring.buffer().get(ValueLayout.JAVA_LONG, head & (ring.capacity() - 1));
            String state = "after the kill: head " + head + ", tail " + ring.tailPosition() + ", header at head 0x" + Long.toHexString(word)
                    + ", dead consumer handled " + handled;

            ChildJvm next = agent();
            ok(next, "open c " + name);
            List<String> got = new ArrayList<>(pollAll(next, "c", records, 2000));
            long index = ring.tryClaim(RingMessages.DATA, 64); // a fresh record, sent after the kill
            assertTrue(index >= 0, "no room for a fresh record; " + state);
            RingMessages.write(ring.buffer(), index, 1, records, 64);
            ring.commit(index);
            got.addAll(pollAll(next, "c", 1, 2000));

            assertTrue(!got.contains("torn"), "torn record delivered: " + got);
            assertTrue(got.contains("1:" + records), "the next consumer never got the fresh record; got " + got + "; " + state);
            for (long seq = 0; seq < records; seq++) {
                boolean redeliveredNeeded = point.equals("read"); // the head never moved
                if (redeliveredNeeded || !handled.contains(seq)) {
                    assertTrue(got.contains("1:" + seq), "record " + seq + " was never delivered again (at-least-once); got " + got + "; " + state);
                }
            }
        }
    }

    // ------------------------------------------------------------------ 3. offer whose copy throws

    /** Defect 3: an offer whose copy throws must abort its claim, so later records of the same (live) process flow. */
    @ParameterizedTest
    @EnumSource(RingKind.class)
    void offerWhoseCopyThrowsAbortsItsClaim(RingKind kind) throws Exception {
        try (SharedRing ring = SharedRing.create(name, 1 << 16, kind)) {
            ChildJvm p = agent();
            ok(p, "open p " + name);
            String bad = ok(p, "badoffer p");
            assertTrue(bad.startsWith("ok threw "), "offer of 64 bytes from an 8-byte source must throw, was: " + bad);
            ok(p, "send p 1 0 10 40");
            List<String> got = pollHere(ring, 10, Duration.ofSeconds(5));
            assertEquals(expected(1, 0, 10), got, "records after the failed offer, from a producer that is still alive");
            assertEquals(1, ring.liveParticipants()[0], "the producer is still alive");
        }
    }

    // ------------------------------------------------------------------ 4. read() and a dead producer's claim

    /** Defect 4: the non-blocking read() alone gets past a dead producer's claim to the committed records behind it. */
    @ParameterizedTest
    @EnumSource(RingKind.class)
    void readRecoversADeadProducersClaim(RingKind kind) throws Exception {
        try (SharedRing ring = SharedRing.create(name, 1 << 16, kind)) {
            ChildJvm victim = agent();
            ok(victim, "open v " + name);
            ok(victim, "half v " + RingMessages.DATA + " 100 0 64");
            kill(victim);
            ChildJvm p = agent();
            ok(p, "open p " + name);
            ok(p, "send p 1 0 5 40");
            List<String> got = new ArrayList<>();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(3);
            while (got.size() < 5 && System.nanoTime() < deadline) {
                if (ring.read((t, b, i, l) -> got.add(describe(b, i, l)), 16) == 0) Thread.onSpinWait();
            }
            assertEquals(expected(1, 0, 5), got, "read() for 3 s behind a dead producer's claim (head " + ring.headPosition()
                    + ", tail " + ring.tailPosition() + ", recovered " + ring.recoveredRecords() + ")");
        }
    }

    /** Defect 4 through SharedQueue: poll(), drainTo() and clear() get past a dead producer's claim. */
    @ParameterizedTest
    @ValueSource(strings = {"poll", "drainTo", "clear"})
    void queueGetsPastADeadProducersClaim(String method) throws Exception {
        long capacity = 1 << 14;
        try (SharedQueue<String> q = SharedQueue.create(name, capacity, Codec.string())) {
            long ringOffset = SharedQueue.sizeFor(capacity) - SharedRing.sizeFor(capacity);
            ChildJvm victim = agent();
            ok(victim, "ringat v " + name + " " + ringOffset);
            ok(victim, "half v 1 100 0 64");
            kill(victim);
            ChildJvm p = agent();
            ok(p, "qopen p " + name);
            for (String s : List.of("a", "b", "c")) assertEquals("ok true", ok(p, "qoffer p " + s));
            List<String> got = new ArrayList<>();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(3);
            switch (method) {
                case "poll" -> {
                    while (got.size() < 3 && System.nanoTime() < deadline) {
                        String s = q.poll();
                        if (s != null) got.add(s);
                        else Thread.onSpinWait();
                    }
                    assertEquals(List.of("a", "b", "c"), got, "SharedQueue.poll() for 3 s behind a dead producer's claim");
                }
                case "drainTo" -> {
                    while (got.size() < 3 && System.nanoTime() < deadline) {
                        if (q.drainTo(got) == 0) Thread.onSpinWait();
                    }
                    assertEquals(List.of("a", "b", "c"), got, "SharedQueue.drainTo() for 3 s behind a dead producer's claim");
                }
                case "clear" -> {
                    q.clear();
                    assertEquals("ok true", ok(p, "qoffer p d"));
                    assertEquals("d", q.poll(5, TimeUnit.SECONDS), "clear() must discard a, b and c behind the dead claim");
                }
                default -> throw new IllegalArgumentException(method);
            }
        }
    }

    // ------------------------------------------------------------------ 5. the kind's contract

    /** Defect 5: a second live producer process on an SPSC ring is refused; once the first is dead, its place is taken over. */
    @Test
    void secondLiveProducerOnSpscIsRefusedAndADeadOnesPlaceIsTakenOver() throws Exception {
        try (SharedRing ring = SharedRing.create(name, 1 << 16, RingKind.SPSC)) {
            ChildJvm first = agent();
            ok(first, "open p " + name);
            ok(first, "send p 1 0 1 40");
            ChildJvm second = agent();
            ok(second, "open p " + name);
            String r = call(second, "send p 2 0 1 40");
            assertTrue(isIllegalState(r) && r.contains("already has a live producer") && r.contains(Long.toString(first.pid())),
                    "a second live producer on SPSC must be refused, naming the first's pid " + first.pid() + "; got: " + r);
            kill(first);
            ok(second, "send p 2 0 3 40");
            List<String> got = pollHere(ring, 4, Duration.ofSeconds(5));
            assertEquals(List.of("1:0", "2:0", "2:1", "2:2"), got);
        }
    }

    /** Defect 5: a second live consumer process on an SPSC or MPSC ring is refused; a dead one's place is taken over. */
    @ParameterizedTest
    @EnumSource(value = RingKind.class, names = {"SPSC", "MPSC"})
    void secondLiveConsumerIsRefusedAndADeadOnesPlaceIsTakenOver(RingKind kind) throws Exception {
        try (SharedRing ring = SharedRing.create(name, 1 << 16, kind)) {
            ChildJvm first = agent();
            ok(first, "open c " + name);
            assertEquals("ok 0 ", ok(first, "read c 16"));
            ChildJvm second = agent();
            ok(second, "open c " + name);
            String r = call(second, "read c 16");
            assertTrue(isIllegalState(r) && r.contains("already has a live consumer") && r.contains(Long.toString(first.pid())),
                    "a second live consumer on " + kind + " must be refused, naming the first's pid " + first.pid() + "; got: " + r);
            kill(first);
            for (long seq = 0; seq < 3; seq++) assertTrue(ring.offer(RingMessages.DATA, message(1, seq, 40)));
            assertEquals(expected(1, 0, 3), pollAll(second, "c", 3, 2000));
        }
    }

    /** The other side of defect 5: kinds that allow several producers or consumers accept them. */
    @Test
    void kindsThatAllowSeveralAcceptThem() throws Exception {
        try (SharedRing ring = SharedRing.create(name, 1 << 16, RingKind.MPSC)) {
            ChildJvm a = agent(), b = agent();
            ok(a, "open p " + name);
            ok(b, "open p " + name);
            ok(a, "send p 1 0 2 40");
            ok(b, "send p 2 0 2 40");
            List<String> got = pollHere(ring, 4, Duration.ofSeconds(5));
            assertEquals(Set.of("1:0", "1:1", "2:0", "2:1"), Set.copyOf(got));
            ring.unlink();
        }
        try (SharedRing ring = SharedRing.create(name, 1 << 16, RingKind.MPMC)) {
            ChildJvm a = agent(), b = agent();
            ok(a, "open c " + name);
            ok(b, "open c " + name);
            ok(a, "read c 1");
            ok(b, "read c 1");
            assertEquals(2, ring.liveParticipants()[1]);
        }
    }

    static byte[] message(int producer, long seq, int len) {
        java.lang.foreign.MemorySegment m = java.lang.foreign.MemorySegment.ofArray(new byte[len]);
        RingMessages.write(m, 0, producer, seq, len);
        return m.toArray(ValueLayout.JAVA_BYTE);
    }

    /** Defect 5 through the CLI: a second live producer or consumer exits 1 with the message; after the first dies, it works. */
    @Test
    void cliRefusesASecondLiveProducerOrConsumerWithExit1() throws Exception {
        try (SharedRing ring = SharedRing.create(name, 1 << 16, RingKind.SPSC)) {
            ChildJvm producer = agent();
            ok(producer, "open p " + name);
            ok(producer, "send p 1 0 1 40");
            ChildJvm consumer = agent();
            ok(consumer, "open c " + name);
            assertEquals(1, seen(ok(consumer, "poll c 16 5000")).size());
            List<String> failures = new ArrayList<>();
            Programs.Result send = shmkit(utf8("x\n"), CALL, "ring", "send", "--timeout", "2s", name);
            if (send.exitCode() != 1 || !send.stderr().contains("already has a live producer")) {
                failures.add("send next to a live SPSC producer: exit " + send.exitCode() + ", stderr '" + send.stderr().trim() + "'");
            }
            Programs.Result recv = shmkit(null, CALL, "ring", "recv", "--timeout", "1s", name);
            if (recv.exitCode() != 1 || !recv.stderr().contains("already has a live consumer")) {
                failures.add("recv next to a live SPSC consumer: exit " + recv.exitCode() + ", stderr '" + recv.stderr().trim() + "'");
            }
            kill(producer);
            kill(consumer);
            Programs.Result send2 = shmkit(utf8("y\n"), CALL, "ring", "send", "--timeout", "2s", name);
            Programs.Result recv2 = shmkit(null, CALL, "ring", "recv", "--count", "1", "--timeout", "5s", name);
            String expect = send.exitCode() == 0 ? "x\n" : "y\n"; // v1 accepted the refused line
            if (send2.exitCode() != 0 || recv2.exitCode() != 0 || !recv2.stdout().equals(expect)) {
                failures.add("after both died: send exit " + send2.exitCode() + " " + send2.stderr().trim() + ", recv exit " + recv2.exitCode()
                        + " '" + recv2.stdout().trim() + "' " + recv2.stderr().trim());
            }
            if (!failures.isEmpty()) fail(String.join("\n", failures));
        }
    }

    // ------------------------------------------------------------------ 6. slots

    /** Defect 6: closing one of two handles in a process keeps the process registered (producer and consumer side). */
    @Test
    void closingOneOfTwoHandlesKeepsTheProcessRegistered() throws Exception {
        try (SharedRing ring = SharedRing.create(name, 1 << 16, RingKind.MPSC)) {
            ChildJvm a = agent();
            ok(a, "open p1 " + name);
            ok(a, "open p2 " + name);
            ok(a, "open c1 " + name);
            ok(a, "open c2 " + name);
            assertEquals("ok 0 ", ok(a, "read c1 1")); // registers both handles as consumers, on the empty ring
            assertEquals("ok 0 ", ok(a, "read c2 1"));
            ok(a, "send p1 1 0 1 40");
            ok(a, "send p2 1 1 1 40");
            assertEquals(1, ring.liveParticipants()[0], "one producer process, however many handles");
            assertEquals(1, ring.liveParticipants()[1], "one consumer process, however many handles");
            ok(a, "close p1");
            ok(a, "close c1");
            List<String> failures = new ArrayList<>();
            if (ring.liveParticipants()[0] != 1 || ring.producerState() != SharedRing.PeerState.ALIVE) {
                failures.add("after close() of one of two producer handles: " + ring.liveParticipants()[0] + " live producers, " + ring.producerState());
            }
            if (ring.liveParticipants()[1] != 1 || ring.consumerState() != SharedRing.PeerState.ALIVE) {
                failures.add("after close() of one of two consumer handles: " + ring.liveParticipants()[1] + " live consumers, " + ring.consumerState());
            }
            ok(a, "send p2 1 2 1 40");
            List<String> got = pollAll(a, "c2", 3, 2000);
            if (!got.equals(expected(1, 0, 3))) failures.add("the remaining handles carry on: got " + got);
            if (!failures.isEmpty()) fail(String.join("\n", failures));
        }
    }

    /**
     * Defect 6 with all 64 producer slots, the fast form: 63 live processes ({@code cat}, waiting
     * on its stdin) hold slots as 63 registered producers would, then real producer JVMs: one
     * dies holding a claim; the newcomer that takes its slot must first recover that claim (v1:
     * the claim then looks live forever), and a producer beyond 64 live ones is refused (v1: the
     * "unknown" slot, whose claims are never recovered). The identities written are those the
     * ring registers (pid | start token &lt;&lt; 32, in {@link RingDescriptor#PRODUCER_SLOTS_OFFSET}).
     */
    @Test
    void sixtyFourLiveProducers() throws Exception {
        List<Process> holders = new ArrayList<>();
        try (SharedRing ring = SharedRing.create(name, 1 << 16, RingKind.MPSC); SharedMemory shm = SharedMemory.open(name)) {
            for (int i = 0; i < RingDescriptor.SLOTS - 1; i++) {
                Process p = new ProcessBuilder("cat").redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
                holders.add(p);
                var id = dev.shmkit.os.ProcessId.lookup((int) p.pid()).orElseThrow();
                shm.segment().set(ValueLayout.JAVA_LONG, RingDescriptor.PRODUCER_SLOTS_OFFSET + i * 8L,
                        ((long) id.startToken() << 32) | (id.pid() & 0x3fff_ffffL));
            }
            assertEquals(RingDescriptor.SLOTS - 1, ring.liveParticipants()[0], "63 live processes hold producer slots");
            slotsFullThenDeadClaimAndBeyond(ring, 0);
        } finally {
            for (Process p : holders) p.destroyForcibly();
            for (Process p : holders) p.waitFor(30, TimeUnit.SECONDS);
        }
    }

    /**
     * The same with 63 real producer JVMs holding the slots (each sends one record). About 45 s on
     * two cores, so it runs only with {@code -Dshmkit.stress.kills} ({@code make stress}).
     */
    @Test
    void sixtyFourLiveProducerJvms() throws Exception {
        assumeTrue(System.getProperty("shmkit.stress.kills") != null, "63 holder JVMs: only in make stress (-Dshmkit.stress.kills)");
        int holders = RingDescriptor.SLOTS - 1;
        try (SharedRing ring = SharedRing.create(name, 1 << 16, RingKind.MPSC)) {
            List<ChildJvm> hs = new ArrayList<>();
            for (int i = 0; i < holders; i++) {
                ChildJvm c = ChildJvm.start(RingAgent.class, List.of(LIGHT));
                children.add(c);
                hs.add(c);
            }
            for (int i = 0; i < holders; i++) {
                ChildJvm c = hs.get(i);
                assertTrue(c.readLine().startsWith("agent "));
                ok(c, "open p " + name);
                ok(c, "send p " + (1 + i) + " 0 1 24");
            }
            assertEquals(holders, ring.liveParticipants()[0]);
            slotsFullThenDeadClaimAndBeyond(ring, holders);
        }
    }

    private static final String[] LIGHT = {"-Xmx24m", "-Xss256k"};

    /** 63 slots held by live processes ({@code holderRecords} of them sent a record each, producers 1..): the rest of the scenario. */
    private void slotsFullThenDeadClaimAndBeyond(SharedRing ring, int holderRecords) throws Exception {
        ChildJvm victim = agent(LIGHT);
        ok(victim, "open p " + name);
        ok(victim, "half p " + RingMessages.DATA + " 100 0 64");
        kill(victim);

        List<String> failures = new ArrayList<>();
        ChildJvm newcomer = agent(LIGHT);
        ok(newcomer, "open p " + name);
        ok(newcomer, "send p 200 0 1 24");
        assertEquals(RingDescriptor.SLOTS, ring.liveParticipants()[0], "64 live producers now");

        ChildJvm beyond = agent(LIGHT);
        ok(beyond, "open p " + name);
        String r = call(beyond, "send p 300 0 1 24");
        if (!(isIllegalState(r) && r.contains("64 live producers"))) {
            failures.add("a 65th live producer must be refused ('... has 64 live producers'); got: " + r);
        }

        Set<String> want = new TreeSet<>();
        for (int i = 0; i < holderRecords; i++) want.add((1 + i) + ":0");
        want.add("200:0");
        List<String> got = pollHere(ring, want.size() + (r.startsWith("ok") ? 1 : 0), Duration.ofSeconds(10));
        if (!got.containsAll(want) || got.contains("torn")) {
            Set<String> missing = new TreeSet<>(want);
            missing.removeAll(got);
            failures.add("behind the claim of the dead producer whose slot the newcomer took, missing " + missing + " after 10 s (recovered "
                    + ring.recoveredRecords() + ", head " + ring.headPosition() + ", tail " + ring.tailPosition() + ")");
        }
        if (!failures.isEmpty()) fail(String.join("\n", failures));
    }
}
