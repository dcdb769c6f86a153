package dev.shmkit.objects;

import dev.shmkit.queue.Codec;
import dev.shmkit.shm.OpenMode;
import dev.shmkit.shm.SharedMemory;

import java.lang.foreign.MemorySegment;
import java.util.AbstractMap;
import java.util.AbstractSet;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentMap;
import java.util.function.BiFunction;
import java.util.function.Function;

import static dev.shmkit.objects.StoreDescriptor.DELETED;
import static dev.shmkit.objects.StoreDescriptor.EMPTY;
import static dev.shmkit.objects.StoreDescriptor.SPACE_COUNT_OFFSET;
import static dev.shmkit.objects.StoreDescriptor.SPACE_USED_OFFSET;
import static dev.shmkit.objects.StoreDescriptor.align;

/**
 * A hash map in shared memory, used by any number of processes at once: what Python's
 * {@code Manager().dict()} gives, without a server process. Keys and values are stored as their
 * {@link Codec} encodings (the queues' codecs: {@code Codec.string()}, {@code Codec.longs()},
 * {@code Codec.record(Order.class)}, ...); every process must use the same codecs, and the
 * creator's codec names are recorded and checked on open.
 *
 * <pre>{@code
 * try (SharedMap<String, Long> stock = SharedMap.openOrCreate("stock", Codec.string(), Codec.longs(), 10_000, 1 << 20)) {
 *     stock.merge("apples", 5L, Long::sum);      // atomic across processes
 *     Long n = stock.get("apples");             // lock-free
 * }
 * }</pre>
 *
 * <h2>Semantics</h2>
 * A {@link ConcurrentMap}: every mutating method (including {@code putIfAbsent}, the two-argument
 * {@code remove}, {@code replace}, {@code compute*} and {@code merge}) is atomic across processes,
 * under the map's {@link dev.shmkit.sync.SharedLock}; the functions given to {@code compute*} and
 * {@code merge} run once, holding that lock, and must not use the map from another thread.
 * {@link #atomically} makes several operations one. Keys are equal when their encodings are
 * equal (so the key codec must be deterministic); values are compared with {@code equals}
 * ({@code Arrays.equals} for arrays). Null keys and values are refused, as by
 * {@link java.util.concurrent.ConcurrentHashMap}.
 *
 * <p>Reads ({@code get}, {@code containsKey}, {@code size}) take no lock: they copy the bytes
 * they need and validate them with a seqlock-style epoch check (see {@link StoreDescriptor}),
 * retrying if a compaction overlapped; after {@value Store#READ_ATTEMPTS} failed attempts they
 * take the lock. Iteration ({@code entrySet()}, {@code keySet()}, {@code values()},
 * {@code forEach}, {@code equals}, {@code toString}) works on a point-in-time snapshot taken
 * under the lock when the iterator is created; it never throws
 * {@code ConcurrentModificationException}, and its {@code remove()} and {@code Entry.setValue}
 * write through to the map.
 *
 * <h2>Capacity</h2>
 * Fixed at creation: at most {@code capacity} entries, and records (16 bytes + key + value,
 * rounded up to 8) in a data area of {@code dataBytes}. Replacing or removing an entry leaves
 * its old record as garbage; when an insertion does not fit, the map compacts itself (copies
 * the live records into its second space and switches to it) and fails only when the live
 * entries themselves leave no room: {@link IllegalStateException} {@code "map /x is full: ..."}.
 * The object takes {@link #byteSize(long, long)} bytes: two spaces of
 * {@code 64 + 8 x slots + dataBytes} (slots is the power of two at least 4/3 of the capacity),
 * but the second space's pages are touched only by the first compaction.
 *
 * <h2>A writer that dies</h2>
 * Every update writes into unreferenced space and publishes with one atomic store, so a writer
 * killed at any instant leaves the map as it was before or after its update, never in between,
 * and readers never wait for it. The next writer takes the lock over (within about 10 ms, see
 * {@link dev.shmkit.sync.SharedLock}), sees that its holder died, and runs a repair pass that
 * recounts entries and garbage (and removes records that fail validation, which only corrupted
 * memory produces); {@link StoreStats#repairs()} counts these passes.
 *
 * <h2>Placement</h2>
 * By name (its own POSIX object, 0600 unless told otherwise) or at an 8-byte aligned offset of
 * any shared segment. Headers and every record are validated: corrupt memory gives an
 * {@link IllegalStateException}, never an out-of-bounds access.
 */
