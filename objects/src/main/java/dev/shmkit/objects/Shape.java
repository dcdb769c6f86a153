package dev.shmkit.objects;

/**
 * What an object's header says about its layout: kind, element type, lock flag and sizes. Built
 * either by a creator from its arguments ({@link #checkedForCreate}) or by an opener from
 * untrusted shared memory ({@link #read}); {@link #length()} is computed with overflow checks
 * and is the one figure every bound derives from.
 */
record Shape(ObjectKind kind, ElementType type, boolean locked, int elementSize, long count, long slots,
             long dataBytes, long length) {

    /** Largest {@link ElementType#BYTES} value: 1 MiB. */
    static final int MAX_VALUE_BYTES = 1 << 20;
    /** Largest map or list capacity (entries or elements). */
    static final long MAX_ENTRIES = 1L << 28;
    /** Largest data area of a map or list space: record offsets are stored in 8-byte units in 32 bits. */
    static final long MAX_DATA_BYTES = 1L << 34;
    /** Smallest data area of a map or list space. */
    static final long MIN_DATA_BYTES = 64;

    static Shape value(ElementType type, int bytes, boolean locked) {
        if (!type.forValues()) throw new IllegalArgumentException("a shared value cannot be of type " + type);
        int size = type == ElementType.BYTES ? bytes : type.size;
        if (type == ElementType.BYTES && (bytes < 0 || bytes > MAX_VALUE_BYTES)) {
            throw new IllegalArgumentException("a bytes value holds 0 to " + MAX_VALUE_BYTES + " bytes, not " + bytes);
        }
        return of(ObjectKind.VALUE, type, locked, size, 1, 0, 0);
    }

    static Shape array(ElementType type, long length, boolean locked) {
        if (!type.forArrays()) throw new IllegalArgumentException("a shared array cannot hold " + type);
        if (length < 0 || length > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("an array length must be 0 to " + (Integer.MAX_VALUE - 8) + ", was " + length);
        }
        return of(ObjectKind.ARRAY, type, locked, type.size, length, 0, 0);
    }

    static Shape map(long capacity, long dataBytes) {
        checkStore("map", capacity, dataBytes);
        return of(ObjectKind.MAP, null, true, 0, capacity, StoreDescriptor.mapSlots(capacity), StoreDescriptor.align(dataBytes));
    }

    static Shape list(long capacity, long dataBytes) {
        checkStore("list", capacity, dataBytes);
        return of(ObjectKind.LIST, null, true, 0, capacity, capacity, StoreDescriptor.align(dataBytes));
    }

    private static void checkStore(String what, long capacity, long dataBytes) {
        if (capacity < 1 || capacity > MAX_ENTRIES) {
            throw new IllegalArgumentException("a " + what + "'s capacity must be 1 to " + MAX_ENTRIES + " entries, was " + capacity);
        }
        if (dataBytes < MIN_DATA_BYTES || dataBytes > MAX_DATA_BYTES) {
            throw new IllegalArgumentException("a " + what + "'s data size must be " + MIN_DATA_BYTES + " bytes to "
                    + (MAX_DATA_BYTES >> 30) + " GiB, was " + dataBytes);
        }
    }

    private static Shape of(ObjectKind kind, ElementType type, boolean locked, int elementSize, long count, long slots, long dataBytes) {
        return new Shape(kind, type, locked, elementSize, count, slots, dataBytes,
                lengthOf(kind, type, elementSize, count, slots, dataBytes));
    }

    /** The region length the fields imply; throws ArithmeticException or IllegalArgumentException when they make no sense. */
    private static long lengthOf(ObjectKind kind, ElementType type, int elementSize, long count, long slots, long dataBytes) {
        return switch (kind) {
            case VALUE -> ValueDescriptor.length(type, elementSize);
            case ARRAY -> Math.addExact(HeaderDescriptor.BODY_OFFSET, StoreDescriptor.align(Math.multiplyExact(count, (long) elementSize)));
            case MAP, LIST -> Math.addExact(StoreDescriptor.SPACES_OFFSET,
                    Math.multiplyExact(2L, StoreDescriptor.spaceLength(slots, dataBytes)));
        };
    }

    /**
     * Reads and checks the header at the start of {@code s} (at least {@link HeaderDescriptor#LENGTH}
     * bytes), after its magic was seen: every field from shared memory is untrusted.
     *
     * @param where  how to name the object in messages ("map /jobs")
     * @param expect the kind the caller wants
     */
    static Shape read(java.lang.foreign.MemorySegment s, String where, ObjectKind expect) {
        short version = (short) Handles.SHORT.get(s, HeaderDescriptor.VERSION_OFFSET);
        if (version != HeaderDescriptor.VERSION) {
            throw new IllegalStateException(where + " has layout version " + version + "; this shmkit reads version " + HeaderDescriptor.VERSION);
        }
        short kindCode = (short) Handles.SHORT.get(s, HeaderDescriptor.KIND_OFFSET);
        ObjectKind kind = ObjectKind.of(kindCode);
        if (kind == null) throw new IllegalStateException(where + " is a shmkit object of unknown kind " + kindCode);
        if (expect != null && kind != expect) {
            throw new IllegalStateException(where + " is " + kind.withArticle() + ", not " + expect.withArticle());
        }
        short typeCode = (short) Handles.SHORT.get(s, HeaderDescriptor.TYPE_OFFSET);
        short flags = (short) Handles.SHORT.get(s, HeaderDescriptor.FLAGS_OFFSET);
        int elementSize = (int) Handles.INT.get(s, HeaderDescriptor.ELEMENT_SIZE_OFFSET);
        long length = (long) Handles.LONG.get(s, HeaderDescriptor.LENGTH_OFFSET);
        long count = (long) Handles.LONG.get(s, HeaderDescriptor.COUNT_OFFSET);
        long slots = (long) Handles.LONG.get(s, HeaderDescriptor.SLOTS_OFFSET);
        long dataBytes = (long) Handles.LONG.get(s, HeaderDescriptor.DATA_BYTES_OFFSET);
        String corrupt = where + " has a corrupt header: ";
        if ((flags & ~HeaderDescriptor.KNOWN_FLAGS) != 0) throw new IllegalStateException(corrupt + "unknown flags 0x" + Integer.toHexString(flags & ~HeaderDescriptor.KNOWN_FLAGS & 0xffff));
        boolean locked = (flags & HeaderDescriptor.FLAG_LOCK) != 0;
        ElementType type = null;
        Shape expected;
        try {
            switch (kind) {
                case VALUE, ARRAY -> {
                    type = ElementType.of(typeCode);
                    if (type == null) throw new IllegalArgumentException("unknown element type " + typeCode);
                    if (kind == ObjectKind.VALUE) {
                        if (count != 1 || slots != 0 || dataBytes != 0) throw new IllegalArgumentException("value with count " + count);
                        expected = value(type, elementSize, locked);
                    } else {
                        if (slots != 0 || dataBytes != 0) throw new IllegalArgumentException("array with index fields set");
                        expected = array(type, count, locked);
                    }
                    if (expected.elementSize != elementSize) {
                        throw new IllegalArgumentException("element size " + elementSize + " for type " + type.label());
                    }
                }
                default -> {
                    if (typeCode != 0 || elementSize != 0) throw new IllegalArgumentException("element type " + typeCode + " in a " + kind.label());
                    if (!locked) throw new IllegalArgumentException("a " + kind.label() + " without its lock");
                    if (dataBytes % StoreDescriptor.ALIGNMENT != 0) throw new IllegalArgumentException("data size " + dataBytes + " is not a multiple of 8");
                    expected = kind == ObjectKind.MAP ? map(count, dataBytes) : list(count, dataBytes);
                    if (expected.slots != slots) throw new IllegalArgumentException(slots + " index slots for capacity " + count);
                }
            }
        } catch (IllegalArgumentException | ArithmeticException e) {
            throw new IllegalStateException(corrupt + e.getMessage(), e);
        }
        if (expected.length != length) {
            throw new IllegalStateException(corrupt + "its sizes add up to " + expected.length + " bytes, but it records " + length);
        }
        return expected;
    }

    /** Writes every header field but the magic. */
    void write(java.lang.foreign.MemorySegment s) {
        Handles.SHORT.set(s, HeaderDescriptor.KIND_OFFSET, kind.code);
        Handles.SHORT.set(s, HeaderDescriptor.VERSION_OFFSET, HeaderDescriptor.VERSION);
        Handles.SHORT.set(s, HeaderDescriptor.TYPE_OFFSET, type == null ? (short) 0 : type.code);
        Handles.SHORT.set(s, HeaderDescriptor.FLAGS_OFFSET, locked ? HeaderDescriptor.FLAG_LOCK : (short) 0);
        Handles.INT.set(s, HeaderDescriptor.ELEMENT_SIZE_OFFSET, elementSize);
        Handles.LONG.set(s, HeaderDescriptor.LENGTH_OFFSET, length);
        Handles.LONG.set(s, HeaderDescriptor.COUNT_OFFSET, count);
        Handles.LONG.set(s, HeaderDescriptor.SLOTS_OFFSET, slots);
        Handles.LONG.set(s, HeaderDescriptor.DATA_BYTES_OFFSET, dataBytes);
    }
}
