package dev.shmkit.sync;

import dev.shmkit.shm.OpenMode;

import java.lang.foreign.MemorySegment;

/**
 * A {@link SharedSemaphore} that refuses to be released above its initial count, like Python's
 * {@code multiprocessing.BoundedSemaphore}: a release that would exceed the bound throws
 * {@link IllegalStateException} and changes nothing, which catches releasing twice. Permits
 * reclaimed from dead holders never exceed the bound either.
 */
public final class SharedBoundedSemaphore extends SharedSemaphore {
    private SharedBoundedSemaphore(SyncRegion region) {
        super(region);
        if (bound() < 0) throw new IllegalStateException(region.description + " is not bounded");
    }

    public static SharedBoundedSemaphore create(String name, int permits) {
        return open(name, OpenMode.CREATE_EXCLUSIVE, permits, 0600);
    }

    public static SharedBoundedSemaphore openOrCreate(String name, int permits) {
        return open(name, OpenMode.OPEN_OR_CREATE, permits, 0600);
    }

    public static SharedBoundedSemaphore open(String name, OpenMode mode, int permits, int permissions) {
        return new SharedBoundedSemaphore(SyncRegion.named(name, mode, permissions, SyncKind.SEMAPHORE, init(permits, permits)));
    }

    public static SharedBoundedSemaphore create(MemorySegment segment, long offset, int permits) {
        return new SharedBoundedSemaphore(SyncRegion.create(segment, offset, SyncKind.SEMAPHORE, init(permits, permits)));
    }
}
