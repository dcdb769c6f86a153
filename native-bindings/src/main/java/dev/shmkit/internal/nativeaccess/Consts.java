package dev.shmkit.internal.nativeaccess;

import dev.shmkit.os.Platform;
import dev.shmkit.os.UnsupportedPlatformException;

import java.util.Map;

/**
 * The C constants and structure offsets shmkit uses, for the running platform. Fields are
 * {@code static final} so that the JIT folds them like literals. Each is named as in its header;
 * {@link PlatformTable} says where the values come from.
 *
 * <p>On a platform shmkit does not know every field is 0 and {@link #SUPPORTED} is false:
 * public entry points call {@link #requireSupported()} first, so nothing ever runs on a guess.
 */
public final class Consts {
    private Consts() {}

    /** The running platform, or null when it is not supported. */
    public static final Platform PLATFORM = Platform.isSupported() ? Platform.current() : null;
    public static final boolean SUPPORTED = PLATFORM != null;
    public static final boolean LINUX = SUPPORTED && PLATFORM.isLinux();
    public static final boolean MACOS = SUPPORTED && PLATFORM.isMacOS();

    private static final Map<String, Long> TABLE = SUPPORTED ? PlatformTable.load(PLATFORM) : Map.of();

    /** Throws the clear "unsupported platform" error on a platform shmkit does not know. */
    public static void requireSupported() {
        if (!SUPPORTED) Platform.current(); // throws UnsupportedPlatformException with the details
    }

    /** A value by header name; a missing one is a packaging bug, reported as such. */
    public static long value(String name) {
        Long v = TABLE.get(name);
        if (v == null) {
            if (!SUPPORTED) return 0;
            throw new UnsupportedPlatformException("shmkit's constants table for " + PLATFORM.id() + " lacks " + name);
        }
        return v;
    }

    /** Like {@link #value} but 0 when the platform has no such constant (e.g. SYS_futex on macOS). */
    public static long valueOrZero(String name) {
        Long v = TABLE.get(name);
        return v == null ? 0 : v;
    }

    private static int i(String name) { return (int) value(name); }