public final class SharedMap<K, V> extends AbstractMap<K, V> implements ConcurrentMap<K, V>, AutoCloseable {
    /** Capacity of maps the CLI creates unless told otherwise. */
    public static final long DEFAULT_CAPACITY = 1024;
    /** Data bytes of maps the CLI creates unless told otherwise (256 KiB). */
    public static final long DEFAULT_DATA_BYTES = 256 * 1024;

    private final Store st;
    private final Codec<K> keys;
    private final Codec<V> values;
    private final long mask;
    private final long maxUsed;
    private Set<Entry<K, V>> entrySet;

    private SharedMap(ObjectRegion region, Codec<K> keys, Codec<V> values) {
        this.st = new Store(region, this::repair);
        this.keys = keys;
        this.values = values;
        this.mask = st.slots - 1;
        this.maxUsed = StoreDescriptor.maxUsedSlots(st.slots);
    }

    // ------------------------------------------------------------------ creating and opening

    /** Bytes a map of this capacity and data size takes (in a segment, or as a named object). */
    public static long byteSize(long capacity, long dataBytes) {
        return Shape.map(capacity, dataBytes).length();
    }

    /** Creates a new named map (exclusively, 0600). */
    public static <K, V> SharedMap<K, V> create(String name, Codec<K> keys, Codec<V> values, long capacity, long dataBytes) {
        return open(name, OpenMode.CREATE_EXCLUSIVE, keys, values, capacity, dataBytes, SharedMemory.DEFAULT_PERMISSIONS);
    }

    /** Opens the named map, or creates it (0600); an existing map keeps its own capacity. */
    public static <K, V> SharedMap<K, V> openOrCreate(String name, Codec<K> keys, Codec<V> values, long capacity, long dataBytes) {
        return open(name, OpenMode.OPEN_OR_CREATE, keys, values, capacity, dataBytes, SharedMemory.DEFAULT_PERMISSIONS);
    }

    /** Opens an existing named map. */
    public static <K, V> SharedMap<K, V> open(String name, Codec<K> keys, Codec<V> values) {
        return open(name, OpenMode.OPEN_EXISTING, keys, values, DEFAULT_CAPACITY, DEFAULT_DATA_BYTES, SharedMemory.DEFAULT_PERMISSIONS);
    }

    /** The general form; capacity, data size and permissions only count when creating. */
    public static <K, V> SharedMap<K, V> open(String name, OpenMode mode, Codec<K> keys, Codec<V> values,
                                              long capacity, long dataBytes, int permissions) {
        Objects.requireNonNull(keys, "keys");
        Objects.requireNonNull(values, "values");
        Shape shape = Shape.map(capacity, dataBytes);
        return new SharedMap<>(ObjectRegion.named(name, mode, permissions, ObjectKind.MAP, shape, init(keys, values),
                r -> checkCodecs(r, keys, values)), keys, values);
    }

    /** Initializes a new map at {@code offset} of {@code segment} ({@link #byteSize} bytes, 8-byte aligned). */
    public static <K, V> SharedMap<K, V> create(MemorySegment segment, long offset, Codec<K> keys, Codec<V> values,
                                                long capacity, long dataBytes) {
        return new SharedMap<>(ObjectRegion.create(segment, offset, Shape.map(capacity, dataBytes), init(keys, values)), keys, values);
    }

    /** Uses the map another process initialized at {@code offset} of {@code segment}. */
    public static <K, V> SharedMap<K, V> open(MemorySegment segment, long offset, Codec<K> keys, Codec<V> values) {
        ObjectRegion r = ObjectRegion.open(segment, offset, ObjectKind.MAP);
        checkCodecs(r, keys, values);
        return new SharedMap<>(r, keys, values);
    }

