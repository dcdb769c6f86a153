package dev.shmkit.ring;

import dev.shmkit.os.ProcessId;
import dev.shmkit.shm.Futex;
import dev.shmkit.shm.OpenMode;
import dev.shmkit.shm.ProcessFence;
import dev.shmkit.shm.SharedMemory;
import dev.shmkit.sync.SharedLock;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

import static dev.shmkit.ring.RingDescriptor.*;

/**
 * A ring buffer of variable-length records in shared memory, for producers and consumers in any
 * processes: shmkit's zero-copy data plane, in the style of Agrona's ring buffers. The layout and
 * its protocol are in {@link RingDescriptor} (layout version 2).
 *
 * <h2>Zero copy</h2>
 * A producer {@link #tryClaim claims} space and gets the index of the payload in
 * {@link #buffer()}, the shared mapping itself; it writes the message there in place and
 * {@link #commit commits} it (or {@link #abort aborts}). A consumer's {@link MessageHandler} is
 * handed the same mapping and the record's index: nothing is copied on either side. The
 * convenience methods {@link #offer}/{@link #put} and {@link #poll} copy from and to heap
 * memory. Hot paths allocate nothing, make no system call and return sentinels rather than throw.
 *
 * <h2>Kinds</h2>
 * {@link RingKind#SPSC}: one producer process and one consumer process at a time (one thread
 * each), plain stores only. {@link RingKind#MPSC}: producers claim with one compare-and-set on
 * the record header (lock-free), one consumer process. {@link RingKind#MPMC}: consumers take
 * records under a robust lock. The kind is enforced across processes: a second live producer of
 * an SPSC ring, or a second live consumer of an SPSC or MPSC ring, gets an
 * {@link IllegalStateException} at its first call; the place of a dead one is taken over.
 * Type ids are 1 to {@value RingDescriptor#MAX_TYPE_ID}; a payload may have up to
 * {@link #maxPayload()} bytes (an eighth of the capacity).
 *
 * <h2>Waiting</h2>
 * Blocking forms wait with this handle's {@link WaitStrategy} (default
 * {@link WaitStrategy#ADAPTIVE}): spin, then yield, then sleep on a futex word, in slices of
 * 10 ms growing to 100 ms while the wait lasts, so interrupts are honoured within a slice and an
 * idle side wakes about ten times a second; timeouts are exact. No wake-up is lost, and the side that
 * goes to sleep pays for it: it announces itself, then calls {@link ProcessFence#heavy()}
 * ({@code membarrier(2)}), so a committing producer or releasing consumer needs only a compiler
 * barrier before it looks for sleepers, not a full fence per message. Where membarrier is not
 * available (macOS), or with {@code -Ddev.shmkit.ring.fence=full}, the fast side uses a full
 * fence instead. A timeout is a {@code false}/0 result, never an exception.
 *
 * <h2>When a process dies</h2>
 * A record becomes visible only when its header is stored whole with the committed state, so a
 * producer killed mid-write never exposes a torn record. An SPSC producer's claim stays private
 * to it until commit, so its death leaves nothing behind; an MPSC/MPMC claim is in the ring, with
 * the claimer's producer slot, and a consumer that finds it held by a dead process turns it into
 * padding (counted by {@link #recoveredRecords()}), as does a producer taking over the dead one's
 * slot. Consumers move the head only after handing records out, and mark consumed space free only
 * after that, behind a separate clean position: a consumer killed at any instruction leaves either
 * records that the next consumer delivers again (at-least-once; counted for MPMC by
 * {@link #redeliveries()}) or space that the next consumer marks free. A producer blocked on a full
 * ring whose registered consumers are all dead gets a {@link PeerDeadException}, and
 * {@link #consumerState()} tells any time. Every walk over records is bounded by one lap; what
 * does not fit the layout is reported as corruption, naming the ring and the index.
 *
 * <h2>Memory visibility</h2>
 * Everything a producer wrote into a record before {@code commit} is visible to the consumer that
 * reads it; everything a consumer read before its {@code read} returned happens before a producer
 * reuses that space.
 */
public final class SharedRing implements AutoCloseable {
    /** {@link #tryClaim} result: not enough free space now. */
    public static final long INSUFFICIENT_CAPACITY = -2;

    private static final VarHandle INT = ValueLayout.JAVA_INT.varHandle();
    private static final VarHandle LONG = ValueLayout.JAVA_LONG.varHandle();
    private static final long SLICE_NANOS = TimeUnit.MILLISECONDS.toNanos(10);
    /** Sleeps of a long idle wait grow to this, so an idle side wakes ~10 times a second, not 100. */
    private static final long MAX_SLICE_NANOS = TimeUnit.MILLISECONDS.toNanos(100);
    private static final int SPIN_TRIES = 2_000;
    private static final int YIELD_TRIES = 20;
    /** Waits that never sleep look for dead peers every 4096 attempts (a few ms of spinning). */
    private static final int LIVENESS_CHECK_MASK = 4095;
    /** A claim that {@link #read} sees unchanged at the head for this long is checked for a dead owner. */
    private static final long STUCK_CLAIM_NANOS = TimeUnit.MILLISECONDS.toNanos(1);
    /** Consumed space is marked free in chunks of up to this many bytes (or at once when a producer waits). */
    private static final long MAX_CLEAN_CHUNK = 64 * 1024;
    /** Two cache lines: the unit of adjacent-line prefetch, so the granule of marking space free. */
    private static final long PAIR_BYTES = 128;
    /** An MPMC read waits at most this long for another consumer's batch: a handler must not block. */
    private static final long READ_LOCK_SECONDS = 2;
    private static final long SELF_ID = pack(ProcessId.current());

    /**
     * Whether the fast paths skip the full fence before looking for sleepers: the sleepers then
     * call membarrier. Off where membarrier is unavailable or with -Ddev.shmkit.ring.fence=full.
     */
    static final boolean ASYMMETRIC = ProcessFence.available() && !"full".equals(System.getProperty("dev.shmkit.ring.fence"));

    /** Test hook (see {@link #pausePoint}): read once, so it costs nothing when unset. */
    private static final String PAUSE_AT = System.getProperty("dev.shmkit.ring.pauseAt");
    private static final int PAUSE_AFTER = Integer.getInteger("dev.shmkit.ring.pauseAfter", 1);
    private static final AtomicInteger PAUSES = new AtomicInteger();

    /** This process's registrations, by ring (salt) and side: handles of one process share a slot. */
    private static final Map<String, Registration> REGISTRATIONS = new HashMap<>();

    private static final class Registration {
        final int slot;
        final Cursor cursor;
        int handles;

        Registration(int slot, Cursor cursor) {
            this.slot = slot;
            this.cursor = cursor;
        }
    }

    /**
     * The SPSC producer's private state, shared by the handles of its process: the next claim
     * position and the newest claim, whose header is not in the ring until it is committed.
     */
    private static final class Cursor {
        long next;
        long deferredAt = -1;
        long deferredHeader;
    }

