package dev.shmkit.process;

import java.io.Serial;

/**
 * A task run in another process failed; thrown by the blocking methods ({@link ProcessPool#map},
 * {@link ProcessPool#apply}, {@link ChildProcess#result()}, the iterators of
 * {@link ProcessPool#imap}). The cause says how: a {@link RemoteException} (the task threw), a
 * {@link WorkerCrashedException} (its process died), or a {@link TaskTimeoutException}.
 * Futures report the same causes through {@link java.util.concurrent.ExecutionException}.
 */
public final class TaskFailedException extends RuntimeException {
    @Serial
    private static final long serialVersionUID = 1L;

    private final long taskIndex;

    public TaskFailedException(String message, Throwable cause, long taskIndex) {
        super(message, cause);
        this.taskIndex = taskIndex;
    }

    /** The index of the failed task among its call's inputs (0 for a single task). */
    public long taskIndex() {
        return taskIndex;
    }
}
