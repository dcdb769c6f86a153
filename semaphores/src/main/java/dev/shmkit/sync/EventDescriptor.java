package dev.shmkit.sync;

/**
 * Layout of a {@link SharedEvent} (16 bytes, 8-byte aligned).
 *
 * <pre>
 *  +---------------------------------------------------------------+
 *  |                 header (magic, kind, version)                 |  0
 *  +-------------------------------+-------------------------------+
 *  |   flag 0/1 (futex word)       |   sleeping waiters (approx.)  |  8
 *  +-------------------------------+-------------------------------+
 * </pre>
 */
final class EventDescriptor {
    private EventDescriptor() {}

    static final long FLAG_OFFSET = 8;
    static final long WAITERS_OFFSET = 12;
    static final long LENGTH = 16;
}