    // <fcntl.h>
    public static final int O_RDONLY = i("O_RDONLY");
    public static final int O_WRONLY = i("O_WRONLY");
    public static final int O_RDWR = i("O_RDWR");
    public static final int O_CREAT = i("O_CREAT");
    public static final int O_EXCL = i("O_EXCL");
    public static final int O_TRUNC = i("O_TRUNC");
    public static final int O_NONBLOCK = i("O_NONBLOCK");
    public static final int O_CLOEXEC = i("O_CLOEXEC");
    // <sys/mman.h>
    public static final int PROT_READ = i("PROT_READ");
    public static final int PROT_WRITE = i("PROT_WRITE");
    public static final int MAP_SHARED = i("MAP_SHARED");
    public static final long MAP_FAILED = value("MAP_FAILED");
    // <sys/ipc.h>, <sys/shm.h>
    public static final int IPC_CREAT = i("IPC_CREAT");
    public static final int IPC_EXCL = i("IPC_EXCL");
    public static final int IPC_NOWAIT = i("IPC_NOWAIT");
    public static final int IPC_PRIVATE = i("IPC_PRIVATE");
    public static final int IPC_RMID = i("IPC_RMID");
    public static final int IPC_STAT = i("IPC_STAT");
    public static final int SHM_RDONLY = i("SHM_RDONLY");
    public static final long SIZEOF_SHMID_DS = value("SIZEOF_SHMID_DS");
    public static final long OFFSETOF_SHM_PERM_KEY = value("OFFSETOF_SHM_PERM_KEY");
    public static final long OFFSETOF_SHM_PERM_UID = value("OFFSETOF_SHM_PERM_UID");
    public static final long OFFSETOF_SHM_PERM_GID = value("OFFSETOF_SHM_PERM_GID");
    public static final long OFFSETOF_SHM_PERM_CUID = value("OFFSETOF_SHM_PERM_CUID");
    public static final long OFFSETOF_SHM_PERM_CGID = value("OFFSETOF_SHM_PERM_CGID");
    public static final long OFFSETOF_SHM_PERM_MODE = value("OFFSETOF_SHM_PERM_MODE");
    public static final long SIZEOF_SHM_PERM_MODE = value("SIZEOF_SHM_PERM_MODE");
    public static final long OFFSETOF_SHM_SEGSZ = value("OFFSETOF_SHM_SEGSZ");
    public static final long OFFSETOF_SHM_ATIME = value("OFFSETOF_SHM_ATIME");
    public static final long OFFSETOF_SHM_DTIME = value("OFFSETOF_SHM_DTIME");
    public static final long OFFSETOF_SHM_CTIME = value("OFFSETOF_SHM_CTIME");
    public static final long OFFSETOF_SHM_CPID = value("OFFSETOF_SHM_CPID");
    public static final long OFFSETOF_SHM_LPID = value("OFFSETOF_SHM_LPID");
    public static final long OFFSETOF_SHM_NATTCH = value("OFFSETOF_SHM_NATTCH");
    public static final long SIZEOF_SHM_NATTCH = value("SIZEOF_SHM_NATTCH");
    // <sys/stat.h>
    public static final long SIZEOF_STAT = value("SIZEOF_STAT");
    public static final long OFFSETOF_ST_MODE = value("OFFSETOF_ST_MODE");
    public static final long SIZEOF_ST_MODE = value("SIZEOF_ST_MODE");
    public static final long OFFSETOF_ST_UID = value("OFFSETOF_ST_UID");
    public static final long OFFSETOF_ST_GID = value("OFFSETOF_ST_GID");
    public static final long OFFSETOF_ST_SIZE = value("OFFSETOF_ST_SIZE");
    // <time.h>
    public static final long SIZEOF_TIMESPEC = value("SIZEOF_TIMESPEC");
    public static final long OFFSETOF_TV_SEC = value("OFFSETOF_TV_SEC");
    public static final long OFFSETOF_TV_NSEC = value("OFFSETOF_TV_NSEC");
    // <semaphore.h>
    public static final long SEM_FAILED = value("SEM_FAILED");
    // <limits.h>
    public static final int NAME_MAX = i("NAME_MAX");
    // <linux/futex.h>, <sys/syscall.h>: Linux only
    public static final long SYS_futex = valueOrZero("SYS_futex");
    public static final int FUTEX_WAIT = (int) valueOrZero("FUTEX_WAIT");
    public static final int FUTEX_WAKE = (int) valueOrZero("FUTEX_WAKE");
    // <linux/membarrier.h>: Linux only
    public static final long SYS_membarrier = valueOrZero("SYS_membarrier");
    public static final int MEMBARRIER_CMD_GLOBAL_EXPEDITED = (int) valueOrZero("MEMBARRIER_CMD_GLOBAL_EXPEDITED");
    public static final int MEMBARRIER_CMD_REGISTER_GLOBAL_EXPEDITED = (int) valueOrZero("MEMBARRIER_CMD_REGISTER_GLOBAL_EXPEDITED");
    // <errno.h>
    public static final int EPERM = i("EPERM");
    public static final int ENOENT = i("ENOENT");
    public static final int EINTR = i("EINTR");
    public static final int EAGAIN = i("EAGAIN");
    public static final int ENOMEM = i("ENOMEM");
    public static final int EACCES = i("EACCES");
    public static final int EEXIST = i("EEXIST");
    public static final int EINVAL = i("EINVAL");
    public static final int ENFILE = i("ENFILE");
    public static final int EMFILE = i("EMFILE");
    public static final int EFBIG = i("EFBIG");
    public static final int ENOSPC = i("ENOSPC");
    public static final int E2BIG = i("E2BIG");
    public static final int ENAMETOOLONG = i("ENAMETOOLONG");
    public static final int ENOSYS = i("ENOSYS");
    public static final int EIDRM = i("EIDRM");
    public static final int ETIMEDOUT = i("ETIMEDOUT");
}
