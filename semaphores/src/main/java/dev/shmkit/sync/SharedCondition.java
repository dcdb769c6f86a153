package dev.shmkit.sync;

import dev.shmkit.shm.OpenMode;

import java.lang.foreign.MemorySegment;
import java.util.Date;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;

import static dev.shmkit.sync.ConditionDescriptor.SEQUENCE_OFFSET;
import static dev.shmkit.sync.ConditionDescriptor.WAITERS_OFFSET;
import static dev.shmkit.sync.SyncRegion.INT;

/**
 * A condition variable in shared memory, bound to a {@link SharedLock}: Python's
 * {@code multiprocessing.Condition}, with {@link Condition}'s contract.
 *
 * <p>{@code await} releases the lock (all holds, for a reentrant lock), sleeps until
 * signalled, and re-acquires the lock before returning, in every case, including interruption
 * and timeout. As the {@code Condition} contract allows, a waiter may also wake spuriously:
 * always wait in a loop that re-checks the state. {@code signal} wakes one waiter,
 * {@code signalAll} every waiter; the caller should hold the lock, which is checked.
 *
 * <p>Interruption: {@code await} methods check the interrupt status on entry and between sleeps
 * of at most {@value SharedLock#SLICE_MILLIS} ms. Timeouts of zero or less do not sleep.
 *
 * <p>Dead participants: a waiter that dies simply stops waiting; a signaller that dies before
 * signalling is like one that never signals, so waiters should use timed waits when a signaller
 * may die. If the lock's holder dies, the next waiter to re-acquire the lock after its wait is told
 * so by {@link SharedLock#ownerDied()}.
 */
public final class SharedCondition implements Condition, AutoCloseable {
    /** Bytes a condition occupies (8-byte aligned). */
    public static final long SIZE = ConditionDescriptor.LENGTH;

    private final SyncRegion region;
    private final MemorySegment cond;
    private final SharedLock lock;

    private SharedCondition(SyncRegion region, SharedLock lock) {
        this.region = region;
        this.cond = region.segment;
        this.lock = lock;
    }

    /** Initializes a new condition at {@code offset} of {@code segment}, used with {@code lock}. */
    public static SharedCondition create(MemorySegment segment, long offset, SharedLock lock) {
        return new SharedCondition(SyncRegion.create(segment, offset, SyncKind.CONDITION, s -> {}), lock);
    }

    /** Uses the condition another process initialized at {@code offset}, with {@code lock}. */
    public static SharedCondition open(MemorySegment segment, long offset, SharedLock lock) {
        return new SharedCondition(SyncRegion.open(segment, offset, SyncKind.CONDITION), lock);
    }

    /** A named condition (its own shared memory object), used with {@code lock}. */
    public static SharedCondition open(String name, OpenMode mode, SharedLock lock) {
        return new SharedCondition(SyncRegion.named(name, mode, 0600, SyncKind.CONDITION, s -> {}), lock);
    }

    public SharedLock lock() {
        return lock;
    }

    @Override
    public void await() throws InterruptedException {
        if (Thread.interrupted()) throw new InterruptedException();
        awaitNanos0(-1, true);
    }

    @Override
    public void awaitUninterruptibly() {
        try {
            awaitNanos0(-1, false);
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        }
    }

    @Override
    public long awaitNanos(long nanosTimeout) throws InterruptedException {
        if (Thread.interrupted()) throw new InterruptedException();
        lock.checkHeldByCurrentThread();
        long start = System.nanoTime();
        if (nanosTimeout <= 0) return nanosTimeout;
        awaitNanos0(nanosTimeout, true);
        return nanosTimeout - (System.nanoTime() - start);
    }

    @Override
    public boolean await(long time, TimeUnit unit) throws InterruptedException {
        return awaitNanos(unit.toNanos(time)) > 0;
    }

    @Override
    public boolean awaitUntil(Date deadline) throws InterruptedException {
        return await(deadline.getTime() - System.currentTimeMillis(), TimeUnit.MILLISECONDS);
    }

    /** Sleeps until signalled, spuriously woken, timed out or (if interruptible) interrupted. */
    private void awaitNanos0(long nanos, boolean interruptible) throws InterruptedException {
        lock.checkHeldByCurrentThread();
        int seq = (int) INT.getVolatile(cond, SEQUENCE_OFFSET);
        long deadline = Waits.deadline(nanos);
        int holds = lock.releaseAll();
        boolean interrupted = false;
        try {
            while (true) {
                if (Waits.sleepSlice(cond, SEQUENCE_OFFSET, seq, WAITERS_OFFSET, deadline)) break;
                if ((int) INT.getVolatile(cond, SEQUENCE_OFFSET) != seq) break;
                if (Waits.left(deadline) == 0) break;
                if (Thread.interrupted()) {
                    if (interruptible) {
                        interrupted = true;
                        break;
                    }
                    Thread.currentThread().interrupt();
                    // keep waiting uninterruptibly, but without spinning on the set status
                    awaitRemaining(seq, deadline);
                    break;
                }
            }
        } finally {
            lock.reacquire(holds);
        }
        if (interrupted) throw new InterruptedException();
    }

    private void awaitRemaining(int seq, long deadline) {
        while (!Waits.sleepSlice(cond, SEQUENCE_OFFSET, seq, WAITERS_OFFSET, deadline)
                && (int) INT.getVolatile(cond, SEQUENCE_OFFSET) == seq && Waits.left(deadline) > 0) {
            // slices continue: an uninterruptible wait ignores the interrupt status
        }
    }

    @Override
    public void signal() {
        lock.checkHeldByCurrentThread();
        INT.getAndAdd(cond, SEQUENCE_OFFSET, 1);
        Waits.wake(cond, SEQUENCE_OFFSET, WAITERS_OFFSET, 1);
    }

    @Override
    public void signalAll() {
        lock.checkHeldByCurrentThread();
        INT.getAndAdd(cond, SEQUENCE_OFFSET, 1);
        Waits.wake(cond, SEQUENCE_OFFSET, WAITERS_OFFSET, Integer.MAX_VALUE);
    }

    /** About how many threads sleep on this condition now. */
    public int waiters() {
        return Math.max(0, (int) INT.getVolatile(cond, WAITERS_OFFSET));
    }

    public void unlink() {
        region.unlink();
    }

    @Override
    public void close() {
        region.close();
    }
}
