package dev.shmkit.internal.nativeaccess;

import dev.shmkit.internal.nativeaccess.gen.LibcH;
import dev.shmkit.os.UnsupportedPlatformException;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;

/**
 * The C library calls shmkit makes, each rebound once from the jextract output with errno
 * captured ({@code Linker.Option.captureCallState("errno")}): reading errno after a call from
 * Java is unreliable because the JVM may run C code of its own in between.
 *
 * <p>Every method validates nothing about its arguments beyond what C needs: callers check
 * names and sizes first. Failures become exceptions through {@link Errno}, whose messages name
 * the call, the object and the errno.
 */
public final class Libc {
    private Libc() {}

    static {
        if (!Consts.SUPPORTED) {
            throw new UnsupportedPlatformException("shmkit: no native bindings for this platform");
        }
    }

    private static final Linker LINKER = Linker.nativeLinker();
    static final StructLayout CAPTURE_STATE = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO =
            CAPTURE_STATE.varHandle(MemoryLayout.PathElement.groupElement("errno"));

    static MethodHandle bindWithErrno(MemorySegment address, FunctionDescriptor fd, Linker.Option... options) {
        Linker.Option[] all = java.util.Arrays.copyOf(options, options.length + 1);
        all[options.length] = Linker.Option.captureCallState("errno");
        return LINKER.downcallHandle(address, fd, all);
    }

    static MemorySegment symbol(String name) {
        return LINKER.defaultLookup().find(name).orElseThrow(
                () -> new UnsupportedPlatformException("shmkit: the C library has no symbol " + name));
    }

    static int errno(MemorySegment state) {
        return (int) ERRNO.get(state, 0L);
    }

    static MemorySegment newState(Arena arena) {
        return arena.allocate(CAPTURE_STATE);
    }

    // shm_open is variadic on macOS (bsd/sys/mman.h), and Apple arm64 passes variadic
    // arguments on the stack: binding it as fixed would give the new object a garbage mode.
    private static final MethodHandle SHM_OPEN = Consts.MACOS
            ? bindWithErrno(LibcH.shm_open$address(), LibcH.shm_open$descriptor(), Linker.Option.firstVariadicArg(2))
            : bindWithErrno(LibcH.shm_open$address(), LibcH.shm_open$descriptor());
    private static final MethodHandle SHM_UNLINK = bindWithErrno(LibcH.shm_unlink$address(), LibcH.shm_unlink$descriptor());
    private static final MethodHandle FTRUNCATE = bindWithErrno(LibcH.ftruncate$address(), LibcH.ftruncate$descriptor());
    // macOS x86_64 keeps the 32-bit-inode fstat under the plain name; the 64-bit-inode struct
    // stat in the constants table belongs to fstat$INODE64 (sys/stat.h: __DARWIN_INODE64).
    private static final MethodHandle FSTAT = bindWithErrno(
            Consts.MACOS && Consts.PLATFORM.arch().equals("x86_64") ? symbol("fstat$INODE64") : LibcH.fstat$address(),
            LibcH.fstat$descriptor());
    private static final MethodHandle MMAP = bindWithErrno(LibcH.mmap$address(), LibcH.mmap$descriptor());
    private static final MethodHandle MUNMAP = bindWithErrno(LibcH.munmap$address(), LibcH.munmap$descriptor());
    private static final MethodHandle CLOSE = bindWithErrno(LibcH.close$address(), LibcH.close$descriptor());
    private static final MethodHandle SHMGET = bindWithErrno(LibcH.shmget$address(), LibcH.shmget$descriptor());
    private static final MethodHandle SHMAT = bindWithErrno(LibcH.shmat$address(), LibcH.shmat$descriptor());
    private static final MethodHandle SHMDT = bindWithErrno(LibcH.shmdt$address(), LibcH.shmdt$descriptor());
    private static final MethodHandle SHMCTL = bindWithErrno(LibcH.shmctl$address(), LibcH.shmctl$descriptor());
    private static final MethodHandle FTOK = bindWithErrno(LibcH.ftok$address(), LibcH.ftok$descriptor());
    private static final MethodHandle STRERROR = LINKER.downcallHandle(LibcH.strerror$address(), LibcH.strerror$descriptor());
    private static final MethodHandle GETPID = LINKER.downcallHandle(LibcH.getpid$address(), LibcH.getpid$descriptor());
    private static final MethodHandle GETUID = LINKER.downcallHandle(LibcH.getuid$address(), LibcH.getuid$descriptor());

