package dev.shmkit.process;

import dev.shmkit.queue.Codec;
import dev.shmkit.ring.WaitStrategy;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.RandomAccess;
import java.util.concurrent.Callable;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.Consumer;

/**
 * A pool of worker JVMs: Python's {@code multiprocessing.Pool} and {@code ProcessPoolExecutor} for
 * Java, and an {@link ExecutorService}.
 *
 * <pre>{@code
 * try (ProcessPool pool = ProcessPool.create(4)) {
 *     List<Long> counts = pool.map(PrimeCount::countPrimes, ranges);       // in input order
 *     CompletableFuture<Integer> f = pool.applyAsync(x -> x * x, 7);      // callbacks on the future
 *     for (var it = pool.imapUnordered(Page::render, pages); it.hasNext(); ) save(it.next());
 * }
 * }</pre>
 *
 * <h2>How it works</h2>
 * Each worker is a child JVM ({@link ChildProcess} explains how they start and why they die with
 * this one) with two single-producer single-consumer {@link dev.shmkit.ring.SharedRing}s: tasks in,
 * results out. A function is serialized once per call and registered in each worker through its
 * control pipe; a task is then just the function's id and the encoded input, written straight
 * into the ring. Common value types are encoded without serialization (see
 * {@link PoolCodecs} for explicit codecs); a {@code MemorySegment} input reaches the task as a view
 * of the ring itself. One parent thread per worker keeps about two milliseconds of work queued in
 * it, so trivial tasks stream at millions per second and long ones are balanced one by one.
 *
 * <h2>Failures</h2>
 * A task that throws fails with a {@link RemoteException} carrying the original class, message and
 * stack trace. A worker that dies (killed, {@code System.exit}, out of memory) fails the task it was
 * running with a {@link WorkerCrashedException}; the pool starts a replacement, and the tasks that
 * were queued behind it run on the other workers. A worker whose start fails three times in a row
 * (a bad JVM option, an initializer that throws) breaks the pool: every waiting task fails with a
 * {@link PoolBrokenException}. Blocking calls ({@link #map}, {@link #apply}) throw a
 * {@link TaskFailedException} with the cause; futures report the cause in an
 * {@link ExecutionException}.
 *
 * <h2>Tasks</h2>
 * Functions and tasks must be serializable: write lambdas where a {@link SerializableFunction},
 * {@link SerializableCallable} or {@link SerializableRunnable} is expected (the overloads of
 * {@code submit} take them, so {@code pool.submit(() -> work())} just works). They are deserialized
 * only by this pool's workers, from their private stdin pipe, allowing exactly the classes this
 * JVM wrote (see docs/processes.md for the security reasoning).
 *
 * <h2>Lifecycle</h2>
 * Workers start in the background when the pool is built; tasks queue until they are up
 * ({@link #awaitReady} waits). {@link #shutdown()} lets queued tasks finish, then stops the workers;
 * {@link #shutdownNow()} kills them; {@link #close()} is {@code shutdown} plus
 * {@code awaitTermination} (like every {@code ExecutorService}; Python's {@code with Pool()}
 * terminates instead). The pool's threads are daemon threads: a JVM that exits without closing
 * the pool takes its workers with it.
 */
public final class ProcessPool implements ExecutorService {
    private static final AtomicInteger POOLS = new AtomicInteger();
    private static final int DEFAULT_READ_AHEAD = 16_384;

    private enum State { RUNNING, SHUTDOWN, STOP, BROKEN }

    private final String name;
    private final int workers;
    final Launcher.Spec spec;
    final int maxTasksPerChild;
    final Closures.Serialized initializer;
    final AllowList allowList;
    final FunctionTable functions;
    final WaitStrategy waitStrategy;
    final long ringCapacity;
    final Duration taskTimeout;
    final long taskTimeoutNanos;
    private final int readAhead;
    private final WorkerSlot[] slots;
    private final ConcurrentLinkedDeque<Job> jobs = new ConcurrentLinkedDeque<>();
    private final ConcurrentLinkedDeque<Job.Batch> retries = new ConcurrentLinkedDeque<>();
    private final AtomicInteger jobIds = new AtomicInteger();
    private final ReentrantReadWriteLock stateLock = new ReentrantReadWriteLock();
    private volatile State state = State.RUNNING;
    private volatile int stateVersion;
    private volatile Throwable brokenCause;
    private final CountDownLatch terminated;
    private final ExecutorService completions;
    private final Object readyMonitor = new Object();
    private final LongAdder completedTasks = new LongAdder();
    private final LongAdder failedTasks = new LongAdder();
    private final LongAdder workersStarted = new LongAdder();
    private final LongAdder workersCrashed = new LongAdder();
    private final LongAdder workersRetired = new LongAdder();
    private final LongAdder startupNanos = new LongAdder();
    private final LongAdder startups = new LongAdder();
    private volatile long lastStartupNanos;

