package dev.shmkit.sync;

import dev.shmkit.shm.OpenMode;

import java.lang.foreign.MemorySegment;
import java.util.concurrent.BrokenBarrierException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import static dev.shmkit.sync.BarrierDescriptor.ARRIVED_OFFSET;
import static dev.shmkit.sync.BarrierDescriptor.BROKEN_GENERATION_OFFSET;
import static dev.shmkit.sync.BarrierDescriptor.BROKEN_OFFSET;
import static dev.shmkit.sync.BarrierDescriptor.GENERATION_OFFSET;
import static dev.shmkit.sync.BarrierDescriptor.LOCK_OFFSET;
import static dev.shmkit.sync.BarrierDescriptor.PARTIES_OFFSET;
import static dev.shmkit.sync.BarrierDescriptor.SLOTS;
import static dev.shmkit.sync.BarrierDescriptor.SLOTS_OFFSET;
import static dev.shmkit.sync.SyncRegion.INT;
import static dev.shmkit.sync.SyncRegion.LONG;

/**
 * A cyclic barrier for threads of several processes: Python's {@code multiprocessing.Barrier},
 * with the semantics of {@link java.util.concurrent.CyclicBarrier}. Each {@link #await()}
 * returns the arrival index ({@code parties - 1} for the first to arrive, 0 for the last) once
 * {@code parties} threads have arrived; the barrier then resets itself for the next generation.
 *
 * <h2>Breaking</h2>
 * The barrier breaks, and every waiting party gets a {@link BrokenBarrierException}, when a
 * waiting party times out (it gets a {@link TimeoutException}) or is interrupted (it gets the
 * {@link InterruptedException}), when {@link #reset()} is called while parties wait, and when a
 * participant dies: every process that opens the barrier registers as a participant until it
 * closes it, and waiting parties check every {@value SharedLock#SLICE_MILLIS} ms that the
 * registered processes are alive. A broken barrier stays broken until {@link #reset()}.
 *
 * <h2>Memory visibility</h2>
 * Actions of every party before {@code await()} happen-before the actions of every party after
 * its {@code await()} returns normally.
 */
public final class SharedBarrier implements AutoCloseable {
    public static final long SIZE = BarrierDescriptor.LENGTH;

    private static final long SELF_ID = Identity.SELF;

    private final SyncRegion region;
    private final MemorySegment barrier;
    private final SharedLock lock;
    private int mySlot = -1;
    private boolean closed;

    private SharedBarrier(SyncRegion region) {
        this.region = region;
        this.barrier = region.segment;
        this.lock = SharedLock.open(barrier, LOCK_OFFSET); // created by init(), inside the barrier
        register();
    }

    private static java.util.function.Consumer<MemorySegment> init(int parties) {
        if (parties < 1) throw new IllegalArgumentException("parties must be at least 1, was " + parties);
        return s -> {
            INT.set(s, PARTIES_OFFSET, parties);
            INT.set(s, BROKEN_GENERATION_OFFSET, -1);
            SharedLock.create(s, LOCK_OFFSET);
        };
    }

    public static SharedBarrier create(String name, int parties) {
        return open(name, OpenMode.CREATE_EXCLUSIVE, parties, 0600);
    }

    public static SharedBarrier openOrCreate(String name, int parties) {
        return open(name, OpenMode.OPEN_OR_CREATE, parties, 0600);
    }

    public static SharedBarrier open(String name) {
        return open(name, OpenMode.OPEN_EXISTING, 1, 0600);
    }

    public static SharedBarrier open(String name, OpenMode mode, int parties, int permissions) {
        return new SharedBarrier(SyncRegion.named(name, mode, permissions, SyncKind.BARRIER, init(parties)));
    }

    public static SharedBarrier create(MemorySegment segment, long offset, int parties) {
        return new SharedBarrier(SyncRegion.create(segment, offset, SyncKind.BARRIER, init(parties)));
    }

    public static SharedBarrier open(MemorySegment segment, long offset) {
        return new SharedBarrier(SyncRegion.open(segment, offset, SyncKind.BARRIER));
    }

    public int parties() {
        return (int) INT.get(barrier, PARTIES_OFFSET);
    }

    /** How many parties wait in the current generation. */
    public int numberWaiting() {
        return (int) INT.getVolatile(barrier, ARRIVED_OFFSET);
    }

    public boolean isBroken() {
        return (int) INT.getVolatile(barrier, BROKEN_OFFSET) != 0;
    }

    /** Waits until all parties have arrived; returns the arrival index. */
    public int await() throws InterruptedException, BrokenBarrierException {
        try {
            return await0(-1);
        } catch (TimeoutException e) {
            throw new AssertionError(e);
        }
    }

    /** As {@link #await()}, breaking the barrier and throwing {@link TimeoutException} after {@code timeout}. */
    public int await(long timeout, TimeUnit unit) throws InterruptedException, BrokenBarrierException, TimeoutException {
        return await0(Math.max(0, unit.toNanos(timeout)));
    }

