/**
 * Shared objects: values, arrays, maps and lists that live in shared memory and are used by
 * any number of processes at once (Python's {@code multiprocessing.Value}, {@code Array} and
 * {@code Manager().dict()/list()}, without a server process). Keys, values and elements of maps
 * and lists go through the queues' {@code dev.shmkit.queue.Codec}.
 */
module dev.shmkit.objects {
    requires transitive dev.shmkit.semaphores;
    requires transitive dev.shmkit.rings;
    exports dev.shmkit.objects;
}
