package dev.shmkit.queue;

import dev.shmkit.os.ProcessId;
import dev.shmkit.ring.MessageHandler;
import dev.shmkit.ring.PeerDeadException;
import dev.shmkit.ring.RingKind;
import dev.shmkit.ring.SharedRing;
import dev.shmkit.ring.WaitStrategy;
import dev.shmkit.shm.OpenMode;
import dev.shmkit.shm.SharedMemory;

import java.io.EOFException;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;
import java.util.Arrays;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;

import static dev.shmkit.queue.PipeDescriptor.*;

/**
 * One end of a pipe between two processes: Python's {@code multiprocessing.Pipe()} and its
 * {@code Connection} objects, on two single-producer/single-consumer rings in one shared memory
 * object. The process that {@link #create(String) creates} a pipe holds one end, the process
 * that {@link #open(String) opens} it the other; each end sends on one ring and receives from
 * the other. A {@linkplain #createOneWay(String) one-way} pipe has one ring, a sending end and a
 * receiving end.
 *
 * <pre>{@code
 * // parent                                        // child
 * try (Pipe p = Pipe.create("conn")) {             try (Pipe p = Pipe.open("conn")) {
 *     p.send("ping", Codec.string());                  String s = p.recv(Codec.string());
 *     String r = p.recv(Codec.string());               p.send(s + " pong", Codec.string());
 * }                                                }
 * }</pre>
 *
 * <h2>Messages</h2>
 * Messages are byte arrays ({@link #send(byte[])}, {@link #recv()}) or objects through a
 * {@link Codec} ({@link #send(Object, Codec)}, {@link #recv(Codec)}), which encodes straight
 * into the ring and decodes straight out of it. Message boundaries are kept. A message larger
 * than one ring record ({@link #maxRecordBytes()}, an eighth of the capacity) is sent in
 * fragments and reassembled, so any size up to 2 GiB goes through; memory for a fragmented
 * message grows with the bytes actually received, whatever length its sender announced.
 *
 * <h2>End of stream</h2>
 * When the other end {@link #close() closes}, or its process dies (every end records its pid and
 * start time; death is noticed within about {@value #LIVENESS_MILLIS} ms), this end first
 * receives everything that was sent before, then {@code recv} throws {@link EOFException}, as
 * Python's {@code recv()} raises {@code EOFError}; every later {@code recv} throws it too, and
 * {@link #poll} returns true so that a caller goes on to {@code recv}. A message that was being
 * written when its sender died is never delivered in part. {@code send} to an end that has closed
 * or died throws an {@link IOException} ("broken pipe", Python's {@code BrokenPipeError}); a
 * message sent just before the other end went away may be lost, as with any pipe. An end that
 * has not been opened yet is not gone: sends are buffered until the ring is full, then wait.
 *
 * <h2>Waiting, timeouts and interruption</h2>
 * {@code recv()} waits for a message; {@link #recv(long, TimeUnit)} and
 * {@link #poll(long, TimeUnit)} at most a timeout (returning null or false); {@code send} waits
 * while the ring is full. Waits sleep on the ring's futex in slices of at most 10 ms, check the
 * interrupt status between them ({@link InterruptedException}), and check the other end every
 * {@value #LIVENESS_MILLIS} ms. Once the first fragment of a large message is out, the rest is
 * sent even if the thread is interrupted (the interrupt is kept), so the stream stays whole.
 *
 * <h2>Memory visibility</h2>
 * Actions of a thread before it sends a message happen-before actions of the thread that
 * receives that message.
 *
 * <h2>Threads</h2>
 * An end may be used by several threads: sends are serialized among themselves, and so are
 * receives. {@link #close()} makes blocked sends and receives of this end throw an
 * {@link IOException} within a slice, then unmaps. Opening an end that is already open, or was
 * opened and closed, is refused: a pipe connects exactly two ends, once.
 *
 * <h2>Names</h2>
 * A pipe is a POSIX shared memory object; closing an end never removes the name. Once both ends
 * are open, either may {@link #unlink()} it, and nothing is left behind even if both processes
 * then die.
 */
