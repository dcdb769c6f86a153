/**
 * Signals, named pipes and OS message queues (issue #4): {@link dev.shmkit.signals.Signals}
 * (send, handle, wait), {@link dev.shmkit.signals.ChildProcesses}, {@link dev.shmkit.signals.Fifo}
 * ({@code mkfifo}), {@link dev.shmkit.signals.MessageQueue} (POSIX {@code mq_open}, Linux) and
 * {@link dev.shmkit.signals.SysVMessageQueue} ({@code msgget}). Sits directly on the bindings;
 * signals are received through {@code sun.misc.Signal} (module {@code jdk.unsupported}), the path
 * the JDK supports.
 */
module dev.shmkit.signals {
    requires transitive dev.shmkit.bindings;
    requires jdk.unsupported;
    exports dev.shmkit.signals;
}
