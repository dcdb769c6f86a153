package dev.shmkit.ring;

import dev.shmkit.queue.Codec;
import dev.shmkit.queue.Pipe;
import dev.shmkit.queue.SharedQueue;
import dev.shmkit.shm.SharedMemory;
import dev.shmkit.testkit.Child;
import dev.shmkit.testkit.ChildJvm;
import dev.shmkit.testkit.Names;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.EOFException;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Fuzz of every ring-backed kind (issue 10 §3): a ring (SPSC, MPSC, MPMC), a {@link SharedQueue}
 * and a one-way {@link Pipe}, each created with a few records in it, get one to three of their
 * header or record words overwritten through a raw {@link SharedMemory} mapping, and are then
 * opened and used (offer, read, poll/recv with a 10 ms timeout). Expected: no JVM crash (exit code
 * 134 or an hs_err file), no call that outlasts its timeout (plus slack), and each refusal an
 * exception whose message names the object. Mutations go mostly to random offsets of the headers
 * (the object's own and its ring's) and of the record area, with boundary and random values, plus a
 * few named fields from {@link RingDescriptor}.
 *
 * <p>{@code -Dshmkit.stress.fuzz=N} sets the number of mutations (default 300); {@code
 * -Dshmkit.fuzz.seed=S} replays a run (the seed is printed). One child JVM applies and tries many
 * mutations, reading them from stdin and printing one result line each; a child that crashes or
 * hangs is replaced.
 */
class RingFuzzTest {
    static final int MUTATIONS = Integer.getInteger("shmkit.stress.fuzz", 300);
    static final long CAPACITY = 4096;
    /** Timeout of the waiting calls the child makes. */
    static final long ASKED_MILLIS = 10;
    /** A call may outlast what it was asked by this much (a shared two-core machine); more is a hang. */
    static final long SLACK_MILLIS = 3000;
    /** The child's watchdog gives up on a call after this long, prints HANG and halts. */
    static final long HANG_MILLIS = 6_000;

    static final String[] KINDS = {"ring-spsc", "ring-mpsc", "ring-mpmc", "queue", "pipe"};

    @TempDir
    Path errors;

    private final List<ChildJvm> started = new ArrayList<>();
    private volatile String currentName;

    @AfterEach
    void cleanup() {
        for (ChildJvm c : started) c.close();
        if (currentName != null) SharedMemory.unlink(currentName);
    }

    // ------------------------------------------------------------------ layout, from the public API

    static long objectSize(String kind) {
        return switch (kind) {
            case "queue" -> SharedQueue.sizeFor(CAPACITY);
            case "pipe" -> Pipe.sizeFor(CAPACITY, false);
            default -> SharedRing.sizeFor(CAPACITY);
        };
    }

    /** Where the (last) ring starts: rings sit at the end of queues and pipes. */
    static long ringBase(String kind) {
        return objectSize(kind) - SharedRing.sizeFor(CAPACITY);
    }

    static long recordBase(String kind) {
        return objectSize(kind) - CAPACITY;
    }

    // ------------------------------------------------------------------ the generator

