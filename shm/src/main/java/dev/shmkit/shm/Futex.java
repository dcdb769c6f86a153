package dev.shmkit.shm;

import dev.shmkit.internal.nativeaccess.Consts;
import dev.shmkit.internal.nativeaccess.WaitWake;

import java.lang.foreign.MemorySegment;
import java.util.concurrent.TimeUnit;

/**
 * Wait and wake on a 32-bit word in shared memory, across processes: the primitive shmkit's
 * locks, rings and queues sleep on. Linux uses {@code futex(2)} with the shared (non-private)
 * operations; macOS uses {@code __ulock_wait}/{@code __ulock_wake} with the shared compare-and-wait
 * operation (see docs/platforms.md).
 *
 * <p>The word must be 4-byte aligned and lie in a {@code MAP_SHARED} mapping (a
 * {@link SharedMemory} or {@link SysVSharedMemory} segment) for other processes to meet on it.
 *
 * <p>Contract, as with every futex: {@code await} may return spuriously, so callers loop on
 * their own condition; a wake that happens between a caller reading the word and calling
 * {@code await} is never lost, because the kernel re-checks the value atomically before
 * sleeping. Signals interrupting the sleep (EINTR) are retried internally with the remaining
 * time. {@code Thread.interrupt()} does not wake a thread sleeping here: code that must honour
 * interrupts waits in bounded slices and checks {@link Thread#interrupted()} between them.
 */
public final class Futex {
    private Futex() {}

    /**
     * Sleeps while the word at {@code offset} holds {@code expected}, without a time limit.
     *
     * @return {@code true} when woken (or spuriously), {@code false} when the word already held
     *         another value so the call did not sleep
     */
    public static boolean await(MemorySegment segment, long offset, int expected) {
        return WaitWake.await(word(segment, offset), expected, -1) == WaitWake.WOKEN;
    }

    /**
     * Sleeps while the word at {@code offset} holds {@code expected}, at most {@code timeout}.
     * A timeout of zero or less does not sleep.
     *
     * @return {@code true} when woken, spuriously returned or the value differed (re-check your
     *         condition); {@code false} when the timeout elapsed
     */
    public static boolean await(MemorySegment segment, long offset, int expected, long timeout, TimeUnit unit) {
        long nanos = unit.toNanos(timeout);
        MemorySegment word = word(segment, offset);
        if (nanos <= 0) return word.get(java.lang.foreign.ValueLayout.JAVA_INT, 0) != expected;
        return WaitWake.await(word, expected, nanos) != WaitWake.TIMED_OUT;
    }

    /**
     * Wakes at most {@code count} processes or threads sleeping on the word.
     *
     * @return how many were woken on Linux; on macOS 1 when at least one was, else 0
     */
    public static int wake(MemorySegment segment, long offset, int count) {
        if (count <= 0) throw new IllegalArgumentException("count must be positive, was " + count);
        return WaitWake.wake(word(segment, offset), count);
    }

    /** Wakes every process or thread sleeping on the word. */
    public static int wakeAll(MemorySegment segment, long offset) {
        return wake(segment, offset, Integer.MAX_VALUE);
    }

    private static MemorySegment word(MemorySegment segment, long offset) {
        Consts.requireSupported();
        if (!segment.isNative()) throw new IllegalArgumentException("a futex word must be in native (shared) memory");
        if (offset < 0 || offset > segment.byteSize() - 4) {
            throw new IndexOutOfBoundsException("futex word at " + offset + " is outside the segment of " + segment.byteSize() + " bytes");
        }
        MemorySegment word = segment.asSlice(offset, 4);
        if ((word.address() & 3) != 0) throw new IllegalArgumentException("futex word at " + offset + " is not 4-byte aligned");
        return word;
    }
}
