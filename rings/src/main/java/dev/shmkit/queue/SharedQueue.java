package dev.shmkit.queue;

import dev.shmkit.ring.MessageHandler;
import dev.shmkit.ring.PeerDeadException;
import dev.shmkit.ring.RingKind;
import dev.shmkit.ring.SharedRing;
import dev.shmkit.ring.WaitStrategy;
import dev.shmkit.shm.Futex;
import dev.shmkit.shm.OpenMode;
import dev.shmkit.shm.SharedMemory;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;
import java.nio.charset.StandardCharsets;
import java.util.AbstractQueue;
import java.util.Collection;
import java.util.Iterator;
import java.util.Objects;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

import static dev.shmkit.queue.QueueDescriptor.*;

/**
 * A {@link BlockingQueue} shared by any number of producer and consumer threads in any number of
 * processes: Python's {@code multiprocessing.Queue}, on an MPMC {@link SharedRing}. Elements
 * travel as bytes through a {@link Codec}, encoded straight into the shared ring and decoded
 * straight out of it.
 *
 * <pre>{@code
 * // process A
 * try (SharedQueue<String> q = SharedQueue.create("jobs", 1 << 20, Codec.string())) {
 *     q.put("hello");
 * }
 * // process B
 * try (SharedQueue<String> q = SharedQueue.open("jobs", Codec.string())) {
 *     String s = q.take();
 * }
 * }</pre>
 *
 * <h2>Creation and placement</h2>
 * By name, as one POSIX shared memory object ({@link #create(String, long, Codec)},
 * {@link #open(String, Codec)}, {@link #openOrCreate(String, long, Codec)}; {@link #unlink()}
 * removes the name, closing never does), or at an 8-byte aligned offset of a segment you manage
 * ({@link #create(MemorySegment, long, long, Codec)}, {@link #open(MemorySegment, long, Codec)},
 * {@link #sizeFor(long)} bytes). The capacity is in bytes, a power of two from 64 bytes to 1 GiB;
 * an element's encoding may take up to {@link #maxElementBytes()} (an eighth of the capacity,
 * less 8), and each element occupies its encoding plus an 8-byte header, rounded up to 8.
 * Opening validates the header (magic, version, layout, the ring's own header), so a region
 * that is not a queue, or a corrupt one, is refused with an {@link IllegalStateException}. The
 * creator's codec {@link Codec#name() name} is recorded, and opening with a codec of another
 * known encoding is refused.
 *
 * <h2>Semantics</h2>
 * FIFO across all producers taken together as far as the ring orders them: elements from one
 * producer thread are taken in the order it put them. Null elements are refused with a
 * {@link NullPointerException}, as by every {@code java.util.concurrent} queue. Blocking and timed
 * methods follow {@link BlockingQueue}: {@code put}/{@code take} wait, {@code offer}/{@code poll}
 * with a timeout return {@code false}/{@code null} when it elapses (a timeout of zero or less
 * does not wait), the others never wait. Waiting uses the ring's {@link WaitStrategy}
 * (default: spin briefly, then sleep on a futex), settable by {@link #waitStrategy}.
 * {@link #size()} works everywhere (unlike Python's {@code qsize()} on macOS): it is exact when
 * nothing is in flight, and while producers and consumers run it may count an element being
 * put a moment early. {@link #remainingCapacity()} is an estimate, since elements vary in size.
 *
 * <p>Not supported across processes, and documented as such: {@link #peek()} and
 * {@link #element()} (the ring has no non-consuming read that another consumer could not race),
 * {@link #iterator()}, {@link #contains}, {@link #remove(Object)}, {@code toArray} and the bulk
 * operations built on them ({@code containsAll}, {@code removeAll}, {@code retainAll}): they
 * throw {@link UnsupportedOperationException}. {@link #clear()} discards what is queued.
 *
 * <h2>Interruption</h2>
 * {@code put}, {@code take} and the timed forms throw {@link InterruptedException} when the
 * thread is interrupted on entry or while waiting (noticed within 10 ms; futex sleeps are
 * taken in slices).
 *
 * <h2>Memory visibility</h2>
 * Actions of a thread before it puts an element happen-before actions of the thread, in any
 * process, that takes that element.
 *
 * <h2>When a process dies</h2>
 * A producer killed while encoding never exposes a torn element: the ring makes a record visible
 * with one store at commit, and turns a record claimed by a dead producer into padding, which
 * {@code size()} counts out ({@link Stats#recovered()}). A consumer killed in the middle of taking
 * an element leaves it in the ring, and the next consumer takes it (at-least-once delivery,
 * counted by {@link Stats#redeliveries()}); a consumer that has taken an element and then dies
 * loses it, as in Python. A producer blocked on a full queue whose consumers have all died (and
 * none remains registered alive) gets a {@link PeerDeadException} rather than wait forever; a
 * consumer waiting on an empty queue waits for new producers, as in Python (use a timeout).
 * In the few instructions between claiming room and counting the element, a producer's death
 * makes {@code size()} one too low, never negative.
 *
 * <h2>Threads</h2>
 * A handle may be shared by any number of threads. {@link #close()} withdraws this process's
 * registration and unmaps a named queue; use no handle after closing it.
 *
 * @param <E> the element type
 */
