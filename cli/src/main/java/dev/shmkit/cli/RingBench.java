package dev.shmkit.cli;

import dev.shmkit.queue.Codec;
import dev.shmkit.queue.SharedQueue;
import dev.shmkit.ring.MessageHandler;
import dev.shmkit.ring.RingKind;
import dev.shmkit.ring.SharedRing;
import dev.shmkit.ring.WaitStrategy;
import dev.shmkit.shm.ProcessFence;
import dev.shmkit.shm.SharedMemory;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

/**
 * The cross-process ring harness: every figure of issue 10 §2 in one run, each scenario between
 * fresh processes (JVMs with C2 and the serial GC; for the floors a C program and Python), A pinned
 * to CPU 0 and B to CPU 1 with {@code taskset} when there are two CPUs. Shared by
 * {@code shmkit bench} (BenchCommand: the shmkit-only figures) and
 * {@code dev.shmkit.benchmarks.CrossProcessRing} in benchmarks/, which adds Agrona 2.6.0 through an
 * {@link Extension} (this module does not depend on Agrona).
 *
 * <p>Output: one {@code name metric value unit} line per figure, {@code #} lines with the details,
 * and at the end one {@code ratio NAME value target verdict} line per target (verdict MET,
 * MISSED, info, or n/a when a figure is missing). With {@code --repeat N} the whole list runs N
 * times, interleaved, and the ratios use the median of each figure. See docs/benchmarks.md, "Rings".
 *
 * <h2>What is measured</h2>
 * <ul>
 * <li><b>Round trips</b> ({@code *-rtt}, busy-polling): A sends an 8-byte message, B echoes it on
 *     a second SPSC ring, A times each round trip with {@link System#nanoTime()}. The ring
 *     scenarios alternate rounds of 10,000 ring round trips with rounds of 10,000 raw cache-line
 *     ping-pongs (one shared {@code long}) between the same two processes and print those as
 *     {@code NAME-raw-paired}: the baseline of the RTT target.</li>
 * <li><b>One-way throughput</b> ({@code *-tput}): A (or A and A2) claims, writes the payload in
 *     place and commits as fast as the ring takes it; B reads with {@code read(handler, MAX)} and
 *     reads the first 8 bytes of every message. 1 s of warm-up, then rounds of 0.1 s; the median
 *     of the undisturbed rounds (below) is printed.</li>
 * <li><b>Blocking</b>: {@code c-futex-pingpong} (benchmarks/c/futex_pingpong.c, compiled here with
 *     {@code cc -O2}) and {@code shmkit-spsc-8B-blocking-rtt} (both sides {@link WaitStrategy#BLOCKING},
 *     {@code poll}): every round trip wakes a sleeping process twice. {@code shmkit-spsc-idle-cpu}:
 *     B sleeps in {@code poll} on an empty ring; A reads B's utime+stime from /proc/PID/stat over
 *     {@code --idle-seconds}, then wakes it with one message.</li>
 * <li><b>SharedQueue&lt;Integer&gt;</b> and {@code python-mp-queue-int}
 *     (benchmarks/python/queue_bench.py, producer on CPU 0, consumer on CPU 1).</li>
 * <li><b>Disturbance filter</b> (busy-polling scenarios): the measuring side reads
 *     /proc/PID/task/TID/schedstat of the benchmark threads around each round and keeps the rounds
 *     in which they together waited less than 0.2% of the round on a run queue.</li>
 * <li><b>Asymmetric against full fence</b> ({@code *-fullfence-*}): the same scenario as the one
 *     before it, the same SharedRing code, with {@code -Ddev.shmkit.ring.fence=full} in both
 *     processes, so that every commit and release pays a full fence instead of the sleepers a
 *     {@code membarrier} ({@code ratio asymmetric/full-fence-*}, informational).</li>
 * </ul>
 */
public final class RingBench {
    private RingBench() {}

    public static final int TYPE = 1;
    /** Control segment: ready counter, stop flag, the raw ping-pong word, pids and tids; 128 bytes apart. */
    static final long READY = 0, STOP = 128, PINGPONG = 256, PID_A = 384, PID_B = 392, TID_A = 400, TID_B = 408, PID_A2 = 416, TID_A2 = 424,
            CONTROL_SIZE = 4096;
    /** A round counts as undisturbed when the benchmark threads together waited on a run queue for less than this share of it. */
    static final double MAX_WAIT_SHARE = 0.002;
    static final VarHandle LONG = ValueLayout.JAVA_LONG.varHandle();
    static final VarHandle INT = ValueLayout.JAVA_INT.varHandle();
    /** Records per tryClaimBatch in the batch scenario. */
    public static final int BATCH = 256;
    /** Round trips per round of the busy-polling RTT scenarios; per round of the blocking ones. */
    static final int ROUND = 10_000, WAKE_ROUND = 1_000;
    /** Linux's USER_HZ on x86_64 (the unit of utime and stime in /proc/PID/stat). */
    static final double CLOCK_TICKS_PER_S = 100;
    static final String C_SOURCE = "benchmarks/c/futex_pingpong.c", PY_SCRIPT = "benchmarks/python/queue_bench.py";

    /**
     * One scenario. {@code kind} says what A and B run ({@code raw}, {@code shmkit-rtt},
     * {@code shmkit-tput}, {@code shmkit-blocking-rtt}, {@code shmkit-idle}, {@code queue-tput},
     * {@code c-futex}, {@code python-queue}; any other kind is an {@link Extension}'s);
     * {@code variant} the ring kind (shmkit) or the extension's variant; {@code batch} records per
     * claim (0: one at a time); {@code producers} producer processes (1 or 2); {@code byDefault}
     * whether it is in the default run (the others only run when {@code --only} matches their
     * whole name); {@code jvmOptions} extra options for every JVM of the scenario (after an
     * {@link Extension}'s).
     */
    public record Scenario(String name, String kind, int size, String variant, int batch, int producers, boolean byDefault,
            List<String> jvmOptions) {
        public Scenario {
            jvmOptions = List.copyOf(jvmOptions);
        }

        public Scenario(String name, String kind, int size, String variant, int batch, int producers, boolean byDefault) {
            this(name, kind, size, variant, batch, producers, byDefault, List.of());
        }

        public Scenario(String name, String kind, int size, String variant) {
            this(name, kind, size, variant, 0, 1, true);
        }

        Scenario extra() {
            return new Scenario(name, kind, size, variant, batch, producers, false, jvmOptions);
        }

        Scenario producers(int n) {
            return new Scenario(name, kind, size, variant, batch, n, byDefault, jvmOptions);
        }

        Scenario batch(int n) {
            return new Scenario(name, kind, size, variant, n, producers, byDefault, jvmOptions);
        }

        /** This scenario under another name, its JVMs with {@code options} besides. */
        Scenario with(String newName, String... options) {
            List<String> all = new ArrayList<>(jvmOptions);
            all.addAll(List.of(options));
            return new Scenario(newName, kind, size, variant, batch, producers, byDefault, all);
        }

        /** The same scenario with SharedRing's old full fence per commit and release: {@code shmkit-spsc-8B-tput} gives {@code shmkit-spsc-8B-fullfence-tput}. */
        Scenario fullFence() {
            int at = name.lastIndexOf('-');
            return with(name.substring(0, at) + "-fullfence" + name.substring(at), FULL_FENCE);
        }
    }

    /** The JVM option that makes SharedRing use a full fence per commit and release (ring protocol v2 without membarrier). */
    public static final String FULL_FENCE = "-Ddev.shmkit.ring.fence=full";

    static final List<String> CORE_KINDS = List.of("raw", "shmkit-rtt", "shmkit-tput", "shmkit-blocking-rtt", "shmkit-idle", "queue-tput",
            "c-futex", "python-queue");

