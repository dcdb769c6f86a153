package dev.shmkit.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

import dev.shmkit.ring.SharedRing;

/**
 * {@code shmkit bench ...}: the cross-process ring benchmarks, run by {@link RingBench} (the
 * harness {@code dev.shmkit.benchmarks.CrossProcessRing} also runs, with Agrona beside shmkit).
 * Each figure is measured between fresh JVMs started from this one (same launcher, module or class
 * path, but with the C2 compiler), pinned to CPUs 0 and 1 with {@code taskset} when there are two
 * CPUs. Output: one {@code name metric value unit} line per figure, details on {@code #} lines.
 */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = {"Cross-process ring benchmarks between JVMs (pinned to CPUs 0 and 1 when possible).",
                "Prints one 'name metric value unit' line per figure; 'rings' also the issue-10 ratios."},
        subcommands = {BenchCommand.Rings.class, BenchCommand.RingRtt.class, BenchCommand.RingTput.class, BenchCommand.Peer.class})
final class BenchCommand {

    /** Options every benchmark has. */
    static final class BenchOptions {
        @Mixin Common.DebugOption debug;
        @Option(names = "--capacity", paramLabel = "BYTES", defaultValue = "1M", converter = Common.SizeConverter.class,
                description = "Ring capacity, a power of two (default: ${DEFAULT-VALUE}).")
        long capacity;
        @Option(names = "--no-pin", description = "Do not pin the processes to CPUs 0 and 1.")
        boolean noPin;
        @Option(names = "--jvm-option", paramLabel = "OPTION", description = "An extra option for the benchmark JVMs (repeatable).")
        List<String> jvmOptions = new ArrayList<>();

        RingBench.Options options() {
            RingBench.Options o = new RingBench.Options();
            o.capacity = capacity;
            o.pin = !noPin;
            return o;
        }
    }

    /** Size and warm-up of the single-figure commands. */
    static final class FigureOptions {
        @Option(names = "--size", paramLabel = "BYTES", defaultValue = "8", converter = Common.SizeConverter.class,
                description = "Message payload size (default: ${DEFAULT-VALUE}).")
        long size;
        @Option(names = "--warmup", paramLabel = "SECONDS", defaultValue = "1.5",
                description = "Warm-up before measuring, in seconds (default: ${DEFAULT-VALUE}).")
        double warmup;

        void check(long capacity) {
            if (size < 8 || size > capacity / 8 - 8) {
                throw new UsageException("--size must be from 8 to " + (capacity / 8 - 8) + " bytes (an eighth of the capacity, less the header), was " + size);
            }
            if (warmup < 0) throw new UsageException("--warmup must not be negative");
        }
    }

    static int run(List<RingBench.Scenario> list, RingBench.Options o, BenchOptions common, PrintWriter out, boolean summary) {
        try {
            o.check();
        } catch (IllegalArgumentException e) {
            throw new UsageException(e.getMessage());
        }
        int failures = RingBench.run(list, o, null, launcher(common.jvmOptions), out, summary);
        if (failures > 0) throw new IllegalStateException(failures + " benchmark run(s) failed (see the '#' lines)");
        return Main.OK;
    }

