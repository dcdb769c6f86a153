package dev.shmkit.internal.nativeaccess;

import dev.shmkit.internal.nativeaccess.gen.LibcH;
import dev.shmkit.internal.nativeaccess.gen.ipc_perm;
import dev.shmkit.internal.nativeaccess.gen.msqid_ds;
import dev.shmkit.internal.nativeaccess.gen.shmid_ds;
import dev.shmkit.internal.nativeaccess.gen.stat;
import dev.shmkit.internal.nativeaccess.gen.timespec;
import dev.shmkit.os.Platform;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;

/**
 * The values of C constants and structure offsets for the running platform, by their header
 * name. Linux x86_64 reads them from the jextract output; the other platforms from the
 * {@code <platform>.properties} tables in {@code native-bindings/platform}, each produced from
 * that platform's own headers. Unknown platforms get an empty table, and
 * {@link Consts#requireSupported()} refuses them before any native call.
 */
public final class PlatformTable {
    private PlatformTable() {}

    /** The table for {@code platform}; a name missing from it is a build error, reported clearly. */
    public static Map<String, Long> load(Platform platform) {
        if (platform == Platform.LINUX_X86_64) return generatedLinuxX86_64();
        String resource = platform.isMacOS() ? "macos.properties" : platform.id() + ".properties";
        Map<String, Long> table = loadProperties(resource);
        // A table may override a value for one processor as NAME.<arch>=value.
        String suffix = "." + platform.arch();
        Map<String, Long> merged = new HashMap<>();
        table.forEach((k, v) -> { if (k.indexOf('.') < 0) merged.put(k, v); });
        table.forEach((k, v) -> { if (k.endsWith(suffix)) merged.put(k.substring(0, k.length() - suffix.length()), v); });
        return merged;
    }

