package dev.shmkit.sync;

/**
 * Layout of a {@link SharedBarrier} (640 bytes, 8-byte aligned).
 *
 * <pre>
 *  +---------------------------------------------------------------+
 *  |                 header (magic, kind, version)                 |  0
 *  +-------------------------------+-------------------------------+
 *  |   parties                     |   arrived in this generation  |  8
 *  +-------------------------------+-------------------------------+
 *  |   generation (futex word)     |   broken flag                 | 16
 *  +-------------------------------+-------------------------------+
 *  |   generation that broke       |   sleeping waiters (approx.)  | 24
 *  +---------------------------------------------------------------+
 *  |   reserved                                                    | 32..63
 *  +---------------------------------------------------------------+
 *  |   internal lock (a SharedLock region, 64 bytes)               | 64
 *  +---------------------------------------------------------------+
 *  |   participant slot 0: pid | start token (64 bits)             | 128
 *  |   ...  64 slots of 8 bytes                                    |
 *  +---------------------------------------------------------------+
 * </pre>
 *
 * Counts change only under the internal lock; the generation is also the futex word waiting
 * parties sleep on. Each process that opens the barrier registers in a participant slot, so a
 * participant that dies breaks the barrier for the others instead of leaving them waiting.
 */
final class BarrierDescriptor {
    private BarrierDescriptor() {}

    static final long PARTIES_OFFSET = 8;
    static final long ARRIVED_OFFSET = 12;
    static final long GENERATION_OFFSET = 16;
    static final long BROKEN_OFFSET = 20;
    static final long BROKEN_GENERATION_OFFSET = 24;
    static final long WAITERS_OFFSET = 28;
    static final long LOCK_OFFSET = 64;
    static final long SLOTS_OFFSET = 128;
    static final int SLOTS = 64;
    static final long LENGTH = SLOTS_OFFSET + SLOTS * 8L;
}
