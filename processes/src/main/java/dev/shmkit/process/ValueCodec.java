package dev.shmkit.process;

import dev.shmkit.queue.Codec;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.NotSerializableException;
import java.io.ObjectOutputStream;
import java.io.Serializable;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.AbstractMap;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;

/**
 * The default encoding of task inputs and results: one tag byte, then the value. Common types are
 * written directly, with no serialization: {@code null}, the boxes, {@code String} (UTF-8),
 * {@code byte[]}, {@code MemorySegment}, {@code int[]}, {@code long[]}, {@code double[]}, and
 * {@code List}, {@code Object[]} and {@code Map.Entry} of such values (a {@code List} arrives as an
 * {@code ArrayList}, any {@code Map.Entry} as an immutable {@code AbstractMap.SimpleImmutableEntry}). Any other {@link Serializable}
 * value goes through Java serialization, read back with {@link Codec#serialized} and the pool's
 * {@link AllowList}.
 *
 * <p>A {@code MemorySegment} input is handed to the task in place when {@code inPlaceSegments}:
 * a read-only view of the record in the ring, valid only while the task runs (zero copy).
 *
 * <p>Not thread-safe: each thread that encodes uses its own instance (the serialized form of a
 * value is kept between {@link #size} and {@link #encode}).
 */
final class ValueCodec implements Codec<Object> {
    static final byte NULL = 0, INT = 1, LONG = 2, DOUBLE = 3, STRING = 4, BYTES = 5, SEGMENT = 6, BOOLEAN = 7,
            FLOAT = 8, SHORT = 9, BYTE = 10, CHAR = 11, INT_ARRAY = 12, LONG_ARRAY = 13, DOUBLE_ARRAY = 14,
            LIST = 15, OBJECT_ARRAY = 16, ENTRY = 17, SERIALIZED = 18;

    private static final ValueLayout.OfInt I = ValueLayout.JAVA_INT_UNALIGNED;
    private static final ValueLayout.OfLong L = ValueLayout.JAVA_LONG_UNALIGNED;
    private static final ValueLayout.OfDouble D = ValueLayout.JAVA_DOUBLE_UNALIGNED;
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT_UNALIGNED;
    private static final ValueLayout.OfShort S = ValueLayout.JAVA_SHORT_UNALIGNED;
    private static final ValueLayout.OfChar C = ValueLayout.JAVA_CHAR_UNALIGNED;
    private static final int MAX_DEPTH = 64;

    private final AllowList allowList;
    private final boolean inPlaceSegments;
    private final Consumer<Set<String>> serializedClasses;
    private final Codec<Object> serialized;
    private final IdentityHashMap<Object, byte[]> pending = new IdentityHashMap<>();

    /**
     * @param allowList         what Java serialization may instantiate on decode
     * @param inPlaceSegments   decode {@code MemorySegment}s as views of the record instead of copies
     * @param serializedClasses told the classes of each value this codec serializes (may be null)
     */
    ValueCodec(AllowList allowList, boolean inPlaceSegments, Consumer<Set<String>> serializedClasses) {
        this.allowList = allowList;
        this.inPlaceSegments = inPlaceSegments;
        this.serializedClasses = serializedClasses;
        this.serialized = Codec.serialized(allowList);
    }

    @Override
    public int size(Object value) {
        if (!pending.isEmpty()) pending.clear();
        long n = sizeOf(value, 0);
        if (n > Integer.MAX_VALUE - 64) throw new IllegalArgumentException("a value of " + n + " bytes is too large to send");
        return (int) n;
    }

