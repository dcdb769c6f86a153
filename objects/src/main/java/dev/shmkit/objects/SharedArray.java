package dev.shmkit.objects;

import dev.shmkit.shm.OpenMode;
import dev.shmkit.shm.SharedMemory;
import dev.shmkit.sync.SharedLock;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.DoubleBuffer;
import java.nio.IntBuffer;
import java.nio.LongBuffer;
import java.util.Objects;
import java.util.function.Consumer;
import java.util.function.DoubleUnaryOperator;
import java.util.function.IntUnaryOperator;
import java.util.function.LongUnaryOperator;

import static dev.shmkit.objects.ArrayDescriptor.ELEMENTS_OFFSET;
import static dev.shmkit.objects.Handles.BYTE;
import static dev.shmkit.objects.Handles.INT;
import static dev.shmkit.objects.Handles.LONG;

/**
 * A fixed-length array of primitives in shared memory: Python's {@code multiprocessing.Array},
 * for numeric work shared by the processes of a pool without copying. {@link OfInt},
 * {@link OfLong}, {@link OfDouble} and {@link OfByte}.
 *
 * <h2>Access</h2>
 * <ul>
 *   <li>{@code get(i)}/{@code set(i, v)}: bounds-checked, volatile semantics (as
 *       {@link java.util.concurrent.atomic.AtomicIntegerArray}); {@code getAndAdd},
 *       {@code compareAndSet}, {@code updateAndGet}, ... are atomic across processes (not on
 *       {@link OfByte}).</li>
 *   <li>Bulk copies to and from Java arrays ({@code copyTo}, {@code copyFrom}, {@code toArray},
 *       {@code fill}): plain memory copies, atomic per element but not as a whole; hold the
 *       {@link #lock()} (or another protocol) for a consistent snapshot, as Python's
 *       {@code with arr.get_lock(): arr[:]}.</li>
 *   <li>Views without copying: {@link #asSegment()} (the elements, for {@code MemorySegment}
 *       code and {@code VarHandle}s) and {@code asIntBuffer()}/{@code asLongBuffer()}/... (an NIO
 *       buffer in native byte order). Valid until the array is closed.</li>
 * </ul>
 *
 * <h2>Placement</h2>
 * By name (its own POSIX object), or at an 8-byte aligned offset of a segment
 * ({@link #byteSize(ElementType, int)} bytes); headers are validated on open; new objects get
 * permissions 0600; the optional {@link SharedLock} survives the death of its holder.
 */
