package dev.shmkit.benchmarks.ringproto;

/**
 * Layout of a {@link ProtoRing}: a 2 KiB header, then {@code capacity} bytes of records.
 * Fields written by different sides sit 128 bytes apart, so producers and consumers never
 * share a cache line (nor an adjacent-line prefetch pair).
 *
 * <pre>
 * header
 *    0  int magic 0x52494e47 "RING" | short version | short kind (1 SPSC, 2 MPSC, 3 MPMC)
 *    8  long capacity (a power of two)        16  int maxPayload
 *  128  long tail: next write position (grows forever; index = position &amp; (capacity - 1))
 *  256  long head: next read position
 *  384  long head cache (producers' last view of head)
 *  512  int data sequence (futex word consumers sleep on) | int sleeping consumers
 *  640  int space sequence (futex word producers sleep on) | int sleeping producers
 *  768  long recovered records  | long consumer-lock recoveries (redeliveries)
 *  832  producer claim lock (SharedLock, 64 bytes; MPSC and MPMC)
 *  896  consumer lock (SharedLock, 64 bytes; MPMC)
 * 1024  producer slots: 64 x long identity (pid | start token; 0 = free)
 * 1536  consumer slots: 64 x long identity
 * 2048  records ...
 *
 * record (8-byte aligned; never wraps: a padding record fills the end of the buffer)
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +---------------------------------------------------------------+
 *  |R|                    length (header + payload)                |  0
 *  +---------------------------------------------------------------+
 *  |  producer slot (7 bits, while claimed)  |  type id (24 bits)  |  4
 *  +---------------------------------------------------------------+
 *  |                         payload ...                          ...  8
 *  +---------------------------------------------------------------+
 * </pre>
 *
 * The header is one 64-bit word, written whole. Length 0: free (consumers zero what they
 * consume). Negative length: claimed by the producer whose slot is in the top 7 bits, with the
 * type id in the low 24 bits of the upper half, not yet committed. Positive: committed, with its type id; type {@link #PADDING_TYPE}
 * marks padding and records recovered from a dead producer, which consumers skip.
 */
final class ProtoDescriptor {
    private ProtoDescriptor() {}

    static final int MAGIC = 0x52494e47;
    static final short VERSION = 1;

    static final long MAGIC_OFFSET = 0;
    static final long VERSION_OFFSET = 4;
    static final long KIND_OFFSET = 6;
    static final long CAPACITY_OFFSET = 8;
    static final long MAX_PAYLOAD_OFFSET = 16;
    static final long TAIL_OFFSET = 128;
    static final long HEAD_OFFSET = 256;
    static final long HEAD_CACHE_OFFSET = 384;
    static final long DATA_SEQ_OFFSET = 512;
    static final long DATA_WAITERS_OFFSET = 516;
    static final long SPACE_SEQ_OFFSET = 640;
    static final long SPACE_WAITERS_OFFSET = 644;
    static final long RECOVERED_OFFSET = 768;
    static final long REDELIVERIES_OFFSET = 776;
    static final long CLAIM_LOCK_OFFSET = 832;
    static final long CONSUMER_LOCK_OFFSET = 896;
    static final long PRODUCER_SLOTS_OFFSET = 1024;
    static final long CONSUMER_SLOTS_OFFSET = 1536;
    static final int SLOTS = 64;
    static final long HEADER_LENGTH = 2048;

    static final int RECORD_HEADER_LENGTH = 8;
    static final int ALIGNMENT = 8;
    static final int PADDING_TYPE = -1;
    /** Claim slot for a producer that found no free slot: its dead claims cannot be recovered. */
    static final int UNKNOWN_SLOT = 0x7f;

    static final long MIN_CAPACITY = 64;
    static final long MAX_CAPACITY = 1L << 30;

    static int align(int length) {
        return (length + ALIGNMENT - 1) & -ALIGNMENT;
    }

    static long committed(int typeId, int length) {
        return ((long) typeId << 32) | (length & 0xffff_ffffL);
    }

    static final int MAX_TYPE_ID = 0xff_ffff;

    static long claimed(int slot, int typeId, int length) {
        return ((long) ((slot << 24) | typeId) << 32) | (-length & 0xffff_ffffL);
    }

    static int claimSlot(long header) {
        return (int) (header >>> 56) & 0x7f;
    }

    static int claimType(long header) {
        return (int) (header >>> 32) & MAX_TYPE_ID;
    }
}
