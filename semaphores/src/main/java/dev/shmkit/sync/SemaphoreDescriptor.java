package dev.shmkit.sync;

/**
 * Layout of a {@link SharedSemaphore} (576 bytes, 8-byte aligned).
 *
 * <pre>
 *  +---------------------------------------------------------------+
 *  |                 header (magic, kind, version)                 |  0
 *  +-------------------------------+-------------------------------+
 *  |   permits (futex word)        |   sleeping waiters (approx.)  |  8
 *  +-------------------------------+-------------------------------+
 *  |   bound (-1: unbounded)       |   untracked permits held      | 16
 *  +-------------------------------+-------------------------------+
 *  |   reclaimed permits (64 bits)                                 | 24
 *  +---------------------------------------------------------------+
 *  |   reserved                                                    | 32..63
 *  +---------------------------------------------------------------+
 *  |   holder slot 0: pid | start token (64)  |  count  | reserved | 64
 *  |   ...  32 slots of 16 bytes                                   |
 *  |   holder slot 31                                              | 560
 *  +---------------------------------------------------------------+
 * </pre>
 *
 * A holder slot records how many permits one process holds, under its identity (pid and start
 * token), so the permits of a process that died can be given back. A slot's identity word is
 * 0 when free and {@link #RECLAIMING} while a survivor takes a dead holder's permits back.
 */
final class SemaphoreDescriptor {
    private SemaphoreDescriptor() {}

    static final long PERMITS_OFFSET = 8;
    static final long WAITERS_OFFSET = 12;
    static final long BOUND_OFFSET = 16;
    static final long UNTRACKED_OFFSET = 20;
    static final long RECLAIMED_OFFSET = 24;
    static final long SLOTS_OFFSET = 64;
    static final int SLOTS = 32;
    static final long SLOT_LENGTH = 16;
    static final long SLOT_ID_OFFSET = 0;
    static final long SLOT_COUNT_OFFSET = 8;
    static final long LENGTH = SLOTS_OFFSET + SLOTS * SLOT_LENGTH;

    static final long RECLAIMING = -1L;
}