    /** Removes a named map; false when there is none. */
    public static boolean unlink(String name) {
        return SharedMemory.unlink(name);
    }

    private static java.util.function.Consumer<MemorySegment> init(Codec<?> keys, Codec<?> values) {
        return s -> {
            Store.writeCodecName(s, StoreDescriptor.KEY_CODEC_OFFSET, keys);
            Store.writeCodecName(s, StoreDescriptor.VALUE_CODEC_OFFSET, values);
        };
    }

    private static void checkCodecs(ObjectRegion r, Codec<?> keys, Codec<?> values) {
        Store.checkCodec(r, StoreDescriptor.KEY_CODEC_OFFSET, keys, "key");
        Store.checkCodec(r, StoreDescriptor.VALUE_CODEC_OFFSET, values, "value");
    }

    // ------------------------------------------------------------------ reads: no lock

    @Override
    public V get(Object key) {
        byte[] v = lookup(encodeKey(key), true);
        return v == null ? null : Store.decode(values, v);
    }

    @Override
    public boolean containsKey(Object key) {
        return lookup(encodeKey(key), false) != null;
    }

    @Override
    public int size() {
        return (int) Math.min(Integer.MAX_VALUE, longSize());
    }

    /** The number of entries. */
    public long longSize() {
        while (true) {
            long e = st.epochAcquire();
            long n = st.count(st.base(e));
            if (st.stable(e)) return n;
        }
    }

    @Override
    public boolean isEmpty() {
        return longSize() == 0;
    }

    private static final byte[] PRESENT = new byte[0];

    /** The value bytes of {@code k} (or {@link #PRESENT} when not {@code copy}), or null when absent. */
    private byte[] lookup(byte[] k, boolean copy) {
        int h = Store.hash(k);
        for (int attempt = 0; attempt < Store.READ_ATTEMPTS; attempt++) {
            long e = st.epochAcquire();
            long base = st.base(e);
            byte[] v;
            try {
                long at = find(base, k, h);
                v = at < 0 ? null : copy ? st.copyValue(base, at) : PRESENT;
            } catch (Store.Corrupt | IndexOutOfBoundsException | NegativeArraySizeException torn) {
                if (st.stable(e)) throw corrupt(torn);
                continue;
            }
            if (st.stable(e)) return v;
        }
        boolean locked = st.lockForWrite();
        try {
            long base = st.base(st.epochAcquire());
            long at = find(base, k, h);
            return at < 0 ? null : copy ? st.copyValue(base, at) : PRESENT;
        } finally {
            st.unlock(locked);
        }
    }

    private IllegalStateException corrupt(RuntimeException e) {
        return e instanceof Store.Corrupt c ? c : new IllegalStateException(st.description + " is corrupt: " + e.getMessage(), e);
    }

    /** The absolute offset of {@code k}'s record in the space at {@code base}, or -1. */
    private long find(long base, byte[] k, int h) {
        long i = h & mask;
        for (long n = 0; n < st.slots; n++, i = (i + 1) & mask) {
            long w = st.word(base, i);
            if (w == EMPTY) return -1;
            if (w == DELETED || StoreDescriptor.wordHash(w) != h) continue;
            long at = st.record(base, w, h);
            if (st.keyEquals(base, at, k)) return at;
        }
        return -1;
    }

    /** Under the lock: the slot holding {@code k}, or {@code -(slot to insert at) - 1}, or {@code Long.MIN_VALUE} if none. */
    private long findSlot(long base, byte[] k, int h) {
        long i = h & mask;
        long free = -1;
        for (long n = 0; n < st.slots; n++, i = (i + 1) & mask) {
            long w = st.word(base, i);
            if (w == EMPTY) return -(free >= 0 ? free : i) - 1;
            if (w == DELETED) {
                if (free < 0) free = i;
                continue;
            }
            if (StoreDescriptor.wordHash(w) != h) continue;
            if (st.keyEquals(base, st.record(base, w, h), k)) return i;
        }
        return free >= 0 ? -free - 1 : Long.MIN_VALUE;
    }

