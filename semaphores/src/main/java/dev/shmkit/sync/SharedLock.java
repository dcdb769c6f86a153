package dev.shmkit.sync;

import dev.shmkit.shm.Futex;
import dev.shmkit.shm.OpenMode;

import java.lang.foreign.MemorySegment;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.Lock;

import static dev.shmkit.sync.LockDescriptor.HOLD_COUNT_OFFSET;
import static dev.shmkit.sync.LockDescriptor.OWNER_DIED_OFFSET;
import static dev.shmkit.sync.LockDescriptor.OWNER_THREAD_OFFSET;
import static dev.shmkit.sync.LockDescriptor.PID_MASK;
import static dev.shmkit.sync.LockDescriptor.RECOVERIES_OFFSET;
import static dev.shmkit.sync.LockDescriptor.RECOVERING_BIT;
import static dev.shmkit.sync.LockDescriptor.WAITERS_BIT;
import static dev.shmkit.sync.LockDescriptor.WAITERS_OFFSET;
import static dev.shmkit.sync.LockDescriptor.WORD_OFFSET;
import static dev.shmkit.sync.SyncRegion.INT;
import static dev.shmkit.sync.SyncRegion.LONG;

/**
 * A mutual-exclusion lock in shared memory, for threads of any number of processes, which
 * contend on equal terms. Like Python's {@code multiprocessing.Lock}, but it survives the death
 * of its holder.
 *
 * <h2>Placement</h2>
 * By name ({@link #create(String)}, {@link #open(String)}, {@link #openOrCreate(String)}), as a
 * POSIX shared memory object of {@link #SIZE} bytes, or at an 8-byte aligned offset of any
 * shared segment ({@link #create(MemorySegment, long)}, {@link #open(MemorySegment, long)}); the
 * region's header is validated on open, so a region that is not a lock is refused.
 *
 * <h2>Semantics</h2>
 * Not reentrant: a thread that calls {@code lock()} or {@code lockInterruptibly()} while holding
 * it gets an {@link IllegalStateException} rather than a deadlock, and its {@code tryLock} calls
 * return false at once (see {@link SharedReentrantLock}). Only the holding thread may unlock. Not fair:
 * a thread that arrives while the lock is free may take it before a sleeping waiter, which
 * gives the best throughput; waiters are woken one at a time on unlock (no thundering herd).
 * Acquiring and releasing an uncontended lock is one compare-and-set and one atomic exchange,
 * with no system call. A contended acquirer spins briefly, then sleeps on a futex.
 *
 * <h2>Memory visibility</h2>
 * As for {@link java.util.concurrent.locks.ReentrantLock}: everything a thread wrote to shared
 * memory before {@code unlock()} is visible to the thread, in any process, that next acquires the
 * lock (the lock word is released and acquired with volatile semantics).
 *
 * <h2>When the holder dies</h2>
 * The lock word records the holder's pid and start time. A waiter that has slept one slice
 * ({@value #SLICE_MILLIS} ms) checks whether the holder still runs; if it does not (killed,
 * crashed, exited, even if its pid has been reused since), the waiter takes the lock over, so the
 * lock is recovered within about {@value #SLICE_MILLIS} ms of the death of its holder. The new
 * holder can tell by {@link #ownerDied()}, and should repair whatever the lock protects.
 * {@link #recoveries()} counts such take-overs. A thread that dies holding the lock without its
 * process dying is not detected (as with {@code ReentrantLock}).
 *
 * <h2>Interruption</h2>
 * {@link #lockInterruptibly()} and {@link #tryLock(long, TimeUnit)} check the interrupt status on
 * entry and between sleeps; a sleeping thread notices an interrupt within
 * {@value #SLICE_MILLIS} ms (futex sleeps are not interruptible by {@code Thread.interrupt()},
 * so they are taken in slices). {@link #lock()} ignores interrupts and keeps the status.
 */
public class SharedLock implements Lock, AutoCloseable {
    /** Bytes a lock occupies. */
    public static final long SIZE = LockDescriptor.LENGTH;
    /** Alignment a lock needs; 64 keeps it on a cache line of its own. */
    public static final long ALIGNMENT = 8;
    /** Longest single futex sleep, bounding interrupt and owner-death detection latency. */
    public static final long SLICE_MILLIS = 10;

