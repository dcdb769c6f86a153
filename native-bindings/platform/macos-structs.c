/*
 * macos-structs.c -- recompute macOS (LP64: arm64 and x86_64) struct layouts
 * on a non-Mac LP64 host, from verbatim re-creations of Apple's xnu headers.
 *
 * Source: github.com/apple-oss-distributions/xnu, tag xnu-11417.121.6
 *         (commit a1e26a70f38d1d7daa7b49b258e2f8538ad81650)
 *
 * Every typedef below is copied from the xnu header named next to it.  The
 * Darwin primitive types (bsd/arm/_types.h:44-48 and bsd/i386/_types.h:68-72,
 * identical on both) are:
 *     __uint16_t = unsigned short, __int32_t = int, __uint32_t = unsigned int,
 *     __int64_t  = long long,      __uint64_t = unsigned long long
 * and __darwin_time_t = long (bsd/arm/_types.h:129, bsd/i386/_types.h:153),
 * __darwin_size_t = unsigned long (bsd/arm/_types.h:99, bsd/i386/_types.h:123).
 * On LP64 Darwin (arm64 and x86_64) and on Linux x86_64 these C types have the
 * same sizes and alignments (short 2/2, int 4/4, long 8/8, long long 8/8,
 * pointer 8/8), and "#pragma pack(4)" has the same meaning in clang and gcc,
 * so offsetof/sizeof computed here equal the Darwin values.
 *
 * Build and run:  gcc -std=c11 -Wall -Wextra -o /tmp/macos-structs macos-structs.c && /tmp/macos-structs
 * Output is Java .properties lines.
 */
#include <stddef.h>
#include <stdio.h>

/* ---- Darwin primitive types (bsd/arm/_types.h:44-48, bsd/i386/_types.h:68-72) ---- */
typedef unsigned short     d___uint16_t;
typedef int                d___int32_t;
typedef unsigned int       d___uint32_t;
typedef long long          d___int64_t;
typedef unsigned long long d___uint64_t;
typedef long               d___darwin_time_t;   /* bsd/arm/_types.h:129, bsd/i386/_types.h:153 */
typedef unsigned long      d___darwin_size_t;   /* bsd/arm/_types.h:99,  bsd/i386/_types.h:123 */

/* ---- bsd/sys/_types.h:78-98 (with __DARWIN_64_BIT_INO_T == 1) ---- */
typedef d___int64_t  d___darwin_blkcnt_t;   /* _types.h:78 */
typedef d___int32_t  d___darwin_blksize_t;  /* _types.h:79 */
typedef d___int32_t  d___darwin_dev_t;      /* _types.h:80 */
typedef d___uint32_t d___darwin_gid_t;      /* _types.h:83 */
typedef d___uint64_t d___darwin_ino64_t;    /* _types.h:85 */
typedef d___uint32_t d___darwin_ino32_t;    /* _types.h:89 (legacy, !__DARWIN_64_BIT_INO_T) */
typedef d___uint16_t d___darwin_mode_t;     /* _types.h:93 */
typedef d___int64_t  d___darwin_off_t;      /* _types.h:94 */
typedef d___int32_t  d___darwin_pid_t;      /* _types.h:95 */
typedef d___uint32_t d___darwin_uid_t;      /* _types.h:98 */

/* ---- bsd/sys/_types/_*.h ---- */
typedef d___darwin_blkcnt_t  d_blkcnt_t;    /* _blkcnt_t.h:31 */
typedef d___darwin_blksize_t d_blksize_t;   /* _blksize_t.h:31 */
typedef d___darwin_dev_t     d_dev_t;       /* _dev_t.h:31 */
typedef d___darwin_mode_t    d_mode_t;      /* _mode_t.h:31 */
typedef d___uint16_t         d_nlink_t;     /* _nlink_t.h:31 */
typedef d___darwin_uid_t     d_uid_t;       /* _uid_t.h:31 */
typedef d___darwin_gid_t     d_gid_t;       /* _gid_t.h:31 */
typedef d___darwin_off_t     d_off_t;       /* _off_t.h:31 */
typedef d___darwin_time_t    d_time_t;      /* _time_t.h:31 */
typedef d___darwin_pid_t     d_pid_t;       /* _pid_t.h:31 */
typedef d___int32_t          d_key_t;       /* _key_t.h:31 */
typedef d___darwin_size_t    d_size_t;      /* _size_t.h:60 */