public abstract sealed class SharedArray implements AutoCloseable
        permits SharedArray.OfInt, SharedArray.OfLong, SharedArray.OfDouble, SharedArray.OfByte {

    final ObjectRegion region;
    final MemorySegment s;
    final int length;

    SharedArray(ObjectRegion region) {
        this.region = region;
        this.s = region.segment;
        this.length = (int) region.shape.count();
    }

    /** Bytes an array of {@code length} elements of {@code type} takes in a segment. */
    public static long byteSize(ElementType type, int length) {
        return Shape.array(type, length, false).length();
    }

    /** Opens an existing named array of any element type; see {@link #type()}. */
    public static SharedArray open(String name) {
        return wrap(ObjectRegion.named(name, OpenMode.OPEN_EXISTING, SharedMemory.DEFAULT_PERMISSIONS, ObjectKind.ARRAY,
                null, s -> {}, r -> {}));
    }

    /** Opens the array of any element type another process initialized at {@code offset} of {@code segment}. */
    public static SharedArray open(MemorySegment segment, long offset) {
        return wrap(ObjectRegion.open(segment, offset, ObjectKind.ARRAY));
    }

    private static SharedArray wrap(ObjectRegion r) {
        return switch (r.shape.type()) {
            case INT -> new OfInt(r);
            case LONG -> new OfLong(r);
            case DOUBLE -> new OfDouble(r);
            case BYTE -> new OfByte(r);
            default -> throw new IllegalStateException(r.description + " has a corrupt header: type " + r.shape.type().label());
        };
    }

    /** Removes a named array; false when there is none. */
    public static boolean unlink(String name) {
        return SharedMemory.unlink(name);
    }

    static ObjectRegion named(String name, OpenMode mode, int permissions, ElementType type, int length, boolean lock,
                              Consumer<MemorySegment> init) {
        Shape shape = Shape.array(type, length, lock);
        return ObjectRegion.named(name, mode, permissions, ObjectKind.ARRAY, shape, init, r -> {
            checkType(r, type);
            if (mode == OpenMode.OPEN_OR_CREATE && r.shape.count() != length) {
                throw new IllegalStateException(r.description + " exists with " + r.shape.count() + " elements, not " + length);
            }
        });
    }

    static ObjectRegion placed(MemorySegment segment, long offset, ElementType type) {
        ObjectRegion r = ObjectRegion.open(segment, offset, ObjectKind.ARRAY);
        checkType(r, type);
        return r;
    }

    private static void checkType(ObjectRegion r, ElementType type) {
        if (r.shape.type() != type) throw new IllegalStateException(r.description + " holds " + r.shape.type().label() + "s, not " + type.label() + "s");
    }

    // ------------------------------------------------------------------ common

    /** The number of elements. */
    public int length() {
        return length;
    }

    /** The element type. */
    public ElementType type() {
        return region.shape.type();
    }

    public boolean hasLock() {
        return region.lock != null;
    }

    /**
     * The array's lock, for consistent snapshots and compound updates (advisory: element access
     * does not take it).
     *
     * @throws IllegalStateException when it was created without one
     */
    public SharedLock lock() {
        return region.lock();
    }

    /** The elements as a segment ({@code length() * type().byteSize()} bytes, native order), valid until {@link #close()}. */
    public MemorySegment asSegment() {
        return s.asSlice(ELEMENTS_OFFSET, (long) length * region.shape.elementSize());
    }

    /** The elements as a byte buffer in native order, valid until {@link #close()}. */
    public ByteBuffer asByteBuffer() {
        return asSegment().asByteBuffer().order(ByteOrder.nativeOrder());
    }

    /** The name of its shared memory object, or null when placed in a segment. */
    public String name() {
        return region.name();
    }

    /** Bytes the array occupies, header included. */
    public long byteSize() {
        return region.shape.length();
    }

    /** Element {@code i} as text. */
    public abstract String text(int i);

    public void unlink() {
        region.unlink();
    }

    /** Unmaps a named array from this process (views become unusable). Does not unlink. */
    @Override
    public void close() {
        region.close();
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("SharedArray." + getClass().getSimpleName() + "[" + region.description + ", [");
        for (int i = 0; i < Math.min(length, 16); i++) sb.append(i > 0 ? ", " : "").append(text(i));
        return sb.append(length > 16 ? ", ...]]" : "]]").toString();
    }

    final long at(int i, int shift) {
        return ELEMENTS_OFFSET + ((long) Objects.checkIndex(i, length) << shift);
    }

    final void range(int from, int count) {
        Objects.checkFromIndexSize(from, count, length);
    }

    // ------------------------------------------------------------------ int

    /** A shared {@code int[]}. */
    public static final class OfInt extends SharedArray {
        OfInt(ObjectRegion r) {
            super(r);
        }

        /** Creates a new named array of {@code length} zeros (exclusively, 0600, without a lock). */
        public static OfInt create(String name, int length) {
            return open(name, OpenMode.CREATE_EXCLUSIVE, length, false, SharedMemory.DEFAULT_PERMISSIONS);
        }

        /** Creates a new named array of {@code length} zeros (exclusively, 0600), with a lock if {@code lock}. */
        public static OfInt create(String name, int length, boolean lock) {
            return open(name, OpenMode.CREATE_EXCLUSIVE, length, lock, SharedMemory.DEFAULT_PERMISSIONS);
        }

        /** Creates a new named array holding a copy of {@code values} (exclusively, 0600). */
        public static OfInt create(String name, int[] values, boolean lock) {
            return new OfInt(named(name, OpenMode.CREATE_EXCLUSIVE, SharedMemory.DEFAULT_PERMISSIONS, ElementType.INT, values.length, lock,
                    s -> MemorySegment.copy(values, 0, s, ValueLayout.JAVA_INT, ELEMENTS_OFFSET, values.length)));
        }

        /** Opens the named array, or creates it with {@code length} zeros; an existing one must have that length. */
        public static OfInt openOrCreate(String name, int length) {
            return open(name, OpenMode.OPEN_OR_CREATE, length, false, SharedMemory.DEFAULT_PERMISSIONS);
        }

        /** Opens an existing named array. */
        public static OfInt open(String name) {
            return open(name, OpenMode.OPEN_EXISTING, 0, false, SharedMemory.DEFAULT_PERMISSIONS);
        }

        /** The general form; {@code lock} and {@code permissions} only count when creating. */
        public static OfInt open(String name, OpenMode mode, int length, boolean lock, int permissions) {
            return new OfInt(named(name, mode, permissions, ElementType.INT, length, lock, s -> {}));
        }

        /** Initializes a new array of zeros at {@code offset} of {@code segment} ({@link #byteSize(ElementType, int)} bytes, 8-byte aligned). */
        public static OfInt create(MemorySegment segment, long offset, int length, boolean lock) {
            return new OfInt(ObjectRegion.create(segment, offset, Shape.array(ElementType.INT, length, lock), s -> {}));
        }

        /** Uses the array another process initialized at {@code offset} of {@code segment}. */
        public static OfInt open(MemorySegment segment, long offset) {
            return new OfInt(placed(segment, offset, ElementType.INT));
        }

        public int get(int i) { return (int) INT.getVolatile(s, at(i, 2)); }
        public void set(int i, int v) { INT.setVolatile(s, at(i, 2), v); }
        public int getAndSet(int i, int v) { return (int) INT.getAndSet(s, at(i, 2), v); }
        public boolean compareAndSet(int i, int expected, int v) { return INT.compareAndSet(s, at(i, 2), expected, v); }
        public int getAndAdd(int i, int delta) { return (int) INT.getAndAdd(s, at(i, 2), delta); }
        public int addAndGet(int i, int delta) { return (int) INT.getAndAdd(s, at(i, 2), delta) + delta; }
        public int incrementAndGet(int i) { return addAndGet(i, 1); }
        public int decrementAndGet(int i) { return addAndGet(i, -1); }

        /** Atomically replaces element {@code i} with {@code f(element)}; {@code f} may run more than once. */
        public int updateAndGet(int i, IntUnaryOperator f) {
            long o = at(i, 2);
            int prev = (int) INT.getVolatile(s, o), next;
            do {
                next = f.applyAsInt(prev);
            } while (prev != (prev = (int) INT.compareAndExchange(s, o, prev, next)));
            return next;
        }

        /** Copies {@code count} elements from index {@code from} into {@code dst} at {@code dstIndex}. */
        public void copyTo(int from, int[] dst, int dstIndex, int count) {
            range(from, count);
            MemorySegment.copy(s, ValueLayout.JAVA_INT, ELEMENTS_OFFSET + ((long) from << 2), dst, dstIndex, count);
        }

        /** Copies {@code count} elements of {@code src} from {@code srcIndex} into this array at {@code to}. */
        public void copyFrom(int[] src, int srcIndex, int to, int count) {
            range(to, count);
            MemorySegment.copy(src, srcIndex, s, ValueLayout.JAVA_INT, ELEMENTS_OFFSET + ((long) to << 2), count);
        }

        /** Copies all of {@code src} (which must have {@link #length()} elements) into this array. */
        public void copyFrom(int[] src) {
            if (src.length != length) throw new IllegalArgumentException(src.length + " values for " + length + " elements");
            copyFrom(src, 0, 0, length);
        }

        /** A copy of every element. */
        public int[] toArray() {
            int[] a = new int[length];
            copyTo(0, a, 0, length);
            return a;
        }

        public void fill(int v) {
            for (int i = 0; i < length; i++) s.set(ValueLayout.JAVA_INT, ELEMENTS_OFFSET + ((long) i << 2), v);
        }

        /** The elements as an {@link IntBuffer} in native order, without copying; valid until {@link #close()}. */
        public IntBuffer asIntBuffer() {
            return asByteBuffer().asIntBuffer();
        }

        @Override
        public String text(int i) { return Integer.toString(get(i)); }
    }

    // ------------------------------------------------------------------ long

    /** A shared {@code long[]}. */
    public static final class OfLong extends SharedArray {
        OfLong(ObjectRegion r) {
            super(r);
        }

        public static OfLong create(String name, int length) {
            return open(name, OpenMode.CREATE_EXCLUSIVE, length, false, SharedMemory.DEFAULT_PERMISSIONS);
        }

        public static OfLong create(String name, int length, boolean lock) {
            return open(name, OpenMode.CREATE_EXCLUSIVE, length, lock, SharedMemory.DEFAULT_PERMISSIONS);
        }

        public static OfLong create(String name, long[] values, boolean lock) {
            return new OfLong(named(name, OpenMode.CREATE_EXCLUSIVE, SharedMemory.DEFAULT_PERMISSIONS, ElementType.LONG, values.length, lock,
                    s -> MemorySegment.copy(values, 0, s, ValueLayout.JAVA_LONG, ELEMENTS_OFFSET, values.length)));
        }

        public static OfLong openOrCreate(String name, int length) {
            return open(name, OpenMode.OPEN_OR_CREATE, length, false, SharedMemory.DEFAULT_PERMISSIONS);
        }

        public static OfLong open(String name) {
            return open(name, OpenMode.OPEN_EXISTING, 0, false, SharedMemory.DEFAULT_PERMISSIONS);
        }

        public static OfLong open(String name, OpenMode mode, int length, boolean lock, int permissions) {
            return new OfLong(named(name, mode, permissions, ElementType.LONG, length, lock, s -> {}));
        }

        public static OfLong create(MemorySegment segment, long offset, int length, boolean lock) {
            return new OfLong(ObjectRegion.create(segment, offset, Shape.array(ElementType.LONG, length, lock), s -> {}));
        }

        public static OfLong open(MemorySegment segment, long offset) {
            return new OfLong(placed(segment, offset, ElementType.LONG));
        }

        public long get(int i) { return (long) LONG.getVolatile(s, at(i, 3)); }
        public void set(int i, long v) { LONG.setVolatile(s, at(i, 3), v); }
        public long getAndSet(int i, long v) { return (long) LONG.getAndSet(s, at(i, 3), v); }
        public boolean compareAndSet(int i, long expected, long v) { return LONG.compareAndSet(s, at(i, 3), expected, v); }
        public long getAndAdd(int i, long delta) { return (long) LONG.getAndAdd(s, at(i, 3), delta); }
        public long addAndGet(int i, long delta) { return (long) LONG.getAndAdd(s, at(i, 3), delta) + delta; }
        public long incrementAndGet(int i) { return addAndGet(i, 1); }
        public long decrementAndGet(int i) { return addAndGet(i, -1); }

        public long updateAndGet(int i, LongUnaryOperator f) {
            long o = at(i, 3);
            long prev = (long) LONG.getVolatile(s, o), next;
            do {
                next = f.applyAsLong(prev);
            } while (prev != (prev = (long) LONG.compareAndExchange(s, o, prev, next)));
            return next;
        }

        public void copyTo(int from, long[] dst, int dstIndex, int count) {
            range(from, count);
            MemorySegment.copy(s, ValueLayout.JAVA_LONG, ELEMENTS_OFFSET + ((long) from << 3), dst, dstIndex, count);
        }

        public void copyFrom(long[] src, int srcIndex, int to, int count) {
            range(to, count);
            MemorySegment.copy(src, srcIndex, s, ValueLayout.JAVA_LONG, ELEMENTS_OFFSET + ((long) to << 3), count);
        }

        public void copyFrom(long[] src) {
            if (src.length != length) throw new IllegalArgumentException(src.length + " values for " + length + " elements");
            copyFrom(src, 0, 0, length);
        }

        public long[] toArray() {
            long[] a = new long[length];
            copyTo(0, a, 0, length);
            return a;
        }

        public void fill(long v) {
            for (int i = 0; i < length; i++) s.set(ValueLayout.JAVA_LONG, ELEMENTS_OFFSET + ((long) i << 3), v);
        }

        public LongBuffer asLongBuffer() {
            return asByteBuffer().asLongBuffer();
        }

        @Override
        public String text(int i) { return Long.toString(get(i)); }
    }

    // ------------------------------------------------------------------ double

    /** A shared {@code double[]}; atomic updates compare raw bits, as {@link SharedValue.OfDouble}. */
    public static final class OfDouble extends SharedArray {
        OfDouble(ObjectRegion r) {
            super(r);
        }

        public static OfDouble create(String name, int length) {
            return open(name, OpenMode.CREATE_EXCLUSIVE, length, false, SharedMemory.DEFAULT_PERMISSIONS);
        }

        public static OfDouble create(String name, int length, boolean lock) {
            return open(name, OpenMode.CREATE_EXCLUSIVE, length, lock, SharedMemory.DEFAULT_PERMISSIONS);
        }

        public static OfDouble create(String name, double[] values, boolean lock) {
            return new OfDouble(named(name, OpenMode.CREATE_EXCLUSIVE, SharedMemory.DEFAULT_PERMISSIONS, ElementType.DOUBLE, values.length, lock,
                    s -> MemorySegment.copy(values, 0, s, ValueLayout.JAVA_DOUBLE, ELEMENTS_OFFSET, values.length)));
        }

        public static OfDouble openOrCreate(String name, int length) {
            return open(name, OpenMode.OPEN_OR_CREATE, length, false, SharedMemory.DEFAULT_PERMISSIONS);
        }

        public static OfDouble open(String name) {
            return open(name, OpenMode.OPEN_EXISTING, 0, false, SharedMemory.DEFAULT_PERMISSIONS);
        }

        public static OfDouble open(String name, OpenMode mode, int length, boolean lock, int permissions) {
            return new OfDouble(named(name, mode, permissions, ElementType.DOUBLE, length, lock, s -> {}));
        }

        public static OfDouble create(MemorySegment segment, long offset, int length, boolean lock) {
            return new OfDouble(ObjectRegion.create(segment, offset, Shape.array(ElementType.DOUBLE, length, lock), s -> {}));
        }

        public static OfDouble open(MemorySegment segment, long offset) {
            return new OfDouble(placed(segment, offset, ElementType.DOUBLE));
        }

        private static long bits(double v) {
            return Double.doubleToRawLongBits(v);
        }

        public double get(int i) { return Double.longBitsToDouble((long) LONG.getVolatile(s, at(i, 3))); }
        public void set(int i, double v) { LONG.setVolatile(s, at(i, 3), bits(v)); }
        public double getAndSet(int i, double v) { return Double.longBitsToDouble((long) LONG.getAndSet(s, at(i, 3), bits(v))); }
        public boolean compareAndSet(int i, double expected, double v) { return LONG.compareAndSet(s, at(i, 3), bits(expected), bits(v)); }

        public double addAndGet(int i, double delta) {
            return updateAndGet(i, x -> x + delta);
        }

        public double getAndAdd(int i, double delta) {
            return updateAndGet(i, x -> x + delta) - delta;
        }

        public double updateAndGet(int i, DoubleUnaryOperator f) {
            long o = at(i, 3);
            long prev = (long) LONG.getVolatile(s, o), next;
            do {
                next = bits(f.applyAsDouble(Double.longBitsToDouble(prev)));
            } while (prev != (prev = (long) LONG.compareAndExchange(s, o, prev, next)));
            return Double.longBitsToDouble(next);
        }

        public void copyTo(int from, double[] dst, int dstIndex, int count) {
            range(from, count);
            MemorySegment.copy(s, ValueLayout.JAVA_DOUBLE, ELEMENTS_OFFSET + ((long) from << 3), dst, dstIndex, count);
        }

        public void copyFrom(double[] src, int srcIndex, int to, int count) {
            range(to, count);
            MemorySegment.copy(src, srcIndex, s, ValueLayout.JAVA_DOUBLE, ELEMENTS_OFFSET + ((long) to << 3), count);
        }

        public void copyFrom(double[] src) {
            if (src.length != length) throw new IllegalArgumentException(src.length + " values for " + length + " elements");
            copyFrom(src, 0, 0, length);
        }

        public double[] toArray() {
            double[] a = new double[length];
            copyTo(0, a, 0, length);
            return a;
        }

        public void fill(double v) {
            for (int i = 0; i < length; i++) s.set(ValueLayout.JAVA_DOUBLE, ELEMENTS_OFFSET + ((long) i << 3), v);
        }

        public DoubleBuffer asDoubleBuffer() {
            return asByteBuffer().asDoubleBuffer();
        }

        @Override
        public String text(int i) { return Double.toString(get(i)); }
    }

    // ------------------------------------------------------------------ byte

    /** A shared {@code byte[]}: indexed and bulk access, no atomic read-modify-write. */
    public static final class OfByte extends SharedArray {
        OfByte(ObjectRegion r) {
            super(r);
        }

        public static OfByte create(String name, int length) {
            return open(name, OpenMode.CREATE_EXCLUSIVE, length, false, SharedMemory.DEFAULT_PERMISSIONS);
        }

        public static OfByte create(String name, int length, boolean lock) {
            return open(name, OpenMode.CREATE_EXCLUSIVE, length, lock, SharedMemory.DEFAULT_PERMISSIONS);
        }

        public static OfByte create(String name, byte[] values, boolean lock) {
            return new OfByte(named(name, OpenMode.CREATE_EXCLUSIVE, SharedMemory.DEFAULT_PERMISSIONS, ElementType.BYTE, values.length, lock,
                    s -> MemorySegment.copy(values, 0, s, ValueLayout.JAVA_BYTE, ELEMENTS_OFFSET, values.length)));
        }

        public static OfByte openOrCreate(String name, int length) {
            return open(name, OpenMode.OPEN_OR_CREATE, length, false, SharedMemory.DEFAULT_PERMISSIONS);
        }

        public static OfByte open(String name) {
            return open(name, OpenMode.OPEN_EXISTING, 0, false, SharedMemory.DEFAULT_PERMISSIONS);
        }

        public static OfByte open(String name, OpenMode mode, int length, boolean lock, int permissions) {
            return new OfByte(named(name, mode, permissions, ElementType.BYTE, length, lock, s -> {}));
        }

        public static OfByte create(MemorySegment segment, long offset, int length, boolean lock) {
            return new OfByte(ObjectRegion.create(segment, offset, Shape.array(ElementType.BYTE, length, lock), s -> {}));
        }

        public static OfByte open(MemorySegment segment, long offset) {
            return new OfByte(placed(segment, offset, ElementType.BYTE));
        }

        public byte get(int i) { return (byte) BYTE.getVolatile(s, at(i, 0)); }
        public void set(int i, byte v) { BYTE.setVolatile(s, at(i, 0), v); }

        public void copyTo(int from, byte[] dst, int dstIndex, int count) {
            range(from, count);
            MemorySegment.copy(s, ValueLayout.JAVA_BYTE, ELEMENTS_OFFSET + from, dst, dstIndex, count);
        }

        public void copyFrom(byte[] src, int srcIndex, int to, int count) {
            range(to, count);
            MemorySegment.copy(src, srcIndex, s, ValueLayout.JAVA_BYTE, ELEMENTS_OFFSET + to, count);
        }

        public void copyFrom(byte[] src) {
            if (src.length != length) throw new IllegalArgumentException(src.length + " values for " + length + " elements");
            copyFrom(src, 0, 0, length);
        }

        public byte[] toArray() {
            byte[] a = new byte[length];
            copyTo(0, a, 0, length);
            return a;
        }

        public void fill(byte v) {
            asSegment().fill(v);
        }

        @Override
        public String text(int i) { return Byte.toString(get(i)); }
    }
}
