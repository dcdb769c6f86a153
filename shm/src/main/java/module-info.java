/**
 * OS shared memory: POSIX {@code shm_open} objects ({@link dev.shmkit.shm.SharedMemory}), System V
 * segments ({@link dev.shmkit.shm.SysVSharedMemory}) and the cross-process wait/wake primitive
 * ({@link dev.shmkit.shm.Futex}) that shmkit's locks, rings and queues are built on.
 */
module dev.shmkit.shm {
    requires transitive dev.shmkit.bindings;
    exports dev.shmkit.shm;
}
