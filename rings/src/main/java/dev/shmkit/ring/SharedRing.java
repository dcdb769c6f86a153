package dev.shmkit.ring;

import dev.shmkit.os.ProcessId;
import dev.shmkit.shm.Futex;
import dev.shmkit.shm.OpenMode;
import dev.shmkit.shm.SharedMemory;
import dev.shmkit.sync.SharedLock;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

import static dev.shmkit.ring.RingDescriptor.*;

/**
 * A ring buffer of variable-length records in shared memory, for producers and consumers in any
 * processes: shmkit's zero-copy data plane, in the style of Agrona's ring buffers.
 *
 * <h2>Zero copy</h2>
 * A producer {@link #tryClaim claims} space and gets the index of the payload in
 * {@link #buffer()}, the shared mapping itself; it writes the message there in place and
 * {@link #commit commits} it (or {@link #abort aborts}). A consumer's {@link MessageHandler} is
 * handed the same mapping and the record's index: nothing is copied on either side. The
 * convenience methods {@link #offer}/{@link #put} and {@link #poll} copy from and to heap
 * memory. Hot paths allocate nothing and return sentinels rather than throw.
 *
 * <h2>Kinds</h2>
 * {@link RingKind#SPSC}: one producer and one consumer at a time, no atomic read-modify-write
 * on the data path. {@link RingKind#MPSC}: producers take space under a tiny robust lock and
 * write their records concurrently. {@link RingKind#MPMC}: consumers also read under a robust
 * lock. Type ids are 1 to {@value RingDescriptor#MAX_TYPE_ID}; a payload may have up to
 * {@link #maxPayload()} bytes (an eighth of the capacity).
 *
 * <h2>Waiting</h2>
 * Blocking forms wait with this handle's {@link WaitStrategy} (default
 * {@link WaitStrategy#ADAPTIVE}): spin, then yield, then sleep on a futex word, in slices of at
 * most 10 ms so interrupts and timeouts are honoured. No wake-up is lost: a side that goes to
 * sleep announces itself, and the other side checks for sleepers after a full fence. A timeout is a
 * {@code false}/0 result, never an exception.
 *
 * <h2>When a process dies</h2>
 * A record becomes visible only when its producer commits it, with one 64-bit store, so a
 * producer killed mid-write never exposes a torn record. A record claimed by a producer that
 * died is found by a waiting consumer (producers register their pid and start time) and turned
 * into padding, counted by {@link #recoveredRecords()}; a producer that dies holding the claim
 * lock is recovered through the lock. Consumers register too: a producer blocked on a full ring
 * whose registered consumers are all dead gets a {@link PeerDeadException}, and
 * {@link #consumerState()} tells any time. An MPMC consumer that dies while reading leaves its
 * records unconsumed, and the next consumer reads them again (at-least-once delivery; counted by
 * {@link #redeliveries()}).
 *
 * <h2>Memory visibility</h2>
 * Everything a producer wrote into a record before {@code commit} is visible to the consumer that
 * reads it.
 */
public final class SharedRing implements AutoCloseable {
    /** {@link #tryClaim} result: not enough free space now. */
    public static final long INSUFFICIENT_CAPACITY = -2;

    private static final VarHandle INT = ValueLayout.JAVA_INT.varHandle();
    private static final VarHandle LONG = ValueLayout.JAVA_LONG.varHandle();
    private static final long SLICE_NANOS = TimeUnit.MILLISECONDS.toNanos(10);
    private static final int SPIN_TRIES = 2_000;
    private static final int YIELD_TRIES = 20;
    /** Waits that never sleep look for dead peers every 4096 attempts (a few ms of spinning). */
    private static final int LIVENESS_CHECK_MASK = 4095;
    private static final long SELF_ID = pack(ProcessId.current());

    private final MemorySegment ring;
    private final MemorySegment buffer;
    private final long capacity;
    private final long mask;
    private final int maxPayload;
    private final RingKind kind;
    private final SharedLock claimLock;
    private final SharedLock consumerLock;
    private final SharedMemory backing;
    private final String description;
    private volatile WaitStrategy waitStrategy = WaitStrategy.ADAPTIVE;
    private int producerSlot = -1;
    private int consumerSlot = -1;
    private volatile boolean closed;