    /** One mutation: {@code base,delta,width,value} (see {@link Target#resolve}). */
    static String generateOne(SplittableRandom r, String kind) {
        long ringBase = ringBase(kind), rec = recordBase(kind);
        int width = pick(r, 8, 8, 8, 8, 8, 8, 8, 4, 4, 2, 1);
        String base;
        long delta;
        String value = value(r);
        int what = r.nextInt(100);
        if (what < 40) { // anywhere in the headers
            base = "obj";
            // a ring: its 2 KiB header; a queue or pipe: its own header or its ring's, half and half
            boolean own = ringBase > 0 && r.nextBoolean();
            long start = own ? 0 : ringBase, end = own ? ringBase : rec;
            delta = align(start + r.nextLong(end - start), width, r);
        } else if (what < 60) { // the records near the head, or anywhere in the record area
            if (r.nextBoolean()) {
                base = "head";
                delta = align(r.nextInt(256), width, r);
            } else {
                base = "rec";
                delta = align(r.nextLong(CAPACITY - 8), width, r);
            }
        } else if (what < 70) { // the record word at the tail (where a producer claims next)
            base = "tail";
            delta = 0;
            width = 8;
            value = pickS(r, "cap:0", "=-" + CAPACITY, "cap:8", "=8", "=-8", "=" + (CAPACITY / 2), "=" + r.nextLong(), "xor:" + (1L << r.nextInt(64)),
                    "=" + ((7L << 32) | CAPACITY), "=" + ((7L << 32) | 0xffff_fff0L), "=" + (-1L << 62 | 64));
        } else { // named fields
            base = "ring";
            switch (r.nextInt(9)) {
                case 0 -> {
                    delta = RingDescriptor.MAGIC_OFFSET;
                    width = 4;
                    value = pickS(r, "=0", "xor:1", "=" + r.nextInt(), "=" + 0x50495045);
                }
                case 1 -> {
                    delta = RingDescriptor.VERSION_OFFSET;
                    width = 2;
                    value = pickS(r, "=0", "add:1", "add:-1", "=-1", "=32767");
                }
                case 2 -> {
                    delta = RingDescriptor.KIND_OFFSET;
                    width = 2;
                    value = pickS(r, "=0", "=4", "=-1", "=32767", "add:1");
                }
                case 3 -> {
                    delta = RingDescriptor.CAPACITY_OFFSET;
                    width = 8;
                    value = pickS(r, "=0", "=-1", "capx:2", "cap:" + (-CAPACITY / 2), "cap:8", "cap:-8", "=" + Long.MAX_VALUE, "=" + (1L << 40), "=64");
                }
                case 4 -> {
                    delta = RingDescriptor.MAX_PAYLOAD_OFFSET;
                    width = 4;
                    value = pickS(r, "=0", "=-1", "cap:0", "add:8", "add:-8", "=" + Integer.MAX_VALUE);
                }
                case 5, 6 -> {
                    delta = r.nextBoolean() ? RingDescriptor.HEAD_OFFSET : RingDescriptor.TAIL_OFFSET;
                    width = 8;
                    value = pickS(r, "head:" + CAPACITY, "head:-8", "head:" + (CAPACITY + 8), "tail:" + (2 * CAPACITY), "tail:1", "head:3", "tail:-" + CAPACITY,
                            "=" + Long.MAX_VALUE, "=" + Long.MIN_VALUE, "=-8", "=0", "=" + (Long.MAX_VALUE - 7), "tail:" + (1L << 40));
                }
                default -> {
                    delta = (r.nextBoolean() ? RingDescriptor.PRODUCER_SLOTS_OFFSET : RingDescriptor.CONSUMER_SLOTS_OFFSET) + 8L * r.nextInt(3);
                    width = 8;
                    value = pickS(r, "=-1", "=0", "=" + r.nextLong(), "=1", "xor:" + (1L << r.nextInt(64)));
                }
            }
        }
        return base + "," + delta + "," + width + "," + value;
    }

    private static long align(long offset, int width, SplittableRandom r) {
        return r.nextInt(10) == 0 ? offset : offset & -width; // now and then unaligned
    }

    private static String value(SplittableRandom r) {
        return pickS(r, "=0", "=-1", "=" + Long.MIN_VALUE, "=" + Long.MAX_VALUE, "cap:0", "cap:8", "cap:-8", "capx:2", "=-" + CAPACITY, "=8", "=1", "=7",
                "=" + 0x7fff_ffffL, "=" + 0x8000_0000L, "=" + 0xffff_ffffL, "=" + (1L << 32), "=" + (1L << 40), "=" + r.nextLong(),
                "=" + r.nextInt(), "xor:" + (1L << r.nextInt(64)), "add:8", "add:-8", "add:" + CAPACITY, "=" + (1L << 62 | 64), "=" + (3L << 62 | 64),
                "=" + ((1L << 32) | 0x7fff_fff8L));
    }

    @SafeVarargs
    private static <T> T pick(SplittableRandom r, T... choices) {
        return choices[r.nextInt(choices.length)];
    }

    private static String pickS(SplittableRandom r, String... choices) {
        return choices[r.nextInt(choices.length)];
    }