    private long sizeOf(Object v, int depth) {
        if (depth > MAX_DEPTH) throw new IllegalArgumentException("value nested deeper than " + MAX_DEPTH + " levels (a cycle?)");
        return switch (v) {
            case null -> 1;
            case Integer x -> 5;
            case Long x -> 9;
            case Double x -> 9;
            case String s -> 1L + Codec.string().size(s);
            case byte[] b -> 1L + b.length;
            case MemorySegment m -> 1L + m.byteSize();
            case Boolean x -> 2;
            case Float x -> 5;
            case Short x -> 3;
            case Byte x -> 2;
            case Character x -> 3;
            case int[] a -> 1L + 4L * a.length;
            case long[] a -> 1L + 8L * a.length;
            case double[] a -> 1L + 8L * a.length;
            case List<?> list -> {
                long n = 5;
                for (Object e : list) n += 4 + sizeOf(e, depth + 1);
                yield n;
            }
            case Object[] a when a.getClass() == Object[].class -> {
                long n = 5;
                for (Object e : a) n += 4 + sizeOf(e, depth + 1);
                yield n;
            }
            case Map.Entry<?, ?> e ->
                    9 + sizeOf(e.getKey(), depth + 1) + sizeOf(e.getValue(), depth + 1);
            default -> 1L + serialize(v).length;
        };
    }

    private byte[] serialize(Object v) {
        byte[] b = pending.get(v);
        if (b != null) return b;
        if (!(v instanceof Serializable)) {
            throw new IllegalArgumentException("cannot send a " + v.getClass().getName()
                    + " to another process: it is not one of the types the pool encodes directly and not Serializable");
        }
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(128);
        Set<String> classes = new LinkedHashSet<>();
        try (ObjectOutputStream out = new ObjectOutputStream(bytes) {
            @Override
            protected void annotateClass(Class<?> cl) {
                classes.add(cl.getName());
            }
        }) {
            out.writeObject(v);
        } catch (NotSerializableException e) {
            throw new IllegalArgumentException("cannot send a " + v.getClass().getName() + " to another process: "
                    + e.getMessage() + " is not serializable", e);
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot serialize a " + v.getClass().getName() + ": " + e, e);
        }
        if (serializedClasses != null) serializedClasses.accept(classes);
        b = bytes.toByteArray();
        pending.put(v, b);
        return b;
    }

    @Override
    public void encode(Object value, MemorySegment target, long offset) {
        try {
            write(value, target, offset, 0);
        } finally {
            if (!pending.isEmpty()) pending.clear();
        }
    }