    private SharedRing(MemorySegment ring, SharedMemory backing, String description) {
        this.ring = ring;
        this.backing = backing;
        this.description = description;
        this.kind = RingKind.of(ring.get(ValueLayout.JAVA_SHORT, KIND_OFFSET));
        this.capacity = ring.get(ValueLayout.JAVA_LONG, CAPACITY_OFFSET);
        this.mask = capacity - 1;
        this.maxPayload = ring.get(ValueLayout.JAVA_INT, MAX_PAYLOAD_OFFSET);
        this.buffer = ring.asSlice(HEADER_LENGTH, capacity);
        this.claimLock = kind.multiProducer() ? SharedLock.open(ring, CLAIM_LOCK_OFFSET) : null;
        this.consumerLock = kind.multiConsumer() ? SharedLock.open(ring, CONSUMER_LOCK_OFFSET) : null;
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
        checkCapacity(capacity);
        MemorySegment s = slice(segment, offset, sizeFor(capacity));
        initialize(s, capacity, kind);
        return new SharedRing(validate(s, "ring at offset " + offset), null, "ring at offset " + offset);
    }

    /** Uses the ring another process initialized at {@code offset} of {@code segment}. */
    public static SharedRing open(MemorySegment segment, long offset) {
        String where = "ring at offset " + offset;
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
        s.asSlice(4, HEADER_LENGTH + capacity - 4).fill((byte) 0);
        s.set(ValueLayout.JAVA_LONG, CAPACITY_OFFSET, capacity);
        s.set(ValueLayout.JAVA_INT, MAX_PAYLOAD_OFFSET, (int) Math.min(capacity / 8, Integer.MAX_VALUE) - RECORD_HEADER_LENGTH);
        SharedLock.create(s, CLAIM_LOCK_OFFSET).close();
        SharedLock.create(s, CONSUMER_LOCK_OFFSET).close();
        s.set(ValueLayout.JAVA_SHORT, VERSION_OFFSET, VERSION);
        s.set(ValueLayout.JAVA_SHORT, KIND_OFFSET, kind.code);
        INT.setRelease(s, MAGIC_OFFSET, MAGIC);
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
        if (max != (int) Math.min(cap / 8, Integer.MAX_VALUE) - RECORD_HEADER_LENGTH) {
            throw new IllegalStateException(where + " has a corrupt maximum payload " + max);
        }
        long head = (long) LONG.getVolatile(s, HEAD_OFFSET);
        long tail = (long) LONG.getVolatile(s, TAIL_OFFSET);
        // The head may lead the tail by up to a lap when a producer died before publishing the tail
        // and a consumer recovered its claim: the next claimer repairs the tail.
        if (head < 0 || tail < 0 || tail - head > cap || head - tail > cap || (head & 7) != 0 || (tail & 7) != 0) {
            throw new IllegalStateException(where + " has corrupt positions (head " + head + ", tail " + tail + ")");
        }
        return s;
    }

    // ------------------------------------------------------------------ producing

    /**
     * Claims space for a record of {@code length} payload bytes. Write the payload into
     * {@link #buffer()} at the returned index, then {@link #commit} or {@link #abort} it.
     *
     * @return the payload's index in {@link #buffer()}, or {@link #INSUFFICIENT_CAPACITY}
     * @throws IllegalArgumentException for a type id outside 1..{@value RingDescriptor#MAX_TYPE_ID}
     *                                  or a length outside 0..{@link #maxPayload()}
     */
    public long tryClaim(int typeId, int length) {
        if (typeId < 1 || typeId > MAX_TYPE_ID) throw new IllegalArgumentException("type id must be 1.." + MAX_TYPE_ID + ", was " + typeId);
        if (length < 0 || length > maxPayload) {
            throw new IllegalArgumentException("a record of " + length + " bytes does not fit " + description + " (at most " + maxPayload + ")");
        }
        int slot = producerSlot;
        if (slot < 0) slot = registerProducer();
        if (claimLock == null) return claim(slot, typeId, length + RECORD_HEADER_LENGTH);
        claimLock.lock();
        try {
            if (claimLock.ownerDied()) repairTail();
            return claim(slot, typeId, length + RECORD_HEADER_LENGTH);
        } finally {
            claimLock.unlock();
        }
    }

