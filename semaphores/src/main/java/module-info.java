/**
 * Process-safe synchronization: named POSIX semaphores ({@link dev.shmkit.sync.NamedSemaphore})
 * and the lock, condition, event, semaphore and barrier that live in shared memory, robust to a
 * participant's death. Sits above {@code dev.shmkit.shm}, whose {@link dev.shmkit.shm.Futex} it
 * sleeps on.
 */
module dev.shmkit.semaphores {
    requires transitive dev.shmkit.shm;
    exports dev.shmkit.sync;
}
