package dev.shmkit.objects;

import dev.shmkit.queue.Codec;
import dev.shmkit.shm.OpenMode;
import dev.shmkit.shm.SharedMemory;

import java.lang.foreign.MemorySegment;
import java.util.AbstractList;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.ListIterator;
import java.util.NoSuchElementException;
import java.util.Objects;
import java.util.RandomAccess;
import java.util.function.Function;

import static dev.shmkit.objects.StoreDescriptor.SPACE_COUNT_OFFSET;
import static dev.shmkit.objects.StoreDescriptor.align;

/**
 * A list in shared memory, used by any number of processes at once: what Python's
 * {@code Manager().list()} gives, without a server process. Elements are stored as their
 * {@link Codec} encodings; every process must use the same codec (its name is recorded and
 * checked on open).
 *
 * <h2>Operations</h2>
 * <table>
 * <caption>What each operation costs and how it synchronizes</caption>
 * <tr><th>operation</th><th>cost</th><th>lock</th></tr>
 * <tr><td>{@code get(i)}, {@code size()}</td><td>O(1)</td><td>none (seqlock-style epoch check)</td></tr>
 * <tr><td>{@code add(e)}, {@code set(i, e)}, {@link #removeLast()}, {@code remove(size() - 1)}, {@code clear()}</td><td>O(1)</td><td>the list's lock</td></tr>
 * <tr><td>{@code add(i, e)}, {@code remove(i)} in the middle</td><td>O(size + bytes): the list is rebuilt into its second space</td><td>the list's lock</td></tr>
 * <tr><td>{@code iterator()}, {@code listIterator()}, {@code contains}, {@code indexOf}, {@code equals}, {@link #snapshot()}</td><td>O(size): a point-in-time copy taken under the lock</td><td>the list's lock, briefly</td></tr>
 * </table>
 * Every mutating method is atomic across processes, including {@code addAll},
 * {@code replaceAll}, {@code sort}, {@code removeIf}, {@code removeAll} and {@code retainAll};
 * {@link #atomically} makes several operations one. Iterators are read-only views of their
 * snapshot (their {@code remove}, {@code set} and {@code add} throw
 * {@link UnsupportedOperationException}); {@code subList} views work through
 * {@code get}/{@code set}/{@code add(i, e)}/{@code remove(i)} one element at a time. Null
 * elements are refused. Not supported: growing beyond the capacity (there is no remapping).
 *
 * <h2>Capacity</h2>
 * Fixed at creation: at most {@code capacity} elements, and records (16 bytes + the element's
 * encoding, rounded up to 8) in {@code dataBytes}. Replaced and removed elements leave garbage,
 * reclaimed by compaction when an addition runs out of room; a list whose live elements leave
 * no room refuses with {@link IllegalStateException} {@code "list /x is full: ..."}.
 *
 * <h2>A writer that dies</h2>
 * As for {@link SharedMap}: every update writes into unreferenced space and publishes with one
 * store (the element's index word, then the size), so a writer killed at any instant leaves the
 * list as it was before or after its update; the next writer repairs the byte counts.
 */
public final class SharedList<E> extends AbstractList<E> implements RandomAccess, AutoCloseable {
    /** Capacity of lists created without one. */
    public static final long DEFAULT_CAPACITY = 1024;
    /** Data bytes of lists created without a size (256 KiB). */
    public static final long DEFAULT_DATA_BYTES = 256 * 1024;

    private static final byte[] NO_KEY = new byte[0];

    private final Store st;
    private final Codec<E> codec;

    private SharedList(ObjectRegion region, Codec<E> codec) {
        this.st = new Store(region, this::repair);
        this.codec = codec;
    }

    // ------------------------------------------------------------------ creating and opening

    /** Bytes a list of this capacity and data size takes. */
    public static long byteSize(long capacity, long dataBytes) {
        return Shape.list(capacity, dataBytes).length();
    }

