package dev.shmkit.objects;

import dev.shmkit.shm.OpenMode;
import dev.shmkit.shm.SharedMemory;
import dev.shmkit.sync.SharedLock;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;
import java.util.Arrays;
import java.util.function.DoubleBinaryOperator;
import java.util.function.DoubleUnaryOperator;
import java.util.function.IntBinaryOperator;
import java.util.function.IntUnaryOperator;
import java.util.function.LongBinaryOperator;
import java.util.function.LongUnaryOperator;
import java.util.function.UnaryOperator;

import static dev.shmkit.objects.Handles.INT;
import static dev.shmkit.objects.Handles.LONG;
import static dev.shmkit.objects.ValueDescriptor.VALUE_OFFSET;

/**
 * One value in shared memory, for threads of any number of processes: Python's
 * {@code multiprocessing.Value}. {@link OfInt}, {@link OfLong}, {@link OfDouble} and
 * {@link OfBoolean} hold a number in one aligned word and have the methods of
 * {@link java.util.concurrent.atomic.AtomicLong} and its siblings; {@link OfBytes} holds up to a
 * fixed number of bytes, raw or a small record through a codec ({@code v.set(Codec.record(Point.class), p)}),
 * and is replaced whole.
 *
 * <h2>Placement</h2>
 * By name ({@code OfLong.create("hits", 0)}, {@code open}, {@code openOrCreate}), as a POSIX
 * shared memory object of its own, or at an 8-byte aligned offset of any shared segment
 * ({@code OfLong.create(segment, offset, 0, false)} in one process, {@code OfLong.open(segment,
 * offset)} in the others; it takes {@link #byteSize(ElementType, int)} bytes). New objects get
 * permissions 0600. The header is validated on open: a region that is not a value, or a value of
 * another type, is refused with an {@link IllegalStateException} that says what it is.
 *
 * <h2>Memory semantics</h2>
 * {@code get} and {@code set} have volatile semantics; the read-modify-write methods
 * ({@code getAndAdd}, {@code compareAndSet}, {@code updateAndGet}, ...) are atomic across
 * processes (one locked instruction, or a compare-and-set loop), like the {@code Atomic*}
 * classes. A double's {@code compareAndSet} compares raw bits ({@link Double#doubleToRawLongBits}),
 * so {@code 0.0} and {@code -0.0} differ and a NaN equals the same NaN.
 *
 * <h2>The lock</h2>
 * Created with {@code lock = true}, a value carries a {@link SharedLock} (Python's default
 * {@code lock=True}), reached by {@link #lock()}, for compound updates that no single atomic
 * method covers. It is advisory, as in Python: {@code get}/{@code set} do not take it (they need
 * not: each is atomic on its own). The lock survives the death of its holder
 * ({@link SharedLock#ownerDied()}); a number is always consistent, whatever the holder did.
 */
