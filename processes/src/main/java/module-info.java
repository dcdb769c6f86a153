/**
 * Child processes and process pools (issue #6): {@link dev.shmkit.process.ChildProcess} starts a
 * child JVM that runs a serializable task or a main class, and {@link dev.shmkit.process.ProcessPool}
 * is an {@link java.util.concurrent.ExecutorService} of worker JVMs fed through shared-memory rings.
 * {@code dev.shmkit.process.internal} (the child's entry point and the wire formats) is not exported.
 */
module dev.shmkit.processes {
    requires transitive dev.shmkit.rings;
    requires transitive dev.shmkit.signals;
    exports dev.shmkit.process;
}