    /** Creates a new named list (exclusively, 0600). */
    public static <E> SharedList<E> create(String name, Codec<E> codec, long capacity, long dataBytes) {
        return open(name, OpenMode.CREATE_EXCLUSIVE, codec, capacity, dataBytes, SharedMemory.DEFAULT_PERMISSIONS);
    }

    /** Opens the named list, or creates it (0600); an existing list keeps its own capacity. */
    public static <E> SharedList<E> openOrCreate(String name, Codec<E> codec, long capacity, long dataBytes) {
        return open(name, OpenMode.OPEN_OR_CREATE, codec, capacity, dataBytes, SharedMemory.DEFAULT_PERMISSIONS);
    }

    /** Opens an existing named list. */
    public static <E> SharedList<E> open(String name, Codec<E> codec) {
        return open(name, OpenMode.OPEN_EXISTING, codec, DEFAULT_CAPACITY, DEFAULT_DATA_BYTES, SharedMemory.DEFAULT_PERMISSIONS);
    }

    /** The general form; capacity, data size and permissions only count when creating. */
    public static <E> SharedList<E> open(String name, OpenMode mode, Codec<E> codec, long capacity, long dataBytes, int permissions) {
        Objects.requireNonNull(codec, "codec");
        return new SharedList<>(ObjectRegion.named(name, mode, permissions, ObjectKind.LIST, Shape.list(capacity, dataBytes),
                s -> Store.writeCodecName(s, StoreDescriptor.KEY_CODEC_OFFSET, codec),
                r -> Store.checkCodec(r, StoreDescriptor.KEY_CODEC_OFFSET, codec, "element")), codec);
    }

    /** Initializes a new list at {@code offset} of {@code segment} ({@link #byteSize} bytes, 8-byte aligned). */
    public static <E> SharedList<E> create(MemorySegment segment, long offset, Codec<E> codec, long capacity, long dataBytes) {
        return new SharedList<>(ObjectRegion.create(segment, offset, Shape.list(capacity, dataBytes),
                s -> Store.writeCodecName(s, StoreDescriptor.KEY_CODEC_OFFSET, codec)), codec);
    }

    /** Uses the list another process initialized at {@code offset} of {@code segment}. */
    public static <E> SharedList<E> open(MemorySegment segment, long offset, Codec<E> codec) {
        ObjectRegion r = ObjectRegion.open(segment, offset, ObjectKind.LIST);
        Store.checkCodec(r, StoreDescriptor.KEY_CODEC_OFFSET, codec, "element");
        return new SharedList<>(r, codec);
    }

    /** Removes a named list; false when there is none. */
    public static boolean unlink(String name) {
        return SharedMemory.unlink(name);
    }

    // ------------------------------------------------------------------ reads: no lock

    @Override
    public E get(int index) {
        for (int attempt = 0; attempt < Store.READ_ATTEMPTS; attempt++) {
            long e = st.epochAcquire();
            long base = st.base(e);
            byte[] v;
            try {
                long n = count(base);
                if (index < 0 || index >= n) {
                    if (st.stable(e)) throw new IndexOutOfBoundsException("index " + index + " out of bounds for " + st.description + " of size " + n);
                    continue;
                }
                v = st.copyValue(base, st.record(base, st.word(base, index), 0));
            } catch (Store.Corrupt | NegativeArraySizeException torn) {
                if (st.stable(e)) throw torn instanceof Store.Corrupt c ? c : new IllegalStateException(st.description + " is corrupt", torn);
                continue;
            }
            if (st.stable(e)) return Store.decode(codec, v);
        }
        boolean locked = st.lockForWrite();
        try {
            long base = st.base(st.epochAcquire());
            Objects.checkIndex(index, count(base));
            return Store.decode(codec, st.copyValue(base, st.record(base, st.word(base, index), 0)));
        } finally {
            st.unlock(locked);
        }
    }

    @Override
    public int size() {
        while (true) {
            long e = st.epochAcquire();
            long n = st.count(st.base(e));
            if (st.stable(e)) return (int) Math.max(0, Math.min(n, st.capacity));
        }
    }

