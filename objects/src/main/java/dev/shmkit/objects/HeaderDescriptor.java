package dev.shmkit.objects;

/**
 * The 64-byte header every shared object starts with, followed by the 64-byte slot of its
 * {@link dev.shmkit.sync.SharedLock}, so that a region that is not the expected object (never
 * initialized, another kind or type, another version, overwritten, or with sizes that do not add
 * up) is refused with a clear error instead of being trusted.
 *
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +---------------------------------------------------------------+
 *  |                    magic 0x534f424a "SOBJ"                    |  0
 *  +-------------------------------+-------------------------------+
 *  |     kind (1 value, 2 array,   |           version             |  4
 *  |           3 map, 4 list)      |                               |
 *  +-------------------------------+-------------------------------+
 *  |  element type (value, array)  |     flags (bit 0: has lock)   |  8
 *  +-------------------------------+-------------------------------+
 *  |        element size in bytes (value, array; else 0)           | 12
 *  +---------------------------------------------------------------+
 *  |               region length in bytes (64 bits)                | 16
 *  +---------------------------------------------------------------+
 *  |  count (64 bits): array length; map/list capacity; value 1    | 24
 *  +---------------------------------------------------------------+
 *  |        index slots per space (64 bits; map, list; else 0)     | 32
 *  +---------------------------------------------------------------+
 *  |        data bytes per space (64 bits; map, list; else 0)      | 40
 *  +---------------------------------------------------------------+
 *  |                         reserved                              | 48..63
 *  +---------------------------------------------------------------+
 *  |        lock: a SharedLock region (64 bytes) when flag 0       | 64..127
 *  +---------------------------------------------------------------+
 *  |        body (see ValueDescriptor, ArrayDescriptor, ...)       | 128
 * </pre>
 *
 * The creator writes the body and every header field first and the magic last, with release
 * semantics; an opener reads the magic with acquire semantics, so a fully initialized object is
 * all it can see. An opener recomputes the region length from kind, type, sizes and counts and
 * refuses the object unless it equals the recorded length and fits the mapping; the sizes are
 * read once, when opening, and every later offset is checked against those cached values.
 */
final class HeaderDescriptor {
    private HeaderDescriptor() {}

    static final int MAGIC = 0x534f424a;
    static final short VERSION = 1;

    static final long MAGIC_OFFSET = 0;
    static final long KIND_OFFSET = 4;
    static final long VERSION_OFFSET = 6;
    static final long TYPE_OFFSET = 8;
    static final long FLAGS_OFFSET = 10;
    static final long ELEMENT_SIZE_OFFSET = 12;
    static final long LENGTH_OFFSET = 16;
    static final long COUNT_OFFSET = 24;
    static final long SLOTS_OFFSET = 32;
    static final long DATA_BYTES_OFFSET = 40;
    static final long LENGTH = 64;

    static final long LOCK_OFFSET = 64;
    static final long BODY_OFFSET = 128;

    static final short FLAG_LOCK = 1;
    static final short KNOWN_FLAGS = FLAG_LOCK;
}