    private final MemorySegment ring;
    private final MemorySegment buffer;
    private final long capacity;
    private final long mask;
    private final int lapShift;
    private final int maxPayload;
    private final long cleanChunk;
    private final long salt;
    private final RingKind kind;
    private final SharedLock consumerLock;
    private final SharedMemory backing;
    private final String description;
    private volatile WaitStrategy waitStrategy = WaitStrategy.ADAPTIVE;
    private volatile int producerSlot = -1;
    private volatile int consumerSlot = -1;
    private Cursor cursor;
    /** Producers' last view of the clean position: only ever behind the real one. */
    private volatile long cleanCache;
    private long stuckPosition = -1;
    private long stuckHeader;
    private long stuckSince;
    private boolean closed;

    private SharedRing(MemorySegment ring, SharedMemory backing, String description) {
        this.ring = ring;
        this.backing = backing;
        this.description = description;
        this.kind = RingKind.of(ring.get(ValueLayout.JAVA_SHORT, KIND_OFFSET));
        this.capacity = ring.get(ValueLayout.JAVA_LONG, CAPACITY_OFFSET);
        this.mask = capacity - 1;
        this.lapShift = Long.numberOfTrailingZeros(capacity);
        this.maxPayload = ring.get(ValueLayout.JAVA_INT, MAX_PAYLOAD_OFFSET);
        this.cleanChunk = Math.min(capacity / 8, MAX_CLEAN_CHUNK);
        this.salt = ring.get(ValueLayout.JAVA_LONG, SALT_OFFSET);
        this.buffer = ring.asSlice(HEADER_LENGTH, capacity);
        this.consumerLock = kind.multiConsumer() ? consumerLock(ring, description) : null;
        this.cleanCache = (long) LONG.getAcquire(ring, CLEAN_OFFSET);
    }

    private static SharedLock consumerLock(MemorySegment ring, String description) {
        try {
            return SharedLock.open(ring, CONSUMER_LOCK_OFFSET);
        } catch (IllegalStateException e) {
            throw new IllegalStateException(description + " has a corrupt consumer lock: " + e.getMessage(), e);
        }
    }

    // ------------------------------------------------------------------ creation

    /** Bytes a ring of {@code capacity} occupies in a segment. */
    public static long sizeFor(long capacity) {
        checkCapacity(capacity);
        return HEADER_LENGTH + capacity;
    }

    /** Creates a named ring (a POSIX shared memory object, exclusively, 0600). */
    public static SharedRing create(String name, long capacity, RingKind kind) {
        return open(name, OpenMode.CREATE_EXCLUSIVE, capacity, kind, 0600);
    }

    /** Opens an existing named ring, whatever its kind and capacity. */
    public static SharedRing open(String name) {
        SharedMemory shm = SharedMemory.open(name);
        try {
            return new SharedRing(validate(shm.segment(), "ring " + shm.name()), shm, "ring " + shm.name());
        } catch (RuntimeException | Error e) {
            shm.close();
            throw e;
        }
    }

    /**
     * The general form. A ring this call creates gets {@code capacity} (a power of two, 64 bytes
     * to 1 GiB) and {@code kind}; an existing ring is validated and keeps its own.
     */
    public static SharedRing open(String name, OpenMode mode, long capacity, RingKind kind, int permissions) {
        checkCapacity(capacity);
        SharedMemory shm = SharedMemory.open(name, mode, sizeFor(capacity), permissions);
        try {
            String where = "ring " + shm.name();
            if (shm.created()) {
                initialize(shm.segment(), capacity, kind);
            } else {
                long deadline = System.nanoTime() + 2_000_000_000L;
                while (shm.size() >= 4 && (int) INT.getAcquire(shm.segment(), MAGIC_OFFSET) == 0 && System.nanoTime() < deadline) {
                    LockSupport.parkNanos(100_000); // the creator publishes within microseconds
                }
            }
            return new SharedRing(validate(shm.segment(), where), shm, where);
        } catch (RuntimeException | Error e) {
            shm.close();
            if (shm.created()) shm.unlink();
            throw e;
        }
    }

    /** Initializes a new ring at {@code offset} of {@code segment} ({@link #sizeFor} bytes, 8-byte aligned). */
    public static SharedRing create(MemorySegment segment, long offset, long capacity, RingKind kind) {
        return create(segment, offset, capacity, kind, null);
    }

    /**
     * As {@link #create(MemorySegment, long, long, RingKind)}, for a ring inside another object:
     * {@code owner} (e.g. "queue /jobs") names it in every error message.
     */
    public static SharedRing create(MemorySegment segment, long offset, long capacity, RingKind kind, String owner) {
        checkCapacity(capacity);
        String where = where(offset, owner);
        MemorySegment s = slice(segment, offset, sizeFor(capacity));
        initialize(s, capacity, kind);
        return new SharedRing(validate(s, where), null, where);
    }

    private static String where(long offset, String owner) {
        return owner == null ? "ring at offset " + offset : "the ring of " + owner + " (at offset " + offset + ")";
    }

    /** Uses the ring another process initialized at {@code offset} of {@code segment}. */
    public static SharedRing open(MemorySegment segment, long offset) {
        return open(segment, offset, null);
    }

    /** As {@link #open(MemorySegment, long)}; {@code owner} (e.g. "queue /jobs") names it in every error message. */
    public static SharedRing open(MemorySegment segment, long offset, String owner) {
        String where = where(offset, owner);
        MemorySegment head = slice(segment, offset, HEADER_LENGTH);
        int magic = (int) INT.getAcquire(head, MAGIC_OFFSET);
        if (magic != MAGIC) throw new IllegalStateException(where + " is not a shmkit ring (magic 0x" + Integer.toHexString(magic) + ")");
        long cap = head.get(ValueLayout.JAVA_LONG, CAPACITY_OFFSET);
        if (cap < MIN_CAPACITY || cap > MAX_CAPACITY || Long.bitCount(cap) != 1 || offset > segment.byteSize() - HEADER_LENGTH - cap) {
            throw new IllegalStateException(where + " has a corrupt capacity " + cap + " for a segment of " + segment.byteSize() + " bytes");
        }
        return new SharedRing(validate(slice(segment, offset, HEADER_LENGTH + cap), where), null, where);
    }

    private static MemorySegment slice(MemorySegment segment, long offset, long size) {
        if (!segment.isNative()) throw new IllegalArgumentException("a shared ring must be in native (shared) memory");
        if (offset < 0 || offset > segment.byteSize() - size) {
            throw new IndexOutOfBoundsException("a ring needs " + size + " bytes at offset " + offset + "; the segment has " + segment.byteSize());
        }
        MemorySegment s = segment.asSlice(offset, size);
        if ((s.address() & 7) != 0) throw new IllegalArgumentException("a ring must be 8-byte aligned; offset " + offset + " is not");
        return s;
    }

    private static void checkCapacity(long capacity) {
        if (capacity < MIN_CAPACITY || capacity > MAX_CAPACITY || Long.bitCount(capacity) != 1) {
            throw new IllegalArgumentException("ring capacity must be a power of two from " + MIN_CAPACITY + " to " + MAX_CAPACITY + " bytes, was " + capacity);
        }
    }

