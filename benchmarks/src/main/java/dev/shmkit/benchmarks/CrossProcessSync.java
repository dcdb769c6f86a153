package dev.shmkit.benchmarks;

import dev.shmkit.shm.SharedMemory;
import dev.shmkit.sync.NamedSemaphore;
import dev.shmkit.sync.SharedBarrier;
import dev.shmkit.sync.SharedCondition;
import dev.shmkit.sync.SharedEvent;
import dev.shmkit.sync.SharedLock;
import dev.shmkit.sync.SharedSemaphore;

import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Lock;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;
import java.util.regex.Pattern;

/**
 * Cross-process costs of shmkit's synchronization primitives: a plain {@code main} (not JMH),
 * because JMH cannot put the two sides of a handoff in two processes. The parent starts a second
 * JVM on the same class path ({@code java --enable-native-access=ALL-UNNAMED -cp <this class
 * path> dev.shmkit.benchmarks.CrossProcessSync --child ...}) for every scenario and prints one
 * {@code name metric value unit} line per figure, e.g. {@code lock_pingpong_steady rtt_p50 0.62 us}.
 *
 * <h2>Handoff latency (ping-pong)</h2>
 * The parent (the initiator) sends a ping, the child answers with a pong; the parent times each
 * round trip with {@link System#nanoTime()}. After {@code --warmup} unrecorded round trips come
 * {@code --round-trips} recorded back to back ("steady") and {@code --idle-round-trips} recorded
 * with a pause of {@code --pause-us} in the initiator before each ("idle": by then the responder
 * has given up spinning and sleeps in the kernel). Median and 99th percentile are printed; the
 * mean, minimum and maximum go to a {@code #} comment line.
 * <ul>
 *   <li>{@code event_pingpong}: two {@link SharedEvent}s; set / await / clear each way.</li>
 *   <li>{@code semaphore_pingpong}: two {@link SharedSemaphore}s starting at 0; release one,
 *       acquire the other.</li>
 *   <li>{@code named_semaphore_pingpong}: the same with two {@link NamedSemaphore}s (glibc's
 *       {@code sem_t}, what Python's {@code multiprocessing.Lock} is made of).</li>
 *   <li>{@code lock_pingpong}: three {@link SharedLock}s handed round: the initiator holds two,
 *       the responder one; each round the initiator unlocks the one the responder waits for and
 *       locks the one the responder will unlock next. A pure lock handoff, so it shows
 *       {@link SharedLock}'s spin-then-sleep acquire. (Locks are taken with
 *       {@code tryLock(30 s)}, which has {@code lock()}'s fast path and spin, so a dead peer
 *       cannot hang the harness.)</li>
 *   <li>{@code condition_pingpong}: a {@link SharedLock}, a {@link SharedCondition} and a turn
 *       word, the textbook condition-variable handoff (Python's {@code Condition}).</li>
 * </ul>
 *
 * <h2>Contended throughput</h2>
 * {@code lock_contended_2proc}: parent and child each do {@code --ops} lock/unlock pairs on one
 * {@link SharedLock}, incrementing a counter in shared memory inside (checked at the end), after
 * a contended warm-up; the figure is all pairs over the wall time from the common start (a
 * {@link SharedBarrier}) until both finished. {@code overlap} is the shorter process's time over
 * the longer's: below 1, the tail ran uncontended. References in one process:
 * {@code lock_uncontended_loop} (one thread), {@code lock_contended_2threads} (two threads, one
 * {@link SharedLock}) and {@code juc_lock_contended_2threads} ({@link ReentrantLock}).
 *
 * <h2>Cleaning up</h2>
 * Each scenario's objects live in one POSIX shared memory object (and, for
 * {@code named_semaphore_pingpong}, two named semaphores), named
 * {@code shmkit-bench-<pid>-xps-...}. The parent unlinks them as soon as the child has attached
 * (both keep their mappings), in a {@code finally}, and in a shutdown hook (SIGINT, SIGTERM);
 * the child exits, unlinking them too, when its standard input (a pipe from the parent) closes,
 * i.e. when the parent dies. Every wait has a timeout ({@code --timeout-s}).
 *
 * <p>Options: {@code -k} round trips (20000), {@code -i} idle round trips (2000), {@code -w}
 * warm-up round trips (5000), {@code -p} pause in µs (1000), {@code -N} lock pairs per process
 * (2000000), {@code --only REGEX} scenarios to run, {@code --timeout-s} (30).
 */