    // ------------------------------------------------------------------ writes: under the lock

    @Override
    public V put(K key, V value) {
        byte[] k = encodeKey(key);
        int h = Store.hash(k);
        int vlen = valueSize(value);
        boolean locked = st.lockForWrite();
        try {
            byte[] old = store(k, h, value, vlen);
            return old == null ? null : Store.decode(values, old);
        } finally {
            st.unlock(locked);
        }
    }

    @Override
    public V putIfAbsent(K key, V value) {
        byte[] k = encodeKey(key);
        int h = Store.hash(k);
        int vlen = valueSize(value);
        boolean locked = st.lockForWrite();
        try {
            byte[] old = current(k, h);
            if (old != null) return Store.decode(values, old);
            store(k, h, value, vlen);
            return null;
        } finally {
            st.unlock(locked);
        }
    }

    @Override
    public V remove(Object key) {
        byte[] k = encodeKey(key);
        int h = Store.hash(k);
        boolean locked = st.lockForWrite();
        try {
            byte[] old = delete(k, h, null);
            return old == null ? null : Store.decode(values, old);
        } finally {
            st.unlock(locked);
        }
    }

    @Override
    public boolean remove(Object key, Object value) {
        if (key == null || value == null) return false;
        byte[] k = encodeKey(key);
        int h = Store.hash(k);
        boolean locked = st.lockForWrite();
        try {
            return delete(k, h, value) != null;
        } finally {
            st.unlock(locked);
        }
    }

    @Override
    public V replace(K key, V value) {
        byte[] k = encodeKey(key);
        int h = Store.hash(k);
        int vlen = valueSize(value);
        boolean locked = st.lockForWrite();
        try {
            if (current(k, h) == null) return null;
            return Store.decode(values, store(k, h, value, vlen));
        } finally {
            st.unlock(locked);
        }
    }

    @Override
    public boolean replace(K key, V oldValue, V newValue) {
        byte[] k = encodeKey(key);
        int h = Store.hash(k);
        Objects.requireNonNull(oldValue, "oldValue");
        int vlen = valueSize(newValue);
        boolean locked = st.lockForWrite();
        try {
            byte[] cur = current(k, h);
            if (cur == null || !valueEquals(Store.decode(values, cur), oldValue)) return false;
            store(k, h, newValue, vlen);
            return true;
        } finally {
            st.unlock(locked);
        }
    }

    @Override
    public V computeIfAbsent(K key, Function<? super K, ? extends V> f) {
        Objects.requireNonNull(f);
        V v = get(key);
        if (v != null) return v;
        byte[] k = encodeKey(key);
        int h = Store.hash(k);
        boolean locked = st.lockForWrite();
        try {
            byte[] cur = current(k, h);
            if (cur != null) return Store.decode(values, cur);
            V nv = f.apply(key);
            if (nv == null) return null;
            store(k, h, nv, valueSize(nv));
            return nv;
        } finally {
            st.unlock(locked);
        }
    }

    @Override
    public V computeIfPresent(K key, BiFunction<? super K, ? super V, ? extends V> f) {
        Objects.requireNonNull(f);
        byte[] k = encodeKey(key);
        int h = Store.hash(k);
        boolean locked = st.lockForWrite();
        try {
            byte[] cur = current(k, h);
            if (cur == null) return null;
            return update(k, h, f.apply(key, Store.decode(values, cur)));
        } finally {
            st.unlock(locked);
        }
    }

    @Override
    public V compute(K key, BiFunction<? super K, ? super V, ? extends V> f) {
        Objects.requireNonNull(f);
        byte[] k = encodeKey(key);
        int h = Store.hash(k);
        boolean locked = st.lockForWrite();
        try {
            byte[] cur = current(k, h);
            return update(k, h, f.apply(key, cur == null ? null : Store.decode(values, cur)));
        } finally {
            st.unlock(locked);
        }
    }