public class SharedQueue<E> extends AbstractQueue<E> implements BlockingQueue<E>, AutoCloseable {
    static final VarHandle INT = ValueLayout.JAVA_INT.varHandle();
    static final VarHandle LONG = ValueLayout.JAVA_LONG.varHandle();
    static final long SLICE_NANOS = TimeUnit.MILLISECONDS.toNanos(10);
    private static final int DRAIN_BATCH = 256;

    final MemorySegment header;
    final SharedRing ring;
    private final SharedMemory backing;
    final Codec<E> codec;
    private final boolean trusted;
    final boolean joinable;
    final String description;
    private final String codecName;
    private volatile boolean closed;

    SharedQueue(Region r, Codec<E> codec) {
        this.header = r.header;
        this.ring = r.ring;
        this.backing = r.backing;
        this.description = r.description;
        this.codec = codec;
        this.trusted = codec instanceof Codecs.Trusted;
        this.joinable = ((short) r.header.get(ValueLayout.JAVA_SHORT, FLAGS_OFFSET) & FLAG_JOINABLE) != 0;
        this.codecName = r.codecName;
    }

    // ------------------------------------------------------------------ creation

    /** Bytes a queue of {@code capacityBytes} occupies in a segment: its header, the ring's, and the capacity. */
    public static long sizeFor(long capacityBytes) {
        return HEADER_LENGTH + SharedRing.sizeFor(capacityBytes);
    }

    /** Creates a named queue (exclusively, permissions 0600) of {@code capacityBytes} (a power of two). */
    public static <E> SharedQueue<E> create(String name, long capacityBytes, Codec<E> codec) {
        return open(name, OpenMode.CREATE_EXCLUSIVE, capacityBytes, codec, 0600);
    }

    /** Opens an existing named queue, with the capacity it has. */
    public static <E> SharedQueue<E> open(String name, Codec<E> codec) {
        return open(name, OpenMode.OPEN_EXISTING, 0, codec, 0600);
    }

    /** Opens the named queue, or creates it with {@code capacityBytes}. */
    public static <E> SharedQueue<E> openOrCreate(String name, long capacityBytes, Codec<E> codec) {
        return open(name, OpenMode.OPEN_OR_CREATE, capacityBytes, codec, 0600);
    }

    /**
     * The general form. A queue this call creates gets {@code capacityBytes} (ignored by
     * {@link OpenMode#OPEN_EXISTING}) and {@code permissions}; an existing one keeps its own.
     */
    public static <E> SharedQueue<E> open(String name, OpenMode mode, long capacityBytes, Codec<E> codec, int permissions) {
        Objects.requireNonNull(codec, "codec");
        return new SharedQueue<>(Region.named(name, mode, capacityBytes, permissions, codec, false), codec);
    }