    private long write(Object v, MemorySegment t, long o, int depth) {
        switch (v) {
            case null -> {
                t.set(ValueLayout.JAVA_BYTE, o, NULL);
                return o + 1;
            }
            case Integer x -> {
                t.set(ValueLayout.JAVA_BYTE, o, INT);
                t.set(I, o + 1, x);
                return o + 5;
            }
            case Long x -> {
                t.set(ValueLayout.JAVA_BYTE, o, LONG);
                t.set(L, o + 1, x);
                return o + 9;
            }
            case Double x -> {
                t.set(ValueLayout.JAVA_BYTE, o, DOUBLE);
                t.set(D, o + 1, x);
                return o + 9;
            }
            case String s -> {
                int n = Codec.string().size(s);
                t.set(ValueLayout.JAVA_BYTE, o, STRING);
                Codec.string().encode(s, t, o + 1);
                return o + 1 + n;
            }
            case byte[] b -> {
                t.set(ValueLayout.JAVA_BYTE, o, BYTES);
                MemorySegment.copy(b, 0, t, ValueLayout.JAVA_BYTE, o + 1, b.length);
                return o + 1 + b.length;
            }
            case MemorySegment m -> {
                t.set(ValueLayout.JAVA_BYTE, o, SEGMENT);
                MemorySegment.copy(m, 0, t, o + 1, m.byteSize());
                return o + 1 + m.byteSize();
            }
            case Boolean x -> {
                t.set(ValueLayout.JAVA_BYTE, o, BOOLEAN);
                t.set(ValueLayout.JAVA_BYTE, o + 1, x ? (byte) 1 : 0);
                return o + 2;
            }
            case Float x -> {
                t.set(ValueLayout.JAVA_BYTE, o, FLOAT);
                t.set(F, o + 1, x);
                return o + 5;
            }
            case Short x -> {
                t.set(ValueLayout.JAVA_BYTE, o, SHORT);
                t.set(S, o + 1, x);
                return o + 3;
            }
            case Byte x -> {
                t.set(ValueLayout.JAVA_BYTE, o, BYTE);
                t.set(ValueLayout.JAVA_BYTE, o + 1, x);
                return o + 2;
            }
            case Character x -> {
                t.set(ValueLayout.JAVA_BYTE, o, CHAR);
                t.set(C, o + 1, x);
                return o + 3;
            }
            case int[] a -> {
                t.set(ValueLayout.JAVA_BYTE, o, INT_ARRAY);
                MemorySegment.copy(a, 0, t, I, o + 1, a.length);
                return o + 1 + 4L * a.length;
            }
            case long[] a -> {
                t.set(ValueLayout.JAVA_BYTE, o, LONG_ARRAY);
                MemorySegment.copy(a, 0, t, L, o + 1, a.length);
                return o + 1 + 8L * a.length;
            }
            case double[] a -> {
                t.set(ValueLayout.JAVA_BYTE, o, DOUBLE_ARRAY);
                MemorySegment.copy(a, 0, t, D, o + 1, a.length);
                return o + 1 + 8L * a.length;
            }
            case List<?> list -> {
                t.set(ValueLayout.JAVA_BYTE, o, LIST);
                return writeElements(list, list.size(), t, o, depth);
            }
            case Object[] a when a.getClass() == Object[].class -> {
                t.set(ValueLayout.JAVA_BYTE, o, OBJECT_ARRAY);
                return writeElements(java.util.Arrays.asList(a), a.length, t, o, depth);
            }
            case Map.Entry<?, ?> e -> {
                t.set(ValueLayout.JAVA_BYTE, o, ENTRY);
                long p = o + 1;
                long at = p;
                p = write(e.getKey(), t, p + 4, depth + 1);
                t.set(I, at, (int) (p - at - 4));
                at = p;
                p = write(e.getValue(), t, p + 4, depth + 1);
                t.set(I, at, (int) (p - at - 4));
                return p;
            }
            default -> {
                byte[] b = serialize(v);
                t.set(ValueLayout.JAVA_BYTE, o, SERIALIZED);
                MemorySegment.copy(b, 0, t, ValueLayout.JAVA_BYTE, o + 1, b.length);
                return o + 1 + b.length;
            }
        }
    }

    private long writeElements(Iterable<?> elements, int count, MemorySegment t, long o, int depth) {
        t.set(I, o + 1, count);
        long p = o + 5;
        int written = 0;
        for (Object e : elements) {
            long at = p;
            p = write(e, t, p + 4, depth + 1);
            t.set(I, at, (int) (p - at - 4));
            written++;
        }
        if (written != count) throw new IllegalStateException("a list changed while it was being sent");
        return p;
    }

    @Override
    public Object decode(MemorySegment source, long offset, int length) {
        if (length < 1 || offset < 0 || offset > source.byteSize() - length) {
            throw new IllegalStateException("corrupt value: " + length + " bytes at offset " + offset);
        }
        return read(source, offset, length, 0);
    }

