package dev.shmkit.internal.nativeaccess;

import dev.shmkit.internal.nativeaccess.gen.LibcH;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/**
 * Cross-process wait/wake on a 32-bit word in shared memory.
 *
 * <ul>
 *   <li>Linux: {@code futex(2)} through {@code syscall}, with the shared operations
 *       (FUTEX_WAIT / FUTEX_WAKE without FUTEX_PRIVATE_FLAG), so the kernel keys waiters by the
 *       mapped object and offset and processes meet on the same word.</li>
 *   <li>macOS: {@code __ulock_wait} / {@code __ulock_wake} with {@code UL_COMPARE_AND_WAIT_SHARED}
 *       (xnu {@code bsd/sys/ulock.h}, macOS 10.15+). This is the mechanism under the public
 *       {@code os_sync_wait_on_address} (macOS 14.4+), whose timed form needs a clock id whose
 *       value we could not confirm from a header; the private call is documented in
 *       docs/platforms.md and has not been run by our CI.</li>
 * </ul>
 *
 * <p>Results: {@link #WOKEN} (woken, or spuriously returned: callers re-check their condition),
 * {@link #VALUE_CHANGED} (the word no longer held the expected value), {@link #TIMED_OUT}.
 * EINTR is retried here with the remaining time.
 */
public final class WaitWake {
    private WaitWake() {}

    public static final int WOKEN = 0;
    public static final int VALUE_CHANGED = 1;
    public static final int TIMED_OUT = 2;

    // macOS, xnu bsd/sys/ulock.h (values in platform/macos.properties)
    private static final int UL_COMPARE_AND_WAIT_SHARED = (int) Consts.valueOrZero("UL_COMPARE_AND_WAIT_SHARED");
    private static final int ULF_WAKE_ALL = (int) Consts.valueOrZero("ULF_WAKE_ALL");
    private static final int ULF_NO_ERRNO = (int) Consts.valueOrZero("ULF_NO_ERRNO");