    /** The count of the space at {@code base}, refused when larger than the capacity (corrupt memory). */
    private long count(long base) {
        long n = st.count(base);
        if (n < 0 || n > st.capacity) throw new Store.Corrupt(st.description + " is corrupt: size " + n + " exceeds its capacity " + st.capacity);
        return n;
    }

    // ------------------------------------------------------------------ writes: under the lock

    /** Appends {@code element} (Python's {@code append}). */
    @Override
    public boolean add(E element) {
        int vlen = size(element);
        long need = st.recordBytes(0, vlen);
        boolean locked = st.lockForWrite();
        try {
            long e = st.epochAcquire();
            long base = st.base(e);
            long n = count(base);
            checkRoomFor(n);
            if (!st.fits(base, need)) {
                rebuild(e, n, -1, -1, null, 0, need);
                e = st.epochAcquire();
                base = st.base(e);
            }
            long off = st.allocate(base, need);
            Store.at(Store.ALLOCATED);
            try {
                st.writeRecord(base, off, 0, NO_KEY, codec, element, vlen);
            } catch (RuntimeException | Error ex) {
                st.addGarbage(base, need);
                throw ex;
            }
            Store.at(Store.WRITTEN);
            st.publish(base, n, StoreDescriptor.word(0, off));
            Store.at(Store.PUBLISHED);
            st.setField(base, SPACE_COUNT_OFFSET, n + 1);
            return true;
        } finally {
            st.unlock(locked);
        }
    }

    /** Appends every element, atomically (one hold of the lock). */
    @Override
    public boolean addAll(Collection<? extends E> elements) {
        if (elements.isEmpty()) return false;
        boolean locked = st.lockForWrite();
        try {
            for (E e : elements) add(e);
            return true;
        } finally {
            st.unlock(locked);
        }
    }

    /** Inserts {@code element} at {@code index}: O(1) at the end, otherwise a rebuild of the list. */
    @Override
    public void add(int index, E element) {
        int vlen = size(element);
        long need = st.recordBytes(0, vlen);
        boolean locked = st.lockForWrite();
        try {
            long e = st.epochAcquire();
            long n = count(st.base(e));
            Objects.checkIndex(index, n + 1);
            if (index == n) {
                add(element);
                return;
            }
            checkRoomFor(n);
            rebuild(e, n, index, -1, element, vlen, need);
        } finally {
            st.unlock(locked);
        }
    }

    @Override
    public E set(int index, E element) {
        int vlen = size(element);
        long need = st.recordBytes(0, vlen);
        boolean locked = st.lockForWrite();
        try {
            long e = st.epochAcquire();
            long base = st.base(e);
            long n = count(base);
            Objects.checkIndex(index, n);
            if (!st.fits(base, need)) {
                rebuild(e, n, -1, -1, null, 0, need);
                e = st.epochAcquire();
                base = st.base(e);
            }
            long at = st.record(base, st.word(base, index), 0);
            byte[] old = st.copyValue(base, at);
            long oldLength = align(st.recordLength(at));
            long off = st.allocate(base, need);
            try {
                st.writeRecord(base, off, 0, NO_KEY, codec, element, vlen);
            } catch (RuntimeException | Error ex) {
                st.addGarbage(base, need);
                throw ex;
            }
            st.publish(base, index, StoreDescriptor.word(0, off));
            st.addGarbage(base, oldLength);
            return Store.decode(codec, old);
        } finally {
            st.unlock(locked);
        }
    }

    /** Removes and returns the last element (Python's {@code pop()}); O(1). */
    @Override
    public E removeLast() {
        boolean locked = st.lockForWrite();
        try {
            long base = st.base(st.epochAcquire());
            long n = count(base);
            if (n == 0) throw new NoSuchElementException(st.description + " is empty");
            long at = st.record(base, st.word(base, n - 1), 0);
            byte[] old = st.copyValue(base, at);
            st.setField(base, SPACE_COUNT_OFFSET, n - 1);
            st.addGarbage(base, align(st.recordLength(at)));
            return Store.decode(codec, old);
        } finally {
            st.unlock(locked);
        }
    }

