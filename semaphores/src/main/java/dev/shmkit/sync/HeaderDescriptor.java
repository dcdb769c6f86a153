package dev.shmkit.sync;

/**
 * The 8-byte header every shared synchronization object starts with, so that a region that is
 * not the expected object (never initialized, another kind, another version, overwritten) is
 * refused with a clear error instead of being trusted.
 *
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +---------------------------------------------------------------+
 *  |                      magic 0x53594e43 "SYNC"                  |  0
 *  +-------------------------------+-------------------------------+
 *  |            kind               |           version             |  4
 *  +-------------------------------+-------------------------------+
 * </pre>
 *
 * The creator writes the body first and the magic last, with release semantics; an opener
 * reads the magic with acquire semantics, so a fully initialized body is all it can see.
 */
final class HeaderDescriptor {
    private HeaderDescriptor() {}

    static final int MAGIC = 0x53594e43;
    static final short VERSION = 1;

    static final long MAGIC_OFFSET = 0;
    static final long KIND_OFFSET = 4;
    static final long VERSION_OFFSET = 6;
    static final long LENGTH = 8;
}