    @Override
    public V merge(K key, V value, BiFunction<? super V, ? super V, ? extends V> f) {
        Objects.requireNonNull(f);
        Objects.requireNonNull(value, "value");
        byte[] k = encodeKey(key);
        int h = Store.hash(k);
        boolean locked = st.lockForWrite();
        try {
            byte[] cur = current(k, h);
            return update(k, h, cur == null ? value : f.apply(Store.decode(values, cur), value));
        } finally {
            st.unlock(locked);
        }
    }

    private V update(byte[] k, int h, V nv) {
        if (nv == null) {
            delete(k, h, null);
        } else {
            store(k, h, nv, valueSize(nv));
        }
        return nv;
    }

    /** Removes every entry: switches to an empty space with one store. */
    @Override
    public void clear() {
        boolean locked = st.lockForWrite();
        try {
            long e = st.epochAcquire();
            long dst = st.beginRebuild(e, st.slots);
            st.flip(e, dst, 0, 0, 0);
        } finally {
            st.unlock(locked);
        }
    }

    /**
     * Runs {@code body} holding the map's lock, so that the map operations it makes are one atomic
     * update as seen by other processes' writers (lock-free readers may see the operations one at a
     * time). {@code body} must not use the map from other threads.
     */
    public <R> R atomically(Function<? super SharedMap<K, V>, R> body) {
        boolean locked = st.lockForWrite();
        try {
            return body.apply(this);
        } finally {
            st.unlock(locked);
        }
    }

    /** Reclaims the garbage now (replaced and removed entries' bytes), rather than when an insertion runs out of room. */
    public void compact() {
        boolean locked = st.lockForWrite();
        try {
            compact(st.epochAcquire());
        } finally {
            st.unlock(locked);
        }
    }

    // ------------------------------------------------------------------ internals (lock held)

    /** The current value bytes of {@code k}, or null. */
    private byte[] current(byte[] k, int h) {
        long base = st.base(st.epochAcquire());
        long slot = findSlot(base, k, h);
        return slot < 0 ? null : st.copyValue(base, st.record(base, st.word(base, slot), h));
    }

    /**
     * Maps {@code k} to {@code value}; returns the previous value's bytes or null. Compacts first
     * when the record does not fit; throws when the map is full.
     */
    private byte[] store(byte[] k, int h, V value, int vlen) {
        long need = st.recordBytes(k.length, vlen);
        boolean compacted = false;
        while (true) {
            long e = st.epochAcquire();
            long base = st.base(e);
            long r = findSlot(base, k, h);
            boolean present = r >= 0;
            long count = st.field(base, SPACE_COUNT_OFFSET);
            if (!present && count >= st.capacity) {
                throw new IllegalStateException(st.description + " is full: it holds " + count + " entries, its capacity");
            }
            long slot = present ? r : r == Long.MIN_VALUE ? -1 : -r - 1;
            boolean newSlot = !present && (slot < 0 || st.word(base, slot) == EMPTY);
            long used = st.field(base, SPACE_USED_OFFSET);
            boolean dataRoom = st.fits(base, need);
            if (!dataRoom || (newSlot && (slot < 0 || used + 1 > maxUsed))) {
                if (!compacted && st.liveBytes(base) <= st.dataBytes - need) {
                    compact(e);
                    compacted = true;
                    continue;
                }
                throw new IllegalStateException(st.description + " is full: an entry of " + need + " bytes does not fit in its "
                        + st.dataBytes + " data bytes, " + st.liveBytes(base) + " of which hold its " + count + " entries");
            }
            byte[] old = null;
            long oldLength = 0;
            if (present) {
                long at = st.record(base, st.word(base, slot), h);
                old = st.copyValue(base, at);
                oldLength = align(st.recordLength(at));
            }
            long off = st.allocate(base, need);
            Store.at(Store.ALLOCATED);
            try {
                st.writeRecord(base, off, h, k, values, value, vlen);
            } catch (RuntimeException | Error ex) {
                st.addGarbage(base, need);
                throw ex;
            }
            Store.at(Store.WRITTEN);
            st.publish(base, slot, StoreDescriptor.word(h, off));
            Store.at(Store.PUBLISHED);
            if (present) {
                st.addGarbage(base, oldLength);
            } else {
                st.setField(base, SPACE_COUNT_OFFSET, count + 1);
                if (newSlot) st.setField(base, SPACE_USED_OFFSET, used + 1);
            }
            return old;
        }
    }

