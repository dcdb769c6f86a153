package dev.shmkit.process;

import dev.shmkit.queue.Codec;
import dev.shmkit.ring.SharedRing;
import dev.shmkit.signals.ExitStatus;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayDeque;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CancellationException;
import java.util.concurrent.TimeUnit;

/**
 * One worker of a pool and the parent thread that serves it. The thread is the only producer of
 * the worker's task ring and the only consumer of its result ring (both single-producer,
 * single-consumer: no locks on the data path). It pulls tasks from the pool's jobs while the
 * worker has fewer than a window of tasks queued, reads results and hands them to their jobs,
 * and sleeps on the doorbell in the worker's control area when there is nothing to do.
 *
 * <h2>The window</h2>
 * The slot keeps about {@value #TARGET_QUEUE_MILLIS} ms of work queued in its worker, by its
 * measured time per task: thousands of trivial tasks (so the worker never waits for the
 * parent), two long ones (so a task never waits behind a busy worker while another is idle).
 *
 * <h2>When the worker dies</h2>
 * The worker counts the tasks it takes; results come back in the order tasks were sent. So when
 * it dies, the slot knows exactly which task was running (it fails with a
 * {@link WorkerCrashedException}) and which never started (they go back to the pool for any
 * worker), starts a replacement, and carries on.
 */
final class WorkerSlot implements Runnable {
    static final int TARGET_QUEUE_MILLIS = 2;
    private static final long TARGET_QUEUE_NANOS = TimeUnit.MILLISECONDS.toNanos(TARGET_QUEUE_MILLIS);
    private static final int INITIAL_WINDOW = 2;
    private static final int MAX_WINDOW = 8192;
    private static final int SPINS = 200;
    private static final long SLICE_NANOS = TimeUnit.MILLISECONDS.toNanos(100);
    private static final int MAX_START_FAILURES = 3;
    private static final ValueLayout.OfInt I = ValueLayout.JAVA_INT_UNALIGNED;

    private final ProcessPool pool;
    final int slot;
    private final ValueCodec values;
    private volatile Incarnation current;
    private final ArrayDeque<Job.Batch> inflight = new ArrayDeque<>();
    private int inflightTasks;
    private Job.Batch pendingBatch;
    private Fragments.Outgoing pendingOut;
    private int startFailures;
    private Throwable lastStartFailure;
    private int generation;
    private int drained;
    private long completed;
    private long failed;

    /** One worker process of this slot. */
    final class Incarnation {
        final Launcher.Spawned s;
        final long pid;
        final int generation;
        final Set<Integer> known = new HashSet<>();
        final Fragments.Assembler assembler = new Fragments.Assembler(Integer.MAX_VALUE);
        int allowVersion = -1;
        long received;
        long dispatched;
        boolean ready;
        boolean stopSent;
        boolean retiring;
        boolean fatalReported;
        boolean timedOut;
        RemoteException initFailure;
        long startedSeen;
        long startedSeenAt;
        long busySeen;
        long receivedSeen;

        Incarnation(Launcher.Spawned s, int generation) {
            this.s = s;
            this.pid = s.process().pid();
            this.generation = generation;
        }

        MemorySegment ctl() {
            return s.ctl();
        }

        /** Wakes the slot thread if it sleeps; safe from any thread, also after release. */
        void nudge() {
            try {
                Wire.ring(s.ctl());
            } catch (IllegalStateException closed) {
                // released meanwhile: the slot thread is awake anyway
            }
        }
    }

    WorkerSlot(ProcessPool pool, int slot) {
        this.pool = pool;
        this.slot = slot;
        this.values = new ValueCodec(pool.allowList, false, classes -> {
            if (pool.allowList.addPackagesOf(classes)) pool.signalWork();
        });
    }

    Incarnation current() {
        return current;
    }

    void nudge() {
        Incarnation w = current;
        if (w != null) w.nudge();
    }

    // ------------------------------------------------------------------ the loop