    /** Every scenario, in the order they run: the pairs that are compared stand next to each other. */
    public static List<Scenario> scenarios() {
        List<Scenario> s = new ArrayList<>();
        s.add(new Scenario("raw-pingpong", "raw", 8, ""));
        Scenario rtt = new Scenario("shmkit-spsc-8B-rtt", "shmkit-rtt", 8, "SPSC");
        s.add(rtt);
        s.add(rtt.fullFence()); // each asymmetric-fence scenario is followed by the same one with -Ddev.shmkit.ring.fence=full
        s.add(new Scenario("agrona-oneToOne-8B-rtt", "agrona-rtt", 8, "o2o"));
        for (int size : new int[] {8, 64, 4096}) {
            Scenario spsc = new Scenario("shmkit-spsc-" + size + "B-tput", "shmkit-tput", size, "SPSC");
            s.add(spsc);
            if (size != 4096) s.add(spsc.fullFence());
            s.add(new Scenario("agrona-oneToOne-" + size + "B-tput", "agrona-tput", size, "o2o"));
            s.add(new Scenario("agrona-oneToOne-" + size + "B-write-tput", "agrona-tput", size, "o2o-write"));
            if (size == 64) s.add(new Scenario("shmkit-mpmc-64B-tput", "shmkit-tput", 64, "MPMC"));
        }
        s.add(new Scenario("shmkit-spsc-8B-batch-tput", "shmkit-tput", 8, "SPSC").batch(BATCH));
        s.add(new Scenario("shmkit-mpsc-8B-tput", "shmkit-tput", 8, "MPSC"));
        s.add(new Scenario("agrona-manyToOne-8B-tput", "agrona-tput", 8, "m2o"));
        s.add(new Scenario("agrona-manyToOne-8B-write-tput", "agrona-tput", 8, "m2o-write"));
        s.add(new Scenario("shmkit-mpsc-8B-2p-tput", "shmkit-tput", 8, "MPSC").producers(2));
        s.add(new Scenario("agrona-manyToOne-8B-2p-tput", "agrona-tput", 8, "m2o").producers(2));
        s.add(new Scenario("c-futex-pingpong", "c-futex", 8, ""));
        s.add(new Scenario("shmkit-spsc-8B-blocking-rtt", "shmkit-blocking-rtt", 8, "SPSC"));
        s.add(new Scenario("shmkit-spsc-idle-cpu", "shmkit-idle", 8, "SPSC"));
        s.add(new Scenario("shmkit-queue-Integer-tput", "queue-tput", 4, ""));
        s.add(new Scenario("python-mp-queue-int", "python-queue", 4, ""));
        // Not in the default run; --only must match the whole name.
        s.add(new Scenario("shmkit-mpmc-8B-tput", "shmkit-tput", 8, "MPMC").extra());
        return s;
    }

    /** The scenarios this run selects: the default ones matching --only, and the others whose whole name matches it. */
    public static List<Scenario> select(List<Scenario> all, Options o) {
        List<Scenario> out = new ArrayList<>();
        for (Scenario sc : all) {
            boolean take = o.only == null ? sc.byDefault() : sc.byDefault() ? o.only.matcher(sc.name()).find() : o.only.matcher(sc.name()).matches();
            if (take) out.add(sc);
        }
        return out;
    }

    // ================================================================== options

    /** The harness's options; {@link #parse} reads them from the command line of CrossProcessRing. */
    public static final class Options {
        public Pattern only;
        public double seconds = 3;
        public long rttIterations = 2_000_000;
        public long wakeIterations = 100_000;
        public double idleSeconds = 1;
        /** Warm-up in seconds; negative: the default of each kind (2 s for round trips, 1 s otherwise). */
        public double warmup = -1;
        public long capacity = 1 << 20;
        public boolean pin = true;
        public int repeat = 1;
        public boolean python = true;
        public boolean c = true;
        /** The CPU of the second producer process in the 2-producer scenarios (the first is on 0, the consumer on 1). */
        public int producer2Cpu = 0;
        /** Where benchmarks/c and benchmarks/python are; null: looked for from the working directory and this class's jar. */
        public Path root;
        public boolean list;

        public static final String USAGE = "[--only REGEX] [--seconds S] [--rtt-iterations N] [--wake-iterations N] [--idle-seconds S] "
                + "[--warmup S] [--capacity BYTES] [--repeat N] [--no-pin] [--no-python] [--no-c] [--producer2-cpu N] [--root DIR] [--list]";

        /** Parses the options; IllegalArgumentException on a usage error. */
        public static Options parse(String[] args) {
            Options o = new Options();
            try {
                for (int i = 0; i < args.length; i++) {
                    switch (args[i]) {
                        case "--only" -> o.only = Pattern.compile(args[++i]);
                        case "--seconds" -> o.seconds = Double.parseDouble(args[++i]);
                        case "--rtt-iterations" -> o.rttIterations = Long.parseLong(args[++i]);
                        case "--wake-iterations" -> o.wakeIterations = Long.parseLong(args[++i]);
                        case "--idle-seconds" -> o.idleSeconds = Double.parseDouble(args[++i]);
                        case "--warmup" -> o.warmup = Double.parseDouble(args[++i]);
                        case "--capacity" -> o.capacity = Long.parseLong(args[++i]);
                        case "--repeat" -> o.repeat = Integer.parseInt(args[++i]);
                        case "--no-pin" -> o.pin = false;
                        case "--no-python" -> o.python = false;
                        case "--no-c" -> o.c = false;
                        case "--producer2-cpu" -> o.producer2Cpu = Integer.parseInt(args[++i]);
                        case "--root" -> o.root = Path.of(args[++i]);
                        case "--list" -> o.list = true;
                        default -> throw new IllegalArgumentException("unknown option " + args[i]);
                    }
                }
            } catch (ArrayIndexOutOfBoundsException e) {
                throw new IllegalArgumentException("option " + args[args.length - 1] + " needs a value");
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("not a number: " + e.getMessage());
            }
            o.check();
            return o;
        }

        public void check() {
            if (!(seconds > 0)) throw new IllegalArgumentException("--seconds must be positive");
            if (rttIterations < 1 || rttIterations > 100_000_000) throw new IllegalArgumentException("--rtt-iterations must be from 1 to 100000000");
            if (wakeIterations < 1 || wakeIterations > 10_000_000) throw new IllegalArgumentException("--wake-iterations must be from 1 to 10000000");
            if (!(idleSeconds > 0)) throw new IllegalArgumentException("--idle-seconds must be positive");
            if (capacity < 64 || capacity > (1L << 30) || Long.bitCount(capacity) != 1) {
                throw new IllegalArgumentException("--capacity must be a power of two from 64 bytes to 1G, was " + capacity);
            }
            if (repeat < 1) throw new IllegalArgumentException("--repeat must be at least 1");
            if (producer2Cpu < 0) throw new IllegalArgumentException("--producer2-cpu must not be negative");
        }

        double warmup(double byDefault) {
            return warmup >= 0 ? warmup : byDefault;
        }
    }

    // ================================================================== extension points

    /** Scenarios of kinds this module does not know (Agrona's): CrossProcessRing's. */
    public interface Extension {
        /** Whether this extension runs the scenarios of {@code kind}. */
        boolean handles(String kind);

        /** Creates the shared objects of a scenario, named {@code ab} (A to B) and {@code ba}; adds them to {@code resources} (closed after the run). */
        void create(Scenario sc, String ab, String ba, long capacity, List<AutoCloseable> resources);

        /** Extra options for the JVMs of a scenario. */
        default List<String> jvmOptions(Scenario sc) {
            return List.of();
        }

        /** Runs one side of a scenario (in a role JVM). */
        void run(Role role, String ab, String ba) throws Exception;
    }