    /** Removes the element at {@code index}: O(1) for the last, otherwise a rebuild of the list. */
    @Override
    public E remove(int index) {
        boolean locked = st.lockForWrite();
        try {
            long e = st.epochAcquire();
            long base = st.base(e);
            long n = count(base);
            Objects.checkIndex(index, n);
            if (index == n - 1) return removeLast();
            E old = Store.decode(codec, st.copyValue(base, st.record(base, st.word(base, index), 0)));
            rebuild(e, n, -1, index, null, 0, 0);
            return old;
        } finally {
            st.unlock(locked);
        }
    }

    /** Removes every element: switches to an empty space with one store. */
    @Override
    public void clear() {
        boolean locked = st.lockForWrite();
        try {
            long e = st.epochAcquire();
            st.flip(e, st.beginRebuild(e, 0), 0, 0, 0);
        } finally {
            st.unlock(locked);
        }
    }

    /** Reclaims the garbage now rather than when an addition runs out of room. */
    public void compact() {
        boolean locked = st.lockForWrite();
        try {
            long e = st.epochAcquire();
            rebuild(e, count(st.base(e)), -1, -1, null, 0, 0);
        } finally {
            st.unlock(locked);
        }
    }

    /**
     * Runs {@code body} holding the list's lock, so that the list operations it makes are one
     * atomic update as seen by other processes' writers. {@code body} must not use the list from
     * other threads.
     */
    public <R> R atomically(Function<? super SharedList<E>, R> body) {
        boolean locked = st.lockForWrite();
        try {
            return body.apply(this);
        } finally {
            st.unlock(locked);
        }
    }

    /** Replaces every element with {@code f(element)}, atomically (one hold of the lock). */
    @Override
    public void replaceAll(java.util.function.UnaryOperator<E> f) {
        Objects.requireNonNull(f);
        atomically(l -> {
            for (int i = 0, n = size(); i < n; i++) set(i, f.apply(get(i)));
            return null;
        });
    }

    /** Sorts the list, atomically (one hold of the lock). */
    @Override
    public void sort(java.util.Comparator<? super E> c) {
        atomically(l -> {
            List<E> sorted = snapshot();
            sorted.sort(c);
            for (int i = 0; i < sorted.size(); i++) set(i, sorted.get(i));
            return null;
        });
    }

    /** Removes the elements {@code filter} accepts, atomically (one hold of the lock, one rebuild per removal). */
    @Override
    public boolean removeIf(java.util.function.Predicate<? super E> filter) {
        Objects.requireNonNull(filter);
        return atomically(l -> {
            boolean removed = false;
            for (int i = size() - 1; i >= 0; i--) {
                if (filter.test(get(i))) {
                    remove(i);
                    removed = true;
                }
            }
            return removed;
        });
    }

    @Override
    public boolean removeAll(Collection<?> c) {
        Objects.requireNonNull(c);
        return removeIf(c::contains);
    }

    @Override
    public boolean retainAll(Collection<?> c) {
        Objects.requireNonNull(c);
        return removeIf(e -> !c.contains(e));
    }

    // ------------------------------------------------------------------ internals (lock held)

    private void checkRoomFor(long n) {
        if (n >= st.capacity) throw new IllegalStateException(st.description + " is full: it holds " + n + " elements, its capacity");
    }