/* ---- bsd/sys/shm.h:93 ---- */
typedef unsigned short d_shmatt_t;
/* ---- bsd/sys/msg.h:83,86 ---- */
typedef unsigned long d_msgqnum_t;
typedef unsigned long d_msglen_t;
/* ---- bsd/sys/semaphore.h:43 ---- */
typedef int d_sem_t;

/* ---- bsd/sys/_types/_timespec.h:33-37 ---- */
struct d_timespec {
	d___darwin_time_t tv_sec;
	long              tv_nsec;
};

/* ---- bsd/sys/stat.h:166-182 (__DARWIN_STRUCT_STAT64), with
 *      __DARWIN_STRUCT_STAT64_TIMES from stat.h:136-140 (Darwin/default namespace).
 *      struct stat == this layout when __DARWIN_64_BIT_INO_T (stat.h:188-190).
 *      NOT packed. ---- */
struct d_stat64 {
	d_dev_t            st_dev;
	d_mode_t           st_mode;
	d_nlink_t          st_nlink;
	d___darwin_ino64_t st_ino;
	d_uid_t            st_uid;
	d_gid_t            st_gid;
	d_dev_t            st_rdev;
	struct d_timespec  st_atimespec;
	struct d_timespec  st_mtimespec;
	struct d_timespec  st_ctimespec;
	struct d_timespec  st_birthtimespec;
	d_off_t            st_size;
	d_blkcnt_t         st_blocks;
	d_blksize_t        st_blksize;
	d___uint32_t       st_flags;
	d___uint32_t       st_gen;
	d___int32_t        st_lspare;
	d___int64_t        st_qspare[2];
};

/* ---- bsd/sys/stat.h:194-221: legacy 32-bit-inode struct stat (what the
 *      un-suffixed x86_64 symbol `fstat` fills). Only for documentation. ---- */
struct d_stat_legacy32 {
	d_dev_t            st_dev;
	d___darwin_ino32_t st_ino;
	d_mode_t           st_mode;
	d_nlink_t          st_nlink;
	d_uid_t            st_uid;
	d_gid_t            st_gid;
	d_dev_t            st_rdev;
	struct d_timespec  st_atimespec;
	struct d_timespec  st_mtimespec;
	struct d_timespec  st_ctimespec;
	d_off_t            st_size;
	d_blkcnt_t         st_blocks;
	d_blksize_t        st_blksize;
	d___uint32_t       st_flags;
	d___uint32_t       st_gen;
	d___int32_t        st_lspare;
	d___int64_t        st_qspare[2];
};

/* ---- bsd/sys/ipc.h:94 #pragma pack(4) ... :138 #pragma pack() ---- */
#pragma pack(4)
/* ipc.h:107-115 (__DARWIN_UNIX03 is 1 on LP64: cdefs.h:738-744, 782-786) */
struct d_ipc_perm {
	d_uid_t        uid;
	d_gid_t        gid;
	d_uid_t        cuid;
	d_gid_t        cgid;
	d_mode_t       mode;
	unsigned short _seq;
	d_key_t        _key;
};
#pragma pack()

/* ---- bsd/sys/shm.h:123 #pragma pack(4) ... :176 #pragma pack();
 *      struct shmid_ds is #define'd to __shmid_ds_new (shm.h:144-145) ---- */
#pragma pack(4)
struct d_shmid_ds {
	struct d_ipc_perm shm_perm;
	d_size_t          shm_segsz;
	d_pid_t           shm_lpid;
	d_pid_t           shm_cpid;
	d_shmatt_t        shm_nattch;
	d_time_t          shm_atime;
	d_time_t          shm_dtime;
	d_time_t          shm_ctime;
	void             *shm_internal;
};
#pragma pack()

/* ---- bsd/sys/msg.h:102 #pragma pack(4) ... :138 #pragma pack();
 *      struct msqid_ds is #define'd to __msqid_ds_new (msg.h:118-119) ---- */
