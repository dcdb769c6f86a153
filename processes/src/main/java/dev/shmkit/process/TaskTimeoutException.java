package dev.shmkit.process;

import java.io.Serial;
import java.time.Duration;

/**
 * A task ran longer than the pool's {@linkplain ProcessPool.Builder#taskTimeout task timeout}; its
 * worker was killed (the only way to stop code that ignores interrupts) and replaced.
 */
public final class TaskTimeoutException extends RuntimeException {
    @Serial
    private static final long serialVersionUID = 1L;

    private final transient Duration timeout;

    TaskTimeoutException(String message, Duration timeout) {
        super(message);
        this.timeout = timeout;
    }

    public Duration timeout() {
        return timeout;
    }
}