    private static void initialize(MemorySegment s, long capacity, RingKind kind) {
        INT.setVolatile(s, MAGIC_OFFSET, 0);
        s.asSlice(4, HEADER_LENGTH - 4).fill((byte) 0);
        long salt = ThreadLocalRandom.current().nextLong();
        s.set(ValueLayout.JAVA_LONG, CAPACITY_OFFSET, capacity);
        s.set(ValueLayout.JAVA_INT, MAX_PAYLOAD_OFFSET, maxPayloadFor(capacity));
        s.set(ValueLayout.JAVA_LONG, SALT_OFFSET, salt);
        fill(s.asSlice(HEADER_LENGTH, capacity), 0, capacity, freeMark(salt, 0)); // every word free for lap 0
        SharedLock.create(s, CONSUMER_LOCK_OFFSET).close();
        s.set(ValueLayout.JAVA_SHORT, VERSION_OFFSET, VERSION);
        s.set(ValueLayout.JAVA_SHORT, KIND_OFFSET, kind.code);
        INT.setRelease(s, MAGIC_OFFSET, MAGIC);
    }

    private static int maxPayloadFor(long capacity) {
        return (int) Math.min(capacity / 8, Integer.MAX_VALUE) - RECORD_HEADER_LENGTH;
    }

    /** Refuses a region that is not a well-formed ring: nothing read from it is trusted before this. */
    private static MemorySegment validate(MemorySegment s, String where) {
        if (s.byteSize() < HEADER_LENGTH) throw new IllegalStateException(where + " is " + s.byteSize() + " bytes, too small for a ring header");
        int magic = (int) INT.getAcquire(s, MAGIC_OFFSET);
        if (magic != MAGIC) {
            throw new IllegalStateException(where + " is not a shmkit ring (magic 0x" + Integer.toHexString(magic) + ")");
        }
        short version = s.get(ValueLayout.JAVA_SHORT, VERSION_OFFSET);
        if (version != VERSION) throw new IllegalStateException(where + " has ring layout version " + version + "; expected " + VERSION);
        if (RingKind.of(s.get(ValueLayout.JAVA_SHORT, KIND_OFFSET)) == null) {
            throw new IllegalStateException(where + " has an unknown ring kind " + s.get(ValueLayout.JAVA_SHORT, KIND_OFFSET));
        }
        long cap = s.get(ValueLayout.JAVA_LONG, CAPACITY_OFFSET);
        if (cap < MIN_CAPACITY || cap > MAX_CAPACITY || Long.bitCount(cap) != 1 || HEADER_LENGTH + cap > s.byteSize()) {
            throw new IllegalStateException(where + " has a corrupt capacity " + cap + " for a region of " + s.byteSize() + " bytes");
        }
        int max = s.get(ValueLayout.JAVA_INT, MAX_PAYLOAD_OFFSET);
        if (max != maxPayloadFor(cap)) throw new IllegalStateException(where + " has a corrupt maximum payload " + max);
        // The three positions move while we look (a live ring): a snapshot that fails is taken again;
        // corruption fails every time.
        long head = 0, tail = 0, clean = 0;
        for (int attempt = 0; attempt < 8; attempt++) {
            clean = (long) LONG.getVolatile(s, CLEAN_OFFSET);
            head = (long) LONG.getVolatile(s, HEAD_OFFSET);
            tail = (long) LONG.getVolatile(s, TAIL_OFFSET);
            // The tail may trail the head by up to a lap: a producer that died after committing and
            // before publishing its tail; the next claimer moves it on.
            if (clean >= 0 && head >= clean && head - clean <= cap && tail >= 0 && tail - head <= cap && head - tail <= cap
                    && ((head | tail | clean) & 7) == 0) {
                return s;
            }
            Thread.onSpinWait();
        }
        throw new IllegalStateException(where + " has corrupt positions (clean " + clean + ", head " + head + ", tail " + tail + ")");
    }

    // ------------------------------------------------------------------ producing

    /**
     * Claims space for a record of {@code length} payload bytes. Write the payload into
     * {@link #buffer()} at the returned index, then {@link #commit} or {@link #abort} it.
     *
     * @return the payload's index in {@link #buffer()}, or {@link #INSUFFICIENT_CAPACITY}
     * @throws IllegalArgumentException for a type id outside 1..{@value RingDescriptor#MAX_TYPE_ID}
     *                                  or a length outside 0..{@link #maxPayload()}
     * @throws IllegalStateException    when the kind allows one producer process and another one lives
     */
    public long tryClaim(int typeId, int length) {
        checkType(typeId);
        if (length < 0 || length > maxPayload) {
            throw new IllegalArgumentException("a record of " + length + " bytes does not fit " + description + " (at most " + maxPayload + ")");
        }
        int slot = producerSlot;
        if (slot < 0) slot = registerProducer();
        return cursor != null ? claimSingle(slot, typeId, length + RECORD_HEADER_LENGTH) : claimShared(slot, typeId, length + RECORD_HEADER_LENGTH);
    }

    private static void checkType(int typeId) {
        if (typeId < 1 || typeId > MAX_TYPE_ID) throw new IllegalArgumentException("type id must be 1.." + MAX_TYPE_ID + ", was " + typeId);
    }

    /** SPSC: the claim stays in the cursor until commit; only older open claims get a header in the ring. */
    private long claimSingle(int slot, int typeId, int recordLength) {
        Cursor c = cursor;
        int aligned = align(recordLength);
        long tail = c.next;
        long index = tail & mask;
        long toEnd = capacity - index;
        long required = aligned <= toEnd ? aligned : toEnd + aligned;
        if (tail + required - capacity > cleanCache && !room(tail, required)) return INSUFFICIENT_CAPACITY;
        if (c.deferredAt >= 0) { // a claim still open: it must be in the ring before a newer one
            LONG.setRelease(buffer, c.deferredAt, c.deferredHeader);
            c.deferredAt = -1;
            LONG.setRelease(ring, TAIL_OFFSET, tail);
        }
        if (aligned > toEnd) {
            LONG.setRelease(buffer, index, header(PADDING, slot, 0, (int) toEnd));
            tail += toEnd;
            index = 0;
            LONG.setRelease(ring, TAIL_OFFSET, tail);
        }
        c.deferredAt = index;
        c.deferredHeader = header(CLAIMED, slot, typeId, recordLength);
        c.next = tail + aligned;
        if (PAUSE_AT != null) pausePoint("claimed");
        return index + RECORD_HEADER_LENGTH;
    }

    /** MPSC/MPMC: one CAS of the header from this lap's free mark claims the position; the tail follows. */
    private long claimShared(int slot, int typeId, int recordLength) {
        int aligned = align(recordLength);
        long claimed = header(CLAIMED, slot, typeId, recordLength);
        for (int odd = 0; ; ) {
            long tail = (long) LONG.getAcquire(ring, TAIL_OFFSET);
            long index = tail & mask;
            long toEnd = capacity - index;
            long required = aligned <= toEnd ? aligned : toEnd + aligned;
            if (tail + required - capacity > cleanCache && !room(tail, required)) return INSUFFICIENT_CAPACITY;
            long free = freeMark(salt, tail >>> lapShift);
            long w = (long) LONG.getAcquire(buffer, index);
            if (w == free) {
                if (aligned > toEnd) {
                    if (LONG.compareAndSet(buffer, index, free, header(PADDING, slot, 0, (int) toEnd))) {
                        LONG.compareAndSet(ring, TAIL_OFFSET, tail, tail + toEnd);
                    }
                } else if (LONG.compareAndSet(buffer, index, free, claimed)) {
                    LONG.compareAndSet(ring, TAIL_OFFSET, tail, tail + aligned);
                    if (PAUSE_AT != null) pausePoint("claimed");
                    return index + RECORD_HEADER_LENGTH;
                }
            } else if (!helpTail(tail, index, w) && ++odd > 3) {
                throw corrupt(index, w, "at the tail " + tail);
            }
        }
    }

