package dev.shmkit.sync;

import dev.shmkit.shm.OpenMode;

import java.lang.foreign.MemorySegment;
import java.util.concurrent.TimeUnit;

import static dev.shmkit.sync.SemaphoreDescriptor.BOUND_OFFSET;
import static dev.shmkit.sync.SemaphoreDescriptor.PERMITS_OFFSET;
import static dev.shmkit.sync.SemaphoreDescriptor.RECLAIMED_OFFSET;
import static dev.shmkit.sync.SemaphoreDescriptor.RECLAIMING;
import static dev.shmkit.sync.SemaphoreDescriptor.SLOTS;
import static dev.shmkit.sync.SemaphoreDescriptor.SLOTS_OFFSET;
import static dev.shmkit.sync.SemaphoreDescriptor.SLOT_COUNT_OFFSET;
import static dev.shmkit.sync.SemaphoreDescriptor.SLOT_ID_OFFSET;
import static dev.shmkit.sync.SemaphoreDescriptor.SLOT_LENGTH;
import static dev.shmkit.sync.SemaphoreDescriptor.UNTRACKED_OFFSET;
import static dev.shmkit.sync.SemaphoreDescriptor.WAITERS_OFFSET;
import static dev.shmkit.sync.SyncRegion.INT;
import static dev.shmkit.sync.SyncRegion.LONG;

/**
 * A counting semaphore in shared memory: Python's {@code multiprocessing.Semaphore}, with the
 * methods of {@link java.util.concurrent.Semaphore}. Permits are not fair: an arriving thread may
 * take a permit before one that sleeps. Uncontended acquire and release are atomic operations on
 * one word, with no system call.
 *
 * <h2>When a holder dies</h2>
 * Each process that acquires permits is recorded (pid and start time) with the number it
 * holds, in one of {@value SemaphoreDescriptor#SLOTS} holder slots. Permits held by a process
 * that died are given back: a waiter that has slept one slice ({@value SharedLock#SLICE_MILLIS} ms)
 * looks for dead holders and returns their permits, counted by {@link #reclaimedPermits()}. A
 * release by a process that holds no permits (the semaphore used as a signal) is simply added;
 * but when one process releases permits another process acquired, the acquirer's record stays,
 * so if the acquirer later dies its permits are given back a second time: a bounded semaphore
 * caps this at its bound, an unbounded one can end with more permits than it started with. When
 * all slots are taken by live processes, further holders are counted as untracked and their
 * permits are not reclaimed. A process killed in the few instructions between taking a permit and
 * recording it loses that permit.
 *
 * <h2>Interruption and timeouts</h2>
 * {@code acquire} checks the interrupt status on entry and between sleeps of at most
 * {@value SharedLock#SLICE_MILLIS} ms; {@code acquireUninterruptibly} ignores it. Timeouts of zero
 * or less do not wait; a timed-out {@code tryAcquire} returns false.
 *
 * <h2>Memory visibility</h2>
 * As for {@link java.util.concurrent.Semaphore}: actions before a {@code release()} happen-before
 * actions after a successful acquire that takes that permit, in any process.
 */
public class SharedSemaphore implements AutoCloseable {
    public static final long SIZE = SemaphoreDescriptor.LENGTH;

    private static final long SELF_ID = Identity.SELF;

    final SyncRegion region;
    final MemorySegment sem;
    private volatile int mySlot = -2; // -2: not looked up yet, -1: no slot (untracked)

    SharedSemaphore(SyncRegion region) {
        this.region = region;
        this.sem = region.segment;
    }

    static java.util.function.Consumer<MemorySegment> init(int permits, int bound) {
        if (permits < 0) throw new IllegalArgumentException("permits must not be negative, was " + permits);
        if (bound != -1 && permits > bound) throw new IllegalArgumentException("permits " + permits + " exceed the bound " + bound);
        return s -> {
            INT.set(s, PERMITS_OFFSET, permits);
            INT.set(s, BOUND_OFFSET, bound);
        };
    }

    public static SharedSemaphore create(String name, int permits) {
        return open(name, OpenMode.CREATE_EXCLUSIVE, permits, 0600);
    }

    public static SharedSemaphore openOrCreate(String name, int permits) {
        return open(name, OpenMode.OPEN_OR_CREATE, permits, 0600);
    }

    public static SharedSemaphore open(String name) {
        return open(name, OpenMode.OPEN_EXISTING, 0, 0600);
    }

