package dev.shmkit.objects;

import dev.shmkit.queue.Codec;
import dev.shmkit.sync.SharedLock;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

import static dev.shmkit.objects.Handles.INT;
import static dev.shmkit.objects.Handles.LONG;
import static dev.shmkit.objects.StoreDescriptor.DELETED;
import static dev.shmkit.objects.StoreDescriptor.DROPPED_OFFSET;
import static dev.shmkit.objects.StoreDescriptor.EMPTY;
import static dev.shmkit.objects.StoreDescriptor.EPOCH_OFFSET;
import static dev.shmkit.objects.StoreDescriptor.RECORD_HASH_OFFSET;
import static dev.shmkit.objects.StoreDescriptor.RECORD_HEADER;
import static dev.shmkit.objects.StoreDescriptor.RECORD_KEY_LENGTH_OFFSET;
import static dev.shmkit.objects.StoreDescriptor.RECORD_LENGTH_OFFSET;
import static dev.shmkit.objects.StoreDescriptor.RECORD_VALUE_LENGTH_OFFSET;
import static dev.shmkit.objects.StoreDescriptor.REPAIRS_OFFSET;
import static dev.shmkit.objects.StoreDescriptor.SPACES_OFFSET;
import static dev.shmkit.objects.StoreDescriptor.SPACE_BUMP_OFFSET;
import static dev.shmkit.objects.StoreDescriptor.SPACE_COUNT_OFFSET;
import static dev.shmkit.objects.StoreDescriptor.SPACE_GARBAGE_OFFSET;
import static dev.shmkit.objects.StoreDescriptor.SPACE_INDEX_OFFSET;
import static dev.shmkit.objects.StoreDescriptor.SPACE_USED_OFFSET;
import static dev.shmkit.objects.StoreDescriptor.align;

/**
 * What a {@link SharedMap} and a {@link SharedList} share (see {@link StoreDescriptor}): the two
 * spaces and the epoch that selects one, records and their validation, allocation by bump
 * pointer, the lock with its repair hook, and the lock-free read protocol.
 */
final class Store {
    /**
     * Crash points for tests: with {@code -Dshmkit.objects.crashHooks=true}, {@link #hook} is
     * called at each step of an update, so a test can kill the process exactly there. Without
     * the property the calls fold away.
     */
    static final boolean HOOKS = Boolean.getBoolean("shmkit.objects.crashHooks");
    static volatile java.util.function.IntConsumer hook;
    /** Bytes reserved by the bump pointer, record not written yet. */
    static final int ALLOCATED = 1;
    /** Record written, not yet published. */
    static final int WRITTEN = 2;
    /** Index word published, counters not updated yet. */
    static final int PUBLISHED = 3;
    /** Half-way through copying a rebuild or compaction into the inactive space. */
    static final int REBUILDING = 4;
    /** Inside a repair pass, after recounting, before storing the counts. */
    static final int REPAIRING = 5;

    static void at(int point) {
        if (HOOKS) {
            java.util.function.IntConsumer h = hook;
            if (h != null) h.accept(point);
        }
    }

    /** Lock-free read attempts before a reader takes the lock instead. */
    static final int READ_ATTEMPTS = 16;

    final ObjectRegion region;
    final MemorySegment s;
    final SharedLock lock;
    final String description;
    final long capacity;
    final long slots;
    final long dataBytes;
    final long spaceLength;
    private final Runnable repair;

    /** A record or index word that does not make sense: torn by a concurrent rebuild, or corrupt. */
    static final class Corrupt extends IllegalStateException {
        Corrupt(String message) {
            super(message, null);
        }
    }

    Store(ObjectRegion region, Runnable repair) {
        this.region = region;
        this.s = region.segment;
        this.lock = region.lock();
        this.description = region.description;
        this.capacity = region.shape.count();
        this.slots = region.shape.slots();
        this.dataBytes = region.shape.dataBytes();
        this.spaceLength = StoreDescriptor.spaceLength(slots, dataBytes);
        this.repair = repair;
    }

    // ------------------------------------------------------------------ codec names

    static void writeCodecName(MemorySegment s, long offset, Codec<?> codec) {
        byte[] name = codecName(codec);
        s.set(ValueLayout.JAVA_BYTE, offset, (byte) name.length);
        MemorySegment.copy(name, 0, s, ValueLayout.JAVA_BYTE, offset + 1, name.length);
    }