public final class Pipe implements AutoCloseable {
    /** Which way messages go through an end. */
    public enum Role {
        /** Sends and receives (a duplex pipe). */
        DUPLEX,
        /** The sending end of a one-way pipe. */
        SENDER,
        /** The receiving end of a one-way pipe. */
        RECEIVER
    }

    /** Default ring capacity, per direction: 1 MiB (records of up to 128 KiB - 8 bytes). */
    public static final long DEFAULT_CAPACITY = 1 << 20;
    /** How often a waiting end checks that the other end's process still runs. */
    public static final long LIVENESS_MILLIS = 50;
    /** The largest message: 2 GiB less a little, like a Java array. */
    public static final int MAX_MESSAGE_BYTES = Integer.MAX_VALUE - 16;

    private static final VarHandle INT = ValueLayout.JAVA_INT.varHandle();
    private static final VarHandle LONG = ValueLayout.JAVA_LONG.varHandle();
    private static final long SLICE_NANOS = TimeUnit.MILLISECONDS.toNanos(LIVENESS_MILLIS);
    private static final long SELF_ID = pack(ProcessId.current());

    private final MemorySegment header;
    private final SharedMemory backing;
    private final SharedRing out;
    private final SharedRing in;
    private final int end;
    private final int peer;
    private final Role role;
    private final String description;
    private final ReentrantLock sendLock = new ReentrantLock();
    private final ReentrantLock recvLock = new ReentrantLock();
    private volatile boolean closed;
    private volatile long lastLivenessCheck;
    private volatile boolean peerDied;

    // receiving state, guarded by recvLock
    private byte[] stash; // a whole message poll() read ahead
    private byte[] partial; // a fragmented message being reassembled
    private int partialTotal;
    private int partialFilled;
    private boolean endOfStream;

    private Pipe(MemorySegment header, SharedMemory backing, int end, String description) {
        this.header = header;
        this.backing = backing;
        this.end = end;
        this.peer = 1 - end;
        short flags = header.get(ValueLayout.JAVA_SHORT, FLAGS_OFFSET);
        boolean duplex = (flags & FLAG_DUPLEX) != 0;
        SharedRing a = SharedRing.open(header, header.get(ValueLayout.JAVA_LONG, RING_A_OFFSET), description);
        SharedRing b = duplex ? SharedRing.open(header, header.get(ValueLayout.JAVA_LONG, RING_B_OFFSET), description) : null;
        if (duplex) {
            role = Role.DUPLEX;
            out = end == 0 ? a : b;
            in = end == 0 ? b : a;
        } else {
            boolean creatorReceives = (flags & FLAG_CREATOR_RECEIVES) != 0;
            boolean sends = (end == 0) != creatorReceives;
            role = sends ? Role.SENDER : Role.RECEIVER;
            out = sends ? a : null;
            in = sends ? null : a;
        }
        this.description = description + (role == Role.DUPLEX ? "" : " (" + role.name().toLowerCase(java.util.Locale.ROOT) + " end)");
    }

    // ------------------------------------------------------------------ creation

    /** Bytes a pipe with rings of {@code capacityBytes} occupies in a segment. */
    public static long sizeFor(long capacityBytes, boolean duplex) {
        return HEADER_LENGTH + SharedRing.sizeFor(capacityBytes) * (duplex ? 2 : 1);
    }

    /** Creates a named duplex pipe with rings of {@link #DEFAULT_CAPACITY}, and returns the creator's end. */
    public static Pipe create(String name) {
        return create(name, DEFAULT_CAPACITY);
    }

    /** Creates a named duplex pipe with two rings of {@code capacityBytes} (a power of two) each. */
    public static Pipe create(String name, long capacityBytes) {
        return named(name, capacityBytes, Role.DUPLEX);
    }

    /** Creates a named one-way pipe whose creator sends; the process that opens it receives. */
    public static Pipe createOneWay(String name) {
        return createOneWay(name, DEFAULT_CAPACITY, Role.SENDER);
    }