    private Object read(MemorySegment s, long o, int len, int depth) {
        if (len < 1) throw new IllegalStateException("corrupt value: empty");
        if (depth > MAX_DEPTH) throw new IllegalStateException("corrupt value: nested deeper than " + MAX_DEPTH);
        byte tag = s.get(ValueLayout.JAVA_BYTE, o);
        long p = o + 1;
        int n = len - 1;
        return switch (tag) {
            case NULL -> need(n, 0) ? null : null;
            case INT -> need(n, 4) ? s.get(I, p) : null;
            case LONG -> need(n, 8) ? s.get(L, p) : null;
            case DOUBLE -> need(n, 8) ? s.get(D, p) : null;
            case FLOAT -> need(n, 4) ? s.get(F, p) : null;
            case SHORT -> need(n, 2) ? s.get(S, p) : null;
            case BYTE -> need(n, 1) ? s.get(ValueLayout.JAVA_BYTE, p) : null;
            case CHAR -> need(n, 2) ? s.get(C, p) : null;
            case BOOLEAN -> {
                need(n, 1);
                byte b = s.get(ValueLayout.JAVA_BYTE, p);
                if (b != 0 && b != 1) throw new IllegalStateException("corrupt boolean value " + b);
                yield b == 1;
            }
            case STRING -> Codec.string().decode(s, p, n);
            case BYTES -> Codec.bytes().decode(s, p, n);
            case SEGMENT -> inPlaceSegments ? s.asSlice(p, n).asReadOnly() : Codec.segment().decode(s, p, n);
            case INT_ARRAY -> {
                if (n % 4 != 0) throw new IllegalStateException("corrupt int[] of " + n + " bytes");
                int[] a = new int[n / 4];
                MemorySegment.copy(s, I, p, a, 0, a.length);
                yield a;
            }
            case LONG_ARRAY -> {
                if (n % 8 != 0) throw new IllegalStateException("corrupt long[] of " + n + " bytes");
                long[] a = new long[n / 8];
                MemorySegment.copy(s, L, p, a, 0, a.length);
                yield a;
            }
            case DOUBLE_ARRAY -> {
                if (n % 8 != 0) throw new IllegalStateException("corrupt double[] of " + n + " bytes");
                double[] a = new double[n / 8];
                MemorySegment.copy(s, D, p, a, 0, a.length);
                yield a;
            }
            case LIST, OBJECT_ARRAY -> {
                if (n < 4) throw new IllegalStateException("corrupt list: " + n + " bytes");
                int count = s.get(I, p);
                if (count < 0 || count > (n - 4) / 5) throw new IllegalStateException("corrupt list of " + count + " elements in " + n + " bytes");
                List<Object> list = new ArrayList<>(count);
                long q = p + 4;
                long end = p + n;
                for (int i = 0; i < count; i++) {
                    int l = element(s, q, end);
                    list.add(read(s, q + 4, l, depth + 1));
                    q += 4 + l;
                }
                if (q != end) throw new IllegalStateException("corrupt list: " + (end - q) + " bytes left over");
                yield tag == LIST ? list : list.toArray();
            }
            case ENTRY -> {
                long end = p + n;
                int kl = element(s, p, end);
                Object k = read(s, p + 4, kl, depth + 1);
                long q = p + 4 + kl;
                int vl = element(s, q, end);
                Object v = read(s, q + 4, vl, depth + 1);
                if (q + 4 + vl != end) throw new IllegalStateException("corrupt entry");
                yield new AbstractMap.SimpleImmutableEntry<>(k, v);
            }
            case SERIALIZED -> {
                try {
                    yield serialized.decode(s, p, n);
                } catch (IllegalStateException e) {
                    String m = e.getMessage();
                    if (m != null && m.contains("not in the allow-list")) {
                        throw new IllegalStateException(m + "; allow it with ProcessPool.builder().allow(\"CLASS or package.*\")", e);
                    }
                    throw e;
                }
            }
            default -> throw new IllegalStateException("corrupt value: unknown tag " + tag);
        };
    }

    private static int element(MemorySegment s, long q, long end) {
        if (end - q < 4) throw new IllegalStateException("corrupt element header");
        int l = s.get(I, q);
        if (l < 1 || l > end - q - 4) throw new IllegalStateException("corrupt element of " + l + " bytes");
        return l;
    }

    private static boolean need(int n, int expected) {
        if (n != expected) throw new IllegalStateException("corrupt value: " + n + " bytes where " + expected + " were expected");
        return true;
    }

    @Override
    public String name() {
        return "shmkit-values";
    }
}