public final class CrossProcessSync {
    private CrossProcessSync() {}

    static final long SEGMENT_SIZE = 16 * 1024;
    /** Object slots in the segment, 1 KiB apart: each gets cache lines of its own. */
    static final long ATTACHED = 0, BARRIER = 1024, A = 2048, B = 3072, C = 4096, DATA = 5120, DATA2 = 6144;

    static final Set<String> SHM_NAMES = ConcurrentHashMap.newKeySet();
    static final Set<String> SEM_NAMES = ConcurrentHashMap.newKeySet();
    static final Set<Process> CHILDREN = ConcurrentHashMap.newKeySet();

    static int roundTrips = 20_000;
    static int idleRoundTrips = 2_000;
    static int warmup = 5_000;
    static long pauseNanos = 1_000_000;
    static long ops = 2_000_000;
    static long timeoutSeconds = 30;

    public static void main(String[] args) throws Exception {
        if (args.length > 0 && args[0].equals("--child")) {
            child(args);
            return;
        }
        Pattern only = Pattern.compile(".*");
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            switch (a) {
                case "-k", "--round-trips" -> roundTrips = Integer.parseInt(args[++i]);
                case "-i", "--idle-round-trips" -> idleRoundTrips = Integer.parseInt(args[++i]);
                case "-w", "--warmup" -> warmup = Integer.parseInt(args[++i]);
                case "-p", "--pause-us" -> pauseNanos = Long.parseLong(args[++i]) * 1000;
                case "-N", "--ops" -> ops = Long.parseLong(args[++i]);
                case "--only" -> only = Pattern.compile(args[++i]);
                case "--timeout-s" -> timeoutSeconds = Long.parseLong(args[++i]);
                case "-h", "--help" -> {
                    System.out.println("usage: CrossProcessSync [-k round trips] [-i idle round trips] [-w warm-up round trips]"
                            + " [-p pause us] [-N lock pairs per process] [--only REGEX] [--timeout-s S]");
                    return;
                }
                default -> throw new IllegalArgumentException("unknown option " + a + " (try --help)");
            }
        }
        if (roundTrips < 100 || idleRoundTrips < 0 || warmup < 0 || pauseNanos < 0 || ops < 1000 || timeoutSeconds < 1) {
            throw new IllegalArgumentException("need -k >= 100, -N >= 1000, -i, -w, -p >= 0, --timeout-s >= 1");
        }
        Runtime.getRuntime().addShutdownHook(new Thread(CrossProcessSync::cleanUp, "shmkit-bench-cleanup"));
        System.out.printf(Locale.ROOT, "# CrossProcessSync: pid %d, %s, %d CPUs, load average %s; %d warm-up + %d steady + %d idle"
                        + " round trips (pause %d us); %d lock pairs per process%n",
                ProcessHandle.current().pid(), System.getProperty("java.vm.version"), Runtime.getRuntime().availableProcessors(),
                loadAverage(), warmup, roundTrips, idleRoundTrips, pauseNanos / 1000, ops);

