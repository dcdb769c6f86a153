package dev.shmkit.sync;

/**
 * Layout of a {@link SharedLock} (64 bytes, 8-byte aligned; give it a cache line of its own for
 * speed).
 *
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +---------------------------------------------------------------+
 *  |                 header (magic, kind, version)                 |  0
 *  +-+-------------------------------------------------------------+
 *  |W|R|                owner pid (30 bits)                        |  8  futex word (low half)
 *  +-+-------------------------------------------------------------+
 *  |            owner start-time token (low 32 bits)               | 12  (high half)
 *  +---------------------------------------------------------------+
 *  |                 owner thread id (64 bits)                     | 16
 *  +---------------------------------------------------------------+
 *  |                 hold count    |        owner died flag        | 24
 *  +---------------------------------------------------------------+
 *  |                 recoveries (64 bits)                          | 32
 *  +---------------------------------------------------------------+
 *  |                 sleeping waiters (approx.)    |   reserved    | 40
 *  +---------------------------------------------------------------+
 *  |                         reserved                              | 48..63
 *  +---------------------------------------------------------------+
 * </pre>
 *
 * The 64-bit word at 8 is the lock: 0 when free, otherwise the owner's identity (pid and start
 * token, so a reused pid is never mistaken for a dead owner) with bit 31 (W) set when a waiter
 * may be sleeping, and bit 30 (R) set for the instant a new holder takes the lock over from a dead
 * one. Pids fit in 30 bits on every supported platform (Linux caps pid_max at 2^22). Acquiring is one compare-and-set of that word; the futex sleeps on its low
 * 32 bits (all supported platforms are little-endian).
 */
final class LockDescriptor {
    private LockDescriptor() {}

    static final long WORD_OFFSET = 8;
    static final long OWNER_THREAD_OFFSET = 16;
    static final long HOLD_COUNT_OFFSET = 24;
    static final long OWNER_DIED_OFFSET = 28;
    static final long RECOVERIES_OFFSET = 32;
    static final long WAITERS_OFFSET = 40;
    static final long LENGTH = 64;

    static final long WAITERS_BIT = 1L << 31;
    static final long RECOVERING_BIT = 1L << 30;
    static final long PID_MASK = 0x3fff_ffffL;
}
