/*
 * probe.c - extract platform constants from the REAL system headers.
 *
 * Every value below comes from the C headers of the toolchain that compiles
 * this file; nothing is typed in by hand.  Each entry becomes a global
 *
 *     const long long probe__NAME = (long long)(expression);
 *
 * so the values can be read from the assembly produced by `$CC -S` without
 * running the program (this is how cross targets such as aarch64 are probed;
 * see probe.sh).  Built with -DPROBE_MAIN the same file is a program that
 * prints NAME=value at run time, which is used to cross-check the assembly
 * parser on the native target.
 *
 * Must be compiled with -D_GNU_SOURCE (probe.sh does that; we refuse
 * otherwise so that the values always correspond to the documented mode).
 */
#ifndef _GNU_SOURCE
#error "compile with -D_GNU_SOURCE"
#endif

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <mqueue.h>
#include <semaphore.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/msg.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>
#include <linux/futex.h>
#include <linux/membarrier.h>
#include <linux/version.h>

#define SIZEOF_MEMBER(type, member) sizeof(((type *)0)->member)

/*
 * C(NAME)        : NAME is itself a macro/constant from the headers.
 * V(NAME, expr)  : NAME is computed from an expression (sizeof/offsetof/...).
 */
#define PROBE_LIST(C, V)                                                      \
    /* open(2) flags */                                                       \
    C(O_RDONLY) C(O_WRONLY) C(O_RDWR) C(O_CREAT) C(O_EXCL) C(O_TRUNC)         \
    C(O_NONBLOCK) C(O_CLOEXEC)                                                \
    /* mmap(2) */                                                             \
    C(PROT_READ) C(PROT_WRITE) C(MAP_SHARED)                                  \
    V(MAP_FAILED, (intptr_t)MAP_FAILED)                                       \
    /* SysV IPC */                                                            \
    C(IPC_CREAT) C(IPC_EXCL) C(IPC_NOWAIT) C(IPC_PRIVATE) C(IPC_RMID)         \
    C(IPC_SET) C(IPC_STAT) C(SHM_RDONLY)                                      \
    V(SIZEOF_SHMID_DS, sizeof(struct shmid_ds))                               \
    V(OFFSETOF_SHM_PERM_KEY, offsetof(struct shmid_ds, shm_perm.__key))       \
    V(OFFSETOF_SHM_PERM_UID, offsetof(struct shmid_ds, shm_perm.uid))         \
    V(OFFSETOF_SHM_PERM_GID, offsetof(struct shmid_ds, shm_perm.gid))         \
    V(OFFSETOF_SHM_PERM_CUID, offsetof(struct shmid_ds, shm_perm.cuid))       \
    V(OFFSETOF_SHM_PERM_CGID, offsetof(struct shmid_ds, shm_perm.cgid))       \
    V(OFFSETOF_SHM_PERM_MODE, offsetof(struct shmid_ds, shm_perm.mode))       \
    V(OFFSETOF_SHM_SEGSZ, offsetof(struct shmid_ds, shm_segsz))               \
    V(OFFSETOF_SHM_ATIME, offsetof(struct shmid_ds, shm_atime))               \
    V(OFFSETOF_SHM_DTIME, offsetof(struct shmid_ds, shm_dtime))               \
    V(OFFSETOF_SHM_CTIME, offsetof(struct shmid_ds, shm_ctime))               \
    V(OFFSETOF_SHM_CPID, offsetof(struct shmid_ds, shm_cpid))                 \
    V(OFFSETOF_SHM_LPID, offsetof(struct shmid_ds, shm_lpid))                 \
    V(OFFSETOF_SHM_NATTCH, offsetof(struct shmid_ds, shm_nattch))             \
    V(SIZEOF_SHM_PERM_MODE, SIZEOF_MEMBER(struct shmid_ds, shm_perm.mode))    \
    V(SIZEOF_SHM_NATTCH, SIZEOF_MEMBER(struct shmid_ds, shm_nattch))          \
    V(SIZEOF_SHM_SEGSZ, SIZEOF_MEMBER(struct shmid_ds, shm_segsz))            \
    V(SIZEOF_SHM_PERM_KEY, SIZEOF_MEMBER(struct shmid_ds, shm_perm.__key))    \
    V(SIZEOF_SHM_CPID, SIZEOF_MEMBER(struct shmid_ds, shm_cpid))              \
    /* struct stat */                                                         \
    V(SIZEOF_STAT, sizeof(struct stat))                                       \
    V(OFFSETOF_ST_MODE, offsetof(struct stat, st_mode))                       \
    V(OFFSETOF_ST_UID, offsetof(struct stat, st_uid))                         \
    V(OFFSETOF_ST_GID, offsetof(struct stat, st_gid))                         \
    V(OFFSETOF_ST_SIZE, offsetof(struct stat, st_size))                       \
    V(SIZEOF_ST_MODE, SIZEOF_MEMBER(struct stat, st_mode))                    \
    /* struct timespec */                                                     \
    V(SIZEOF_TIMESPEC, sizeof(struct timespec))                               \
    V(OFFSETOF_TV_SEC, offsetof(struct timespec, tv_sec))                     \
    V(OFFSETOF_TV_NSEC, offsetof(struct timespec, tv_nsec))                   \
    /* futex */                                                               \
    C(SYS_futex) C(FUTEX_WAIT) C(FUTEX_WAKE) C(FUTEX_WAIT_BITSET)             \
    C(FUTEX_WAKE_BITSET) C(FUTEX_PRIVATE_FLAG) C(FUTEX_CLOCK_REALTIME)        \
    C(FUTEX_BITSET_MATCH_ANY)                                                 \
    /* membarrier (the heavy side of the rings' asymmetric fence) */          \
    C(SYS_membarrier) C(MEMBARRIER_CMD_GLOBAL_EXPEDITED)                      \
    C(MEMBARRIER_CMD_REGISTER_GLOBAL_EXPEDITED)                               \
    /* misc */                                                                \
    C(SEEK_SET) C(SEEK_END) C(S_IFMT) C(S_IFREG) C(NAME_MAX) C(PATH_MAX)      \
    /* errno */                                                               \
    C(EPERM) C(ENOENT) C(ESRCH) C(EINTR) C(EIO) C(ENXIO) C(E2BIG) C(EBADF)    \
    C(ECHILD) C(EAGAIN) C(ENOMEM) C(EACCES) C(EFAULT) C(EBUSY) C(EEXIST)      \
    C(EXDEV) C(ENODEV) C(ENOTDIR) C(EISDIR) C(EINVAL) C(ENFILE) C(EMFILE)     \
    C(ENOTTY) C(EFBIG) C(ENOSPC) C(ESPIPE) C(EROFS) C(EPIPE) C(ERANGE)        \
    C(EDEADLK) C(ENAMETOOLONG) C(ENOLCK) C(ENOSYS) C(ENOTEMPTY) C(ELOOP)      \
    C(ENOMSG) C(EIDRM) C(ENOTSUP) C(EOPNOTSUPP) C(EOVERFLOW) C(EMSGSIZE)      \
    C(ETIMEDOUT) C(EOWNERDEAD) C(ENOTRECOVERABLE) C(ECANCELED)                \
    /* signals */                                                             \
    C(SIGHUP) C(SIGINT) C(SIGQUIT) C(SIGILL) C(SIGTRAP) C(SIGABRT) C(SIGBUS)  \
    C(SIGFPE) C(SIGKILL) C(SIGUSR1) C(SIGSEGV) C(SIGUSR2) C(SIGPIPE)          \
    C(SIGALRM) C(SIGTERM) C(SIGCHLD) C(SIGCONT) C(SIGSTOP) C(SIGTSTP)         \
    C(SIGTTIN) C(SIGTTOU) C(SIGURG) C(SIGXCPU) C(SIGXFSZ) C(SIGVTALRM)        \
    C(SIGPROF) C(SIGWINCH) C(SIGIO) C(SIGSYS) C(NSIG)                         \
    /* POSIX semaphores / message queues */                                   \
    V(SIZEOF_SEM_T, sizeof(sem_t))                                            \
    V(SEM_FAILED, (intptr_t)SEM_FAILED)                                       \
    V(SIZEOF_MQ_ATTR, sizeof(struct mq_attr))                                 \
    V(OFFSETOF_MQ_FLAGS, offsetof(struct mq_attr, mq_flags))                  \
    V(OFFSETOF_MQ_MAXMSG, offsetof(struct mq_attr, mq_maxmsg))                \
    V(OFFSETOF_MQ_MSGSIZE, offsetof(struct mq_attr, mq_msgsize))              \
    V(OFFSETOF_MQ_CURMSGS, offsetof(struct mq_attr, mq_curmsgs))              \
    /* SysV message queues */                                                 \
    C(MSG_NOERROR)                                                            \
    V(SIZEOF_MSQID_DS, sizeof(struct msqid_ds))                               \
    V(OFFSETOF_MSG_QNUM, offsetof(struct msqid_ds, msg_qnum))                 \
    V(OFFSETOF_MSG_QBYTES, offsetof(struct msqid_ds, msg_qbytes))             \
    V(OFFSETOF_MSG_LSPID, offsetof(struct msqid_ds, msg_lspid))               \
    V(OFFSETOF_MSG_LRPID, offsetof(struct msqid_ds, msg_lrpid))               \
    V(OFFSETOF_MSG_PERM_MODE, offsetof(struct msqid_ds, msg_perm.mode))       \
    V(OFFSETOF_MSG_CBYTES, offsetof(struct msqid_ds, __msg_cbytes))           \
    V(SIZEOF_MSG_QNUM, SIZEOF_MEMBER(struct msqid_ds, msg_qnum))

