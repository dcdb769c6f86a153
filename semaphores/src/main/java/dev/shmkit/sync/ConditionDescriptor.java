package dev.shmkit.sync;

/**
 * Layout of a {@link SharedCondition} (16 bytes, 8-byte aligned).
 *
 * <pre>
 *  +---------------------------------------------------------------+
 *  |                 header (magic, kind, version)                 |  0
 *  +-------------------------------+-------------------------------+
 *  |   sequence (futex word)       |   sleeping waiters (approx.)  |  8
 *  +-------------------------------+-------------------------------+
 * </pre>
 *
 * Every signal increments the sequence; a waiter sleeps while it still holds the value read
 * before releasing the lock, so a signal between the release and the sleep is never lost.
 */
final class ConditionDescriptor {
    private ConditionDescriptor() {}

    static final long SEQUENCE_OFFSET = 8;
    static final long WAITERS_OFFSET = 12;
    static final long LENGTH = 16;
}