    /** The command that starts a role JVM: java, the given options, the class or module path, the main class and its arguments before the role's. */
    public interface Launcher {
        List<String> command(List<String> jvmOptions);
    }

    // ================================================================== orchestrator

    /**
     * Runs {@code list} {@code o.repeat} times, relaying every figure to {@code out}; with
     * {@code summary}, ends with the ratio block. Returns how many scenario runs failed.
     */
    public static int run(List<Scenario> list, Options o, Extension ext, Launcher launcher, PrintWriter out, boolean summary) {
        if (o.list) {
            for (Scenario sc : list) {
                out.println(sc.name() + (sc.byDefault() ? "" : "  (not in the default run)") + (available(sc, ext) ? "" : "  (needs CrossProcessRing)"));
            }
            out.flush();
            return 0;
        }
        boolean taskset = o.pin && Runtime.getRuntime().availableProcessors() >= 2 && onPath("taskset");
        out.printf(Locale.ROOT, "# cross-process rings: %s, %d CPUs, %s, ring capacity %d bytes, %.1f s per throughput figure, %,d round trips, %,d blocking round trips; load average %s%n",
                Runtime.version(), Runtime.getRuntime().availableProcessors(),
                taskset ? "A pinned to CPU 0, B to CPU 1 (taskset), a second producer to CPU " + o.producer2Cpu : "not pinned",
                o.capacity, o.seconds, o.rttIterations, o.wakeIterations, loadAverage());
        out.flush();
        List<String> skipped = list.stream().filter(sc -> !available(sc, ext)).map(Scenario::name).toList();
        if (!skipped.isEmpty()) {
            say(out, "# skipped (Agrona runs in dev.shmkit.benchmarks.CrossProcessRing): " + String.join(" ", skipped));
            list = list.stream().filter(sc -> available(sc, ext)).toList();
        }
        Orchestrator orch = new Orchestrator(o, ext, launcher, out, taskset);
        int failures = 0;
        Map<String, List<Double>> all = new LinkedHashMap<>();
        try {
            for (int rep = 1; rep <= o.repeat; rep++) {
                if (o.repeat > 1) say(out, "# ---- run " + rep + " of " + o.repeat + " (load average " + loadAverage() + ")");
                Map<String, Double> results = new LinkedHashMap<>();
                for (Scenario sc : list) {
                    try {
                        if (!orch.run(sc, results)) failures++;
                    } catch (Exception | AssertionError e) {
                        say(out, "# " + sc.name() + " failed: " + e);
                        failures++;
                    }
                }
                results.forEach((k, v) -> all.computeIfAbsent(k, x -> new ArrayList<>()).add(v));
            }
        } finally {
            orch.close();
        }
        Map<String, Double> medians = new LinkedHashMap<>();
        if (o.repeat > 1) say(out, "# ---- medians of " + o.repeat + " runs (min .. max)");
        all.forEach((k, vs) -> {
            List<Double> sorted = new ArrayList<>(vs);
            sorted.sort(null);
            int n = sorted.size();
            double median = n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
            medians.put(k, median);
            if (o.repeat > 1) say(out, String.format(Locale.ROOT, "# median %s %.4g (%.4g .. %.4g)", k, median, sorted.get(0), sorted.get(n - 1)));
        });
        if (summary) summary(medians, out, o.repeat);
        say(out, "# load average at the end: " + loadAverage() + (failures > 0 ? "; " + failures + " scenario run(s) failed" : ""));
        return failures;
    }

    static boolean available(Scenario sc, Extension ext) {
        return CORE_KINDS.contains(sc.kind()) || ext != null && ext.handles(sc.kind());
    }

    static void say(PrintWriter out, String line) {
        synchronized (out) {
            out.println(line);
            out.flush();
        }
    }

    static String loadAverage() {
        try {
            return Files.readString(Path.of("/proc/loadavg")).trim();
        } catch (IOException e) {
            return "?";
        }
    }

    static boolean onPath(String program) {
        return which(program) != null;
    }