    /** Removes {@code k} (only if its value equals {@code expected}, when given); returns the removed value's bytes or null. */
    private byte[] delete(byte[] k, int h, Object expected) {
        long base = st.base(st.epochAcquire());
        long slot = findSlot(base, k, h);
        if (slot < 0) return null;
        long at = st.record(base, st.word(base, slot), h);
        byte[] old = st.copyValue(base, at);
        if (expected != null && !valueEquals(Store.decode(values, old), expected)) return null;
        long length = align(st.recordLength(at));
        // The end of a probe chain can become empty again; elsewhere a deleted marker keeps the chain whole.
        boolean last = st.word(base, (slot + 1) & mask) == EMPTY;
        st.publish(base, slot, last ? EMPTY : DELETED);
        st.setField(base, SPACE_COUNT_OFFSET, st.field(base, SPACE_COUNT_OFFSET) - 1);
        if (last) st.setField(base, SPACE_USED_OFFSET, st.field(base, SPACE_USED_OFFSET) - 1);
        st.addGarbage(base, length);
        return old;
    }

    /** Copies the live records into the other space, with a fresh index, and switches to it. */
    private void compact(long e) {
        long src = st.base(e);
        long dst = st.beginRebuild(e, st.slots);
        long bump = 0;
        long n = 0;
        long dropped = 0;
        for (long i = 0; i < st.slots; i++) {
            long w = st.word(src, i);
            if (w == EMPTY || w == DELETED) continue;
            int h = StoreDescriptor.wordHash(w);
            long at;
            try {
                at = st.record(src, w, h);
            } catch (Store.Corrupt c) {
                dropped++;
                continue;
            }
            long length = align(st.recordLength(at));
            if (bump > st.dataBytes - length || n >= maxUsed) {
                dropped++; // only corrupt memory (records referenced twice) gets here
                continue;
            }
            long j = h & mask;
            while (st.word(dst, j) != EMPTY) j = (j + 1) & mask;
            st.copyRecord(at, dst, bump);
            st.publish(dst, j, StoreDescriptor.word(h, bump));
            bump += length;
            n++;
            if (Store.HOOKS && n == 1 + st.count(src) / 2) Store.at(Store.REBUILDING);
        }
        st.dropped(dropped);
        st.flip(e, dst, bump, n, n);
    }

    /** After a writer died holding the lock: recount entries, deleted slots and garbage; drop invalid records. */
    private void repair() {
        long base = st.base(st.epochAcquire());
        long n = 0;
        long used = 0;
        long live = 0;
        long maxEnd = 0;
        long dropped = 0;
        for (long i = 0; i < st.slots; i++) {
            long w = st.word(base, i);
            if (w == EMPTY) continue;
            used++;
            if (w == DELETED) continue;
            long at;
            try {
                at = st.record(base, w, StoreDescriptor.wordHash(w));
            } catch (Store.Corrupt c) {
                st.publish(base, i, DELETED);
                dropped++;
                continue;
            }
            long length = align(st.recordLength(at));
            live += length;
            maxEnd = Math.max(maxEnd, at - st.data(base) + length);
            n++;
        }
        Store.at(Store.REPAIRING);
        st.setField(base, SPACE_COUNT_OFFSET, n);
        st.setField(base, SPACE_USED_OFFSET, used);
        st.settle(base, live, maxEnd);
        st.dropped(dropped);
    }

    // ------------------------------------------------------------------ snapshots and views

    /** A point-in-time copy of every entry, taken under the lock, in the map's (hash) order. */
    public Map<K, V> snapshot() {
        List<byte[][]> raw = rawSnapshot();
        Map<K, V> m = new LinkedHashMap<>(Math.max(16, raw.size() * 4 / 3 + 1));
        for (byte[][] kv : raw) m.put(Store.decode(keys, kv[0]), Store.decode(values, kv[1]));
        return m;
    }