    /**
     * The word at the tail is not this lap's free mark: moves the tail past a record already
     * claimed there (its claimer may have died before moving it), or to the head when the tail
     * fell behind it. False when the word fits nothing and the tail did not move meanwhile.
     */
    private boolean helpTail(long tail, long index, long w) {
        if (state(w) != FREE) {
            int len = length(w);
            if (len >= RECORD_HEADER_LENGTH && len <= capacity - index) {
                LONG.compareAndSet(ring, TAIL_OFFSET, tail, tail + align(len));
                return true;
            }
        }
        long head = (long) LONG.getAcquire(ring, HEAD_OFFSET);
        if (tail < head) {
            LONG.compareAndSet(ring, TAIL_OFFSET, tail, head);
            return true;
        }
        return (long) LONG.getAcquire(ring, TAIL_OFFSET) != tail;
    }

    /**
     * Whether a claim of {@code required} bytes at {@code tail} fits before the clean position
     * plus a lap; refreshes the cache, and marks consumed space free itself when that makes it fit.
     */
    private boolean room(long tail, long required) {
        long clean = (long) LONG.getAcquire(ring, CLEAN_OFFSET);
        long needed = tail + required - capacity;
        long head;
        // Consumed space not yet marked free: mark it ourselves, as far as whole line pairs allow
        // (the consumer may still read the pair at the head) or as far as this claim needs.
        if (needed > clean && (head = (long) LONG.getAcquire(ring, HEAD_OFFSET)) >= needed
                && tryClean(Math.max(needed, head & -PAIR_BYTES))) {
            clean = (long) LONG.getAcquire(ring, CLEAN_OFFSET); // consumed space was waiting to be marked free
        }
        cleanCache = clean;
        return needed <= clean;
    }

    /**
     * Claims {@code count} records of {@code length} payload bytes each, laid out back to back:
     * the payload of record {@code i} is at {@code index + i * batchStride(length)}. Publish them
     * all with {@link #commitBatch}. One claim and one commit for the whole batch is what makes
     * small messages cheap. A producer that dies before committing loses the whole batch, never
     * part of it.
     *
     * @return the first payload's index, or {@link #INSUFFICIENT_CAPACITY}
     */
    public long tryClaimBatch(int typeId, int length, int count) {
        checkType(typeId);
        if (length < 0 || length > maxPayload) throw new IllegalArgumentException("a record of " + length + " bytes does not fit " + description);
        long total = (long) batchStride(length) * count;
        if (count < 1 || total > maxPayload + RECORD_HEADER_LENGTH) {
            throw new IllegalArgumentException("a batch of " + count + " records of " + length + " bytes does not fit " + description
                    + " (at most " + (maxPayload + RECORD_HEADER_LENGTH) + " bytes per batch)");
        }
        int slot = producerSlot;
        if (slot < 0) slot = registerProducer();
        return cursor != null ? claimSingle(slot, typeId, (int) total) : claimShared(slot, typeId, (int) total);
    }

    /** Distance between the payloads of consecutive records of a batch. */
    public static int batchStride(int length) {
        return align(length + RECORD_HEADER_LENGTH);
    }

    /** The header position of the payload at {@code index}, checked to be one. */
    private long headerAt(long index) {
        long at = index - RECORD_HEADER_LENGTH;
        if (at < 0 || at > capacity - RECORD_HEADER_LENGTH || (at & 7) != 0) {
            throw new IllegalArgumentException("index " + index + " is not a payload index of " + description);
        }
        return at;
    }

    /** The open claim whose header is at {@code at}: the deferred one or one in the ring. */
    private long claimAt(long at, String what) {
        Cursor c = cursor;
        if (c != null && c.deferredAt == at) return c.deferredHeader;
        long w = (long) LONG.get(buffer, at);
        if (state(w) != CLAIMED) throw new IllegalStateException("no claimed " + what + " at index " + (at + RECORD_HEADER_LENGTH) + " of " + description);
        return w;
    }

    /** Stores the header that ends the claim at {@code at}, and publishes an SPSC tail past it. */
    private void finish(long at, long header) {
        LONG.setRelease(buffer, at, header);
        Cursor c = cursor;
        if (c != null && c.deferredAt == at) {
            c.deferredAt = -1;
            LONG.setRelease(ring, TAIL_OFFSET, c.next);
        }
    }

    /** Publishes the {@code count} records of {@code length} bytes claimed at {@code index} by {@link #tryClaimBatch}. */
    public void commitBatch(long index, int length, int count) {
        long at = headerAt(index);
        long w = claimAt(at, "batch");
        int stride = batchStride(length);
        if (count < 1 || length(w) != (long) stride * count) throw new IllegalStateException("no claimed batch of " + count + " at index " + index);
        long header = header(COMMITTED, slot(w), type(w), length + RECORD_HEADER_LENGTH);
        for (int i = count - 1; i > 0; i--) LONG.set(buffer, at + (long) i * stride, header);
        finish(at, header); // the first header last: the batch appears at once
        signalData();
    }

    /** Publishes the record claimed at {@code index}. */
    public void commit(long index) {
        long at = headerAt(index);
        finish(at, withState(claimAt(at, "record"), COMMITTED));
        signalData();
    }

    /** Gives the space claimed at {@code index} back as padding that consumers skip. */
    public void abort(long index) {
        long at = headerAt(index);
        finish(at, withState(claimAt(at, "record"), PADDING));
        signalData();
    }

    /**
     * Claims, copies and commits in one call. A copy that fails aborts the claim.
     *
     * @return false when there is no room now
     */
    public boolean offer(int typeId, MemorySegment source, long offset, int length) {
        if (offset < 0 || length < 0 || offset > source.byteSize() - length) {
            throw new IndexOutOfBoundsException(length + " bytes at offset " + offset + " are outside the source of " + source.byteSize() + " bytes");
        }
        long index = tryClaim(typeId, length);
        if (index < 0) return false;
        try {
            MemorySegment.copy(source, offset, buffer, index, length);
        } catch (RuntimeException | Error e) {
            abort(index);
            throw e;
        }
        commit(index);
        return true;
    }

    public boolean offer(int typeId, byte[] source) {
        long index = tryClaim(typeId, source.length);
        if (index < 0) return false;
        try {
            MemorySegment.copy(source, 0, buffer, ValueLayout.JAVA_BYTE, index, source.length);
        } catch (RuntimeException | Error e) {
            abort(index);
            throw e;
        }
        commit(index);
        return true;
    }

