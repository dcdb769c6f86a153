package dev.shmkit.objects;

/**
 * Layout of a {@link SharedValue}: the common header and lock slot, then the value.
 *
 * <pre>
 *  +---------------------------------------------------------------+
 *  |   header (magic "SOBJ", kind 1, version, type, flags, sizes)  |  0
 *  +---------------------------------------------------------------+
 *  |   lock (SharedLock region; initialized when flag 0 is set)    | 64
 *  +---------------------------------------------------------------+
 *  int, boolean:     | value (32 bits)        |    reserved        | 128   (136 bytes in all)
 *  long, double:     |          value (64 bits, raw bits)          | 128   (136 bytes in all)
 *
 *  bytes (n bytes at most):
 *  +---------------------------------------------------------------+
 *  |   published word: version (63 bits) | slot (1 bit)            | 128
 *  +-------------------------------+-------------------------------+
 *  |   slot 0: length (32 bits)    |   bytes ... padded to 8       | 136
 *  +-------------------------------+-------------------------------+
 *  |   slot 1: length (32 bits)    |   bytes ... padded to 8       | 136 + align8(4 + n)
 *  +---------------------------------------------------------------+
 * </pre>
 *
 * A number is one aligned word, read and written with volatile semantics and updated with
 * atomic read-modify-write instructions; a double's compare-and-set compares raw bits. A bytes
 * value is double-buffered: a writer (holding the lock) fills the slot that is not published,
 * then publishes it with one release store of the word, which also counts versions. A reader
 * copies the published slot and accepts the copy only if the word has not changed meanwhile
 * (a seqlock whose writer can die at any instant: the published slot is never written).
 */
final class ValueDescriptor {
    private ValueDescriptor() {}

    static final long VALUE_OFFSET = HeaderDescriptor.BODY_OFFSET;
    static final long WORD_OFFSET = HeaderDescriptor.BODY_OFFSET;
    static final long SLOTS_OFFSET = HeaderDescriptor.BODY_OFFSET + 8;

    /** Bytes of one slot of a bytes value of at most {@code n} bytes. */
    static long slotLength(int n) {
        return StoreDescriptor.align(4L + n);
    }

    static long length(ElementType type, int elementSize) {
        if (type == ElementType.BYTES) return SLOTS_OFFSET + 2 * slotLength(elementSize);
        return HeaderDescriptor.BODY_OFFSET + 8;
    }
}
