package dev.shmkit.process;

import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/** Where the outcomes of a job's tasks go: an array, a future, an iterator. */
final class Sinks {
    private Sinks() {}

    static TaskFailedException failedTask(Job job, int index, Throwable cause) {
        String what = job instanceof Job.SingleJob ? job.description : "task " + index + " of " + job.description;
        return new TaskFailedException(what + " failed: " + cause, cause, index);
    }

    /** {@code map}: results by index into an array; the future completes with all of them, or fails with the first failure. */
    static final class ArraySink implements Job.Sink {
        private final Object[] results;
        private final AtomicInteger remaining;
        private final AtomicBoolean done = new AtomicBoolean();
        final Job.JobFuture<List<Object>> future = new Job.JobFuture<>();
        private final Executor completions;

        ArraySink(int size, Executor completions) {
            this.results = new Object[size];
            this.remaining = new AtomicInteger(size);
            this.completions = completions;
            if (size == 0) {
                done.set(true);
                future.complete(List.of());
            }
        }

        @Override
        public void success(Job job, int index, Object value) {
            results[index] = value;
        }

        @Override
        public void finished(Job job, int n) {
            if (remaining.addAndGet(-n) == 0 && !job.cancelled && done.compareAndSet(false, true)) {
                List<Object> list = Collections.unmodifiableList(Arrays.asList(results));
                completions.execute(() -> future.complete(list));
            }
        }

        @Override
        public void failure(Job job, int index, Throwable cause) {
            if (done.compareAndSet(false, true)) {
                TaskFailedException e = failedTask(job, index, cause);
                completions.execute(() -> future.completeExceptionally(e));
                job.cancel(false, e);
            }
        }

        @Override
        public void abort(Job job, Throwable cause) {
            if (done.compareAndSet(false, true)) completions.execute(() -> future.completeExceptionally(cause));
        }
    }

    /** One task: its future. */
    static final class FutureSink implements Job.Sink {
        final Job.JobFuture<Object> future = new Job.JobFuture<>();
        private final Executor completions;

        FutureSink(Executor completions) {
            this.completions = completions;
        }

        @Override
        public void success(Job job, int index, Object value) {
            completions.execute(() -> future.complete(value));
        }

        @Override
        public void failure(Job job, int index, Throwable cause) {
            completions.execute(() -> future.completeExceptionally(cause));
        }

        @Override
        public void abort(Job job, Throwable cause) {
            if (!future.isDone()) completions.execute(() -> future.completeExceptionally(cause));
        }
    }

    private record Failed(int index, Throwable cause) {}

    private static final Object NULL = new Object();

    /** The common part of the two result iterators: waiting, totals, closing. */
    abstract static class IteratorSink<R> implements Job.Sink, ResultIterator<R> {
        final ReentrantLock lock = new ReentrantLock();
        final Condition arrived = lock.newCondition();
        volatile boolean waiting;
        volatile int total = -1;
        volatile Throwable aborted;
        volatile boolean closed;
        Job job;

        void signal() {
            if (waiting) {
                lock.lock();
                try {
                    arrived.signalAll();
                } finally {
                    lock.unlock();
                }
            }
        }

        @Override
        public void total(Job job, int total) {
            this.total = total;
            signal();
        }

        @Override
        public void abort(Job job, Throwable cause) {
            aborted = cause;
            signal();
        }

        /** Waits until {@code ready} says yes; false when the stream is over. */
        boolean await(java.util.function.BooleanSupplier ready, java.util.function.BooleanSupplier over) {
            if (ready.getAsBoolean()) return true;
            lock.lock();
            try {
                waiting = true;
                while (true) {
                    if (ready.getAsBoolean()) return true;
                    if (closed || over.getAsBoolean()) return false;
                    Throwable a = aborted;
                    if (a != null) {
                        if (a instanceof RuntimeException re) throw re;
                        throw new CancellationException(String.valueOf(a));
                    }
                    try {
                        arrived.await(10, TimeUnit.MILLISECONDS);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        throw new CancellationException("interrupted while waiting for a result");
                    }
                }
            } finally {
                waiting = false;
                lock.unlock();
            }
        }

        @SuppressWarnings("unchecked")
        R unwrap(Object o) {
            if (o instanceof Failed f) throw failedTask(job, f.index(), f.cause());
            return o == NULL ? null : (R) o;
        }

        @Override
        public void close() {
            if (closed) return;
            closed = true;
            job.cancel(false, new CancellationException("result iterator closed"));
        }
    }

    /** {@code imap}: results in input order. */
    static final class Ordered<R> extends IteratorSink<R> {
        private final ConcurrentHashMap<Integer, Object> ready = new ConcurrentHashMap<>();
        private int next;

        Ordered(int knownTotal) {
            this.total = knownTotal;
        }

        @Override
        public void success(Job job, int index, Object value) {
            ready.put(index, value == null ? NULL : value);
            signal();
        }

        @Override
        public void failure(Job job, int index, Throwable cause) {
            ready.put(index, new Failed(index, cause));
            signal();
        }

        @Override
        public boolean hasNext() {
            int t = total;
            if (t >= 0 && next >= t) return false;
            return await(() -> ready.containsKey(next), () -> total >= 0 && next >= total);
        }

        @Override
        public R next() {
            if (!hasNext()) throw new NoSuchElementException();
            Object o = ready.remove(next);
            next++;
            job.consumed(next);
            return unwrap(o);
        }
    }

    /** {@code imapUnordered}: results as they come. */
    static final class Unordered<R> extends IteratorSink<R> {
        private final LinkedBlockingQueue<Object> ready = new LinkedBlockingQueue<>();
        private int consumed;

        Unordered(int knownTotal) {
            this.total = knownTotal;
        }

        @Override
        public void success(Job job, int index, Object value) {
            ready.add(value == null ? NULL : value);
            signal();
        }

        @Override
        public void failure(Job job, int index, Throwable cause) {
            ready.add(new Failed(index, cause));
            signal();
        }

        @Override
        public boolean hasNext() {
            int t = total;
            if (t >= 0 && consumed >= t) return false;
            return await(() -> !ready.isEmpty(), () -> total >= 0 && consumed >= total);
        }

        @Override
        public R next() {
            if (!hasNext()) throw new NoSuchElementException();
            Object o = ready.poll();
            consumed++;
            job.consumed(consumed);
            return unwrap(o);
        }
    }
}
