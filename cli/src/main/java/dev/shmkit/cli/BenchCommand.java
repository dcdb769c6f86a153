package dev.shmkit.cli;

import dev.shmkit.ring.MessageHandler;
import dev.shmkit.ring.RingKind;
import dev.shmkit.ring.SharedRing;
import dev.shmkit.shm.SharedMemory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * {@code shmkit bench ...}: the cross-process ring benchmarks. Each figure is measured between
 * two fresh JVMs started from this one (same launcher, module or class path, but with the C2
 * compiler), pinned to CPUs 0 and 1 with {@code taskset} when there are two CPUs. Output: one
 * {@code name metric value unit} line per figure, details on {@code #} lines. The side-by-side
 * comparison with Agrona is {@code scripts/bench} (docs/benchmarks.md).
 */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = {"Cross-process ring benchmarks between two JVMs (pinned to CPUs 0 and 1 when possible).",
                "Prints one 'name metric value unit' line per figure."},
        subcommands = {BenchCommand.RingRtt.class, BenchCommand.RingTput.class, BenchCommand.Peer.class})
final class BenchCommand {

    static final int TYPE = 1;
    /** Control segment: ready counter, stop flag, the raw ping-pong word (128 bytes apart). */
    static final long READY = 0, STOP = 128, PINGPONG = 256, CONTROL_SIZE = 4096;
    static final VarHandle LONG = ValueLayout.JAVA_LONG.varHandle();
    static final VarHandle INT = ValueLayout.JAVA_INT.varHandle();

    /** Options every benchmark has. */
    static final class BenchOptions {
        @Mixin Common.DebugOption debug;
        @Option(names = "--size", paramLabel = "BYTES", defaultValue = "8", converter = Common.SizeConverter.class,
                description = "Message payload size (default: ${DEFAULT-VALUE}).")
        long size;
        @Option(names = "--capacity", paramLabel = "BYTES", defaultValue = "1M", converter = Common.SizeConverter.class,
                description = "Ring capacity, a power of two (default: ${DEFAULT-VALUE}).")
        long capacity;
        @Option(names = "--no-pin", description = "Do not pin the two processes to CPUs 0 and 1.")
        boolean noPin;
        @Option(names = "--warmup", paramLabel = "SECONDS", defaultValue = "1.5",
                description = "Warm-up before measuring, in seconds (default: ${DEFAULT-VALUE}).")
        double warmup;
        @Option(names = "--jvm-option", paramLabel = "OPTION", description = "An extra option for the two benchmark JVMs (repeatable).")
        List<String> jvmOptions = new ArrayList<>();

        void check() {
            if (capacity < 64 || capacity > (1L << 30) || Long.bitCount(capacity) != 1) {
                throw new UsageException("--capacity must be a power of two from 64 bytes to 1G, was " + capacity);
            }
            if (size < 8 || size > capacity / 8 - 8) {
                throw new UsageException("--size must be from 8 to " + (capacity / 8 - 8) + " bytes (an eighth of the capacity, less the header), was " + size);
            }
            if (warmup < 0) throw new UsageException("--warmup must not be negative");
        }
    }

    @Command(name = "ring-rtt", mixinStandardHelpOptions = true,
            description = {"Round-trip latency: process A sends a message on an SPSC ring, B echoes it on another; "
                    + "A times each round trip. First the floor: a raw ping-pong of one shared long (raw-pingpong).",
                    "Metrics rtt_p50 and rtt_p99 (ns)."})
    static final class RingRtt implements Callable<Integer> {
        @Mixin BenchOptions common;
        @Spec CommandSpec spec;
        @Option(names = "--iterations", paramLabel = "N", defaultValue = "1000000",
                description = "Measured round trips (default: ${DEFAULT-VALUE}).")
        long iterations;
        @Option(names = "--no-baseline", description = "Skip the raw ping-pong.")
        boolean noBaseline;