    private static final long SLICE_NANOS = TimeUnit.MILLISECONDS.toNanos(SLICE_MILLIS);
    private static final int SPIN_TRIES = 200;
    private static final long SELF_WORD = Identity.SELF;

    final SyncRegion region;
    final MemorySegment lock;
    private final boolean reentrant;

    SharedLock(SyncRegion region, boolean reentrant) {
        this.region = region;
        this.lock = region.segment;
        this.reentrant = reentrant;
    }

    static SyncKind kind(boolean reentrant) {
        return reentrant ? SyncKind.REENTRANT_LOCK : SyncKind.LOCK;
    }

    /** Creates a new named lock (exclusively, permissions 0600). */
    public static SharedLock create(String name) {
        return new SharedLock(SyncRegion.named(name, OpenMode.CREATE_EXCLUSIVE, 0600, SyncKind.LOCK, s -> {}), false);
    }

    /** Opens the named lock, or creates it (permissions 0600). */
    public static SharedLock openOrCreate(String name) {
        return new SharedLock(SyncRegion.named(name, OpenMode.OPEN_OR_CREATE, 0600, SyncKind.LOCK, s -> {}), false);
    }

    /** The general form, with the permissions a new lock gets. */
    public static SharedLock open(String name, OpenMode mode, int permissions) {
        return new SharedLock(SyncRegion.named(name, mode, permissions, SyncKind.LOCK, s -> {}), false);
    }

    /** Opens an existing named lock. */
    public static SharedLock open(String name) {
        return new SharedLock(SyncRegion.named(name, OpenMode.OPEN_EXISTING, 0600, SyncKind.LOCK, s -> {}), false);
    }

    /**
     * Initializes a new, unlocked lock at {@code offset} of {@code segment} (8-byte aligned,
     * {@link #SIZE} bytes). The caller guarantees no other process uses the region meanwhile.
     */
    public static SharedLock create(MemorySegment segment, long offset) {
        return new SharedLock(SyncRegion.create(segment, offset, SyncKind.LOCK, s -> {}), false);
    }

    /** Uses the lock another process initialized at {@code offset} of {@code segment}. */
    public static SharedLock open(MemorySegment segment, long offset) {
        return new SharedLock(SyncRegion.open(segment, offset, SyncKind.LOCK), false);
    }

    // ------------------------------------------------------------------ Lock

    @Override
    public void lock() {
        if (LONG.compareAndSet(lock, WORD_OFFSET, 0L, SELF_WORD)) {
            acquired(false);
            return;
        }
        acquireUninterruptibly();
    }

    @Override
    public void lockInterruptibly() throws InterruptedException {
        if (Thread.interrupted()) throw new InterruptedException();
        if (LONG.compareAndSet(lock, WORD_OFFSET, 0L, SELF_WORD)) {
            acquired(false);
            return;
        }
        if (!acquireSlowInterruptibly(-1)) throw new AssertionError("untimed acquire returned false");
    }

    /**
     * Acquires the lock only if it is free now. Does not check whether a holder has died (that
     * needs a look at the process table); {@link #tryLock(long, TimeUnit)} does.
     */
    @Override
    public boolean tryLock() {
        if (LONG.compareAndSet(lock, WORD_OFFSET, 0L, SELF_WORD)) {
            acquired(false);
            return true;
        }
        return reentrant && reenter();
    }

    /**
     * Acquires the lock if it becomes free, or its holder is found dead, within {@code timeout}.
     * A timeout of zero or less does not wait.
     *
     * @return false when the timeout elapsed
     */
    @Override
    public boolean tryLock(long timeout, TimeUnit unit) throws InterruptedException {
        if (Thread.interrupted()) throw new InterruptedException();
        if (tryLock()) return true;
        long nanos = unit.toNanos(timeout);
        if (nanos <= 0 || isHeldByCurrentThread()) return false; // a plain lock this thread holds never frees up
        return acquireSlowInterruptibly(System.nanoTime() + nanos);
    }

    /**
     * Releases the lock.
     *
     * @throws IllegalMonitorStateException if the current thread does not hold it
     */
    @Override
    public void unlock() {
        long w = (long) LONG.getVolatile(lock, WORD_OFFSET);
        if (!heldByCurrentThread(w)) {
            throw new IllegalMonitorStateException("this thread does not hold " + region.description);
        }
        if (reentrant) {
            int holds = (int) INT.get(lock, HOLD_COUNT_OFFSET);
            if (holds > 1) {
                INT.set(lock, HOLD_COUNT_OFFSET, holds - 1);
                return;
            }
        }
        LONG.set(lock, OWNER_THREAD_OFFSET, 0L);
        INT.set(lock, OWNER_DIED_OFFSET, 0);
        long old = (long) LONG.getAndSet(lock, WORD_OFFSET, 0L);
        if ((old & WAITERS_BIT) != 0) Futex.wake(lock, WORD_OFFSET, 1);
    }

