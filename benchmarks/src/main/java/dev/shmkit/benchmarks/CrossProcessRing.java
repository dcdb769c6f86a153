package dev.shmkit.benchmarks;

import dev.shmkit.benchmarks.ringproto.ProtoRing;
import dev.shmkit.queue.Codec;
import dev.shmkit.queue.SharedQueue;
import dev.shmkit.ring.MessageHandler;
import dev.shmkit.ring.RingKind;
import dev.shmkit.ring.SharedRing;
import dev.shmkit.shm.SharedMemory;
import org.HdrHistogram.Histogram;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.ringbuffer.ManyToOneRingBuffer;
import org.agrona.concurrent.ringbuffer.OneToOneRingBuffer;
import org.agrona.concurrent.ringbuffer.RingBuffer;
import org.agrona.concurrent.ringbuffer.RingBufferDescriptor;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

/**
 * Cross-process benchmarks of shmkit's rings, side by side with Agrona 2.6.0's ring buffers
 * over the same kind of shared mapping, and with a raw cache-line ping-pong as the floor. A
 * plain {@code main}: every scenario runs in two fresh JVMs (C2, serial GC), pinned to CPU 0
 * and CPU 1 with {@code taskset} when there are two CPUs, started by this orchestrator with
 * {@code java -cp <this class path> dev.shmkit.benchmarks.CrossProcessRing role ...}.
 *
 * <pre>
 * java -cp benchmarks/target/benchmarks.jar dev.shmkit.benchmarks.CrossProcessRing [--only REGEX]
 *      [--seconds S] [--rtt-iterations N] [--capacity BYTES] [--repeat N] [--no-pin] [--list]
 * </pre>
 *
 * Prints one {@code name metric value unit} line per figure ({@code rtt_p50}, {@code rtt_p99} in
 * ns; {@code msgs_per_s}, {@code MB_per_s}), {@code #} comment lines with the details, and a
 * summary against the targets of issue 5. With {@code --repeat N} the whole list runs N times,
 * interleaved (so that a disturbance hits shmkit and Agrona alike), and the summary uses the
 * median of the N runs of each figure, with the range.
 *
 * <h2>What is measured</h2>
 * <ul>
 * <li><b>Round trip</b> ({@code *-rtt}): process A sends an 8-byte message, B echoes it on a
 *     second ring, A times each round trip with {@link System#nanoTime()} into an HdrHistogram.
 *     Both sides busy-poll ({@code read(handler, 1)} + {@link Thread#onSpinWait()}), as Agrona's
 *     duty cycles do. {@code raw-pingpong} is the floor: one shared {@code long}, A writes an
 *     odd value, B answers with the next even one. The ring scenarios also run that raw
 *     ping-pong between the same two processes, in rounds alternating with the ring's, and
 *     print it as {@code NAME-raw-paired}: the fair baseline on a VM (see
 *     {@code pairedPinger}).</li>
 * <li><b>One-way throughput</b> ({@code *-tput}): A claims, writes the payload in place and
 *     commits as fast as the ring takes it; B reads with {@code read(handler, MAX)} and reads the
 *     first 8 bytes of every message. B counts: 1 s of warm-up, then rounds of 0.1 s; the median
 *     of the undisturbed rounds is printed (see below).
 *     {@code -batch} claims 256 records with one {@code tryClaimBatch} and commits them with one
 *     {@code commitBatch}.</li>
 * <li>Agrona uses {@code tryClaim}/{@code commit} (its zero-copy API, like shmkit's) unless the
 *     name says {@code -write} ({@code RingBuffer.write} copying from a small buffer). Its
 *     buffers are {@code UnsafeBuffer}s wrapping the address of a shmkit {@code SharedMemory}
 *     mapping; bounds checks stay on (Agrona's default).</li>
 * <li><b>Disturbance.</b> On a shared machine other processes (and each JVM's own JIT and GC
 *     threads, pinned to the same CPU) preempt the spinning benchmark threads, which wrecks both
 *     latency and throughput figures. The measuring side therefore reads
 *     {@code /proc/PID/task/TID/schedstat} of both benchmark threads before and after each round (10,000 round
 *     trips, or 0.1 s of streaming) and keeps only the rounds in which A and B together spent
 *     less than 0.2% of the round waiting on a run queue; the comment lines say how many rounds
 *     that was, and give the figures over all rounds too.</li>
 * </ul>
 */
public final class CrossProcessRing {
    private CrossProcessRing() {}

    static final int TYPE = 1;
    /** Control segment: ready counter, stop flag, the raw ping-pong word; 128 bytes apart. */
    static final long READY = 0, STOP = 128, PINGPONG = 256, PID_A = 384, PID_B = 392, TID_A = 400, TID_B = 408, CONTROL_SIZE = 4096;
    /** A round counts as undisturbed when A and B together waited on a run queue for less than this share of it. */
    static final double MAX_WAIT_SHARE = 0.002;
    static final VarHandle LONG = ValueLayout.JAVA_LONG.varHandle();
    static final VarHandle INT = ValueLayout.JAVA_INT.varHandle();
    static final int BATCH = 256;

    /** One scenario: its name, what A and B run, and the shared objects it needs. */
    record Scenario(String name, String kind, int size, String variant) {
        boolean agrona() {
            return kind.startsWith("agrona");
        }
    }

