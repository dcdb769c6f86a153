package dev.shmkit.signals;

/**
 * What {@code kill(pid, 0)} says of a process: {@link Signals#probe}.
 *
 * <p>A process that has exited but not yet been reaped by its parent (a zombie) still
 * {@link #EXISTS}: it holds its pid until then. A pid says nothing about which program runs under
 * it: the system reuses pids once a process has been reaped.
 */
public enum ProcessPresence {
    /** The process exists and this process may signal it. */
    EXISTS,
    /** The process exists, but this process may not signal it (EPERM: another user's process). */
    EXISTS_NOT_PERMITTED,
    /** No process has this pid (ESRCH). */
    NO_SUCH_PROCESS;

    /** Whether a process with this pid exists (whether or not it may be signalled). */
    public boolean exists() {
        return this != NO_SUCH_PROCESS;
    }
}
