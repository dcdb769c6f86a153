package dev.shmkit.internal.nativeaccess;

import dev.shmkit.internal.nativeaccess.gen.LibcH;
import dev.shmkit.os.ObjectNotFoundException;

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
 * OS message queues.
 *
 * <ul>
 *   <li>POSIX ({@code mq_open} family): Linux only. macOS has no {@code <mqueue.h>}; the
 *       functions are bound in a holder class that only Linux ever loads. {@code mq_open} is
 *       variadic (mode and attributes follow the flags). Only the timed send and receive are
 *       bound: callers wait in slices so that they can honour interrupts.</li>
 *   <li>System V ({@code msgget}/{@code msgsnd}/{@code msgrcv}/{@code msgctl}): Linux and
 *       macOS. The message buffer is {@code struct { long mtype; char mtext[]; }}; the size
 *       passed to the kernel excludes {@code mtype}.</li>
 * </ul>
 *
 * <p>Result codes: {@link #OK}, {@link #TIMED_OUT}, {@link #WOULD_BLOCK} (no message / queue full
 * with {@code IPC_NOWAIT}), {@link #INTERRUPTED} (EINTR); other failures throw through
 * {@link Errno}.
 */
public final class MessageQueuesLibc {
    private MessageQueuesLibc() {}

    public static final int OK = 0;
    public static final int TIMED_OUT = -1;
    public static final int WOULD_BLOCK = -2;
    public static final int INTERRUPTED = -3;

    /** Whether the platform has POSIX message queues. */
    public static final boolean HAS_POSIX_MQ = Consts.LINUX;

    private static final int EMSGSIZE = (int) Consts.value("EMSGSIZE");
    private static final int ENOMSG = (int) Consts.value("ENOMSG");

    // ---------------------------------------------------------------- POSIX (Linux)

    /** Bound on first use, which only happens on Linux. */
    private static final class Posix {
        static final MethodHandle MQ_OPEN = bindWithErrno(LibcH.mq_open.address(),
                LibcH.mq_open.makeInvoker(LibcH.C_INT, LibcH.C_POINTER).descriptor(), Linker.Option.firstVariadicArg(2));
        static final MethodHandle MQ_CLOSE = bindWithErrno(LibcH.mq_close$address(), LibcH.mq_close$descriptor());
        static final MethodHandle MQ_UNLINK = bindWithErrno(LibcH.mq_unlink$address(), LibcH.mq_unlink$descriptor());
        static final MethodHandle MQ_GETATTR = bindWithErrno(LibcH.mq_getattr$address(), LibcH.mq_getattr$descriptor());
        static final MethodHandle MQ_TIMEDSEND = bindWithErrno(LibcH.mq_timedsend$address(), LibcH.mq_timedsend$descriptor());
        static final MethodHandle MQ_TIMEDRECEIVE = bindWithErrno(LibcH.mq_timedreceive$address(), LibcH.mq_timedreceive$descriptor());
        static final long SIZEOF_MQ_ATTR = Consts.value("SIZEOF_MQ_ATTR");
        static final long OFFSETOF_MQ_FLAGS = Consts.value("OFFSETOF_MQ_FLAGS");
        static final long OFFSETOF_MQ_MAXMSG = Consts.value("OFFSETOF_MQ_MAXMSG");
        static final long OFFSETOF_MQ_MSGSIZE = Consts.value("OFFSETOF_MQ_MSGSIZE");
        static final long OFFSETOF_MQ_CURMSGS = Consts.value("OFFSETOF_MQ_CURMSGS");
    }

    private static void requirePosix() {
        Consts.requireSupported();
        if (!HAS_POSIX_MQ) {
            throw new UnsupportedOperationException("POSIX message queues (mq_open) do not exist on "
                    + Consts.PLATFORM.os() + "; use System V message queues (msgget) instead");
        }
    }

    /**
     * {@code mq_open(name, oflag, mode, &attr)}: a queue descriptor. With {@code O_CREAT} the
     * attributes give the capacity ({@code mq_maxmsg}) and the largest message ({@code mq_msgsize});
     * without it they are ignored.
     */
    public static int mqOpen(String name, int oflag, int mode, long maxMessages, long messageSize) {
        requirePosix();
        try (Arena a = Arena.ofConfined()) {
            MemorySegment state = newState(a);
            MemorySegment attr = MemorySegment.NULL;
            if ((oflag & Consts.O_CREAT) != 0) {
                attr = a.allocate(Posix.SIZEOF_MQ_ATTR, 8);
                attr.set(ValueLayout.JAVA_LONG, Posix.OFFSETOF_MQ_MAXMSG, maxMessages);
                attr.set(ValueLayout.JAVA_LONG, Posix.OFFSETOF_MQ_MSGSIZE, messageSize);
            }
            MemorySegment n = a.allocateFrom(name);
            while (true) {
                int mqd = (int) Posix.MQ_OPEN.invokeExact(state, n, oflag, mode, attr);
                if (mqd >= 0) return mqd;
                int errno = errno(state);
                if (errno == Consts.EINTR) continue;
                String object = Errno.quote(name) + ", " + Libc.openFlags(oflag)
                        + ((oflag & Consts.O_CREAT) != 0 ? ", " + Libc.octal(mode) : "");
                throw Errno.exception("mq_open", object, errno);
            }
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    public static void mqClose(int mqd) {
        requirePosix();
        try (Arena a = Arena.ofConfined()) {
            int rc = (int) Posix.MQ_CLOSE.invokeExact(newState(a), mqd);
            assert rc == 0 : "mq_close failed";
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    /** {@code mq_unlink(name)}: false when no such queue exists; other failures throw. */
    public static boolean mqUnlink(String name) {
        requirePosix();
        try (Arena a = Arena.ofConfined()) {
            MemorySegment state = newState(a);
            int rc = (int) Posix.MQ_UNLINK.invokeExact(state, a.allocateFrom(name));
            if (rc == 0) return true;
            int errno = errno(state);
            if (errno == Consts.ENOENT) return false;
            throw Errno.exception("mq_unlink", Errno.quote(name), errno);
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    /** What {@code mq_getattr} says, unvalidated (callers check the sizes before trusting them). */
    public record MqAttr(long flags, long maxMessages, long messageSize, long currentMessages) {}

    public static MqAttr mqGetattr(int mqd, String name) {
        requirePosix();
        try (Arena a = Arena.ofConfined()) {
            MemorySegment state = newState(a);
            MemorySegment attr = a.allocate(Posix.SIZEOF_MQ_ATTR, 8);
            int rc = (int) Posix.MQ_GETATTR.invokeExact(state, mqd, attr);
            if (rc != 0) throw Errno.exception("mq_getattr", Errno.quote(name), errno(state));
            return new MqAttr(attr.get(ValueLayout.JAVA_LONG, Posix.OFFSETOF_MQ_FLAGS),
                    attr.get(ValueLayout.JAVA_LONG, Posix.OFFSETOF_MQ_MAXMSG),
                    attr.get(ValueLayout.JAVA_LONG, Posix.OFFSETOF_MQ_MSGSIZE),
                    attr.get(ValueLayout.JAVA_LONG, Posix.OFFSETOF_MQ_CURMSGS));
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    private static MemorySegment timespec(Arena a, long epochSecond, long nanos) {
        MemorySegment ts = a.allocate(Consts.SIZEOF_TIMESPEC, 8);
        ts.set(ValueLayout.JAVA_LONG, Consts.OFFSETOF_TV_SEC, epochSecond);
        ts.set(ValueLayout.JAVA_LONG, Consts.OFFSETOF_TV_NSEC, nanos);
        return ts;
    }

    /**
     * {@code mq_timedsend} with a CLOCK_REALTIME deadline: {@link #OK}, {@link #TIMED_OUT} (the
     * queue stayed full) or {@link #INTERRUPTED}. EMSGSIZE (longer than the queue's message size)
     * and every other failure throw.
     */
    public static int mqTimedsend(int mqd, String name, MemorySegment message, int priority,
                                  long epochSecond, long nanos) {
        requirePosix();
        try (Arena a = Arena.ofConfined()) {
            MemorySegment state = newState(a);
            int rc = (int) Posix.MQ_TIMEDSEND.invokeExact(state, mqd, message, message.byteSize(), priority,
                    timespec(a, epochSecond, nanos));
            if (rc == 0) return OK;
            int errno = errno(state);
            if (errno == Consts.ETIMEDOUT) return TIMED_OUT;
            if (errno == Consts.EINTR) return INTERRUPTED;
            String object = Errno.quote(name) + ", " + message.byteSize() + " bytes, priority " + Integer.toUnsignedString(priority);
            throw Errno.exception("mq_timedsend", object, errno);
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    /**
     * {@code mq_timedreceive} into {@code buffer} (at least the queue's message size, or the
     * kernel refuses with EMSGSIZE, which throws): the message length, or {@link #TIMED_OUT} /
     * {@link #INTERRUPTED}. The priority goes to {@code priorityOut} (an int).
     */
    public static long mqTimedreceive(int mqd, String name, MemorySegment buffer, MemorySegment priorityOut,
                                      long epochSecond, long nanos) {
        requirePosix();
        try (Arena a = Arena.ofConfined()) {
            MemorySegment state = newState(a);
            long n = (long) Posix.MQ_TIMEDRECEIVE.invokeExact(state, mqd, buffer, buffer.byteSize(), priorityOut,
                    timespec(a, epochSecond, nanos));
            if (n >= 0) return n;
            int errno = errno(state);
            if (errno == Consts.ETIMEDOUT) return TIMED_OUT;
            if (errno == Consts.EINTR) return INTERRUPTED;
            if (errno == EMSGSIZE) {
                throw Errno.exception("mq_timedreceive", Errno.quote(name) + ", " + buffer.byteSize() + "-byte buffer", errno,
                        Libc.strerror(errno) + ": the buffer is smaller than the queue's message size");
            }
            throw Errno.exception("mq_timedreceive", Errno.quote(name), errno);
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    // ---------------------------------------------------------------- System V

    private static final MethodHandle MSGGET = bindWithErrno(LibcH.msgget$address(), LibcH.msgget$descriptor());
    private static final MethodHandle MSGSND = bindWithErrno(LibcH.msgsnd$address(), LibcH.msgsnd$descriptor());
    private static final MethodHandle MSGRCV = bindWithErrno(LibcH.msgrcv$address(), LibcH.msgrcv$descriptor());
    private static final MethodHandle MSGCTL = bindWithErrno(LibcH.msgctl$address(), LibcH.msgctl$descriptor());

    private static final long SIZEOF_MSQID_DS = Consts.value("SIZEOF_MSQID_DS");
    private static final long OFFSETOF_MSG_QNUM = Consts.value("OFFSETOF_MSG_QNUM");
    private static final long SIZEOF_MSG_QNUM = Consts.value("SIZEOF_MSG_QNUM");
    private static final long OFFSETOF_MSG_QBYTES = Consts.value("OFFSETOF_MSG_QBYTES");
    private static final long OFFSETOF_MSG_CBYTES = Consts.value("OFFSETOF_MSG_CBYTES");
    private static final long OFFSETOF_MSG_LSPID = Consts.value("OFFSETOF_MSG_LSPID");
    private static final long OFFSETOF_MSG_LRPID = Consts.value("OFFSETOF_MSG_LRPID");
    private static final long OFFSETOF_MSG_PERM_MODE = Consts.value("OFFSETOF_MSG_PERM_MODE");

    /** Size of {@code mtype} at the start of every System V message buffer (a C long). */
    public static final long MTYPE_SIZE = LibcH.C_LONG.byteSize();

    /** {@code msgget(key, flags)}: the queue id. */
    public static int msgget(int key, int flags) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment state = newState(a);
            int id = (int) MSGGET.invokeExact(state, key, flags);
            if (id < 0) throw Errno.exception("msgget", Libc.hexKey(key) + ", " + Libc.ipcFlags(flags), errno(state));
            return id;
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    /**
     * {@code msgsnd(id, buffer, buffer.byteSize() - MTYPE_SIZE, flags)}: {@link #OK},
     * {@link #WOULD_BLOCK} (queue full with IPC_NOWAIT) or {@link #INTERRUPTED}; the queue removed
     * (EIDRM, or Linux's EINVAL for a vanished id) throws {@code ObjectNotFoundException}.
     */
    public static int msgsnd(int id, MemorySegment buffer, int flags) {
        long size = buffer.byteSize() - MTYPE_SIZE;
        try (Arena a = Arena.ofConfined()) {
            MemorySegment state = newState(a);
            int rc = (int) MSGSND.invokeExact(state, id, buffer, size, flags);
            if (rc == 0) return OK;
            int errno = errno(state);
            if (errno == Consts.EAGAIN) return WOULD_BLOCK;
            if (errno == Consts.EINTR) return INTERRUPTED;
            String object = "id " + id + ", type " + buffer.get(ValueLayout.JAVA_LONG, 0) + ", " + size + " bytes";
            if (errno == Consts.EIDRM) throw gone("msgsnd", object, errno);
            throw Errno.exception("msgsnd", object, errno);
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    /**
     * {@code msgrcv(id, buffer, buffer.byteSize() - MTYPE_SIZE, type, flags)}: the length of the
     * text, or {@link #WOULD_BLOCK} (no matching message with IPC_NOWAIT: ENOMSG, or EAGAIN on some
     * systems) or {@link #INTERRUPTED}. E2BIG (a message longer than the buffer, left in the queue
     * since MSG_NOERROR is not passed) throws.
     */
    public static long msgrcv(int id, MemorySegment buffer, long type, int flags) {
        long size = buffer.byteSize() - MTYPE_SIZE;
        try (Arena a = Arena.ofConfined()) {
            MemorySegment state = newState(a);
            long n = (long) MSGRCV.invokeExact(state, id, buffer, size, type, flags);
            if (n >= 0) return n;
            int errno = errno(state);
            if (errno == ENOMSG || errno == Consts.EAGAIN) return WOULD_BLOCK;
            if (errno == Consts.EINTR) return INTERRUPTED;
            String object = "id " + id + ", " + size + "-byte buffer, type " + type;
            if (errno == Consts.EIDRM) throw gone("msgrcv", object, errno);
            if (errno == Consts.E2BIG) {
                throw Errno.exception("msgrcv", object, errno, Libc.strerror(errno)
                        + ": the next matching message is longer than the buffer; it stays in the queue");
            }
            throw Errno.exception("msgrcv", object, errno);
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    /** What {@code msgctl(IPC_STAT)} says of a queue. */
    public record MsqStat(int mode, long messages, long bytes, long maxBytes, int lastSendPid, int lastReceivePid) {}

    public static MsqStat msgStat(int id) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment state = newState(a);
            MemorySegment ds = a.allocate(SIZEOF_MSQID_DS, 8);
            int rc = (int) MSGCTL.invokeExact(state, id, Consts.IPC_STAT, ds);
            if (rc != 0) {
                int errno = errno(state);
                if (errno == Consts.EINVAL || errno == Consts.EIDRM) throw gone("msgctl", "id " + id + ", IPC_STAT", errno);
                throw Errno.exception("msgctl", "id " + id + ", IPC_STAT", errno);
            }
            // macOS packs the System V structs to 4 bytes: 8-byte fields may be unaligned.
            int mode = Consts.SIZEOF_SHM_PERM_MODE == 2
                    ? Short.toUnsignedInt(ds.get(ValueLayout.JAVA_SHORT_UNALIGNED, OFFSETOF_MSG_PERM_MODE))
                    : ds.get(ValueLayout.JAVA_INT_UNALIGNED, OFFSETOF_MSG_PERM_MODE);
            long qnum = SIZEOF_MSG_QNUM == 4
                    ? Integer.toUnsignedLong(ds.get(ValueLayout.JAVA_INT_UNALIGNED, OFFSETOF_MSG_QNUM))
                    : ds.get(ValueLayout.JAVA_LONG_UNALIGNED, OFFSETOF_MSG_QNUM);
            return new MsqStat(mode & 0777, qnum,
                    ds.get(ValueLayout.JAVA_LONG_UNALIGNED, OFFSETOF_MSG_CBYTES),
                    ds.get(ValueLayout.JAVA_LONG_UNALIGNED, OFFSETOF_MSG_QBYTES),
                    ds.get(ValueLayout.JAVA_INT_UNALIGNED, OFFSETOF_MSG_LSPID),
                    ds.get(ValueLayout.JAVA_INT_UNALIGNED, OFFSETOF_MSG_LRPID));
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    /** {@code msgctl(id, IPC_RMID)}: false when the queue is already gone. */
    public static boolean msgRemove(int id) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment state = newState(a);
            int rc = (int) MSGCTL.invokeExact(state, id, Consts.IPC_RMID, MemorySegment.NULL);
            if (rc == 0) return true;
            int errno = errno(state);
            if (errno == Consts.EINVAL || errno == Consts.EIDRM) return false;
            throw Errno.exception("msgctl", "id " + id + ", IPC_RMID", errno);
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    private static ObjectNotFoundException gone(String call, String object, int errno) {
        return new ObjectNotFoundException(call, object, errno, Errno.name(errno), "the queue was removed");
    }
}
