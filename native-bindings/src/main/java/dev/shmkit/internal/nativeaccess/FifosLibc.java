package dev.shmkit.internal.nativeaccess;

import dev.shmkit.internal.nativeaccess.gen.LibcH;

import java.lang.foreign.Arena;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;

import static dev.shmkit.internal.nativeaccess.Libc.bindWithErrno;
import static dev.shmkit.internal.nativeaccess.Libc.errno;
import static dev.shmkit.internal.nativeaccess.Libc.newState;
import static dev.shmkit.internal.nativeaccess.Libc.unexpected;

/**
 * Named pipes: {@code mkfifo}, {@code open} (variadic: the mode follows the flags, so it is bound
 * with {@code firstVariadicArg(2)} as Apple arm64 requires), {@code read}, {@code write},
 * {@code unlink}. Every descriptor is opened with {@code O_CLOEXEC}, so that a program started
 * later never inherits an end of a FIFO (an inherited write end would keep readers from ever
 * seeing end-of-file).
 *
 * <p>The {@code *OrErrno} methods return a negative errno instead of throwing, for the callers
 * that poll (ENXIO while a FIFO has no reader, EAGAIN while a non-blocking end would block);
 * EINTR is retried in here.
 */
public final class FifosLibc {
    private FifosLibc() {}

    private static final MethodHandle MKFIFO = bindWithErrno(LibcH.mkfifo$address(), LibcH.mkfifo$descriptor());
    private static final MethodHandle OPEN = bindWithErrno(LibcH.open.address(),
            LibcH.open.makeInvoker(LibcH.C_INT).descriptor(), Linker.Option.firstVariadicArg(2));
    private static final MethodHandle READ = bindWithErrno(LibcH.read$address(), LibcH.read$descriptor());
    private static final MethodHandle WRITE = bindWithErrno(LibcH.write$address(), LibcH.write$descriptor());
    private static final MethodHandle UNLINK = bindWithErrno(LibcH.unlink$address(), LibcH.unlink$descriptor());

    public static final int ENXIO = (int) Consts.value("ENXIO");
    public static final int EPIPE = (int) Consts.value("EPIPE");

    /** {@code mkfifo(path, mode)}; EEXIST becomes {@code ObjectExistsException}. */
    public static void mkfifo(String path, int mode) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment state = newState(a);
            int rc = (int) MKFIFO.invokeExact(state, a.allocateFrom(path), mode);
            if (rc != 0) throw Errno.exception("mkfifo", Errno.quote(path) + ", " + Libc.octal(mode), errno(state));
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    /** {@code open(path, flags | O_CLOEXEC)}: a descriptor, or minus the errno (EINTR retried). */
    public static int openOrErrno(String path, int flags) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment state = newState(a);
            MemorySegment p = a.allocateFrom(path);
            while (true) {
                int fd = (int) OPEN.invokeExact(state, p, flags | Consts.O_CLOEXEC, 0);
                if (fd >= 0) return fd;
                int errno = errno(state);
                if (errno != Consts.EINTR) return -errno;
            }
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    /** {@code open(path, flags | O_CLOEXEC)}, throwing on failure. */
    public static int open(String path, int flags) {
        int fd = openOrErrno(path, flags);
        if (fd < 0) throw Errno.exception("open", Errno.quote(path) + ", " + Libc.openFlags(flags), -fd);
        return fd;
    }

    /** {@code read(fd, buf, len)}: bytes read (0 at end-of-file), or minus the errno (EINTR retried). */
    public static long readOrErrno(int fd, MemorySegment buf, long len) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment state = newState(a);
            while (true) {
                long n = (long) READ.invokeExact(state, fd, buf, len);
                if (n >= 0) return n;
                int errno = errno(state);
                if (errno != Consts.EINTR) return -errno;
            }
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    /** {@code write(fd, buf, len)}: bytes written, or minus the errno (EINTR retried). */
    public static long writeOrErrno(int fd, MemorySegment buf, long len) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment state = newState(a);
            while (true) {
                long n = (long) WRITE.invokeExact(state, fd, buf, len);
                if (n >= 0) return n;
                int errno = errno(state);
                if (errno != Consts.EINTR) return -errno;
            }
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    /** {@code unlink(path)}: false when nothing has that name; other failures throw. */
    public static boolean unlink(String path) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment state = newState(a);
            int rc = (int) UNLINK.invokeExact(state, a.allocateFrom(path));
            if (rc == 0) return true;
            int errno = errno(state);
            if (errno == Consts.ENOENT) return false;
            throw Errno.exception("unlink", Errno.quote(path), errno);
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }
}