    /** Initializes a new, empty queue at {@code offset} of {@code segment} ({@link #sizeFor} bytes, 8-byte aligned). */
    public static <E> SharedQueue<E> create(MemorySegment segment, long offset, long capacityBytes, Codec<E> codec) {
        Objects.requireNonNull(codec, "codec");
        return new SharedQueue<>(Region.create(segment, offset, capacityBytes, codec, false), codec);
    }

    /** Uses the queue another process initialized at {@code offset} of {@code segment}. */
    public static <E> SharedQueue<E> open(MemorySegment segment, long offset, Codec<E> codec) {
        Objects.requireNonNull(codec, "codec");
        return new SharedQueue<>(Region.open(segment, offset, codec, false), codec);
    }

    // ------------------------------------------------------------------ producing

    private int encodedSize(E e) {
        Objects.requireNonNull(e, "a SharedQueue does not take null elements");
        ensureOpen();
        int n = codec.size(e);
        if (n < 0 || n > ring.maxPayload()) {
            throw new IllegalArgumentException("an element of " + n + " bytes does not fit " + description
                    + " (at most " + ring.maxPayload() + " bytes per element; create it with a larger capacity)");
        }
        return n;
    }

    /** Counts the element, encodes it into the claimed space and commits it (or gives the space back). */
    private void publish(E e, int n, long index) {
        LONG.getAndAdd(header, PUTS_OFFSET, 1L);
        if (joinable) INT.getAndAdd(header, UNFINISHED_OFFSET, 1);
        try {
            if (trusted) codec.encode(e, ring.buffer(), index);
            else codec.encode(e, ring.buffer().asSlice(index, n), 0);
        } catch (RuntimeException | Error t) {
            ring.abort(index);
            LONG.getAndAdd(header, PUTS_OFFSET, -1L);
            if (joinable) finishTasks(1);
            throw t;
        }
        ring.commit(index);
    }

    /**
     * Inserts {@code e} if there is room now.
     *
     * @return false when the queue is full
     * @throws IllegalArgumentException when the element's encoding exceeds {@link #maxElementBytes()}
     */
    @Override
    public boolean offer(E e) {
        int n = encodedSize(e);
        long index = ring.tryClaim(ELEMENT_TYPE, n);
        if (index < 0) return false;
        publish(e, n, index);
        return true;
    }

    /**
     * Inserts {@code e}, waiting at most {@code timeout} for room.
     *
     * @return false when the timeout elapsed first
     * @throws PeerDeadException when every registered consumer has died while the queue is full
     */
    @Override
    public boolean offer(E e, long timeout, TimeUnit unit) throws InterruptedException {
        int n = encodedSize(e);
        long index = ring.claim(ELEMENT_TYPE, n, Math.max(0, timeout), unit);
        if (index < 0) return false;
        publish(e, n, index);
        return true;
    }

    /**
     * Inserts {@code e}, waiting as long as it takes for room.
     *
     * @throws PeerDeadException when every registered consumer has died while the queue is full
     */
    @Override
    public void put(E e) throws InterruptedException {
        int n = encodedSize(e);
        long index = ring.claim(ELEMENT_TYPE, n, -1, TimeUnit.NANOSECONDS);
        publish(e, n, index);
    }

    // ------------------------------------------------------------------ consuming

    /** Decodes one element; counts what the ring consumed, even when decoding fails. */
    private final class Taker implements MessageHandler {
        E value;
        int handled;

        @Override
        public void onMessage(int typeId, MemorySegment buffer, long index, int length) {
            handled++;
            value = decode(typeId, buffer, index, length);
        }
    }