    @Command(name = "rings", mixinStandardHelpOptions = true,
            description = {"Every shmkit figure of issue 10 in one run (RingBench), then one 'ratio NAME value target verdict' line per target.",
                    "The figures (docs/benchmarks.md, \"Rings\"): busy-polling round trips with the paired "
                    + "raw ping-pong, one-way throughput (SPSC 8 B, 64 B, 4 KiB, batch, MPSC with 1 and 2 producers, MPMC), the blocking "
                    + "round trip against a C futex ping-pong, the CPU of an idle consumer, SharedQueue<Integer> against Python's "
                    + "multiprocessing.Queue.",
                    "The Agrona figures (and their ratios, n/a here) need dev.shmkit.benchmarks.CrossProcessRing (scripts/bench)."})
    static final class Rings implements Callable<Integer> {
        @Mixin BenchOptions common;
        @Spec CommandSpec spec;
        @Option(names = "--only", paramLabel = "REGEX", description = "Only the scenarios whose name contains a match (see --list).")
        String only;
        @Option(names = "--seconds", paramLabel = "S", defaultValue = "3", description = "Measuring time per throughput figure (default: ${DEFAULT-VALUE}).")
        double seconds;
        @Option(names = "--rtt-iterations", paramLabel = "N", defaultValue = "2000000", description = "Busy-polling round trips (default: ${DEFAULT-VALUE}).")
        long rttIterations;
        @Option(names = "--wake-iterations", paramLabel = "N", defaultValue = "100000", description = "Blocking round trips (default: ${DEFAULT-VALUE}).")
        long wakeIterations;
        @Option(names = "--idle-seconds", paramLabel = "S", defaultValue = "1", description = "How long the idle consumer is watched (default: ${DEFAULT-VALUE}).")
        double idleSeconds;
        @Option(names = "--warmup", paramLabel = "S", description = "Warm-up per figure (default: 2 s for round trips, 1 s otherwise).")
        Double warmup;
        @Option(names = "--repeat", paramLabel = "N", defaultValue = "1", description = "Run the list N times, interleaved; the ratios use the medians.")
        int repeat;
        @Option(names = "--no-python", description = "Skip Python's multiprocessing.Queue.")
        boolean noPython;
        @Option(names = "--no-c", description = "Skip the C futex ping-pong.")
        boolean noC;
        @Option(names = "--producer2-cpu", paramLabel = "N", defaultValue = "0", description = "CPU of the second producer in the 2-producer scenario (default: ${DEFAULT-VALUE}).")
        int producer2Cpu;
        @Option(names = "--root", paramLabel = "DIR", description = "The project directory (benchmarks/c, benchmarks/python); found by itself when run from it.")
        Path root;
        @Option(names = "--list", description = "List the scenarios and exit.")
        boolean list;

        @Override
        public Integer call() {
            RingBench.Options o = common.options();
            try {
                o.only = only == null ? null : Pattern.compile(only);
            } catch (PatternSyntaxException e) {
                throw new UsageException("--only: " + e.getDescription());
            }
            o.seconds = seconds;
            o.rttIterations = rttIterations;
            o.wakeIterations = wakeIterations;
            o.idleSeconds = idleSeconds;
            o.warmup = warmup == null ? -1 : warmup;
            o.repeat = repeat;
            o.python = !noPython;
            o.c = !noC;
            o.producer2Cpu = producer2Cpu;
            o.root = root;
            o.list = list;
            return run(list && only == null ? RingBench.scenarios() : RingBench.select(RingBench.scenarios(), o), o, common, spec.commandLine().getOut(), true);
        }
    }

    @Command(name = "ring-rtt", mixinStandardHelpOptions = true,
            description = {"Round-trip latency: process A sends a message on an SPSC ring, B echoes it on another; "
                    + "A times each round trip. First the floor: a raw ping-pong of one shared long (raw-pingpong); the ring's "
                    + "rounds alternate with raw ping-pongs between the same two processes (NAME-raw-paired).",
                    "Metrics rtt_p50 and rtt_p99 (ns)."})
    static final class RingRtt implements Callable<Integer> {
        @Mixin BenchOptions common;
        @Mixin FigureOptions figure;
        @Spec CommandSpec spec;
        @Option(names = "--iterations", paramLabel = "N", defaultValue = "1000000",
                description = "Measured round trips (default: ${DEFAULT-VALUE}).")
        long iterations;
        @Option(names = "--no-baseline", description = "Skip the separate raw ping-pong.")
        boolean noBaseline;

        @Override
        public Integer call() {
            RingBench.Options o = common.options();
            figure.check(o.capacity);
            if (iterations < 1 || iterations > 100_000_000) throw new UsageException("--iterations must be from 1 to 100000000");
            o.rttIterations = iterations;
            o.warmup = figure.warmup;
            List<RingBench.Scenario> list = new ArrayList<>();
            if (!noBaseline) list.add(new RingBench.Scenario("raw-pingpong", "raw", 8, ""));
            list.add(new RingBench.Scenario("ring-spsc-" + figure.size + "B", "shmkit-rtt", (int) figure.size, "SPSC"));
            return run(list, o, common, spec.commandLine().getOut(), false);
        }
    }