    /** The general form; {@code permits} is the initial count of a semaphore this call creates. */
    public static SharedSemaphore open(String name, OpenMode mode, int permits, int permissions) {
        return new SharedSemaphore(SyncRegion.named(name, mode, permissions, SyncKind.SEMAPHORE, init(permits, -1)));
    }

    public static SharedSemaphore create(MemorySegment segment, long offset, int permits) {
        return new SharedSemaphore(SyncRegion.create(segment, offset, SyncKind.SEMAPHORE, init(permits, -1)));
    }

    /** Opens a semaphore (bounded or not) another process initialized at {@code offset}. */
    public static SharedSemaphore open(MemorySegment segment, long offset) {
        return new SharedSemaphore(SyncRegion.open(segment, offset, SyncKind.SEMAPHORE));
    }

    // ------------------------------------------------------------------ acquire

    public void acquire() throws InterruptedException {
        acquire(1);
    }

    public void acquire(int permits) throws InterruptedException {
        check(permits);
        if (Thread.interrupted()) throw new InterruptedException();
        if (!acquire0(permits, -1, true)) throw new AssertionError("untimed acquire returned false");
    }

    public void acquireUninterruptibly() {
        acquireUninterruptibly(1);
    }

    public void acquireUninterruptibly(int permits) {
        check(permits);
        try {
            acquire0(permits, -1, false);
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        }
    }

    /** Takes a permit if one is available now. */
    public boolean tryAcquire() {
        return tryAcquire(1);
    }

    public boolean tryAcquire(int permits) {
        check(permits);
        return take(permits);
    }

    public boolean tryAcquire(long timeout, TimeUnit unit) throws InterruptedException {
        return tryAcquire(1, timeout, unit);
    }

    /** @return false when the timeout elapsed first */
    public boolean tryAcquire(int permits, long timeout, TimeUnit unit) throws InterruptedException {
        check(permits);
        if (Thread.interrupted()) throw new InterruptedException();
        if (take(permits)) return true;
        long nanos = unit.toNanos(timeout);
        if (nanos <= 0) return false;
        return acquire0(permits, Waits.deadline(nanos), true);
    }

    private boolean acquire0(int n, long deadline, boolean interruptible) throws InterruptedException {
        boolean interrupted = false;
        try {
            while (true) {
                int p = (int) INT.getVolatile(sem, PERMITS_OFFSET);
                if (p >= n) {
                    if (INT.compareAndSet(sem, PERMITS_OFFSET, p, p - n)) {
                        recordHeld(n);
                        return true;
                    }
                    continue;
                }
                if (Thread.interrupted()) {
                    if (interruptible) throw new InterruptedException();
                    interrupted = true;
                }
                if (deadline != -1 && Waits.left(deadline) == 0) return false;
                if (!Waits.sleepSlice(sem, PERMITS_OFFSET, p, WAITERS_OFFSET, deadline)) reclaimFromDeadHolders();
            }
        } finally {
            if (interrupted) Thread.currentThread().interrupt();
        }
    }

    private boolean take(int n) {
        while (true) {
            int p = (int) INT.getVolatile(sem, PERMITS_OFFSET);
            if (p < n) return false;
            if (INT.compareAndSet(sem, PERMITS_OFFSET, p, p - n)) {
                recordHeld(n);
                return true;
            }
        }
    }

    // ------------------------------------------------------------------ release

    public void release() {
        release(1);
    }

    /**
     * Returns {@code permits}, waking waiters.
     *
     * @throws IllegalStateException for a bounded semaphore, when this would exceed its bound
     */
    public void release(int permits) {
        check(permits);
        int bound = (int) INT.get(sem, BOUND_OFFSET);
        while (true) {
            int p = (int) INT.getVolatile(sem, PERMITS_OFFSET);
            if (bound >= 0 && (long) p + permits > bound) {
                throw new IllegalStateException("semaphore released too many times: " + p + " + " + permits
                        + " would exceed its bound " + bound);
            }
            if ((long) p + permits > Integer.MAX_VALUE) throw new IllegalStateException("permit count overflow");
            if (INT.compareAndSet(sem, PERMITS_OFFSET, p, p + permits)) break;
        }
        recordReleased(permits);
        Waits.wake(sem, PERMITS_OFFSET, WAITERS_OFFSET, permits == 1 ? 1 : Integer.MAX_VALUE);
    }

    // ------------------------------------------------------------------ queries