    E decode(int typeId, MemorySegment buffer, long index, int length) {
        if (typeId != ELEMENT_TYPE) throw new IllegalStateException(description + " holds a record of unknown type " + typeId);
        E v = codec.decode(buffer, index, length);
        if (v == null) throw new IllegalStateException("codec " + codec + " decoded an element of " + description + " to null");
        return v;
    }

    private void taken(int n) {
        if (n > 0) LONG.getAndAdd(header, TAKES_OFFSET, (long) n);
    }

    /**
     * Removes and returns the head if there is one now.
     *
     * @return null when the queue is empty
     * @throws IllegalStateException when the element's bytes are not a valid encoding (it is
     *                               consumed all the same)
     */
    @Override
    public E poll() {
        ensureOpen();
        Taker t = new Taker();
        try {
            readNow(t, 1);
        } finally {
            taken(t.handled);
        }
        return t.value;
    }

    /**
     * Removes and returns the head, waiting at most {@code timeout} for one.
     *
     * @return null when the timeout elapsed first
     */
    @Override
    public E poll(long timeout, TimeUnit unit) throws InterruptedException {
        ensureOpen();
        Taker t = new Taker();
        try {
            ring.poll(t, 1, Math.max(0, timeout), unit);
        } finally {
            taken(t.handled);
        }
        return t.value;
    }

    /** Removes and returns the head, waiting as long as it takes for one. */
    @Override
    public E take() throws InterruptedException {
        ensureOpen();
        Taker t = new Taker();
        try {
            while (t.handled == 0) ring.poll(t, 1, -1, TimeUnit.NANOSECONDS);
        } finally {
            taken(t.handled);
        }
        return t.value;
    }

    /** A read that does not wait but gets past a record claimed by a producer that died. */
    private int readNow(MessageHandler h, int limit) {
        int n = ring.read(h, limit);
        if (n == 0 && ring.recoverDeadClaim()) n = ring.read(h, limit);
        return n;
    }

    @Override
    public int drainTo(Collection<? super E> c) {
        return drainTo(c, Integer.MAX_VALUE);
    }

    /**
     * Removes up to {@code maxElements} present elements into {@code c}, without waiting, taking
     * them from the ring in batches. If adding to {@code c} fails, the element being added is lost
     * (as {@link BlockingQueue#drainTo} allows).
     */
    @Override
    public int drainTo(Collection<? super E> c, int maxElements) {
        Objects.requireNonNull(c, "c");
        if (c == this) throw new IllegalArgumentException("cannot drain a queue into itself");
        ensureOpen();
        int[] handled = {0};
        MessageHandler h = (type, buffer, index, length) -> {
            handled[0]++;
            c.add(decode(type, buffer, index, length));
        };
        int total = 0;
        try {
            while (total < maxElements) {
                int n = readNow(h, Math.min(maxElements - total, DRAIN_BATCH));
                if (n == 0) break;
                total += n;
            }
        } finally {
            taken(handled[0]);
        }
        return total;
    }

    /**
     * Discards every element queued now, without decoding them. On a joinable queue the
     * discarded elements count as done ({@link JoinableQueue#taskDone()}), since nobody will
     * process them.
     */
    @Override
    public void clear() {
        ensureOpen();
        int[] handled = {0};
        MessageHandler h = (type, buffer, index, length) -> handled[0]++;
        try {
            while (readNow(h, 1024) > 0) {
                // discard
            }
        } finally {
            taken(handled[0]);
            if (joinable) finishTasks(handled[0]);
        }
    }

    // ------------------------------------------------------------------ unsupported across processes

    /**
     * Unsupported: the ring offers no read that leaves the element in place while other processes
     * may consume it, so a peeked element could be gone before it is taken.
     *
     * @throws UnsupportedOperationException always
     */
    @Override
    public E peek() {
        throw new UnsupportedOperationException("peek() is not supported by a SharedQueue: another process may take the element at any "
                + "moment; use poll() and keep the element");
    }