    /** Conditions live in shared memory of their own: use {@link SharedCondition#create(MemorySegment, long, SharedLock)}. */
    @Override
    public Condition newCondition() {
        throw new UnsupportedOperationException("a shared condition needs shared memory of its own: use SharedCondition.create(...)");
    }

    // ------------------------------------------------------------------ queries

    /**
     * Whether the current thread's hold was taken over from a holder that died, so the data
     * the lock protects may be half-updated. Cleared by {@link #unlock()}.
     */
    public boolean ownerDied() {
        return isHeldByCurrentThread() && (int) INT.getVolatile(lock, OWNER_DIED_OFFSET) != 0;
    }

    /** Whether the current thread holds the lock. */
    public boolean isHeldByCurrentThread() {
        return heldByCurrentThread((long) LONG.getVolatile(lock, WORD_OFFSET));
    }

    /** Whether some thread of some process holds the lock now. */
    public boolean isLocked() {
        return (long) LONG.getVolatile(lock, WORD_OFFSET) != 0;
    }

    /** The pid of the process holding the lock now, or 0 when free. */
    public int ownerPid() {
        return (int) ((long) LONG.getVolatile(lock, WORD_OFFSET) & PID_MASK);
    }

    /** How many times a waiter took this lock over from a dead holder, since creation. */
    public long recoveries() {
        return (long) LONG.getVolatile(lock, RECOVERIES_OFFSET);
    }

    /** About how many threads sleep waiting for the lock now (approximate: a waiter that died still counts). */
    public int waiters() {
        return Math.max(0, (int) INT.getVolatile(lock, WAITERS_OFFSET));
    }

    /** The name of the lock's shared memory object, or null when placed in a segment. */
    public String name() {
        return region.name();
    }

    /** Removes the lock's name (see {@link dev.shmkit.shm.SharedMemory#unlink()}). */
    public void unlink() {
        region.unlink();
    }

    /** Removes a named lock; false when there is none. */
    public static boolean unlink(String name) {
        return dev.shmkit.shm.SharedMemory.unlink(name);
    }

    /** Unmaps a named lock from this process (without releasing it if held). Does not unlink. */
    @Override
    public void close() {
        region.close();
    }

    @Override
    public String toString() {
        int pid = ownerPid();
        return "Shared" + (reentrant ? "Reentrant" : "") + "Lock[" + region.description + (pid == 0 ? ", free" : ", held by pid " + pid) + "]";
    }

    // ------------------------------------------------------------------ internals

    private boolean heldByCurrentThread(long w) {
        return w != 0 && (w & ~WAITERS_BIT) == SELF_WORD
                && (long) LONG.getVolatile(lock, OWNER_THREAD_OFFSET) == Thread.currentThread().threadId();
    }

    private void acquired(boolean ownerDied) {
        LONG.set(lock, OWNER_THREAD_OFFSET, Thread.currentThread().threadId());
        INT.set(lock, HOLD_COUNT_OFFSET, 1);
        INT.setRelease(lock, OWNER_DIED_OFFSET, ownerDied ? 1 : 0);
    }

    private boolean reenter() {
        if (!heldByCurrentThread((long) LONG.getVolatile(lock, WORD_OFFSET))) return false;
        int holds = (int) INT.get(lock, HOLD_COUNT_OFFSET);
        if (holds == Integer.MAX_VALUE) throw new Error("maximum lock count exceeded");
        INT.set(lock, HOLD_COUNT_OFFSET, holds + 1);
        return true;
    }

    private void acquireUninterruptibly() {
        try {
            acquire(-1, false);
        } catch (InterruptedException e) {
            throw new AssertionError("uninterruptible acquire was interrupted", e);
        }
    }

    private boolean acquireSlowInterruptibly(long deadline) throws InterruptedException {
        return acquire(deadline, true);
    }

