package dev.shmkit.ring;

/**
 * How a blocked producer or consumer waits. Every strategy honours timeouts and interrupts
 * (checked between attempts, or between futex sleeps of at most 10 ms).
 */
public enum WaitStrategy {
    /** Re-check in a tight loop: lowest latency, one core fully busy. */
    BUSY_SPIN,
    /** Re-check after {@link Thread#yield()}. */
    YIELD,
    /** Spin, then yield, then park for growing intervals up to 1 ms: bounded CPU, some latency. */
    BACKOFF,
    /** Sleep on the ring's futex word at once: ~0 CPU while idle, a wake-up costs a system call. */
    BLOCKING,
    /**
     * Spin briefly, yield a few times, then sleep on the futex (the default): a steady stream
     * stays near spin latency, an idle side costs ~0 CPU.
     */
    ADAPTIVE
}