    private static byte[] codecName(Codec<?> codec) {
        String n = codec.name();
        if (n == null) return new byte[0];
        byte[] b = n.getBytes(StandardCharsets.UTF_8);
        return b.length <= StoreDescriptor.CODEC_NAME_MAX ? b : Arrays.copyOf(b, StoreDescriptor.CODEC_NAME_MAX);
    }

    /** The recorded codec name at {@code offset}, or null for a custom codec. */
    static String recordedCodecName(MemorySegment s, long offset) {
        int n = Byte.toUnsignedInt(s.get(ValueLayout.JAVA_BYTE, offset));
        if (n == 0) return null;
        byte[] b = new byte[n];
        MemorySegment.copy(s, ValueLayout.JAVA_BYTE, offset + 1, b, 0, n);
        return new String(b, StandardCharsets.UTF_8);
    }

    /** Refuses a codec of another known encoding than the creator's; custom and byte codecs pass. */
    static void checkCodec(ObjectRegion r, long offset, Codec<?> codec, String role) {
        String recorded = recordedCodecName(r.segment, offset);
        String given = codec.name();
        if (recorded == null || given == null || given.equals("bytes")) return;
        String mine = new String(codecName(codec), StandardCharsets.UTF_8);
        if (!mine.equals(recorded)) {
            throw new IllegalStateException(r.description + " was created with " + role + " codec '" + recorded
                    + "', not '" + given + "'");
        }
    }

    // ------------------------------------------------------------------ layout

    long base(long epoch) {
        return SPACES_OFFSET + (epoch & 1) * spaceLength;
    }

    long index(long base, long slot) {
        return base + SPACE_INDEX_OFFSET + (slot << 3);
    }

    long data(long base) {
        return base + SPACE_INDEX_OFFSET + (slots << 3);
    }

    long epochAcquire() {
        return (long) LONG.getAcquire(s, EPOCH_OFFSET);
    }

    /** After lock-free reads made under {@code epoch}: whether they read a space that was not being rebuilt. */
    boolean stable(long epoch) {
        VarHandle.acquireFence();
        return (long) LONG.getVolatile(s, EPOCH_OFFSET) == epoch;
    }

    long word(long base, long slot) {
        return (long) LONG.getAcquire(s, index(base, slot));
    }

    void publish(long base, long slot, long word) {
        LONG.setRelease(s, index(base, slot), word);
    }

    long field(long base, long offset) {
        return (long) LONG.getAcquire(s, base + offset);
    }

    void setField(long base, long offset, long v) {
        LONG.setRelease(s, base + offset, v);
    }

    long count(long base) {
        return field(base, SPACE_COUNT_OFFSET);
    }

    // ------------------------------------------------------------------ records

    /**
     * Checks the record an index word refers to and returns its data offset; throws
     * {@link Corrupt} when the word or the record makes no sense.
     */
    long record(long base, long word, int expectedHash) {
        long off = StoreDescriptor.recordOffset(word);
        if (off < 0 || off > dataBytes - RECORD_HEADER) {
            throw new Corrupt(description + " is corrupt: an index word points outside the data area (0x" + Long.toHexString(word) + ")");
        }
        long at = data(base) + off;
        int length = s.get(ValueLayout.JAVA_INT, at + RECORD_LENGTH_OFFSET);
        int hash = s.get(ValueLayout.JAVA_INT, at + RECORD_HASH_OFFSET);
        int keyLength = s.get(ValueLayout.JAVA_INT, at + RECORD_KEY_LENGTH_OFFSET);
        int valueLength = s.get(ValueLayout.JAVA_INT, at + RECORD_VALUE_LENGTH_OFFSET);
        if (keyLength < 0 || valueLength < 0 || (long) RECORD_HEADER + keyLength + valueLength != length
                || align(length) > dataBytes - off || hash != expectedHash) {
            throw new Corrupt(description + " is corrupt: bad record at data offset " + off + " (length " + length
                    + ", key " + keyLength + ", value " + valueLength + ", hash " + hash + ")");
        }
        return at;
    }

    int recordLength(long at) {
        return s.get(ValueLayout.JAVA_INT, at + RECORD_LENGTH_OFFSET);
    }

    int keyLength(long at) {
        return s.get(ValueLayout.JAVA_INT, at + RECORD_KEY_LENGTH_OFFSET);
    }

    int valueLength(long at) {
        return s.get(ValueLayout.JAVA_INT, at + RECORD_VALUE_LENGTH_OFFSET);
    }