        List<Scenario> scenarios = List.of(new EventPingPong(), new SemaphorePingPong(), new NamedSemaphorePingPong(),
                new LockPingPong(), new ConditionPingPong(), new LockContended());
        boolean failed = false;
        for (Scenario s : scenarios) {
            if (!only.matcher(s.name).find()) continue;
            try {
                runParent(s);
            } catch (Exception | Error e) {
                failed = true;
                System.out.flush();
                System.err.println("CrossProcessSync: " + s.name + " failed: " + e);
                e.printStackTrace();
            } finally {
                cleanUp();
            }
        }
        if (only.matcher("lock_uncontended_loop").find()) inProcessReferences();
        System.out.printf(Locale.ROOT, "# CrossProcessSync: done, load average %s%n", loadAverage());
        System.out.flush();
        if (failed) System.exit(1);
    }

    // ------------------------------------------------------------------ parent side

    /** Creates the scenario's segment, starts the child, waits for it to attach, runs, cleans up. */
    static void runParent(Scenario s) throws Exception {
        String base = "shmkit-bench-" + ProcessHandle.current().pid() + "-xps-" + s.name;
        SHM_NAMES.add(base);
        SharedMemory.unlink(base); // a stale one from a killed run with the same pid
        Process child = null;
        try (SharedMemory shm = SharedMemory.create(base, SEGMENT_SIZE)) {
            MemorySegment seg = shm.segment();
            SharedEvent attached = SharedEvent.create(seg, ATTACHED);
            s.parentSetUp(seg, base);
            child = startChild(s.name, base);
            awaitAttached(attached, child);
            unlinkNames(); // both processes have everything mapped or open: the names can go now
            s.parentRun(seg, child);
            if (!child.waitFor(timeoutSeconds, TimeUnit.SECONDS)) throw new IllegalStateException("the child did not exit");
            if (child.exitValue() != 0) throw new IllegalStateException("the child exited with " + child.exitValue());
            s.parentTearDown(seg);
        } finally {
            if (child != null) {
                if (child.isAlive()) child.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                CHILDREN.remove(child);
            }
        }
    }

    static Process startChild(String scenario, String base) throws IOException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> cmd = List.of(java, "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"),
                CrossProcessSync.class.getName(), "--child", scenario, base,
                Integer.toString(warmup + roundTrips + idleRoundTrips), Long.toString(ops), Long.toString(timeoutSeconds));
        Process p = new ProcessBuilder(cmd)
                .redirectInput(ProcessBuilder.Redirect.PIPE) // the child exits when this pipe closes
                .redirectOutput(ProcessBuilder.Redirect.INHERIT)
                .redirectError(ProcessBuilder.Redirect.INHERIT)
                .start();
        CHILDREN.add(p);
        return p;
    }

    static void awaitAttached(SharedEvent attached, Process child) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(timeoutSeconds);
        while (!attached.await(100, TimeUnit.MILLISECONDS)) {
            if (!child.isAlive()) throw new IllegalStateException("the child exited with " + child.exitValue() + " before attaching");
            if (System.nanoTime() > deadline) throw new IllegalStateException("the child did not attach within " + timeoutSeconds + " s");
        }
    }

    static String loadAverage() {
        try {
            String[] f = java.nio.file.Files.readString(Path.of("/proc/loadavg")).split(" ");
            return f[0] + " " + f[1] + " " + f[2];
        } catch (IOException | RuntimeException e) {
            return "?";
        }
    }

    /** Kills children still running and unlinks every name still registered; safe to call twice. */
    static void cleanUp() {
        for (Process p : CHILDREN) p.destroyForcibly();
        unlinkNames();
    }

    static void unlinkNames() {
        for (String n : SHM_NAMES) {
            try {
                SharedMemory.unlink(n);
                SHM_NAMES.remove(n);
            } catch (RuntimeException e) {
                System.err.println("CrossProcessSync: could not unlink " + n + ": " + e);
            }
        }
        for (String n : SEM_NAMES) {
            try {
                NamedSemaphore.unlink(n);
                SEM_NAMES.remove(n);
            } catch (RuntimeException e) {
                System.err.println("CrossProcessSync: could not unlink semaphore " + n + ": " + e);
            }
        }
    }

    /** Warm-up, then steady and idle round trips, timed; prints the percentiles. */
    static void pingPong(String name, RoundTrip roundTrip) throws Exception {
        int total = warmup + roundTrips + idleRoundTrips;
        long[] rtt = new long[roundTrips + idleRoundTrips];
        long[] before = null, middle = null;
        for (int i = 0; i < total; i++) {
            if (i == warmup) before = contextSwitches();
            if (i == warmup + roundTrips) middle = contextSwitches();
            if (i >= warmup + roundTrips) LockSupport.parkNanos(pauseNanos); // benchmark pacing, not synchronization
            long t0 = System.nanoTime();
            roundTrip.run(i);
            long t = System.nanoTime() - t0;
            if (i >= warmup) rtt[i - warmup] = t;
        }
        long[] after = contextSwitches();
        if (middle == null) middle = after;
        report(name + "_steady", Arrays.copyOfRange(rtt, 0, roundTrips), before, middle, 0);
        if (idleRoundTrips > 0) report(name + "_idle", Arrays.copyOfRange(rtt, roundTrips, rtt.length), middle, after, 1);
    }

    /**
     * Prints the percentiles, and in a comment the spread and the initiator thread's context
     * switches per round trip ({@code before} and {@code after} from {@link #contextSwitches()},
     * less {@code pacingSleeps} voluntary ones per round trip that the pacing pause accounts for).
     */
    static void report(String name, long[] rtt, long[] before, long[] after, int pacingSleeps) {
        Arrays.sort(rtt);
        int n = rtt.length;
        double mean = Arrays.stream(rtt).average().orElse(Double.NaN);
        System.out.printf(Locale.ROOT, "%s rtt_p50 %.2f us%n", name, rtt[n / 2] / 1e3);
        System.out.printf(Locale.ROOT, "%s rtt_p99 %.2f us%n", name, rtt[(int) (n * 0.99)] / 1e3);
        String switches = before == null || after == null ? "" : String.format(Locale.ROOT,
                "; initiator sleeps %.2f, preemptions %.2f per round trip",
                (double) (after[0] - before[0]) / n - pacingSleeps, (double) (after[1] - before[1]) / n);
        System.out.printf(Locale.ROOT, "# %s: %d round trips, mean %.2f min %.2f p90 %.2f p99.9 %.2f max %.2f us%s%n", name, n,
                mean / 1e3, rtt[0] / 1e3, rtt[(int) (n * 0.9)] / 1e3, rtt[(int) (n * 0.999)] / 1e3, rtt[n - 1] / 1e3, switches);
        System.out.flush();
    }

    /**
     * The calling thread's voluntary (it slept: a futex wait, a park) and involuntary (it was
     * preempted) context switches, from /proc/thread-self/status; null where there is no /proc.
     */
    static long[] contextSwitches() {
        try {
            long[] r = {-1, -1};
            for (String line : java.nio.file.Files.readAllLines(Path.of("/proc/thread-self/status"))) {
                if (line.startsWith("voluntary_ctxt_switches:")) r[0] = Long.parseLong(line.substring(24).trim());
                else if (line.startsWith("nonvoluntary_ctxt_switches:")) r[1] = Long.parseLong(line.substring(27).trim());
            }
            return r[0] < 0 || r[1] < 0 ? null : r;
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    @FunctionalInterface
    interface RoundTrip {
        void run(int i) throws Exception;
    }

    static void check(boolean ok, String what) {
        if (!ok) throw new IllegalStateException(what + " did not happen within " + timeoutSeconds + " s");
    }

    // ------------------------------------------------------------------ child side

    static void child(String[] args) throws Exception {
        String scenario = args[1];
        String base = args[2];
        int total = Integer.parseInt(args[3]);
        ops = Long.parseLong(args[4]);
        timeoutSeconds = Long.parseLong(args[5]);
        Thread watchdog = new Thread(() -> {
            try (InputStream in = System.in) {
                while (in.read() >= 0) { /* the parent never writes */ }
            } catch (IOException ignored) {
                // treated as EOF
            }
            // The parent is gone: remove what it may not have removed, and stop.
            SharedMemory.unlink(base);
            if (scenario.equals(NamedSemaphorePingPong.NAME)) {
                NamedSemaphore.unlink(NamedSemaphorePingPong.ping(base));
                NamedSemaphore.unlink(NamedSemaphorePingPong.pong(base));
            }
            Runtime.getRuntime().halt(3);
        }, "parent-watchdog");
        watchdog.setDaemon(true);
        watchdog.start();
        Scenario s = switch (scenario) {
            case EventPingPong.NAME -> new EventPingPong();
            case SemaphorePingPong.NAME -> new SemaphorePingPong();
            case NamedSemaphorePingPong.NAME -> new NamedSemaphorePingPong();
            case LockPingPong.NAME -> new LockPingPong();
            case ConditionPingPong.NAME -> new ConditionPingPong();
            case LockContended.NAME -> new LockContended();
            default -> throw new IllegalArgumentException("unknown scenario " + scenario);
        };
        try (SharedMemory shm = SharedMemory.open(base)) {
            MemorySegment seg = shm.segment();
            SharedEvent attached = SharedEvent.open(seg, ATTACHED);
            s.childRun(seg, base, total, attached);
        }
    }

    // ------------------------------------------------------------------ scenarios

    abstract static class Scenario {
        final String name;

        Scenario(String name) {
            this.name = name;
        }

        /** Initializes the objects in the segment before the child starts. */
        abstract void parentSetUp(MemorySegment seg, String base) throws Exception;

        /** Runs and reports, after the child has attached. */
        abstract void parentRun(MemorySegment seg, Process child) throws Exception;

        /** After the child exited successfully: checks and releases what the parent holds. */
        void parentTearDown(MemorySegment seg) throws Exception {}

        /** Opens the objects, sets {@code attached}, runs {@code total} rounds. */
        abstract void childRun(MemorySegment seg, String base, int total, SharedEvent attached) throws Exception;
    }

    static final class EventPingPong extends Scenario {
        static final String NAME = "event_pingpong";
        SharedEvent ping, pong;

        EventPingPong() {
            super(NAME);
        }

        @Override
        void parentSetUp(MemorySegment seg, String base) {
            ping = SharedEvent.create(seg, A);
            pong = SharedEvent.create(seg, B);
        }

        @Override
        void parentRun(MemorySegment seg, Process child) throws Exception {
            pingPong(name, i -> {
                ping.set();
                check(pong.await(timeoutSeconds, TimeUnit.SECONDS), "pong");
                pong.clear();
            });
        }

        @Override
        void childRun(MemorySegment seg, String base, int total, SharedEvent attached) throws Exception {
            SharedEvent ping = SharedEvent.open(seg, A), pong = SharedEvent.open(seg, B);
            attached.set();
            for (int i = 0; i < total; i++) {
                check(ping.await(timeoutSeconds, TimeUnit.SECONDS), "ping");
                ping.clear();
                pong.set();
            }
        }
    }

    static final class SemaphorePingPong extends Scenario {
        static final String NAME = "semaphore_pingpong";
        SharedSemaphore ping, pong;

        SemaphorePingPong() {
            super(NAME);
        }

        @Override
        void parentSetUp(MemorySegment seg, String base) {
            ping = SharedSemaphore.create(seg, A, 0);
            pong = SharedSemaphore.create(seg, B, 0);
        }

        @Override
        void parentRun(MemorySegment seg, Process child) throws Exception {
            pingPong(name, i -> {
                ping.release();
                check(pong.tryAcquire(timeoutSeconds, TimeUnit.SECONDS), "pong");
            });
        }

        @Override
        void childRun(MemorySegment seg, String base, int total, SharedEvent attached) throws Exception {
            SharedSemaphore ping = SharedSemaphore.open(seg, A), pong = SharedSemaphore.open(seg, B);
            attached.set();
            for (int i = 0; i < total; i++) {
                check(ping.tryAcquire(timeoutSeconds, TimeUnit.SECONDS), "ping");
                pong.release();
            }
        }
    }

    static final class NamedSemaphorePingPong extends Scenario {
        static final String NAME = "named_semaphore_pingpong";
        NamedSemaphore ping, pong;

        NamedSemaphorePingPong() {
            super(NAME);
        }

        static String ping(String base) {
            return base + "-ping";
        }

        static String pong(String base) {
            return base + "-pong";
        }

        @Override
        void parentSetUp(MemorySegment seg, String base) {
            SEM_NAMES.add(ping(base));
            SEM_NAMES.add(pong(base));
            NamedSemaphore.unlink(ping(base));
            NamedSemaphore.unlink(pong(base));
            ping = NamedSemaphore.create(ping(base), 0);
            pong = NamedSemaphore.create(pong(base), 0);
        }

        @Override
        void parentRun(MemorySegment seg, Process child) throws Exception {
            pingPong(name, i -> {
                ping.release();
                check(pong.tryAcquire(timeoutSeconds, TimeUnit.SECONDS), "pong");
            });
        }

        @Override
        void parentTearDown(MemorySegment seg) {
            ping.close();
            pong.close();
        }

        @Override
        void childRun(MemorySegment seg, String base, int total, SharedEvent attached) throws Exception {
            try (NamedSemaphore ping = NamedSemaphore.open(ping(base)); NamedSemaphore pong = NamedSemaphore.open(pong(base))) {
                attached.set();
                for (int i = 0; i < total; i++) {
                    check(ping.tryAcquire(timeoutSeconds, TimeUnit.SECONDS), "ping");
                    pong.release();
                }
            }
        }
    }

    /**
     * Three locks handed round. After round r the initiator holds locks (r+1)%3 and (r+2)%3 and
     * the responder r%3. Round r: the initiator unlocks r%3 (ping) and locks (r+2)%3, which
     * the responder unlocks (pong) as soon as it has r%3.
     */
    static final class LockPingPong extends Scenario {
        static final String NAME = "lock_pingpong";
        static final long[] OFFSETS = {A, B, C};
        SharedLock[] locks;
        int total;

        LockPingPong() {
            super(NAME);
        }

        @Override
        void parentSetUp(MemorySegment seg, String base) throws Exception {
            locks = new SharedLock[3];
            for (int i = 0; i < 3; i++) locks[i] = SharedLock.create(seg, OFFSETS[i]);
            locks[0].lock();
            locks[1].lock();
        }

        @Override
        void parentRun(MemorySegment seg, Process child) throws Exception {
            total = warmup + roundTrips + idleRoundTrips;
            pingPong(name, r -> {
                locks[r % 3].unlock();
                check(locks[(r + 2) % 3].tryLock(timeoutSeconds, TimeUnit.SECONDS), "pong");
            });
        }

        @Override
        void parentTearDown(MemorySegment seg) {
            locks[total % 3].unlock();
            locks[(total + 1) % 3].unlock();
            long recoveries = 0;
            for (SharedLock l : locks) recoveries += l.recoveries();
            if (recoveries != 0) throw new IllegalStateException("a lock was recovered from a dead holder");
        }

        @Override
        void childRun(MemorySegment seg, String base, int total, SharedEvent attached) throws Exception {
            SharedLock[] locks = new SharedLock[3];
            for (int i = 0; i < 3; i++) locks[i] = SharedLock.open(seg, OFFSETS[i]);
            check(locks[2].tryLock(timeoutSeconds, TimeUnit.SECONDS), "the responder's first lock");
            attached.set();
            for (int r = 0; r < total; r++) {
                check(locks[r % 3].tryLock(timeoutSeconds, TimeUnit.SECONDS), "ping");
                locks[(r + 2) % 3].unlock();
            }
            locks[(total + 2) % 3].unlock();
        }
    }

    static final class ConditionPingPong extends Scenario {
        static final String NAME = "condition_pingpong";
        SharedLock lock;
        SharedCondition cond;

        ConditionPingPong() {
            super(NAME);
        }

        @Override
        void parentSetUp(MemorySegment seg, String base) {
            lock = SharedLock.create(seg, A);
            cond = SharedCondition.create(seg, B, lock);
            seg.set(ValueLayout.JAVA_INT, DATA, 0);
        }

        @Override
        void parentRun(MemorySegment seg, Process child) throws Exception {
            pingPong(name, i -> {
                check(lock.tryLock(timeoutSeconds, TimeUnit.SECONDS), "lock");
                try {
                    seg.set(ValueLayout.JAVA_INT, DATA, 1);
                    cond.signal();
                    while (seg.get(ValueLayout.JAVA_INT, DATA) != 0) check(cond.await(timeoutSeconds, TimeUnit.SECONDS), "pong");
                } finally {
                    lock.unlock();
                }
            });
        }

        @Override
        void childRun(MemorySegment seg, String base, int total, SharedEvent attached) throws Exception {
            SharedLock lock = SharedLock.open(seg, A);
            SharedCondition cond = SharedCondition.open(seg, B, lock);
            attached.set();
            for (int i = 0; i < total; i++) {
                check(lock.tryLock(timeoutSeconds, TimeUnit.SECONDS), "lock");
                try {
                    while (seg.get(ValueLayout.JAVA_INT, DATA) != 1) check(cond.await(timeoutSeconds, TimeUnit.SECONDS), "ping");
                    seg.set(ValueLayout.JAVA_INT, DATA, 0);
                    cond.signal();
                } finally {
                    lock.unlock();
                }
            }
        }
    }

    /** Both processes hammer one lock; see the class comment. */
    static final class LockContended extends Scenario {
        static final String NAME = "lock_contended_2proc";
        SharedLock lock;
        SharedBarrier barrier;

        LockContended() {
            super(NAME);
        }

        @Override
        void parentSetUp(MemorySegment seg, String base) {
            lock = SharedLock.create(seg, A);
            barrier = SharedBarrier.create(seg, BARRIER, 2);
            seg.set(ValueLayout.JAVA_LONG, DATA, 0L);
            seg.set(ValueLayout.JAVA_LONG, DATA2, 0L);
        }

        @Override
        void parentRun(MemorySegment seg, Process child) throws Exception {
            barrier.await(timeoutSeconds, TimeUnit.SECONDS); // the child is ready
            pairs(lock, seg, ops / 4);                        // contended warm-up, both JITs
            barrier.await(timeoutSeconds, TimeUnit.SECONDS); // the child may be counting already
            long counter0 = 2 * (ops / 4);
            long t0 = System.nanoTime();
            pairs(lock, seg, ops);
            long mine = System.nanoTime() - t0;
            barrier.await(timeoutSeconds, TimeUnit.SECONDS); // the child has finished and stored its time
            long wall = System.nanoTime() - t0;
            long theirs = seg.get(ValueLayout.JAVA_LONG, DATA2);
            long counted = seg.get(ValueLayout.JAVA_LONG, DATA) - counter0;
            if (lock.recoveries() != 0) throw new IllegalStateException("the lock was recovered from a dead holder " + lock.recoveries() + " times");
            if (counted != 2 * ops) throw new IllegalStateException("counter moved by " + counted + ", not " + 2 * ops + ": the lock failed");
            System.out.printf(Locale.ROOT, "%s throughput %.0f ops/s%n", name, 2.0 * ops / (wall / 1e9));
            System.out.printf(Locale.ROOT, "%s overlap %.2f ratio%n", name, (double) Math.min(mine, theirs) / Math.max(mine, theirs));
            System.out.printf(Locale.ROOT, "# %s: 2 x %d pairs, wall %.3f s, parent %.3f s, child %.3f s%n",
                    name, ops, wall / 1e9, mine / 1e9, theirs / 1e9);
            System.out.flush();
        }

        @Override
        void parentTearDown(MemorySegment seg) {
            barrier.close();
        }

        @Override
        void childRun(MemorySegment seg, String base, int total, SharedEvent attached) throws Exception {
            SharedLock lock = SharedLock.open(seg, A);
            try (SharedBarrier barrier = SharedBarrier.open(seg, BARRIER)) {
                attached.set();
                barrier.await(timeoutSeconds, TimeUnit.SECONDS);
                pairs(lock, seg, ops / 4);
                barrier.await(timeoutSeconds, TimeUnit.SECONDS);
                long t0 = System.nanoTime();
                pairs(lock, seg, ops);
                seg.set(ValueLayout.JAVA_LONG, DATA2, System.nanoTime() - t0);
                barrier.await(timeoutSeconds, TimeUnit.SECONDS);
            }
        }
    }

    /** {@code n} lock/unlock pairs on {@code lock}, each incrementing the counter at DATA. */
    static void pairs(Lock lock, MemorySegment seg, long n) {
        for (long i = 0; i < n; i++) {
            lock.lock();
            try {
                seg.set(ValueLayout.JAVA_LONG, DATA, seg.get(ValueLayout.JAVA_LONG, DATA) + 1);
            } finally {
                lock.unlock();
            }
        }
    }

    // ------------------------------------------------------------------ in-process references

    static void inProcessReferences() throws Exception {
        String base = "shmkit-bench-" + ProcessHandle.current().pid() + "-xps-local";
        SHM_NAMES.add(base);
        SharedMemory.unlink(base);
        try (SharedMemory shm = SharedMemory.create(base, SEGMENT_SIZE)) {
            unlinkNames(); // nobody else needs the name
            MemorySegment seg = shm.segment();
            SharedLock lock = SharedLock.create(seg, A);
            pairs(lock, seg, ops / 4);
            long t0 = System.nanoTime();
            pairs(lock, seg, ops);
            long t = System.nanoTime() - t0;
            System.out.printf(Locale.ROOT, "lock_uncontended_loop throughput %.0f ops/s%n", ops / (t / 1e9));
            twoThreads("lock_contended_2threads", lock, seg);
            twoThreads("juc_lock_contended_2threads", new ReentrantLock(), seg);
        } finally {
            cleanUp();
        }
    }

    static void twoThreads(String name, Lock lock, MemorySegment seg) throws Exception {
        List<Throwable> failures = new ArrayList<>();
        for (int phase = 0; phase < 2; phase++) { // a warm-up phase, then the measured one
            long n = phase == 0 ? ops / 4 : ops;
            seg.set(ValueLayout.JAVA_LONG, DATA, 0L);
            long[] times = new long[2];
            Thread[] threads = new Thread[2];
            java.util.concurrent.CyclicBarrier start = new java.util.concurrent.CyclicBarrier(2);
            for (int t = 0; t < 2; t++) {
                int me = t;
                threads[t] = new Thread(() -> {
                    try {
                        start.await(timeoutSeconds, TimeUnit.SECONDS);
                        long t0 = System.nanoTime();
                        pairs(lock, seg, n);
                        times[me] = System.nanoTime() - t0;
                    } catch (Exception | Error e) {
                        synchronized (failures) {
                            failures.add(e);
                        }
                    }
                });
                threads[t].start();
            }
            long t0 = System.nanoTime();
            for (Thread t : threads) t.join(TimeUnit.SECONDS.toMillis(timeoutSeconds));
            long wall = System.nanoTime() - t0;
            if (!failures.isEmpty()) throw new IllegalStateException(name + " failed: " + failures.get(0), failures.get(0));
            if (seg.get(ValueLayout.JAVA_LONG, DATA) != 2 * n) throw new IllegalStateException(name + ": the lock failed");
            if (phase == 1) {
                System.out.printf(Locale.ROOT, "%s throughput %.0f ops/s%n", name, 2.0 * n / (wall / 1e9));
                System.out.printf(Locale.ROOT, "%s overlap %.2f ratio%n", name,
                        (double) Math.min(times[0], times[1]) / Math.max(times[0], times[1]));
            }
        }
        System.out.flush();
    }
}