/* One global per value; -fno-toplevel-reorder keeps definition order.
 * (C() entries must not forward to V(): that would macro-expand the name.) */
#define DEF_C(name)       const long long probe__##name = (long long)(name);
#define DEF_V(name, expr) const long long probe__##name = (long long)(expr);
PROBE_LIST(DEF_C, DEF_V)

/* Number of entries, so probe.sh can check it parsed every one. */
#define CNT_C(name)       + 1
#define CNT_V(name, expr) + 1
const long long probemeta__COUNT = 0 PROBE_LIST(CNT_C, CNT_V);

/* Provenance of the headers actually used by this compilation. */
const long long probemeta__GLIBC_MAJOR = __GLIBC__;
const long long probemeta__GLIBC_MINOR = __GLIBC_MINOR__;
#ifdef LINUX_VERSION_MAJOR
const long long probemeta__LINUX_MAJOR = LINUX_VERSION_MAJOR;
const long long probemeta__LINUX_PATCHLEVEL = LINUX_VERSION_PATCHLEVEL;
const long long probemeta__LINUX_SUBLEVEL = LINUX_VERSION_SUBLEVEL;
#else
const long long probemeta__LINUX_MAJOR = (LINUX_VERSION_CODE >> 16) & 0xff;
const long long probemeta__LINUX_PATCHLEVEL = (LINUX_VERSION_CODE >> 8) & 0xff;
const long long probemeta__LINUX_SUBLEVEL = LINUX_VERSION_CODE & 0xff;
#endif
const long long probemeta__SIZEOF_POINTER = sizeof(void *);
const long long probemeta__SIZEOF_LONG = sizeof(long);

#ifdef PROBE_MAIN
/* Runtime cross-check: evaluate the same expressions directly. */
#define PRN_C(name)       printf("%s=%lld\n", #name, (long long)(name));
#define PRN_V(name, expr) printf("%s=%lld\n", #name, (long long)(expr));
int main(void)
{
    PROBE_LIST(PRN_C, PRN_V)
    return 0;
}
#endif