    /** @throws UnsupportedOperationException always (see {@link #peek()}) */
    @Override
    public E element() {
        return peek();
    }

    /** @throws UnsupportedOperationException always: elements cannot be traversed across processes */
    @Override
    public Iterator<E> iterator() {
        throw new UnsupportedOperationException("a SharedQueue cannot be iterated: its elements live in other processes' hands; drain it instead");
    }

    /** @throws UnsupportedOperationException always */
    @Override
    public boolean contains(Object o) {
        throw new UnsupportedOperationException("contains() is not supported by a SharedQueue (no traversal across processes)");
    }

    /** @throws UnsupportedOperationException always */
    @Override
    public boolean remove(Object o) {
        throw new UnsupportedOperationException("remove(Object) is not supported by a SharedQueue (elements leave only from the head)");
    }

    /** @throws UnsupportedOperationException always */
    @Override
    public Object[] toArray() {
        throw new UnsupportedOperationException("toArray() is not supported by a SharedQueue; use drainTo");
    }

    /** @throws UnsupportedOperationException always */
    @Override
    public <T> T[] toArray(T[] a) {
        throw new UnsupportedOperationException("toArray() is not supported by a SharedQueue; use drainTo");
    }

    // ------------------------------------------------------------------ queries

    /**
     * How many elements are queued: put (or being put) and not yet taken. Works on every
     * platform; exact when nothing is in flight.
     */
    @Override
    public int size() {
        ensureOpen();
        long takes = (long) LONG.getVolatile(header, TAKES_OFFSET);
        long recovered = ring.recoveredRecords();
        long puts = (long) LONG.getVolatile(header, PUTS_OFFSET);
        return (int) Math.max(0, Math.min(Integer.MAX_VALUE, puts - takes - recovered));
    }

    @Override
    public boolean isEmpty() {
        return size() == 0;
    }

    /**
     * An estimate of how many more elements fit now: for a {@link Codec#fixedSize() fixed-size}
     * codec, the free bytes divided by an element's footprint (which wrap-around padding can make
     * one too many); otherwise how many empty elements would fit, an upper bound. See
     * {@link #remainingBytes()}.
     */
    @Override
    public int remainingCapacity() {
        long free = remainingBytes();
        int fixed = codec.fixedSize();
        int per = fixed >= 0 ? SharedRing.batchStride(fixed) : SharedRing.batchStride(0);
        return (int) Math.min(Integer.MAX_VALUE, free / per);
    }

    /** Free bytes in the ring now (an element takes its encoding plus 8, rounded up to 8). */
    public long remainingBytes() {
        ensureOpen();
        return ring.capacity() - ring.used();
    }

    /** The ring's capacity in bytes. */
    public long capacityBytes() {
        return ring.capacity();
    }

    /** Bytes taken by queued elements (with their headers and padding). */
    public long usedBytes() {
        ensureOpen();
        return ring.used();
    }

    /** The largest element encoding this queue takes. */
    public int maxElementBytes() {
        return ring.maxPayload();
    }

    /** The codec name the creator recorded ("" for a custom codec). */
    public String codecName() {
        return codecName;
    }

    public Codec<E> codec() {
        return codec;
    }

    /** Whether the queue counts unfinished tasks ({@link JoinableQueue}). */
    public boolean isJoinable() {
        return joinable;
    }

    /** A snapshot of the queue's counters, for monitoring. */
    public record Stats(String codec, boolean joinable, long capacityBytes, long usedBytes, int size, long puts, long takes,
                        long recovered, long redeliveries, int liveProducers, int liveConsumers, int unfinishedTasks) {}