#pragma pack(4)
struct d_msqid_ds {
	struct d_ipc_perm msg_perm;
	d___int32_t       msg_first;
	d___int32_t       msg_last;
	d_msglen_t        msg_cbytes;
	d_msgqnum_t       msg_qnum;
	d_msglen_t        msg_qbytes;
	d_pid_t           msg_lspid;
	d_pid_t           msg_lrpid;
	d_time_t          msg_stime;
	d___int32_t       msg_pad1;
	d_time_t          msg_rtime;
	d___int32_t       msg_pad2;
	d_time_t          msg_ctime;
	d___int32_t       msg_pad3;
	d___int32_t       msg_pad4[4];
};
#pragma pack()

/* ---- Cross-checks against the KERNEL's copyout structs ----
 * bsd/sys/shm_internal.h:79-91 (pack(4)) struct user_shmid_ds, with
 * user_size_t/user_time_t/user_addr_t = 64-bit (bsd/arm/types.h:77-82,
 * bsd/i386/types.h:100-105).  shm_nattch is `short` there. */
#pragma pack(4)
struct k_user_shmid_ds {
	struct d_ipc_perm  shm_perm;
	unsigned long long shm_segsz;
	d_pid_t            shm_lpid;
	d_pid_t            shm_cpid;
	short              shm_nattch;
	long long          shm_atime;
	long long          shm_dtime;
	long long          shm_ctime;
	unsigned long long shm_internal;
};
#pragma pack()
/* bsd/sys/msg.h:202-218 struct user64_msqid_ds, __attribute__((__packed__)) */
struct k_user64_msqid_ds {
	struct d_ipc_perm  msg_perm;
	d___int32_t        msg_first;
	d___int32_t        msg_last;
	unsigned long long msg_cbytes;
	unsigned long long msg_qnum;
	unsigned long long msg_qbytes;
	d_pid_t            msg_lspid;
	d_pid_t            msg_lrpid;
	long long          msg_stime;
	d___int32_t        msg_pad1;
	long long          msg_rtime;
	d___int32_t        msg_pad2;
	long long          msg_ctime;
	d___int32_t        msg_pad3;
	d___int32_t        msg_pad4[4];
} __attribute__((__packed__));

#define CHECK(a, b) _Static_assert((a) == (b), #a " != " #b)
CHECK(sizeof(struct d_shmid_ds), sizeof(struct k_user_shmid_ds));
CHECK(offsetof(struct d_shmid_ds, shm_nattch), offsetof(struct k_user_shmid_ds, shm_nattch));
CHECK(offsetof(struct d_shmid_ds, shm_atime), offsetof(struct k_user_shmid_ds, shm_atime));
CHECK(offsetof(struct d_shmid_ds, shm_ctime), offsetof(struct k_user_shmid_ds, shm_ctime));
CHECK(sizeof(struct d_msqid_ds), sizeof(struct k_user64_msqid_ds));
CHECK(offsetof(struct d_msqid_ds, msg_qnum), offsetof(struct k_user64_msqid_ds, msg_qnum));
CHECK(offsetof(struct d_msqid_ds, msg_lrpid), offsetof(struct k_user64_msqid_ds, msg_lrpid));
CHECK(offsetof(struct d_msqid_ds, msg_rtime), offsetof(struct k_user64_msqid_ds, msg_rtime));
CHECK(offsetof(struct d_msqid_ds, msg_ctime), offsetof(struct k_user64_msqid_ds, msg_ctime));
/* host must be LP64 like Darwin arm64/x86_64 */
CHECK(sizeof(long), 8);
CHECK(sizeof(void *), 8);
CHECK(_Alignof(long long), 8);

#define P(name, v) printf("%s=%lu\n", name, (unsigned long)(v))
#define FSZ(type, field) sizeof(((type *)0)->field)