    static Path which(String program) {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(":")) {
            if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, program))) return Path.of(dir, program);
        }
        return null;
    }

    /** Runs the scenarios' processes; compiles the C floor once. */
    static final class Orchestrator implements AutoCloseable {
        final Options o;
        final Extension ext;
        final Launcher launcher;
        final PrintWriter out;
        final boolean taskset;
        Path tmp, futexBinary;
        String cUnavailable;
        int counter;

        Orchestrator(Options o, Extension ext, Launcher launcher, PrintWriter out, boolean taskset) {
            this.o = o;
            this.ext = ext;
            this.launcher = launcher;
            this.out = out;
            this.taskset = taskset;
        }

        /** Runs one scenario; false when it failed. */
        boolean run(Scenario sc, Map<String, Double> results) throws Exception {
            if (sc.kind().equals("python-queue")) return python(sc, results);
            String base = "/shmkit-bench-" + ProcessHandle.current().pid() + "-" + (counter++);
            String ctl = base + "-ctl", ab = base + "-ab", ba = base + "-ba";
            List<AutoCloseable> resources = new ArrayList<>();
            try {
                resources.add(SharedMemory.create(ctl, CONTROL_SIZE));
                switch (sc.kind()) {
                    case "shmkit-rtt", "shmkit-blocking-rtt" -> {
                        resources.add(SharedRing.create(ab, o.capacity, RingKind.SPSC));
                        resources.add(SharedRing.create(ba, o.capacity, RingKind.SPSC));
                    }
                    case "shmkit-tput", "shmkit-idle" -> resources.add(SharedRing.create(ab, o.capacity, RingKind.valueOf(sc.variant())));
                    case "queue-tput" -> resources.add(SharedQueue.create(ab, o.capacity, Codec.ints()));
                    case "raw", "c-futex" -> {
                        // the control segment is enough
                    }
                    default -> ext.create(sc, ab, ba, o.capacity, resources);
                }
                List<String> roles = sc.producers() > 1 ? List.of("A", "A2", "B") : List.of("A", "B");
                List<Process> procs = new ArrayList<>();
                List<Thread> relays = new ArrayList<>();
                try {
                    for (String role : roles) {
                        List<String> cmd = new ArrayList<>();
                        if (taskset) cmd.addAll(List.of("taskset", "-c", role.equals("A") ? "0" : role.equals("B") ? "1" : Integer.toString(o.producer2Cpu)));
                        if (sc.kind().equals("c-futex")) {
                            Path bin = futexBinary();
                            if (bin == null) {
                                say(out, "# " + sc.name() + " skipped: " + cUnavailable);
                                return true;
                            }
                            cmd.addAll(List.of(bin.toString(), role, ctl, sc.name(), Long.toString(o.wakeIterations),
                                    Double.toString(o.warmup(1))));
                        } else {
                            List<String> jvm = new ArrayList<>(List.of("-XX:+UseSerialGC", "-Xms256m", "-Xmx256m", "-XX:+AlwaysPreTouch"));
                            if (ext != null && !CORE_KINDS.contains(sc.kind())) jvm.addAll(ext.jvmOptions(sc));
                            jvm.addAll(sc.jvmOptions());
                            cmd.addAll(launcher.command(jvm));
                            cmd.addAll(roleArgs(sc, role, ctl, ab, ba));
                        }
                        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
                        procs.add(p);
                        relays.add(Thread.ofPlatform().start(() -> relay(p, role, results)));
                    }
                    long limit = (long) (180 + 10 * o.seconds + o.idleSeconds + (sc.kind().contains("blocking") || sc.kind().equals("c-futex") ? o.wakeIterations / 1000 : 0));
                    boolean done = procs.getFirst().waitFor(limit, TimeUnit.SECONDS);
                    for (Process p : procs) done &= p.waitFor(30, TimeUnit.SECONDS);
                    if (!done) say(out, "# " + sc.name() + ": timed out");
                    for (Thread t : relays) t.join(done ? 0 : 5_000);
                    if (!done) return false;
                    StringBuilder codes = new StringBuilder();
                    boolean ok = true;
                    for (Process p : procs) {
                        codes.append(' ').append(p.exitValue());
                        ok &= p.exitValue() == 0;
                    }
                    if (!ok) say(out, "# " + sc.name() + ": exit codes" + codes);
                    return ok;
                } finally {
                    for (Process p : procs) if (p.isAlive()) p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                }
            } finally {
                for (AutoCloseable r : resources) r.close();
                for (String n : List.of(ctl, ab, ba)) SharedMemory.unlink(n);
            }
        }

        List<String> roleArgs(Scenario sc, String role, String ctl, String ab, String ba) {
            return List.of(role, sc.name(), sc.kind(), sc.variant().isEmpty() ? "-" : sc.variant(), Integer.toString(sc.size()), Integer.toString(sc.batch()),
                    Integer.toString(sc.producers()), ctl, ab, ba, Double.toString(o.seconds), Long.toString(o.rttIterations),
                    Long.toString(o.wakeIterations), Double.toString(o.idleSeconds), Double.toString(o.warmup));
        }

        /** Copies a process's output; {@code name metric value unit} lines are also kept for the summary. */
        void relay(Process p, String role, Map<String, Double> results) {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line; (line = r.readLine()) != null; ) {
                    if (line.isBlank() || line.startsWith("WARNING:")) continue;
                    String[] f = line.split(" ");
                    boolean figure = !line.startsWith("#") && f.length == 4 && isNumber(f[2]);
                    say(out, figure || line.startsWith("#") ? line : "# [" + role + "] " + line);
                    if (figure) {
                        synchronized (results) {
                            results.put(f[0] + " " + f[1], Double.parseDouble(f[2]));
                        }
                    }
                }
            } catch (IOException e) {
                say(out, "# relay: " + e);
            }
        }

        static boolean isNumber(String s) {
            try {
                Double.parseDouble(s);
                return true;
            } catch (NumberFormatException e) {
                return false;
            }
        }

        /** The compiled futex ping-pong, or null (and cUnavailable says why). */
        Path futexBinary() throws IOException, InterruptedException {
            if (futexBinary != null || cUnavailable != null) return futexBinary;
            Path src = resource(o, C_SOURCE);
            Path cc = which("cc") != null ? which("cc") : which("gcc");
            if (!o.c) cUnavailable = "--no-c";
            else if (src == null) cUnavailable = C_SOURCE + " not found (run from the project directory, or give --root)";
            else if (cc == null) cUnavailable = "no C compiler (cc) on PATH";
            if (cUnavailable != null) return null;
            tmp = Files.createTempDirectory("shmkit-ringbench");
            Path bin = tmp.resolve("futex_pingpong");
            Process p = new ProcessBuilder(cc.toString(), "-O2", "-o", bin.toString(), src.toString()).redirectErrorStream(true).start();
            String msg = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            if (p.waitFor() != 0) {
                cUnavailable = src + " did not compile: " + msg;
                return null;
            }
            say(out, "# compiled " + src + " with " + cc + " -O2");
            return futexBinary = bin;
        }

        /** Runs Python's multiprocessing.Queue, producer on CPU 0 and consumer on CPU 1 when pinning. */
        boolean python(Scenario sc, Map<String, Double> results) throws IOException, InterruptedException {
            Path script = resource(o, PY_SCRIPT);
            Path python = which("python3");
            String why = !o.python ? "--no-python" : script == null ? PY_SCRIPT + " not found (run from the project directory, or give --root)"
                    : python == null ? "no python3 on PATH" : null;
            if (why != null) {
                say(out, "# " + sc.name() + " skipped: " + why);
                return true;
            }
            long n = Math.max(10_000, Math.round(100_000 * o.seconds));
            List<String> cmd = new ArrayList<>(List.of(python.toString(), script.toString(), "-n", Long.toString(n), "-r", "5"));
            if (taskset) cmd.addAll(List.of("--cpus", "0,1"));
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            Thread t = Thread.ofPlatform().start(() -> relay(p, "python", results));
            boolean done = p.waitFor(600, TimeUnit.SECONDS);
            if (!done) {
                p.destroyForcibly();
                say(out, "# " + sc.name() + ": timed out");
            }
            t.join(5_000);
            if (done && p.exitValue() != 0) say(out, "# " + sc.name() + ": exit code " + p.exitValue());
            return done && p.exitValue() == 0;
        }

        @Override
        public void close() {
            if (tmp == null) return;
            try (var files = Files.walk(tmp)) {
                for (Path f : files.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(f);
            } catch (IOException e) {
                // a temporary directory left behind
            }
        }
    }

    /** A file of the project (benchmarks/c/..., benchmarks/python/...): under --root, the working directory, or above this class's jar. */
    static Path resource(Options o, String relative) {
        List<Path> bases = new ArrayList<>();
        if (o.root != null) {
            bases.add(o.root);
        } else {
            bases.add(Path.of("").toAbsolutePath());
            try {
                var src = RingBench.class.getProtectionDomain().getCodeSource();
                if (src != null) {
                    for (Path p = Path.of(src.getLocation().toURI()).toAbsolutePath(); p != null; p = p.getParent()) bases.add(p);
                }
            } catch (URISyntaxException | RuntimeException e) {
                // only the working directory
            }
        }
        for (Path b : bases) {
            Path f = b.resolve(relative);
            if (Files.isRegularFile(f)) return f.normalize();
        }
        return null;
    }

    // ================================================================== the ratio block

    /** One target of issue 10 §2: {@code num / den} (den null: / {@code scale}) against {@code target}. */
    record Target(String name, String num, String den, double scale, double target, boolean higherIsBetter) {}

    static final double INFO = Double.NaN;

    static List<Target> targets() {
        List<Target> t = new ArrayList<>();
        for (String size : new String[] {"8", "64", "4096"}) {
            String label = size.equals("4096") ? "4KiB" : size + "B";
            t.add(new Target("spsc-" + label + "/agrona-tryClaim", "shmkit-spsc-" + size + "B-tput msgs_per_s", "agrona-oneToOne-" + size + "B-tput msgs_per_s",
                    1, size.equals("4096") ? 1.0 : 1.5, true));
            t.add(new Target("spsc-" + label + "/agrona-write", "shmkit-spsc-" + size + "B-tput msgs_per_s", "agrona-oneToOne-" + size + "B-write-tput msgs_per_s",
                    1, INFO, true));
        }
        t.add(new Target("mpsc-8B-1p/agrona-tryClaim", "shmkit-mpsc-8B-tput msgs_per_s", "agrona-manyToOne-8B-tput msgs_per_s", 1, 1.2, true));
        t.add(new Target("mpsc-8B-1p/agrona-write", "shmkit-mpsc-8B-tput msgs_per_s", "agrona-manyToOne-8B-write-tput msgs_per_s", 1, INFO, true));
        t.add(new Target("mpsc-8B-2p/agrona-tryClaim", "shmkit-mpsc-8B-2p-tput msgs_per_s", "agrona-manyToOne-8B-2p-tput msgs_per_s", 1, INFO, true));
        t.add(new Target("mpmc-64B/spsc-64B", "shmkit-mpmc-64B-tput msgs_per_s", "shmkit-spsc-64B-tput msgs_per_s", 1, 0.8, true));
        t.add(new Target("rtt-p50/raw-paired", "shmkit-spsc-8B-rtt rtt_p50", "shmkit-spsc-8B-rtt-raw-paired rtt_p50", 1, 1.25, false));
        t.add(new Target("agrona-rtt-p50/raw-paired", "agrona-oneToOne-8B-rtt rtt_p50", "agrona-oneToOne-8B-rtt-raw-paired rtt_p50", 1, INFO, false));
        t.add(new Target("rtt-p50/agrona-rtt-p50", "shmkit-spsc-8B-rtt rtt_p50", "agrona-oneToOne-8B-rtt rtt_p50", 1, INFO, false));
        t.add(new Target("blocking-rtt-p50/c-futex-p50", "shmkit-spsc-8B-blocking-rtt rtt_p50", "c-futex-pingpong rtt_p50", 1, 1.1, false));
        t.add(new Target("blocking-rtt-p99/c-futex-p99", "shmkit-spsc-8B-blocking-rtt rtt_p99", "c-futex-pingpong rtt_p99", 1, INFO, false));
        t.add(new Target("idle-consumer-cpu-share", "shmkit-spsc-idle-cpu cpu_ms_per_s", null, 1000, 0.01, false));
        t.add(new Target("idle-consumer-thread-cpu-share", "shmkit-spsc-idle-cpu thread_cpu_us_per_s", null, 1e6, INFO, false));
        t.add(new Target("queue-Integer/python-mp-queue", "shmkit-queue-Integer-tput msgs_per_s", "python-mp-queue-int msgs_per_s", 1, 100, true));
        t.add(new Target("spsc-8B-batch256/200M-msgs", "shmkit-spsc-8B-batch-tput msgs_per_s", null, 200e6, 1.0, true));
        // Ring protocol v2's asymmetric fence against the same code with a full fence per commit/release: informational.
        for (String size : new String[] {"8", "64"}) {
            t.add(new Target("asymmetric/full-fence-spsc-" + size + "B-tput", "shmkit-spsc-" + size + "B-tput msgs_per_s",
                    "shmkit-spsc-" + size + "B-fullfence-tput msgs_per_s", 1, INFO, true));
        }
        t.add(new Target("asymmetric/full-fence-spsc-8B-rtt-p50", "shmkit-spsc-8B-rtt rtt_p50", "shmkit-spsc-8B-fullfence-rtt rtt_p50", 1, INFO, false));
        return t;
    }

    static void summary(Map<String, Double> r, PrintWriter out, int runs) {
        say(out, "# ---- targets of issue 10 section 2, from this run" + (runs > 1 ? " (medians of " + runs + " runs)" : "")
                + ": ratio NAME value target verdict");
        for (Target t : targets()) {
            Double x = r.get(t.num());
            Double y = t.den() == null ? Double.valueOf(t.scale()) : r.get(t.den());
            String target = Double.isNaN(t.target()) ? "-" : (t.higherIsBetter() ? ">=" : "<=") + fmt(t.target());
            if (x == null || y == null || y == 0) {
                say(out, "ratio " + t.name() + " - " + target + " n/a");
                continue;
            }
            double v = x / y;
            String verdict = Double.isNaN(t.target()) ? "info" : (t.higherIsBetter() ? v >= t.target() : v <= t.target()) ? "MET" : "MISSED";
            say(out, "ratio " + t.name() + " " + String.format(Locale.ROOT, v < 0.1 ? "%.4f" : "%.3f", v) + " " + target + " " + verdict);
        }
    }

    static String fmt(double d) {
        return d == Math.rint(d) ? String.format(Locale.ROOT, "%.1f", d) : Double.toString(d);
    }

    // ================================================================== the benchmark processes

    /** Entry of a role JVM: {@code args} as built by the orchestrator. */
    public static void role(String[] args, Extension ext) throws Exception {
        Role r = new Role(args);
        String ab = args[8], ba = args[9];
        try {
            if (!CORE_KINDS.contains(r.kind)) {
                if (ext == null || !ext.handles(r.kind)) throw new IllegalArgumentException("unknown scenario kind " + r.kind);
                ext.run(r, ab, ba);
            } else {
                r.runCore(ab, ba);
            }
        } finally {
            System.out.flush();
            r.ctlShm.close();
        }
    }

    /** One side of a scenario, in its own JVM; its figures go to stdout. */
    public static final class Role {
        public final String role, name, kind, variant;
        public final int size, batch, producers;
        public final double seconds, idleSeconds, warmupOption;
        public final long rttIterations, wakeIterations;
        final MemorySegment ctl;
        final SharedMemory ctlShm;

        Role(String[] a) {
            role = a[0];
            name = a[1];
            kind = a[2];
            variant = a[3].equals("-") ? "" : a[3];
            size = Integer.parseInt(a[4]);
            batch = Integer.parseInt(a[5]);
            producers = Integer.parseInt(a[6]);
            ctlShm = SharedMemory.open(a[7]);
            ctl = ctlShm.segment();
            seconds = Double.parseDouble(a[10]);
            rttIterations = Long.parseLong(a[11]);
            wakeIterations = Long.parseLong(a[12]);
            idleSeconds = Double.parseDouble(a[13]);
            warmupOption = Double.parseDouble(a[14]);
        }

        /** A or A2: the side that sends first (or only). */
        public boolean isA() {
            return role.startsWith("A");
        }

        /** How SharedRing orders commits and releases in this JVM (as SharedRing decides it: membarrier available, no -Ddev.shmkit.ring.fence=full). */
        static String fenceMode() {
            if (!ProcessFence.available()) return "fence: full per commit/release (membarrier unavailable)";
            return "full".equals(System.getProperty("dev.shmkit.ring.fence")) ? "fence: full per commit/release (" + FULL_FENCE + ")"
                    : "fence: asymmetric (membarrier in sleepers)";
        }

        long warmupNanos(double byDefault) {
            return (long) ((warmupOption >= 0 ? warmupOption : byDefault) * 1e9);
        }

        void runCore(String ab, String ba) throws Exception {
            boolean isA = isA();
            switch (kind) {
                case "raw" -> {
                    ready();
                    if (isA) rawPinger();
                    else rawPonger();
                }
                case "shmkit-rtt" -> {
                    if (isA) System.out.println("# " + name + ": SharedRing " + fenceMode());
                    try (Ring out = new ShmkitRing(SharedRing.open(isA ? ab : ba)); Ring in = new ShmkitRing(SharedRing.open(isA ? ba : ab))) {
                        ShmkitRtt t = new ShmkitRtt(out, in, size);
                        ready();
                        if (isA) pairedPinger(t);
                        else pairedPonger(t);
                    }
                }
                case "shmkit-tput" -> {
                    if (role.equals("A")) System.out.println("# " + name + ": SharedRing " + fenceMode());
                    try (Ring ring = new ShmkitRing(SharedRing.open(ab))) {
                        if (isA) {
                            ShmkitProducer p = new ShmkitProducer(ring, size, batch);
                            ready();
                            produce(p);
                        } else {
                            ShmkitConsumer c = new ShmkitConsumer(ring);
                            ready();
                            consume(c);
                        }
                    }
                }
                case "shmkit-blocking-rtt" -> {
                    try (SharedRing out = SharedRing.open(isA ? ab : ba); SharedRing in = SharedRing.open(isA ? ba : ab)) {
                        BlockingRtt t = new BlockingRtt(out, in);
                        ready();
                        if (isA) blockingPinger(t);
                        else t.echoUntilStopped(this);
                    }
                }
                case "shmkit-idle" -> {
                    try (SharedRing ring = SharedRing.open(ab)) {
                        if (isA) {
                            ready();
                            idleProbe(ring);
                        } else {
                            idleConsumer(ring);
                        }
                    }
                }
                case "queue-tput" -> {
                    try (SharedQueue<Integer> q = SharedQueue.open(ab, Codec.ints())) {
                        if (isA) {
                            QueueProducer p = new QueueProducer(q);
                            ready();
                            produce(p);
                        } else {
                            QueueConsumer c = new QueueConsumer(q);
                            ready();
                            consume(c);
                        }
                    }
                }
                default -> throw new IllegalArgumentException(kind);
            }
        }

        // ---------------------------------------------------------- coordination

        /** Every process is up and has mapped everything: go. */
        public void ready() {
            // The benchmark runs in the Java main thread, which is not the process's initial thread.
            long tid = -1;
            try {
                tid = Long.parseLong(Files.readSymbolicLink(Path.of("/proc/thread-self")).getFileName().toString());
            } catch (IOException | RuntimeException e) {
                // no /proc: rounds are not filtered
            }
            long pidAt = role.equals("A") ? PID_A : role.equals("B") ? PID_B : PID_A2;
            long tidAt = role.equals("A") ? TID_A : role.equals("B") ? TID_B : TID_A2;
            LONG.setVolatile(ctl, tidAt, tid);
            LONG.setVolatile(ctl, pidAt, ProcessHandle.current().pid());
            LONG.getAndAdd(ctl, READY, 1L);
            while ((long) LONG.getVolatile(ctl, READY) < producers + 1) Thread.onSpinWait();
        }

        /**
         * Nanoseconds the benchmark threads have spent runnable but not running (waiting on a run
         * queue: preempted by another process, or by their own JVM's JIT or GC threads on the same
         * CPU), from /proc/PID/task/TID/schedstat; -1 where that is not available. With two
         * producers sharing a CPU only the consumer counts (the producers wait on each other by design).
         */
        long waited() {
            long b = schedWait((long) LONG.getVolatile(ctl, PID_B), (long) LONG.getVolatile(ctl, TID_B));
            if (producers > 1) return b;
            long a = schedWait((long) LONG.getVolatile(ctl, PID_A), (long) LONG.getVolatile(ctl, TID_A));
            return a < 0 || b < 0 ? -1 : a + b;
        }

        static long schedWait(long pid, long tid) {
            long[] s = schedstat(pid, tid);
            return s == null ? -1 : s[1];
        }

        /** /proc/PID/task/TID/schedstat: ns on the CPU, ns waiting on a run queue, time slices; null if not available. */
        static long[] schedstat(long pid, long tid) {
            if (tid < 0) return null;
            try {
                String[] f = Files.readString(Path.of("/proc/" + pid + "/task/" + tid + "/schedstat")).trim().split(" ");
                return new long[] {Long.parseLong(f[0]), Long.parseLong(f[1])};
            } catch (IOException | RuntimeException e) {
                return null;
            }
        }

        static boolean undisturbed(long w0, long w1, long nanos) {
            return w0 < 0 || w1 < 0 || w1 - w0 < MAX_WAIT_SHARE * nanos;
        }

        public boolean stopped() {
            return (int) INT.getVolatile(ctl, STOP) != 0;
        }

        public void stop() {
            INT.setVolatile(ctl, STOP, 1);
        }

        public void emit(String metric, double value, String unit) {
            emit(metric, value == Math.rint(value) ? Long.toString((long) value) : String.format(Locale.ROOT, "%.1f", value), unit);
        }

        public void emit(String metric, String value, String unit) {
            System.out.println(name + " " + metric + " " + value + " " + unit);
        }

        // ---------------------------------------------------------- round trips (busy-polling)

        /** One side's half of a busy-polling ping-pong over two rings. */
        public interface PingPong {
            /** Sends {@code v} and waits for the echo. */
            void roundTrip(long v);

            /** Echoes one message if there is one; false when there was none. */
            boolean echo();
        }

        void reportRtt(Hist h) {
            emit("rtt_p50", h.percentile(50), "ns");
            emit("rtt_p99", h.percentile(99), "ns");
            System.out.printf(Locale.ROOT, "# %s: %,d round trips, mean %.0f, min %d, p90 %d, p99.9 %d, max %d ns%n", name, h.count(),
                    h.mean(), h.min(), h.percentile(90), h.percentile(99.9), h.max());
        }

        /** Rounds of 10,000 after which a busy-polling RTT scenario stops looking for undisturbed ones: 4x the rounds it needs, at least 4. */
        long maxRttRounds() {
            return Math.max(4, 4 * ((rttIterations + ROUND - 1) / ROUND));
        }

        static long rttRound(PingPong p, Hist h, long v, int n, boolean record) {
            for (int i = 0; i < n; i++) {
                long t0 = System.nanoTime();
                p.roundTrip(v++);
                long t1 = System.nanoTime();
                if (record) h.record(t1 - t0);
            }
            return v;
        }

        /**
         * Ring round trips and raw ping-pongs in alternating rounds of 10,000 between the same two
         * processes: the vCPUs of a virtual machine can be moved between host cores from one
         * minute to the next, which changes the cost of a cache-line transfer, so only a floor
         * measured alongside is a fair baseline. Prints the ring's figures and the paired floor's
         * as NAME-raw-paired.
         */
        public void pairedPinger(PingPong p) {
            Hist h = new Hist(), raw = new Hist(), round = new Hist(), everything = new Hist(), everythingRaw = new Hist();
            long v = 1, rv = 1;
            long warmEnd = System.nanoTime() + warmupNanos(2);
            do {
                v = rttRound(p, round, v, ROUND, false);
                rv = rawRound(round, rv, ROUND, false);
            } while (System.nanoTime() < warmEnd);
            long deadline = System.nanoTime() + 60_000_000_000L;
            int good = 0, goodRaw = 0, rounds = 0;
            long maxRounds = maxRttRounds();
            while ((h.count() < rttIterations || raw.count() < rttIterations) && rounds < maxRounds && System.nanoTime() < deadline) {
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
                everythingRaw.add(round);
                if (undisturbed(w0, w1, t1 - t0)) {
                    raw.add(round);
                    goodRaw++;
                }
            }
            stop();
            // Too few undisturbed rounds on one side: both sides use all their rounds, so that the pair stays comparable.
            boolean allUsed = h.count() == 0 || raw.count() == 0;
            if (allUsed) {
                h.reset();
                h.add(everything);
                raw.reset();
                raw.add(everythingRaw);
            }
            System.out.printf(Locale.ROOT, "# %s: %d of %d ring rounds and %d of %d raw rounds of 10,000 undisturbed%s; all ring rounds: p50 %d, p99 %d ns; all raw rounds: p50 %d, p99 %d ns%n",
                    name, good, rounds, goodRaw, rounds, allUsed ? " (too few: all rounds used)" : "", everything.percentile(50), everything.percentile(99),
                    everythingRaw.percentile(50), everythingRaw.percentile(99));
            reportRtt(h);
            if (raw.count() > 0) {
                System.out.println(name + "-raw-paired rtt_p50 " + raw.percentile(50) + " ns");
                System.out.println(name + "-raw-paired rtt_p99 " + raw.percentile(99) + " ns");
                System.out.printf(Locale.ROOT, "# %s: ring / paired raw ping-pong at p50 = %.2f%n", name, (double) h.percentile(50) / raw.percentile(50));
            }
        }

        /** B's side of {@link #pairedPinger}: echoes ROUND ring messages, then ROUND raw ping-pongs, until stopped. */
        public void pairedPonger(PingPong p) {
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

        void rawPinger() {
            Hist h = new Hist(), round = new Hist(), everything = new Hist();
            long v = 1;
            long warmEnd = System.nanoTime() + warmupNanos(2);
            do {
                v = rawRound(round, v, ROUND, false);
            } while (System.nanoTime() < warmEnd);
            long deadline = System.nanoTime() + 60_000_000_000L;
            int good = 0, all = 0;
            long maxRounds = maxRttRounds();
            while (h.count() < rttIterations && all < maxRounds && System.nanoTime() < deadline) {
                round.reset();
                long w0 = waited(), t0 = System.nanoTime();
                v = rawRound(round, v, ROUND, true);
                long t1 = System.nanoTime(), w1 = waited();
                everything.add(round);
                all++;
                if (undisturbed(w0, w1, t1 - t0)) {
                    h.add(round);
                    good++;
                }
            }
            stop();
            LONG.setVolatile(ctl, PINGPONG, -1L);
            if (h.count() == 0) h.add(everything);
            System.out.printf(Locale.ROOT, "# %s: %d of %d rounds of 10,000 undisturbed; all rounds: p50 %d, p99 %d ns%n", name, good, all,
                    everything.percentile(50), everything.percentile(99));
            reportRtt(h);
        }

        long rawRound(Hist h, long v, int n, boolean record) {
            MemorySegment c = ctl;
            for (int i = 0; i < n; i++) {
                long t0 = System.nanoTime();
                LONG.setRelease(c, PINGPONG, v);
                while ((long) LONG.getAcquire(c, PINGPONG) != v + 1) Thread.onSpinWait();
                long t1 = System.nanoTime();
                if (record) h.record(t1 - t0);
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

        // ---------------------------------------------------------- blocking

        /** Rounds of 1,000 blocking round trips after the warm-up, until wakeIterations (or 120 s); no disturbance filter (nor in the C floor). */
        void blockingPinger(BlockingRtt t) throws InterruptedException {
            Hist h = new Hist();
            long v = 1;
            long warmEnd = System.nanoTime() + warmupNanos(1);
            do {
                for (int i = 0; i < 100; i++) t.roundTrip(v++);
            } while (System.nanoTime() < warmEnd);
            long deadline = System.nanoTime() + 120_000_000_000L;
            while (h.count() < wakeIterations && System.nanoTime() < deadline) {
                int n = (int) Math.min(WAKE_ROUND, wakeIterations - h.count());
                for (int i = 0; i < n; i++) {
                    long t0 = System.nanoTime();
                    t.roundTrip(v++);
                    h.record(System.nanoTime() - t0);
                }
            }
            stop();
            reportRtt(h);
        }

        /** Messages of the idle scenario's warm-up, 1 ms apart (B is asleep when each arrives). */
        static final int IDLE_WARMUP_MESSAGES = 500;
        static final int LAST = 2;

        /**
         * A's side of the idle scenario: first {@value #IDLE_WARMUP_MESSAGES} messages 1 ms apart
         * (B prints the one-way wake-up latency of those, wake_p50/wake_p99, and its code paths
         * get compiled); then waits until B's thread sleeps, lets its JVM settle, reads B's CPU
         * time over idleSeconds (utime+stime of the whole process from /proc/PID/stat, and the
         * consumer thread's own from its schedstat), and wakes it with one last message (wake_last_ns).
         * Every message carries {@link System#nanoTime()} (CLOCK_MONOTONIC, the same in both processes).
         */
        void idleProbe(SharedRing ring) throws InterruptedException {
            for (int i = 0; i < IDLE_WARMUP_MESSAGES; i++) {
                Thread.sleep(1);
                stamp(ring, TYPE);
            }
            long pid = (long) LONG.getVolatile(ctl, PID_B), tid = (long) LONG.getVolatile(ctl, TID_B);
            long until = System.nanoTime() + 10_000_000_000L;
            while (!"S".equals(threadState(pid, tid)) && System.nanoTime() < until) Thread.sleep(1);
            Thread.sleep(500); // B's JVM finishes its start-up work (JIT, class loading)
            long c0 = processTicks(pid);
            long[] s0 = schedstat(pid, tid);
            long t0 = System.nanoTime();
            Thread.sleep(Math.max(1, Math.round(idleSeconds * 1000)));
            long c1 = processTicks(pid);
            long[] s1 = schedstat(pid, tid);
            long t1 = System.nanoTime();
            String state = threadState(pid, tid);
            double wall = (t1 - t0) / 1e9;
            if (c0 >= 0 && c1 >= 0) {
                emit("cpu_ms_per_s", String.format(Locale.ROOT, "%.2f", (c1 - c0) * 1000 / CLOCK_TICKS_PER_S / wall), "ms/s");
            }
            if (s0 != null && s1 != null) {
                emit("thread_cpu_us_per_s", String.format(Locale.ROOT, "%.1f", (s1[0] - s0[0]) / 1e3 / wall), "us/s");
            }
            System.out.printf(Locale.ROOT, "# %s: consumer pid %d, %.2f s idle; process utime+stime %d ticks of 1/%.0f s; consumer thread state %s%n",
                    name, pid, wall, c1 - c0, CLOCK_TICKS_PER_S, state);
            stamp(ring, LAST);
        }

        static void stamp(SharedRing ring, int type) {
            long index;
            while ((index = ring.tryClaim(type, 8)) < 0) Thread.onSpinWait();
            ring.buffer().set(ValueLayout.JAVA_LONG, index, System.nanoTime());
            ring.commit(index);
        }

        /** B's side of the idle scenario: sleeps in poll (BLOCKING) until each message comes. */
        void idleConsumer(SharedRing ring) throws InterruptedException {
            ring.waitStrategy(WaitStrategy.BLOCKING);
            Hist wake = new Hist();
            long[] last = {0, 0}; // type, latency
            MessageHandler h = (type, buffer, index, length) -> {
                last[0] = type;
                last[1] = System.nanoTime() - buffer.get(ValueLayout.JAVA_LONG, index);
            };
            ring.read(h, 0); // register as the consumer
            ready();
            while (true) {
                if (ring.poll(h, 1, 60, TimeUnit.SECONDS) == 0) {
                    System.out.println("# " + name + ": no message within 60 s");
                    return;
                }
                if (last[0] == LAST) break;
                wake.record(last[1]);
            }
            emit("wake_p50", wake.percentile(50), "ns");
            emit("wake_p99", wake.percentile(99), "ns");
            emit("wake_last_ns", last[1], "ns");
            System.out.printf(Locale.ROOT, "# %s: one-way wake-up of a consumer asleep in poll (BLOCKING), %d messages 1 ms apart: mean %.0f, min %d, max %d ns; after %.1f s idle: %d ns%n",
                    name, wake.count(), wake.mean(), wake.min(), wake.max(), idleSeconds, last[1]);
        }

        static String threadState(long pid, long tid) {
            try {
                String s = Files.readString(Path.of("/proc/" + pid + "/task/" + tid + "/stat"));
                return s.substring(s.lastIndexOf(')') + 2).split(" ")[0];
            } catch (IOException | RuntimeException e) {
                return "?";
            }
        }

        /** utime + stime of a whole process, in clock ticks, from /proc/PID/stat; -1 if not available. */
        static long processTicks(long pid) {
            try {
                String s = Files.readString(Path.of("/proc/" + pid + "/stat"));
                String[] f = s.substring(s.lastIndexOf(')') + 2).split(" ");
                return Long.parseLong(f[11]) + Long.parseLong(f[12]); // fields 14 and 15 of proc(5)
            } catch (IOException | RuntimeException e) {
                return -1;
            }
        }

        // ---------------------------------------------------------- throughput

        /** Sends messages. */
        public interface Producer {
            /** Sends up to {@code n} messages; false once stopped. */
            boolean produce(int n, Role role);
        }

        /** Takes messages. */
        public interface Consumer {
            /** Takes what is there; returns how many messages. */
            int consume();

            long checksum();
        }

        public void produce(Producer p) {
            while (p.produce(4096, this)) {
                // until B says stop
            }
        }

        /** Counts: the warm-up, then rounds of 0.1 s until seconds' worth of undisturbed ones (or 4x that time); the median. */
        public void consume(Consumer c) {
            long count = 0;
            while (count == 0) count += c.consume();
            long warmEnd = System.nanoTime() + warmupNanos(1);
            while (System.nanoTime() < warmEnd) count += c.consume();
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
            long drainEnd = System.nanoTime() + 100_000_000L;
            while (c.consume() > 0 || System.nanoTime() < drainEnd) {
                // let producers blocked on a full ring see the stop flag
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
                    name, good.size(), all.size(), used == good ? "" : " (too few: all rounds used)", median / 1e6, sorted.getLast() / 1e6,
                    allSorted.get(allSorted.size() / 2) / 1e6, allSorted.getLast() / 1e6, count, c.checksum());
        }
    }

    // ================================================================== rings and their users

    /** The ring API the busy-polling scenarios use (SharedRing); an interface so that another ring can run the same code. One implementation per JVM, so calls inline. */
    public interface Ring extends AutoCloseable {
        long tryClaim(int type, int length);

        void commit(long index);

        long tryClaimBatch(int type, int length, int count);

        void commitBatch(long index, int length, int count);

        int read(MessageHandler handler, int limit);

        MemorySegment buffer();

        /** SharedRing.batchStride or the other ring's. */
        int batchStride(int length);

        @Override
        void close();
    }

    public record ShmkitRing(SharedRing r) implements Ring {
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

        public int batchStride(int length) {
            return SharedRing.batchStride(length);
        }

        public void close() {
            r.close();
        }
    }

    /** Busy-polling ping-pong: tryClaim/commit out, read(handler, 1) in. */
    public static final class ShmkitRtt implements Role.PingPong, MessageHandler {
        final Ring out, in;
        final MemorySegment outBuf, src;
        final int size;
        boolean echoing;
        long got;

        public ShmkitRtt(Ring out, Ring in, int size) {
            this.out = out;
            this.in = in;
            this.outBuf = out.buffer();
            this.size = size;
            this.src = Arena.ofAuto().allocate(Math.max(8, size), 8);
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
            while ((index = out.tryClaim(TYPE, size)) < 0) Thread.onSpinWait();
            if (size > 8) MemorySegment.copy(src, 0, outBuf, index, size);
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

    /** Ping-pong with both sides sleeping in {@code poll} ({@link WaitStrategy#BLOCKING}) between messages. */
    static final class BlockingRtt implements MessageHandler {
        final SharedRing out, in;
        final MemorySegment outBuf;
        boolean echoing;
        long got;

        BlockingRtt(SharedRing out, SharedRing in) {
            this.out = out.waitStrategy(WaitStrategy.BLOCKING);
            this.in = in.waitStrategy(WaitStrategy.BLOCKING);
            this.outBuf = out.buffer();
            in.read(this, 0); // register as the consumer of in
        }

        void roundTrip(long v) throws InterruptedException {
            send(v);
            echoing = false;
            while (in.poll(this, 1, -1, TimeUnit.NANOSECONDS) == 0) {
                // a spurious return
            }
            if (got != v) throw new IllegalStateException("echo " + got + " for " + v);
        }

        void echoUntilStopped(Role r) throws InterruptedException {
            echoing = true;
            while (!r.stopped()) in.poll(this, 1, 50, TimeUnit.MILLISECONDS);
        }

        void send(long v) {
            long index;
            while ((index = out.tryClaim(TYPE, 8)) < 0) Thread.onSpinWait();
            outBuf.set(ValueLayout.JAVA_LONG, index, v);
            out.commit(index);
        }

        @Override
        public void onMessage(int typeId, MemorySegment buffer, long index, int length) {
            long v = buffer.get(ValueLayout.JAVA_LONG, index);
            if (echoing) send(v);
            else got = v;
        }
    }

    /** tryClaim, the payload written in place (MemorySegment.copy above 8 bytes, then the sequence number), commit; or batches of {@code batch}. */
    public static final class ShmkitProducer implements Role.Producer {
        final Ring ring;
        final MemorySegment buf, src;
        final int size, batch, stride;
        long seq;

        public ShmkitProducer(Ring ring, int size, int batch) {
            this.ring = ring;
            this.buf = ring.buffer();
            this.size = size;
            this.batch = batch;
            this.src = Arena.ofAuto().allocate(Math.max(8, size), 8);
            this.stride = ring.batchStride(size);
        }

        @Override
        public boolean produce(int n, Role role) {
            if (batch > 0) return produceBatches(Math.max(1, n / batch), role);
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
            return !role.stopped();
        }

        private boolean produceBatches(int batches, Role role) {
            for (int b = 0; b < batches; b++) {
                long index;
                while ((index = ring.tryClaimBatch(TYPE, size, batch)) < 0) {
                    if (role.stopped()) return false;
                    Thread.onSpinWait();
                }
                for (int i = 0; i < batch; i++) {
                    long at = index + (long) i * stride;
                    if (size > 8) MemorySegment.copy(src, 0, buf, at, size);
                    buf.set(ValueLayout.JAVA_LONG, at, seq++);
                }
                ring.commitBatch(index, size, batch);
            }
            return !role.stopped();
        }
    }

    /** read(handler, Integer.MAX_VALUE), the handler reading the first 8 bytes of each message. */
    public static final class ShmkitConsumer implements Role.Consumer, MessageHandler {
        final Ring ring;
        long sum;

        public ShmkitConsumer(Ring ring) {
            this.ring = ring;
            ring.read(this, 0); // register as the consumer
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

    static final class QueueProducer implements Role.Producer {
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
            return !role.stopped();
        }
    }

    static final class QueueConsumer implements Role.Consumer {
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

    // ================================================================== latency histogram

    /** Latencies in ns: exact below 2,048, then 1,024 buckets per power of two (0.1%). */
    public static final class Hist {
        static final int EXACT = 2048, SUB_BITS = 10, SUB = 1 << SUB_BITS;
        final long[] counts = new long[EXACT + 53 * SUB];
        long total, sum, min = Long.MAX_VALUE, max;

        public void record(long v) {
            if (v < 0) v = 0;
            counts[index(v)]++;
            total++;
            sum += v;
            if (v < min) min = v;
            if (v > max) max = v;
        }

        static int index(long v) {
            if (v < EXACT) return (int) v;
            int e = 63 - Long.numberOfLeadingZeros(v);
            return EXACT + (e - 11) * SUB + (int) ((v >>> (e - SUB_BITS)) - SUB);
        }

        static long lowest(int i) {
            if (i < EXACT) return i;
            int k = i - EXACT, e = 11 + k / SUB;
            return ((long) (SUB + k % SUB)) << (e - SUB_BITS);
        }

        public void add(Hist o) {
            if (o.total == 0) return;
            for (int i = 0; i < counts.length; i++) counts[i] += o.counts[i];
            total += o.total;
            sum += o.sum;
            min = Math.min(min, o.min);
            max = Math.max(max, o.max);
        }

        public void reset() {
            Arrays.fill(counts, 0);
            total = sum = max = 0;
            min = Long.MAX_VALUE;
        }

        public long count() {
            return total;
        }

        public double mean() {
            return total == 0 ? 0 : (double) sum / total;
        }

        public long min() {
            return total == 0 ? 0 : min;
        }

        public long max() {
            return max;
        }

        /** The value at percentile {@code p} (the low end of its bucket, within [min, max]). */
        public long percentile(double p) {
            if (total == 0) return 0;
            long rank = Math.max(1, (long) Math.ceil(p / 100 * total));
            long seen = 0;
            for (int i = 0; i < counts.length; i++) {
                seen += counts[i];
                if (seen >= rank) return Math.max(min, Math.min(max, lowest(i)));
            }
            return max;
        }
    }
}
