package dev.shmkit.queue;

/**
 * Layout of a {@link Pipe}: a 512-byte header, then one SPSC {@link dev.shmkit.ring.SharedRing}
 * per direction. Ring A carries what end 0 sends (end 0 is the creator of a duplex pipe, the
 * sending end of a one-way pipe); ring B, duplex only, what end 1 sends.
 *
 * <pre>
 *    0  int magic 0x50495045 "PIPE" | short version | short flags (bit 0: duplex, bit 1: the creator receives)
 *    8  long ring capacity (each ring; a power of two)
 *   16  long ring A offset (512)
 *   24  long ring B offset (512 + ring size; 0 when one-way)
 *  128  end 0: int state (0 not opened yet, 1 open, 2 closed) | int pad | long identity (start token &lt;&lt; 32 | pid)
 *  256  end 1: the same
 *  512  ring A ...
 *       ring B ...
 * </pre>
 *
 * Record types in the rings: 1 a whole message; 2 end of stream (written by {@code close()});
 * 3 the first fragment of a message larger than a record (payload: int total length, then
 * bytes); 4 a further fragment.
 */
final class PipeDescriptor {
    private PipeDescriptor() {}

    static final int MAGIC = 0x50495045;
    static final short VERSION = 1;
    static final short FLAG_DUPLEX = 1;
    static final short FLAG_CREATOR_RECEIVES = 2;

    static final long MAGIC_OFFSET = 0;
    static final long VERSION_OFFSET = 4;
    static final long FLAGS_OFFSET = 6;
    static final long CAPACITY_OFFSET = 8;
    static final long RING_A_OFFSET = 16;
    static final long RING_B_OFFSET = 24;
    static final long END_OFFSET = 128;
    static final long END_STRIDE = 128;
    static final long STATE = 0;
    static final long IDENTITY = 8;
    static final long HEADER_LENGTH = 512;

    static final int UNOPENED = 0;
    static final int OPEN = 1;
    static final int CLOSED = 2;

    static final int MESSAGE = 1;
    static final int END_OF_STREAM = 2;
    static final int FIRST_FRAGMENT = 3;
    static final int MORE_FRAGMENT = 4;

    static long endOffset(int end) {
        return END_OFFSET + end * END_STRIDE;
    }
}