    static List<Scenario> scenarios() {
        List<Scenario> s = new ArrayList<>();
        s.add(new Scenario("raw-pingpong", "raw", 8, ""));
        s.add(new Scenario("shmkit-spsc-8B-rtt", "shmkit-rtt", 8, "SPSC"));
        s.add(new Scenario("agrona-oneToOne-8B-rtt", "agrona-rtt", 8, "o2o"));
        for (int size : new int[] {8, 64, 4096}) {
            s.add(new Scenario("shmkit-spsc-" + size + "B-tput", "shmkit-tput", size, "SPSC"));
            s.add(new Scenario("agrona-oneToOne-" + size + "B-tput", "agrona-tput", size, "o2o"));
        }
        s.add(new Scenario("agrona-oneToOne-8B-write-tput", "agrona-tput", 8, "o2o-write"));
        s.add(new Scenario("shmkit-spsc-8B-batch-tput", "shmkit-tput", 8, "SPSC-batch"));
        s.add(new Scenario("shmkit-mpsc-8B-tput", "shmkit-tput", 8, "MPSC"));
        s.add(new Scenario("agrona-manyToOne-8B-tput", "agrona-tput", 8, "m2o"));
        s.add(new Scenario("shmkit-mpmc-8B-tput", "shmkit-tput", 8, "MPMC"));
        s.add(new Scenario("shmkit-queue-Integer-tput", "queue-tput", 4, ""));
        // The prototype (dev.shmkit.benchmarks.ringproto.ProtoRing): SharedRing without the full fence per commit.
        s.add(new Scenario("proto-membarrier-spsc-8B-rtt", "proto-rtt", 8, "SPSC"));
        for (int size : new int[] {8, 64, 4096}) s.add(new Scenario("proto-membarrier-spsc-" + size + "B-tput", "proto-tput", size, "SPSC"));
        s.add(new Scenario("proto-membarrier-spsc-8B-batch-tput", "proto-tput", 8, "SPSC-batch"));
        s.add(new Scenario("proto-membarrier-mpsc-8B-tput", "proto-tput", 8, "MPSC"));
        // Controls: the prototype with SharedRing's full fence (should match shmkit-*), and with no ordering at all.
        for (String mode : new String[] {"fence", "none"}) {
            for (int size : new int[] {8, 64}) s.add(new Scenario("proto-" + mode + "-spsc-" + size + "B-tput", "proto-tput", size, "SPSC"));
        }
        return s;
    }

    // ================================================================== orchestrator