    private ProcessPool(Builder b) {
        this.name = b.name != null ? b.name : "pool-" + POOLS.incrementAndGet();
        this.workers = b.workers;
        this.spec = new Launcher.Spec(b.jvmOptions, b.stdout, b.stderr, b.environment, b.directory, b.classPath, b.modulePath,
                b.cacheDirectory);
        this.maxTasksPerChild = b.maxTasksPerChild;
        this.allowList = AllowList.withJdkValues(b.allow);
        this.functions = new FunctionTable(allowList);
        this.initializer = b.initializer == null ? null : Closures.serialize(b.initializer, "the initializer");
        if (initializer != null) allowList.addPackagesOf(initializer.classes());
        this.waitStrategy = b.waitStrategy;
        this.ringCapacity = b.ringCapacity;
        this.taskTimeout = b.taskTimeout;
        this.taskTimeoutNanos = b.taskTimeout == null ? 0 : b.taskTimeout.toNanos();
        this.readAhead = b.readAhead;
        this.terminated = new CountDownLatch(workers);
        this.completions = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "shmkit-pool-" + name + "-callbacks");
            t.setDaemon(true);
            return t;
        });
        this.slots = new WorkerSlot[workers];
        for (int i = 0; i < workers; i++) slots[i] = new WorkerSlot(this, i);
        for (WorkerSlot s : slots) {
            Thread t = new Thread(s, "shmkit-pool-" + name + "-worker-" + s.slot);
            t.setDaemon(true);
            t.start();
        }
    }

    /** A pool of {@link Runtime#availableProcessors()} workers with default settings. */
    public static ProcessPool create() {
        return builder().build();
    }

    /** A pool of {@code workers} workers with default settings. */
    public static ProcessPool create(int workers) {
        return builder().workers(workers).build();
    }

    public static Builder builder() {
        return new Builder();
    }

    /** How a pool is set up. Every setting has a default. */
    public static final class Builder {
        private int workers = Runtime.getRuntime().availableProcessors();
        private String name;
        private SerializableRunnable initializer;
        private int maxTasksPerChild;
        private final List<String> jvmOptions = new ArrayList<>();
        private final List<String> allow = new ArrayList<>();
        private long ringCapacity = 4 << 20;
        private Duration taskTimeout;
        private ProcessBuilder.Redirect stdout = ProcessBuilder.Redirect.INHERIT;
        private ProcessBuilder.Redirect stderr = ProcessBuilder.Redirect.INHERIT;
        private Map<String, String> environment;
        private Path directory;
        private String classPath;
        private String modulePath;
        private Path cacheDirectory;
        private WaitStrategy waitStrategy = WaitStrategy.ADAPTIVE;
        private int readAhead = DEFAULT_READ_AHEAD;

        private Builder() {}

        /** How many worker JVMs (default: {@link Runtime#availableProcessors()}). */
        public Builder workers(int workers) {
            if (workers < 1) throw new IllegalArgumentException("a pool needs at least one worker, got " + workers);
            this.workers = workers;
            return this;
        }

        /** A name for thread names, messages and {@code shmkit ps} (default {@code pool-N}). */
        public Builder name(String name) {
            this.name = Objects.requireNonNull(name, "name");
            return this;
        }

        /** Runs in each worker before its first task (Python's {@code initializer}). If it throws, the pool breaks. */
        public Builder initializer(SerializableRunnable initializer) {
            this.initializer = initializer;
            return this;
        }

        /** A worker is replaced by a fresh JVM after this many tasks (0, the default: never). */
        public Builder maxTasksPerChild(int tasks) {
            if (tasks < 0) throw new IllegalArgumentException("maxTasksPerChild must not be negative");
            this.maxTasksPerChild = tasks;
            return this;
        }

        /** JVM options for the workers ({@code -Xmx256m}, {@code -XX:...}), after shmkit's defaults. */
        public Builder jvmOptions(String... options) {
            jvmOptions.addAll(List.of(options));
            return this;
        }

        /**
         * Classes Java serialization may instantiate when a task's input or result is not one of
         * the types the pool encodes directly: {@code com.example.Point}, {@code com.example.*}
         * (a package), {@code com.example.**} (a package and its subpackages). JDK value classes
         * and the packages of the classes that define this pool's tasks are allowed already.
         */
        public Builder allow(String... patterns) {
            allow.addAll(List.of(patterns));
            return this;
        }

        /** Bytes of each worker's task ring and result ring (a power of two; default 4 MiB). Records above an eighth of it go in pieces. */
        public Builder ringCapacity(long bytes) {
            this.ringCapacity = bytes;
            return this;
        }

        /**
         * A task running longer than this fails with a {@link TaskTimeoutException}; its worker is
         * killed (the only sure way to stop it) and replaced. Default: no limit.
         */
        public Builder taskTimeout(Duration timeout) {
            if (timeout != null && (timeout.isNegative() || timeout.isZero())) throw new IllegalArgumentException("taskTimeout must be positive");
            this.taskTimeout = timeout;
            return this;
        }

        /** Where the workers' stdout goes (default: inherited, so tasks print to this JVM's stdout). */
        public Builder stdout(ProcessBuilder.Redirect redirect) {
            this.stdout = Objects.requireNonNull(redirect);
            return this;
        }

        public Builder stderr(ProcessBuilder.Redirect redirect) {
            this.stderr = Objects.requireNonNull(redirect);
            return this;
        }

        public Builder environment(Map<String, String> variables) {
            this.environment = Map.copyOf(variables);
            return this;
        }

        public Builder directory(Path directory) {
            this.directory = directory;
            return this;
        }

        public Builder classPath(String classPath) {
            this.classPath = classPath;
            return this;
        }

        public Builder modulePath(String modulePath) {
            this.modulePath = modulePath;
            return this;
        }

        /**
         * Keeps a JDK AOT cache for the workers in {@code directory}: the first worker records it,
         * later ones start from it (faster start-up; used only when the class path and module path
         * hold only JAR files). See docs/processes.md for the numbers.
         */
        public Builder startupCache(Path directory) {
            this.cacheDirectory = directory;
            return this;
        }

        /** How workers wait for tasks (default {@link WaitStrategy#ADAPTIVE}). */
        public Builder waitStrategy(WaitStrategy strategy) {
            this.waitStrategy = Objects.requireNonNull(strategy);
            return this;
        }

        /** How many results {@link #imap} may compute ahead of its consumer (default 16384). */
        public Builder readAhead(int tasks) {
            if (tasks < 1) throw new IllegalArgumentException("readAhead must be positive");
            this.readAhead = tasks;
            return this;
        }

        public ProcessPool build() {
            return new ProcessPool(this);
        }
    }

    // ------------------------------------------------------------------ Python's Pool

    /**
     * Applies {@code fn} to every input in the workers and returns the results in input order.
     * The chunk size is chosen for throughput ({@link #map(SerializableFunction, Collection, int)}
     * sets it).
     *
     * @throws TaskFailedException for the first task that failed (the others are cancelled)
     */
    public <T, R> List<R> map(SerializableFunction<? super T, ? extends R> fn, Collection<? extends T> inputs) {
        return map(fn, inputs, 0);
    }

    /**
     * As {@link #map(SerializableFunction, Collection)}, sending {@code chunkSize} inputs per
     * record (0: choose). With 1 every task is dispatched on its own.
     */
    public <T, R> List<R> map(SerializableFunction<? super T, ? extends R> fn, Collection<? extends T> inputs, int chunkSize) {
        return await(mapAsync(fn, inputs, chunkSize));
    }

    /** {@code map} with explicit codecs for inputs and results (built-ins of {@link Codec}, or {@link PoolCodecs}). */
    public <T, R> List<R> map(SerializableFunction<? super T, ? extends R> fn, Collection<? extends T> inputs, int chunkSize,
                              Codec<T> inputCodec, Codec<R> resultCodec) {
        return await(this.<R>mapJob(fn, Wire.K_FUNCTION, list(inputs), chunkSize, inputCodec, resultCodec, "map"));
    }

    /** {@code map} without waiting: the future completes with all results or the first failure; cancelling it cancels the tasks. */
    public <T, R> CompletableFuture<List<R>> mapAsync(SerializableFunction<? super T, ? extends R> fn, Collection<? extends T> inputs) {
        return mapAsync(fn, inputs, 0);
    }

    public <T, R> CompletableFuture<List<R>> mapAsync(SerializableFunction<? super T, ? extends R> fn, Collection<? extends T> inputs,
                                                      int chunkSize) {
        return mapJob(fn, Wire.K_FUNCTION, list(inputs), chunkSize, null, null, "map");
    }

    /** Python's {@code starmap}: applies {@code fn} to each pair of arguments, results in order. */
    public <A, B, R> List<R> starmap(SerializableBiFunction<? super A, ? super B, ? extends R> fn,
                                     Collection<? extends Map.Entry<? extends A, ? extends B>> arguments) {
        return starmap(fn, arguments, 0);
    }

    public <A, B, R> List<R> starmap(SerializableBiFunction<? super A, ? super B, ? extends R> fn,
                                     Collection<? extends Map.Entry<? extends A, ? extends B>> arguments, int chunkSize) {
        return await(this.<R>mapJob(fn, Wire.K_BIFUNCTION, list(arguments), chunkSize, null, null, "starmap"));
    }

    /**
     * Applies {@code fn} to the inputs lazily: inputs are read as the workers need them (the
     * iterable may be endless), results come in input order as {@link ResultIterator#next()}
     * asks. One task per record.
     */
    public <T, R> ResultIterator<R> imap(SerializableFunction<? super T, ? extends R> fn, Iterable<? extends T> inputs) {
        return imap(fn, inputs, 1);
    }

    public <T, R> ResultIterator<R> imap(SerializableFunction<? super T, ? extends R> fn, Iterable<? extends T> inputs, int chunkSize) {
        return iterate(fn, inputs, chunkSize, true);
    }

    /** As {@link #imap}, with results in completion order. */
    public <T, R> ResultIterator<R> imapUnordered(SerializableFunction<? super T, ? extends R> fn, Iterable<? extends T> inputs) {
        return imapUnordered(fn, inputs, 1);
    }

    public <T, R> ResultIterator<R> imapUnordered(SerializableFunction<? super T, ? extends R> fn, Iterable<? extends T> inputs,
                                                  int chunkSize) {
        return iterate(fn, inputs, chunkSize, false);
    }

    /** Runs {@code fn(argument)} in a worker and waits for the result. */
    public <T, R> R apply(SerializableFunction<? super T, ? extends R> fn, T argument) {
        return await(applyAsync(fn, argument));
    }

    /** Runs {@code fn(argument)} in a worker; the future completes on the pool's callback thread. */
    @SuppressWarnings("unchecked")
    public <T, R> CompletableFuture<R> applyAsync(SerializableFunction<? super T, ? extends R> fn, T argument) {
        Objects.requireNonNull(fn, "fn");
        return (CompletableFuture<R>) single(fn, Wire.K_FUNCTION, argument, "applyAsync", null, IllegalArgumentException::new);
    }

    /**
     * Python's {@code apply_async(func, args, callback, error_callback)}: the callbacks run on the
     * pool's callback thread (keep them short) with the result or the failure's cause.
     */
    public <T, R> CompletableFuture<R> applyAsync(SerializableFunction<? super T, ? extends R> fn, T argument,
                                                  Consumer<? super R> onSuccess, Consumer<? super Throwable> onError) {
        CompletableFuture<R> f = applyAsync(fn, argument);
        f.whenComplete((r, e) -> {
            if (e == null) {
                if (onSuccess != null) onSuccess.accept(r);
            } else if (onError != null) {
                onError.accept(e instanceof java.util.concurrent.CompletionException && e.getCause() != null ? e.getCause() : e);
            }
        });
        return f;
    }

    // ------------------------------------------------------------------ ExecutorService

    /** Runs {@code task} in a worker. A lambda written here is serializable. */
    @SuppressWarnings("unchecked")
    public <T> CompletableFuture<T> submit(SerializableCallable<T> task) {
        return (CompletableFuture<T>) single(task, Wire.K_CALLABLE, null, "submit", task, RejectedExecutionException::new);
    }

    /** Runs {@code task} in a worker. A lambda written here is serializable. */
    @SuppressWarnings("unchecked")
    public CompletableFuture<Void> submit(SerializableRunnable task) {
        return (CompletableFuture<Void>) single(task, Wire.K_RUNNABLE, null, "submit", task, RejectedExecutionException::new);
    }

    /**
     * Runs {@code task} in a worker; it must be {@link java.io.Serializable} (else a
     * {@link RejectedExecutionException} says so).
     */
    @Override
    @SuppressWarnings("unchecked")
    public <T> CompletableFuture<T> submit(Callable<T> task) {
        return (CompletableFuture<T>) single(task, Wire.K_CALLABLE, null, "submit", task, RejectedExecutionException::new);
    }

    @Override
    @SuppressWarnings("unchecked")
    public CompletableFuture<?> submit(Runnable task) {
        return single(task, Wire.K_RUNNABLE, null, "submit", task, RejectedExecutionException::new);
    }

    @Override
    public <T> CompletableFuture<T> submit(Runnable task, T result) {
        return submit(task).thenApply(ignored -> result);
    }

    /** Runs {@code task} in a worker; the future completes with {@code result}. A lambda written here is serializable. */
    public <T> CompletableFuture<T> submit(SerializableRunnable task, T result) {
        return submit(task).thenApply(ignored -> result);
    }

    /** Runs {@code command} in a worker; a failure is printed to this JVM's stderr. */
    @Override
    public void execute(Runnable command) {
        submit(command).whenComplete((r, e) -> {
            if (e != null && !(e instanceof CancellationException)) {
                System.err.println("shmkit pool " + name + ": a task given to execute() failed:");
                e.printStackTrace();
            }
        });
    }

    @Override
    public <T> List<Future<T>> invokeAll(Collection<? extends Callable<T>> tasks) throws InterruptedException {
        List<Future<T>> futures = new ArrayList<>(tasks.size());
        try {
            for (Callable<T> t : tasks) futures.add(submit(t));
            for (Future<T> f : futures) {
                try {
                    f.get();
                } catch (ExecutionException | CancellationException ignored) {
                    // reported by the future itself
                }
            }
            return futures;
        } catch (InterruptedException | RuntimeException e) {
            for (Future<T> f : futures) f.cancel(true);
            throw e;
        }
    }

    @Override
    public <T> List<Future<T>> invokeAll(Collection<? extends Callable<T>> tasks, long timeout, TimeUnit unit) throws InterruptedException {
        long deadline = System.nanoTime() + unit.toNanos(timeout);
        List<Future<T>> futures = new ArrayList<>(tasks.size());
        try {
            for (Callable<T> t : tasks) futures.add(submit(t));
            for (Future<T> f : futures) {
                long left = deadline - System.nanoTime();
                try {
                    if (left <= 0) throw new TimeoutException();
                    f.get(left, TimeUnit.NANOSECONDS);
                } catch (ExecutionException | CancellationException ignored) {
                    // reported by the future itself
                } catch (TimeoutException e) {
                    for (Future<T> g : futures) g.cancel(true);
                    return futures;
                }
            }
            return futures;
        } catch (InterruptedException | RuntimeException e) {
            for (Future<T> f : futures) f.cancel(true);
            throw e;
        }
    }

    @Override
    public <T> T invokeAny(Collection<? extends Callable<T>> tasks) throws InterruptedException, ExecutionException {
        try {
            return invokeAny(tasks, Long.MAX_VALUE, TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public <T> T invokeAny(Collection<? extends Callable<T>> tasks, long timeout, TimeUnit unit)
            throws InterruptedException, ExecutionException, TimeoutException {
        if (tasks.isEmpty()) throw new IllegalArgumentException("no tasks");
        List<CompletableFuture<T>> futures = new ArrayList<>(tasks.size());
        CompletableFuture<T> first = new CompletableFuture<>();
        AtomicInteger failures = new AtomicInteger();
        try {
            for (Callable<T> t : tasks) {
                CompletableFuture<T> f = submit(t);
                futures.add(f);
                f.whenComplete((r, e) -> {
                    if (e == null) first.complete(r);
                    else if (failures.incrementAndGet() == tasks.size()) first.completeExceptionally(e);
                });
            }
            return first.get(timeout, unit);
        } finally {
            for (CompletableFuture<T> f : futures) f.cancel(true);
        }
    }

    @Override
    public void shutdown() {
        stateLock.writeLock().lock();
        try {
            if (state == State.RUNNING) state = State.SHUTDOWN;
            stateVersion++;
        } finally {
            stateLock.writeLock().unlock();
        }
        signalWork();
    }

    /**
     * Kills the workers at once. Tasks that were running or queued are cancelled; returns the
     * submitted tasks that never started (callables as runnables that would call them).
     */
    @Override
    public List<Runnable> shutdownNow() {
        stateLock.writeLock().lock();
        try {
            if (state == State.RUNNING || state == State.SHUTDOWN) state = State.STOP;
            stateVersion++;
        } finally {
            stateLock.writeLock().unlock();
        }
        List<Runnable> never = new ArrayList<>();
        CancellationException cause = new CancellationException("pool " + name + " was shut down now");
        for (Job j : jobs) {
            if (j instanceof Job.SingleJob s && !s.started() && !s.cancelled) {
                if (s.original instanceof Runnable r) never.add(r);
                else if (s.original instanceof Callable<?> c) never.add(() -> {
                    try {
                        c.call();
                    } catch (Exception e) {
                        throw new RuntimeException(e);
                    }
                });
            }
            j.cancel(false, cause);
        }
        jobs.clear();
        drainRetries(cause);
        signalWork();
        return never;
    }

    @Override
    public boolean isShutdown() {
        return state != State.RUNNING;
    }

    @Override
    public boolean isTerminated() {
        return terminated.getCount() == 0;
    }

    @Override
    public boolean awaitTermination(long timeout, TimeUnit unit) throws InterruptedException {
        return terminated.await(timeout, unit);
    }

    // ------------------------------------------------------------------ introspection

    public String name() {
        return name;
    }

    /** The number of worker slots. */
    public int workers() {
        return workers;
    }

    /** The pids of the workers running now (a slot between workers is left out). */
    public List<Long> workerPids() {
        List<Long> pids = new ArrayList<>();
        for (WorkerSlot s : slots) {
            WorkerSlot.Incarnation w = s.current();
            if (w != null && w.s.process().isAlive()) pids.add(w.pid);
        }
        return pids;
    }

    /**
     * Waits until every worker is up and ready for tasks (workers start in the background; this is
     * for measurements and demos that want start-up out of the way).
     *
     * @return false when {@code timeout} elapsed first
     */
    public boolean awaitReady(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        synchronized (readyMonitor) {
            while (true) {
                int ready = 0;
                for (WorkerSlot s : slots) {
                    WorkerSlot.Incarnation w = s.current();
                    if (w != null && w.ready) ready++;
                }
                if (ready == workers) return true;
                if (isBroken()) throw (PoolBrokenException) brokenCause;
                long left = deadline - System.nanoTime();
                if (left <= 0) return false;
                TimeUnit.NANOSECONDS.timedWait(readyMonitor, Math.min(left, 50_000_000));
            }
        }
    }

    /** Counters since the pool started. */
    public record Stats(int workers, long tasksCompleted, long tasksFailed, long workersStarted, long workersCrashed,
                        long workersRetired, Duration meanStartup, Duration lastStartup) {}

    public Stats stats() {
        long n = startups.sum();
        return new Stats(workers, completedTasks.sum(), failedTasks.sum(), workersStarted.sum(), workersCrashed.sum(),
                workersRetired.sum(), n == 0 ? Duration.ZERO : Duration.ofNanos(startupNanos.sum() / n), Duration.ofNanos(lastStartupNanos));
    }

    @Override
    public String toString() {
        return "ProcessPool[" + name + ", " + workers + " workers, " + state.name().toLowerCase() + "]";
    }

    // ------------------------------------------------------------------ submitting jobs

    private static List<?> list(Collection<?> inputs) {
        Objects.requireNonNull(inputs, "inputs");
        return inputs instanceof List<?> l && inputs instanceof RandomAccess ? l : new ArrayList<>(inputs);
    }

    private int chunkFor(int chunkSize, int n) {
        if (chunkSize > 0) return chunkSize;
        // Enough tasks per record to make the per-record cost vanish, small enough to balance well.
        return (int) Math.max(1, Math.min(256, n / (workers * 32L)));
    }

    @SuppressWarnings("unchecked")
    private <R> CompletableFuture<List<R>> mapJob(Object fn, byte kind, List<?> inputs, int chunkSize, Codec<?> in, Codec<?> out,
                                                  String what) {
        Objects.requireNonNull(fn, "fn");
        stateLock.readLock().lock();
        try {
            checkOpen(RejectedExecutionException::new);
            Sinks.ArraySink sink = new Sinks.ArraySink(inputs.size(), completions);
            if (inputs.isEmpty()) return (CompletableFuture<List<R>>) (CompletableFuture<?>) sink.future;
            FunctionTable.Def d = functions.acquire(fn, kind, in, out);
            int id = jobIds.incrementAndGet();
            Job.ListJob job = new Job.ListJob(this, id, d, chunkFor(chunkSize, inputs.size()), what + "#" + id, sink, inputs, 0);
            sink.future.job = job;
            enqueue(job);
            return (CompletableFuture<List<R>>) (CompletableFuture<?>) sink.future;
        } finally {
            stateLock.readLock().unlock();
        }
    }

    private <R> ResultIterator<R> iterate(Object fn, Iterable<?> inputs, int chunkSize, boolean ordered) {
        Objects.requireNonNull(fn, "fn");
        Objects.requireNonNull(inputs, "inputs");
        stateLock.readLock().lock();
        try {
            checkOpen(RejectedExecutionException::new);
            FunctionTable.Def d = functions.acquire(fn, Wire.K_FUNCTION, null, null);
            int id = jobIds.incrementAndGet();
            String what = (ordered ? "imap#" : "imapUnordered#") + id;
            boolean known = inputs instanceof List<?> && inputs instanceof RandomAccess;
            int total = known ? ((List<?>) inputs).size() : -1;
            Sinks.IteratorSink<R> sink = ordered ? new Sinks.Ordered<>(total) : new Sinks.Unordered<>(total);
            Job job = known
                    ? new Job.ListJob(this, id, d, Math.max(1, chunkSize), what, sink, (List<?>) inputs, readAhead)
                    : new Job.StreamJob(this, id, d, Math.max(1, chunkSize), what, sink, inputs.iterator(), readAhead);
            sink.job = job;
            if (total == 0) {
                job.maybeRelease();
                return sink;
            }
            enqueue(job);
            if (job instanceof Job.StreamJob s) s.startFeeder();
            return sink;
        } finally {
            stateLock.readLock().unlock();
        }
    }

    private CompletableFuture<?> single(Object task, byte kind, Object argument, String what, Object original,
                                        java.util.function.BiFunction<String, Throwable, RuntimeException> rejection) {
        Objects.requireNonNull(task, "task");
        stateLock.readLock().lock();
        try {
            checkOpen(RejectedExecutionException::new);
            FunctionTable.Def d;
            try {
                d = functions.acquire(task, kind, null, null);
            } catch (IllegalArgumentException e) {
                throw rejection.apply(e.getMessage(), e);
            }
            Sinks.FutureSink sink = new Sinks.FutureSink(completions);
            int id = jobIds.incrementAndGet();
            Job.SingleJob job = new Job.SingleJob(this, id, d, what + "#" + id, sink, argument, original);
            sink.future.job = job;
            enqueue(job);
            return sink.future;
        } finally {
            stateLock.readLock().unlock();
        }
    }

    private void checkOpen(java.util.function.BiFunction<String, Throwable, RuntimeException> rejection) {
        if (state == State.BROKEN) throw new PoolBrokenException("pool " + name + " is broken: " + brokenCause.getMessage(), brokenCause);
        if (state != State.RUNNING) throw rejection.apply("pool " + name + " is shut down", null);
    }

    private void enqueue(Job job) {
        jobs.add(job);
        signalWork();
    }

    private static <T> T await(CompletableFuture<T> f) {
        try {
            return f.get();
        } catch (ExecutionException e) {
            Throwable c = e.getCause();
            if (c instanceof TaskFailedException t) throw new TaskFailedException(t.getMessage(), t.getCause(), t.taskIndex());
            if (c instanceof PoolBrokenException p) throw new PoolBrokenException(p.getMessage(), p.getCause());
            if (c instanceof CancellationException ce) throw ce;
            throw new TaskFailedException(String.valueOf(c), c, 0);
        } catch (InterruptedException e) {
            f.cancel(true);
            Thread.currentThread().interrupt();
            throw new CancellationException("interrupted while waiting for the pool");
        }
    }

    // ------------------------------------------------------------------ called by the worker slots

    /** Changes whenever the pool's state does: slots wake up to look. */
    int stateVersion() {
        return stateVersion;
    }

    boolean isStopping() {
        return state == State.STOP;
    }

    boolean isBroken() {
        return state == State.BROKEN;
    }

    Throwable brokenCause() {
        return brokenCause;
    }

    /**
     * The next batch of tasks for a worker: requeued tasks first, then the jobs in order.
     * {@code room} says how many tasks of a job the worker may take now (0: none of that job).
     */
    Job.Batch nextBatch(java.util.function.ToIntFunction<Job> room) {
        Job.Batch r = retries.peek();
        while (r != null) {
            if (r.job.cancelled) {
                if (retries.remove(r)) r.job.skipped(r.count);
            } else if (room.applyAsInt(r.job) > 0) {
                if (retries.remove(r)) return r;
            } else {
                return null; // keep the order: the requeued tasks go first, to whichever worker has room
            }
            r = retries.peek();
        }
        for (Iterator<Job> it = jobs.iterator(); it.hasNext(); ) {
            Job j = it.next();
            int max = j.hasAvailable() ? room.applyAsInt(j) : 0;
            Job.Batch b = max > 0 ? j.take(max) : null;
            if (b != null) return b;
            if (j.cancelled || j.inputDone()) {
                it.remove();
                j.maybeRelease();
            }
        }
        return null;
    }

    /** Whether a worker could get tasks now. */
    boolean hasAvailable() {
        if (!retries.isEmpty()) return true;
        for (Job j : jobs) if (j.hasAvailable()) return true;
        return false;
    }

    /** Whether any job may still produce tasks (now or later). */
    boolean hasPendingInput() {
        if (!retries.isEmpty()) return true;
        for (Job j : jobs) if (!j.cancelled && !j.inputDone()) return true;
        return false;
    }

    void requeue(Job.Batch b) {
        retries.addFirst(b);
        signalWork();
    }

    private void drainRetries(Throwable cause) {
        Job.Batch r;
        while ((r = retries.poll()) != null) {
            r.job.cancel(false, cause);
            r.job.skipped(r.count);
        }
    }

    /** Wakes the worker slots that sleep. */
    void signalWork() {
        for (WorkerSlot s : slots) s.nudge();
    }

    void cancelInWorkers(Job job, boolean interrupt) {
        for (Iterator<Job.Batch> it = retries.iterator(); it.hasNext(); ) {
            Job.Batch b = it.next();
            if (b.job == job && retries.removeFirstOccurrence(b)) job.skipped(b.count);
        }
        for (WorkerSlot s : slots) {
            WorkerSlot.Incarnation w = s.current();
            if (w == null) continue;
            try {
                w.s.control().send(Wire.P_CANCEL, o -> {
                    o.writeInt(job.id);
                    o.writeBoolean(interrupt);
                });
            } catch (IOException | RuntimeException ignored) {
                // that worker is gone or going
            }
        }
    }

    void jobFinished(Job job) {
        functions.release(job.fn);
    }

    void counted(long completed, long failed) {
        if (completed != 0) completedTasks.add(completed);
        if (failed != 0) failedTasks.add(failed);
    }

    void workerStarted(WorkerSlot s) {
        workersStarted.increment();
    }

    void workerReady(WorkerSlot s, long startupNanos) {
        this.startupNanos.add(startupNanos);
        startups.increment();
        lastStartupNanos = startupNanos;
        synchronized (readyMonitor) {
            readyMonitor.notifyAll();
        }
    }

    void workerGone(WorkerSlot s) {
        synchronized (readyMonitor) {
            readyMonitor.notifyAll();
        }
    }

    void workerCrashed(Throwable cause) {
        workersCrashed.increment();
    }

    void workerRetired() {
        workersRetired.increment();
    }

    void broken(PoolBrokenException cause) {
        stateLock.writeLock().lock();
        try {
            if (state == State.BROKEN) return;
            brokenCause = cause;
            state = State.BROKEN;
            stateVersion++;
        } finally {
            stateLock.writeLock().unlock();
        }
        for (Job j : jobs) j.cancel(false, cause);
        jobs.clear();
        drainRetries(cause);
        signalWork();
        synchronized (readyMonitor) {
            readyMonitor.notifyAll();
        }
    }

    void slotEnded(WorkerSlot s) {
        terminated.countDown();
        if (terminated.getCount() == 0) {
            // Jobs that can no longer run (a pool that stopped while some were queued) must not leave callers waiting.
            CancellationException cause = new CancellationException("pool " + name + " has terminated");
            for (Job j : jobs) j.cancel(false, cause);
            jobs.clear();
            drainRetries(cause);
            completions.shutdown();
        }
    }

    /** Unmodifiable view for tests and tools. */
    List<WorkerSlot> slots() {
        return Collections.unmodifiableList(List.of(slots));
    }
}
