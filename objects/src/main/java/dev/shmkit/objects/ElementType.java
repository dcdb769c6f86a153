package dev.shmkit.objects;

/**
 * The type of a {@link SharedValue} or of the elements of a {@link SharedArray}, as recorded in
 * the object's header. Python's type codes for comparison: {@code 'i'} is {@link #INT},
 * {@code 'q'} {@link #LONG}, {@code 'd'} {@link #DOUBLE}, {@code 'b'} {@link #BYTE},
 * {@code '?'} {@link #BOOLEAN}.
 */
public enum ElementType {
    /** 32-bit {@code int}. Values and arrays. */
    INT(1, 4),
    /** 64-bit {@code long}. Values and arrays. */
    LONG(2, 8),
    /** 64-bit {@code double}. Values and arrays. */
    DOUBLE(3, 8),
    /** {@code boolean}, stored as a 32-bit word (0 or 1). Values only. */
    BOOLEAN(4, 4),
    /** 8-bit {@code byte}. Arrays only. */
    BYTE(5, 1),
    /** Up to a fixed number of bytes (a small record through a codec, or raw bytes). Values only. */
    BYTES(6, 0);

    final short code;
    final int size;

    ElementType(int code, int size) {
        this.code = (short) code;
        this.size = size;
    }

    /** Bytes one element takes; 0 for {@link #BYTES}, whose size is chosen at creation. */
    public int byteSize() {
        return size;
    }

    /** The lower-case name the CLI uses ({@code int}, {@code long}, ...). */
    public String label() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }

    boolean forValues() {
        return this != BYTE;
    }

    boolean forArrays() {
        return this == INT || this == LONG || this == DOUBLE || this == BYTE;
    }

    static ElementType of(short code) {
        for (ElementType t : values()) if (t.code == code) return t;
        return null;
    }
}