    /**
     * Creates a named one-way pipe; {@code creatorRole} ({@link Role#SENDER} or
     * {@link Role#RECEIVER}) is this end's, and the opener gets the other.
     */
    public static Pipe createOneWay(String name, long capacityBytes, Role creatorRole) {
        if (creatorRole == Role.DUPLEX || creatorRole == null) throw new IllegalArgumentException("a one-way pipe's creator is a SENDER or a RECEIVER");
        return named(name, capacityBytes, creatorRole);
    }

    /** Opens the other end of a named pipe (duplex, or the opposite role of a one-way pipe's creator). */
    public static Pipe open(String name) {
        SharedMemory shm = SharedMemory.open(name);
        try {
            String where = "pipe " + shm.name();
            long deadline = System.nanoTime() + 2_000_000_000L;
            while (shm.size() >= 4 && (int) INT.getAcquire(shm.segment(), MAGIC_OFFSET) == 0 && System.nanoTime() < deadline) {
                LockSupport.parkNanos(100_000); // the creator publishes within milliseconds
            }
            MemorySegment s = validate(shm.segment(), where);
            claimEnd(s, 1, where);
            return new Pipe(s, shm, 1, where);
        } catch (RuntimeException | Error e) {
            shm.close();
            throw e;
        }
    }

    private static Pipe named(String name, long capacityBytes, Role creatorRole) {
        boolean duplex = creatorRole == Role.DUPLEX;
        SharedMemory shm = SharedMemory.open(name, OpenMode.CREATE_EXCLUSIVE, sizeFor(capacityBytes, duplex), SharedMemory.DEFAULT_PERMISSIONS);
        try {
            MemorySegment s = initialize(shm.segment(), capacityBytes, creatorRole);
            return new Pipe(s, shm, 0, "pipe " + shm.name());
        } catch (RuntimeException | Error e) {
            shm.close();
            shm.unlink();
            throw e;
        }
    }

    /**
     * Initializes a pipe at {@code offset} of {@code segment} ({@link #sizeFor} bytes, 8-byte
     * aligned) and returns the creator's end; {@code creatorRole} {@link Role#DUPLEX} makes a
     * duplex pipe.
     */
    public static Pipe create(MemorySegment segment, long offset, long capacityBytes, Role creatorRole) {
        Objects.requireNonNull(creatorRole, "creatorRole");
        MemorySegment s = slice(segment, offset, sizeFor(capacityBytes, creatorRole == Role.DUPLEX));
        return new Pipe(initialize(s, capacityBytes, creatorRole), null, 0, "pipe at offset " + offset);
    }

    /** Opens the other end of the pipe another process initialized at {@code offset} of {@code segment}. */
    public static Pipe open(MemorySegment segment, long offset) {
        String where = "pipe at offset " + offset;
        MemorySegment head = slice(segment, offset, HEADER_LENGTH);
        long cap = head.get(ValueLayout.JAVA_LONG, CAPACITY_OFFSET);
        boolean duplex = (head.get(ValueLayout.JAVA_SHORT, FLAGS_OFFSET) & FLAG_DUPLEX) != 0;
        checkHeader(head, where, segment.byteSize() - offset);
        MemorySegment s = validate(slice(segment, offset, sizeFor(cap, duplex)), where);
        claimEnd(s, 1, where);
        return new Pipe(s, null, 1, where);
    }

    private static MemorySegment slice(MemorySegment segment, long offset, long size) {
        if (!segment.isNative()) throw new IllegalArgumentException("a pipe must be in native (shared) memory");
        if (offset < 0 || offset > segment.byteSize() - size) {
            throw new IndexOutOfBoundsException("a pipe needs " + size + " bytes at offset " + offset + "; the segment has " + segment.byteSize());
        }
        MemorySegment s = segment.asSlice(offset, size);
        if ((s.address() & 7) != 0) throw new IllegalArgumentException("a pipe must be 8-byte aligned; offset " + offset + " is not");
        return s;
    }

