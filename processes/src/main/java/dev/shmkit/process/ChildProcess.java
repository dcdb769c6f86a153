package dev.shmkit.process;

import dev.shmkit.ring.MessageHandler;
import dev.shmkit.signals.ChildProcesses;
import dev.shmkit.signals.ExitStatus;
import dev.shmkit.signals.Signal;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A child JVM running one task: Python's {@code multiprocessing.Process} for Java. The JVM cannot
 * fork, so the child is a fresh JVM ("spawn") with this JVM's class path and module path; the
 * task is a serializable lambda or method reference, or a class with a main method.
 *
 * <pre>{@code
 * try (ChildProcess<Long> child = ChildProcess.start(() -> ProcessHandle.current().pid())) {
 *     System.out.println("started " + child.pid() + ", it says it is " + child.result());
 * }
 * }</pre>
 *
 * <h2>Results and exceptions</h2>
 * A callable's result comes back through a shared-memory ring ({@link #result()}); an exception
 * thrown in the child comes back with its class name, message and stack trace as a
 * {@link RemoteException} ({@link #exception()}; {@link #result()} throws a
 * {@link TaskFailedException} with it as the cause). The child exits with status 0 after a
 * successful task (once its non-daemon threads have ended, as any {@code main} does) and 1 after
 * a task that threw.
 *
 * <h2>Daemon children</h2>
 * By default a child is a <em>daemon</em>: it stops as soon as this JVM goes away, however it goes
 * (even {@code kill -9}), because it watches its stdin pipe, which the kernel closes when the
 * parent dies. It then also kills its own descendants. {@link Builder#daemon(boolean) daemon(false)}
 * lets a child outlive its parent. The child's {@code System.in} is therefore empty: stdin is
 * shmkit's control channel.
 *
 * <h2>Output</h2>
 * The child's stdout and stderr are this JVM's (inherited) unless redirected with
 * {@link Builder#stdout} / {@link Builder#stderr}; with {@link ProcessBuilder.Redirect#PIPE} read them
 * from {@link #stdout()} and {@link #stderr()}.
 *
 * @param <V> the task's result type ({@code Void} for a runnable or a main class)
 */
public final class ChildProcess<V> implements AutoCloseable {
    private static final AtomicInteger COUNTER = new AtomicInteger();
    private static final ValueLayout.OfInt I = ValueLayout.JAVA_INT_UNALIGNED;

    private final String name;
    private final Launcher.Spawned spawned;
    private final boolean daemon;
    private final ValueCodec values;
    private final CompletableFuture<ChildProcess<V>> exited = new CompletableFuture<>();
    /** Completes when the task's outcome is known: its result or exception arrived, or the child ended without one. */
    private final CompletableFuture<Void> outcome = new CompletableFuture<>();
    private final Object lock = new Object();
    private final Fragments.Assembler assembler = new Fragments.Assembler(Integer.MAX_VALUE);
    private volatile boolean resultReceived;
    private volatile Object result;
    private volatile RemoteException exception;
    private volatile long readyNanos;
    private volatile ExitStatus exitStatus;
    private boolean closed;

    private ChildProcess(String name, Launcher.Spawned spawned, boolean daemon, AllowList allow) {
        this.name = name;
        this.spawned = spawned;
        this.daemon = daemon;
        this.values = new ValueCodec(allow, false, null);
        Thread collector = new Thread(this::collect, "shmkit-child-" + name);
        collector.setDaemon(true);
        collector.start();
        spawned.process().onExit().thenRun(this::nudge);
    }

    /** Starts a daemon child that runs {@code task} and returns its result, with default settings. */
    public static <V> ChildProcess<V> start(SerializableCallable<V> task) {
        return new Builder().start(task);
    }

    /** Starts a daemon child that runs {@code task}, with default settings. */
    public static ChildProcess<Void> start(SerializableRunnable task) {
        return new Builder().start(task);
    }

    /** Starts a daemon child that runs {@code mainClass}'s main method with {@code args}. */
    public static ChildProcess<Void> startMain(Class<?> mainClass, String... args) {
        return new Builder().startMain(mainClass, args);
    }

    public static Builder builder() {
        return new Builder();
    }

    /** How to start a child: name, JVM options, daemon or not, output, start-up cache. */
    public static final class Builder {
        private String name;
        private final List<String> jvmOptions = new ArrayList<>();
        private boolean daemon = true;
        private ProcessBuilder.Redirect stdout = ProcessBuilder.Redirect.INHERIT;
        private ProcessBuilder.Redirect stderr = ProcessBuilder.Redirect.INHERIT;
        private Map<String, String> environment;
        private Path directory;
        private String classPath;
        private String modulePath;
        private Path cacheDirectory;
        private long resultCapacity = 1 << 20;
        private final List<String> allow = new ArrayList<>();

        private Builder() {}

        /** A name for messages and {@code shmkit ps} (default {@code child-N}). */
        public Builder name(String name) {
            this.name = Objects.requireNonNull(name, "name");
            return this;
        }

        /** JVM options for the child, after shmkit's default {@code -XX:+UseSerialGC}. */
        public Builder jvmOptions(String... options) {
            jvmOptions.addAll(List.of(options));
            return this;
        }

        /** Whether the child stops when this JVM goes away (default true). */
        public Builder daemon(boolean daemon) {
            this.daemon = daemon;
            return this;
        }

        public Builder stdout(ProcessBuilder.Redirect redirect) {
            this.stdout = Objects.requireNonNull(redirect);
            return this;
        }

        public Builder stderr(ProcessBuilder.Redirect redirect) {
            this.stderr = Objects.requireNonNull(redirect);
            return this;
        }

        /** Adds environment variables (the child inherits this JVM's environment). */
        public Builder environment(Map<String, String> variables) {
            this.environment = Map.copyOf(variables);
            return this;
        }

        /** The child's working directory (default: this JVM's). */
        public Builder directory(Path directory) {
            this.directory = directory;
            return this;
        }

        /** Overrides the class path (default: this JVM's {@code java.class.path}). */
        public Builder classPath(String classPath) {
            this.classPath = classPath;
            return this;
        }

        /** Overrides the module path (default: this JVM's {@code jdk.module.path}). */
        public Builder modulePath(String modulePath) {
            this.modulePath = modulePath;
            return this;
        }

        /** Keeps a JDK AOT cache in {@code directory} to start children faster (see {@link ProcessPool.Builder#startupCache}). */
        public Builder startupCache(Path directory) {
            this.cacheDirectory = directory;
            return this;
        }

        /** Classes a result may be made of beyond the built-in ones (see {@link ProcessPool.Builder#allow}). */
        public Builder allow(String... patterns) {
            allow.addAll(List.of(patterns));
            return this;
        }

        /** Bytes of the ring the result comes back through; larger results are sent in pieces (default 1 MiB). */
        public Builder resultCapacity(long bytes) {
            this.resultCapacity = bytes;
            return this;
        }

        public <V> ChildProcess<V> start(SerializableCallable<V> task) {
            return launch(Wire.K_CALLABLE, Closures.serialize(Objects.requireNonNull(task, "task"), "task"), null, List.of());
        }

        public ChildProcess<Void> start(SerializableRunnable task) {
            return launch(Wire.K_RUNNABLE, Closures.serialize(Objects.requireNonNull(task, "task"), "task"), null, List.of());
        }

        public ChildProcess<Void> startMain(Class<?> mainClass, String... args) {
            return startMain(mainClass.getName(), args);
        }

        /** Runs the main method of the class named {@code mainClass} (static or instance, with or without {@code String[]}). */
        public ChildProcess<Void> startMain(String mainClass, String... args) {
            return launch(Wire.K_MAIN, null, Objects.requireNonNull(mainClass, "mainClass"), List.of(args));
        }

        private <V> ChildProcess<V> launch(byte kind, Closures.Serialized task, String mainClass, List<String> args) {
            String n = name != null ? name : "child-" + COUNTER.incrementAndGet();
            AllowList allowList = AllowList.withJdkValues(allow);
            if (task != null) allowList.addPackagesOf(task.classes());
            Setup setup = new Setup(false, daemon, 0, allowList.patterns(), "ADAPTIVE", null, kind, task, mainClass, args);
            Launcher.Spec spec = new Launcher.Spec(jvmOptions, stdout, stderr, environment, directory, classPath, modulePath, cacheDirectory);
            try {
                Launcher.Spawned s = Launcher.spawn(spec, 'c', n, 0, 0, resultCapacity, setup, true);
                return new ChildProcess<>(n, s, daemon, allowList);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot start child JVM " + n + ": " + e.getMessage(), e);
            }
        }
    }

    // ------------------------------------------------------------------ the collector

    private void nudge() {
        synchronized (lock) {
            if (!closed) Wire.ring(spawned.ctl());
        }
    }

    private void collect() {
        MemorySegment ctl = spawned.ctl();
        MessageHandler handler = this::onResult;
        Process p = spawned.process();
        try {
            Wire.setLong(ctl, Wire.CTL_WAKE_AT, 1);
            while (true) {
                spawned.results().read(handler, 16);
                if (readyNanos == 0 && Wire.getInt(ctl, Wire.CTL_STATE) != Wire.STATE_STARTING) {
                    readyNanos = System.nanoTime();
                    Launcher.taken(spawned.segmentName());
                }
                if (!p.isAlive()) {
                    while (spawned.results().read(handler, 64) > 0) {
                        // drain what the child committed before it ended
                    }
                    break;
                }
                Wire.sleep(ctl, TimeUnit.MILLISECONDS.toNanos(100), () -> spawned.results().used() > 0 || !p.isAlive()
                        || (readyNanos == 0 && Wire.getInt(ctl, Wire.CTL_STATE) != Wire.STATE_STARTING));
            }
        } catch (RuntimeException | Error e) {
            exception = ExceptionCodec.decode(ExceptionCodec.encode(new IllegalStateException("reading the child's result failed: " + e, e)), p.pid());
        } finally {
            try {
                p.waitFor();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            exitStatus = new ExitStatus(p.exitValue());
            synchronized (lock) {
                closed = true;
                spawned.release();
            }
            outcome.complete(null);
            exited.complete(this);
        }
    }

    private void onResult(int type, MemorySegment buf, long index, int length) {
        switch (type) {
            case Wire.R_OK -> {
                result = values.decode(buf, index + Wire.RESULT_HEADER, length - Wire.RESULT_HEADER);
                resultReceived = true;
                outcome.complete(null);
            }
            case Wire.R_ERROR, Wire.R_FATAL -> {
                byte[] b = new byte[length - Wire.RESULT_HEADER];
                MemorySegment.copy(buf, ValueLayout.JAVA_BYTE, index + Wire.RESULT_HEADER, b, 0, b.length);
                exception = ExceptionCodec.decode(b, spawned.process().pid());
                outcome.complete(null);
            }
            case Wire.R_FRAGMENT -> {
                MemorySegment whole = assembler.accept(buf, index, length);
                if (whole != null) onResult(assembler.innerType(), whole, 0, (int) whole.byteSize());
            }
            default -> {
                // nothing else is sent by a single child
            }
        }
    }

    // ------------------------------------------------------------------ the handle

    public long pid() {
        return spawned.process().pid();
    }

    public String name() {
        return name;
    }

    public boolean isDaemon() {
        return daemon;
    }

    public boolean isAlive() {
        return spawned.process().isAlive();
    }

    /** Waits for the child to end (and its result to be collected). */
    public ChildProcess<V> join() throws InterruptedException {
        try {
            return exited.get();
        } catch (java.util.concurrent.ExecutionException e) {
            throw new IllegalStateException(e.getCause());
        }
    }

    /** Waits at most {@code timeout}; returns whether the child has ended. */
    public boolean join(Duration timeout) throws InterruptedException {
        try {
            exited.get(Math.max(0, timeout.toNanos()), TimeUnit.NANOSECONDS);
            return true;
        } catch (java.util.concurrent.TimeoutException e) {
            return false;
        } catch (java.util.concurrent.ExecutionException e) {
            throw new IllegalStateException(e.getCause());
        }
    }

    /** Completes when the child has ended and its result has been collected. */
    public CompletableFuture<ChildProcess<V>> onExit() {
        return exited.copy();
    }

    /** The exit value once the child has ended ({@code 128 + n} when signal {@code n} ended it). */
    public OptionalInt exitCode() {
        ExitStatus s = exitStatus;
        return s == null ? OptionalInt.empty() : OptionalInt.of(s.exitValue());
    }

    /** How the child ended, once it has. */
    public Optional<ExitStatus> exitStatus() {
        return Optional.ofNullable(exitStatus);
    }

    /** The signal that ended the child, if one did. */
    public Optional<Signal> signal() {
        ExitStatus s = exitStatus;
        return s == null ? Optional.empty() : s.signal();
    }

    /** Sends TERM (the child's shutdown hooks run); false if it had already ended. */
    public boolean terminate() {
        return ChildProcesses.terminate(spawned.process());
    }

    /** Sends KILL; false if it had already ended. */
    public boolean kill() {
        return ChildProcesses.kill(spawned.process());
    }

    /**
     * Waits for the task's outcome and returns its result ({@code null} for a runnable or a main
     * class). The result is returned as soon as it arrives; the child exits on its own right after
     * (use {@link #join()} to wait for that too).
     *
     * @throws TaskFailedException when the task threw (cause: a {@link RemoteException}) or the
     *                             child ended without a result (cause: a {@link WorkerCrashedException})
     */
    @SuppressWarnings("unchecked")
    public V result() throws InterruptedException {
        try {
            outcome.get();
        } catch (java.util.concurrent.ExecutionException e) {
            throw new IllegalStateException(e.getCause());
        }
        if (!resultReceived && exception == null) join(); // ended without an outcome: wait for the exit status
        RemoteException e = exception;
        if (e != null) throw new TaskFailedException("child " + name + " (pid " + pid() + ") failed: " + e, e, 0);
        if (!resultReceived) {
            ExitStatus s = exitStatus;
            throw new TaskFailedException("child " + name + " (pid " + pid() + ") ended without a result: " + s,
                    new WorkerCrashedException("child " + name + " (pid " + pid() + ") " + s, pid(), s, null), 0);
        }
        return (V) result;
    }

    /** The exception the task threw, once the child has ended. */
    public Optional<RemoteException> exception() {
        return Optional.ofNullable(exception);
    }

    /** How long the child took from {@code start} until it was running shmkit's code (empty until then). */
    public Optional<Duration> startupTime() {
        long r = readyNanos;
        return r == 0 ? Optional.empty() : Optional.of(Duration.ofNanos(r - spawned.startNanos()));
    }

    /** The child's stdout when redirected to {@link ProcessBuilder.Redirect#PIPE}. */
    public InputStream stdout() {
        return spawned.process().getInputStream();
    }

    /** The child's stderr when redirected to {@link ProcessBuilder.Redirect#PIPE}. */
    public InputStream stderr() {
        return spawned.process().getErrorStream();
    }

    /** The underlying {@link Process}. */
    public Process process() {
        return spawned.process();
    }

    /**
     * Stops the child if it is still running (TERM, then KILL after a second) and waits until it
     * has ended. A child that has ended is left as it is.
     */
    @Override
    public void close() {
        try {
            if (isAlive()) ChildProcesses.stop(spawned.process(), Duration.ofSeconds(1));
            join();
        } catch (InterruptedException e) {
            kill();
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public String toString() {
        ExitStatus s = exitStatus;
        return "ChildProcess[" + name + ", pid " + pid() + (s == null ? ", running" : ", " + s) + "]";
    }
}