    // ------------------------------------------------------------------ the test

    record Result(String line, String instruction) {}

    /** A guard over the whole run, scaled with the count (the class-wide default of 5 minutes would cut {@code make stress} short). */
    @Test
    @Timeout(value = 3, unit = TimeUnit.HOURS)
    void mutatedHeadersAndRecordsAreRefusedCleanly() {
        assertTimeoutPreemptively(Duration.ofSeconds(120 + MUTATIONS / 2), this::fuzz);
    }

    private void fuzz() throws Exception {
        long seed = Long.getLong("shmkit.fuzz.seed", System.nanoTime());
        SplittableRandom r = new SplittableRandom(seed);
        long t0 = System.nanoTime();
        Map<String, Integer> outcomes = new TreeMap<>();
        Map<String, Integer> byKind = new TreeMap<>();
        Map<String, List<String>> examples = new LinkedHashMap<>();
        int crashes = 0, children = 0;
        ChildJvm child = null;
        try {
            for (int i = 0; i < MUTATIONS; i++) {
                String kind = KINDS[i % KINDS.length];
                byKind.merge(kind, 1, Integer::sum);
                String name = Names.unique("fuzz");
                currentName = name;
                int n = 1 + (r.nextInt(4) == 0 ? 1 + r.nextInt(2) : 0);
                List<String> ms = new ArrayList<>();
                for (int k = 0; k < n; k++) ms.add(generateOne(r, kind));
                String instruction = "M " + i + " " + kind + " " + name + " " + String.join(";", ms);
                if (child == null) {
                    child = ChildJvm.start(Target.class, List.of("-Xmx64m", "-XX:ErrorFile=" + errors.resolve("hs_err_pid%p.log"),
                            "-XX:-CreateCoredumpOnCrash"));
                    children++;
                    started.add(child);
                    child.expectLine("ready");
                }
                child.send(instruction);
                String line;
                try {
                    line = child.readLine(Duration.ofMillis(HANG_MILLIS + 20_000));
                } catch (AssertionError e) {
                    line = null;
                }
                SharedMemory.unlink(name);
                if (line == null || !line.startsWith("R " + i + " ")) {
                    boolean alive = child.process().isAlive();
                    child.close();
                    int code = child.process().exitValue();
                    boolean hsErr = hsErrFiles() > 0;
                    String outcome = (code == 134 || hsErr) ? "CRASH" : alive ? "HANG" : "DIED";
                    if (outcome.equals("CRASH")) crashes++;
                    note(outcomes, examples, outcome, instruction + " -> exit " + code + (line == null ? "" : ", line " + line)
                            + "; " + child.stderr().lines().limit(5).toList());
                    child = null;
                    continue;
                }
                String[] f = line.split(" ", 5);
                String outcome = f[2];
                note(outcomes, examples, outcome, instruction + " -> " + (f.length > 4 ? f[4] : "") + " (" + f[3] + " ms)");
                if (outcome.equals("HANG")) {
                    child.close();
                    child = null;
                }
            }
        } finally {
            if (child != null) {
                child.send("exit");
                child.waitFor(Duration.ofSeconds(30));
                child.close();
            }
        }
        int hsErr = hsErrFiles();
        System.out.printf("fuzz %d mutations %s outcomes %s crashes %d hs_err %d children %d seed %d (%.1f s)%n", MUTATIONS, byKind, outcomes,
                crashes, hsErr, children, seed, (System.nanoTime() - t0) / 1e9);
        StringBuilder bad = new StringBuilder();
        for (var e : examples.entrySet()) {
            if (e.getKey().equals("OK") || e.getKey().equals("REFUSED")) continue;
            bad.append(e.getKey()).append(" x").append(outcomes.get(e.getKey())).append(", e.g.:\n");
            for (String ex : e.getValue()) bad.append("  ").append(ex).append('\n');
        }
        if (hsErr > 0) bad.append(hsErr).append(" hs_err files in ").append(errors).append('\n');
        if (bad.length() > 0) {
            fail("fuzz (seed " + seed + ", -Dshmkit.fuzz.seed to replay): outcomes " + outcomes + "\n" + bad);
        }
    }

