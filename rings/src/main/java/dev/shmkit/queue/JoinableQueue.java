package dev.shmkit.queue;

import dev.shmkit.shm.Futex;
import dev.shmkit.shm.OpenMode;

import java.lang.foreign.MemorySegment;
import java.util.Objects;
import java.util.concurrent.TimeUnit;

import static dev.shmkit.queue.QueueDescriptor.JOIN_WAITERS_OFFSET;
import static dev.shmkit.queue.QueueDescriptor.UNFINISHED_OFFSET;

/**
 * A {@link SharedQueue} that counts unfinished tasks: Python's
 * {@code multiprocessing.JoinableQueue}. Every element put increments a shared counter of
 * unfinished tasks; a consumer calls {@link #taskDone()} when it has finished with an element
 * it took; {@link #join()} waits, in any process, until the counter is back to zero.
 *
 * <pre>{@code
 * // producer                                   // each worker process
 * for (Job j : jobs) q.put(j);                  while (true) {
 * q.join(); // every job processed                  Job j = q.take();
 *                                                   process(j);
 *                                                   q.taskDone();
 *                                               }
 * }</pre>
 *
 * The counter is part of the queue: every handle on a joinable queue, including a plain
 * {@code SharedQueue} opened on it, counts its puts. A put increments the counter before the
 * element can be taken, so {@code taskDone()} for it can never come first. {@link #clear()}
 * counts the elements it discards as done.
 *
 * <p>Semantics as in Python: {@code taskDone()} called more times than elements were put throws
 * an {@link IllegalStateException} (Python's {@code ValueError}) and changes nothing. Any process
 * may call it, not only the one that took the element.
 *
 * <p>Interruption: {@code join} checks the interrupt status on entry and between futex sleeps of
 * at most 10 ms. A timeout of zero or less does not wait.
 *
 * <p>Memory visibility: actions of a thread before its {@code taskDone()} happen-before the
 * return of a {@code join()} that it released.
 *
 * <p>When a process dies: a consumer that dies after taking an element and before
 * {@code taskDone()} leaves that task unfinished forever, and {@code join()} then waits forever,
 * as in Python; so does a producer killed between counting an element and publishing it (a few
 * instructions). Join with a timeout where that matters, and see {@link #unfinishedTasks()}.
 *
 * @param <E> the element type
 */
public final class JoinableQueue<E> extends SharedQueue<E> {
    private JoinableQueue(Region r, Codec<E> codec) {
        super(r, codec);
    }

    /** Creates a named joinable queue (exclusively, permissions 0600) of {@code capacityBytes}. */
    public static <E> JoinableQueue<E> create(String name, long capacityBytes, Codec<E> codec) {
        return open(name, OpenMode.CREATE_EXCLUSIVE, capacityBytes, codec, 0600);
    }

    /** Opens an existing named joinable queue; a plain queue is refused. */
    public static <E> JoinableQueue<E> open(String name, Codec<E> codec) {
        return open(name, OpenMode.OPEN_EXISTING, 0, codec, 0600);
    }

    public static <E> JoinableQueue<E> openOrCreate(String name, long capacityBytes, Codec<E> codec) {
        return open(name, OpenMode.OPEN_OR_CREATE, capacityBytes, codec, 0600);
    }

    public static <E> JoinableQueue<E> open(String name, OpenMode mode, long capacityBytes, Codec<E> codec, int permissions) {
        Objects.requireNonNull(codec, "codec");
        return new JoinableQueue<>(Region.named(name, mode, capacityBytes, permissions, codec, true), codec);
    }

    /** Initializes a new joinable queue at {@code offset} of {@code segment} ({@link #sizeFor} bytes, 8-byte aligned). */
    public static <E> JoinableQueue<E> create(MemorySegment segment, long offset, long capacityBytes, Codec<E> codec) {
        Objects.requireNonNull(codec, "codec");
        return new JoinableQueue<>(Region.create(segment, offset, capacityBytes, codec, true), codec);
    }

    public static <E> JoinableQueue<E> open(MemorySegment segment, long offset, Codec<E> codec) {
        Objects.requireNonNull(codec, "codec");
        return new JoinableQueue<>(Region.open(segment, offset, codec, true), codec);
    }

    /**
     * Marks one task done: an element taken from the queue has been processed.
     *
     * @throws IllegalStateException when called more times than elements were put
     */
    public void taskDone() {
        ensureOpen();
        while (true) {
            int v = (int) INT.getVolatile(header, UNFINISHED_OFFSET);
            if (v <= 0) throw new IllegalStateException("taskDone() called too many times: " + description + " has no unfinished tasks");
            if (INT.compareAndSet(header, UNFINISHED_OFFSET, v, v - 1)) {
                if (v == 1) wakeJoiners();
                return;
            }
        }
    }

    /** Tasks put and not yet marked done. */
    public int unfinishedTasks() {
        ensureOpen();
        return Math.max(0, (int) INT.getVolatile(header, UNFINISHED_OFFSET));
    }

    /** Waits until every element put has been marked done. */
    public void join() throws InterruptedException {
        join0(-1);
    }

    /**
     * Waits at most {@code timeout} until every element put has been marked done.
     *
     * @return true when none is unfinished, false when the timeout elapsed first
     */
    public boolean join(long timeout, TimeUnit unit) throws InterruptedException {
        return join0(Math.max(0, unit.toNanos(timeout)));
    }

    private boolean join0(long nanos) throws InterruptedException {
        ensureOpen();
        long deadline = nanos < 0 ? -1 : System.nanoTime() + nanos;
        while (true) {
            if (Thread.interrupted()) throw new InterruptedException();
            int v = (int) INT.getAcquire(header, UNFINISHED_OFFSET);
            if (v <= 0) return true;
            long left = deadline == -1 ? SLICE_NANOS : deadline - System.nanoTime();
            if (left <= 0) return false;
            INT.getAndAdd(header, JOIN_WAITERS_OFFSET, 1);
            try {
                Futex.await(header, UNFINISHED_OFFSET, v, Math.min(SLICE_NANOS, left), TimeUnit.NANOSECONDS);
            } finally {
                INT.getAndAdd(header, JOIN_WAITERS_OFFSET, -1);
            }
        }
    }
}