    /** The queue's counters now; {@code unfinishedTasks} is -1 unless joinable. */
    public Stats stats() {
        ensureOpen();
        int[] live = ring.liveParticipants();
        return new Stats(codecName, joinable, ring.capacity(), ring.used(), size(), (long) LONG.getVolatile(header, PUTS_OFFSET),
                (long) LONG.getVolatile(header, TAKES_OFFSET), ring.recoveredRecords(), ring.redeliveries(), live[0], live[1],
                joinable ? Math.max(0, (int) INT.getVolatile(header, UNFINISHED_OFFSET)) : -1);
    }

    public WaitStrategy waitStrategy() {
        return ring.waitStrategy();
    }

    /** Sets how this handle's blocking calls wait (default {@link WaitStrategy#ADAPTIVE}). */
    public SharedQueue<E> waitStrategy(WaitStrategy strategy) {
        ring.waitStrategy(strategy);
        return this;
    }

    /** The name of the queue's shared memory object, or null when placed in a segment. */
    public String name() {
        return backing == null ? null : backing.name();
    }

    /** Removes the queue's name; processes that have it open keep using it. */
    public void unlink() {
        if (backing == null) throw new IllegalStateException(description + " has no name: it lives in a segment you manage");
        backing.unlink();
    }

    /** Removes a queue's name; false when there was none. */
    public static boolean unlink(String name) {
        return SharedMemory.unlink(name);
    }

    /** Leaves the queue: withdraws this process's registration and unmaps a named queue. Idempotent. */
    @Override
    public void close() {
        synchronized (this) {
            if (closed) return;
            closed = true;
        }
        try {
            ring.close();
        } finally {
            if (backing != null) backing.close();
        }
    }

    final void ensureOpen() {
        if (closed) throw new IllegalStateException(description + " is closed");
    }

    @Override
    public String toString() {
        if (closed) return getClass().getSimpleName() + "[" + description + ", closed]";
        return getClass().getSimpleName() + "[" + description + ", " + size() + " elements, " + ring.capacity() + " bytes, codec "
                + (codecName.isEmpty() ? "custom" : codecName) + "]";
    }

    // ------------------------------------------------------------------ unfinished tasks (joinable queues)

    /** Marks up to {@code n} tasks done without complaint; wakes joiners when none remain. */
    final void finishTasks(int n) {
        if (n <= 0) return;
        while (true) {
            int v = (int) INT.getVolatile(header, UNFINISHED_OFFSET);
            if (v <= 0) return;
            int next = Math.max(0, v - n);
            if (INT.compareAndSet(header, UNFINISHED_OFFSET, v, next)) {
                if (next == 0) wakeJoiners();
                return;
            }
        }
    }

    final void wakeJoiners() {
        // the CAS that reached zero is a full fence: a joiner that counted itself after it sees zero in the futex check
        if ((int) INT.getVolatile(header, JOIN_WAITERS_OFFSET) > 0) Futex.wakeAll(header, UNFINISHED_OFFSET);
    }

    // ------------------------------------------------------------------ the region

    /** Where a queue lives: its header and ring, and for a named queue the object that holds them. */
    static final class Region {
        final MemorySegment header;
        final SharedRing ring;
        final SharedMemory backing;
        final String description;
        final String codecName;

        private Region(MemorySegment header, SharedRing ring, SharedMemory backing, String description, String codecName) {
            this.header = header;
            this.ring = ring;
            this.backing = backing;
            this.description = description;
            this.codecName = codecName;
        }

        static Region named(String name, OpenMode mode, long capacity, int permissions, Codec<?> codec, boolean joinable) {
            Objects.requireNonNull(mode, "mode");
            long size = mode == OpenMode.OPEN_EXISTING ? 0 : sizeFor(capacity);
            SharedMemory shm = SharedMemory.open(name, mode, size, permissions);
            try {
                String where = (joinable ? "joinable queue " : "queue ") + shm.name();
                if (shm.created()) return initialize(shm.segment(), capacity, codec, joinable, shm, where);
                long deadline = System.nanoTime() + 2_000_000_000L;
                while (shm.size() >= 4 && (int) INT.getAcquire(shm.segment(), MAGIC_OFFSET) == 0 && System.nanoTime() < deadline) {
                    LockSupport.parkNanos(100_000); // the creator publishes within milliseconds
                }
                return validate(shm.segment(), codec, joinable, shm, where);
            } catch (RuntimeException | Error e) {
                shm.close();
                if (shm.created()) shm.unlink();
                throw e;
            }
        }

