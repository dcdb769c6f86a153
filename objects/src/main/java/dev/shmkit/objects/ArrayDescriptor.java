package dev.shmkit.objects;

/**
 * Layout of a {@link SharedArray}: the common header and lock slot, then the elements.
 *
 * <pre>
 *  +---------------------------------------------------------------+
 *  |   header (magic "SOBJ", kind 2, version, type, flags,         |  0
 *  |           element size, length)                               |
 *  +---------------------------------------------------------------+
 *  |   lock (SharedLock region; initialized when flag 0 is set)    | 64
 *  +---------------------------------------------------------------+
 *  |   element 0 | element 1 | ...  (length x element size,        | 128
 *  |   native byte order, padded to a multiple of 8)               |
 *  +---------------------------------------------------------------+
 * </pre>
 *
 * The elements start 128 bytes into the region, so they are as aligned as the region is (8 bytes
 * at least, 64 for a named array): every element is naturally aligned, so atomic access works.
 */
final class ArrayDescriptor {
    private ArrayDescriptor() {}

    static final long ELEMENTS_OFFSET = HeaderDescriptor.BODY_OFFSET;
}