    /**
     * As {@link #offer(int, byte[])}, waiting at most {@code timeout} for room.
     *
     * @return false when the timeout elapsed
     * @throws PeerDeadException when every registered consumer has died
     */
    public boolean offer(int typeId, byte[] source, long timeout, TimeUnit unit) throws InterruptedException {
        long deadline = deadline(unit.toNanos(timeout));
        while (!offer(typeId, source)) {
            if (!awaitSpace(align(source.length + RECORD_HEADER_LENGTH), deadline)) return false;
        }
        return true;
    }

    /** As {@link #offer(int, byte[])}, waiting as long as it takes for room. */
    public void put(int typeId, byte[] source) throws InterruptedException {
        while (!offer(typeId, source)) awaitSpace(align(source.length + RECORD_HEADER_LENGTH), -1);
    }

    /**
     * Claims room for a record, waiting at most {@code timeout} ({@code timeout < 0}: no limit).
     *
     * @return the payload index, or {@link #INSUFFICIENT_CAPACITY} when the timeout elapsed
     */
    public long claim(int typeId, int length, long timeout, TimeUnit unit) throws InterruptedException {
        long deadline = timeout < 0 ? -1 : deadline(unit.toNanos(timeout));
        while (true) {
            long index = tryClaim(typeId, length);
            if (index >= 0) return index;
            if (!awaitSpace(align(length + RECORD_HEADER_LENGTH), deadline)) return INSUFFICIENT_CAPACITY;
        }
    }

    private void signalData() {
        wakeSleepers(DATA_WAITERS_OFFSET, DATA_SEQ_OFFSET);
    }

    /**
     * After publishing (a commit, or a new clean position): wakes the side sleeping on
     * {@code seqOffset}, if any. Dekker with awaitData/awaitSpace: what we published must be
     * visible before we look for sleepers. A sleeper announces itself and then runs membarrier,
     * which orders this CPU for us, so the fast path needs only a compiler barrier.
     */
    private void wakeSleepers(long waitersOffset, long seqOffset) {
        if (ASYMMETRIC) VarHandle.acquireFence(); // a compiler barrier only
        else VarHandle.fullFence();
        if ((int) INT.getOpaque(ring, waitersOffset) > 0) {
            INT.getAndAdd(ring, seqOffset, 1);
            Futex.wakeAll(ring, seqOffset);
        }
    }

    // ------------------------------------------------------------------ consuming