    /**
     * Builds the list into the inactive space, inserting {@code element} before index
     * {@code insertAt} and/or leaving out index {@code removeAt} (-1: neither), with room for
     * {@code reserve} more bytes, and switches to it with one store. Also the compaction.
     */
    private void rebuild(long e, long n, long insertAt, long removeAt, E element, int vlen, long reserve) {
        long src = st.base(e);
        long live = 0;
        for (long i = 0; i < n; i++) live += align(st.recordLength(st.record(src, st.word(src, i), 0)));
        if (live > st.dataBytes - reserve) {
            throw new IllegalStateException(st.description + " is full: an element of " + reserve + " bytes does not fit in its "
                    + st.dataBytes + " data bytes, " + live + " of which hold its " + n + " elements");
        }
        long dst = st.beginRebuild(e, 0);
        long bump = 0;
        long j = 0;
        for (long i = 0; i <= n; i++) {
            if (i == insertAt) {
                long need = st.recordBytes(0, vlen);
                st.writeRecord(dst, bump, 0, NO_KEY, codec, element, vlen);
                st.publish(dst, j++, StoreDescriptor.word(0, bump));
                bump += need;
            }
            if (i == n || i == removeAt) continue;
            long at = st.record(src, st.word(src, i), 0);
            long len = st.copyRecord(at, dst, bump);
            st.publish(dst, j++, StoreDescriptor.word(0, bump));
            bump += len;
            if (Store.HOOKS && j == 1 + n / 2) Store.at(Store.REBUILDING);
        }
        st.flip(e, dst, bump, j, 0);
    }

    /** After a writer died holding the lock: recount the live bytes and garbage. */
    private void repair() {
        long base = st.base(st.epochAcquire());
        long n = st.count(base);
        if (n < 0 || n > st.capacity) {
            n = Math.max(0, Math.min(n, st.capacity));
            st.setField(base, SPACE_COUNT_OFFSET, n);
        }
        long live = 0;
        long maxEnd = 0;
        for (long i = 0; i < n; i++) {
            try {
                long at = st.record(base, st.word(base, i), 0);
                long len = align(st.recordLength(at));
                live += len;
                maxEnd = Math.max(maxEnd, at - st.data(base) + len);
            } catch (Store.Corrupt c) {
                // only corrupted memory: get(i) will say so
            }
        }
        Store.at(Store.REPAIRING);
        st.settle(base, live, maxEnd);
    }

    // ------------------------------------------------------------------ snapshots and views

    /** A point-in-time copy of the elements, taken under the lock. */
    public List<E> snapshot() {
        List<byte[]> raw = new ArrayList<>();
        boolean locked = st.lockForWrite();
        try {
            long base = st.base(st.epochAcquire());
            long n = count(base);
            for (long i = 0; i < n; i++) raw.add(st.copyValue(base, st.record(base, st.word(base, i), 0)));
        } finally {
            st.unlock(locked);
        }
        List<E> out = new ArrayList<>(raw.size());
        for (byte[] b : raw) out.add(Store.decode(codec, b));
        return out;
    }

    /** Iterates a snapshot (read-only). */
    @Override
    public Iterator<E> iterator() {
        return Collections.unmodifiableList(snapshot()).iterator();
    }

    /** Iterates a snapshot (read-only). */
    @Override
    public ListIterator<E> listIterator(int index) {
        return Collections.unmodifiableList(snapshot()).listIterator(index);
    }

    /** The most elements the list can hold. */
    public long capacity() {
        return st.capacity;
    }

    /** Storage figures: size, bytes used and garbage, rebuilds, repairs. */
    public StoreStats stats() {
        return st.stats(-1, "list");
    }

    /**
     * The list's lock, which every writer holds (readers take none). To inspect it (owner,
     * recoveries), or to hold it across several operations: the list's methods called by the
     * holding thread run within that hold, and a hold taken over from a dead holder repairs the
     * list first. {@link #atomically} is the convenient form.
     */
    public dev.shmkit.sync.SharedLock lock() {
        return st.lock;
    }

    /** The name of its shared memory object, or null when placed in a segment. */
    public String name() {
        return st.region.name();
    }

    public void unlink() {
        st.region.unlink();
    }

    /** Unmaps a named list from this process. Does not unlink. */
    @Override
    public void close() {
        st.region.close();
    }

    private int size(E element) {
        Objects.requireNonNull(element, "element");
        int n = codec.size(element);
        if (n < 0) throw new IllegalArgumentException("codec " + codec + " gave a negative size " + n);
        return n;
    }
}
