package dev.shmkit.queue;

/**
 * Layout of a {@link SharedQueue}: a 1 KiB header of the queue's own, then an MPMC
 * {@link dev.shmkit.ring.SharedRing} (its 2 KiB header, then {@code capacity} bytes of records).
 * Counters written by producers and by consumers sit 128 bytes apart.
 *
 * <pre>
 *    0  int magic 0x53485155 "SHQU" | short version | short flags (bit 0: joinable)
 *    8  long ring offset (always 1024)
 *   16  long ring capacity (a power of two)
 *   24  short codec name length (0 = custom codec, at most 255)
 *  128  long puts: elements ever put (producers add, after claiming and before committing)
 *  256  long takes: elements ever taken (consumers add, after the ring released them)
 *  384  int unfinished tasks (joinable queues; futex word join() sleeps on) | int sleeping joiners
 *  512  codec name, UTF-8 (255 bytes)
 * 1024  ring ...
 * </pre>
 *
 * {@code size() = puts - takes - ring.recoveredRecords()}: a record claimed by a producer that
 * died is recovered by the ring as padding, so it is counted out again.
 */
final class QueueDescriptor {
    private QueueDescriptor() {}

    static final int MAGIC = 0x53485155;
    static final short VERSION = 1;
    static final short FLAG_JOINABLE = 1;

    static final long MAGIC_OFFSET = 0;
    static final long VERSION_OFFSET = 4;
    static final long FLAGS_OFFSET = 6;
    static final long RING_OFFSET_OFFSET = 8;
    static final long CAPACITY_OFFSET = 16;
    static final long CODEC_LENGTH_OFFSET = 24;
    static final long PUTS_OFFSET = 128;
    static final long TAKES_OFFSET = 256;
    static final long UNFINISHED_OFFSET = 384;
    static final long JOIN_WAITERS_OFFSET = 388;
    static final long CODEC_OFFSET = 512;
    static final int CODEC_MAX = 255;
    static final long HEADER_LENGTH = 1024;

    /** The ring's type id for an element. */
    static final int ELEMENT_TYPE = 1;
}
