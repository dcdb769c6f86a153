package dev.shmkit.process;

import java.io.Serial;
import java.util.concurrent.RejectedExecutionException;

/**
 * The pool cannot run tasks any more: its workers keep failing to start (a JVM option the JVM
 * refuses, an initializer that throws, a class path the child cannot load). Every queued task fails
 * with it, and so does every later submission. The cause is the last start-up failure.
 */
public final class PoolBrokenException extends RejectedExecutionException {
    @Serial
    private static final long serialVersionUID = 1L;

    PoolBrokenException(String message, Throwable cause) {
        super(message, cause);
    }
}
