package dev.shmkit.ring;

/**
 * Layout of a {@link SharedRing} (version 2): a 2 KiB header, then {@code capacity} bytes of
 * records. Fields written by different sides sit 128 bytes apart, so producers and consumers
 * never share a cache line (nor an adjacent-line prefetch pair).
 *
 * <pre>
 * header
 *    0  int magic 0x52494e47 "RING" | short version (2) | short kind (1 SPSC, 2 MPSC, 3 MPMC)
 *    8  long capacity (a power of two)   16  int maxPayload   20  int reserved
 *   24  long salt (random, fixed at creation: seeds the free marks)
 *  128  long tail: next claim position (grows forever; index = position &amp; (capacity - 1)).
 *       SPSC: stored by the producer after each claim. MPSC/MPMC: a hint that claimers and
 *       their helpers move forward with a CAS once a record's header is in place.
 *  256  long head: next read position (the consumer, after handing records out)
 *  264  long clean: every word of [clean, head) is consumed but may still hold old records;
 *       every word of [tail, clean + capacity) holds the free mark of its position's lap
 *  272  long cleaner: identity of the process marking [clean, head) free right now (0: none)
 *  512  int data sequence (futex word consumers sleep on) | int sleeping consumers
 *  640  int space sequence (futex word producers sleep on) | int sleeping producers
 *  648  int space wanted (a producer found no room: clean everything consumed)
 *  768  long recovered records | long consumer-lock recoveries (redeliveries)
 *  896  consumer lock (SharedLock, 64 bytes; MPMC)
 * 1024  producer slots: 64 x long identity (pid | start token; 0 = free). SPSC uses slot 0 only.
 * 1536  consumer slots: 64 x long identity. SPSC and MPSC use slot 0 only.
 * 2048  records ...
 *
 * record header: one 64-bit word at an 8-byte aligned position, written whole
 *   6 6 6         5 5               3 3
 *   3 2 1         6 5               2 1                                 0
 *  +---+-----------+-----------------+-----------------------------------+
 *  |st | slot (6)  |  type id (24)   |  length: header + payload (32)    |
 *  +---+-----------+-----------------+-----------------------------------+
 *  st: 0 free mark (the rest is the lap's mark), 1 claimed, 2 committed, 3 padding
 * payload: length - 8 bytes after the header; a record never wraps (padding fills the end)
 * </pre>
 *
 * <h2>Why free marks instead of zeroing</h2>
 * Version 1 zeroed consumed bytes before moving the head; a consumer killed in between left a
 * zero header with committed records behind it, and the ring stalled. Version 2 moves the head
 * first and marks the consumed words free afterwards, behind a separate {@code clean} position
 * that producers respect: a consumer that dies anywhere leaves either records to redeliver
 * (head not moved) or words to mark again (clean behind head), and the next consumer finishes
 * the job. The mark of a word is {@link #freeMark(long, long) freeMark(salt, lap)} for the lap in
 * which its position will next be claimed, so a claimer that compare-and-sets the header of
 * position {@code p} from {@code freeMark(lap(p))} can never take a word of another lap, or a
 * payload word, by mistake.
 */
final class RingDescriptor {
    private RingDescriptor() {}

    static final int MAGIC = 0x52494e47;
    static final short VERSION = 2;

    static final long MAGIC_OFFSET = 0;
    static final long VERSION_OFFSET = 4;
    static final long KIND_OFFSET = 6;
    static final long CAPACITY_OFFSET = 8;
    static final long MAX_PAYLOAD_OFFSET = 16;
    static final long SALT_OFFSET = 24;
    static final long TAIL_OFFSET = 128;
    static final long HEAD_OFFSET = 256;
    static final long CLEAN_OFFSET = 264;
    static final long CLEANER_OFFSET = 272;
    static final long DATA_SEQ_OFFSET = 512;
    static final long DATA_WAITERS_OFFSET = 516;
    static final long SPACE_SEQ_OFFSET = 640;
    static final long SPACE_WAITERS_OFFSET = 644;
    static final long SPACE_WANTED_OFFSET = 648;
    static final long RECOVERED_OFFSET = 768;
    static final long REDELIVERIES_OFFSET = 776;
    static final long CONSUMER_LOCK_OFFSET = 896;
    static final long PRODUCER_SLOTS_OFFSET = 1024;
    static final long CONSUMER_SLOTS_OFFSET = 1536;
    static final int SLOTS = 64;
    static final long HEADER_LENGTH = 2048;

    static final int RECORD_HEADER_LENGTH = 8;
    static final int ALIGNMENT = 8;

    static final long FREE = 0;
    static final long CLAIMED = 1;
    static final long COMMITTED = 2;
    static final long PADDING = 3;
    private static final int STATE_SHIFT = 62;
    private static final long STATE_MASK = 3L << STATE_SHIFT;

    static final int MAX_TYPE_ID = 0xff_ffff;

    static final long MIN_CAPACITY = 64;
    static final long MAX_CAPACITY = 1L << 30;

    static int align(int length) {
        return (length + ALIGNMENT - 1) & -ALIGNMENT;
    }

    static long header(long state, int slot, int typeId, int length) {
        return (state << STATE_SHIFT) | ((long) (slot & 0x3f) << 56) | ((long) (typeId & MAX_TYPE_ID) << 32) | (length & 0xffff_ffffL);
    }

    static long state(long header) {
        return header >>> STATE_SHIFT;
    }

    static int slot(long header) {
        return (int) (header >>> 56) & 0x3f;
    }

    static int type(long header) {
        return (int) (header >>> 32) & MAX_TYPE_ID;
    }

    static int length(long header) {
        return (int) header;
    }

    /** The same header in another state. */
    static long withState(long header, long state) {
        return (header & ~STATE_MASK) | (state << STATE_SHIFT);
    }

    /**
     * The free mark of lap {@code lap} of a ring with {@code salt}: state bits 0, the other 62
     * bits the lap XOR the salt, so marks of different laps always differ (laps stay below
     * 2^57), and a payload word equals a mark only by a 2^-62 chance unless written on purpose.
     */
    static long freeMark(long salt, long lap) {
        return (lap ^ salt) & ~STATE_MASK;
    }
}