    static RuntimeException unexpected(Throwable t) {
        if (t instanceof RuntimeException r) return r;
        if (t instanceof Error e) throw e;
        return new IllegalStateException(t);
    }

    // ---------------------------------------------------------------- POSIX shared memory

    /** {@code shm_open(name, oflag, mode)}: a file descriptor. */
    public static int shmOpen(String name, int oflag, int mode) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment state = newState(a);
            int fd = (int) SHM_OPEN.invokeExact(state, a.allocateFrom(name), oflag, mode);
            if (fd < 0) {
                String object = Errno.quote(name) + ", " + openFlags(oflag)
                        + ((oflag & Consts.O_CREAT) != 0 ? ", " + octal(mode) : "");
                throw Errno.exception("shm_open", object, errno(state));
            }
            return fd;
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    /** {@code shm_unlink(name)}: false when no such object exists; other failures throw. */
    public static boolean shmUnlink(String name) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment state = newState(a);
            int rc = (int) SHM_UNLINK.invokeExact(state, a.allocateFrom(name));
            if (rc == 0) return true;
            int errno = errno(state);
            if (errno == Consts.ENOENT) return false;
            throw Errno.exception("shm_unlink", Errno.quote(name), errno);
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    public static void ftruncate(int fd, long size, String object) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment state = newState(a);
            int rc;
            do {
                rc = (int) FTRUNCATE.invokeExact(state, fd, size);
            } while (rc != 0 && errno(state) == Consts.EINTR);
            if (rc != 0) throw Errno.exception("ftruncate", object + ", " + size, errno(state));
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    /** What {@code fstat} says of an open file descriptor. */
    public record FileStat(long size, int mode, int uid, int gid) {
        /** The permission bits, e.g. 0600. */
        public int permissions() { return mode & 07777; }
    }