    private long claim(int slot, int typeId, int recordLength) {
        int aligned = align(recordLength);
        long tail = (long) LONG.get(ring, TAIL_OFFSET);
        long index = tail & mask;
        long toEnd = capacity - index;
        long required = aligned <= toEnd ? aligned : toEnd + aligned;
        if (required > capacity - (tail - (long) LONG.get(ring, HEAD_CACHE_OFFSET))) {
            long head = (long) LONG.getAcquire(ring, HEAD_OFFSET);
            LONG.set(ring, HEAD_CACHE_OFFSET, head);
            if (required > capacity - (tail - head)) return INSUFFICIENT_CAPACITY;
        }
        if (aligned > toEnd) {
            LONG.setRelease(buffer, index, committed(PADDING_TYPE, (int) toEnd));
            tail += toEnd;
            index = 0;
        }
        // Claim header before moving the tail: a claimer that dies in between is repaired from it.
        LONG.setRelease(buffer, index, claimed(slot, typeId, recordLength));
        LONG.setRelease(ring, TAIL_OFFSET, tail + aligned);
        return index + RECORD_HEADER_LENGTH;
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
        if (typeId < 1 || typeId > MAX_TYPE_ID) throw new IllegalArgumentException("type id must be 1.." + MAX_TYPE_ID + ", was " + typeId);
        if (length < 0 || length > maxPayload) throw new IllegalArgumentException("a record of " + length + " bytes does not fit " + description);
        long total = (long) batchStride(length) * count;
        if (count < 1 || total > maxPayload + RECORD_HEADER_LENGTH) {
            throw new IllegalArgumentException("a batch of " + count + " records of " + length + " bytes does not fit " + description
                    + " (at most " + (maxPayload + RECORD_HEADER_LENGTH) + " bytes per batch)");
        }
        int slot = producerSlot;
        if (slot < 0) slot = registerProducer();
        if (claimLock == null) return claim(slot, typeId, (int) total);
        claimLock.lock();
        try {
            if (claimLock.ownerDied()) repairTail();
            return claim(slot, typeId, (int) total);
        } finally {
            claimLock.unlock();
        }
    }

    /** Distance between the payloads of consecutive records of a batch. */
    public static int batchStride(int length) {
        return align(length + RECORD_HEADER_LENGTH);
    }

    /** Publishes the {@code count} records of {@code length} bytes claimed at {@code index} by {@link #tryClaimBatch}. */
    public void commitBatch(long index, int length, int count) {
        long at = index - RECORD_HEADER_LENGTH;
        long w = (long) LONG.get(buffer, at);
        int stride = batchStride(length);
        if ((int) w >= 0 || -(int) w != stride * count) throw new IllegalStateException("no claimed batch of " + count + " at index " + index);
        long header = committed(claimType(w), length + RECORD_HEADER_LENGTH);
        for (int i = count - 1; i > 0; i--) LONG.set(buffer, at + (long) i * stride, header);
        LONG.setRelease(buffer, at, header); // the first header last: the batch appears at once
        signalData();
    }

    /** Moves the tail past records a dead claimer claimed without publishing the tail. */
    private void repairTail() {
        // A consumer may already have recovered and consumed the dead claimer's record, moving the
        // head past the unpublished tail: the free space starts at whichever is further.
        long tail = Math.max((long) LONG.getVolatile(ring, TAIL_OFFSET), (long) LONG.getVolatile(ring, HEAD_OFFSET));
        while (true) {
            long w = (long) LONG.getVolatile(buffer, tail & mask);
            int len = Math.abs((int) w);
            if (len == 0) break;
            tail += align(len);
        }
        LONG.setRelease(ring, TAIL_OFFSET, tail);
    }

    /** Publishes the record claimed at {@code index}. */
    public void commit(long index) {
        long at = index - RECORD_HEADER_LENGTH;
        long w = (long) LONG.get(buffer, at);
        int len = (int) w;
        if (len >= 0) throw new IllegalStateException("no claimed record at index " + index);
        LONG.setRelease(buffer, at, committed(claimType(w), -len));
        signalData();
    }

    /** Gives the space claimed at {@code index} back as padding that consumers skip. */
    public void abort(long index) {
        long at = index - RECORD_HEADER_LENGTH;
        long w = (long) LONG.get(buffer, at);
        int len = (int) w;
        if (len >= 0) throw new IllegalStateException("no claimed record at index " + index);
        LONG.setRelease(buffer, at, committed(PADDING_TYPE, -len));
        signalData();
    }

    /**
     * Claims, copies and commits in one call.
     *
     * @return false when there is no room now
     */
    public boolean offer(int typeId, MemorySegment source, long offset, int length) {
        long index = tryClaim(typeId, length);
        if (index < 0) return false;
        MemorySegment.copy(source, offset, buffer, index, length);
        commit(index);
        return true;
    }