    private static MemorySegment initialize(MemorySegment s, long capacity, Role creatorRole) {
        boolean duplex = creatorRole == Role.DUPLEX;
        long ringSize = SharedRing.sizeFor(capacity);
        INT.setVolatile(s, MAGIC_OFFSET, 0);
        s.asSlice(4, HEADER_LENGTH - 4).fill((byte) 0);
        s.set(ValueLayout.JAVA_LONG, CAPACITY_OFFSET, capacity);
        s.set(ValueLayout.JAVA_LONG, RING_A_OFFSET, HEADER_LENGTH);
        s.set(ValueLayout.JAVA_LONG, RING_B_OFFSET, duplex ? HEADER_LENGTH + ringSize : 0);
        SharedRing.create(s, HEADER_LENGTH, capacity, RingKind.SPSC).close();
        if (duplex) SharedRing.create(s, HEADER_LENGTH + ringSize, capacity, RingKind.SPSC).close();
        LONG.set(s, endOffset(0) + IDENTITY, SELF_ID);
        INT.set(s, endOffset(0) + STATE, OPEN);
        short flags = (short) ((duplex ? FLAG_DUPLEX : 0) | (creatorRole == Role.RECEIVER ? FLAG_CREATOR_RECEIVES : 0));
        s.set(ValueLayout.JAVA_SHORT, FLAGS_OFFSET, flags);
        s.set(ValueLayout.JAVA_SHORT, VERSION_OFFSET, VERSION);
        INT.setRelease(s, MAGIC_OFFSET, MAGIC);
        return s;
    }

    private static void checkHeader(MemorySegment s, String where, long available) {
        if (available < HEADER_LENGTH) throw new IllegalStateException(where + " is " + available + " bytes, too small for a pipe");
        int magic = (int) INT.getAcquire(s, MAGIC_OFFSET);
        if (magic != MAGIC) {
            throw new IllegalStateException(where + " is not a shmkit pipe (magic 0x" + Integer.toHexString(magic)
                    + ", expected 0x" + Integer.toHexString(MAGIC) + "): never initialized, or overwritten");
        }
        short version = s.get(ValueLayout.JAVA_SHORT, VERSION_OFFSET);
        if (version != VERSION) throw new IllegalStateException(where + " has pipe layout version " + version + "; this shmkit reads " + VERSION);
        short flags = s.get(ValueLayout.JAVA_SHORT, FLAGS_OFFSET);
        if ((flags & ~(FLAG_DUPLEX | FLAG_CREATOR_RECEIVES)) != 0 || flags == (FLAG_DUPLEX | FLAG_CREATOR_RECEIVES)) {
            throw new IllegalStateException(where + " has corrupt flags 0x" + Integer.toHexString(flags));
        }
        boolean duplex = (flags & FLAG_DUPLEX) != 0;
        long cap = s.get(ValueLayout.JAVA_LONG, CAPACITY_OFFSET);
        if (cap < 64 || cap > (1L << 30) || Long.bitCount(cap) != 1 || sizeFor(cap, duplex) > available) {
            throw new IllegalStateException(where + " has a corrupt capacity " + cap + " for a region of " + available + " bytes");
        }
        long a = s.get(ValueLayout.JAVA_LONG, RING_A_OFFSET);
        long b = s.get(ValueLayout.JAVA_LONG, RING_B_OFFSET);
        if (a != HEADER_LENGTH || b != (duplex ? HEADER_LENGTH + SharedRing.sizeFor(cap) : 0)) {
            throw new IllegalStateException(where + " has corrupt ring offsets " + a + " and " + b);
        }
    }