    /**
     * Hands up to {@code limit} committed records to {@code handler}, in place, and frees their
     * space. Does not wait. A record whose handler throws counts as consumed. A claim at the head
     * that stays unchanged for over a millisecond is checked for a dead owner and skipped if so.
     *
     * On an MPMC ring consumers take turns: a read waits for another consumer's batch to end, at
     * most 2 s (then {@link IllegalStateException}: handlers must not block); an interrupt while
     * waiting returns 0 with the interrupt status set.
     *
     * @return how many records were handled
     * @throws IllegalStateException when the kind allows one consumer process and another one lives
     */
    public int read(MessageHandler handler, int limit) {
        if (consumerSlot < 0) registerConsumer();
        if (consumerLock == null) return read0(handler, limit);
        try {
            if (!consumerLock.tryLock(READ_LOCK_SECONDS, TimeUnit.SECONDS)) {
                throw new IllegalStateException(description + ": its consumer lock has been held for over " + READ_LOCK_SECONDS
                        + " s (by pid " + consumerLock.ownerPid() + "): a consumer's handler blocks, or the lock word is corrupt");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return 0;
        }
        try {
            if (consumerLock.ownerDied()) LONG.getAndAdd(ring, REDELIVERIES_OFFSET, 1L);
            return read0(handler, limit);
        } finally {
            consumerLock.unlock();
        }
    }

    private int read0(MessageHandler handler, int limit) {
        long head = (long) LONG.getAcquire(ring, HEAD_OFFSET);
        // No claim reaches clean + capacity: the words from there on are last lap's records, not yet marked free.
        long end = (long) LONG.getAcquire(ring, CLEAN_OFFSET) + capacity;
        long pos = head;
        int count = 0;
        long w = 0;
        try {
            while (count < limit && pos < end) {
                long index = pos & mask;
                w = (long) LONG.getAcquire(buffer, index);
                long st = state(w);
                if (st < COMMITTED) break; // free mark or an open claim
                int len = length(w);
                if (len < RECORD_HEADER_LENGTH || len > capacity - index) throw corrupt(index, w, "at the head " + pos);
                pos += align(len);
                if (st == PADDING) continue;
                count++;
                handler.onMessage(type(w), buffer, index + RECORD_HEADER_LENGTH, len - RECORD_HEADER_LENGTH);
            }
        } finally {
            if (pos != head) release(pos);
        }
        if (pos == head && state(w) == CLAIMED) stuckClaim(pos, w);
        return count;
    }

    private void stuckClaim(long pos, long w) {
        long now = System.nanoTime();
        if (pos != stuckPosition || w != stuckHeader) {
            stuckPosition = pos;
            stuckHeader = w;
            stuckSince = now;
        } else if (now - stuckSince >= STUCK_CLAIM_NANOS) {
            stuckSince = now;
            recoverDeadClaim();
        }
    }

    private IllegalStateException corrupt(long index, long header, String where) {
        return new IllegalStateException(description + " has a corrupt record header 0x" + Long.toHexString(header)
                + " at index " + index + " (" + where + ")");
    }

    /**
     * Moves the head past what was handed out, then marks consumed space free when a chunk is
     * ready or a producer waits. The order is what makes a consumer's death harmless: before the
     * head moves, the records are delivered again; after, the next consumer marks them.
     */
    private void release(long pos) {
        if (PAUSE_AT != null) pausePoint("read");
        LONG.setRelease(ring, HEAD_OFFSET, pos);
        if (PAUSE_AT != null) pausePoint("released");
        long clean = (long) LONG.getAcquire(ring, CLEAN_OFFSET);
        boolean wanted = (int) INT.getOpaque(ring, SPACE_WANTED_OFFSET) != 0 || (int) INT.getOpaque(ring, SPACE_WAITERS_OFFSET) > 0;
        if (pos - clean < cleanChunk && !wanted) return;
        if (wanted) INT.setOpaque(ring, SPACE_WANTED_OFFSET, 0);
        // A sleeping producer gets everything; otherwise whole line pairs only, so that we never write
        // into the pair a producer may be filling with the next record.
        tryClean(wanted ? pos : pos & -PAIR_BYTES); // false: a producer is marking it right now
    }

    /**
     * Marks consumed space, from the clean position up to {@code upTo} or the head, free for the
     * next lap and publishes the new clean position. One process at a time does this, holding the
     * cleaner word (a consumer after a chunk, or a producer short of room): two cleaners could
     * otherwise overwrite a header claimed in the space the faster one had already published. A
     * cleaner that died is replaced (marking again is harmless); a live one is left to finish.
     *
     * Producers sleeping for room are woken after it.
     *
     * @return false when another live cleaner holds the word
     */
    private boolean tryClean(long upTo) {
        long owner = (long) LONG.getVolatile(ring, CLEANER_OFFSET);
        if (owner == 0 ? !LONG.compareAndSet(ring, CLEANER_OFFSET, 0L, SELF_ID)
                : owner == SELF_ID || isAlive(owner) || !LONG.compareAndSet(ring, CLEANER_OFFSET, owner, SELF_ID)) {
            return false;
        }
        try {
            long clean = (long) LONG.getAcquire(ring, CLEAN_OFFSET);
            long end = Math.min(upTo, (long) LONG.getAcquire(ring, HEAD_OFFSET));
            if (end > clean) {
                mark(clean, end, 1);
                LONG.setRelease(ring, CLEAN_OFFSET, end);
            }
        } finally {
            LONG.setRelease(ring, CLEANER_OFFSET, 0L);
        }
        wakeSleepers(SPACE_WAITERS_OFFSET, SPACE_SEQ_OFFSET);
        return true;
    }

    /** Writes the free mark of lap (lap of the position + {@code lapsAhead}) into every word of [from, to). */
    private void mark(long from, long to, int lapsAhead) {
        while (from < to) {
            long lapEnd = ((from >>> lapShift) + 1) << lapShift;
            long end = Math.min(to, lapEnd);
            fill(buffer, from & mask, end - from, freeMark(salt, (from >>> lapShift) + lapsAhead));
            from = end;
        }
    }

    /** Fills {@code bytes} (a multiple of 8) at {@code from} with {@code value}: a few stores, then doubling copies. */
    private static void fill(MemorySegment s, long from, long bytes, long value) {
        long first = Math.min(bytes, 512);
        for (long i = 0; i < first; i += 8) s.set(ValueLayout.JAVA_LONG_UNALIGNED, from + i, value);
        for (long done = first; done < bytes; ) {
            long n = Math.min(done, bytes - done);
            MemorySegment.copy(s, from, s, from + done, n);
            done += n;
        }
    }

    /**
     * Waits at most {@code timeout} for records, then hands up to {@code limit} of them to
     * {@code handler} ({@code timeout < 0}: no limit). Even a zero timeout gets past a record
     * claimed by a producer that died.
     *
     * @return how many records were handled; 0 when the timeout elapsed
     */
    public int poll(MessageHandler handler, int limit, long timeout, TimeUnit unit) throws InterruptedException {
        long deadline = timeout < 0 ? -1 : deadline(unit.toNanos(timeout));
        while (true) {
            int n = read(handler, limit);
            if (n > 0) return n;
            if (!awaitData(deadline)) {
                recoverDeadClaim();
                return read(handler, limit);
            }
        }
    }

    /** Whether a committed record (or padding) waits at the head. */
    private boolean dataAvailable() {
        long head = (long) LONG.getAcquire(ring, HEAD_OFFSET);
        return head - capacity < (long) LONG.getAcquire(ring, CLEAN_OFFSET) && state((long) LONG.getAcquire(buffer, head & mask)) >= COMMITTED;
    }

    /** Waits for data per the strategy; false on timeout. Recovers records claimed by dead producers. */
    private boolean awaitData(long deadline) throws InterruptedException {
        WaitStrategy strategy = waitStrategy;
        for (int i = 0; ; i++) {
            if (dataAvailable()) return true;
            if (Thread.interrupted()) throw new InterruptedException();
            if (deadline != -1 && deadline - System.nanoTime() <= 0) return false;
            if ((i & LIVENESS_CHECK_MASK) == LIVENESS_CHECK_MASK) recoverDeadClaim(); // strategies that never sleep too
            if (pause(strategy, i)) continue;
            INT.getAndAdd(ring, DATA_WAITERS_OFFSET, 1);
            try {
                ProcessFence.heavy(); // orders every committer's CPU: see signalData
                for (int sleeps = 0; ; sleeps++) {
                    int seq = (int) INT.getVolatile(ring, DATA_SEQ_OFFSET);
                    if (dataAvailable()) return true;
                    if (Thread.interrupted()) throw new InterruptedException();
                    if (deadline != -1 && deadline - System.nanoTime() <= 0) return false;
                    if (!Futex.await(ring, DATA_SEQ_OFFSET, seq, slice(deadline, sleeps), TimeUnit.NANOSECONDS)) recoverDeadClaim();
                }
            } finally {
                INT.getAndAdd(ring, DATA_WAITERS_OFFSET, -1);
            }
        }
    }

    private boolean awaitSpace(int needed, long deadline) throws InterruptedException {
        WaitStrategy strategy = waitStrategy;
        for (int i = 0; ; i++) {
            if (hasRoom(needed)) return true;
            if (Thread.interrupted()) throw new InterruptedException();
            if (deadline != -1 && deadline - System.nanoTime() <= 0) return false;
            if ((i & LIVENESS_CHECK_MASK) == LIVENESS_CHECK_MASK && consumerState() == PeerState.DEAD) throw consumersDead();
            if (pause(strategy, i)) continue;
            INT.getAndAdd(ring, SPACE_WAITERS_OFFSET, 1);
            try {
                INT.setVolatile(ring, SPACE_WANTED_OFFSET, 1);
                ProcessFence.heavy(); // orders the consumer's CPU: see release
                for (int sleeps = 0; ; sleeps++) {
                    int seq = (int) INT.getVolatile(ring, SPACE_SEQ_OFFSET);
                    if (hasRoom(needed)) return true;
                    if (Thread.interrupted()) throw new InterruptedException();
                    if (deadline != -1 && deadline - System.nanoTime() <= 0) return false;
                    if (!Futex.await(ring, SPACE_SEQ_OFFSET, seq, slice(deadline, sleeps), TimeUnit.NANOSECONDS)
                            && consumerState() == PeerState.DEAD) {
                        throw consumersDead();
                    }
                }
            } finally {
                INT.getAndAdd(ring, SPACE_WAITERS_OFFSET, -1);
            }
        }
    }

    private PeerDeadException consumersDead() {
        return new PeerDeadException("every consumer of " + description + " has died; it stays full");
    }

    /** Whether a record of {@code aligned} bytes fits now; marks consumed space free first if that makes it fit. */
    private boolean hasRoom(int aligned) {
        Cursor c = cursor;
        long tail = c != null ? c.next : (long) LONG.getAcquire(ring, TAIL_OFFSET);
        long toEnd = capacity - (tail & mask);
        long required = aligned <= toEnd ? aligned : toEnd + aligned;
        return room(tail, required);
    }

    /** One non-sleeping wait step; false when the strategy wants to sleep on the futex now. */
    private static boolean pause(WaitStrategy strategy, int i) {
        switch (strategy) {
            case BUSY_SPIN -> Thread.onSpinWait();
            case YIELD -> Thread.yield();
            case BACKOFF -> {
                if (i < 100) Thread.onSpinWait();
                else if (i < 120) Thread.yield();
                else LockSupport.parkNanos(Math.min(1_000_000L, 1_000L << Math.min(10, i - 120)));
            }
            case BLOCKING -> {
                return false;
            }
            case ADAPTIVE -> {
                if (i < SPIN_TRIES) Thread.onSpinWait();
                else if (i < SPIN_TRIES + YIELD_TRIES) Thread.yield();
                else return false;
            }
        }
        return true;
    }

    /** The {@code sleeps}-th futex sleep of one wait: 10 ms, doubling to 100 ms, never past the deadline. */
    private static long slice(long deadline, int sleeps) {
        long slice = Math.min(MAX_SLICE_NANOS, SLICE_NANOS << Math.min(sleeps, 4));
        return deadline == -1 ? slice : Math.max(1, Math.min(slice, deadline - System.nanoTime()));
    }

    private static long deadline(long nanos) {
        return System.nanoTime() + Math.max(0, nanos);
    }

    /**
     * Turns the record at the head into padding when it is claimed by a producer that died (or
     * left its slot without committing), so consumers get past it. Does not wait; the blocking
     * {@link #poll} and a {@link #read} that keeps finding the same claim do this by themselves.
     *
     * @return whether a dead producer's claim was recovered
     */
    public boolean recoverDeadClaim() {
        long head = (long) LONG.getAcquire(ring, HEAD_OFFSET);
        long index = head & mask;
        long w = (long) LONG.getAcquire(buffer, index);
        if (state(w) != CLAIMED) return false;
        long id = (long) LONG.getVolatile(ring, PRODUCER_SLOTS_OFFSET + slot(w) * 8L);
        if (id != 0 && isAlive(id)) return false;
        int len = length(w);
        if (len < RECORD_HEADER_LENGTH || len > capacity - index) throw corrupt(index, w, "a claim at the head " + head);
        if (!LONG.compareAndSet(buffer, index, w, withState(w, PADDING))) return false;
        LONG.getAndAdd(ring, RECOVERED_OFFSET, 1L);
        return true;
    }

    /**
     * Walks the records from the head, turning open claims of producer {@code slot} into padding
     * (its owner is gone, and a new owner of the slot would make them look alive forever). The
     * records are contiguous from the head up to the first free mark, so a word that is neither a
     * header nor a free mark there is corruption. With {@code toEnd} the walk goes to the first
     * free mark (an SPSC ring, whose only producer is the caller); otherwise it stops past the
     * tail seen at the start (the slot's claims are all there; live producers keep adding behind
     * it). Either way it is bounded by one lap of records.
     *
     * @return where the walk stopped: with {@code toEnd}, where the next claim goes
     */
    private long recoverClaimsOf(int slot, boolean toEnd) {
        long pos = (long) LONG.getAcquire(ring, HEAD_OFFSET);
        long stop = toEnd ? Long.MAX_VALUE : (long) LONG.getAcquire(ring, TAIL_OFFSET);
        for (long steps = 0; pos <= stop; steps++) {
            if (steps > capacity / RECORD_HEADER_LENGTH + 1) {
                throw new IllegalStateException(description + ": the records from the head do not end within a lap (corrupt record lengths)");
            }
            // Nothing is claimed at clean + capacity or later: the words there may still be last lap's records.
            if (pos - capacity >= (long) LONG.getAcquire(ring, CLEAN_OFFSET)) return pos;
            long index = pos & mask;
            long w = (long) LONG.getAcquire(buffer, index);
            VarHandle.loadLoadFence();
            long head = (long) LONG.getAcquire(ring, HEAD_OFFSET);
            if (head > pos) { // consumed while we looked: the word may already be the next lap's
                pos = head;
                continue;
            }
            long st = state(w);
            if (st == FREE) {
                if (w != freeMark(salt, pos >>> lapShift)) throw corrupt(index, w, "a free word at " + pos);
                return pos;
            }
            int len = length(w);
            if (len < RECORD_HEADER_LENGTH || len > capacity - index) throw corrupt(index, w, "walking from the head at " + pos);
            if (st == CLAIMED && slot(w) == slot && LONG.compareAndSet(buffer, index, w, withState(w, PADDING))) {
                LONG.getAndAdd(ring, RECOVERED_OFFSET, 1L);
            }
            pos += align(len);
        }
        return pos;
    }

    // ------------------------------------------------------------------ registration

    /** Whether the processes on one side are alive. */
    public enum PeerState {
        /** At least one registered process of that side runs. */
        ALIVE,
        /** Processes registered on that side, and all of them have died. */
        DEAD,
        /** Nobody has registered on that side yet. */
        NONE
    }

    private int registerProducer() {
        synchronized (REGISTRATIONS) {
            if (producerSlot >= 0) return producerSlot;
            String key = salt + "/producer";
            Registration r = REGISTRATIONS.get(key);
            if (r == null) {
                r = kind == RingKind.SPSC ? takeSingleProducer() : new Registration(takeAny(PRODUCER_SLOTS_OFFSET, "producer"), null);
                REGISTRATIONS.put(key, r);
            }
            r.handles++;
            cursor = r.cursor;
            producerSlot = r.slot;
            return r.slot;
        }
    }

    private void registerConsumer() {
        synchronized (REGISTRATIONS) {
            if (consumerSlot >= 0) return;
            String key = salt + "/consumer";
            Registration r = REGISTRATIONS.get(key);
            if (r == null) {
                int slot = 0;
                if (kind.multiConsumer()) slot = takeAny(CONSUMER_SLOTS_OFFSET, "consumer");
                else takeSlotZero(CONSUMER_SLOTS_OFFSET, "consumer");
                r = new Registration(slot, null);
                REGISTRATIONS.put(key, r);
            }
            r.handles++;
            consumerSlot = r.slot;
        }
    }

    /** SPSC: slot 0, then the real end of the records (a dead producer may have left claims or a stale tail). */
    private Registration takeSingleProducer() {
        long previous = takeSlotZero(PRODUCER_SLOTS_OFFSET, "producer");
        long end = recoverClaimsOf(0, true);
        if (previous != 0) {
            // A producer that died may have written payload bytes past the end, where free marks must be.
            mark(end, (long) LONG.getAcquire(ring, CLEAN_OFFSET) + capacity, 0);
        }
        LONG.setRelease(ring, TAIL_OFFSET, end);
        Cursor c = new Cursor();
        c.next = end;
        return new Registration(0, c);
    }

    /** The one slot of a side that allows one process; returns the identity it held (0: none). */
    private long takeSlotZero(long slotsOffset, String role) {
        while (true) {
            long id = (long) LONG.getVolatile(ring, slotsOffset);
            if (id != 0 && id != SELF_ID && isAlive(id)) {
                throw new IllegalStateException(description + " already has a live " + role + " (pid " + (id & 0x3fff_ffffL)
                        + "); a " + kind + " ring takes one " + role + " process at a time");
            }
            if (id == SELF_ID || LONG.compareAndSet(ring, slotsOffset, id, SELF_ID)) return id == SELF_ID ? 0 : id;
        }
    }

    /** Any free slot, else a dead process's; a producer slot is cleared of its previous owner's claims first. */
    private int takeAny(long slotsOffset, String role) {
        boolean producer = slotsOffset == PRODUCER_SLOTS_OFFSET;
        for (int i = 0; i < SLOTS; i++) {
            if ((long) LONG.getVolatile(ring, slotsOffset + i * 8L) == SELF_ID) return i;
        }
        for (int i = 0; i < SLOTS; i++) {
            if (LONG.compareAndSet(ring, slotsOffset + i * 8L, 0L, SELF_ID)) {
                if (producer) recoverClaimsOf(i, false);
                return i;
            }
        }
        for (int i = 0; i < SLOTS; i++) {
            long id = (long) LONG.getVolatile(ring, slotsOffset + i * 8L);
            if (id != 0 && !isAlive(id) && LONG.compareAndSet(ring, slotsOffset + i * 8L, id, SELF_ID)) {
                if (producer) recoverClaimsOf(i, false);
                return i;
            }
        }
        throw new IllegalStateException(description + " has " + SLOTS + " live " + role + "s; no more can join (one slot per process)");
    }

    /** The consumers' side: are any alive? */
    public PeerState consumerState() {
        return peerState(CONSUMER_SLOTS_OFFSET);
    }

    /** The producers' side: are any alive? */
    public PeerState producerState() {
        return peerState(PRODUCER_SLOTS_OFFSET);
    }

    private PeerState peerState(long slotsOffset) {
        boolean any = false;
        for (int i = 0; i < SLOTS; i++) {
            long id = (long) LONG.getVolatile(ring, slotsOffset + i * 8L);
            if (id == 0) continue;
            if (isAlive(id)) return PeerState.ALIVE;
            any = true;
        }
        return any ? PeerState.DEAD : PeerState.NONE;
    }

    /** How many registered processes of each side are alive: {producers, consumers}. */
    public int[] liveParticipants() {
        int[] n = new int[2];
        for (int i = 0; i < SLOTS; i++) {
            long p = (long) LONG.getVolatile(ring, PRODUCER_SLOTS_OFFSET + i * 8L);
            long c = (long) LONG.getVolatile(ring, CONSUMER_SLOTS_OFFSET + i * 8L);
            if (p != 0 && isAlive(p)) n[0]++;
            if (c != 0 && isAlive(c)) n[1]++;
        }
        return n;
    }

    private static long pack(ProcessId p) {
        return ((long) p.startToken() << 32) | (p.pid() & 0x3fff_ffffL);
    }

    private static boolean isAlive(long id) {
        return id == SELF_ID || ProcessId.isAlive((int) (id & 0x3fff_ffffL), (int) (id >>> 32));
    }

    /**
     * Test hook for kill tests across processes: with {@code -Ddev.shmkit.ring.pauseAt=POINT}
     * (claimed, read, released) the {@code pauseAfter}-th arrival at POINT prints
     * {@code PAUSED POINT} and blocks until the process is killed.
     */
    private static void pausePoint(String point) {
        if (!point.equals(PAUSE_AT) || PAUSES.incrementAndGet() != PAUSE_AFTER) return;
        System.out.println("PAUSED " + point);
        System.out.flush();
        while (true) LockSupport.park();
    }

    // ------------------------------------------------------------------ queries

    /** The shared mapping records live in; payload indexes refer to it. */
    public MemorySegment buffer() {
        return buffer;
    }

    public long capacity() {
        return capacity;
    }

    public int maxPayload() {
        return maxPayload;
    }

    public RingKind kind() {
        return kind;
    }

    /** Bytes taken by records not yet consumed (including padding). */
    public long used() {
        long head = (long) LONG.getVolatile(ring, HEAD_OFFSET);
        long tail = (long) LONG.getVolatile(ring, TAIL_OFFSET);
        return Math.max(0, Math.min(capacity, tail - head));
    }

    /** Total bytes ever consumed, as a position. */
    public long headPosition() {
        return (long) LONG.getVolatile(ring, HEAD_OFFSET);
    }

    /** Where the next claim goes, as far as published (a claim not yet committed on SPSC is not). */
    public long tailPosition() {
        return (long) LONG.getVolatile(ring, TAIL_OFFSET);
    }

    /** Up to where consumed space has been marked free again, as a position (at most the head). */
    public long cleanPosition() {
        return (long) LONG.getVolatile(ring, CLEAN_OFFSET);
    }

    /** The layout version this shmkit reads and writes (2: free marks instead of zeroing; see docs/rings.md). */
    public static int layoutVersion() {
        return VERSION;
    }

    /** Records claimed by producers that died, turned into padding. */
    public long recoveredRecords() {
        return (long) LONG.getVolatile(ring, RECOVERED_OFFSET);
    }

    /** Times an MPMC consumer took over the read lock from a consumer that died while reading. */
    public long redeliveries() {
        return (long) LONG.getVolatile(ring, REDELIVERIES_OFFSET);
    }

    public WaitStrategy waitStrategy() {
        return waitStrategy;
    }

    /** Sets how this handle's blocking calls wait. */
    public SharedRing waitStrategy(WaitStrategy strategy) {
        this.waitStrategy = java.util.Objects.requireNonNull(strategy);
        return this;
    }

    /** The name of the ring's shared memory object, or null when placed in a segment. */
    public String name() {
        return backing == null ? null : backing.name();
    }

    public void unlink() {
        if (backing == null) throw new IllegalStateException(description + " has no name");
        backing.unlink();
    }

    public static boolean unlink(String name) {
        return SharedMemory.unlink(name);
    }

    /**
     * Leaves the ring: this handle's registrations are withdrawn (a slot is freed when the last
     * handle of this process that uses it closes; an SPSC claim still open is aborted then) and a
     * named ring is unmapped. A close whose unmap failed may be called again.
     */
    @Override
    public void close() {
        synchronized (REGISTRATIONS) {
            if (producerSlot >= 0) {
                Registration r = REGISTRATIONS.get(salt + "/producer");
                if (r != null && --r.handles == 0) {
                    REGISTRATIONS.remove(salt + "/producer");
                    Cursor c = r.cursor;
                    if (c != null && c.deferredAt >= 0) finish(c.deferredAt, withState(c.deferredHeader, PADDING));
                    LONG.compareAndSet(ring, PRODUCER_SLOTS_OFFSET + r.slot * 8L, SELF_ID, 0L);
                }
                producerSlot = -1;
                cursor = null;
            }
            if (consumerSlot >= 0) {
                Registration r = REGISTRATIONS.get(salt + "/consumer");
                if (r != null && --r.handles == 0) {
                    REGISTRATIONS.remove(salt + "/consumer");
                    LONG.compareAndSet(ring, CONSUMER_SLOTS_OFFSET + r.slot * 8L, SELF_ID, 0L);
                }
                consumerSlot = -1;
            }
        }
        synchronized (this) {
            if (closed) return;
            if (backing != null) backing.close();
            closed = true;
        }
    }

    /** Positions and the word at the head, for diagnostics and tests. */
    String debugState() {
        long head = (long) LONG.getVolatile(ring, HEAD_OFFSET);
        Cursor c = cursor;
        return "clean " + LONG.getVolatile(ring, CLEAN_OFFSET) + ", head " + head + ", tail " + LONG.getVolatile(ring, TAIL_OFFSET)
                + (c != null ? ", next claim " + c.next + ", deferred at " + c.deferredAt : "")
                + ", word at head 0x" + Long.toHexString((long) LONG.getVolatile(buffer, head & mask))
                + ", free mark 0x" + Long.toHexString(freeMark(salt, head >>> lapShift))
                + ", data waiters " + INT.getVolatile(ring, DATA_WAITERS_OFFSET) + ", space waiters " + INT.getVolatile(ring, SPACE_WAITERS_OFFSET)
                + ", wanted " + INT.getVolatile(ring, SPACE_WANTED_OFFSET);
    }

    @Override
    public String toString() {
        return "SharedRing[" + description + ", " + kind + ", " + capacity + " bytes]";
    }
}
