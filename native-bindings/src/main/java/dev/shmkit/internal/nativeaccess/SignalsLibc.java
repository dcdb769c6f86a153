package dev.shmkit.internal.nativeaccess;

import dev.shmkit.internal.nativeaccess.gen.LibcH;
import dev.shmkit.internal.nativeaccess.gen.sigval;
import dev.shmkit.os.ObjectNotFoundException;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;

import static dev.shmkit.internal.nativeaccess.Libc.bindWithErrno;
import static dev.shmkit.internal.nativeaccess.Libc.errno;
import static dev.shmkit.internal.nativeaccess.Libc.newState;
import static dev.shmkit.internal.nativeaccess.Libc.unexpected;

/**
 * Sending signals: {@code kill}, {@code killpg} and (Linux only) {@code sigqueue}. Signal numbers
 * come from the platform tables ({@code SIGUSR1} is 10 on Linux, 30 on macOS).
 *
 * <p>Receiving is not here on purpose: a Panama upcall stub installed as a native signal handler
 * aborts HotSpot when the signal arrives, so shmkit receives signals through
 * {@code sun.misc.Signal} in {@code dev.shmkit.signals}.
 */
public final class SignalsLibc {
    private SignalsLibc() {}

    private static final MethodHandle KILL = bindWithErrno(LibcH.kill$address(), LibcH.kill$descriptor());
    private static final MethodHandle KILLPG = bindWithErrno(LibcH.killpg$address(), LibcH.killpg$descriptor());

    /** Bound only on Linux: macOS has no sigqueue, and looking the symbol up there would fail. */
    private static final class Queue {
        static final MethodHandle SIGQUEUE = bindWithErrno(LibcH.sigqueue$address(), LibcH.sigqueue$descriptor());
    }

    /** Whether the platform has {@code sigqueue} (Linux yes, macOS no). */
    public static final boolean HAS_SIGQUEUE = Consts.LINUX;

    /** The number of {@code SIG<name>} on this platform, e.g. {@code number("USR1")}. */
    public static int number(String name) {
        return (int) Consts.value("SIG" + name);
    }

    /** {@code kill(pid, sig)} without interpretation: 0, or the errno it failed with. */
    public static int killErrno(int pid, int sig) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment state = newState(a);
            int rc = (int) KILL.invokeExact(state, pid, sig);
            return rc == 0 ? 0 : errno(state);
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    /**
     * {@code kill(pid, sig)}; ESRCH becomes {@link ObjectNotFoundException}, EPERM a
     * {@code PermissionDeniedException}. {@code what} names the signal in messages.
     */
    public static void kill(int pid, int sig, String what) {
        int errno = killErrno(pid, sig);
        if (errno != 0) throw failure("kill", pid + ", " + what, errno);
    }

    /** {@code killpg(pgrp, sig)}; 0 sends to the caller's own process group. */
    public static void killpg(int pgrp, int sig, String what) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment state = newState(a);
            int rc = (int) KILLPG.invokeExact(state, pgrp, sig);
            if (rc != 0) throw failure("killpg", pgrp + ", " + what, errno(state));
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    /**
     * {@code sigqueue(pid, sig, {.sival_int = value})}: Linux only (callers check
     * {@link #HAS_SIGQUEUE}). EAGAIN means the receiver's queue of pending signals is full
     * ({@code RLIMIT_SIGPENDING}).
     */
    public static void sigqueue(int pid, int sig, int value, String what) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment state = newState(a);
            MemorySegment val = a.allocate(sigval.layout());
            sigval.sival_int(val, value);
            int rc = (int) Queue.SIGQUEUE.invokeExact(state, pid, sig, val);
            if (rc != 0) throw failure("sigqueue", pid + ", " + what + ", " + value, errno(state));
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    private static RuntimeException failure(String call, String object, int errno) {
        if (errno == (int) Consts.value("ESRCH")) {
            return new ObjectNotFoundException(call, object, errno, Errno.name(errno), Libc.strerror(errno));
        }
        return Errno.exception(call, object, errno);
    }
}