    private List<byte[][]> rawSnapshot() {
        boolean locked = st.lockForWrite();
        try {
            long base = st.base(st.epochAcquire());
            List<byte[][]> out = new ArrayList<>((int) Math.min(st.count(base), 1 << 20));
            for (long i = 0; i < st.slots; i++) {
                long w = st.word(base, i);
                if (w == EMPTY || w == DELETED) continue;
                long at = st.record(base, w, StoreDescriptor.wordHash(w));
                out.add(new byte[][] {st.copyKey(base, at), st.copyValue(base, at)});
            }
            return out;
        } finally {
            st.unlock(locked);
        }
    }

    @Override
    public Set<Entry<K, V>> entrySet() {
        Set<Entry<K, V>> es = entrySet;
        return es != null ? es : (entrySet = new EntrySet());
    }

    private final class EntrySet extends AbstractSet<Entry<K, V>> {
        @Override
        public Iterator<Entry<K, V>> iterator() {
            List<byte[][]> raw = rawSnapshot();
            return new Iterator<>() {
                int next;
                K lastKey;

                @Override
                public boolean hasNext() {
                    return next < raw.size();
                }

                @Override
                public Entry<K, V> next() {
                    if (!hasNext()) throw new NoSuchElementException();
                    byte[][] kv = raw.get(next++);
                    K k = Store.decode(keys, kv[0]);
                    lastKey = k;
                    return new SimpleEntry<>(k, Store.decode(values, kv[1])) {
                        @Override
                        public V setValue(V value) {
                            V old = super.setValue(value);
                            put(getKey(), value);
                            return old;
                        }
                    };
                }

                @Override
                public void remove() {
                    if (lastKey == null) throw new IllegalStateException("next() first");
                    SharedMap.this.remove(lastKey);
                    lastKey = null;
                }
            };
        }

        @Override
        public int size() {
            return SharedMap.this.size();
        }

        @Override
        public boolean contains(Object o) {
            if (!(o instanceof Entry<?, ?> e) || e.getKey() == null || e.getValue() == null) return false;
            V v = get(e.getKey());
            return v != null && valueEquals(v, e.getValue());
        }

        @Override
        public boolean remove(Object o) {
            return o instanceof Entry<?, ?> e && SharedMap.this.remove(e.getKey(), e.getValue());
        }

        @Override
        public void clear() {
            SharedMap.this.clear();
        }
    }

    // ------------------------------------------------------------------ misc

    /** The most entries the map can hold. */
    public long capacity() {
        return st.capacity;
    }

    /** Storage figures: size, bytes used and garbage, compactions, repairs. */
    public StoreStats stats() {
        return st.stats(-1, "map");
    }

    /**
     * The map's lock, which every writer holds (readers take none). To inspect it (owner,
     * recoveries), or to hold it across several operations: the map's methods called by the
     * holding thread run within that hold, and a hold taken over from a dead holder repairs the
     * map first. {@link #atomically} is the convenient form.
     */
    public dev.shmkit.sync.SharedLock lock() {
        return st.lock;
    }

    /** The name of its shared memory object, or null when placed in a segment. */
    public String name() {
        return st.region.name();
    }

    /** Removes the map's name (see {@link SharedMemory#unlink()}). */
    public void unlink() {
        st.region.unlink();
    }

    /** Unmaps a named map from this process. Does not unlink. */
    @Override
    public void close() {
        st.region.close();
    }

    @SuppressWarnings("unchecked")
    private byte[] encodeKey(Object key) {
        Objects.requireNonNull(key, "key");
        return Store.encode(keys, (K) key, "key");
    }

    private int valueSize(V value) {
        Objects.requireNonNull(value, "value");
        int n = values.size(value);
        if (n < 0) throw new IllegalArgumentException("codec " + values + " gave a negative size " + n);
        return n;
    }

    static boolean valueEquals(Object a, Object b) {
        if (a instanceof byte[] x && b instanceof byte[] y) return Arrays.equals(x, y);
        return Objects.equals(a, b);
    }
}