    /** Refuses a region that is not a well-formed pipe, before anything in it is trusted. */
    private static MemorySegment validate(MemorySegment s, String where) {
        checkHeader(s, where, s.byteSize());
        boolean duplex = (s.get(ValueLayout.JAVA_SHORT, FLAGS_OFFSET) & FLAG_DUPLEX) != 0;
        long cap = s.get(ValueLayout.JAVA_LONG, CAPACITY_OFFSET);
        for (long off : duplex ? new long[] {HEADER_LENGTH, HEADER_LENGTH + SharedRing.sizeFor(cap)} : new long[] {HEADER_LENGTH}) {
            try (SharedRing r = SharedRing.open(s, off, where)) {
                if (r.kind() != RingKind.SPSC || r.capacity() != cap) {
                    throw new IllegalStateException(where + " has a " + r.kind() + " ring of " + r.capacity() + " bytes at offset " + off
                            + ", where its header says SPSC, " + cap + " bytes");
                }
            }
        }
        return s;
    }

    /** Takes end {@code e} for this process: only once. */
    private static void claimEnd(MemorySegment s, int e, String where) {
        long at = endOffset(e);
        if (!LONG.compareAndSet(s, at + IDENTITY, 0L, SELF_ID)) {
            int state = (int) INT.getVolatile(s, at + STATE);
            throw new IllegalStateException(where + " already has its other end " + (state == CLOSED ? "opened and closed" : "open")
                    + "; a pipe connects exactly two ends, once");
        }
        INT.setRelease(s, at + STATE, OPEN);
    }

    // ------------------------------------------------------------------ the other end

    private static long pack(ProcessId p) {
        return ((long) p.startToken() << 32) | (p.pid() & 0xffff_ffffL);
    }

    private int peerState() {
        return (int) INT.getAcquire(header, endOffset(peer) + STATE);
    }

    /** Whether the other end has closed, or its process has died (checked at most every {@value #LIVENESS_MILLIS} ms). */
    private boolean peerGone() {
        int s = peerState();
        if (s == CLOSED) return true;
        if (s != OPEN) return false;
        if (peerDied) return true;
        long now = System.nanoTime();
        if (lastLivenessCheck != 0 && now - lastLivenessCheck < SLICE_NANOS) return false;
        lastLivenessCheck = now;
        long id = (long) LONG.getVolatile(header, endOffset(peer) + IDENTITY);
        if (id == 0 || id == SELF_ID) return false;
        boolean dead = !ProcessId.isAlive((int) id, (int) (id >>> 32));
        if (dead) peerDied = true;
        return dead;
    }

    /** Whether the other end has closed or died (a receiving end may still hold its last messages). */
    public boolean isPeerGone() {
        lastLivenessCheck = 0;
        return peerGone();
    }

    private IOException brokenPipe(Throwable cause) {
        IOException e = new IOException("broken pipe: the other end of " + description + (peerState() == CLOSED ? " has closed" : " has died"));
        if (cause != null) e.initCause(cause);
        return e;
    }

    private IOException closedException() {
        return new IOException(description + " is closed");
    }

    private EOFException eof() {
        return new EOFException("end of stream: the other end of " + description + (peerState() == CLOSED ? " has closed" : " has died"));
    }

    // ------------------------------------------------------------------ sending

    /** Sends {@code message} whole. */
    public void send(byte[] message) throws IOException, InterruptedException {
        send(message, 0, message.length);
    }

    /**
     * Sends {@code length} bytes of {@code message} from {@code offset} as one message
     * (Python's {@code send_bytes(buf, offset, size)}).
     *
     * @throws IOException          when the other end has closed or died ("broken pipe"), or this end is closed
     * @throws IllegalStateException on the receiving end of a one-way pipe
     */
    public void send(byte[] message, int offset, int length) throws IOException, InterruptedException {
        Objects.checkFromIndexSize(offset, length, message.length);
        sendLock.lockInterruptibly();
        try {
            checkSend();
            if (length <= out.maxPayload()) {
                long index = claim(MESSAGE, length, true);
                MemorySegment.copy(message, offset, out.buffer(), ValueLayout.JAVA_BYTE, index, length);
                out.commit(index);
            } else {
                sendFragments(MemorySegment.ofArray(message).asSlice(offset, length));
            }
        } finally {
            sendLock.unlock();
        }
    }

