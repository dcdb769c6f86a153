package dev.shmkit.signals;

import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.locks.LockSupport;

/** Deadlines, wait slices and polling back-off shared by the blocking calls of this package. */
final class Waiting {
    private Waiting() {}

    /**
     * The longest a native timed wait runs before shmkit checks for an interrupt or a concurrent
     * close: the bound on how long both take to be noticed.
     */
    static final long SLICE_NANOS = 50_000_000L;

    /** First and longest pause of {@link Backoff}. */
    static final long BACKOFF_MIN_NANOS = 20_000L;
    static final long BACKOFF_MAX_NANOS = 10_000_000L;

    /** A timeout in nanoseconds: negative durations are 0, huge ones saturate. */
    static long nanos(Duration timeout) {
        Objects.requireNonNull(timeout, "timeout");
        if (timeout.isNegative()) return 0;
        return Signals.saturatedNanos(timeout);
    }

    /** Nanoseconds left until {@code deadline} (a {@link System#nanoTime()} value); may be negative. */
    static long remaining(long deadline) {
        return deadline - System.nanoTime();
    }

    /** {@code System.nanoTime() + timeoutNanos}, or {@code Long.MAX_VALUE} offsets saturated. */
    static long deadline(long timeoutNanos) {
        long now = System.nanoTime();
        long d = now + timeoutNanos;
        return d - now < 0 ? now + Long.MAX_VALUE / 2 : d;
    }

    static void checkInterrupt() throws InterruptedException {
        if (Thread.interrupted()) throw new InterruptedException();
    }

    /**
     * Exponential pauses between polls: 20 µs doubling to 10 ms. The pause is a bounded sleep
     * (never longer than the time left), and an interrupt ends it with {@link InterruptedException}.
     */
    static final class Backoff {
        private long step = BACKOFF_MIN_NANOS;

        void pause(long remainingNanos) throws InterruptedException {
            long n = Math.min(step, remainingNanos);
            if (n > 0) LockSupport.parkNanos(this, n);
            checkInterrupt();
            step = Math.min(BACKOFF_MAX_NANOS, step * 2);
        }
    }
}
