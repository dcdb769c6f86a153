/**
 * Process-safe synchronization: named POSIX semaphores and the Lock, Condition, Event,
 * Semaphore and Barrier that live in shared memory (issue #3). Sits above {@code dev.shmkit.shm},
 * whose {@link dev.shmkit.shm.Futex} it sleeps on. No public package yet.
 */
module dev.shmkit.semaphores {
    requires transitive dev.shmkit.shm;
}