        @Override
        public Integer call() throws Exception {
            common.check();
            if (iterations < 1 || iterations > 100_000_000) throw new UsageException("--iterations must be from 1 to 100000000");
            int status = Main.OK;
            PrintWriter out = spec.commandLine().getOut();
            String params = common.size + " " + iterations + " " + common.warmup;
            if (!noBaseline) status = Math.max(status, runPair(out, common, "raw-pingpong", "raw", params, false));
            status = Math.max(status, runPair(out, common, "ring-spsc-" + common.size + "B", "rtt", params, true));
            return status;
        }
    }

    @Command(name = "ring-tput", mixinStandardHelpOptions = true,
            description = {"One-way throughput: process A claims, writes and commits messages as fast as the ring takes them; "
                    + "B reads them in place. After the warm-up, 5 rounds; the median is printed.",
                    "Metrics msgs_per_s and MB_per_s (payload bytes)."})
    static final class RingTput implements Callable<Integer> {
        @Mixin BenchOptions common;
        @Spec CommandSpec spec;
        @Option(names = "--kind", paramLabel = "KIND", defaultValue = "spsc",
                description = "spsc, mpsc or mpmc (default: ${DEFAULT-VALUE}).")
        String kind;
        @Option(names = "--batch", paramLabel = "N", defaultValue = "0",
                description = "Claim and commit N messages at a time (tryClaimBatch/commitBatch); 0: one at a time.")
        int batch;
        @Option(names = "--seconds", paramLabel = "S", defaultValue = "2.5",
                description = "Measuring time (default: ${DEFAULT-VALUE}).")
        double seconds;

        @Override
        public Integer call() throws Exception {
            common.check();
            RingKind k = switch (kind.toLowerCase(Locale.ROOT)) {
                case "spsc" -> RingKind.SPSC;
                case "mpsc" -> RingKind.MPSC;
                case "mpmc" -> RingKind.MPMC;
                default -> throw new UsageException("--kind must be spsc, mpsc or mpmc, was '" + kind + "'");
            };
            if (batch < 0) throw new UsageException("--batch must not be negative");
            if (batch > 0 && (long) SharedRing.batchStride((int) common.size) * batch > common.capacity / 8) {
                throw new UsageException("a batch of " + batch + " messages of " + common.size + " bytes does not fit an eighth of the capacity");
            }
            if (seconds <= 0) throw new UsageException("--seconds must be positive");
            String name = "ring-" + k.name().toLowerCase(Locale.ROOT) + "-" + common.size + "B" + (batch > 0 ? "-batch" + batch : "");
            return runPair(spec.commandLine().getOut(), common, name, "tput",
                    common.size + " " + seconds + " " + common.warmup + " " + k.name() + " " + batch, true);
        }
    }

    // ------------------------------------------------------------------ the orchestrating process

    /** Creates the shared objects, runs peers A and B, relays their lines; the exit status of the worse. */
    static int runPair(PrintWriter out, BenchOptions common, String name, String test, String params, boolean rings) throws Exception {
        String base = "/shmkit-bench-" + ProcessHandle.current().pid() + "-" + Integer.toHexString(ThreadLocalRandom.current().nextInt());
        String ctl = base + "-ctl", ab = base + "-ab", ba = base + "-ba";
        List<AutoCloseable> open = new ArrayList<>();
        try {
            open.add(SharedMemory.create(ctl, CONTROL_SIZE));
            if (rings) {
                RingKind kind = test.equals("tput") ? RingKind.valueOf(params.split(" ")[3]) : RingKind.SPSC;
                open.add(SharedRing.create(ab, common.capacity, kind));
                if (test.equals("rtt")) open.add(SharedRing.create(ba, common.capacity, kind));
            }
            boolean pin = !common.noPin && Runtime.getRuntime().availableProcessors() >= 2 && onPath("taskset");
            out.println("# " + name + ": two JVMs" + (pin ? ", pinned to CPUs 0 and 1" : ", not pinned") + ", ring capacity " + common.capacity);
            out.flush();
            String[] args = {name, test, ctl, ab, ba};
            Process a = start("A", args, params, common, pin ? "0" : null);
            Process b = start("B", args, params, common, pin ? "1" : null);
            Thread ta = Thread.ofPlatform().start(() -> relay(a, out));
            Thread tb = Thread.ofPlatform().start(() -> relay(b, out));
            boolean done = a.waitFor(10, TimeUnit.MINUTES) && b.waitFor(1, TimeUnit.MINUTES);
            if (!done) {
                a.destroyForcibly();
                b.destroyForcibly();
            }
            ta.join();
            tb.join();
            if (!done) throw new IllegalStateException(name + ": the benchmark processes did not finish");
            if (a.exitValue() != 0 || b.exitValue() != 0) {
                throw new IllegalStateException(name + ": the benchmark processes failed (exit codes " + a.exitValue() + ", " + b.exitValue() + ")");
            }
            return Main.OK;
        } finally {
            for (AutoCloseable c : open) c.close();
            for (String n : List.of(ctl, ab, ba)) SharedMemory.unlink(n);
        }
    }

