package dev.shmkit.objects;

/**
 * Layout of a {@link SharedMap} or {@link SharedList}: header, lock, store state, then two
 * <em>spaces</em>, of which one is active. Each space has an index and a data area of
 * records, allocated by a bump pointer.
 *
 * <pre>
 *  +---------------------------------------------------------------+
 *  |   header (magic "SOBJ", kind 3 map / 4 list, version, flags,  |  0
 *  |           capacity, index slots, data bytes per space)        |
 *  +---------------------------------------------------------------+
 *  |   lock (SharedLock region; every writer holds it)             | 64
 *  +---------------------------------------------------------------+
 *  |   epoch (64 bits): active space = epoch &amp; 1; +1 per rebuild | 128
 *  +---------------------------------------------------------------+
 *  |   repairs (64 bits): passes run after a writer died           | 136
 *  +---------------------------------------------------------------+
 *  |   dropped records (64 bits): invalid ones a repair removed    | 144
 *  +---------------------------------------------------------------+
 *  |   reserved                                                    | 152..255
 *  +---------------+-----------------------------------------------+
 *  | key codec     |   key codec name, UTF-8 (map), or element     | 256
 *  | name length   |   codec name (list); 0 bytes: a custom codec  |
 *  +---------------+-----------------------------------------------+
 *  | value codec   |   value codec name, UTF-8 (map; unused in a   | 512
 *  | name length   |   list)                                       |
 *  +---------------+-----------------------------------------------+
 *  |   space 0                                                     | 768
 *  +---------------------------------------------------------------+
 *  |   space 1                                                     | 768 + space length
 *  +---------------------------------------------------------------+
 *
 * space (64 + 8 x slots + data bytes):
 *  +---------------------------------------------------------------+
 *  |   bump (64 bits): data bytes allocated                        |  0
 *  +---------------------------------------------------------------+
 *  |   count (64 bits): live entries (map) / size (list)           |  8
 *  +---------------------------------------------------------------+
 *  |   used slots (64 bits): live + deleted (map)                  | 16
 *  +---------------------------------------------------------------+
 *  |   garbage (64 bits): allocated bytes no slot refers to        | 24
 *  +---------------------------------------------------------------+
 *  |   reserved                                                    | 32..63
 *  +---------------------------------------------------------------+
 *  |   index: slots x 64-bit words                                 | 64
 *  +---------------------------------------------------------------+
 *  |   data: records, 8-byte aligned                               | 64 + 8 x slots
 *  +---------------------------------------------------------------+
 *
 * index word: 0 = empty, -1 = deleted (map), else
 *  +-------------------------------+-------------------------------+
 *  |   key hash (map; 0 in a list) |  record offset / 8 + 1        |
 *  +-------------------------------+-------------------------------+
 *
 * record:
 *  +-------------------------------+-------------------------------+
 *  |   length (16 + key + value)   |   key hash                    |  0
 *  +-------------------------------+-------------------------------+
 *  |   key length (0 in a list)    |   value length                |  8
 *  +-------------------------------+-------------------------------+
 *  |   key bytes, value bytes (codec encodings), padding to 8      | 16
 *  +---------------------------------------------------------------+
 * </pre>
 *
 * <h2>Crash consistency</h2>
 * A published record is never written again while its space is active. A writer (under the
 * lock) first advances the bump pointer, then writes the record into that unreferenced space,
 * then publishes it with one release store of an index word (map), or of the index word and
 * then the count (list). A writer that dies at any point leaves either the old or the new
 * structure, plus at worst some leaked bytes and stale counters; the next lock holder sees
 * {@code ownerDied()} and recounts. A compaction (or a list's insertion or removal in the middle)
 * builds a complete new index and data area in the inactive space and flips {@code epoch} with
 * one store; dying before the flip leaves the active space untouched.
 *
 * <h2>Codecs</h2>
 * The creator records the {@link dev.shmkit.queue.Codec#name() names} of its codecs (at most
 * 255 UTF-8 bytes each); an opener whose codec has another known name is refused, as a queue
 * refuses one, while custom codecs (no name) are never checked and the byte codecs open any
 * object as a raw view.
 *
 * <h2>Readers</h2>
 * Readers take no lock: they read the epoch, look up in the active space, copy the bytes they
 * need, then re-read the epoch, and retry if it changed (the space they read may then be
 * rebuilt by the next compaction). Everything read is bounds-checked against the sizes cached
 * when the object was opened.
 */
final class StoreDescriptor {
    private StoreDescriptor() {}

    static final long EPOCH_OFFSET = 128;
    static final long REPAIRS_OFFSET = 136;
    static final long DROPPED_OFFSET = 144;
    static final long KEY_CODEC_OFFSET = 256;
    static final long VALUE_CODEC_OFFSET = 512;
    static final int CODEC_NAME_MAX = 255;
    static final long SPACES_OFFSET = 768;

    static final long SPACE_BUMP_OFFSET = 0;
    static final long SPACE_COUNT_OFFSET = 8;
    static final long SPACE_USED_OFFSET = 16;
    static final long SPACE_GARBAGE_OFFSET = 24;
    static final long SPACE_INDEX_OFFSET = 64;

    static final long EMPTY = 0L;
    static final long DELETED = -1L;

    static final int RECORD_LENGTH_OFFSET = 0;
    static final int RECORD_HASH_OFFSET = 4;
    static final int RECORD_KEY_LENGTH_OFFSET = 8;
    static final int RECORD_VALUE_LENGTH_OFFSET = 12;
    static final int RECORD_HEADER = 16;

    static final int ALIGNMENT = 8;

    static long align(long n) {
        return Math.addExact(n, ALIGNMENT - 1) & -ALIGNMENT;
    }

    /** Index slots of a map holding up to {@code capacity} entries: a power of two, at most 3/4 full of live entries. */
    static long mapSlots(long capacity) {
        long min = Math.max(8, capacity + (capacity + 2) / 3);
        return Long.highestOneBit(min - 1) << 1;
    }

    /** Live plus deleted slots above which an insertion compacts the map first (7/8 of the slots). */
    static long maxUsedSlots(long slots) {
        return slots - slots / 8;
    }

    static long spaceLength(long slots, long dataBytes) {
        return Math.addExact(Math.addExact(SPACE_INDEX_OFFSET, Math.multiplyExact(slots, 8L)), dataBytes);
    }

    static long word(int hash, long recordOffset) {
        return ((long) hash << 32) | ((recordOffset >>> 3) + 1);
    }

    /** The record offset an index word refers to, or -1 for one that cannot refer to a record. */
    static long recordOffset(long word) {
        long units = word & 0xffff_ffffL;
        if (units == 0 || units == 0xffff_ffffL) return -1;
        return (units - 1) << 3;
    }

    static int wordHash(long word) {
        return (int) (word >>> 32);
    }
}