    /**
     * Reads the key and value lengths of the record at {@code at} again and checks that they lie
     * within the data area: a concurrent rebuild may have changed them since {@link #record}
     * validated them, and nothing is allocated or copied from unchecked lengths.
     */
    private long span(long base, long at, int keyLength, int valueLength) {
        if (keyLength < 0 || valueLength < 0 || at + RECORD_HEADER + (long) keyLength + valueLength > data(base) + dataBytes) {
            throw new Corrupt(description + " is corrupt: record at " + at + " claims " + keyLength + " + " + valueLength + " bytes");
        }
        return at + RECORD_HEADER;
    }

    private static final java.lang.invoke.VarHandle BYTES_AS_LONG =
            java.lang.invoke.MethodHandles.byteArrayViewVarHandle(long[].class, java.nio.ByteOrder.LITTLE_ENDIAN);

    /** Whether the record's key bytes equal {@code key}: eight bytes at a time, without allocating. */
    boolean keyEquals(long base, long at, byte[] key) {
        int kl = keyLength(at);
        if (kl != key.length) return false;
        long from = span(base, at, kl, 0);
        int j = 0;
        for (; j + 8 <= kl; j += 8) {
            if (s.get(ValueLayout.JAVA_LONG_UNALIGNED, from + j) != (long) BYTES_AS_LONG.get(key, j)) return false;
        }
        for (; j < kl; j++) {
            if (s.get(ValueLayout.JAVA_BYTE, from + j) != key[j]) return false;
        }
        return true;
    }

    byte[] copyKey(long base, long at) {
        int kl = keyLength(at);
        long from = span(base, at, kl, 0);
        byte[] b = new byte[kl];
        MemorySegment.copy(s, ValueLayout.JAVA_BYTE, from, b, 0, kl);
        return b;
    }

    byte[] copyValue(long base, long at) {
        int kl = keyLength(at);
        int vl = valueLength(at);
        long from = span(base, at, kl, vl) + kl;
        byte[] b = new byte[vl];
        MemorySegment.copy(s, ValueLayout.JAVA_BYTE, from, b, 0, vl);
        return b;
    }

    static <E> E decode(Codec<E> codec, byte[] bytes) {
        return codec.decode(MemorySegment.ofArray(bytes), 0, bytes.length);
    }

    static <E> byte[] encode(Codec<E> codec, E value, String what) {
        java.util.Objects.requireNonNull(value, what);
        int n = codec.size(value);
        if (n < 0) throw new IllegalArgumentException("codec " + codec + " gave a negative size " + n + " for a " + what);
        byte[] b = new byte[n];
        codec.encode(value, MemorySegment.ofArray(b), 0);
        return b;
    }

    /** Bytes a record of this key and value takes in the data area; refuses one that could never fit. */
    long recordBytes(int keyLength, long valueLength) {
        long need = align(RECORD_HEADER + keyLength + valueLength);
        if (need > dataBytes || RECORD_HEADER + keyLength + valueLength > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("an entry of " + need + " bytes can never fit in " + description
                    + ", whose data area has " + dataBytes + " bytes");
        }
        return need;
    }

    /** Whether {@code need} more bytes fit the active space's data area now. */
    boolean fits(long base, long need) {
        return field(base, SPACE_BUMP_OFFSET) <= dataBytes - need;
    }

    /** Bytes of live records in the space (allocated minus garbage). */
    long liveBytes(long base) {
        return field(base, SPACE_BUMP_OFFSET) - field(base, SPACE_GARBAGE_OFFSET);
    }

    /**
     * Reserves {@code need} bytes (aligned) by advancing the bump pointer first: a writer that
     * dies after this leaks the bytes but never leaves a reference to unwritten space.
     */
    long allocate(long base, long need) {
        long off = field(base, SPACE_BUMP_OFFSET);
        setField(base, SPACE_BUMP_OFFSET, off + need);
        return off;
    }

    /**
     * Writes a record into reserved, unreferenced space. The value is encoded straight into the
     * shared mapping, into a slice bounded to its bytes. Returns the record's absolute offset.
     */
    <V> long writeRecord(long base, long off, int hash, byte[] key, Codec<V> codec, V value, int valueLength) {
        long at = data(base) + off;
        s.set(ValueLayout.JAVA_INT, at + RECORD_LENGTH_OFFSET, RECORD_HEADER + key.length + valueLength);
        s.set(ValueLayout.JAVA_INT, at + RECORD_HASH_OFFSET, hash);
        s.set(ValueLayout.JAVA_INT, at + RECORD_KEY_LENGTH_OFFSET, key.length);
        s.set(ValueLayout.JAVA_INT, at + RECORD_VALUE_LENGTH_OFFSET, valueLength);
        MemorySegment.copy(key, 0, s, ValueLayout.JAVA_BYTE, at + RECORD_HEADER, key.length);
        codec.encode(value, s.asSlice(at + RECORD_HEADER + key.length, valueLength), 0);
        return at;
    }