    public static FileStat fstat(int fd, String object) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment state = newState(a);
            MemorySegment st = a.allocate(Consts.SIZEOF_STAT, 8);
            int rc = (int) FSTAT.invokeExact(state, fd, st);
            if (rc != 0) throw Errno.exception("fstat", object, errno(state));
            int mode = Consts.SIZEOF_ST_MODE == 2
                    ? Short.toUnsignedInt(st.get(ValueLayout.JAVA_SHORT, Consts.OFFSETOF_ST_MODE))
                    : st.get(ValueLayout.JAVA_INT, Consts.OFFSETOF_ST_MODE);
            return new FileStat(st.get(ValueLayout.JAVA_LONG, Consts.OFFSETOF_ST_SIZE), mode,
                    st.get(ValueLayout.JAVA_INT, Consts.OFFSETOF_ST_UID),
                    st.get(ValueLayout.JAVA_INT, Consts.OFFSETOF_ST_GID));
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    /**
     * Maps {@code size} bytes of {@code fd} shared, and returns them as a segment of exactly that
     * size whose lifetime is {@code arena}'s: closing the arena unmaps them. A size of 0 gives an
     * empty segment without a system call (mmap refuses length 0).
     */
    public static MemorySegment mmap(int fd, long size, boolean writable, Arena arena, String object) {
        if (size == 0) return MemorySegment.NULL.reinterpret(0, arena, null);
        int prot = Consts.PROT_READ | (writable ? Consts.PROT_WRITE : 0);
        try (Arena a = Arena.ofConfined()) {
            MemorySegment state = newState(a);
            MemorySegment addr = (MemorySegment) MMAP.invokeExact(state, MemorySegment.NULL, size, prot,
                    Consts.MAP_SHARED, fd, 0L);
            if (addr.address() == Consts.MAP_FAILED) {
                throw Errno.exception("mmap", object + ", " + size + " bytes", errno(state));
            }
            return addr.reinterpret(size, arena, s -> munmapQuietly(s.address(), size));
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    private static void munmapQuietly(long address, long size) {
        try (Arena a = Arena.ofConfined()) {
            int rc = (int) MUNMAP.invokeExact(newState(a), MemorySegment.ofAddress(address), size);
            assert rc == 0 : "munmap failed";
        } catch (Throwable t) {
            // Nothing sensible to do in a cleanup action: the mapping goes with the process.
        }
    }

    /** {@code close(fd)}; not retried on EINTR (on Linux the descriptor is gone either way). */
    public static void close(int fd) {
        try (Arena a = Arena.ofConfined()) {
            int rc = (int) CLOSE.invokeExact(newState(a), fd);
            assert rc == 0 || rc == -1;
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    // ---------------------------------------------------------------- System V shared memory

    /** {@code shmget(key, size, flags)}: the segment id. */
    public static int shmget(int key, long size, int flags) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment state = newState(a);
            int id = (int) SHMGET.invokeExact(state, key, size, flags);
            if (id < 0) {
                throw Errno.exception("shmget", hexKey(key) + ", " + Long.toUnsignedString(size) + ", " + ipcFlags(flags), errno(state));
            }
            return id;
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    /** {@code shmat(id)}: {@code size} bytes tied to {@code arena}, detached when it closes. */
    public static MemorySegment shmat(int id, long size, boolean readOnly, Arena arena) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment state = newState(a);
            MemorySegment addr = (MemorySegment) SHMAT.invokeExact(state, id, MemorySegment.NULL,
                    readOnly ? Consts.SHM_RDONLY : 0);
            if (addr.address() == -1L) throw Errno.exception("shmat", "id " + id, errno(state));
            return addr.reinterpret(size, arena, s -> shmdtQuietly(s.address()));
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    private static void shmdtQuietly(long address) {
        try (Arena a = Arena.ofConfined()) {
            int rc = (int) SHMDT.invokeExact(newState(a), MemorySegment.ofAddress(address));
            assert rc == 0 : "shmdt failed";
        } catch (Throwable t) {
            // as munmapQuietly
        }
    }

    /** What {@code shmctl(IPC_STAT)} says of a System V segment. */
    public record ShmStat(int key, int uid, int gid, int cuid, int cgid, int mode, long size,
                          long attachTime, long detachTime, long changeTime,
                          int creatorPid, int lastPid, long attachCount) {}

    public static ShmStat shmStat(int id) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment state = newState(a);
            MemorySegment ds = a.allocate(Consts.SIZEOF_SHMID_DS, 8);
            int rc = (int) SHMCTL.invokeExact(state, id, Consts.IPC_STAT, ds);
            if (rc != 0) {
                int errno = errno(state);
                // Linux answers EINVAL for an id no segment has (any more): report it as not found.
                if (errno == Consts.EINVAL || errno == Consts.EIDRM) {
                    throw new dev.shmkit.os.ObjectNotFoundException("shmctl", "id " + id + ", IPC_STAT", errno,
                            Errno.name(errno), "no segment has this id");
                }
                throw Errno.exception("shmctl", "id " + id + ", IPC_STAT", errno);
            }
            int mode = Consts.SIZEOF_SHM_PERM_MODE == 2
                    ? Short.toUnsignedInt(ds.get(ValueLayout.JAVA_SHORT_UNALIGNED, Consts.OFFSETOF_SHM_PERM_MODE))
                    : ds.get(ValueLayout.JAVA_INT_UNALIGNED, Consts.OFFSETOF_SHM_PERM_MODE);
            long nattch = Consts.SIZEOF_SHM_NATTCH == 2
                    ? Short.toUnsignedInt(ds.get(ValueLayout.JAVA_SHORT_UNALIGNED, Consts.OFFSETOF_SHM_NATTCH))
                    : ds.get(ValueLayout.JAVA_LONG_UNALIGNED, Consts.OFFSETOF_SHM_NATTCH);
            // macOS packs these structs to 4 bytes, so 8-byte fields may be unaligned.
            return new ShmStat(
                    ds.get(ValueLayout.JAVA_INT_UNALIGNED, Consts.OFFSETOF_SHM_PERM_KEY),
                    ds.get(ValueLayout.JAVA_INT_UNALIGNED, Consts.OFFSETOF_SHM_PERM_UID),
                    ds.get(ValueLayout.JAVA_INT_UNALIGNED, Consts.OFFSETOF_SHM_PERM_GID),
                    ds.get(ValueLayout.JAVA_INT_UNALIGNED, Consts.OFFSETOF_SHM_PERM_CUID),
                    ds.get(ValueLayout.JAVA_INT_UNALIGNED, Consts.OFFSETOF_SHM_PERM_CGID),
                    mode & 0777,
                    ds.get(ValueLayout.JAVA_LONG_UNALIGNED, Consts.OFFSETOF_SHM_SEGSZ),
                    ds.get(ValueLayout.JAVA_LONG_UNALIGNED, Consts.OFFSETOF_SHM_ATIME),
                    ds.get(ValueLayout.JAVA_LONG_UNALIGNED, Consts.OFFSETOF_SHM_DTIME),
                    ds.get(ValueLayout.JAVA_LONG_UNALIGNED, Consts.OFFSETOF_SHM_CTIME),
                    ds.get(ValueLayout.JAVA_INT_UNALIGNED, Consts.OFFSETOF_SHM_CPID),
                    ds.get(ValueLayout.JAVA_INT_UNALIGNED, Consts.OFFSETOF_SHM_LPID),
                    nattch);
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    /** {@code shmctl(id, IPC_RMID)}: false when the segment is already gone. */
    public static boolean shmRemove(int id) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment state = newState(a);
            int rc = (int) SHMCTL.invokeExact(state, id, Consts.IPC_RMID, MemorySegment.NULL);
            if (rc == 0) return true;
            int errno = errno(state);
            if (errno == Consts.EINVAL || errno == Consts.EIDRM) return false;
            throw Errno.exception("shmctl", "id " + id + ", IPC_RMID", errno);
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    /** {@code ftok(path, projectId)}. */
    public static int ftok(String path, int projectId) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment state = newState(a);
            int key = (int) FTOK.invokeExact(state, a.allocateFrom(path), projectId);
            if (key == -1) throw Errno.exception("ftok", Errno.quote(path) + ", " + projectId, errno(state));
            return key;
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    // ---------------------------------------------------------------- misc

    public static String strerror(int errno) {
        try {
            MemorySegment s = (MemorySegment) STRERROR.invokeExact(errno);
            return s.equals(MemorySegment.NULL) ? "" : s.reinterpret(1024).getString(0);
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    public static int getpid() {
        try {
            return (int) GETPID.invokeExact();
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    public static int getuid() {
        try {
            return (int) GETUID.invokeExact();
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    // ---------------------------------------------------------------- formatting for messages

    public static String octal(int mode) {
        return String.format("%04o", mode);
    }

    public static String hexKey(int key) {
        return String.format("0x%08x", key);
    }

    public static String openFlags(int oflag) {
        StringBuilder sb = new StringBuilder();
        int access = oflag & (Consts.O_RDONLY | Consts.O_WRONLY | Consts.O_RDWR);
        sb.append(access == Consts.O_RDWR ? "O_RDWR" : access == Consts.O_WRONLY ? "O_WRONLY" : "O_RDONLY");
        if ((oflag & Consts.O_CREAT) != 0) sb.append("|O_CREAT");
        if ((oflag & Consts.O_EXCL) != 0) sb.append("|O_EXCL");
        if ((oflag & Consts.O_TRUNC) != 0) sb.append("|O_TRUNC");
        if ((oflag & Consts.O_NONBLOCK) != 0) sb.append("|O_NONBLOCK");
        return sb.toString();
    }

    public static String ipcFlags(int flags) {
        StringBuilder sb = new StringBuilder();
        if ((flags & Consts.IPC_CREAT) != 0) sb.append("IPC_CREAT|");
        if ((flags & Consts.IPC_EXCL) != 0) sb.append("IPC_EXCL|");
        return sb.append(octal(flags & 0777)).toString();
    }
}
