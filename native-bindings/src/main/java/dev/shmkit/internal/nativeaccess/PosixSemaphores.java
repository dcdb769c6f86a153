package dev.shmkit.internal.nativeaccess;

import dev.shmkit.internal.nativeaccess.gen.LibcH;

import java.lang.foreign.Arena;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

import static dev.shmkit.internal.nativeaccess.Libc.bindWithErrno;
import static dev.shmkit.internal.nativeaccess.Libc.errno;
import static dev.shmkit.internal.nativeaccess.Libc.newState;
import static dev.shmkit.internal.nativeaccess.Libc.unexpected;

/**
 * Named POSIX semaphores ({@code sem_open} family). {@code sem_open} is variadic on every
 * platform (mode and value follow the flags), so it is bound with {@code firstVariadicArg(2)};
 * the mode is passed as an int, as C's default argument promotion does for {@code mode_t}.
 * macOS has no {@code sem_timedwait} and a {@code sem_getvalue} that always fails with ENOSYS.
 */
public final class PosixSemaphores {
    private PosixSemaphores() {}

    public static final int OK = 0;
    public static final int TIMED_OUT = 1;
    public static final int INTERRUPTED = 2;
    public static final int WOULD_BLOCK = 3;

    private static final MethodHandle SEM_OPEN = bindWithErrno(LibcH.sem_open.address(),
            LibcH.sem_open.makeInvoker(LibcH.C_INT, LibcH.C_INT).descriptor(), Linker.Option.firstVariadicArg(2));
    private static final MethodHandle SEM_CLOSE = bindWithErrno(LibcH.sem_close$address(), LibcH.sem_close$descriptor());
    private static final MethodHandle SEM_UNLINK = bindWithErrno(LibcH.sem_unlink$address(), LibcH.sem_unlink$descriptor());
    private static final MethodHandle SEM_TRYWAIT = bindWithErrno(LibcH.sem_trywait$address(), LibcH.sem_trywait$descriptor());
    private static final MethodHandle SEM_POST = bindWithErrno(LibcH.sem_post$address(), LibcH.sem_post$descriptor());
    private static final MethodHandle SEM_GETVALUE = bindWithErrno(LibcH.sem_getvalue$address(), LibcH.sem_getvalue$descriptor());

    /** Bound only where it exists: looking the symbol up on macOS would fail. */
    private static final class Timed {
        static final MethodHandle SEM_TIMEDWAIT = bindWithErrno(LibcH.sem_timedwait$address(), LibcH.sem_timedwait$descriptor());
    }

    /** Whether the platform has {@code sem_timedwait}. */
    public static final boolean HAS_TIMEDWAIT = Consts.LINUX;
    /** Whether the platform's {@code sem_getvalue} works. */
    public static final boolean HAS_GETVALUE = Consts.LINUX;

    public static MemorySegment open(String name, int oflag, int mode, int value) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment state = newState(a);
            MemorySegment sem = (MemorySegment) SEM_OPEN.invokeExact(state, a.allocateFrom(name), oflag, mode, value);
            if (sem.address() == Consts.SEM_FAILED || sem.address() == 0) {
                String object = Errno.quote(name) + ", " + Libc.openFlags(oflag)
                        + ((oflag & Consts.O_CREAT) != 0 ? ", " + Libc.octal(mode) + ", " + value : "");
                throw Errno.exception("sem_open", object, errno(state));
            }
            return sem;
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    public static void close(MemorySegment sem) {
        try (Arena a = Arena.ofConfined()) {
            int rc = (int) SEM_CLOSE.invokeExact(newState(a), sem);
            assert rc == 0;
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    /** false when no such semaphore exists. */
    public static boolean unlink(String name) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment state = newState(a);
            int rc = (int) SEM_UNLINK.invokeExact(state, a.allocateFrom(name));
            if (rc == 0) return true;
            int errno = errno(state);
            if (errno == Consts.ENOENT) return false;
            throw Errno.exception("sem_unlink", Errno.quote(name), errno);
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    /** OK, WOULD_BLOCK or INTERRUPTED. */
    public static int tryWait(MemorySegment sem, String name) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment state = newState(a);
            int rc = (int) SEM_TRYWAIT.invokeExact(state, sem);
            if (rc == 0) return OK;
            int errno = errno(state);
            if (errno == Consts.EAGAIN) return WOULD_BLOCK;
            if (errno == Consts.EINTR) return INTERRUPTED;
            throw Errno.exception("sem_trywait", Errno.quote(name), errno);
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    /** Linux only: waits until the CLOCK_REALTIME instant given; OK, TIMED_OUT or INTERRUPTED (EINTR). */
    public static int timedWait(MemorySegment sem, String name, long epochSecond, long nanos) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment state = newState(a);
            MemorySegment ts = a.allocate(Consts.SIZEOF_TIMESPEC, 8);
            ts.set(ValueLayout.JAVA_LONG, Consts.OFFSETOF_TV_SEC, epochSecond);
            ts.set(ValueLayout.JAVA_LONG, Consts.OFFSETOF_TV_NSEC, nanos);
            int rc = (int) Timed.SEM_TIMEDWAIT.invokeExact(state, sem, ts);
            if (rc == 0) return OK;
            int errno = errno(state);
            if (errno == Consts.ETIMEDOUT) return TIMED_OUT;
            if (errno == Consts.EINTR) return INTERRUPTED;
            throw Errno.exception("sem_timedwait", Errno.quote(name), errno);
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    public static void post(MemorySegment sem, String name) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment state = newState(a);
            int rc = (int) SEM_POST.invokeExact(state, sem);
            if (rc != 0) throw Errno.exception("sem_post", Errno.quote(name), errno(state));
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    public static int getValue(MemorySegment sem, String name) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment state = newState(a);
            MemorySegment out = a.allocate(ValueLayout.JAVA_INT);
            int rc = (int) SEM_GETVALUE.invokeExact(state, sem, out);
            if (rc != 0) throw Errno.exception("sem_getvalue", Errno.quote(name), errno(state));
            return out.get(ValueLayout.JAVA_INT, 0);
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }
}
