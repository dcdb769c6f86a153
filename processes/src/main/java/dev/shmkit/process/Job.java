package dev.shmkit.process;

import java.util.Iterator;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One call on a pool (a map, an imap, a submitted task): where its tasks' inputs come from, where
 * their outcomes go, and its cancellation. Worker slots take tasks from jobs concurrently and
 * report outcomes concurrently.
 */
abstract class Job {
    final ProcessPool pool;
    final int id;
    final FunctionTable.Def fn;
    final int chunkSize;
    final String description;
    final Sink sink;
    volatile boolean cancelled;
    private final AtomicInteger outstanding = new AtomicInteger();
    private final AtomicBoolean released = new AtomicBoolean();

    Job(ProcessPool pool, int id, FunctionTable.Def fn, int chunkSize, String description, Sink sink) {
        this.pool = pool;
        this.id = id;
        this.fn = fn;
        this.chunkSize = Math.max(1, chunkSize);
        this.description = description;
        this.sink = sink;
    }

    /** Where outcomes go. Called from worker slot threads, concurrently. */
    interface Sink {
        void success(Job job, int index, Object value);

        void failure(Job job, int index, Throwable cause);

        /** The whole job ended abnormally (cancelled, pool shut down or broken). */
        void abort(Job job, Throwable cause);

        /** {@code n} more tasks have an outcome (reported before, or skipped). */
        default void finished(Job job, int n) {}

        /** A job whose input was a stream learned how many tasks it has. */
        default void total(Job job, int total) {}
    }

    /** Tasks handed to one worker in one record: consecutive indexes of one job. */
    static final class Batch {
        final Job job;
        final int index;
        final int count;
        final Object[] values; // null: the job's inputs by index
        int done;
        /** The per-task time this batch was counted with in its worker's queue (-1: unknown). */
        double estimate;

        Batch(Job job, int index, int count, Object[] values) {
            this.job = job;
            this.index = index;
            this.count = count;
            this.values = values;
        }

        Object input(int k) {
            return values != null ? values[k] : job.input(index + k);
        }

        /** What is left of this batch after {@code done} tasks, or null. */
        Batch rest() {
            if (done >= count) return null;
            Object[] v = values == null ? null : java.util.Arrays.copyOfRange(values, done, count);
            return new Batch(job, index + done, count - done, v);
        }
    }

    // ------------------------------------------------------------------ input

    /**
     * Takes up to {@code max} tasks that are ready now (a range of consecutive indexes; the worker
     * slot sends it in records of {@link #chunkSize} tasks); null if none.
     */
    abstract Batch take(int max);

    /** Whether {@link #take} would return tasks now. */
    abstract boolean hasAvailable();

    /** Whether every input has been taken. */
    abstract boolean inputDone();

    Object input(int index) {
        throw new UnsupportedOperationException();
    }

    /** The consumer of an ordered result stream moved on: more inputs may be taken. */
    void consumed(int upTo) {}

    // ------------------------------------------------------------------ outcomes

    final void taken(int n) {
        outstanding.addAndGet(n);
    }

    /** Records a result; the caller then counts it with {@link #finished} (worker slots count a whole drain at once). */
    final void succeeded(int index, Object value) {
        if (!cancelled) sink.success(this, index, value);
    }

    /** Records a failure; count it with {@link #finished}. */
    final void failed(int index, Throwable cause) {
        if (!cancelled) sink.failure(this, index, cause);
    }

    /** {@code n} tasks taken from this job have their outcome now (or will never run). */
    final void finished(int n) {
        sink.finished(this, n);
        if (outstanding.addAndGet(-n) == 0 && (cancelled || inputDone())) release();
    }

    /** {@code n} taken tasks will not run (their job was cancelled). */
    final void skipped(int n) {
        finished(n);
    }

    /** Releases the function once the job will send no more tasks. */
    final void maybeRelease() {
        if (outstanding.get() == 0 && (cancelled || inputDone())) release();
    }

    private void release() {
        if (released.compareAndSet(false, true)) {
            pool.jobFinished(this);
        }
    }

    /** Stops the job: no more tasks start; queued ones are skipped, running ones interrupted if asked. */
    boolean cancel(boolean interrupt, Throwable cause) {
        if (cancelled) return false;
        cancelled = true;
        sink.abort(this, cause);
        pool.cancelInWorkers(this, interrupt);
        maybeRelease();
        return true;
    }

    @Override
    public String toString() {
        return description;
    }

    // ------------------------------------------------------------------ kinds of input

    /** Inputs known up front: a list, taken by index. */
    static final class ListJob extends Job {
        private final List<?> inputs;
        private final AtomicInteger cursor = new AtomicInteger();
        private final int maxAhead;
        private volatile int consumed;

        ListJob(ProcessPool pool, int id, FunctionTable.Def fn, int chunkSize, String description, Sink sink,
                List<?> inputs, int maxAhead) {
            super(pool, id, fn, chunkSize, description, sink);
            this.inputs = inputs;
            this.maxAhead = maxAhead;
        }

        private int limit() {
            long l = maxAhead <= 0 ? inputs.size() : Math.min((long) inputs.size(), (long) consumed + maxAhead);
            return (int) l;
        }