    private static void note(Map<String, Integer> outcomes, Map<String, List<String>> examples, String outcome, String example) {
        outcomes.merge(outcome, 1, Integer::sum);
        List<String> l = examples.computeIfAbsent(outcome, k -> new ArrayList<>());
        if (l.size() < 6) l.add(example);
    }

    private int hsErrFiles() throws IOException {
        try (Stream<Path> s = Files.list(errors)) {
            return (int) s.filter(p -> p.getFileName().toString().startsWith("hs_err")).count();
        }
    }

    // ------------------------------------------------------------------ the child

    /**
     * Reads {@code M ID KIND NAME MUTATIONS} lines; for each, creates the object with a few
     * records in it, applies the mutations through a raw mapping, opens and uses it, removes it,
     * and prints {@code R ID OUTCOME MILLIS DETAIL}. OUTCOME: {@code OK}; {@code REFUSED} (an
     * exception naming the object); {@code UNNAMED} (an exception whose message does not name it);
     * {@code ERROR} (an {@link Error}); {@code SLOW} (a call that outlasted its timeout by more
     * than the slack); {@code HANG} (printed by a watchdog, which then halts the JVM); {@code SETUP}
     * (the unmutated object could not be made: a test bug). MILLIS: the longest call.
     */
    public static final class Target {
        private static volatile long opStart;
        private static volatile String opName = "";
        private static volatile String current = "";

