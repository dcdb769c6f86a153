package dev.shmkit.process;

import dev.shmkit.signals.ExitStatus;
import dev.shmkit.signals.Signal;

import java.io.Serial;
import java.util.Optional;

/**
 * The process running a task died before the task finished: killed by a signal, ended by
 * {@code System.exit}, out of memory. The pool has replaced it; other tasks were not affected
 * (the ones queued behind it went to other workers). When the worker could still report what
 * happened (an {@link OutOfMemoryError}, say), that is the {@linkplain #getCause() cause}.
 */
public final class WorkerCrashedException extends RuntimeException {
    @Serial
    private static final long serialVersionUID = 1L;

    private final long pid;
    private final transient ExitStatus exitStatus;

    WorkerCrashedException(String message, long pid, ExitStatus exitStatus, Throwable cause) {
        super(message, cause);
        this.pid = pid;
        this.exitStatus = exitStatus;
    }

    /** The pid of the process that died. */
    public long pid() {
        return pid;
    }

    /** How it ended, when known. */
    public Optional<ExitStatus> exitStatus() {
        return Optional.ofNullable(exitStatus);
    }

    /** The signal that ended it, if one did. */
    public Optional<Signal> signal() {
        return exitStatus == null ? Optional.empty() : exitStatus.signal();
    }
}
