package dev.shmkit.sync;

import dev.shmkit.shm.OpenMode;

import java.lang.foreign.MemorySegment;

/**
 * A {@link SharedLock} the holding thread may acquire again, like Python's
 * {@code multiprocessing.RLock} and {@link java.util.concurrent.locks.ReentrantLock}: each
 * {@code lock()} must be matched by an {@code unlock()}. Everything else, including recovery from
 * a dead holder, is as for {@link SharedLock}. Its region is marked as a reentrant lock, so it
 * cannot be opened as a plain one by mistake.
 */
public final class SharedReentrantLock extends SharedLock {
    private SharedReentrantLock(SyncRegion region) {
        super(region, true);
    }

    public static SharedReentrantLock create(String name) {
        return new SharedReentrantLock(SyncRegion.named(name, OpenMode.CREATE_EXCLUSIVE, 0600, SyncKind.REENTRANT_LOCK, s -> {}));
    }

    public static SharedReentrantLock openOrCreate(String name) {
        return new SharedReentrantLock(SyncRegion.named(name, OpenMode.OPEN_OR_CREATE, 0600, SyncKind.REENTRANT_LOCK, s -> {}));
    }

    public static SharedReentrantLock open(String name) {
        return new SharedReentrantLock(SyncRegion.named(name, OpenMode.OPEN_EXISTING, 0600, SyncKind.REENTRANT_LOCK, s -> {}));
    }

    public static SharedReentrantLock create(MemorySegment segment, long offset) {
        return new SharedReentrantLock(SyncRegion.create(segment, offset, SyncKind.REENTRANT_LOCK, s -> {}));
    }

    public static SharedReentrantLock open(MemorySegment segment, long offset) {
        return new SharedReentrantLock(SyncRegion.open(segment, offset, SyncKind.REENTRANT_LOCK));
    }

    /** How many times the current thread holds the lock; 0 if it does not. */
    public int getHoldCount() {
        return isHeldByCurrentThread() ? (int) SyncRegion.INT.getVolatile(lock, LockDescriptor.HOLD_COUNT_OFFSET) : 0;
    }
}