int
main(void)
{
	P("SIZEOF_TIMESPEC", sizeof(struct d_timespec));
	P("OFFSETOF_TV_SEC", offsetof(struct d_timespec, tv_sec));
	P("OFFSETOF_TV_NSEC", offsetof(struct d_timespec, tv_nsec));

	P("SIZEOF_STAT", sizeof(struct d_stat64));
	P("OFFSETOF_ST_MODE", offsetof(struct d_stat64, st_mode));
	P("OFFSETOF_ST_UID", offsetof(struct d_stat64, st_uid));
	P("OFFSETOF_ST_GID", offsetof(struct d_stat64, st_gid));
	P("OFFSETOF_ST_SIZE", offsetof(struct d_stat64, st_size));
	P("SIZEOF_ST_MODE", FSZ(struct d_stat64, st_mode));

	P("SIZEOF_SHMID_DS", sizeof(struct d_shmid_ds));
	P("OFFSETOF_SHM_PERM_KEY", offsetof(struct d_shmid_ds, shm_perm._key));
	P("OFFSETOF_SHM_PERM_UID", offsetof(struct d_shmid_ds, shm_perm.uid));
	P("OFFSETOF_SHM_PERM_GID", offsetof(struct d_shmid_ds, shm_perm.gid));
	P("OFFSETOF_SHM_PERM_CUID", offsetof(struct d_shmid_ds, shm_perm.cuid));
	P("OFFSETOF_SHM_PERM_CGID", offsetof(struct d_shmid_ds, shm_perm.cgid));
	P("OFFSETOF_SHM_PERM_MODE", offsetof(struct d_shmid_ds, shm_perm.mode));
	P("OFFSETOF_SHM_SEGSZ", offsetof(struct d_shmid_ds, shm_segsz));
	P("OFFSETOF_SHM_ATIME", offsetof(struct d_shmid_ds, shm_atime));
	P("OFFSETOF_SHM_DTIME", offsetof(struct d_shmid_ds, shm_dtime));
	P("OFFSETOF_SHM_CTIME", offsetof(struct d_shmid_ds, shm_ctime));
	P("OFFSETOF_SHM_CPID", offsetof(struct d_shmid_ds, shm_cpid));
	P("OFFSETOF_SHM_LPID", offsetof(struct d_shmid_ds, shm_lpid));
	P("OFFSETOF_SHM_NATTCH", offsetof(struct d_shmid_ds, shm_nattch));
	P("SIZEOF_SHM_PERM_MODE", FSZ(struct d_shmid_ds, shm_perm.mode));
	P("SIZEOF_SHM_NATTCH", FSZ(struct d_shmid_ds, shm_nattch));
	P("SIZEOF_SHM_SEGSZ", FSZ(struct d_shmid_ds, shm_segsz));
	P("SIZEOF_SHM_PERM_KEY", FSZ(struct d_shmid_ds, shm_perm._key));
	P("SIZEOF_SHM_CPID", FSZ(struct d_shmid_ds, shm_cpid));

	P("SIZEOF_SEM_T", sizeof(d_sem_t));

	P("SIZEOF_MSQID_DS", sizeof(struct d_msqid_ds));
	P("OFFSETOF_MSG_QNUM", offsetof(struct d_msqid_ds, msg_qnum));
	P("OFFSETOF_MSG_QBYTES", offsetof(struct d_msqid_ds, msg_qbytes));
	P("OFFSETOF_MSG_LSPID", offsetof(struct d_msqid_ds, msg_lspid));
	P("OFFSETOF_MSG_LRPID", offsetof(struct d_msqid_ds, msg_lrpid));
	P("OFFSETOF_MSG_PERM_MODE", offsetof(struct d_msqid_ds, msg_perm.mode));
	P("OFFSETOF_MSG_CBYTES", offsetof(struct d_msqid_ds, msg_cbytes));
	P("SIZEOF_MSG_QNUM", FSZ(struct d_msqid_ds, msg_qnum));

	/* informational only (not emitted to macos.properties) */
	printf("# info: sizeof(struct ipc_perm)=%lu\n", (unsigned long)sizeof(struct d_ipc_perm));
	printf("# info: legacy x86_64 `fstat` struct stat (32-bit ino): size=%lu st_mode@%lu st_uid@%lu st_size@%lu\n",
	    (unsigned long)sizeof(struct d_stat_legacy32),
	    (unsigned long)offsetof(struct d_stat_legacy32, st_mode),
	    (unsigned long)offsetof(struct d_stat_legacy32, st_uid),
	    (unsigned long)offsetof(struct d_stat_legacy32, st_size));
	return 0;
}