        public static void main(String[] args) throws Exception {
            Thread.ofPlatform().daemon().name("watchdog").start(() -> {
                while (true) {
                    long s = opStart;
                    if (s != 0 && System.nanoTime() - s > TimeUnit.MILLISECONDS.toNanos(HANG_MILLIS)) {
                        Child.say("R " + current + " HANG " + HANG_MILLIS + " " + opName + " did not return");
                        Runtime.getRuntime().halt(3);
                    }
                    try {
                        Thread.sleep(50); // the watchdog's own polling period, not a synchronization
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            });
            Child.say("ready");
            while (true) {
                String line = Child.listen();
                if (line.equals("exit")) System.exit(0);
                String[] f = line.split(" ", 5);
                current = f[1];
                String result;
                try {
                    result = run(f[2], f[3], f[4]);
                } catch (Throwable t) {
                    result = "SETUP 0 " + t;
                }
                Child.say("R " + f[1] + " " + result.replace('\n', ' '));
            }
        }

        private static long longest;
        private static String slow;

        /** Times one call; asked = the timeout it was given, in ms (0: it should not wait). */
        private static <T> T call(String op, long asked, Callable<T> c) throws Exception {
            opName = op;
            long s = System.nanoTime();
            opStart = s;
            try {
                return c.call();
            } finally {
                opStart = 0;
                long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - s);
                longest = Math.max(longest, ms);
                if (ms > asked + SLACK_MILLIS && slow == null) slow = op + " took " + ms + " ms (asked " + asked + ")";
            }
        }

        interface Callable<T> {
            T call() throws Exception;
        }

        static String run(String kind, String name, String mutations) throws Exception {
            longest = 0;
            slow = null;
            // 1. the object, unmutated, with a few records (one of them already consumed)
            Pipe sender = null;
            try {
                switch (kind) {
                    case "queue" -> {
                        try (SharedQueue<String> q = SharedQueue.create(name, CAPACITY, Codec.string())) {
                            for (String s : List.of("one", "two", "three")) q.offer(s);
                            q.poll();
                        }
                    }
                    case "pipe" -> {
                        sender = Pipe.createOneWay(name, CAPACITY, Pipe.Role.SENDER);
                        for (String s : List.of("one", "two", "three")) sender.send(s.getBytes(StandardCharsets.UTF_8));
                    }
                    default -> {
                        RingKind k = RingKind.valueOf(kind.substring(5).toUpperCase(java.util.Locale.ROOT));
                        try (SharedRing ring = SharedRing.create(name, CAPACITY, k)) {
                            for (long seq = 0; seq < 3; seq++) ring.offer(RingMessages.DATA, RingDefectsTest.message(1, seq, 24 + 8 * (int) seq));
                            ring.read((t, b, i, l) -> {}, 1);
                        }
                    }
                }
            } catch (Throwable t) {
                if (sender != null) sender.close();
                SharedMemory.unlink(name);
                return "SETUP 0 " + t;
            }
            // 2. the mutations
            try (SharedMemory shm = SharedMemory.open(name)) {
                apply(shm.segment(), kind, mutations);
            }
            // 3. use it
            String outcome;
            try {
                use(kind, name, sender);
                outcome = slow != null ? "SLOW" : "OK";
                return outcome + " " + longest + (slow != null ? " " + slow : "");
            } catch (Throwable t) {
                String msg = String.valueOf(t.getMessage());
                String what = slow != null ? "SLOW" : t instanceof Error ? "ERROR" : msg.contains(name) ? "REFUSED" : "UNNAMED";
                return what + " " + longest + " " + opName + ": " + t.getClass().getSimpleName() + ": " + msg + (slow != null ? " / " + slow : "");
            } finally {
                if (sender != null) {
                    try {
                        Pipe s = sender;
                        call("close sender", 0, () -> {
                            s.close();
                            return null;
                        });
                    } catch (Throwable ignored) {
                        // reported by use() when it matters
                    }
                }
                SharedMemory.unlink(name);
            }
        }

        static void apply(MemorySegment s, String kind, String mutations) {
            long ringBase = ringBase(kind), rec = recordBase(kind);
            long head = s.get(ValueLayout.JAVA_LONG, ringBase + RingDescriptor.HEAD_OFFSET);
            long tail = s.get(ValueLayout.JAVA_LONG, ringBase + RingDescriptor.TAIL_OFFSET);
            List<long[]> writes = new ArrayList<>();
            for (String m : mutations.split(";")) {
                String[] p = m.split(",");
                long at = switch (p[0]) {
                    case "obj" -> 0;
                    case "ring" -> ringBase;
                    case "rec" -> rec;
                    case "head" -> rec + (head & (CAPACITY - 1));
                    case "tail" -> rec + (tail & (CAPACITY - 1));
                    default -> throw new IllegalArgumentException(p[0]);
                } + Long.parseLong(p[1]);
                int width = Integer.parseInt(p[2]);
                if (at < 0 || at + width > s.byteSize()) continue;
                long old = switch (width) {
                    case 1 -> s.get(ValueLayout.JAVA_BYTE, at);
                    case 2 -> s.get(ValueLayout.JAVA_SHORT_UNALIGNED, at);
                    case 4 -> s.get(ValueLayout.JAVA_INT_UNALIGNED, at);
                    default -> s.get(ValueLayout.JAVA_LONG_UNALIGNED, at);
                };
                writes.add(new long[] {at, width, resolve(p[3], old, head, tail)});
            }
            for (long[] w : writes) {
                long at = w[0], v = w[2];
                switch ((int) w[1]) {
                    case 1 -> s.set(ValueLayout.JAVA_BYTE, at, (byte) v);
                    case 2 -> s.set(ValueLayout.JAVA_SHORT_UNALIGNED, at, (short) v);
                    case 4 -> s.set(ValueLayout.JAVA_INT_UNALIGNED, at, (int) v);
                    default -> s.set(ValueLayout.JAVA_LONG_UNALIGNED, at, v);
                }
            }
        }

        /** {@code =N} N; {@code cap:K} capacity + K; {@code capx:M} capacity * M; {@code head:K}/{@code tail:K} that position + K; {@code xor:N}, {@code add:N} on the old value. */
        static long resolve(String v, long old, long head, long tail) {
            if (v.startsWith("=")) return Long.parseLong(v.substring(1));
            String[] p = v.split(":");
            long k = Long.parseLong(p[1]);
            return switch (p[0]) {
                case "cap" -> CAPACITY + k;
                case "capx" -> CAPACITY * k;
                case "head" -> head + k;
                case "tail" -> tail + k;
                case "xor" -> old ^ k;
                case "add" -> old + k;
                default -> throw new IllegalArgumentException(v);
            };
        }

        static void use(String kind, String name, Pipe sender) throws Exception {
            switch (kind) {
                case "queue" -> {
                    try (SharedQueue<String> q = call("open", 0, () -> SharedQueue.open(name, Codec.string()))) {
                        call("offer", 0, () -> q.offer("four"));
                        call("offer(10ms)", ASKED_MILLIS, () -> q.offer("five", ASKED_MILLIS, TimeUnit.MILLISECONDS));
                        call("poll", 0, q::poll);
                        call("poll(10ms)", ASKED_MILLIS, () -> q.poll(ASKED_MILLIS, TimeUnit.MILLISECONDS));
                        call("drainTo", 0, () -> q.drainTo(new ArrayList<>()));
                        call("size", 0, q::size);
                        call("poll(10ms)", ASKED_MILLIS, () -> q.poll(ASKED_MILLIS, TimeUnit.MILLISECONDS));
                    }
                }
                case "pipe" -> {
                    try (Pipe receiver = call("open", 0, () -> Pipe.open(name))) {
                        for (int i = 0; i < 4; i++) {
                            try {
                                call("recv(10ms)", ASKED_MILLIS, () -> receiver.recv(ASKED_MILLIS, TimeUnit.MILLISECONDS));
                            } catch (EOFException e) {
                                if (!String.valueOf(e.getMessage()).contains(name)) throw e;
                                break; // end of stream, named: a clean answer
                            }
                        }
                        call("poll(10ms)", ASKED_MILLIS, () -> receiver.poll(ASKED_MILLIS, TimeUnit.MILLISECONDS));
                        // send has no timeout: it waits while the ring looks full, until its end is closed
                        ExecutorService ex = Executors.newSingleThreadExecutor();
                        try {
                            Future<?> f = ex.submit(() -> {
                                sender.send("four".getBytes(StandardCharsets.UTF_8));
                                return null;
                            });
                            try {
                                call("send", 1000, () -> {
                                    try {
                                        return f.get(1000, TimeUnit.MILLISECONDS);
                                    } catch (TimeoutException e) {
                                        sender.close(); // a blocked send then throws within a slice
                                        try {
                                            return f.get(SLACK_MILLIS, TimeUnit.MILLISECONDS);
                                        } catch (java.util.concurrent.ExecutionException ee) {
                                            return null; // closed while waiting for room: fine
                                        }
                                    }
                                });
                            } catch (java.util.concurrent.ExecutionException e) {
                                throw e.getCause() instanceof Exception c ? c : e;
                            }
                        } finally {
                            ex.shutdownNow();
                        }
                        call("recv(10ms)", ASKED_MILLIS, () -> {
                            try {
                                return receiver.recv(ASKED_MILLIS, TimeUnit.MILLISECONDS);
                            } catch (EOFException e) {
                                if (!String.valueOf(e.getMessage()).contains(name)) throw e;
                                return null;
                            }
                        });
                    }
                }
                default -> {
                    try (SharedRing ring = call("open", 0, () -> SharedRing.open(name))) {
                        byte[] m = RingDefectsTest.message(2, 0, 40);
                        call("offer", 0, () -> ring.offer(RingMessages.DATA, m));
                        call("offer(10ms)", ASKED_MILLIS, () -> ring.offer(RingMessages.DATA, m, ASKED_MILLIS, TimeUnit.MILLISECONDS));
                        MessageHandler h = (t, b, i, l) -> b.get(ValueLayout.JAVA_BYTE, i + Math.max(0, l - 1));
                        call("read", 0, () -> ring.read(h, 16));
                        call("poll(10ms)", ASKED_MILLIS, () -> ring.poll(h, 16, ASKED_MILLIS, TimeUnit.MILLISECONDS));
                        call("offer", 0, () -> ring.offer(RingMessages.DATA, m));
                        call("poll(10ms)", ASKED_MILLIS, () -> ring.poll(h, 16, ASKED_MILLIS, TimeUnit.MILLISECONDS));
                        call("used", 0, ring::used);
                    }
                }
            }
        }
    }
}