    @Command(name = "ring-tput", mixinStandardHelpOptions = true,
            description = {"One-way throughput: process A claims, writes and commits messages as fast as the ring takes them; "
                    + "B reads them in place. After the warm-up, rounds of 0.1 s; the median of the undisturbed ones is printed.",
                    "Metrics msgs_per_s and MB_per_s (payload bytes)."})
    static final class RingTput implements Callable<Integer> {
        @Mixin BenchOptions common;
        @Mixin FigureOptions figure;
        @Spec CommandSpec spec;
        @Option(names = "--kind", paramLabel = "KIND", defaultValue = "spsc",
                description = "spsc, mpsc or mpmc (default: ${DEFAULT-VALUE}).")
        String kind;
        @Option(names = "--batch", paramLabel = "N", defaultValue = "0",
                description = "Claim and commit N messages at a time (tryClaimBatch/commitBatch); 0: one at a time.")
        int batch;
        @Option(names = "--producers", paramLabel = "N", defaultValue = "1",
                description = "Producer processes, 1 or 2 (mpsc and mpmc; the second runs on CPU 0 beside the first).")
        int producers;
        @Option(names = "--seconds", paramLabel = "S", defaultValue = "2.5",
                description = "Measuring time (default: ${DEFAULT-VALUE}).")
        double seconds;

        @Override
        public Integer call() {
            RingBench.Options o = common.options();
            figure.check(o.capacity);
            String k = kind.toUpperCase(Locale.ROOT);
            if (!List.of("SPSC", "MPSC", "MPMC").contains(k)) throw new UsageException("--kind must be spsc, mpsc or mpmc, was '" + kind + "'");
            if (batch < 0) throw new UsageException("--batch must not be negative");
            if (batch > 0 && (long) SharedRing.batchStride((int) figure.size) * batch > o.capacity / 8) {
                throw new UsageException("a batch of " + batch + " messages of " + figure.size + " bytes does not fit an eighth of the capacity");
            }
            if (producers < 1 || producers > 2 || producers == 2 && k.equals("SPSC")) {
                throw new UsageException("--producers must be 1, or 2 with --kind mpsc or mpmc");
            }
            if (!(seconds > 0)) throw new UsageException("--seconds must be positive");
            o.seconds = seconds;
            o.warmup = figure.warmup;
            String name = "ring-" + k.toLowerCase(Locale.ROOT) + "-" + figure.size + "B" + (batch > 0 ? "-batch" + batch : "") + (producers > 1 ? "-2p" : "");
            RingBench.Scenario sc = new RingBench.Scenario(name, "shmkit-tput", (int) figure.size, k, batch, producers, true);
            return run(List.of(sc), o, common, spec.commandLine().getOut(), false);
        }
    }

    // ------------------------------------------------------------------ the benchmark processes

    /** A JVM like this one (launcher, module or class path) but with C2, running {@code shmkit bench peer}. */
    static RingBench.Launcher launcher(List<String> extra) {
        return jvmOptions -> {
            List<String> cmd = new ArrayList<>();
            cmd.add(ProcessHandle.current().info().command().orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
            cmd.addAll(jvmOptions);
            cmd.add("-Xshare:auto");
            cmd.addAll(extra);
            String modulePath = System.getProperty("jdk.module.path");
            if (modulePath != null && Main.class.getModule().isNamed()) {
                cmd.addAll(List.of("--enable-native-access=dev.shmkit.bindings", "-p", modulePath, "-m", "dev.shmkit.cli/" + Main.class.getName()));
            } else {
                cmd.addAll(List.of("--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"), Main.class.getName()));
            }
            cmd.addAll(List.of("bench", "peer", "--")); // "--": the role arguments may start with '-'
            return cmd;
        };
    }

    /** {@code shmkit bench peer ARGS...}: one side of a benchmark (RingBench's role arguments). */
    @Command(name = "peer", hidden = true, description = "One side of a benchmark (started by the others).")
    static final class Peer implements Callable<Integer> {
        @Parameters List<String> args;

        @Override
        public Integer call() throws Exception {
            RingBench.role(args.toArray(String[]::new), null);
            return Main.OK;
        }
    }
}