    public static void main(String[] args) throws Exception {
        if (args.length > 0 && args[0].equals("role")) {
            Role.run(Arrays.copyOfRange(args, 1, args.length));
            return;
        }
        Pattern only = null;
        double seconds = 3;
        long rttIterations = 2_000_000;
        long capacity = 1 << 20;
        boolean pin = true;
        int repeat = 1;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--only" -> only = Pattern.compile(args[++i]);
                case "--seconds" -> seconds = Double.parseDouble(args[++i]);
                case "--rtt-iterations" -> rttIterations = Long.parseLong(args[++i]);
                case "--capacity" -> capacity = Long.parseLong(args[++i]);
                case "--no-pin" -> pin = false;
                case "--repeat" -> repeat = Integer.parseInt(args[++i]);
                case "--list" -> {
                    scenarios().forEach(sc -> System.out.println(sc.name()));
                    return;
                }
                default -> {
                    System.err.println("usage: CrossProcessRing [--only REGEX] [--seconds S] [--rtt-iterations N] [--capacity BYTES] [--repeat N] [--no-pin] [--list]");
                    System.exit(2);
                }
            }
        }
        boolean taskset = pin && Runtime.getRuntime().availableProcessors() >= 2 && onPath("taskset");
        System.out.printf(Locale.ROOT, "# cross-process rings: %s, %d CPUs, %s, ring capacity %d bytes, %.1f s per throughput figure, %,d round trips%n",
                Runtime.version(), Runtime.getRuntime().availableProcessors(),
                taskset ? "A pinned to CPU 0, B to CPU 1 (taskset)" : "not pinned", capacity, seconds, rttIterations);
        Map<String, List<Double>> all = new LinkedHashMap<>();
        for (int rep = 1; rep <= repeat; rep++) {
            if (repeat > 1) System.out.printf("# ---- run %d of %d (load average %s)%n", rep, repeat, loadAverage());
            Map<String, Double> results = new LinkedHashMap<>();
            for (Scenario sc : scenarios()) {
                if (only != null && !only.matcher(sc.name()).find()) continue;
                try {
                    run(sc, capacity, seconds, rttIterations, taskset, results);
                } catch (Exception | AssertionError e) {
                    System.out.println("# " + sc.name() + " failed: " + e);
                }
            }
            results.forEach((k, v) -> all.computeIfAbsent(k, x -> new ArrayList<>()).add(v));
        }
        Map<String, Double> medians = new LinkedHashMap<>();
        if (repeat > 1) System.out.println("# ---- medians of " + repeat + " runs (min .. max)");
        int runs = repeat;
        all.forEach((k, vs) -> {
            List<Double> sorted = new ArrayList<>(vs);
            sorted.sort(null);
            double median = sorted.size() % 2 == 1 ? sorted.get(sorted.size() / 2)
                    : (sorted.get(sorted.size() / 2 - 1) + sorted.get(sorted.size() / 2)) / 2;
            medians.put(k, median);
            if (runs > 1) {
                System.out.printf(Locale.ROOT, "# median %s %.4g (%.4g .. %.4g)%n", k, median, sorted.get(0), sorted.get(sorted.size() - 1));
            }
        });
        summary(medians);
        System.out.println("# load average at the end: " + loadAverage());
    }

    private static String loadAverage() {
        try {
            return Files.readString(Path.of("/proc/loadavg")).trim();
        } catch (IOException e) {
            return "?";
        }
    }

    private static boolean onPath(String program) {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(":")) {
            if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, program))) return true;
        }
        return false;
    }

    private static void run(Scenario sc, long capacity, double seconds, long rttIterations, boolean taskset, Map<String, Double> results)
            throws Exception {
        String base = "/shmkit-bench-" + ProcessHandle.current().pid() + "-" + Integer.toHexString(sc.name().hashCode());
        String ctl = base + "-ctl", ab = base + "-ab", ba = base + "-ba";
        List<AutoCloseable> resources = new ArrayList<>();
        List<String> names = new ArrayList<>(List.of(ctl));
        try {
            resources.add(SharedMemory.create(ctl, CONTROL_SIZE));
            switch (sc.kind()) {
                case "shmkit-rtt", "shmkit-tput", "proto-rtt", "proto-tput" -> {
                    RingKind kind = RingKind.valueOf(sc.variant().replace("-batch", ""));
                    resources.add(SharedRing.create(ab, capacity, kind)); // the same layout for the prototype
                    names.add(ab);
                    if (sc.kind().endsWith("-rtt")) {
                        resources.add(SharedRing.create(ba, capacity, kind));
                        names.add(ba);
                    }
                }
                case "agrona-rtt", "agrona-tput" -> {
                    resources.add(SharedMemory.create(ab, capacity + RingBufferDescriptor.TRAILER_LENGTH));
                    names.add(ab);
                    if (sc.kind().equals("agrona-rtt")) {
                        resources.add(SharedMemory.create(ba, capacity + RingBufferDescriptor.TRAILER_LENGTH));
                        names.add(ba);
                    }
                }
                case "queue-tput" -> {
                    resources.add(SharedQueue.create(ab, capacity, Codec.ints()));
                    names.add(ab);
                }
                default -> {
                    // raw: the control segment is enough
                }
            }
            String[] roleArgs = {sc.name(), sc.kind(), sc.variant(), Integer.toString(sc.size()), ctl, ab, ba,
                    Double.toString(seconds), Long.toString(rttIterations)};
            Process a = start("A", roleArgs, sc, taskset ? "0" : null);
            Process b = start("B", roleArgs, sc, taskset ? "1" : null);
            Thread ta = Thread.ofPlatform().start(() -> relay(a, results));
            Thread tb = Thread.ofPlatform().start(() -> relay(b, results));
            boolean done = a.waitFor(seconds > 0 ? (long) (seconds * 10) + 120 : 120, TimeUnit.SECONDS)
                    && b.waitFor(30, TimeUnit.SECONDS);
            if (!done) {
                a.destroyForcibly();
                b.destroyForcibly();
                System.out.println("# " + sc.name() + ": timed out");
            }
            ta.join();
            tb.join();
            if (done && (a.exitValue() != 0 || b.exitValue() != 0)) {
                System.out.println("# " + sc.name() + ": exit codes " + a.exitValue() + " " + b.exitValue());
            }
        } finally {
            for (AutoCloseable r : resources) r.close();
            for (String n : names) SharedMemory.unlink(n);
        }
    }

    private static Process start(String role, String[] roleArgs, Scenario sc, String cpu) throws IOException {
        List<String> cmd = new ArrayList<>();
        if (cpu != null) cmd.addAll(List.of("taskset", "-c", cpu));
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(List.of("--enable-native-access=ALL-UNNAMED", "-XX:+UseSerialGC", "-Xms256m", "-Xmx256m", "-XX:+AlwaysPreTouch"));
        if (sc.kind().startsWith("proto")) cmd.add("-Dshmkit.proto.signal=" + sc.name().split("-")[1]);
        if (sc.agrona()) {
            cmd.addAll(List.of("--sun-misc-unsafe-memory-access=allow",
                    "--add-opens", "java.base/jdk.internal.misc=ALL-UNNAMED",
                    "--add-exports", "java.base/jdk.internal.misc=ALL-UNNAMED",
                    "--add-opens", "java.base/java.nio=ALL-UNNAMED",
                    "--add-opens", "java.base/sun.nio.ch=ALL-UNNAMED"));
        }
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), CrossProcessRing.class.getName(), "role", role));
        cmd.addAll(List.of(roleArgs));
        return new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start();
    }

    /** Copies a role's output; {@code name metric value unit} lines are also kept for the summary. */
    private static void relay(Process p, Map<String, Double> results) {
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            for (String line; (line = r.readLine()) != null; ) {
                synchronized (System.out) {
                    System.out.println(line);
                }
                String[] f = line.split(" ");
                if (f.length == 4 && !line.startsWith("#")) {
                    synchronized (results) {
                        results.put(f[0] + " " + f[1], Double.parseDouble(f[2]));
                    }
                }
            }
        } catch (IOException | NumberFormatException e) {
            System.out.println("# relay: " + e);
        }
    }

    private static void summary(Map<String, Double> r) {
        System.out.println("# ---- targets (issue 5), from this run");
        ratio(r, "RTT p50 <= 1.2x paired raw", "shmkit-spsc-8B-rtt rtt_p50", "shmkit-spsc-8B-rtt-raw-paired rtt_p50", 1.2, false);
        ratio(r, "Agrona RTT p50 / paired raw (info)", "agrona-oneToOne-8B-rtt rtt_p50", "agrona-oneToOne-8B-rtt-raw-paired rtt_p50", Double.NaN, false);
        ratio(r, "RTT p50 / raw ping-pong (info)", "shmkit-spsc-8B-rtt rtt_p50", "raw-pingpong rtt_p50", Double.NaN, false);
        ratio(r, "RTT p50 vs Agrona (info)", "shmkit-spsc-8B-rtt rtt_p50", "agrona-oneToOne-8B-rtt rtt_p50", Double.NaN, false);
        ratio(r, "8 B one-way >= 2x Agrona", "shmkit-spsc-8B-tput msgs_per_s", "agrona-oneToOne-8B-tput msgs_per_s", 2, true);
        Double batch = r.get("shmkit-spsc-8B-batch-tput msgs_per_s");
        if (batch != null) {
            System.out.printf(Locale.ROOT, "# %-34s %.1f M msg/s  %s%n", "8 B batch >= 100 M msg/s", batch / 1e6, batch >= 100e6 ? "MET" : "MISSED");
        }
        ratio(r, "64 B one-way >= 1.1x Agrona", "shmkit-spsc-64B-tput msgs_per_s", "agrona-oneToOne-64B-tput msgs_per_s", 1.1, true);
        ratio(r, "4 KiB one-way >= 1x Agrona", "shmkit-spsc-4096B-tput msgs_per_s", "agrona-oneToOne-4096B-tput msgs_per_s", 1.0, true);
        ratio(r, "MPSC 8 B vs Agrona manyToOne (info)", "shmkit-mpsc-8B-tput msgs_per_s", "agrona-manyToOne-8B-tput msgs_per_s", Double.NaN, true);
        ratio(r, "MPSC 8 B vs SPSC (info)", "shmkit-mpsc-8B-tput msgs_per_s", "shmkit-spsc-8B-tput msgs_per_s", Double.NaN, true);
        ratio(r, "MPMC 8 B vs SPSC (info)", "shmkit-mpmc-8B-tput msgs_per_s", "shmkit-spsc-8B-tput msgs_per_s", Double.NaN, true);
        Double q = r.get("shmkit-queue-Integer-tput msgs_per_s");
        if (q != null) {
            System.out.printf(Locale.ROOT, "# %-34s %.2f M msg/s = %.0fx the ~220 k msg/s reference  %s%n", "SharedQueue<Integer> >= 100x Python",
                    q / 1e6, q / 220e3, q >= 22e6 ? "MET" : "MISSED");
        }
    }

    private static void ratio(Map<String, Double> r, String what, String a, String b, double target, boolean higherIsBetter) {
        Double x = r.get(a), y = r.get(b);
        if (x == null || y == null) return;
        double ratio = x / y;
        String verdict = Double.isNaN(target) ? "" : (higherIsBetter ? ratio >= target : ratio <= target) ? "MET" : "MISSED";
        System.out.printf(Locale.ROOT, "# %-34s %.3g / %.3g = %.3fx  %s%n", what, x, y, ratio, verdict);
    }

    // ================================================================== the two processes

    /** The code that runs in the benchmark JVMs. */
    static final class Role {
        final String name, kind, variant, role;
        final int size;
        final double seconds;
        final long rttIterations;
        final MemorySegment ctl;
        final SharedMemory ctlShm;

        Role(String[] a) {
            role = a[0];
            name = a[1];
            kind = a[2];
            variant = a[3];
            size = Integer.parseInt(a[4]);
            ctlShm = SharedMemory.open(a[5]);
            ctl = ctlShm.segment();
            seconds = Double.parseDouble(a[8]);
            rttIterations = Long.parseLong(a[9]);
        }

        static void run(String[] a) throws Exception {
            Role r = new Role(a);
            String ab = a[6], ba = a[7];
            boolean isA = r.role.equals("A");
            switch (r.kind) {
                case "raw" -> {
                    r.ready();
                    if (isA) r.rawPinger();
                    else r.rawPonger();
                }
                case "shmkit-rtt", "proto-rtt" -> {
                    try (Ring out = Ring.open(isA ? ab : ba, r.kind); Ring in = Ring.open(isA ? ba : ab, r.kind)) {
                        ShmkitRtt t = new ShmkitRtt(out, in);
                        r.ready();
                        if (isA) r.pairedPinger(t);
                        else r.pairedPonger(t);
                    }
                }
                case "agrona-rtt" -> {
                    try (SharedMemory o = SharedMemory.open(isA ? ab : ba); SharedMemory i = SharedMemory.open(isA ? ba : ab)) {
                        AgronaRtt t = new AgronaRtt(new OneToOneRingBuffer(wrap(o)), new OneToOneRingBuffer(wrap(i)));
                        r.ready();
                        if (isA) r.pairedPinger(t);
                        else r.pairedPonger(t);
                    }
                }
                case "shmkit-tput", "proto-tput" -> {
                    try (Ring ring = Ring.open(ab, r.kind)) {
                        if (isA) {
                            ShmkitProducer p = new ShmkitProducer(ring, r.size, r.variant.endsWith("-batch"));
                            r.ready();
                            r.produce(p);
                        } else {
                            ShmkitConsumer c = new ShmkitConsumer(ring);
                            ring.read(c, 0);
                            r.ready();
                            r.consume(c);
                        }
                    }
                }
                case "agrona-tput" -> {
                    try (SharedMemory shm = SharedMemory.open(ab)) {
                        RingBuffer ring = r.variant.startsWith("m2o") ? new ManyToOneRingBuffer(wrap(shm)) : new OneToOneRingBuffer(wrap(shm));
                        if (isA) {
                            AgronaProducer p = new AgronaProducer(ring, r.size, r.variant.endsWith("-write"));
                            r.ready();
                            r.produce(p);
                        } else {
                            AgronaConsumer c = new AgronaConsumer(ring);
                            r.ready();
                            r.consume(c);
                        }
                    }
                }
                case "queue-tput" -> {
                    try (SharedQueue<Integer> q = SharedQueue.open(ab, Codec.ints())) {
                        if (isA) {
                            QueueProducer p = new QueueProducer(q);
                            r.ready();
                            r.produce(p);
                        } else {
                            QueueConsumer c = new QueueConsumer(q);
                            r.ready();
                            r.consume(c);
                        }
                    }
                }
                default -> throw new IllegalArgumentException(r.kind);
            }
            r.ctlShm.close();
        }

        /** SharedRing or the prototype: only one of the two is loaded in a JVM, so calls stay monomorphic and inline. */
        interface Ring extends AutoCloseable {
            long tryClaim(int type, int length);

            void commit(long index);

            long tryClaimBatch(int type, int length, int count);

            void commitBatch(long index, int length, int count);

            int read(MessageHandler handler, int limit);

            MemorySegment buffer();

            @Override
            void close();

            static Ring open(String name, String kind) {
                return kind.startsWith("proto") ? new Proto(ProtoRing.open(name)) : new Shmkit(SharedRing.open(name));
            }
        }

        record Shmkit(SharedRing r) implements Ring {
            public long tryClaim(int type, int length) {
                return r.tryClaim(type, length);
            }

            public void commit(long index) {
                r.commit(index);
            }

            public long tryClaimBatch(int type, int length, int count) {
                return r.tryClaimBatch(type, length, count);
            }

            public void commitBatch(long index, int length, int count) {
                r.commitBatch(index, length, count);
            }

            public int read(MessageHandler handler, int limit) {
                return r.read(handler, limit);
            }

            public MemorySegment buffer() {
                return r.buffer();
            }

            public void close() {
                r.close();
            }
        }

        record Proto(ProtoRing r) implements Ring {
            public long tryClaim(int type, int length) {
                return r.tryClaim(type, length);
            }

            public void commit(long index) {
                r.commit(index);
            }

            public long tryClaimBatch(int type, int length, int count) {
                return r.tryClaimBatch(type, length, count);
            }

            public void commitBatch(long index, int length, int count) {
                r.commitBatch(index, length, count);
            }

            public int read(MessageHandler handler, int limit) {
                return r.read(handler, limit);
            }

            public MemorySegment buffer() {
                return r.buffer();
            }

            public void close() {
                r.close();
            }
        }

        static UnsafeBuffer wrap(SharedMemory shm) {
            return new UnsafeBuffer(shm.segment().address(), (int) shm.size());
        }

        /** Both processes are up and have mapped everything: go. */
        void ready() {
            // The benchmark runs in the Java main thread, which is not the process's initial thread.
            long tid = -1;
            try {
                tid = Long.parseLong(Files.readSymbolicLink(Path.of("/proc/thread-self")).getFileName().toString());
            } catch (IOException | RuntimeException e) {
                // no /proc: rounds are not filtered
            }
            LONG.setVolatile(ctl, role.equals("A") ? TID_A : TID_B, tid);
            LONG.setVolatile(ctl, role.equals("A") ? PID_A : PID_B, ProcessHandle.current().pid());
            LONG.getAndAdd(ctl, READY, 1L);
            while ((long) LONG.getVolatile(ctl, READY) < 2) Thread.onSpinWait();
        }

        /**
         * Nanoseconds the main threads of A and B have spent runnable but not running (waiting on a
         * run queue: preempted by another process, or by their own JVM's JIT or GC threads on the
         * same CPU), from /proc/PID/schedstat; -1 where that is not available. On a shared machine a
         * round in which this grew is disturbed, and is left out of the figures.
         */
        long waited() {
            long a = schedWait((long) LONG.getVolatile(ctl, PID_A), (long) LONG.getVolatile(ctl, TID_A));
            long b = schedWait((long) LONG.getVolatile(ctl, PID_B), (long) LONG.getVolatile(ctl, TID_B));
            return a < 0 || b < 0 ? -1 : a + b;
        }

        static long schedWait(long pid, long tid) {
            if (tid < 0) return -1;
            try {
                return Long.parseLong(Files.readString(Path.of("/proc/" + pid + "/task/" + tid + "/schedstat")).trim().split(" ")[1]);
            } catch (IOException | RuntimeException e) {
                return -1;
            }
        }

        static boolean undisturbed(long w0, long w1, long nanos) {
            return w0 < 0 || w1 < 0 || w1 - w0 < MAX_WAIT_SHARE * nanos;
        }

        boolean stopped() {
            return (int) INT.getVolatile(ctl, STOP) != 0;
        }

        void stop() {
            INT.setVolatile(ctl, STOP, 1);
        }

        void emit(String metric, double value, String unit) {
            System.out.println(name + " " + metric + " " + (value == Math.rint(value) ? Long.toString((long) value) : String.format(Locale.ROOT, "%.1f", value)) + " " + unit);
        }

        // ---------------------------------------------------------- round trips

        interface PingPong {
            /** Sends {@code v} and waits for the echo. */
            void roundTrip(long v);

            /** Echoes one message if there is one; false when there was none. */
            boolean echo();
        }

        /** Rounds of 10,000 round trips until rttIterations undisturbed ones are in {@code h} (or 60 s have passed). */
        void measureRtt(Histogram h, Histogram round, java.util.function.Consumer<Histogram> oneRound) {
            long deadline = System.nanoTime() + 60_000_000_000L;
            int good = 0, all = 0;
            Histogram everything = new Histogram(10_000_000_000L, 3);
            while (h.getTotalCount() < rttIterations && System.nanoTime() < deadline) {
                round.reset();
                long w0 = waited(), t0 = System.nanoTime();
                oneRound.accept(round);
                long t1 = System.nanoTime(), w1 = waited();
                everything.add(round);
                all++;
                if (undisturbed(w0, w1, t1 - t0)) {
                    h.add(round);
                    good++;
                }
            }
            if (h.getTotalCount() == 0) h.add(everything);
            System.out.printf(Locale.ROOT, "# %s: %d of %d rounds of 10,000 undisturbed; all rounds: p50 %d, p99 %d ns%n", name, good, all,
                    everything.getValueAtPercentile(50), everything.getValueAtPercentile(99));
        }

        static long rttRound(PingPong p, Histogram h, long v, int n, boolean record) {
            for (int i = 0; i < n; i++) {
                long t0 = System.nanoTime();
                p.roundTrip(v++);
                long t1 = System.nanoTime();
                if (record) h.recordValue(t1 - t0);
            }
            return v;
        }

        static final int ROUND = 10_000;

        /**
         * Ring round trips and raw ping-pongs in alternating rounds of 10,000 between the same two
         * processes: the vCPUs of a virtual machine can be moved between host cores from one
         * minute to the next, which changes the cost of a cache-line transfer (the raw ping-pong
         * on this VM is either about 150 or about 450 ns), so only a floor measured alongside is a
         * fair baseline. Prints the ring's figures and the paired floor's as NAME-raw-paired.
         */
        void pairedPinger(PingPong p) {
            Histogram h = new Histogram(10_000_000_000L, 3), raw = new Histogram(10_000_000_000L, 3);
            Histogram round = new Histogram(10_000_000_000L, 3), everything = new Histogram(10_000_000_000L, 3);
            long v = 1, rv = 1;
            long warmEnd = System.nanoTime() + 2_000_000_000L;
            while (System.nanoTime() < warmEnd) {
                v = rttRound(p, round, v, ROUND, false);
                rv = rawRound(round, rv, ROUND, false);
            }
            long deadline = System.nanoTime() + 60_000_000_000L;
            int good = 0, goodRaw = 0, rounds = 0;
            while (h.getTotalCount() < rttIterations && System.nanoTime() < deadline) {
                round.reset();
                long w0 = waited(), t0 = System.nanoTime();
                v = rttRound(p, round, v, ROUND, true);
                long t1 = System.nanoTime(), w1 = waited();
                everything.add(round);
                rounds++;
                if (undisturbed(w0, w1, t1 - t0)) {
                    h.add(round);
                    good++;
                }
                round.reset();
                w0 = waited();
                t0 = System.nanoTime();
                rv = rawRound(round, rv, ROUND, true);
                t1 = System.nanoTime();
                w1 = waited();
                if (undisturbed(w0, w1, t1 - t0)) {
                    raw.add(round);
                    goodRaw++;
                }
            }
            stop();
            if (h.getTotalCount() == 0) h.add(everything);
            System.out.printf(Locale.ROOT, "# %s: %d of %d ring rounds and %d raw rounds of 10,000 undisturbed; all ring rounds: p50 %d, p99 %d ns%n",
                    name, good, rounds, goodRaw, everything.getValueAtPercentile(50), everything.getValueAtPercentile(99));
            reportRtt(h);
            if (raw.getTotalCount() > 0) {
                String ringName = name;
                System.out.println(ringName + "-raw-paired rtt_p50 " + raw.getValueAtPercentile(50) + " ns");
                System.out.println(ringName + "-raw-paired rtt_p99 " + raw.getValueAtPercentile(99) + " ns");
                System.out.printf(Locale.ROOT, "# %s: ring / paired raw ping-pong at p50 = %.2f%n", name,
                        (double) h.getValueAtPercentile(50) / raw.getValueAtPercentile(50));
            }
        }

        /** B's side of {@link #pairedPinger}: echoes ROUND ring messages, then ROUND raw ping-pongs, until stopped. */
        void pairedPonger(PingPong p) {
            MemorySegment c = ctl;
            long expect = 1;
            while (true) {
                for (int i = 0; i < ROUND; i++) {
                    while (!p.echo()) {
                        if (stopped()) return;
                        Thread.onSpinWait();
                    }
                }
                for (int i = 0; i < ROUND; i++) {
                    while ((long) LONG.getAcquire(c, PINGPONG) != expect) {
                        if (stopped()) return;
                        Thread.onSpinWait();
                    }
                    LONG.setRelease(c, PINGPONG, expect + 1);
                    expect += 2;
                }
            }
        }

        void reportRtt(Histogram h) {
            emit("rtt_p50", h.getValueAtPercentile(50), "ns");
            emit("rtt_p99", h.getValueAtPercentile(99), "ns");
            System.out.printf(Locale.ROOT, "# %s: %,d round trips, mean %.0f, min %d, p90 %d, p99.9 %d, max %d ns%n", name, h.getTotalCount(),
                    h.getMean(), h.getMinValue(), h.getValueAtPercentile(90), h.getValueAtPercentile(99.9), h.getMaxValue());
        }

        void rawPinger() {
            Histogram h = new Histogram(10_000_000_000L, 3);
            Histogram round = new Histogram(10_000_000_000L, 3);
            long[] v = {1};
            long warmEnd = System.nanoTime() + 2_000_000_000L;
            while (System.nanoTime() < warmEnd) v[0] = rawRound(round, v[0], 10_000, false);
            measureRtt(h, round, r -> v[0] = rawRound(r, v[0], 10_000, true));
            stop();
            LONG.setVolatile(ctl, PINGPONG, -1L);
            reportRtt(h);
        }

        long rawRound(Histogram h, long v, int n, boolean record) {
            MemorySegment c = ctl;
            for (int i = 0; i < n; i++) {
                long t0 = System.nanoTime();
                LONG.setRelease(c, PINGPONG, v);
                while ((long) LONG.getAcquire(c, PINGPONG) != v + 1) Thread.onSpinWait();
                long t1 = System.nanoTime();
                if (record) h.recordValue(t1 - t0);
                v += 2;
            }
            return v;
        }

        void rawPonger() {
            MemorySegment c = ctl;
            long expect = 1;
            while (true) {
                long v = (long) LONG.getAcquire(c, PINGPONG);
                if (v == expect) {
                    LONG.setRelease(c, PINGPONG, v + 1);
                    expect += 2;
                } else if (v == -1L) {
                    return;
                } else {
                    Thread.onSpinWait();
                }
            }
        }

        static final class ShmkitRtt implements PingPong, MessageHandler {
            final Ring out, in;
            final MemorySegment outBuf;
            boolean echoing;
            long got;

            ShmkitRtt(Ring out, Ring in) {
                this.out = out;
                this.in = in;
                this.outBuf = out.buffer();
                in.read(this, 0); // register as the consumer of in
            }

            @Override
            public void roundTrip(long v) {
                send(v);
                echoing = false;
                while (in.read(this, 1) == 0) Thread.onSpinWait();
                if (got != v) throw new IllegalStateException("echo " + got + " for " + v);
            }

            void send(long v) {
                long index;
                while ((index = out.tryClaim(TYPE, 8)) < 0) Thread.onSpinWait();
                outBuf.set(ValueLayout.JAVA_LONG, index, v);
                out.commit(index);
            }

            @Override
            public boolean echo() {
                echoing = true;
                return in.read(this, 1) != 0;
            }

            @Override
            public void onMessage(int typeId, MemorySegment buffer, long index, int length) {
                long v = buffer.get(ValueLayout.JAVA_LONG, index);
                if (echoing) send(v);
                else got = v;
            }
        }

        static final class AgronaRtt implements PingPong, org.agrona.concurrent.MessageHandler {
            final RingBuffer out, in;
            final UnsafeBuffer outBuf;
            boolean echoing;
            long got;

            AgronaRtt(RingBuffer out, RingBuffer in) {
                this.out = out;
                this.in = in;
                this.outBuf = (UnsafeBuffer) out.buffer();
            }

            @Override
            public void roundTrip(long v) {
                send(v);
                echoing = false;
                while (in.read(this, 1) == 0) Thread.onSpinWait();
                if (got != v) throw new IllegalStateException("echo " + got + " for " + v);
            }

            void send(long v) {
                int index;
                while ((index = out.tryClaim(TYPE, 8)) < 0) Thread.onSpinWait();
                outBuf.putLong(index, v);
                out.commit(index);
            }

            @Override
            public boolean echo() {
                echoing = true;
                return in.read(this, 1) != 0;
            }

            @Override
            public void onMessage(int msgTypeId, org.agrona.MutableDirectBuffer buffer, int index, int length) {
                long v = buffer.getLong(index);
                if (echoing) send(v);
                else got = v;
            }
        }

        // ---------------------------------------------------------- throughput

        interface Producer {
            /** Sends up to {@code n} messages; false once stopped. */
            boolean produce(int n, Role role);
        }

        interface Consumer {
            /** Takes what is there; returns how many messages. */
            int consume();

            long checksum();
        }

        void produce(Producer p) {
            while (p.produce(4096, this)) {
                // until B says stop
            }
        }

        void consume(Consumer c) {
            long count = 0;
            long start = 0;
            while (count == 0) count += c.consume();
            long warmEnd = System.nanoTime() + 1_000_000_000L;
            while (System.nanoTime() < warmEnd) count += c.consume();
            // Rounds of 0.1 s until seconds' worth of undisturbed ones (or 4x that time has passed).
            int wanted = Math.max(5, (int) Math.round(seconds * 10));
            long roundNanos = 100_000_000L, deadline = System.nanoTime() + (long) (4 * seconds * 1e9);
            List<Double> good = new ArrayList<>(), all = new ArrayList<>();
            while (good.size() < wanted && (System.nanoTime() < deadline || all.size() < wanted)) {
                long w0 = waited();
                long c0 = count, t0 = System.nanoTime(), end = t0 + roundNanos, t;
                while ((t = System.nanoTime()) < end) {
                    int n = c.consume();
                    if (n == 0) Thread.onSpinWait();
                    count += n;
                }
                double rate = (count - c0) * 1e9 / (t - t0);
                all.add(rate);
                if (undisturbed(w0, waited(), t - t0)) good.add(rate);
            }
            stop();
            while (c.consume() > 0) {
                // let a producer blocked on a full ring see the stop flag
            }
            List<Double> used = good.size() >= 3 ? good : all;
            List<Double> sorted = new ArrayList<>(used);
            sorted.sort(null);
            double median = sorted.get(sorted.size() / 2);
            emit("msgs_per_s", Math.round(median), "msg/s");
            emit("MB_per_s", median * size / 1e6, "MB/s");
            List<Double> allSorted = new ArrayList<>(all);
            allSorted.sort(null);
            System.out.printf(Locale.ROOT, "# %s: %d of %d rounds of 0.1 s undisturbed%s: median %.2f, best %.2f M msg/s; all rounds: median %.2f, best %.2f; %,d messages, checksum %x%n",
                    name, good.size(), all.size(), used == good ? "" : " (too few: all rounds used)", median / 1e6, sorted.get(sorted.size() - 1) / 1e6,
                    allSorted.get(allSorted.size() / 2) / 1e6, allSorted.get(allSorted.size() - 1) / 1e6, count, c.checksum() + start);
        }

        static final class ShmkitProducer implements Producer {
            final Ring ring;
            final MemorySegment buf;
            final int size;
            final boolean batch;
            final MemorySegment src;
            final int stride;
            long seq;

            ShmkitProducer(Ring ring, int size, boolean batch) {
                this.ring = ring;
                this.buf = ring.buffer();
                this.size = size;
                this.batch = batch;
                this.src = Arena.ofAuto().allocate(Math.max(8, size), 8);
                this.stride = SharedRing.batchStride(size);
            }

            @Override
            public boolean produce(int n, Role role) {
                if (batch) return produceBatches(n / BATCH, role);
                for (int i = 0; i < n; i++) {
                    long index;
                    while ((index = ring.tryClaim(TYPE, size)) < 0) {
                        if (role.stopped()) return false;
                        Thread.onSpinWait();
                    }
                    if (size > 8) MemorySegment.copy(src, 0, buf, index, size);
                    buf.set(ValueLayout.JAVA_LONG, index, seq++);
                    ring.commit(index);
                }
                return true;
            }

            private boolean produceBatches(int batches, Role role) {
                for (int b = 0; b < batches; b++) {
                    long index;
                    while ((index = ring.tryClaimBatch(TYPE, size, BATCH)) < 0) {
                        if (role.stopped()) return false;
                        Thread.onSpinWait();
                    }
                    for (int i = 0; i < BATCH; i++) buf.set(ValueLayout.JAVA_LONG, index + (long) i * stride, seq++);
                    ring.commitBatch(index, size, BATCH);
                }
                return true;
            }
        }

        static final class ShmkitConsumer implements Consumer, MessageHandler {
            final Ring ring;
            long sum;

            ShmkitConsumer(Ring ring) {
                this.ring = ring;
            }

            @Override
            public int consume() {
                return ring.read(this, Integer.MAX_VALUE);
            }

            @Override
            public void onMessage(int typeId, MemorySegment buffer, long index, int length) {
                sum += buffer.get(ValueLayout.JAVA_LONG, index);
            }

            @Override
            public long checksum() {
                return sum;
            }
        }

        static final class AgronaProducer implements Producer {
            final RingBuffer ring;
            final UnsafeBuffer buf;
            final int size;
            final boolean write;
            final UnsafeBuffer src;
            long seq;

            AgronaProducer(RingBuffer ring, int size, boolean write) {
                this.ring = ring;
                this.buf = (UnsafeBuffer) ring.buffer();
                this.size = size;
                this.write = write;
                this.src = new UnsafeBuffer(java.nio.ByteBuffer.allocateDirect(Math.max(8, size)));
            }

            @Override
            public boolean produce(int n, Role role) {
                for (int i = 0; i < n; i++) {
                    if (write) {
                        src.putLong(0, seq);
                        while (!ring.write(TYPE, src, 0, size)) {
                            if (role.stopped()) return false;
                            Thread.onSpinWait();
                        }
                        seq++;
                        continue;
                    }
                    int index;
                    while ((index = ring.tryClaim(TYPE, size)) < 0) {
                        if (role.stopped()) return false;
                        Thread.onSpinWait();
                    }
                    if (size > 8) buf.putBytes(index, src, 0, size);
                    buf.putLong(index, seq++);
                    ring.commit(index);
                }
                return true;
            }
        }

        static final class AgronaConsumer implements Consumer, org.agrona.concurrent.MessageHandler {
            final RingBuffer ring;
            long sum;

            AgronaConsumer(RingBuffer ring) {
                this.ring = ring;
            }

            @Override
            public int consume() {
                return ring.read(this, Integer.MAX_VALUE);
            }

            @Override
            public void onMessage(int msgTypeId, org.agrona.MutableDirectBuffer buffer, int index, int length) {
                sum += buffer.getLong(index);
            }

            @Override
            public long checksum() {
                return sum;
            }
        }

        static final class QueueProducer implements Producer {
            final SharedQueue<Integer> q;
            int seq;

            QueueProducer(SharedQueue<Integer> q) {
                this.q = q;
            }

            @Override
            public boolean produce(int n, Role role) {
                for (int i = 0; i < n; i++) {
                    Integer v = seq & 1023; // boxed values from the Integer cache, as a Python int would be
                    while (!q.offer(v)) {
                        if (role.stopped()) return false;
                        Thread.onSpinWait();
                    }
                    seq++;
                }
                return true;
            }
        }

        static final class QueueConsumer implements Consumer {
            final SharedQueue<Integer> q;
            long sum;

            QueueConsumer(SharedQueue<Integer> q) {
                this.q = q;
            }

            @Override
            public int consume() {
                int n = 0;
                Integer v;
                while (n < 4096 && (v = q.poll()) != null) {
                    sum += v;
                    n++;
                }
                return n;
            }

            @Override
            public long checksum() {
                return sum;
            }
        }
    }
}