    /** A properties table from this package, e.g. {@code linux-aarch64.properties}. */
    public static Map<String, Long> loadProperties(String resource) {
        Properties p = new Properties();
        try (InputStream in = PlatformTable.class.getResourceAsStream(resource)) {
            if (in == null) throw new IllegalStateException("shmkit is built without its constants table " + resource);
            p.load(in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Map<String, Long> m = new HashMap<>();
        for (String name : p.stringPropertyNames()) m.put(name, Long.parseLong(p.getProperty(name).trim()));
        return m;
    }

    private static Map<String, Long> generatedLinuxX86_64() {
        Map<String, Long> m = new HashMap<>();
        // <fcntl.h>
        m.put("O_RDONLY", (long) LibcH.O_RDONLY());
        m.put("O_WRONLY", (long) LibcH.O_WRONLY());
        m.put("O_RDWR", (long) LibcH.O_RDWR());
        m.put("O_CREAT", (long) LibcH.O_CREAT());
        m.put("O_EXCL", (long) LibcH.O_EXCL());
        m.put("O_TRUNC", (long) LibcH.O_TRUNC());
        m.put("O_NONBLOCK", (long) LibcH.O_NONBLOCK());
        m.put("O_CLOEXEC", (long) LibcH.O_CLOEXEC());
        // <sys/mman.h>
        m.put("PROT_READ", (long) LibcH.PROT_READ());
        m.put("PROT_WRITE", (long) LibcH.PROT_WRITE());
        m.put("MAP_SHARED", (long) LibcH.MAP_SHARED());
        m.put("MAP_FAILED", LibcH.MAP_FAILED().address());
        // <sys/ipc.h>, <sys/shm.h>, <sys/msg.h>
        m.put("IPC_CREAT", (long) LibcH.IPC_CREAT());
        m.put("IPC_EXCL", (long) LibcH.IPC_EXCL());
        m.put("IPC_NOWAIT", (long) LibcH.IPC_NOWAIT());
        m.put("IPC_PRIVATE", (long) LibcH.IPC_PRIVATE());
        m.put("IPC_RMID", (long) LibcH.IPC_RMID());
        m.put("IPC_SET", (long) LibcH.IPC_SET());
        m.put("IPC_STAT", (long) LibcH.IPC_STAT());
        m.put("SHM_RDONLY", (long) LibcH.SHM_RDONLY());
        m.put("MSG_NOERROR", (long) LibcH.MSG_NOERROR());
        long perm = shmid_ds.shm_perm$offset();
        m.put("SIZEOF_SHMID_DS", shmid_ds.layout().byteSize());
        m.put("OFFSETOF_SHM_PERM_KEY", perm + ipc_perm.__key$offset());
        m.put("OFFSETOF_SHM_PERM_UID", perm + ipc_perm.uid$offset());
        m.put("OFFSETOF_SHM_PERM_GID", perm + ipc_perm.gid$offset());
        m.put("OFFSETOF_SHM_PERM_CUID", perm + ipc_perm.cuid$offset());
        m.put("OFFSETOF_SHM_PERM_CGID", perm + ipc_perm.cgid$offset());
        m.put("OFFSETOF_SHM_PERM_MODE", perm + ipc_perm.mode$offset());
        m.put("SIZEOF_SHM_PERM_MODE", ipc_perm.mode$layout().byteSize());
        m.put("SIZEOF_SHM_PERM_KEY", ipc_perm.__key$layout().byteSize());
        m.put("OFFSETOF_SHM_SEGSZ", shmid_ds.shm_segsz$offset());
        m.put("SIZEOF_SHM_SEGSZ", shmid_ds.shm_segsz$layout().byteSize());
        m.put("OFFSETOF_SHM_ATIME", shmid_ds.shm_atime$offset());
        m.put("OFFSETOF_SHM_DTIME", shmid_ds.shm_dtime$offset());
        m.put("OFFSETOF_SHM_CTIME", shmid_ds.shm_ctime$offset());
        m.put("OFFSETOF_SHM_CPID", shmid_ds.shm_cpid$offset());
        m.put("SIZEOF_SHM_CPID", shmid_ds.shm_cpid$layout().byteSize());
        m.put("OFFSETOF_SHM_LPID", shmid_ds.shm_lpid$offset());
        m.put("OFFSETOF_SHM_NATTCH", shmid_ds.shm_nattch$offset());
        m.put("SIZEOF_SHM_NATTCH", shmid_ds.shm_nattch$layout().byteSize());
        m.put("SIZEOF_MSQID_DS", msqid_ds.layout().byteSize());
        m.put("OFFSETOF_MSG_QNUM", msqid_ds.msg_qnum$offset());
        m.put("SIZEOF_MSG_QNUM", msqid_ds.msg_qnum$layout().byteSize());
        m.put("OFFSETOF_MSG_QBYTES", msqid_ds.msg_qbytes$offset());
        m.put("OFFSETOF_MSG_LSPID", msqid_ds.msg_lspid$offset());
        m.put("OFFSETOF_MSG_LRPID", msqid_ds.msg_lrpid$offset());
        m.put("OFFSETOF_MSG_PERM_MODE", msqid_ds.msg_perm$offset() + ipc_perm.mode$offset());
        m.put("OFFSETOF_MSG_CBYTES", msqid_ds.__msg_cbytes$offset());
        // <sys/stat.h>
        m.put("SIZEOF_STAT", stat.layout().byteSize());
        m.put("OFFSETOF_ST_MODE", stat.st_mode$offset());
        m.put("SIZEOF_ST_MODE", stat.st_mode$layout().byteSize());
        m.put("OFFSETOF_ST_UID", stat.st_uid$offset());
        m.put("OFFSETOF_ST_GID", stat.st_gid$offset());
        m.put("OFFSETOF_ST_SIZE", stat.st_size$offset());
        m.put("S_IFMT", (long) LibcH.S_IFMT());
        m.put("S_IFREG", (long) LibcH.S_IFREG());
        // <time.h>
        m.put("SIZEOF_TIMESPEC", timespec.layout().byteSize());
        m.put("OFFSETOF_TV_SEC", timespec.tv_sec$offset());
        m.put("OFFSETOF_TV_NSEC", timespec.tv_nsec$offset());
        // <sys/syscall.h>, <linux/futex.h>
        m.put("SYS_futex", (long) LibcH.SYS_futex());
        m.put("FUTEX_WAIT", (long) LibcH.FUTEX_WAIT());
        m.put("FUTEX_WAKE", (long) LibcH.FUTEX_WAKE());
        m.put("FUTEX_WAIT_BITSET", (long) LibcH.FUTEX_WAIT_BITSET());
        m.put("FUTEX_WAKE_BITSET", (long) LibcH.FUTEX_WAKE_BITSET());
        m.put("FUTEX_PRIVATE_FLAG", (long) LibcH.FUTEX_PRIVATE_FLAG());
        m.put("FUTEX_CLOCK_REALTIME", (long) LibcH.FUTEX_CLOCK_REALTIME());
        // <linux/membarrier.h>: not in this revision's jextract output (native-bindings/jextract/includes.txt
        // predates it); taken from the gcc probe of the same headers until `make bindings` is rerun.
        Map<String, Long> probed = loadProperties("linux-x86_64.properties");
        for (String k : new String[] {"SYS_membarrier", "MEMBARRIER_CMD_GLOBAL_EXPEDITED", "MEMBARRIER_CMD_REGISTER_GLOBAL_EXPEDITED"}) {
            m.put(k, probed.get(k));
        }
        m.put("SEEK_SET", (long) LibcH.SEEK_SET());
        m.put("SEEK_END", (long) LibcH.SEEK_END());
        m.put("NAME_MAX", (long) LibcH.NAME_MAX());
        m.put("PATH_MAX", (long) LibcH.PATH_MAX());
        m.put("SEM_FAILED", LibcH.SEM_FAILED().address());
        m.put("SIZEOF_MQ_ATTR", dev.shmkit.internal.nativeaccess.gen.mq_attr.layout().byteSize());
        m.put("OFFSETOF_MQ_FLAGS", dev.shmkit.internal.nativeaccess.gen.mq_attr.mq_flags$offset());
        m.put("OFFSETOF_MQ_MAXMSG", dev.shmkit.internal.nativeaccess.gen.mq_attr.mq_maxmsg$offset());
        m.put("OFFSETOF_MQ_MSGSIZE", dev.shmkit.internal.nativeaccess.gen.mq_attr.mq_msgsize$offset());
        m.put("OFFSETOF_MQ_CURMSGS", dev.shmkit.internal.nativeaccess.gen.mq_attr.mq_curmsgs$offset());
        // <errno.h>
        m.put("EPERM", (long) LibcH.EPERM());
        m.put("ENOENT", (long) LibcH.ENOENT());
        m.put("ESRCH", (long) LibcH.ESRCH());
        m.put("EINTR", (long) LibcH.EINTR());
        m.put("EIO", (long) LibcH.EIO());
        m.put("ENXIO", (long) LibcH.ENXIO());
        m.put("E2BIG", (long) LibcH.E2BIG());
        m.put("EBADF", (long) LibcH.EBADF());
        m.put("ECHILD", (long) LibcH.ECHILD());
        m.put("EAGAIN", (long) LibcH.EAGAIN());
        m.put("ENOMEM", (long) LibcH.ENOMEM());
        m.put("EACCES", (long) LibcH.EACCES());
        m.put("EFAULT", (long) LibcH.EFAULT());
        m.put("EBUSY", (long) LibcH.EBUSY());
        m.put("EEXIST", (long) LibcH.EEXIST());
        m.put("EXDEV", (long) LibcH.EXDEV());
        m.put("ENODEV", (long) LibcH.ENODEV());
        m.put("ENOTDIR", (long) LibcH.ENOTDIR());
        m.put("EISDIR", (long) LibcH.EISDIR());
        m.put("EINVAL", (long) LibcH.EINVAL());
        m.put("ENFILE", (long) LibcH.ENFILE());
        m.put("EMFILE", (long) LibcH.EMFILE());
        m.put("ENOTTY", (long) LibcH.ENOTTY());
        m.put("EFBIG", (long) LibcH.EFBIG());
        m.put("ENOSPC", (long) LibcH.ENOSPC());
        m.put("ESPIPE", (long) LibcH.ESPIPE());
        m.put("EROFS", (long) LibcH.EROFS());
        m.put("EPIPE", (long) LibcH.EPIPE());
        m.put("ERANGE", (long) LibcH.ERANGE());
        m.put("EDEADLK", (long) LibcH.EDEADLK());
        m.put("ENAMETOOLONG", (long) LibcH.ENAMETOOLONG());
        m.put("ENOLCK", (long) LibcH.ENOLCK());
        m.put("ENOSYS", (long) LibcH.ENOSYS());
        m.put("ENOTEMPTY", (long) LibcH.ENOTEMPTY());
        m.put("ELOOP", (long) LibcH.ELOOP());
        m.put("ENOMSG", (long) LibcH.ENOMSG());
        m.put("EIDRM", (long) LibcH.EIDRM());
        m.put("ENOTSUP", (long) LibcH.ENOTSUP());
        m.put("EOPNOTSUPP", (long) LibcH.EOPNOTSUPP());
        m.put("EOVERFLOW", (long) LibcH.EOVERFLOW());
        m.put("EMSGSIZE", (long) LibcH.EMSGSIZE());
        m.put("ETIMEDOUT", (long) LibcH.ETIMEDOUT());
        m.put("EOWNERDEAD", (long) LibcH.EOWNERDEAD());
        m.put("ENOTRECOVERABLE", (long) LibcH.ENOTRECOVERABLE());
        m.put("ECANCELED", (long) LibcH.ECANCELED());
        // <signal.h>
        m.put("SIGHUP", (long) LibcH.SIGHUP());
        m.put("SIGINT", (long) LibcH.SIGINT());
        m.put("SIGQUIT", (long) LibcH.SIGQUIT());
        m.put("SIGILL", (long) LibcH.SIGILL());
        m.put("SIGTRAP", (long) LibcH.SIGTRAP());
        m.put("SIGABRT", (long) LibcH.SIGABRT());
        m.put("SIGBUS", (long) LibcH.SIGBUS());
        m.put("SIGFPE", (long) LibcH.SIGFPE());
        m.put("SIGKILL", (long) LibcH.SIGKILL());
        m.put("SIGUSR1", (long) LibcH.SIGUSR1());
        m.put("SIGSEGV", (long) LibcH.SIGSEGV());
        m.put("SIGUSR2", (long) LibcH.SIGUSR2());
        m.put("SIGPIPE", (long) LibcH.SIGPIPE());
        m.put("SIGALRM", (long) LibcH.SIGALRM());
        m.put("SIGTERM", (long) LibcH.SIGTERM());
        m.put("SIGCHLD", (long) LibcH.SIGCHLD());
        m.put("SIGCONT", (long) LibcH.SIGCONT());
        m.put("SIGSTOP", (long) LibcH.SIGSTOP());
        m.put("SIGTSTP", (long) LibcH.SIGTSTP());
        m.put("SIGTTIN", (long) LibcH.SIGTTIN());
        m.put("SIGTTOU", (long) LibcH.SIGTTOU());
        m.put("SIGURG", (long) LibcH.SIGURG());
        m.put("SIGXCPU", (long) LibcH.SIGXCPU());
        m.put("SIGXFSZ", (long) LibcH.SIGXFSZ());
        m.put("SIGVTALRM", (long) LibcH.SIGVTALRM());
        m.put("SIGPROF", (long) LibcH.SIGPROF());
        m.put("SIGWINCH", (long) LibcH.SIGWINCH());
        m.put("SIGIO", (long) LibcH.SIGIO());
        m.put("SIGSYS", (long) LibcH.SIGSYS());
        return m;
    }
}