    void addGarbage(long base, long bytes) {
        setField(base, SPACE_GARBAGE_OFFSET, field(base, SPACE_GARBAGE_OFFSET) + bytes);
    }

    /**
     * Starts a rebuild into the inactive space: clears its counters and its first
     * {@code indexSlots} index words, and returns its base. Nothing a reader of the active space
     * sees changes until {@link #flip}.
     */
    long beginRebuild(long epoch, long indexSlots) {
        long dst = base(epoch + 1);
        s.asSlice(dst, SPACE_INDEX_OFFSET + (indexSlots << 3)).fill((byte) 0);
        return dst;
    }

    /** Copies the record at absolute offset {@code at} into {@code dst}'s data area at {@code off}; returns its aligned length. */
    long copyRecord(long at, long dst, long off) {
        long len = align(recordLength(at));
        MemorySegment.copy(s, at, s, data(dst) + off, len);
        return len;
    }

    /** Publishes a rebuilt space: one store of the epoch. */
    void flip(long epoch, long dst, long bump, long count, long used) {
        setField(dst, SPACE_BUMP_OFFSET, bump);
        setField(dst, SPACE_COUNT_OFFSET, count);
        setField(dst, SPACE_USED_OFFSET, used);
        setField(dst, SPACE_GARBAGE_OFFSET, 0);
        LONG.setVolatile(s, EPOCH_OFFSET, epoch + 1);
    }

    // ------------------------------------------------------------------ locking and repair

    /** The recovery count of the hold this process last repaired for (guarded by the lock). */
    private long repairedAt = -1;

    /**
     * Takes the lock, unless this thread holds it already (inside {@code atomically}, or taken
     * through {@code lock()}); if the hold was taken over from a holder that died, repairs the
     * structure first, once per take-over. Returns whether it took the lock, to be passed to
     * {@link #unlock(boolean)}.
     */
    boolean lockForWrite() {
        boolean took = !lock.isHeldByCurrentThread();
        if (took) lock.lock();
        if (lock.ownerDied()) {
            long recovery = lock.recoveries();
            if (recovery != repairedAt) {
                try {
                    repair.run();
                    LONG.getAndAdd(s, REPAIRS_OFFSET, 1L);
                    repairedAt = recovery;
                } catch (RuntimeException | Error e) {
                    if (took) lock.unlock();
                    throw e;
                }
            }
        }
        return took;
    }

    void unlock(boolean locked) {
        if (locked) lock.unlock();
    }

    void dropped(long n) {
        if (n > 0) LONG.getAndAdd(s, DROPPED_OFFSET, n);
    }

    /** Settles a space's bump and garbage after a repair recounted its live records. */
    void settle(long base, long liveBytes, long maxEnd) {
        long bump = field(base, SPACE_BUMP_OFFSET);
        if (bump < maxEnd || bump > dataBytes) bump = Math.max(maxEnd, Math.min(bump, dataBytes));
        setField(base, SPACE_BUMP_OFFSET, bump);
        setField(base, SPACE_GARBAGE_OFFSET, bump - liveBytes);
    }

    StoreStats stats(long count, String kind) {
        while (true) {
            long e = epochAcquire();
            long base = base(e);
            long bump = field(base, SPACE_BUMP_OFFSET);
            long garbage = field(base, SPACE_GARBAGE_OFFSET);
            long n = count < 0 ? count(base) : count;
            long repairs = (long) LONG.getVolatile(s, REPAIRS_OFFSET);
            long dropped = (long) LONG.getVolatile(s, DROPPED_OFFSET);
            if (stable(e)) {
                return new StoreStats(kind, n, capacity, dataBytes, bump, garbage, e, repairs, dropped, region.shape.length());
            }
        }
    }

    static int hash(byte[] key) {
        int h = Arrays.hashCode(key);
        h ^= h >>> 16;
        h *= 0x85ebca6b;
        h ^= h >>> 13;
        h *= 0xc2b2ae35;
        h ^= h >>> 16;
        return h;
    }
}