    public boolean offer(int typeId, byte[] source) {
        long index = tryClaim(typeId, source.length);
        if (index < 0) return false;
        MemorySegment.copy(source, 0, buffer, ValueLayout.JAVA_BYTE, index, source.length);
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
        VarHandle.fullFence(); // the commit must be visible before we look for sleepers (Dekker with awaitData)
        if ((int) INT.getVolatile(ring, DATA_WAITERS_OFFSET) > 0) {
            INT.getAndAdd(ring, DATA_SEQ_OFFSET, 1);
            Futex.wakeAll(ring, DATA_SEQ_OFFSET);
        }
    }

    // ------------------------------------------------------------------ consuming

    /**
     * Hands up to {@code limit} committed records to {@code handler}, in place, and frees their
     * space. Does not wait. A record whose handler throws counts as consumed.
     *
     * @return how many records were handled
     */
    public int read(MessageHandler handler, int limit) {
        if (consumerSlot < 0) registerConsumer();
        if (consumerLock == null) return read0(handler, limit);
        consumerLock.lock();
        try {
            if (consumerLock.ownerDied()) LONG.getAndAdd(ring, REDELIVERIES_OFFSET, 1L);
            return read0(handler, limit);
        } finally {
            consumerLock.unlock();
        }
    }

    private int read0(MessageHandler handler, int limit) {
        long head = (long) LONG.getVolatile(ring, HEAD_OFFSET);
        long pos = head;
        int count = 0;
        try {
            // At most one lap per batch: consumed records are zeroed only when the batch ends.
            while (count < limit && pos - head < capacity) {
                long index = pos & mask;
                long w = (long) LONG.getAcquire(buffer, index);
                int len = (int) w;
                if (len <= 0) break;
                if (len < RECORD_HEADER_LENGTH || len > capacity - index) throw corrupt(index, w);
                pos += align(len);
                int type = (int) (w >>> 32);
                if (type == PADDING_TYPE) continue;
                count++;
                handler.onMessage(type, buffer, index + RECORD_HEADER_LENGTH, len - RECORD_HEADER_LENGTH);
            }
        } finally {
            if (pos != head) release(head, pos);
        }
        return count;
    }

    private IllegalStateException corrupt(long index, long header) {
        return new IllegalStateException(description + " has a corrupt record header 0x" + Long.toHexString(header) + " at index " + index);
    }

    /** Zeroes the consumed bytes (free space must read as zero headers) and moves the head. */
    private void release(long head, long pos) {
        long from = head & mask;
        long n = pos - head;
        long first = Math.min(n, capacity - from);
        buffer.asSlice(from, first).fill((byte) 0);
        if (n > first) buffer.asSlice(0, n - first).fill((byte) 0);
        LONG.setRelease(ring, HEAD_OFFSET, pos);
        VarHandle.fullFence(); // the new head must be visible before we look for sleeping producers
        if ((int) INT.getVolatile(ring, SPACE_WAITERS_OFFSET) > 0) {
            INT.getAndAdd(ring, SPACE_SEQ_OFFSET, 1);
            Futex.wakeAll(ring, SPACE_SEQ_OFFSET);
        }
    }

    /**
     * Waits at most {@code timeout} for records, then hands up to {@code limit} of them to
     * {@code handler} ({@code timeout < 0}: no limit).
     *
     * @return how many records were handled; 0 when the timeout elapsed
     */
    public int poll(MessageHandler handler, int limit, long timeout, TimeUnit unit) throws InterruptedException {
        long deadline = timeout < 0 ? -1 : deadline(unit.toNanos(timeout));
        while (true) {
            int n = read(handler, limit);
            if (n > 0) return n;
            if (!awaitData(deadline)) {
                recoverDeadClaim(); // even a zero timeout gets past a dead producer's claim
                return read(handler, limit);
            }
        }
    }