    /** @param deadline System.nanoTime() deadline, or -1 for none */
    private boolean acquire(long deadline, boolean interruptible) throws InterruptedException {
        if (heldByCurrentThread((long) LONG.getVolatile(lock, WORD_OFFSET))) {
            if (reentrant) return reenter();
            throw new IllegalStateException("this thread already holds " + region.description
                    + ", which is not reentrant (use SharedReentrantLock)");
        }
        for (int i = 0; i < SPIN_TRIES; i++) {
            long w = (long) LONG.getVolatile(lock, WORD_OFFSET);
            if (w == 0 && LONG.compareAndSet(lock, WORD_OFFSET, 0L, SELF_WORD)) {
                acquired(false);
                return true;
            }
            Thread.onSpinWait();
        }
        while (true) {
            long w = (long) LONG.getVolatile(lock, WORD_OFFSET);
            if (w == 0) {
                // Taken as a former waiter: keep the waiters bit, others may still sleep.
                if (LONG.compareAndSet(lock, WORD_OFFSET, 0L, SELF_WORD | WAITERS_BIT)) {
                    acquired(false);
                    return true;
                }
                continue;
            }
            if ((w & WAITERS_BIT) == 0) {
                if (!LONG.compareAndSet(lock, WORD_OFFSET, w, w | WAITERS_BIT)) continue;
                w |= WAITERS_BIT;
            }
            if (interruptible && Thread.interrupted()) throw new InterruptedException();
            long slice = SLICE_NANOS;
            if (deadline != -1) {
                long left = deadline - System.nanoTime();
                if (left <= 0) return false;
                slice = Math.min(slice, left);
            }
            INT.getAndAdd(lock, WAITERS_OFFSET, 1);
            boolean woken;
            try {
                woken = Futex.await(lock, WORD_OFFSET, (int) w, slice, TimeUnit.NANOSECONDS);
            } finally {
                INT.getAndAdd(lock, WAITERS_OFFSET, -1);
            }
            if (!woken && takeOverFromDeadOwner(w)) return true;
        }
    }

    /** After a sleep that timed out on word {@code w}: if its holder is dead, take the lock over. */
    private boolean takeOverFromDeadOwner(long w) {
        long owner = w & ~(WAITERS_BIT | RECOVERING_BIT);
        if (Identity.pid(owner) == 0 || Identity.isAlive(owner)) return false;
        // Marked as recovering until the dead owner's thread id is replaced, so no thread of this
        // process that happens to have that id takes itself for the holder meanwhile. If this
        // process dies here, the word still names it and the next waiter recovers again.
        if (!LONG.compareAndSet(lock, WORD_OFFSET, w, SELF_WORD | RECOVERING_BIT | WAITERS_BIT)) return false;
        LONG.getAndAdd(lock, RECOVERIES_OFFSET, 1L);
        acquired(true);
        LONG.setVolatile(lock, WORD_OFFSET, SELF_WORD | WAITERS_BIT);
        return true;
    }

    /** Saves and fully releases the current thread's holds, for a condition wait. */
    int releaseAll() {
        long w = (long) LONG.getVolatile(lock, WORD_OFFSET);
        if (!heldByCurrentThread(w)) throw new IllegalMonitorStateException("this thread does not hold " + region.description);
        int holds = (int) INT.get(lock, HOLD_COUNT_OFFSET);
        INT.set(lock, HOLD_COUNT_OFFSET, 1);
        unlockFully();
        return holds;
    }

    private void unlockFully() {
        LONG.set(lock, OWNER_THREAD_OFFSET, 0L);
        INT.set(lock, OWNER_DIED_OFFSET, 0);
        long old = (long) LONG.getAndSet(lock, WORD_OFFSET, 0L);
        if ((old & WAITERS_BIT) != 0) Futex.wake(lock, WORD_OFFSET, 1);
    }

    /** Re-acquires after a condition wait, uninterruptibly, restoring the saved hold count. */
    void reacquire(int holds) {
        lockForCondition();
        INT.set(lock, HOLD_COUNT_OFFSET, holds);
    }

    private void lockForCondition() {
        if (LONG.compareAndSet(lock, WORD_OFFSET, 0L, SELF_WORD)) {
            acquired(false);
            return;
        }
        acquireUninterruptibly();
    }

    void checkHeldByCurrentThread() {
        if (!isHeldByCurrentThread()) throw new IllegalMonitorStateException("this thread does not hold " + region.description);
    }
}
