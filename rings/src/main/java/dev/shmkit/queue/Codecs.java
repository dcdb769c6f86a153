package dev.shmkit.queue;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/** The built-in codecs, and the checks every decoder makes before reading shared memory. */
final class Codecs {
    private Codecs() {}

    static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(java.nio.ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(java.nio.ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfDouble DOUBLE = ValueLayout.JAVA_DOUBLE_UNALIGNED.withOrder(java.nio.ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfFloat FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(java.nio.ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfShort SHORT = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(java.nio.ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfChar CHAR = ValueLayout.JAVA_CHAR_UNALIGNED.withOrder(java.nio.ByteOrder.LITTLE_ENDIAN);

    /** The name the byte codecs share: any queue can be read raw with them. */
    static final String BYTES_NAME = "bytes";

    /**
     * Codecs shmkit wrote whose elements cannot change size between {@code size()} and
     * {@code encode()}: trusted to write only their bytes, so handed the ring itself rather than
     * a bounded slice. (A {@code ByteBuffer}, or a record holding one, can change its remaining
     * bytes meanwhile from another thread.)
     */
    interface Trusted {}

    private abstract static class TrustedBuiltin<E> extends Builtin<E> implements Trusted {}

    /** Refuses a region that does not lie within {@code source}; every decoder calls it first. */
    static void check(MemorySegment source, long offset, int length, String what) {
        if (length < 0 || offset < 0 || offset > source.byteSize() - length) {
            throw new IllegalStateException("corrupt " + what + " element: " + length + " bytes at offset " + offset
                    + " do not lie within the " + source.byteSize() + "-byte region");
        }
    }

    static void checkFixed(MemorySegment source, long offset, int length, int expected, String what) {
        check(source, offset, length, what);
        if (length != expected) {
            throw new IllegalStateException("corrupt " + what + " element: " + length + " bytes, expected exactly " + expected);
        }
    }

    static byte[] copy(MemorySegment source, long offset, int length) {
        byte[] b = new byte[length];
        MemorySegment.copy(source, ValueLayout.JAVA_BYTE, offset, b, 0, length);
        return b;
    }

    /** Bytes {@code s} takes in UTF-8 as {@link String#getBytes} writes it (an unpaired surrogate is one '?'). */
    static int utf8Length(String s) {
        int n = s.length();
        long bytes = n;
        for (int i = 0; i < n; i++) {
            char c = s.charAt(i);
            if (c < 0x80) continue;
            if (c < 0x800) {
                bytes += 1;
            } else if (Character.isHighSurrogate(c) && i + 1 < n && Character.isLowSurrogate(s.charAt(i + 1))) {
                bytes += 2; // two chars, four bytes
                i++;
            } else if (Character.isSurrogate(c)) {
                // unpaired: replaced by '?', one byte
            } else {
                bytes += 2;
            }
        }
        if (bytes > Integer.MAX_VALUE) throw new IllegalArgumentException("a string of " + bytes + " UTF-8 bytes is too long");
        return (int) bytes;
    }

    /** Writes {@code s} as UTF-8, {@code utf8} bytes long; writes ASCII in place, without a temporary array. */
    static void writeUtf8(String s, int utf8, MemorySegment target, long offset) {
        int n = s.length();
        if (utf8 == n) {
            for (int i = 0; i < n; i++) {
                char c = s.charAt(i);
                target.set(ValueLayout.JAVA_BYTE, offset + i, c < 0x80 ? (byte) c : (byte) '?');
            }
            return;
        }
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        if (b.length != utf8) throw new IllegalStateException("UTF-8 length of a string changed: " + b.length + " != " + utf8);
        MemorySegment.copy(b, 0, target, ValueLayout.JAVA_BYTE, offset, b.length);
    }

    static String readUtf8(MemorySegment source, long offset, int length) {
        return new String(copy(source, offset, length), StandardCharsets.UTF_8);
    }

    // ------------------------------------------------------------------ the built-ins

    static final Codec<byte[]> BYTES = new TrustedBuiltin<>() {
        @Override
        public int size(byte[] value) {
            return value.length;
        }

        @Override
        public void encode(byte[] value, MemorySegment target, long offset) {
            MemorySegment.copy(value, 0, target, ValueLayout.JAVA_BYTE, offset, value.length);
        }

        @Override
        public byte[] decode(MemorySegment source, long offset, int length) {
            check(source, offset, length, "bytes");
            return copy(source, offset, length);
        }

        @Override
        public String name() {
            return BYTES_NAME;
        }
    };

    static final Codec<String> STRING = new TrustedBuiltin<>() {
        @Override
        public int size(String value) {
            return utf8Length(value);
        }

        @Override
        public void encode(String value, MemorySegment target, long offset) {
            writeUtf8(value, utf8Length(value), target, offset);
        }

        @Override
        public String decode(MemorySegment source, long offset, int length) {
            check(source, offset, length, "string");
            return readUtf8(source, offset, length);
        }

        @Override
        public String name() {
            return "string";
        }
    };

    static final Codec<Integer> INTS = new TrustedBuiltin<>() {
        @Override
        public int size(Integer value) {
            return 4;
        }

        @Override
        public void encode(Integer value, MemorySegment target, long offset) {
            target.set(INT, offset, value);
        }

        @Override
        public Integer decode(MemorySegment source, long offset, int length) {
            checkFixed(source, offset, length, 4, "ints");
            return source.get(INT, offset);
        }

        @Override
        public String name() {
            return "ints";
        }

        @Override
        public int fixedSize() {
            return 4;
        }
    };

    static final Codec<Long> LONGS = new TrustedBuiltin<>() {
        @Override
        public int size(Long value) {
            return 8;
        }

        @Override
        public void encode(Long value, MemorySegment target, long offset) {
            target.set(LONG, offset, value);
        }

        @Override
        public Long decode(MemorySegment source, long offset, int length) {
            checkFixed(source, offset, length, 8, "longs");
            return source.get(LONG, offset);
        }

        @Override
        public String name() {
            return "longs";
        }

        @Override
        public int fixedSize() {
            return 8;
        }
    };

    static final Codec<Double> DOUBLES = new TrustedBuiltin<>() {
        @Override
        public int size(Double value) {
            return 8;
        }

        @Override
        public void encode(Double value, MemorySegment target, long offset) {
            target.set(DOUBLE, offset, value);
        }

        @Override
        public Double decode(MemorySegment source, long offset, int length) {
            checkFixed(source, offset, length, 8, "doubles");
            return source.get(DOUBLE, offset);
        }

        @Override
        public String name() {
            return "doubles";
        }

        @Override
        public int fixedSize() {
            return 8;
        }
    };

    static final Codec<ByteBuffer> BYTE_BUFFER = new Builtin<>() {
        @Override
        public int size(ByteBuffer value) {
            return value.remaining();
        }

        @Override
        public void encode(ByteBuffer value, MemorySegment target, long offset) {
            MemorySegment.copy(MemorySegment.ofBuffer(value), 0, target, offset, value.remaining());
        }

        @Override
        public ByteBuffer decode(MemorySegment source, long offset, int length) {
            check(source, offset, length, "byte buffer");
            return ByteBuffer.wrap(copy(source, offset, length));
        }

        @Override
        public String name() {
            return BYTES_NAME;
        }
    };

    static final Codec<MemorySegment> SEGMENT = new TrustedBuiltin<>() {
        @Override
        public int size(MemorySegment value) {
            if (value.byteSize() > Integer.MAX_VALUE) throw new IllegalArgumentException("a segment of " + value.byteSize() + " bytes is too large");
            return (int) value.byteSize();
        }

        @Override
        public void encode(MemorySegment value, MemorySegment target, long offset) {
            MemorySegment.copy(value, 0, target, offset, value.byteSize());
        }

        @Override
        public MemorySegment decode(MemorySegment source, long offset, int length) {
            check(source, offset, length, "segment");
            return MemorySegment.ofArray(copy(source, offset, length));
        }

        @Override
        public String name() {
            return BYTES_NAME;
        }
    };

    private abstract static class Builtin<E> implements Codec<E> {
        @Override
        public String toString() {
            return "Codec." + name();
        }
    }
}