    @Override
    public void run() {
        try {
            loop();
        } catch (Throwable t) {
            // A bug in the slot itself: do not leave callers waiting forever.
            System.err.println("shmkit pool " + pool.name() + ": worker slot " + slot + " failed: " + t);
            t.printStackTrace();
            Incarnation w = current;
            if (w != null) w.s.process().destroyForcibly();
            abortInflight(new IllegalStateException("the pool's worker slot " + slot + " failed: " + t, t));
        } finally {
            Incarnation w = current;
            if (w != null) {
                w.s.process().destroyForcibly();
                try {
                    w.s.process().waitFor(10, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                w.s.release();
                current = null;
            }
            pool.slotEnded(this);
        }
    }

    private int stateSeen;

    private void loop() throws InterruptedException {
        while (true) {
            stateSeen = pool.stateVersion();
            Incarnation w = current;
            if (w == null) {
                if (pool.isStopping() || pool.isBroken()) return;
                if (pool.isShutdown() && !pool.hasPendingInput() && inflight.isEmpty()) return;
                if (!spawn()) continue;
                w = current;
            }
            if (pool.isStopping() || pool.isBroken()) {
                stopNow(w);
                return;
            }
            int got = drain(w);
            boolean progress = got > 0;
            if (!w.ready && Wire.getInt(w.ctl(), Wire.CTL_STATE) == Wire.STATE_READY) {
                w.ready = true;
                Launcher.taken(w.s.segmentName());
                pool.workerReady(this, System.nanoTime() - w.s.startNanos());
                progress = true;
            }
            if (w.retiring && inflight.isEmpty()) w.s.process().waitFor(10, TimeUnit.SECONDS); // it exits by itself now
            if (!w.s.process().isAlive()) {
                onExit(w);
                continue;
            }
            progress |= feed(w);
            if (!w.stopSent && pool.isShutdown() && inflight.isEmpty() && pendingBatch == null && pendingOut == null
                    && !pool.hasPendingInput()) {
                sendStop(w);
            }
            checkTimeout(w);
            if (!progress) await(w);
        }
    }

    private boolean spawn() throws InterruptedException {
        int gen = ++generation;
        Setup setup = new Setup(true, true, pool.maxTasksPerChild, pool.allowList.patterns(), pool.waitStrategy.name(),
                pool.initializer, (byte) 0, null, null, List.of());
        try {
            Launcher.Spawned s = Launcher.spawn(pool.spec, 'w', pool.name(), slot, pool.ringCapacity, pool.ringCapacity, setup, true);
            Incarnation w = new Incarnation(s, gen);
            w.allowVersion = pool.allowList.version();
            current = w;
            pool.workerStarted(this);
            s.process().onExit().thenRun(w::nudge);
            return true;
        } catch (IOException | RuntimeException e) {
            startFailed(e);
            Thread.sleep(Math.min(1000, 50L << Math.min(4, startFailures)));
            return false;
        }
    }

    private void startFailed(Throwable cause) {
        lastStartFailure = cause;
        if (++startFailures >= MAX_START_FAILURES) {
            pool.broken(new PoolBrokenException("pool " + pool.name() + ": worker " + slot + " failed to start "
                    + startFailures + " times in a row; last: " + cause, cause));
        }
    }

    // ------------------------------------------------------------------ sending tasks

    /**
     * The work queued in the worker, in nanoseconds by each function's measured time per task; a
     * task of a function not measured yet counts as a whole window, so it only goes to an idle
     * worker (a task of unknown length never waits behind another, nor another behind it).
     */
    private long queuedNanos() {
        if (unknownInflight > 0) return UNKNOWN;
        return (long) Math.max(0, Math.min(UNKNOWN - 1, queuedSum));
    }

    /** Estimated nanoseconds of the tasks in flight with a known time, and how many have none. */
    private double queuedSum;
    private int unknownInflight;

    /** One task of {@code b} has its outcome: take it off the queue estimate. */
    private void dequeued(Job.Batch b) {
        if (b.estimate < 0) unknownInflight--;
        else queuedSum -= b.estimate;
        if (inflightTasks == 0) {
            queuedSum = 0;
            unknownInflight = 0;
        }
    }

    private static final long UNKNOWN = Long.MAX_VALUE / 2;

    /** How many tasks of {@code job} this worker may take now. */
    private int room(Job job, long queued) {
        if (queued == UNKNOWN) return 0;
        double t = job.fn.timing.nanos();
        if (t < 0) return inflight.isEmpty() ? 1 : 0;
        long free = TARGET_QUEUE_NANOS - queued;
        if (free <= 0) return inflightTasks < INITIAL_WINDOW ? 1 : 0; // always keep one task queued behind the running one
        return (int) Math.max(1, Math.min(MAX_WINDOW - inflightTasks, free / Math.max(1.0, t)));
    }

    /** About how many tasks the worker holds when its queue is full (for the doorbell threshold). */
    private int window() {
        Job.Batch head = inflight.peek();
        double t = head == null ? -1 : head.job.fn.timing.nanos();
        if (t < 0) return INITIAL_WINDOW;
        return (int) Math.max(INITIAL_WINDOW, Math.min(MAX_WINDOW, TARGET_QUEUE_NANOS / Math.max(1.0, t) + 1));
    }

    private int budget(Incarnation w) {
        if (pool.maxTasksPerChild <= 0) return Integer.MAX_VALUE;
        return (int) Math.max(0, pool.maxTasksPerChild - w.dispatched);
    }

    private boolean canFeed(Incarnation w) {
        if (w.stopSent || w.retiring || pendingOut != null || budget(w) <= 0 || inflightTasks >= MAX_WINDOW) return false;
        if (inflight.isEmpty()) return true;
        long queued = queuedNanos();
        return queued != UNKNOWN && (inflightTasks < INITIAL_WINDOW || queued < TARGET_QUEUE_NANOS);
    }

    private boolean feed(Incarnation w) {
        boolean fed = false;
        SharedRing tasks = w.s.tasks();
        if (pendingOut != null) {
            if (!pendingOut.pump(tasks)) return false;
            pendingOut = null;
            fed = true;
        }
        while (canFeed(w)) {
            Job.Batch b = pendingBatch;
            pendingBatch = null;
            if (b == null) {
                long queued = queuedNanos();
                int budget = budget(w);
                b = pool.nextBatch(job -> Math.min(budget, room(job, queued)));
            }
            if (b == null) break;
            if (b.job.cancelled) {
                b.job.skipped(b.count);
                continue;
            }
            if (!define(w, b.job.fn)) {
                pendingBatch = b; // the worker is gone: its exit is handled next round, and the batch goes back to the pool
                break;
            }
            Job.Batch rest = sendRecords(w, b);
            if (rest != b) fed = true;
            if (rest != null) {
                pendingBatch = rest;
                break;
            }
            if (pendingOut != null) break;
        }
        return fed;
    }

    /** Makes sure the worker knows the allow-list and the function; false when its pipe is broken. */
    private boolean define(Incarnation w, FunctionTable.Def fn) {
        ControlPipe.Writer control = w.s.control();
        try {
            int v = pool.allowList.version();
            if (v != w.allowVersion) {
                List<String> patterns = pool.allowList.patterns();
                control.send(Wire.P_ALLOW, o -> ControlPipe.writeStrings(o, patterns));
                w.allowVersion = v;
            }
            if (!w.known.contains(fn.id)) {
                for (Integer old : pool.functions.forgotten(w.known)) {
                    control.send(Wire.P_FORGET, o -> o.writeInt(old));
                    w.known.remove(old);
                }
                control.send(Wire.P_DEFINE, fn::writeDefine);
                w.known.add(fn.id);
            }
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /**
     * Sends the tasks of {@code b} as records of up to the job's chunk size each, as far as the ring
     * has room; the tasks sent join the in-flight queue. Returns what was not sent: null for
     * nothing, {@code b} itself when nothing could be sent.
     */
    private Job.Batch sendRecords(Incarnation w, Job.Batch b) {
        int chunk = b.job.chunkSize;
        int from = 0; // first task sent but not yet queued as in flight
        int k = 0;    // next task to send
        while (k < b.count) {
            int n = Math.min(chunk, b.count - k);
            int r = sendRecord(w, b, k, n);
            if (r == 0) break;
            if (r > 0) {
                k += n;
                if (pendingOut != null) break;
                continue;
            }
            int bad = k + (-r - 1);
            if (bad > k) {
                if (sendRecord(w, b, k, bad - k) <= 0) break;
                k = bad;
            }
            addInflight(w, b, from, k - from);
            Throwable e = encodeFailure;
            encodeFailure = null;
            b.job.failed(b.index + bad, new IllegalArgumentException("cannot send the input of task " + (b.index + bad) + " of "
                    + b.job.description + " to a worker: " + e.getMessage(), e));
            b.job.finished(1);
            pool.counted(0, 1);
            k = bad + 1;
            from = k;
        }
        addInflight(w, b, from, k - from);
        if (k >= b.count) return null;
        return k == 0 ? b : sub(b, k, b.count - k);
    }

    private static Job.Batch sub(Job.Batch b, int from, int count) {
        if (from == 0 && count == b.count) return b;
        return new Job.Batch(b.job, b.index + from, count, b.values == null ? null : java.util.Arrays.copyOfRange(b.values, from, from + count));
    }

    private void addInflight(Incarnation w, Job.Batch b, int from, int count) {
        if (count <= 0) return;
        Job.Batch s = sub(b, from, count);
        double t = s.job.fn.timing.nanos();
        s.estimate = t < 0 ? -1 : Math.max(1.0, t);
        if (t < 0) unknownInflight += count;
        else queuedSum += count * s.estimate;
        inflight.add(s);
        inflightTasks += count;
        w.dispatched += count;
    }

    private Throwable encodeFailure;

    /**
     * Sends tasks {@code k .. k+n-1} of {@code b} as one record. Returns {@code n} when sent, 0 when
     * the ring has no room, {@code -(j+1)} when task {@code k+j} cannot be encoded (the cause is
     * left in {@link #encodeFailure}).
     */
    private int sendRecord(Incarnation w, Job.Batch b, int k, int n) {
        Job job = b.job;
        FunctionTable.Def fn = job.fn;
        boolean withInput = fn.kind == Wire.K_FUNCTION || fn.kind == Wire.K_BIFUNCTION;
        @SuppressWarnings("unchecked")
        Codec<Object> codec = fn.in != null ? fn.in : values;
        SharedRing tasks = w.s.tasks();
        int seq = w.s.control().sent();
        int[] sizes = n == 1 ? single : new int[n];
        long total = Wire.TASK_HEADER + (n > 1 ? 4 : 0);
        for (int j = 0; j < n; j++) {
            try {
                sizes[j] = withInput ? codec.size(b.input(k + j)) : 0;
            } catch (RuntimeException | Error e) {
                encodeFailure = e;
                return -(j + 1);
            }
            total += (n > 1 ? 4 : 0) + sizes[j];
        }
        int type = n == 1 ? Wire.T_TASK : Wire.T_CHUNK;
        if (total <= tasks.maxPayload()) {
            long i = tasks.tryClaim(type, (int) total);
            if (i < 0) return 0;
            try {
                write(tasks.buffer(), i, seq, fn.id, job.id, b, k, n, sizes, codec, withInput);
            } catch (RuntimeException | Error e) {
                tasks.abort(i);
                encodeFailure = e;
                return -1;
            }
            tasks.commit(i);
            return n;
        }
        if (total > Integer.MAX_VALUE - 64) {
            encodeFailure = new IllegalArgumentException("a task record of " + total + " bytes is too large");
            return -1;
        }
        byte[] bytes = new byte[(int) total];
        try {
            write(MemorySegment.ofArray(bytes), 0, seq, fn.id, job.id, b, k, n, sizes, codec, withInput);
        } catch (RuntimeException | Error e) {
            encodeFailure = e;
            return -1;
        }
        pendingOut = new Fragments.Outgoing(Wire.T_FRAGMENT, type, bytes);
        if (pendingOut.pump(tasks)) pendingOut = null;
        return n;
    }

    private final int[] single = new int[1];

    private static void write(MemorySegment buf, long i, int seq, int fnId, int jobId, Job.Batch b, int k, int n, int[] sizes,
                              Codec<Object> codec, boolean withInput) {
        buf.set(I, i, seq);
        buf.set(I, i + 4, fnId);
        buf.set(I, i + 8, jobId);
        buf.set(I, i + 12, b.index + k);
        if (n == 1) {
            if (withInput) codec.encode(b.input(k), buf, i + Wire.TASK_HEADER);
            return;
        }
        buf.set(I, i + 16, n);
        long p = i + Wire.TASK_HEADER + 4;
        for (int j = 0; j < n; j++) {
            buf.set(I, p, sizes[j]);
            if (withInput) codec.encode(b.input(k + j), buf, p + 4);
            p += 4 + sizes[j];
        }
    }

    private void sendStop(Incarnation w) {
        long i = w.s.tasks().tryClaim(Wire.T_STOP, 0);
        if (i < 0) return; // no room yet: next round
        w.s.tasks().commit(i);
        w.stopSent = true;
    }

    // ------------------------------------------------------------------ receiving results

    private FunctionTable.Timing drainTiming;
    private boolean drainMixed;

    private int drain(Incarnation w) {
        drained = 0;
        drainTiming = null;
        drainMixed = false;
        SharedRing results = w.s.results();
        while (results.read((type, buf, index, length) -> onResult(w, type, buf, index, length), 1024) > 0) {
            // keep reading while there is something
        }
        flushCounts();
        if (drainMixed) drainTiming = null;
        int n = drained;
        if (n > 0) {
            // The worker's own time per task (it reports the time it spent on task records), so that
            // the window does not shrink because of the time results wait for this thread.
            long busy = Wire.getLong(w.ctl(), Wire.CTL_BUSY_NANOS);
            long done = w.received;
            if (busy > w.busySeen && done > w.receivedSeen) {
                double per = (double) (busy - w.busySeen) / (done - w.receivedSeen);
                if (drainTiming != null) drainTiming.sample(per); // all results of this drain were of one kind of task
                w.busySeen = busy;
                w.receivedSeen = done;
            }
            pool.counted(completed, failed);
            completed = 0;
            failed = 0;
        }
        return n;
    }

    private Job countJob;
    private int countPending;

    /** Counts outcomes per job in runs (results of one job arrive together), not one atomic update per task. */
    private void count(Job job) {
        if (job != countJob) {
            flushCounts();
            countJob = job;
        }
        countPending++;
    }

    private void flushCounts() {
        if (countJob != null && countPending > 0) countJob.finished(countPending);
        countJob = null;
        countPending = 0;
    }

    private void onResult(Incarnation w, int type, MemorySegment buf, long index, int length) {
        switch (type) {
            case Wire.R_OK, Wire.R_ERROR, Wire.R_CANCELLED, Wire.R_FATAL ->
                    outcome(w, buf.get(I, index), buf.get(I, index + 4), type, buf, index + Wire.RESULT_HEADER, length - Wire.RESULT_HEADER);
            case Wire.R_CHUNK -> {
                int jobId = buf.get(I, index);
                int first = buf.get(I, index + 4);
                int count = buf.get(I, index + 8);
                long p = index + 12;
                long end = index + length;
                for (int k = 0; k < count; k++) {
                    if (end - p < 5) throw new IllegalStateException("worker " + slot + " sent a corrupt chunk of results");
                    byte status = buf.get(ValueLayout.JAVA_BYTE, p);
                    int l = buf.get(I, p + 1);
                    if (l < 0 || l > end - p - 5) throw new IllegalStateException("worker " + slot + " sent a corrupt chunk of results");
                    int kind = status == 0 ? Wire.R_OK : status == 1 ? Wire.R_ERROR : Wire.R_CANCELLED;
                    outcome(w, jobId, first + k, kind, buf, p + 5, l);
                    p += 5 + l;
                }
            }
            case Wire.R_INIT_FAILED -> w.initFailure = ExceptionCodec.decode(bytes(buf, index, length), w.pid);
            case Wire.R_RETIRING -> w.retiring = true;
            case Wire.R_FRAGMENT -> {
                MemorySegment whole = w.assembler.accept(buf, index, length);
                if (whole != null) onResult(w, w.assembler.innerType(), whole, 0, (int) whole.byteSize());
            }
            default -> throw new IllegalStateException("worker " + slot + " sent an unknown record type " + type);
        }
    }

    /** One task's outcome: the next task in flight, in order. */
    private void outcome(Incarnation w, int jobId, int taskIndex, int kind, MemorySegment buf, long off, int len) {
        Job.Batch head = inflight.peek();
        if (head == null || head.job.id != jobId || head.index + head.done != taskIndex) {
            throw new IllegalStateException("worker " + slot + " (pid " + w.pid + ") returned task " + taskIndex + " of job "
                    + jobId + " but " + (head == null ? "none was running" : "task " + (head.index + head.done) + " of job "
                    + head.job.id + " was next"));
        }
        Job job = head.job;
        FunctionTable.Timing timing = job.fn.timing;
        if (drainTiming == null) drainTiming = timing;
        else if (drainTiming != timing) drainMixed = true;
        switch (kind) {
            case Wire.R_OK -> {
                Object v = null;
                boolean ok = true;
                try {
                    @SuppressWarnings("unchecked")
                    Codec<Object> codec = job.fn.out != null ? job.fn.out : values;
                    v = codec.decode(buf, off, len);
                } catch (RuntimeException e) {
                    ok = false;
                    failed++;
                    job.failed(taskIndex, new IllegalStateException("cannot read the result of task " + taskIndex + " of "
                            + job.description + ": " + e.getMessage(), e));
                }
                if (ok) {
                    completed++;
                    job.succeeded(taskIndex, v);
                }
            }
            case Wire.R_ERROR -> {
                failed++;
                job.failed(taskIndex, ExceptionCodec.decode(bytes(buf, off, len), w.pid));
            }
            case Wire.R_CANCELLED -> {
                // nothing to report: the job was cancelled
            }
            default -> {
                failed++;
                w.fatalReported = true;
                RemoteException e = ExceptionCodec.decode(bytes(buf, off, len), w.pid);
                job.failed(taskIndex, new WorkerCrashedException("worker " + slot + " (pid " + w.pid + ") failed with "
                        + e + " while running " + what(job, taskIndex) + "; it stopped and the pool replaced it", w.pid, null, e));
            }
        }
        count(job);
        head.done++;
        inflightTasks--;
        dequeued(head);
        w.received++;
        drained++;
        if (head.done == head.count) inflight.poll();
    }

    private static byte[] bytes(MemorySegment buf, long index, int length) {
        byte[] b = new byte[length];
        MemorySegment.copy(buf, ValueLayout.JAVA_BYTE, index, b, 0, length);
        return b;
    }

    private static String what(Job job, int index) {
        return job instanceof Job.SingleJob ? job.description : "task " + index + " of " + job.description;
    }

    // ------------------------------------------------------------------ waiting

    private void await(Incarnation w) {
        long threshold = inflightTasks == 0 ? 1 : Math.max(1, Math.min(inflightTasks, window() / 2));
        long wakeAt = w.received + threshold;
        for (int i = 0; i < SPINS; i++) {
            if (hasWork(w, wakeAt)) return;
            Thread.onSpinWait();
        }
        MemorySegment ctl = w.ctl();
        Wire.setLong(ctl, Wire.CTL_WAKE_AT, wakeAt);
        long slice = SLICE_NANOS;
        if (pool.taskTimeoutNanos > 0) slice = Math.min(slice, Math.max(1_000_000, pool.taskTimeoutNanos / 10));
        Wire.sleep(ctl, slice, () -> hasWork(w, wakeAt));
    }

    /** Whether the loop has something to do: enough results, room to feed and tasks to send, a state change. */
    private boolean hasWork(Incarnation w, long wakeAt) {
        MemorySegment ctl = w.ctl();
        return Wire.getLong(ctl, Wire.CTL_RESULTS) >= wakeAt || w.s.results().used() > w.s.results().capacity() / 2
                || !w.s.process().isAlive()
                || (pendingBatch == null && canFeed(w) && pool.hasAvailable())
                || (!w.ready && Wire.getInt(ctl, Wire.CTL_STATE) != Wire.STATE_STARTING)
                || pool.stateVersion() != stateSeen;
    }

    private void checkTimeout(Incarnation w) {
        long limit = pool.taskTimeoutNanos;
        if (limit <= 0 || w.timedOut) return;
        long started = Wire.getLong(w.ctl(), Wire.CTL_STARTED);
        long now = System.nanoTime();
        if (started != w.startedSeen) {
            w.startedSeen = started;
            w.startedSeenAt = now;
        } else if (started > w.received && now - w.startedSeenAt > limit) {
            w.timedOut = true;
            w.s.process().destroyForcibly();
        }
    }

    // ------------------------------------------------------------------ a worker ended

    private void onExit(Incarnation w) throws InterruptedException {
        w.s.process().waitFor();
        drain(w);
        ExitStatus status = new ExitStatus(w.s.process().exitValue());
        boolean expected = (w.stopSent || w.retiring) && status.exitValue() == 0;
        // Count first: whoever sees a task fail because of this crash also sees it counted.
        if (expected) {
            startFailures = 0;
            if (w.retiring) pool.workerRetired();
        } else if (w.initFailure != null) {
            pool.workerCrashed(w.initFailure);
        } else if (w.ready && !pool.isStopping()) {
            pool.workerCrashed(null);
        }
        // The worker took `started` tasks and we have results for `received`; the last task taken had
        // started and was running. With chunks, the ones before it in its chunk had finished, but their
        // results go out with the whole chunk, so they were lost with the worker: they run again.
        long started = Wire.getLong(w.ctl(), Wire.CTL_STARTED);
        long unreported = started - w.received;
        Job.Batch head = inflight.peek();
        if (head != null && unreported > 0 && !w.fatalReported && head.done + unreported - 1 < head.count) {
            int offset = (int) (unreported - 1);
            if (offset > 0) {
                pool.requeue(sub(head, head.done, offset));
                head.done += offset;
                inflightTasks -= offset;
            }
            int idx = head.index + head.done;
            Throwable cause;
            if (w.timedOut) {
                cause = new TaskTimeoutException(what(head.job, idx) + " ran longer than the pool's task timeout of "
                        + pool.taskTimeout + "; worker " + slot + " (pid " + w.pid + ") was killed and replaced", pool.taskTimeout);
            } else {
                cause = new WorkerCrashedException("worker " + slot + " (pid " + w.pid + ") died while running " + what(head.job, idx)
                        + ": " + status + hint(status) + "; the pool replaced it", w.pid, status, null);
            }
            pool.counted(0, 1);
            head.job.failed(idx, cause);
            head.job.finished(1);
            head.done++;
            inflightTasks--;
            dequeued(head);
            if (head.done == head.count) inflight.poll();
        }
        requeueInflight();
        pendingOut = null;
        w.s.release();
        current = null;
        if (!expected) {
            if (w.initFailure != null) {
                startFailed(w.initFailure);
            } else if (!w.ready) {
                startFailed(new IllegalStateException("worker JVM " + w.pid + " " + status + " before it was ready (command: "
                        + String.join(" ", w.s.command()) + ")"));
            } else {
                startFailures = 0;
            }
        }
        pool.workerGone(this);
    }

    private static String hint(ExitStatus status) {
        if (status.killedBySignal()) return "";
        if (status.exitValue() == Wire.EXIT_VM_ERROR) return " (it ran out of memory, or another VM error; did the task call System.exit(3)?)";
        return " (did the task call System.exit?)";
    }

    private void requeueInflight() {
        for (Job.Batch b : inflight) {
            Job.Batch rest = b.rest();
            if (rest != null) pool.requeue(rest);
        }
        inflight.clear();
        inflightTasks = 0;
        queuedSum = 0;
        unknownInflight = 0;
        if (pendingBatch != null) {
            pool.requeue(pendingBatch);
            pendingBatch = null;
        }
    }

    /** {@code shutdownNow} or a broken pool: kill the worker; its tasks are cancelled. */
    private void stopNow(Incarnation w) throws InterruptedException {
        w.s.process().destroyForcibly();
        w.s.process().waitFor();
        drain(w);
        abortInflight(pool.isBroken() ? pool.brokenCause() : new CancellationException("pool " + pool.name() + " was shut down now"));
        w.s.release();
        current = null;
        pool.workerGone(this);
    }

    private void abortInflight(Throwable cause) {
        for (Job.Batch b : inflight) {
            b.job.cancel(false, cause);
            b.job.skipped(b.count - b.done);
        }
        inflight.clear();
        inflightTasks = 0;
        queuedSum = 0;
        unknownInflight = 0;
        if (pendingBatch != null) {
            pendingBatch.job.cancel(false, cause);
            pendingBatch.job.skipped(pendingBatch.count);
            pendingBatch = null;
        }
        pendingOut = null;
    }
}