    private static final MethodHandle FUTEX_WAIT;
    private static final MethodHandle FUTEX_WAKE;
    private static final MethodHandle ULOCK_WAIT;
    private static final MethodHandle ULOCK_WAKE;
    static {
        if (Consts.LINUX) {
            // long syscall(long number, ...): every argument after the first is variadic, passed as a long
            // or a pointer as the kernel reads registers whole.
            FunctionDescriptor fd = FunctionDescriptor.of(ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG,
                    ValueLayout.ADDRESS, ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG, ValueLayout.ADDRESS);
            MemorySegment syscall = LibcH.syscall.address();
            FUTEX_WAIT = Libc.bindWithErrno(syscall, fd, Linker.Option.firstVariadicArg(1));
            FUTEX_WAKE = Libc.bindWithErrno(syscall, fd, Linker.Option.firstVariadicArg(1));
            ULOCK_WAIT = null;
            ULOCK_WAKE = null;
        } else {
            FUTEX_WAIT = null;
            FUTEX_WAKE = null;
            // int __ulock_wait(uint32_t operation, void *addr, uint64_t value, uint32_t timeout_us)
            ULOCK_WAIT = Linker.nativeLinker().downcallHandle(Libc.symbol("__ulock_wait"),
                    FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.ADDRESS,
                            ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT));
            // int __ulock_wake(uint32_t operation, void *addr, uint64_t wake_value)
            ULOCK_WAKE = Linker.nativeLinker().downcallHandle(Libc.symbol("__ulock_wake"),
                    FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.ADDRESS,
                            ValueLayout.JAVA_LONG));
        }
    }

    /** Per-thread scratch for errno and a timespec, so waking and waiting allocate nothing. */
    private static final ThreadLocal<MemorySegment> SCRATCH = ThreadLocal.withInitial(() -> {
        long stateSize = Libc.CAPTURE_STATE.byteSize();
        long stateAligned = (stateSize + 15) & ~15L;
        return Arena.ofAuto().allocate(stateAligned + 16, 16);
    });

    /**
     * Sleeps while the word at {@code word} (4-byte aligned, in a shared mapping) holds
     * {@code expected}, for at most {@code timeoutNanos} (negative: no limit).
     */
    public static int await(MemorySegment word, int expected, long timeoutNanos) {
        return Consts.LINUX ? futexWait(word, expected, timeoutNanos) : ulockWait(word, expected, timeoutNanos);
    }

    /** Wakes at most {@code count} waiters ({@code Integer.MAX_VALUE}: all); returns how many (Linux) or 0/1 (macOS). */
    public static int wake(MemorySegment word, int count) {
        return Consts.LINUX ? futexWake(word, count) : ulockWake(word, count);
    }

    private static int futexWait(MemorySegment word, int expected, long timeoutNanos) {
        MemorySegment scratch = SCRATCH.get();
        long stateBytes = (Libc.CAPTURE_STATE.byteSize() + 15) & ~15L;
        MemorySegment state = scratch.asSlice(0, stateBytes);
        MemorySegment ts = scratch.asSlice(stateBytes, 16);
        long deadline = timeoutNanos < 0 ? 0 : System.nanoTime() + timeoutNanos;
        while (true) {
            MemorySegment timeout = MemorySegment.NULL;
            if (timeoutNanos >= 0) {
                long left = deadline - System.nanoTime();
                if (left <= 0) return TIMED_OUT;
                ts.set(ValueLayout.JAVA_LONG, Consts.OFFSETOF_TV_SEC, left / 1_000_000_000L);
                ts.set(ValueLayout.JAVA_LONG, Consts.OFFSETOF_TV_NSEC, left % 1_000_000_000L);
                timeout = ts;
            }
            long rc;
            try {
                rc = (long) FUTEX_WAIT.invokeExact(state, Consts.SYS_futex, word, (long) Consts.FUTEX_WAIT,
                        (long) expected, timeout);
            } catch (Throwable t) {
                throw Libc.unexpected(t);
            }
            if (rc == 0) return WOKEN;
            int errno = Libc.errno(state);
            if (errno == Consts.EAGAIN) return VALUE_CHANGED;
            if (errno == Consts.ETIMEDOUT) return TIMED_OUT;
            if (errno == Consts.EINTR) continue;
            throw Errno.exception("futex", "FUTEX_WAIT, " + expected, errno);
        }
    }

    private static int futexWake(MemorySegment word, int count) {
        MemorySegment state = SCRATCH.get();
        long rc;
        try {
            rc = (long) FUTEX_WAKE.invokeExact(state, Consts.SYS_futex, word, (long) Consts.FUTEX_WAKE,
                    (long) count, MemorySegment.NULL);
        } catch (Throwable t) {
            throw Libc.unexpected(t);
        }
        if (rc < 0) throw Errno.exception("futex", "FUTEX_WAKE, " + count, Libc.errno(state));
        return (int) rc;
    }

    private static int ulockWait(MemorySegment word, int expected, long timeoutNanos) {
        long deadline = timeoutNanos < 0 ? 0 : System.nanoTime() + timeoutNanos;
        while (true) {
            int micros = 0; // 0 means no limit for __ulock_wait
            if (timeoutNanos >= 0) {
                long left = deadline - System.nanoTime();
                if (left <= 0) return TIMED_OUT;
                micros = (int) Math.max(1, Math.min(left / 1000, Integer.MAX_VALUE));
            }
            int rc;
            try {
                rc = (int) ULOCK_WAIT.invokeExact(UL_COMPARE_AND_WAIT_SHARED | ULF_NO_ERRNO, word,
                        Integer.toUnsignedLong(expected), micros);
            } catch (Throwable t) {
                throw Libc.unexpected(t);
            }
            if (rc >= 0) {
                // __ulock_wait returns immediately with success when the value differs.
                return word.get(ValueLayout.JAVA_INT, 0) != expected ? VALUE_CHANGED : WOKEN;
            }
            int errno = -rc;
            if (errno == Consts.EINTR) continue;
            if (errno == Consts.ETIMEDOUT) {
                if (timeoutNanos >= 0 && deadline - System.nanoTime() <= 0) return TIMED_OUT;
                continue;
            }
            throw Errno.exception("__ulock_wait", "UL_COMPARE_AND_WAIT_SHARED, " + expected, errno);
        }
    }

    private static int ulockWake(MemorySegment word, int count) {
        int op = UL_COMPARE_AND_WAIT_SHARED | ULF_NO_ERRNO | (count > 1 ? ULF_WAKE_ALL : 0);
        int rc;
        try {
            rc = (int) ULOCK_WAKE.invokeExact(op, word, 0L);
        } catch (Throwable t) {
            throw Libc.unexpected(t);
        }
        if (rc >= 0) return 1;
        if (-rc == Consts.ENOENT) return 0; // nobody was waiting
        throw Errno.exception("__ulock_wake", "UL_COMPARE_AND_WAIT_SHARED", -rc);
    }
}