    /** Sends {@code message} encoded by {@code codec}, straight into the ring when it fits one record. */
    public <E> void send(E message, Codec<E> codec) throws IOException, InterruptedException {
        Objects.requireNonNull(message, "message");
        Objects.requireNonNull(codec, "codec");
        sendLock.lockInterruptibly();
        try {
            checkSend();
            int n = codec.size(message);
            if (n < 0 || n > MAX_MESSAGE_BYTES) throw new IllegalArgumentException("a message of " + n + " bytes cannot be sent");
            if (n <= out.maxPayload()) {
                long index = claim(MESSAGE, n, true);
                try {
                    if (codec instanceof Codecs.Trusted) codec.encode(message, out.buffer(), index);
                    else codec.encode(message, out.buffer().asSlice(index, n), 0);
                } catch (RuntimeException | Error e) {
                    out.abort(index);
                    throw e;
                }
                out.commit(index);
            } else {
                MemorySegment heap = MemorySegment.ofArray(new byte[n]);
                codec.encode(message, heap, 0);
                sendFragments(heap);
            }
        } finally {
            sendLock.unlock();
        }
    }

    private void checkSend() throws IOException {
        if (closed) throw closedException();
        if (out == null) throw new IllegalStateException(description + " can only receive");
        if (peerGone()) throw brokenPipe(null);
    }

    /** Claims room, waiting in slices and checking on the other end between them. */
    private long claim(int type, int length, boolean interruptible) throws IOException, InterruptedException {
        long index = out.tryClaim(type, length);
        if (index >= 0) return index;
        boolean interrupted = false;
        try {
            while (true) {
                if (closed) throw closedException();
                if (peerGone()) throw brokenPipe(null);
                try {
                    index = out.claim(type, length, SLICE_NANOS, TimeUnit.NANOSECONDS);
                } catch (PeerDeadException e) {
                    throw brokenPipe(e);
                } catch (InterruptedException e) {
                    if (interruptible) throw e;
                    interrupted = true;
                    continue;
                }
                if (index >= 0) return index;
            }
        } finally {
            if (interrupted) Thread.currentThread().interrupt();
        }
    }

    private void sendFragments(MemorySegment message) throws IOException, InterruptedException {
        long total = message.byteSize();
        if (total > MAX_MESSAGE_BYTES) throw new IllegalArgumentException("a message of " + total + " bytes is too large (at most " + MAX_MESSAGE_BYTES + ")");
        int max = out.maxPayload();
        int first = max - 4;
        long index = claim(FIRST_FRAGMENT, max, true);
        out.buffer().set(Codecs.INT, index, (int) total);
        MemorySegment.copy(message, 0, out.buffer(), index + 4, first);
        out.commit(index);
        long done = first;
        while (done < total) { // the rest goes out whatever happens to the thread, so the stream stays whole
            int n = (int) Math.min(max, total - done);
            index = claim(MORE_FRAGMENT, n, false);
            MemorySegment.copy(message, done, out.buffer(), index, n);
            out.commit(index);
            done += n;
        }
    }

    // ------------------------------------------------------------------ receiving

    /** Collects one message from the ring's records: whole, or fragment by fragment. */
    private final class Reader implements MessageHandler {
        final Codec<?> codec;
        Object value;
        boolean done;
        boolean eos;

        Reader(Codec<?> codec) {
            this.codec = codec;
        }