        static Region create(MemorySegment segment, long offset, long capacity, Codec<?> codec, boolean joinable) {
            MemorySegment s = slice(segment, offset, sizeFor(capacity));
            return initialize(s, capacity, codec, joinable, null, (joinable ? "joinable queue" : "queue") + " at offset " + offset);
        }

        static Region open(MemorySegment segment, long offset, Codec<?> codec, boolean joinable) {
            String where = (joinable ? "joinable queue" : "queue") + " at offset " + offset;
            MemorySegment head = slice(segment, offset, HEADER_LENGTH);
            long cap = head.get(ValueLayout.JAVA_LONG, CAPACITY_OFFSET);
            checkHeader(head, where, segment.byteSize() - offset);
            return validate(slice(segment, offset, HEADER_LENGTH + SharedRing.sizeFor(cap)), codec, joinable, null, where);
        }

        private static MemorySegment slice(MemorySegment segment, long offset, long size) {
            if (!segment.isNative()) throw new IllegalArgumentException("a shared queue must be in native (shared) memory");
            if (offset < 0 || offset > segment.byteSize() - size) {
                throw new IndexOutOfBoundsException("a queue needs " + size + " bytes at offset " + offset + "; the segment has " + segment.byteSize());
            }
            MemorySegment s = segment.asSlice(offset, size);
            if ((s.address() & 7) != 0) throw new IllegalArgumentException("a queue must be 8-byte aligned; offset " + offset + " is not");
            return s;
        }

        private static Region initialize(MemorySegment s, long capacity, Codec<?> codec, boolean joinable, SharedMemory shm, String where) {
            byte[] codecBytes = storedName(codec.name()).getBytes(StandardCharsets.UTF_8);
            INT.setVolatile(s, MAGIC_OFFSET, 0);
            s.asSlice(4, HEADER_LENGTH - 4).fill((byte) 0);
            s.set(ValueLayout.JAVA_LONG, RING_OFFSET_OFFSET, HEADER_LENGTH);
            s.set(ValueLayout.JAVA_LONG, CAPACITY_OFFSET, capacity);
            s.set(ValueLayout.JAVA_SHORT, CODEC_LENGTH_OFFSET, (short) codecBytes.length);
            MemorySegment.copy(codecBytes, 0, s, ValueLayout.JAVA_BYTE, CODEC_OFFSET, codecBytes.length);
            SharedRing ring = SharedRing.create(s, HEADER_LENGTH, capacity, RingKind.MPMC, where);
            s.set(ValueLayout.JAVA_SHORT, FLAGS_OFFSET, joinable ? FLAG_JOINABLE : 0);
            s.set(ValueLayout.JAVA_SHORT, VERSION_OFFSET, VERSION);
            INT.setRelease(s, MAGIC_OFFSET, MAGIC);
            return new Region(s, ring, shm, where, new String(codecBytes, StandardCharsets.UTF_8));
        }

