package dev.shmkit.sync;

import dev.shmkit.shm.Futex;

import java.lang.foreign.MemorySegment;
import java.util.concurrent.TimeUnit;

/** Sleeping on a futex word in slices, so interrupts, deadlines and dead peers are noticed. */
final class Waits {
    private Waits() {}

    static final long SLICE_NANOS = TimeUnit.MILLISECONDS.toNanos(SharedLock.SLICE_MILLIS);

    /** A System.nanoTime() deadline for {@code nanos} from now; -1 for none (negative input). */
    static long deadline(long nanos) {
        if (nanos < 0) return -1;
        long d = System.nanoTime() + nanos;
        return d == -1 ? 0 : d;
    }

    /** Nanoseconds left before {@code deadline} (Long.MAX_VALUE when none), never negative. */
    static long left(long deadline) {
        return deadline == -1 ? Long.MAX_VALUE : Math.max(0, deadline - System.nanoTime());
    }

    /**
     * One slice of sleep while the word at {@code offset} holds {@code expected}, counting this
     * thread in the waiters word at {@code waitersOffset}.
     *
     * @return false when the slice elapsed without a wake-up
     */
    static boolean sleepSlice(MemorySegment s, long offset, int expected, long waitersOffset, long deadline) {
        long slice = Math.min(SLICE_NANOS, left(deadline));
        if (slice <= 0) return false;
        SyncRegion.INT.getAndAdd(s, waitersOffset, 1);
        try {
            return Futex.await(s, offset, expected, slice, TimeUnit.NANOSECONDS);
        } finally {
            SyncRegion.INT.getAndAdd(s, waitersOffset, -1);
        }
    }

    /** Wakes sleepers on the word at {@code offset} if the waiters word says there may be any. */
    static void wake(MemorySegment s, long offset, long waitersOffset, int count) {
        if ((int) SyncRegion.INT.getVolatile(s, waitersOffset) > 0) Futex.wake(s, offset, count);
    }
}