        @Override
        public void onMessage(int type, MemorySegment buffer, long index, int length) {
            switch (type) {
                case MESSAGE -> {
                    if (partial != null) throw protocol("a whole message arrived inside a fragmented one");
                    value = codec == null ? Codecs.copy(buffer, index, length) : decoded(codec.decode(buffer, index, length));
                    done = true;
                }
                case END_OF_STREAM -> {
                    partial = null;
                    eos = true;
                }
                case FIRST_FRAGMENT -> {
                    if (partial != null) throw protocol("a new message began inside a fragmented one");
                    if (length < 4) throw protocol("a first fragment of " + length + " bytes");
                    int total = buffer.get(Codecs.INT, index);
                    if (total <= length - 4 || total > MAX_MESSAGE_BYTES) {
                        throw protocol("a fragmented message announces " + total + " bytes, with " + (length - 4) + " in its first fragment");
                    }
                    partialTotal = total;
                    partial = Codecs.copy(buffer, index + 4, length - 4); // grows with what arrives, not with what is announced
                    partialFilled = length - 4;
                }
                case MORE_FRAGMENT -> {
                    if (partial == null) throw protocol("a fragment arrived outside a message");
                    if (length > partialTotal - partialFilled) throw protocol("fragments exceed the announced " + partialTotal + " bytes");
                    if (partialFilled + length > partial.length) {
                        partial = Arrays.copyOf(partial, (int) Math.min(partialTotal, Math.max((long) partialFilled + length, 2L * partial.length)));
                    }
                    MemorySegment.copy(buffer, ValueLayout.JAVA_BYTE, index, partial, partialFilled, length);
                    partialFilled += length;
                    if (partialFilled == partialTotal) {
                        byte[] m = partial;
                        partial = null;
                        value = codec == null ? m : decoded(codec.decode(MemorySegment.ofArray(m), 0, m.length));
                        done = true;
                    }
                }
                default -> throw protocol("a record of unknown type " + type);
            }
        }

        private IllegalStateException protocol(String what) {
            partial = null;
            return new IllegalStateException("corrupt stream in " + description + ": " + what);
        }
    }

    private static Object decoded(Object v) {
        if (v == null) throw new IllegalStateException("the codec decoded a message to null");
        return v;
    }

    /** Reads until a whole message is in hand; null when the timeout ({@code < 0}: none) elapsed first. */
    private Reader next(Codec<?> codec, long timeoutNanos) throws IOException, InterruptedException {
        if (endOfStream) throw eof();
        Reader r = new Reader(codec);
        long deadline = timeoutNanos < 0 ? -1 : System.nanoTime() + timeoutNanos;
        boolean gone = false;
        while (true) {
            int n = in.read(r, 1);
            if (r.done) return r;
            if (r.eos) {
                endOfStream = true;
                throw eof();
            }
            if (n > 0) continue; // a fragment: read on
            if (gone) { // drained what was sent before the other end went away
                partial = null;
                endOfStream = true;
                throw eof();
            }
            if (peerGone()) {
                gone = true;
                continue; // one more read: everything committed before it closed or died is visible now
            }
            if (closed) throw closedException();
            long slice = deadline == -1 ? SLICE_NANOS : Math.min(SLICE_NANOS, deadline - System.nanoTime());
            if (slice <= 0) return null;
            in.poll(r, 1, slice, TimeUnit.NANOSECONDS);
            if (r.done) return r;
            if (r.eos) {
                endOfStream = true;
                throw eof();
            }
        }
    }

    @SuppressWarnings("unchecked")
    private <E> E receive(Codec<E> codec, long timeoutNanos) throws IOException, InterruptedException {
        recvLock.lockInterruptibly();
        try {
            if (closed) throw closedException();
            if (in == null) throw new IllegalStateException(description + " can only send");
            if (stash != null) {
                byte[] m = stash;
                stash = null;
                return codec == null ? (E) m : (E) decoded(codec.decode(MemorySegment.ofArray(m), 0, m.length));
            }
            Reader r = next(codec, timeoutNanos);
            return r == null ? null : (E) r.value;
        } finally {
            recvLock.unlock();
        }
    }

    /**
     * Receives the next message, waiting as long as it takes.
     *
     * @throws EOFException         when the other end has closed or died and every message it sent has been received
     * @throws IOException          when this end is closed (also meanwhile, by another thread)
     * @throws IllegalStateException on the sending end of a one-way pipe, or when the stream is corrupt
     */
    public byte[] recv() throws IOException, InterruptedException {
        return receive(null, -1);
    }

    /**
     * Receives the next message, waiting at most {@code timeout}.
     *
     * @return the message, or null when the timeout elapsed first
     * @throws EOFException at end of stream
     */
    public byte[] recv(long timeout, TimeUnit unit) throws IOException, InterruptedException {
        return receive(null, Math.max(0, unit.toNanos(timeout)));
    }