        @Override
        Batch take(int max) {
            if (cancelled) return null;
            while (true) {
                int cur = cursor.get();
                int lim = limit();
                if (cur >= lim) return null;
                int n = Math.min(Math.max(1, max), lim - cur);
                if (cursor.compareAndSet(cur, cur + n)) {
                    taken(n);
                    return new Batch(this, cur, n, null);
                }
            }
        }

        @Override
        boolean hasAvailable() {
            return !cancelled && cursor.get() < limit();
        }

        @Override
        boolean inputDone() {
            return cursor.get() >= inputs.size();
        }

        @Override
        Object input(int index) {
            return inputs.get(index);
        }

        int size() {
            return inputs.size();
        }

        @Override
        void consumed(int upTo) {
            if (maxAhead <= 0) return;
            boolean wasBlocked = cursor.get() >= limit();
            consumed = upTo;
            if (wasBlocked && hasAvailable()) pool.signalWork();
        }
    }

    /** Inputs from an iterator, read ahead by a feeder thread into a bounded queue. */
    static final class StreamJob extends Job {
        private record Item(int index, Object value) {}

        private static final Item END = new Item(-1, null);
        private final ArrayBlockingQueue<Item> queue;
        private final Iterator<?> source;
        private final int maxAhead;
        private final Object aheadLock = new Object();
        private volatile int consumed;
        private volatile boolean ended;
        private volatile boolean exhausted;
        private int produced;

        StreamJob(ProcessPool pool, int id, FunctionTable.Def fn, int chunkSize, String description, Sink sink,
                  Iterator<?> source, int maxAhead) {
            super(pool, id, fn, chunkSize, description, sink);
            this.source = source;
            this.maxAhead = Math.max(1, maxAhead);
            this.queue = new ArrayBlockingQueue<>(Math.max(16, Math.min(this.maxAhead, 65_536)));
        }

        void startFeeder() {
            Thread.ofVirtual().name("shmkit-pool-feeder-" + id).start(this::feed);
        }

        private void feed() {
            try {
                while (!cancelled && source.hasNext()) {
                    Object v = source.next();
                    synchronized (aheadLock) {
                        while (!cancelled && produced - consumed >= maxAhead) aheadLock.wait(100);
                    }
                    if (cancelled) break;
                    while (!queue.offer(new Item(produced, v), 100, TimeUnit.MILLISECONDS)) {
                        if (cancelled) return;
                    }
                    produced++;
                    pool.signalWork();
                }
                sink.total(this, produced);
            } catch (InterruptedException e) {
                cancel(false, new CancellationException("input reader interrupted"));
            } catch (RuntimeException | Error e) {
                // The input iterator itself failed: the tasks already taken finish, the rest is lost.
                cancel(false, new TaskFailedException("reading the inputs of " + description + " failed: " + e, e, produced));
            } finally {
                ended = true;
                queue.offer(END);
                pool.signalWork();
                maybeRelease();
            }
        }

        @Override
        Batch take(int max) {
            if (cancelled || exhausted) return null;
            int want = Math.min(Math.max(1, max), 4096);
            Item first = queue.poll();
            if (first == null) return null;
            if (first == END) {
                exhausted = true;
                maybeRelease();
                return null;
            }
            int n = 1;
            Object[] values = new Object[want];
            values[0] = first.value();
            while (n < want) {
                Item next = queue.peek();
                if (next == null || next == END) break;
                queue.poll();
                values[n++] = next.value();
            }
            taken(n);
            return new Batch(this, first.index(), n, n == want ? values : java.util.Arrays.copyOf(values, n));
        }

        @Override
        boolean hasAvailable() {
            return !cancelled && !exhausted && !queue.isEmpty();
        }

        @Override
        boolean inputDone() {
            return exhausted || (ended && queue.isEmpty()) || cancelled;
        }

        @Override
        void consumed(int upTo) {
            consumed = upTo;
            synchronized (aheadLock) {
                aheadLock.notifyAll();
            }
        }
    }

    /** One task: a submitted callable or runnable, or a function applied to one argument. */
    static final class SingleJob extends Job {
        private final Object argument;
        private final AtomicBoolean takenOnce = new AtomicBoolean();
        final Object original;

        SingleJob(ProcessPool pool, int id, FunctionTable.Def fn, String description, Sink sink, Object argument, Object original) {
            super(pool, id, fn, 1, description, sink);
            this.argument = argument;
            this.original = original;
        }

        @Override
        Batch take(int max) {
            if (cancelled || !takenOnce.compareAndSet(false, true)) return null;
            taken(1);
            return new Batch(this, 0, 1, null);
        }

        @Override
        boolean hasAvailable() {
            return !cancelled && !takenOnce.get();
        }

        @Override
        boolean inputDone() {
            return takenOnce.get();
        }

        @Override
        Object input(int index) {
            return argument;
        }

        boolean started() {
            return takenOnce.get();
        }
    }

    // ------------------------------------------------------------------ futures that cancel their job

    /** A future whose {@code cancel} cancels the job behind it (and interrupts its task if asked). */
    static final class JobFuture<T> extends CompletableFuture<T> {
        volatile Job job;

        @Override
        public boolean cancel(boolean mayInterruptIfRunning) {
            boolean c = super.cancel(mayInterruptIfRunning);
            Job j = job;
            if (c && j != null) j.cancel(mayInterruptIfRunning, new CancellationException());
            return c;
        }

        @Override
        public <U> CompletableFuture<U> newIncompleteFuture() {
            return new CompletableFuture<>();
        }
    }
}