    private int await0(long nanos) throws InterruptedException, BrokenBarrierException, TimeoutException {
        long deadline = Waits.deadline(nanos);
        int generation;
        int index;
        lock.lock();
        try {
            if (lock.ownerDied()) breakBarrier((int) INT.get(barrier, GENERATION_OFFSET)); // state may be half-updated
            if (isBroken()) throw new BrokenBarrierException();
            generation = (int) INT.get(barrier, GENERATION_OFFSET);
            if (Thread.interrupted()) {
                breakBarrier(generation);
                throw new InterruptedException();
            }
            int arrived = (int) INT.get(barrier, ARRIVED_OFFSET) + 1;
            index = parties() - arrived;
            if (index == 0) {
                INT.setVolatile(barrier, ARRIVED_OFFSET, 0);
                INT.setVolatile(barrier, GENERATION_OFFSET, generation + 1);
                futexWakeAll();
                return 0;
            }
            INT.setVolatile(barrier, ARRIVED_OFFSET, arrived);
        } finally {
            lock.unlock();
        }
        while (true) {
            int g = (int) INT.getVolatile(barrier, GENERATION_OFFSET);
            if (g != generation) {
                if ((int) INT.getVolatile(barrier, BROKEN_GENERATION_OFFSET) == generation) throw new BrokenBarrierException();
                return index;
            }
            if (Thread.interrupted()) {
                breakUnderLock(generation);
                throw new InterruptedException();
            }
            if (deadline != -1 && Waits.left(deadline) == 0) {
                if (breakUnderLock(generation)) throw new TimeoutException();
                continue; // the barrier tripped or broke meanwhile
            }
            if (!Waits.sleepSlice(barrier, GENERATION_OFFSET, generation, BarrierDescriptor.WAITERS_OFFSET, deadline)
                    && aParticipantDied()) {
                breakUnderLock(generation);
            }
        }
    }

    /**
     * Breaks the current generation, waking any waiting parties with a
     * {@link BrokenBarrierException}, and makes the barrier usable again.
     */
    public void reset() {
        lock.lock();
        try {
            int g = (int) INT.get(barrier, GENERATION_OFFSET);
            if ((int) INT.get(barrier, ARRIVED_OFFSET) > 0) breakBarrier(g);
            INT.setVolatile(barrier, BROKEN_OFFSET, 0);
            INT.setVolatile(barrier, ARRIVED_OFFSET, 0);
        } finally {
            lock.unlock();
        }
    }

    private boolean breakUnderLock(int generation) {
        lock.lock();
        try {
            if ((int) INT.get(barrier, GENERATION_OFFSET) != generation) return false;
            breakBarrier(generation);
            return true;
        } finally {
            lock.unlock();
        }
    }

    /** Under the lock: marks {@code generation} broken and moves every waiter on. */
    private void breakBarrier(int generation) {
        INT.setVolatile(barrier, BROKEN_OFFSET, 1);
        INT.setVolatile(barrier, BROKEN_GENERATION_OFFSET, generation);
        INT.setVolatile(barrier, ARRIVED_OFFSET, 0);
        INT.setVolatile(barrier, GENERATION_OFFSET, generation + 1);
        futexWakeAll();
    }

    private void futexWakeAll() {
        dev.shmkit.shm.Futex.wakeAll(barrier, GENERATION_OFFSET);
    }

    // ------------------------------------------------------------------ participants

    private static long slotOffset(int i) {
        return SLOTS_OFFSET + i * 8L;
    }

    private void register() {
        for (int attempt = 0; attempt < 2 && mySlot < 0; attempt++) {
            for (int i = 0; i < SLOTS; i++) {
                if (LONG.compareAndSet(barrier, slotOffset(i), 0L, SELF_ID)) {
                    mySlot = i;
                    return;
                }
            }
            forgetDeadParticipants();
        }
        // All slots taken by live processes: this process takes part without death detection.
    }

    private void forgetDeadParticipants() {
        for (int i = 0; i < SLOTS; i++) {
            long id = (long) LONG.getVolatile(barrier, slotOffset(i));
            if (id != 0 && id != SELF_ID && !Identity.isAlive(id)) {
                LONG.compareAndSet(barrier, slotOffset(i), id, 0L);
            }
        }
    }

    /** Whether a registered participant has died; its slot is freed so it is reported once. */
    private boolean aParticipantDied() {
        boolean died = false;
        for (int i = 0; i < SLOTS; i++) {
            long id = (long) LONG.getVolatile(barrier, slotOffset(i));
            if (id == 0 || id == SELF_ID) continue;
            if (!Identity.isAlive(id)) {
                died |= LONG.compareAndSet(barrier, slotOffset(i), id, 0L);
            }
        }
        return died;
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

    /** Leaves the barrier (deregisters this process) and unmaps a named barrier. Does not unlink. */
    @Override
    public synchronized void close() {
        if (closed) return;
        closed = true;
        if (mySlot >= 0) LONG.compareAndSet(barrier, slotOffset(mySlot), SELF_ID, 0L);
        region.close();
    }
}