        /** Checks the queue's own header; nothing in it is trusted before this. */
        private static void checkHeader(MemorySegment s, String where, long available) {
            if (available < HEADER_LENGTH) throw new IllegalStateException(where + " is " + available + " bytes, too small for a queue");
            int magic = (int) INT.getAcquire(s, MAGIC_OFFSET);
            if (magic != MAGIC) {
                throw new IllegalStateException(where + " is not a shmkit queue (magic 0x" + Integer.toHexString(magic)
                        + ", expected 0x" + Integer.toHexString(MAGIC) + "): never initialized, or overwritten");
            }
            short version = s.get(ValueLayout.JAVA_SHORT, VERSION_OFFSET);
            if (version != VERSION) throw new IllegalStateException(where + " has queue layout version " + version + "; this shmkit reads " + VERSION);
            short flags = s.get(ValueLayout.JAVA_SHORT, FLAGS_OFFSET);
            if ((flags & ~FLAG_JOINABLE) != 0) throw new IllegalStateException(where + " has unknown flags 0x" + Integer.toHexString(flags));
            long ringOffset = s.get(ValueLayout.JAVA_LONG, RING_OFFSET_OFFSET);
            if (ringOffset != HEADER_LENGTH) throw new IllegalStateException(where + " has a corrupt ring offset " + ringOffset);
            long cap = s.get(ValueLayout.JAVA_LONG, CAPACITY_OFFSET);
            if (cap < 64 || cap > (1L << 30) || Long.bitCount(cap) != 1 || HEADER_LENGTH + SharedRing.sizeFor(cap) > available) {
                throw new IllegalStateException(where + " has a corrupt capacity " + cap + " for a region of " + available + " bytes");
            }
            short codecLength = s.get(ValueLayout.JAVA_SHORT, CODEC_LENGTH_OFFSET);
            if (codecLength < 0 || codecLength > CODEC_MAX) throw new IllegalStateException(where + " has a corrupt codec name length " + codecLength);
        }

        private static Region validate(MemorySegment s, Codec<?> codec, boolean joinable, SharedMemory shm, String where) {
            checkHeader(s, where, s.byteSize());
            long cap = s.get(ValueLayout.JAVA_LONG, CAPACITY_OFFSET);
            boolean isJoinable = (s.get(ValueLayout.JAVA_SHORT, FLAGS_OFFSET) & FLAG_JOINABLE) != 0;
            if (joinable && !isJoinable) throw new IllegalStateException(where + " is a plain queue, not a joinable one; open it as a SharedQueue");
            int codecLength = s.get(ValueLayout.JAVA_SHORT, CODEC_LENGTH_OFFSET);
            String stored = new String(Codecs.copy(s, CODEC_OFFSET, codecLength), StandardCharsets.UTF_8);
            String mine = storedName(codec.name());
            if (!stored.isEmpty() && !mine.isEmpty() && !stored.equals(mine)
                    && !stored.equals(Codecs.BYTES_NAME) && !mine.equals(Codecs.BYTES_NAME)) {
                throw new IllegalStateException(where + " holds elements encoded by codec '" + stored + "'; it cannot be read with codec '"
                        + mine + "' (Codec.bytes() reads any queue raw)");
            }
            SharedRing ring = SharedRing.open(s, HEADER_LENGTH, where);
            if (ring.capacity() != cap || ring.kind() != RingKind.MPMC) {
                ring.close();
                throw new IllegalStateException(where + " has a ring of " + ring.capacity() + " bytes, " + ring.kind()
                        + ", where its header says " + cap + " bytes, MPMC");
            }
            return new Region(s, ring, shm, where, stored);
        }

        /** A codec name as recorded: at most {@value QueueDescriptor#CODEC_MAX} UTF-8 bytes (longer names keep a hash). */
        static String storedName(String name) {
            if (name == null) return "";
            if (name.getBytes(StandardCharsets.UTF_8).length <= CODEC_MAX) return name;
            String hash = "#" + Integer.toHexString(name.hashCode());
            StringBuilder b = new StringBuilder();
            int bytes = 0;
            for (int i = 0; i < name.length(); ) {
                int cp = name.codePointAt(i);
                int n = new String(Character.toChars(cp)).getBytes(StandardCharsets.UTF_8).length;
                if (bytes + n > CODEC_MAX - hash.length()) break;
                b.appendCodePoint(cp);
                bytes += n;
                i += Character.charCount(cp);
            }
            return b.append(hash).toString();
        }
    }
}