    /** Whether a committed record (or padding) waits at the head. */
    private boolean dataAvailable() {
        long head = (long) LONG.getVolatile(ring, HEAD_OFFSET);
        return (int) (long) LONG.getAcquire(buffer, head & mask) > 0;
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
                int seq = (int) INT.getVolatile(ring, DATA_SEQ_OFFSET);
                if (dataAvailable()) return true;
                if (!Futex.await(ring, DATA_SEQ_OFFSET, seq, slice(deadline), TimeUnit.NANOSECONDS)) recoverDeadClaim();
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
            if ((i & LIVENESS_CHECK_MASK) == LIVENESS_CHECK_MASK && consumerState() == PeerState.DEAD) {
                throw new PeerDeadException("every consumer of " + description + " has died; it stays full");
            }
            if (pause(strategy, i)) continue;
            INT.getAndAdd(ring, SPACE_WAITERS_OFFSET, 1);
            try {
                int seq = (int) INT.getVolatile(ring, SPACE_SEQ_OFFSET);
                if (hasRoom(needed)) return true;
                if (!Futex.await(ring, SPACE_SEQ_OFFSET, seq, slice(deadline), TimeUnit.NANOSECONDS)
                        && consumerState() == PeerState.DEAD) {
                    throw new PeerDeadException("every consumer of " + description + " has died; it stays full");
                }
            } finally {
                INT.getAndAdd(ring, SPACE_WAITERS_OFFSET, -1);
            }
        }
    }

    private boolean hasRoom(int aligned) {
        long tail = (long) LONG.getVolatile(ring, TAIL_OFFSET);
        long head = (long) LONG.getVolatile(ring, HEAD_OFFSET);
        long toEnd = capacity - (tail & mask);
        long required = aligned <= toEnd ? aligned : toEnd + aligned;
        return required <= capacity - (tail - head);
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

    private static long slice(long deadline) {
        return deadline == -1 ? SLICE_NANOS : Math.max(1, Math.min(SLICE_NANOS, deadline - System.nanoTime()));
    }

    private static long deadline(long nanos) {
        return System.nanoTime() + Math.max(0, nanos);
    }

    /** A record at the head claimed by a producer that died is turned into padding. */
    private void recoverDeadClaim() {
        long head = (long) LONG.getVolatile(ring, HEAD_OFFSET);
        long index = head & mask;
        long w = (long) LONG.getAcquire(buffer, index);
        int len = (int) w;
        if (len >= 0) return;
        int slot = claimSlot(w);
        if (slot >= SLOTS) return; // claimed without a slot: cannot tell who
        long id = (long) LONG.getVolatile(ring, PRODUCER_SLOTS_OFFSET + slot * 8L);
        if (id == 0 || isAlive(id)) return;
        if (LONG.compareAndSet(buffer, index, w, committed(PADDING_TYPE, -len))) {
            LONG.getAndAdd(ring, RECOVERED_OFFSET, 1L);
        }
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

    private synchronized int registerProducer() {
        if (producerSlot < 0) {
            producerSlot = register(PRODUCER_SLOTS_OFFSET);
            if (claimLock == null) repairTail(); // an SPSC ring's previous producer may have died mid-claim
        }
        return producerSlot;
    }

    private synchronized void registerConsumer() {
        if (consumerSlot < 0) consumerSlot = register(CONSUMER_SLOTS_OFFSET);
    }

    private int register(long slotsOffset) {
        for (int i = 0; i < SLOTS; i++) {
            if ((long) LONG.getVolatile(ring, slotsOffset + i * 8L) == SELF_ID) return i;
        }
        for (int i = 0; i < SLOTS; i++) {
            if (LONG.compareAndSet(ring, slotsOffset + i * 8L, 0L, SELF_ID)) return i;
        }
        for (int i = 0; i < SLOTS; i++) { // take over the slot of a dead process
            long id = (long) LONG.getVolatile(ring, slotsOffset + i * 8L);
            if (id != 0 && !isAlive(id) && LONG.compareAndSet(ring, slotsOffset + i * 8L, id, SELF_ID)) return i;
        }
        return UNKNOWN_SLOT;
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

    public long tailPosition() {
        return (long) LONG.getVolatile(ring, TAIL_OFFSET);
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

    /** Leaves the ring: this process's registrations are withdrawn and a named ring is unmapped. */
    @Override
    public synchronized void close() {
        if (closed) return;
        closed = true;
        if (producerSlot >= 0 && producerSlot < SLOTS) LONG.compareAndSet(ring, PRODUCER_SLOTS_OFFSET + producerSlot * 8L, SELF_ID, 0L);
        if (consumerSlot >= 0 && consumerSlot < SLOTS) LONG.compareAndSet(ring, CONSUMER_SLOTS_OFFSET + consumerSlot * 8L, SELF_ID, 0L);
        if (backing != null) backing.close();
    }

    @Override
    public String toString() {
        return "SharedRing[" + description + ", " + kind + ", " + capacity + " bytes]";
    }
}
