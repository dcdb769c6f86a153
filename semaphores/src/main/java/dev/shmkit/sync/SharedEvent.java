package dev.shmkit.sync;

import dev.shmkit.shm.OpenMode;

import java.lang.foreign.MemorySegment;
import java.util.concurrent.TimeUnit;

import static dev.shmkit.sync.EventDescriptor.FLAG_OFFSET;
import static dev.shmkit.sync.EventDescriptor.WAITERS_OFFSET;
import static dev.shmkit.sync.SyncRegion.INT;

/**
 * A flag processes can wait for: Python's {@code multiprocessing.Event}. {@link #set()} wakes
 * every waiter of every process; {@link #clear()} resets it; {@link #await()} returns at once while
 * it is set.
 *
 * <p>Memory visibility: writes made before {@code set()} are visible to a thread that returns
 * from {@code await()} or sees {@code isSet()} true because of it.
 *
 * <p>Interruption: awaits check the interrupt status on entry and between sleeps of at most
 * {@value SharedLock#SLICE_MILLIS} ms. A timeout of zero or less does not wait.
 *
 * <p>Dead participants: an event holds no ownership, so a process dying changes nothing; a
 * process that dies before setting it leaves the others waiting, so wait with a timeout when
 * the setter may die.
 */
public final class SharedEvent implements AutoCloseable {
    public static final long SIZE = EventDescriptor.LENGTH;

    private final SyncRegion region;
    private final MemorySegment event;

    private SharedEvent(SyncRegion region) {
        this.region = region;
        this.event = region.segment;
    }

    public static SharedEvent create(String name) {
        return open(name, OpenMode.CREATE_EXCLUSIVE, 0600);
    }

    public static SharedEvent openOrCreate(String name) {
        return open(name, OpenMode.OPEN_OR_CREATE, 0600);
    }

    public static SharedEvent open(String name) {
        return open(name, OpenMode.OPEN_EXISTING, 0600);
    }

    public static SharedEvent open(String name, OpenMode mode, int permissions) {
        return new SharedEvent(SyncRegion.named(name, mode, permissions, SyncKind.EVENT, s -> {}));
    }

    /** Initializes a new, clear event at {@code offset} of {@code segment}. */
    public static SharedEvent create(MemorySegment segment, long offset) {
        return new SharedEvent(SyncRegion.create(segment, offset, SyncKind.EVENT, s -> {}));
    }

    public static SharedEvent open(MemorySegment segment, long offset) {
        return new SharedEvent(SyncRegion.open(segment, offset, SyncKind.EVENT));
    }

    public boolean isSet() {
        return ((int) INT.getAcquire(event, FLAG_OFFSET) & 1) != 0;
    }

    /**
     * Sets the flag and wakes every waiter. Threads that were waiting return even if the flag is
     * cleared again right away.
     */
    public void set() {
        while (true) {
            int s = (int) INT.getVolatile(event, FLAG_OFFSET);
            if (INT.compareAndSet(event, FLAG_OFFSET, s, (s | 1) + 2)) break;
        }
        Waits.wake(event, FLAG_OFFSET, WAITERS_OFFSET, Integer.MAX_VALUE);
    }

    /** Clears the flag. */
    public void clear() {
        while (true) {
            int s = (int) INT.getVolatile(event, FLAG_OFFSET);
            if ((s & 1) == 0 || INT.compareAndSet(event, FLAG_OFFSET, s, s & ~1)) return;
        }
    }

    /** Waits until the flag is set. */
    public void await() throws InterruptedException {
        await0(-1);
    }

    /**
     * Waits until the flag is set, at most {@code timeout}.
     *
     * @return true if it is set, false if the timeout elapsed first
     */
    public boolean await(long timeout, TimeUnit unit) throws InterruptedException {
        long nanos = unit.toNanos(timeout);
        if (Thread.interrupted()) throw new InterruptedException();
        if (isSet()) return true;
        if (nanos <= 0) return false;
        return await0(nanos);
    }

    private boolean await0(long nanos) throws InterruptedException {
        long deadline = Waits.deadline(nanos);
        int start = (int) INT.getAcquire(event, FLAG_OFFSET);
        int s = start;
        while (true) {
            if (Thread.interrupted()) throw new InterruptedException();
            if ((s & 1) != 0 || (s >>> 1) != (start >>> 1)) return true; // set now, or set (and cleared) since we began
            if (deadline != -1 && Waits.left(deadline) == 0) return false;
            Waits.sleepSlice(event, FLAG_OFFSET, s, WAITERS_OFFSET, deadline);
            s = (int) INT.getAcquire(event, FLAG_OFFSET);
        }
    }

    public int waiters() {
        return Math.max(0, (int) INT.getVolatile(event, WAITERS_OFFSET));
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

    @Override
    public void close() {
        region.close();
    }
}