public abstract sealed class SharedValue implements AutoCloseable
        permits SharedValue.OfInt, SharedValue.OfLong, SharedValue.OfDouble, SharedValue.OfBoolean, SharedValue.OfBytes {

    final ObjectRegion region;
    final MemorySegment s;

    SharedValue(ObjectRegion region) {
        this.region = region;
        this.s = region.segment;
    }

    /** Bytes a value of {@code type} takes in a segment; {@code maxBytes} only counts for {@link ElementType#BYTES}. */
    public static long byteSize(ElementType type, int maxBytes) {
        return Shape.value(type, maxBytes, type == ElementType.BYTES).length();
    }

    /** Opens an existing named value of any type; see {@link #type()}, and cast to {@link OfLong} and so on. */
    public static SharedValue open(String name) {
        return wrap(ObjectRegion.named(name, OpenMode.OPEN_EXISTING, SharedMemory.DEFAULT_PERMISSIONS, ObjectKind.VALUE,
                null, s -> {}, r -> {}));
    }

    /** Opens the value of any type another process initialized at {@code offset} of {@code segment}. */
    public static SharedValue open(MemorySegment segment, long offset) {
        return wrap(ObjectRegion.open(segment, offset, ObjectKind.VALUE));
    }

    private static SharedValue wrap(ObjectRegion r) {
        return switch (r.shape.type()) {
            case INT -> new OfInt(r);
            case LONG -> new OfLong(r);
            case DOUBLE -> new OfDouble(r);
            case BOOLEAN -> new OfBoolean(r);
            case BYTES -> new OfBytes(r);
            case BYTE -> throw new IllegalStateException(r.description + " has a corrupt header: type byte");
        };
    }

    /** Removes a named value; false when there is none. */
    public static boolean unlink(String name) {
        return SharedMemory.unlink(name);
    }

    // ------------------------------------------------------------------ common

    /** The value's type. */
    public ElementType type() {
        return region.shape.type();
    }

    /** Whether it was created with a lock. */
    public boolean hasLock() {
        return region.lock != null;
    }

    /**
     * The value's lock, for compound updates.
     *
     * @throws IllegalStateException when it was created without one
     */
    public SharedLock lock() {
        return region.lock();
    }

    /** The name of its shared memory object, or null when placed in a segment. */
    public String name() {
        return region.name();
    }

    /** Bytes the value occupies. */
    public long byteSize() {
        return region.shape.length();
    }

    /** The value as text: a number, {@code true}/{@code false}, or for bytes their UTF-8 decoding. */
    public abstract String text();

    /** Removes the value's name (see {@link SharedMemory#unlink()}). */
    public void unlink() {
        region.unlink();
    }

    /** Unmaps a named value from this process. Does not unlink. */
    @Override
    public void close() {
        region.close();
    }

    @Override
    public String toString() {
        return "SharedValue." + getClass().getSimpleName() + "[" + region.description + " = " + text() + "]";
    }

    static ObjectRegion named(String name, OpenMode mode, int permissions, Shape shape, java.util.function.Consumer<MemorySegment> init) {
        return ObjectRegion.named(name, mode, permissions, ObjectKind.VALUE, shape, init, r -> checkType(r, shape.type()));
    }

    static ObjectRegion placed(MemorySegment segment, long offset, ElementType type) {
        ObjectRegion r = ObjectRegion.open(segment, offset, ObjectKind.VALUE);
        checkType(r, type);
        return r;
    }

    private static void checkType(ObjectRegion r, ElementType type) {
        if (r.shape.type() != type) {
            r.close();
            throw new IllegalStateException(r.description + " is of type " + r.shape.type().label() + ", not " + type.label());
        }
    }

    // ------------------------------------------------------------------ int

    /** A shared {@code int}: {@link java.util.concurrent.atomic.AtomicInteger} across processes. */
    public static final class OfInt extends SharedValue {
        OfInt(ObjectRegion r) {
            super(r);
        }

        /** Creates a new named value (exclusively, 0600, without a lock). */
        public static OfInt create(String name, int initial) {
            return open(name, OpenMode.CREATE_EXCLUSIVE, initial, false, SharedMemory.DEFAULT_PERMISSIONS);
        }

        /** Creates a new named value (exclusively, 0600), with a lock if {@code lock}. */
        public static OfInt create(String name, int initial, boolean lock) {
            return open(name, OpenMode.CREATE_EXCLUSIVE, initial, lock, SharedMemory.DEFAULT_PERMISSIONS);
        }

        /** Opens the named value, or creates it with {@code initial} (0600, without a lock). */
        public static OfInt openOrCreate(String name, int initial) {
            return open(name, OpenMode.OPEN_OR_CREATE, initial, false, SharedMemory.DEFAULT_PERMISSIONS);
        }

        /** Opens an existing named value. */
        public static OfInt open(String name) {
            return open(name, OpenMode.OPEN_EXISTING, 0, false, SharedMemory.DEFAULT_PERMISSIONS);
        }

        /** The general form; {@code initial}, {@code lock} and {@code permissions} only count when creating. */
        public static OfInt open(String name, OpenMode mode, int initial, boolean lock, int permissions) {
            return new OfInt(named(name, mode, permissions, Shape.value(ElementType.INT, 0, lock),
                    s -> INT.set(s, VALUE_OFFSET, initial)));
        }

        /** Initializes a new value at {@code offset} of {@code segment} ({@link #byteSize(ElementType, int)} bytes, 8-byte aligned). */
        public static OfInt create(MemorySegment segment, long offset, int initial, boolean lock) {
            return new OfInt(ObjectRegion.create(segment, offset, Shape.value(ElementType.INT, 0, lock),
                    s -> INT.set(s, VALUE_OFFSET, initial)));
        }

        /** Uses the value another process initialized at {@code offset} of {@code segment}. */
        public static OfInt open(MemorySegment segment, long offset) {
            return new OfInt(placed(segment, offset, ElementType.INT));
        }

        public int get() { return (int) INT.getVolatile(s, VALUE_OFFSET); }
        public void set(int v) { INT.setVolatile(s, VALUE_OFFSET, v); }
        public int getAndSet(int v) { return (int) INT.getAndSet(s, VALUE_OFFSET, v); }
        public boolean compareAndSet(int expected, int v) { return INT.compareAndSet(s, VALUE_OFFSET, expected, v); }
        public int getAndAdd(int delta) { return (int) INT.getAndAdd(s, VALUE_OFFSET, delta); }
        public int addAndGet(int delta) { return (int) INT.getAndAdd(s, VALUE_OFFSET, delta) + delta; }
        public int incrementAndGet() { return addAndGet(1); }
        public int decrementAndGet() { return addAndGet(-1); }
        public int getAndIncrement() { return getAndAdd(1); }
        public int getAndDecrement() { return getAndAdd(-1); }

        /** Atomically replaces the value with {@code f(value)}; {@code f} may run more than once under contention. */
        public int updateAndGet(IntUnaryOperator f) {
            int prev = get(), next;
            do {
                next = f.applyAsInt(prev);
            } while (prev != (prev = (int) INT.compareAndExchange(s, VALUE_OFFSET, prev, next)));
            return next;
        }

        public int getAndUpdate(IntUnaryOperator f) {
            int prev = get(), next;
            do {
                next = f.applyAsInt(prev);
            } while (prev != (prev = (int) INT.compareAndExchange(s, VALUE_OFFSET, prev, next)));
            return prev;
        }

        public int accumulateAndGet(int x, IntBinaryOperator f) {
            return updateAndGet(v -> f.applyAsInt(v, x));
        }

        @Override
        public String text() { return Integer.toString(get()); }
    }

    // ------------------------------------------------------------------ long

    /** A shared {@code long}: {@link java.util.concurrent.atomic.AtomicLong} across processes. */
    public static final class OfLong extends SharedValue {
        OfLong(ObjectRegion r) {
            super(r);
        }

        /** Creates a new named value (exclusively, 0600, without a lock). */
        public static OfLong create(String name, long initial) {
            return open(name, OpenMode.CREATE_EXCLUSIVE, initial, false, SharedMemory.DEFAULT_PERMISSIONS);
        }

        /** Creates a new named value (exclusively, 0600), with a lock if {@code lock}. */
        public static OfLong create(String name, long initial, boolean lock) {
            return open(name, OpenMode.CREATE_EXCLUSIVE, initial, lock, SharedMemory.DEFAULT_PERMISSIONS);
        }

        /** Opens the named value, or creates it with {@code initial} (0600, without a lock). */
        public static OfLong openOrCreate(String name, long initial) {
            return open(name, OpenMode.OPEN_OR_CREATE, initial, false, SharedMemory.DEFAULT_PERMISSIONS);
        }

        /** Opens an existing named value. */
        public static OfLong open(String name) {
            return open(name, OpenMode.OPEN_EXISTING, 0, false, SharedMemory.DEFAULT_PERMISSIONS);
        }

        /** The general form; {@code initial}, {@code lock} and {@code permissions} only count when creating. */
        public static OfLong open(String name, OpenMode mode, long initial, boolean lock, int permissions) {
            return new OfLong(named(name, mode, permissions, Shape.value(ElementType.LONG, 0, lock),
                    s -> LONG.set(s, VALUE_OFFSET, initial)));
        }

        /** Initializes a new value at {@code offset} of {@code segment} ({@link #byteSize(ElementType, int)} bytes, 8-byte aligned). */
        public static OfLong create(MemorySegment segment, long offset, long initial, boolean lock) {
            return new OfLong(ObjectRegion.create(segment, offset, Shape.value(ElementType.LONG, 0, lock),
                    s -> LONG.set(s, VALUE_OFFSET, initial)));
        }

        /** Uses the value another process initialized at {@code offset} of {@code segment}. */
        public static OfLong open(MemorySegment segment, long offset) {
            return new OfLong(placed(segment, offset, ElementType.LONG));
        }

        public long get() { return (long) LONG.getVolatile(s, VALUE_OFFSET); }
        public void set(long v) { LONG.setVolatile(s, VALUE_OFFSET, v); }
        public long getAndSet(long v) { return (long) LONG.getAndSet(s, VALUE_OFFSET, v); }
        public boolean compareAndSet(long expected, long v) { return LONG.compareAndSet(s, VALUE_OFFSET, expected, v); }
        public long getAndAdd(long delta) { return (long) LONG.getAndAdd(s, VALUE_OFFSET, delta); }
        public long addAndGet(long delta) { return (long) LONG.getAndAdd(s, VALUE_OFFSET, delta) + delta; }
        public long incrementAndGet() { return addAndGet(1); }
        public long decrementAndGet() { return addAndGet(-1); }
        public long getAndIncrement() { return getAndAdd(1); }
        public long getAndDecrement() { return getAndAdd(-1); }

        /** Atomically replaces the value with {@code f(value)}; {@code f} may run more than once under contention. */
        public long updateAndGet(LongUnaryOperator f) {
            long prev = get(), next;
            do {
                next = f.applyAsLong(prev);
            } while (prev != (prev = (long) LONG.compareAndExchange(s, VALUE_OFFSET, prev, next)));
            return next;
        }

        public long getAndUpdate(LongUnaryOperator f) {
            long prev = get(), next;
            do {
                next = f.applyAsLong(prev);
            } while (prev != (prev = (long) LONG.compareAndExchange(s, VALUE_OFFSET, prev, next)));
            return prev;
        }

        public long accumulateAndGet(long x, LongBinaryOperator f) {
            return updateAndGet(v -> f.applyAsLong(v, x));
        }

        @Override
        public String text() { return Long.toString(get()); }
    }

    // ------------------------------------------------------------------ double

    /**
     * A shared {@code double}, stored as its raw bits in a 64-bit word: reads and writes are
     * atomic, {@code compareAndSet} compares bits and {@code addAndGet} is a compare-and-set loop.
     */
    public static final class OfDouble extends SharedValue {
        OfDouble(ObjectRegion r) {
            super(r);
        }

        /** Creates a new named value (exclusively, 0600, without a lock). */
        public static OfDouble create(String name, double initial) {
            return open(name, OpenMode.CREATE_EXCLUSIVE, initial, false, SharedMemory.DEFAULT_PERMISSIONS);
        }

        /** Creates a new named value (exclusively, 0600), with a lock if {@code lock}. */
        public static OfDouble create(String name, double initial, boolean lock) {
            return open(name, OpenMode.CREATE_EXCLUSIVE, initial, lock, SharedMemory.DEFAULT_PERMISSIONS);
        }

        /** Opens the named value, or creates it with {@code initial} (0600, without a lock). */
        public static OfDouble openOrCreate(String name, double initial) {
            return open(name, OpenMode.OPEN_OR_CREATE, initial, false, SharedMemory.DEFAULT_PERMISSIONS);
        }

        /** Opens an existing named value. */
        public static OfDouble open(String name) {
            return open(name, OpenMode.OPEN_EXISTING, 0, false, SharedMemory.DEFAULT_PERMISSIONS);
        }

        /** The general form; {@code initial}, {@code lock} and {@code permissions} only count when creating. */
        public static OfDouble open(String name, OpenMode mode, double initial, boolean lock, int permissions) {
            return new OfDouble(named(name, mode, permissions, Shape.value(ElementType.DOUBLE, 0, lock),
                    s -> LONG.set(s, VALUE_OFFSET, bits(initial))));
        }

        /** Initializes a new value at {@code offset} of {@code segment} ({@link #byteSize(ElementType, int)} bytes, 8-byte aligned). */
        public static OfDouble create(MemorySegment segment, long offset, double initial, boolean lock) {
            return new OfDouble(ObjectRegion.create(segment, offset, Shape.value(ElementType.DOUBLE, 0, lock),
                    s -> LONG.set(s, VALUE_OFFSET, bits(initial))));
        }

        /** Uses the value another process initialized at {@code offset} of {@code segment}. */
        public static OfDouble open(MemorySegment segment, long offset) {
            return new OfDouble(placed(segment, offset, ElementType.DOUBLE));
        }

        private static long bits(double v) {
            return Double.doubleToRawLongBits(v);
        }

        private static double of(long bits) {
            return Double.longBitsToDouble(bits);
        }

        public double get() { return of((long) LONG.getVolatile(s, VALUE_OFFSET)); }
        public void set(double v) { LONG.setVolatile(s, VALUE_OFFSET, bits(v)); }
        public double getAndSet(double v) { return of((long) LONG.getAndSet(s, VALUE_OFFSET, bits(v))); }

        /** Sets {@code v} if the value's bits equal {@code expected}'s bits. */
        public boolean compareAndSet(double expected, double v) {
            return LONG.compareAndSet(s, VALUE_OFFSET, bits(expected), bits(v));
        }

        public double getAndAdd(double delta) {
            return getAndUpdate(x -> x + delta);
        }

        public double addAndGet(double delta) {
            return updateAndGet(x -> x + delta);
        }

        /** Atomically replaces the value with {@code f(value)}; {@code f} may run more than once under contention. */
        public double updateAndGet(DoubleUnaryOperator f) {
            long prev = (long) LONG.getVolatile(s, VALUE_OFFSET), next;
            do {
                next = bits(f.applyAsDouble(of(prev)));
            } while (prev != (prev = (long) LONG.compareAndExchange(s, VALUE_OFFSET, prev, next)));
            return of(next);
        }

        public double getAndUpdate(DoubleUnaryOperator f) {
            long prev = (long) LONG.getVolatile(s, VALUE_OFFSET), next;
            do {
                next = bits(f.applyAsDouble(of(prev)));
            } while (prev != (prev = (long) LONG.compareAndExchange(s, VALUE_OFFSET, prev, next)));
            return of(prev);
        }

        public double accumulateAndGet(double x, DoubleBinaryOperator f) {
            return updateAndGet(v -> f.applyAsDouble(v, x));
        }

        @Override
        public String text() { return Double.toString(get()); }
    }

    // ------------------------------------------------------------------ boolean

    /** A shared {@code boolean}, stored as a 32-bit word: {@link java.util.concurrent.atomic.AtomicBoolean} across processes. */
    public static final class OfBoolean extends SharedValue {
        OfBoolean(ObjectRegion r) {
            super(r);
        }

        /** Creates a new named value (exclusively, 0600, without a lock). */
        public static OfBoolean create(String name, boolean initial) {
            return open(name, OpenMode.CREATE_EXCLUSIVE, initial, false, SharedMemory.DEFAULT_PERMISSIONS);
        }

        /** Creates a new named value (exclusively, 0600), with a lock if {@code lock}. */
        public static OfBoolean create(String name, boolean initial, boolean lock) {
            return open(name, OpenMode.CREATE_EXCLUSIVE, initial, lock, SharedMemory.DEFAULT_PERMISSIONS);
        }

        /** Opens the named value, or creates it with {@code initial} (0600, without a lock). */
        public static OfBoolean openOrCreate(String name, boolean initial) {
            return open(name, OpenMode.OPEN_OR_CREATE, initial, false, SharedMemory.DEFAULT_PERMISSIONS);
        }

        /** Opens an existing named value. */
        public static OfBoolean open(String name) {
            return open(name, OpenMode.OPEN_EXISTING, false, false, SharedMemory.DEFAULT_PERMISSIONS);
        }

        /** The general form; {@code initial}, {@code lock} and {@code permissions} only count when creating. */
        public static OfBoolean open(String name, OpenMode mode, boolean initial, boolean lock, int permissions) {
            return new OfBoolean(named(name, mode, permissions, Shape.value(ElementType.BOOLEAN, 0, lock),
                    s -> INT.set(s, VALUE_OFFSET, initial ? 1 : 0)));
        }

        /** Initializes a new value at {@code offset} of {@code segment} ({@link #byteSize(ElementType, int)} bytes, 8-byte aligned). */
        public static OfBoolean create(MemorySegment segment, long offset, boolean initial, boolean lock) {
            return new OfBoolean(ObjectRegion.create(segment, offset, Shape.value(ElementType.BOOLEAN, 0, lock),
                    s -> INT.set(s, VALUE_OFFSET, initial ? 1 : 0)));
        }

        /** Uses the value another process initialized at {@code offset} of {@code segment}. */
        public static OfBoolean open(MemorySegment segment, long offset) {
            return new OfBoolean(placed(segment, offset, ElementType.BOOLEAN));
        }

        /** The value; any non-zero word (written by another program) reads as true. */
        public boolean get() { return (int) INT.getVolatile(s, VALUE_OFFSET) != 0; }
        public void set(boolean v) { INT.setVolatile(s, VALUE_OFFSET, v ? 1 : 0); }
        public boolean getAndSet(boolean v) { return (int) INT.getAndSet(s, VALUE_OFFSET, v ? 1 : 0) != 0; }

        /** Sets {@code v} if the value is {@code expected} (stored as 0 or 1). */
        public boolean compareAndSet(boolean expected, boolean v) {
            return INT.compareAndSet(s, VALUE_OFFSET, expected ? 1 : 0, v ? 1 : 0);
        }

        @Override
        public String text() { return Boolean.toString(get()); }
    }

    // ------------------------------------------------------------------ bytes

    /**
     * Up to {@link #maxBytes()} bytes, replaced whole: a small record encoded by a codec, or raw
     * bytes. Always has a lock, which writers take; readers take no lock and never see a
     * half-written value, even if a writer dies in the middle of a write (see
     * {@link ValueDescriptor}: the new bytes go to a second buffer, published by one store).
     */
    public static final class OfBytes extends SharedValue {
        private static final long MAX_READ_RETRIES = 1 << 20;
        private final int maxBytes;
        private final long slotLength;

        OfBytes(ObjectRegion r) {
            super(r);
            this.maxBytes = r.shape.elementSize();
            this.slotLength = ValueDescriptor.slotLength(maxBytes);
        }

        private static java.util.function.Consumer<MemorySegment> init(int maxBytes, byte[] initial) {
            if (initial.length > maxBytes) {
                throw new IllegalArgumentException("initial value of " + initial.length + " bytes exceeds the maximum of " + maxBytes);
            }
            return s -> {
                INT.set(s, ValueDescriptor.SLOTS_OFFSET, initial.length);
                MemorySegment.copy(initial, 0, s, ValueLayout.JAVA_BYTE, ValueDescriptor.SLOTS_OFFSET + 4, initial.length);
            };
        }

        /** Creates a new named value of at most {@code maxBytes} bytes (exclusively, 0600). */
        public static OfBytes create(String name, int maxBytes, byte[] initial) {
            return open(name, OpenMode.CREATE_EXCLUSIVE, maxBytes, initial, SharedMemory.DEFAULT_PERMISSIONS);
        }

        /** Opens the named value, or creates it with at most {@code maxBytes} bytes (0600). */
        public static OfBytes openOrCreate(String name, int maxBytes, byte[] initial) {
            return open(name, OpenMode.OPEN_OR_CREATE, maxBytes, initial, SharedMemory.DEFAULT_PERMISSIONS);
        }

        /** Opens an existing named value. */
        public static OfBytes open(String name) {
            return open(name, OpenMode.OPEN_EXISTING, 0, new byte[0], SharedMemory.DEFAULT_PERMISSIONS);
        }

        /** The general form; {@code maxBytes}, {@code initial} and {@code permissions} only count when creating. */
        public static OfBytes open(String name, OpenMode mode, int maxBytes, byte[] initial, int permissions) {
            return new OfBytes(named(name, mode, permissions, Shape.value(ElementType.BYTES, maxBytes, true), init(maxBytes, initial)));
        }

        /** Initializes a new value at {@code offset} of {@code segment} ({@link #byteSize(ElementType, int)} bytes, 8-byte aligned). */
        public static OfBytes create(MemorySegment segment, long offset, int maxBytes, byte[] initial) {
            return new OfBytes(ObjectRegion.create(segment, offset, Shape.value(ElementType.BYTES, maxBytes, true), init(maxBytes, initial)));
        }

        /** Uses the value another process initialized at {@code offset} of {@code segment}. */
        public static OfBytes open(MemorySegment segment, long offset) {
            return new OfBytes(placed(segment, offset, ElementType.BYTES));
        }

        /** The most bytes the value can hold. */
        public int maxBytes() {
            return maxBytes;
        }

        /** How many times the value was set since creation. */
        public long version() {
            return (long) LONG.getVolatile(s, ValueDescriptor.WORD_OFFSET) >>> 1;
        }

        /** A copy of the current bytes; no lock taken, never torn. */
        public byte[] get() {
            for (long attempt = 0; ; attempt++) {
                long w1 = (long) LONG.getAcquire(s, ValueDescriptor.WORD_OFFSET);
                long base = ValueDescriptor.SLOTS_OFFSET + (w1 & 1) * slotLength;
                int length = (int) INT.get(s, base);
                byte[] out = length >= 0 && length <= maxBytes ? new byte[length] : null;
                if (out != null) MemorySegment.copy(s, ValueLayout.JAVA_BYTE, base + 4, out, 0, length);
                VarHandle.acquireFence();
                if ((long) LONG.getVolatile(s, ValueDescriptor.WORD_OFFSET) == w1) {
                    if (out == null) {
                        throw new IllegalStateException(region.description + " is corrupt: length " + length + " exceeds its maximum of " + maxBytes);
                    }
                    return out;
                }
                if (attempt > MAX_READ_RETRIES) throw new IllegalStateException(region.description + " changes too fast to be read");
                Thread.onSpinWait();
            }
        }

        /** Replaces the bytes (under the lock). */
        public void set(byte[] value) {
            check(value);
            SharedLock lock = region.lock();
            lock.lock();
            try {
                publish(value);
            } finally {
                lock.unlock();
            }
        }

        /** Replaces the bytes with {@code update} if they equal {@code expected} now (under the lock). */
        public boolean compareAndSet(byte[] expected, byte[] update) {
            check(update);
            SharedLock lock = region.lock();
            lock.lock();
            try {
                if (!Arrays.equals(get(), expected)) return false;
                publish(update);
                return true;
            } finally {
                lock.unlock();
            }
        }

        /** Replaces the bytes with {@code f(bytes)} under the lock; {@code f} runs once; returns the new bytes. */
        public byte[] updateAndGet(UnaryOperator<byte[]> f) {
            SharedLock lock = region.lock();
            lock.lock();
            try {
                byte[] next = f.apply(get());
                check(next);
                publish(next);
                return next;
            } finally {
                lock.unlock();
            }
        }

        /** The value decoded by {@code codec} (for example {@code Codec.record(Point.class)}); no lock taken, never torn. */
        public <T> T get(dev.shmkit.queue.Codec<T> codec) {
            return Store.decode(codec, get());
        }

        /** Replaces the value with {@code value} encoded by {@code codec} (under the lock). */
        public <T> void set(dev.shmkit.queue.Codec<T> codec, T value) {
            set(Store.encode(codec, value, "value"));
        }

        /** Replaces the value with {@code f(value)}, decoded and encoded by {@code codec}, under the lock; {@code f} runs once. */
        public <T> T updateAndGet(dev.shmkit.queue.Codec<T> codec, UnaryOperator<T> f) {
            SharedLock lock = region.lock();
            lock.lock();
            try {
                T next = f.apply(get(codec));
                byte[] b = Store.encode(codec, next, "value");
                check(b);
                publish(b);
                return next;
            } finally {
                lock.unlock();
            }
        }

        private void check(byte[] value) {
            if (value.length > maxBytes) {
                throw new IllegalArgumentException(value.length + " bytes exceed the maximum of " + maxBytes + " of " + region.description);
            }
        }

        private void publish(byte[] value) {
            long w = (long) LONG.getVolatile(s, ValueDescriptor.WORD_OFFSET);
            long slot = 1 - (w & 1);
            long base = ValueDescriptor.SLOTS_OFFSET + slot * slotLength;
            INT.set(s, base, value.length);
            MemorySegment.copy(value, 0, s, ValueLayout.JAVA_BYTE, base + 4, value.length);
            LONG.setRelease(s, ValueDescriptor.WORD_OFFSET, ((w >>> 1) + 1) << 1 | slot);
        }

        @Override
        public String text() { return new String(get(), java.nio.charset.StandardCharsets.UTF_8); }
    }
}
