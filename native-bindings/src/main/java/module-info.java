/**
 * shmkit's lowest layer: the jextract bindings of the C library and the facade over them.
 * {@code dev.shmkit.os} (errors and platform) is public; the facade is exported only to shmkit's
 * own modules, and the generated code to nobody.
 */
module dev.shmkit.bindings {
    exports dev.shmkit.os;
    exports dev.shmkit.internal.nativeaccess to
            dev.shmkit.shm, dev.shmkit.semaphores, dev.shmkit.signals, dev.shmkit.cli, dev.shmkit.demos,
            dev.shmkit.benchmarks;
}