    public int availablePermits() {
        return (int) INT.getVolatile(sem, PERMITS_OFFSET);
    }

    /** The bound of a bounded semaphore, or -1. */
    public int bound() {
        return (int) INT.get(sem, BOUND_OFFSET);
    }

    /** Permits given back because their holder died, since creation. */
    public long reclaimedPermits() {
        return (long) LONG.getVolatile(sem, RECLAIMED_OFFSET);
    }

    /** Permits this process holds, as recorded in its holder slot. */
    public int heldByThisProcess() {
        int slot = slot();
        return slot < 0 ? 0 : (int) INT.getVolatile(sem, slotOffset(slot) + SLOT_COUNT_OFFSET);
    }

    public int waiters() {
        return Math.max(0, (int) INT.getVolatile(sem, WAITERS_OFFSET));
    }

    public String name() {
        return region.name();
    }

    public void unlink() {
        region.unlink();
    }

    public static boolean unlink(String name) {
        return dev.shmkit.shm.SharedMemory.unlink(name);
    }

    /** Unmaps a named semaphore from this process; permits it holds stay held. Does not unlink. */
    @Override
    public void close() {
        region.close();
    }

    // ------------------------------------------------------------------ holder slots

    private static void check(int permits) {
        if (permits <= 0) throw new IllegalArgumentException("permits must be positive, was " + permits);
    }

    private static long slotOffset(int slot) {
        return SLOTS_OFFSET + slot * SLOT_LENGTH;
    }

    private int slot() {
        int s = mySlot;
        if (s != -2) return s;
        synchronized (this) {
            if (mySlot == -2) mySlot = findOrClaimSlot();
            return mySlot;
        }
    }

    private int findOrClaimSlot() {
        for (int i = 0; i < SLOTS; i++) {
            if ((long) LONG.getVolatile(sem, slotOffset(i) + SLOT_ID_OFFSET) == SELF_ID) return i;
        }
        for (int attempt = 0; attempt < 2; attempt++) {
            for (int i = 0; i < SLOTS; i++) {
                long off = slotOffset(i) + SLOT_ID_OFFSET;
                if (LONG.compareAndSet(sem, off, 0L, SELF_ID)) return i;
                if ((long) LONG.getVolatile(sem, off) == SELF_ID) return i; // another thread of ours won
            }
            reclaimFromDeadHolders(); // frees the slots of dead processes
        }
        return -1;
    }

    private void recordHeld(int n) {
        int slot = slot();
        if (slot >= 0) INT.getAndAdd(sem, slotOffset(slot) + SLOT_COUNT_OFFSET, n);
        else INT.getAndAdd(sem, UNTRACKED_OFFSET, n);
    }

    private void recordReleased(int n) {
        int slot = slot();
        if (slot < 0) return;
        long off = slotOffset(slot) + SLOT_COUNT_OFFSET;
        while (true) {
            int held = (int) INT.getVolatile(sem, off);
            int take = Math.min(held, n);
            if (take == 0 || INT.compareAndSet(sem, off, held, held - take)) return;
        }
    }

    /** Gives back the permits of holders that died and frees their slots. */
    void reclaimFromDeadHolders() {
        for (int i = 0; i < SLOTS; i++) {
            long idOff = slotOffset(i) + SLOT_ID_OFFSET;
            long id = (long) LONG.getVolatile(sem, idOff);
            if (id == 0 || id == RECLAIMING || id == SELF_ID) continue;
            if (Identity.isAlive(id)) continue;
            if (!LONG.compareAndSet(sem, idOff, id, RECLAIMING)) continue;
            int count = (int) INT.getAndSet(sem, slotOffset(i) + SLOT_COUNT_OFFSET, 0);
            LONG.setVolatile(sem, idOff, 0L);
            if (count > 0) giveBack(count);
        }
    }

    private void giveBack(int count) {
        int bound = (int) INT.get(sem, BOUND_OFFSET);
        int added;
        while (true) {
            int p = (int) INT.getVolatile(sem, PERMITS_OFFSET);
            added = bound >= 0 ? Math.min(count, Math.max(0, bound - p)) : count;
            if (added == 0 || INT.compareAndSet(sem, PERMITS_OFFSET, p, p + added)) break;
        }
        LONG.getAndAdd(sem, RECLAIMED_OFFSET, (long) added);
        Waits.wake(sem, PERMITS_OFFSET, WAITERS_OFFSET, Integer.MAX_VALUE);
    }
}
