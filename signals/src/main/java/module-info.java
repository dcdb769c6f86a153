/**
 * Signals, named pipes (mkfifo) and OS message queues (issue #4). Sits directly on the bindings.
 * No public package yet.
 */
module dev.shmkit.signals {
    requires transitive dev.shmkit.bindings;
}
