/**
 * shmkit's data plane: zero-copy rings in shared memory ({@link dev.shmkit.ring.SharedRing}) and,
 * on top of them, process-safe queues and pipes ({@code dev.shmkit.queue}).
 */
module dev.shmkit.rings {
    requires transitive dev.shmkit.semaphores;
    exports dev.shmkit.ring;
    exports dev.shmkit.queue;
}
