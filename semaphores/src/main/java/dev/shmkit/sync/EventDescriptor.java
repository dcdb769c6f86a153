package dev.shmkit.sync;

/**
 * Layout of a {@link SharedEvent} (16 bytes, 8-byte aligned).
 *
 * <pre>
 *  +---------------------------------------------------------------+
 *  |                 header (magic, kind, version)                 |  0
 *  +-------------------------------+-------------------------------+
 *  |   state (futex word)          |   sleeping waiters (approx.)  |  8
 *  +-------------------------------+-------------------------------+
 * </pre>
 *
 * The state's bit 0 is the flag; bits 1..31 count the calls to set(), so a waiter that slept
 * through a set() immediately followed by clear() still sees that it was set and returns.
 */
final class EventDescriptor {
    private EventDescriptor() {}

    static final long FLAG_OFFSET = 8;
    static final long WAITERS_OFFSET = 12;
    static final long LENGTH = 16;
}