    /** Receives the next message decoded by {@code codec} (in place, when it came in one record). */
    public <E> E recv(Codec<E> codec) throws IOException, InterruptedException {
        return receive(Objects.requireNonNull(codec, "codec"), -1);
    }

    /**
     * Receives the next message decoded by {@code codec}, waiting at most {@code timeout}.
     *
     * @return the message, or null when the timeout elapsed first
     */
    public <E> E recv(Codec<E> codec, long timeout, TimeUnit unit) throws IOException, InterruptedException {
        return receive(Objects.requireNonNull(codec, "codec"), Math.max(0, unit.toNanos(timeout)));
    }

    /**
     * Whether {@code recv} would return at once: a message is ready, or the stream has ended (then
     * {@code recv} throws {@link EOFException}), as Python's {@code Connection.poll}. Waits at most
     * {@code timeout} for that. A message found is read ahead and kept for the next {@code recv}.
     */
    public boolean poll(long timeout, TimeUnit unit) throws IOException, InterruptedException {
        recvLock.lockInterruptibly();
        try {
            if (closed) throw closedException();
            if (in == null) throw new IllegalStateException(description + " can only send");
            if (stash != null || endOfStream) return true;
            try {
                Reader r = next(null, Math.max(0, unit.toNanos(timeout)));
                if (r == null) return false;
                stash = (byte[]) r.value;
                return true;
            } catch (EOFException e) {
                return true;
            }
        } finally {
            recvLock.unlock();
        }
    }

    /** {@link #poll(long, TimeUnit)} without waiting. */
    public boolean poll() throws IOException, InterruptedException {
        return poll(0, TimeUnit.NANOSECONDS);
    }

    // ------------------------------------------------------------------ queries and lifetime

    public Role role() {
        return role;
    }

    public boolean canSend() {
        return out != null;
    }

    public boolean canReceive() {
        return in != null;
    }

    /** The capacity of each ring. */
    public long capacityBytes() {
        return (out != null ? out : in).capacity();
    }

    /** The largest message that travels as one record, without fragments. */
    public int maxRecordBytes() {
        return (out != null ? out : in).maxPayload();
    }

    /** Sets how this end's blocking calls wait (default {@link WaitStrategy#ADAPTIVE}). */
    public Pipe waitStrategy(WaitStrategy strategy) {
        if (out != null) out.waitStrategy(strategy);
        if (in != null) in.waitStrategy(strategy);
        return this;
    }

    /** The name of the pipe's shared memory object, or null when placed in a segment. */
    public String name() {
        return backing == null ? null : backing.name();
    }

    /** Removes the pipe's name; both ends keep working. */
    public void unlink() {
        if (backing == null) throw new IllegalStateException(description + " has no name: it lives in a segment you manage");
        backing.unlink();
    }

    public static boolean unlink(String name) {
        return SharedMemory.unlink(name);
    }

    /**
     * Closes this end: the other end receives what was sent, then end of stream. Blocked sends
     * and receives of this end throw an {@link IOException} within a slice; then the rings are
     * left and a named pipe unmapped. Idempotent; never removes the name.
     */
    @Override
    public void close() {
        synchronized (this) {
            if (closed) return;
            closed = true;
        }
        sendLock.lock();
        try {
            if (out != null) {
                try {
                    long index = out.tryClaim(END_OF_STREAM, 0);
                    if (index >= 0) out.commit(index); // wakes a receiver at once; the state word below suffices otherwise
                } catch (RuntimeException ignored) {
                    // the state word still says closed
                }
            }
            INT.setRelease(header, endOffset(end) + STATE, CLOSED);
        } finally {
            sendLock.unlock();
        }
        recvLock.lock();
        try {
            if (out != null) out.close();
            if (in != null) in.close();
            if (backing != null) backing.close();
        } finally {
            recvLock.unlock();
        }
    }

    @Override
    public String toString() {
        return "Pipe[" + description + ", " + role + (closed ? ", closed" : "") + "]";
    }
}