    private static boolean onPath(String program) {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(":")) {
            if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, program))) return true;
        }
        return false;
    }

    /** A JVM like this one (launcher, module or class path) but with C2, running {@code shmkit bench peer}. */
    static Process start(String role, String[] args, String params, BenchOptions common, String cpu) throws IOException {
        List<String> cmd = new ArrayList<>();
        if (cpu != null) cmd.addAll(List.of("taskset", "-c", cpu));
        cmd.add(ProcessHandle.current().info().command().orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        cmd.addAll(List.of("-XX:+UseSerialGC", "-Xms128m", "-Xmx256m", "-Xshare:auto"));
        cmd.addAll(common.jvmOptions);
        String modulePath = System.getProperty("jdk.module.path");
        if (modulePath != null && Main.class.getModule().isNamed()) {
            cmd.addAll(List.of("--enable-native-access=dev.shmkit.bindings", "-p", modulePath, "-m", "dev.shmkit.cli/" + Main.class.getName()));
        } else {
            cmd.addAll(List.of("--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"), Main.class.getName()));
        }
        cmd.addAll(List.of("bench", "peer", role));
        cmd.addAll(List.of(args));
        cmd.addAll(List.of(params.split(" ")));
        return new ProcessBuilder(cmd).redirectErrorStream(true).start();
    }

    private static void relay(Process p, PrintWriter out) {
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            for (String line; (line = r.readLine()) != null; ) {
                if (line.startsWith("WARNING:") || line.isBlank()) continue;
                synchronized (out) {
                    out.println(line);
                    out.flush();
                }
            }
        } catch (IOException e) {
            synchronized (out) {
                out.println("# relay: " + e);
            }
        }
    }

    // ------------------------------------------------------------------ the two benchmark processes

    /** {@code shmkit bench peer A|B NAME TEST CTL AB BA PARAMS...}: one side of a benchmark. */
    @Command(name = "peer", hidden = true, description = "One side of a benchmark (started by the others).")
    static final class Peer implements Callable<Integer> {
        @Parameters List<String> args;

        String name;
        MemorySegment ctl;

        @Override
        public Integer call() throws Exception {
            String role = args.get(0);
            name = args.get(1);
            String test = args.get(2);
            boolean isA = role.equals("A");
            String ab = args.get(4), ba = args.get(5);
            List<String> p = args.subList(6, args.size());
            try (SharedMemory c = SharedMemory.open(args.get(3))) {
                ctl = c.segment();
                switch (test) {
                    case "raw" -> {
                        long iterations = Long.parseLong(p.get(1));
                        double warmup = Double.parseDouble(p.get(2));
                        ready();
                        if (isA) raw(iterations, warmup);
                        else rawEcho();
                    }
                    case "rtt" -> {
                        int size = Integer.parseInt(p.get(0));
                        try (SharedRing out = SharedRing.open(isA ? ab : ba); SharedRing in = SharedRing.open(isA ? ba : ab)) {
                            Rtt rtt = new Rtt(out, in, size);
                            ready();
                            if (isA) rtt.ping(this, Long.parseLong(p.get(1)), Double.parseDouble(p.get(2)));
                            else rtt.echo(this);
                        }
                    }
                    case "tput" -> {
                        int size = Integer.parseInt(p.get(0));
                        try (SharedRing ring = SharedRing.open(ab)) {
                            if (isA) {
                                Producer producer = new Producer(ring, size, Integer.parseInt(p.get(4)));
                                ready();
                                producer.run(this);
                            } else {
                                Consumer consumer = new Consumer(ring);
                                ring.read(consumer, 0);
                                ready();
                                consumer.run(this, size, Double.parseDouble(p.get(1)), Double.parseDouble(p.get(2)));
                            }
                        }
                    }
                    default -> throw new IllegalArgumentException(test);
                }
            }
            System.out.flush();
            return Main.OK;
        }

        void ready() {
            LONG.getAndAdd(ctl, READY, 1L);
            while ((long) LONG.getVolatile(ctl, READY) < 2) Thread.onSpinWait();
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

        void percentiles(long[] samples) {
            Arrays.sort(samples);
            emit("rtt_p50", samples[(int) Math.min(samples.length - 1, samples.length * 50L / 100)], "ns");
            emit("rtt_p99", samples[(int) Math.min(samples.length - 1, samples.length * 99L / 100)], "ns");
            long sum = 0;
            for (long s : samples) sum += s;
            System.out.printf(Locale.ROOT, "# %s: %,d round trips, mean %.0f, min %d, p99.9 %d, max %d ns%n", name, samples.length,
                    (double) sum / samples.length, samples[0], samples[(int) Math.min(samples.length - 1, samples.length * 999L / 1000)],
                    samples[samples.length - 1]);
        }

        // ------------------------------------------------------------------ raw ping-pong

        void raw(long iterations, double warmup) {
            long[] samples = new long[(int) iterations];
            long v = 1;
            long warmEnd = System.nanoTime() + (long) (warmup * 1e9);
            while (System.nanoTime() < warmEnd) v = rawRound(v, samples, 0, Math.min(1_000, samples.length), false);
            for (int at = 0; at < samples.length; at += 10_000) v = rawRound(v, samples, at, Math.min(10_000, samples.length - at), true);
            LONG.setVolatile(ctl, PINGPONG, -1L);
            percentiles(samples);
        }

        long rawRound(long v, long[] samples, int at, int n, boolean record) {
            MemorySegment c = ctl;
            for (int i = 0; i < n; i++) {
                long t0 = System.nanoTime();
                LONG.setRelease(c, PINGPONG, v);
                while ((long) LONG.getAcquire(c, PINGPONG) != v + 1) Thread.onSpinWait();
                long t1 = System.nanoTime();
                if (record) samples[at + i] = t1 - t0;
                v += 2;
            }
            return v;
        }

        void rawEcho() {
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
    }

    /** Ring ping-pong: A sends, B echoes the message back on the other ring; both busy-poll. */
    static final class Rtt implements MessageHandler {
        final SharedRing out, in;
        final MemorySegment outBuf, src;
        final int size;
        boolean echoing;
        long got;

        Rtt(SharedRing out, SharedRing in, int size) {
            this.out = out;
            this.in = in;
            this.outBuf = out.buffer();
            this.src = Arena.ofAuto().allocate(size, 8);
            this.size = size;
            in.read(this, 0); // register as the consumer
        }

        void ping(Peer peer, long iterations, double warmup) {
            long[] samples = new long[(int) iterations];
            long v = 1;
            long warmEnd = System.nanoTime() + (long) (warmup * 1e9);
            while (System.nanoTime() < warmEnd) v = round(v, samples, 0, Math.min(1_000, samples.length), false);
            for (int at = 0; at < samples.length; at += 10_000) v = round(v, samples, at, Math.min(10_000, samples.length - at), true);
            peer.stop();
            peer.percentiles(samples);
        }

        long round(long v, long[] samples, int at, int n, boolean record) {
            for (int i = 0; i < n; i++) {
                long t0 = System.nanoTime();
                send(v);
                echoing = false;
                while (in.read(this, 1) == 0) Thread.onSpinWait();
                long t1 = System.nanoTime();
                if (got != v) throw new IllegalStateException("echo " + got + " for " + v);
                if (record) samples[at + i] = t1 - t0;
                v++;
            }
            return v;
        }

        void echo(Peer peer) {
            echoing = true;
            while (true) {
                if (in.read(this, 1) == 0) {
                    if (peer.stopped()) return;
                    Thread.onSpinWait();
                }
            }
        }

        void send(long v) {
            long index;
            while ((index = out.tryClaim(TYPE, size)) < 0) Thread.onSpinWait();
            if (size > 8) MemorySegment.copy(src, 0, outBuf, index, size);
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

    /** Streams messages until the consumer says stop. */
    static final class Producer {
        final SharedRing ring;
        final MemorySegment buf, src;
        final int size, batch, stride;
        long seq;

        Producer(SharedRing ring, int size, int batch) {
            this.ring = ring;
            this.buf = ring.buffer();
            this.src = Arena.ofAuto().allocate(size, 8);
            this.size = size;
            this.batch = batch;
            this.stride = SharedRing.batchStride(size);
        }

        void run(Peer peer) {
            while (batch > 0 ? batches(peer, 16) : singles(peer, 4096)) {
                // until stopped
            }
        }

        boolean singles(Peer peer, int n) {
            for (int i = 0; i < n; i++) {
                long index;
                while ((index = ring.tryClaim(TYPE, size)) < 0) {
                    if (peer.stopped()) return false;
                    Thread.onSpinWait();
                }
                if (size > 8) MemorySegment.copy(src, 0, buf, index, size);
                buf.set(ValueLayout.JAVA_LONG, index, seq++);
                ring.commit(index);
            }
            return true;
        }

        boolean batches(Peer peer, int n) {
            for (int b = 0; b < n; b++) {
                long index;
                while ((index = ring.tryClaimBatch(TYPE, size, batch)) < 0) {
                    if (peer.stopped()) return false;
                    Thread.onSpinWait();
                }
                for (int i = 0; i < batch; i++) {
                    long at = index + (long) i * stride;
                    if (size > 8) MemorySegment.copy(src, 0, buf, at, size);
                    buf.set(ValueLayout.JAVA_LONG, at, seq++);
                }
                ring.commitBatch(index, size, batch);
            }
            return true;
        }
    }

    /** Counts messages (reading the first 8 bytes of each) in timed rounds. */
    static final class Consumer implements MessageHandler {
        final SharedRing ring;
        long sum;

        Consumer(SharedRing ring) {
            this.ring = ring;
        }

        @Override
        public void onMessage(int typeId, MemorySegment buffer, long index, int length) {
            sum += buffer.get(ValueLayout.JAVA_LONG, index);
        }

        void run(Peer peer, int size, double seconds, double warmup) {
            long count = 0;
            while (count == 0) count += ring.read(this, Integer.MAX_VALUE);
            long warmEnd = System.nanoTime() + (long) (warmup * 1e9);
            while (System.nanoTime() < warmEnd) count += ring.read(this, Integer.MAX_VALUE);
            int rounds = 5;
            long roundNanos = (long) (seconds * 1e9 / rounds);
            double[] rates = new double[rounds];
            for (int r = 0; r < rounds; r++) {
                long c0 = count, t0 = System.nanoTime(), end = t0 + roundNanos, t;
                while ((t = System.nanoTime()) < end) {
                    int n = ring.read(this, Integer.MAX_VALUE);
                    if (n == 0) Thread.onSpinWait();
                    count += n;
                }
                rates[r] = (count - c0) * 1e9 / (t - t0);
            }
            peer.stop();
            while (ring.read(this, Integer.MAX_VALUE) > 0) {
                // free the ring so that a producer waiting for room sees the stop flag
            }
            double[] sorted = rates.clone();
            Arrays.sort(sorted);
            double median = sorted[rounds / 2];
            peer.emit("msgs_per_s", Math.round(median), "msg/s");
            peer.emit("MB_per_s", median * size / 1e6, "MB/s");
            StringBuilder sb = new StringBuilder();
            for (double d : rates) sb.append(String.format(Locale.ROOT, " %.2f", d / 1e6));
            System.out.printf(Locale.ROOT, "# %s: rounds (M msg/s):%s; %,d messages (checksum %x)%n", peer.name, sb, count, sum);
        }
    }
}
