/**
 * Child processes and process pools (issue #6): {@link dev.shmkit.process.ChildProcess} starts a
 * child JVM that runs a serializable task or a main class, and {@link dev.shmkit.process.ProcessPool}
 * is an {@link java.util.concurrent.ExecutorService} of worker JVMs fed through shared-memory rings;
 * {@link dev.shmkit.process.ShmkitProcesses} lists them for {@code shmkit ps}. The children run
 * {@code dev.shmkit.process.WorkerMain} (package-private; the java launcher starts it with
 * {@code -m dev.shmkit.processes/dev.shmkit.process.WorkerMain} or from the class path).
 */
module dev.shmkit.processes {
    requires transitive dev.shmkit.rings;
    requires transitive dev.shmkit.signals;
    exports dev.shmkit.process;
}
