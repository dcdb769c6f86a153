package dev.shmkit.signals;

import dev.shmkit.internal.nativeaccess.Consts;
import dev.shmkit.internal.nativeaccess.Errno;
import dev.shmkit.internal.nativeaccess.Libc;
import dev.shmkit.internal.nativeaccess.MessageQueuesLibc;
import dev.shmkit.os.InvalidArgumentException;
import dev.shmkit.os.ObjectExistsException;
import dev.shmkit.os.ObjectNotFoundException;
import dev.shmkit.os.ResourceLimitException;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * A System V message queue ({@code msgget}/{@code msgsnd}/{@code msgrcv}), on Linux and macOS:
 * typed messages in a kernel queue found by a 32-bit key (or private, found by id), visible to
 * {@code ipcs -q} and removable with {@code ipcrm -q}.
 *
 * <h2>Types</h2>
 * Every message carries a positive {@code long} type chosen by the sender. A receiver asks for
 * type 0 (the oldest message of any type), a positive type (the oldest message of exactly that
 * type) or a negative type {@code -t} (the oldest message of the lowest type not above {@code t}:
 * a priority queue where 1 is most urgent).
 *
 * <h2>Waiting</h2>
 * System V has no timed send or receive, and its blocking calls cannot be interrupted from Java.
 * shmkit therefore always calls with {@code IPC_NOWAIT} and, while the queue is full (send) or has
 * no matching message (receive), polls with an exponential back-off from 20 µs to 10 ms. Hence a
 * waiting call costs at most about a hundred wake-ups a second, notices an interrupt
 * ({@link InterruptedException}) within 10 ms, and sees a new message up to 10 ms late. A timeout
 * is a {@code false} or empty result.
 *
 * <h2>Limits</h2>
 * The system bounds a message ({@code msgmax}, 8192 bytes by default on Linux) and a queue's
 * total bytes ({@code msg_qbytes}, from {@code msgmnb}, 16384 by default on Linux). A message over
 * either is refused with an {@link InvalidArgumentException} naming the limit, before anything
 * is sent. Receiving never truncates: the buffer holds {@code msg_qbytes} bytes, the most any
 * message in the queue can have, and {@code MSG_NOERROR} is not used; should a longer message be
 * there anyway (the owner lowered {@code msg_qbytes} later), the receive fails with E2BIG and the
 * message stays in the queue.
 *
 * <h2>Lifetime</h2>
 * A queue exists until {@link #remove()} ({@code IPC_RMID}), also after every process using it has
 * exited, messages included. Removing it makes waiting senders and receivers in every process
 * fail ({@link ObjectNotFoundException}). New queues get permissions {@code 0600}. There is
 * nothing to close: an instance is just the queue's id.
 *
 * <p>Threads: an instance may be shared by any number of threads; each message goes to exactly one
 * receiver.
 */
public final class SysVMessageQueue {
    public static final int DEFAULT_PERMISSIONS = 0600;
    /** The largest receive buffer shmkit allocates, whatever {@code msg_qbytes} says. */
    static final long MAX_PLAUSIBLE_QUEUE_BYTES = 64L << 20;

    private final int key;
    private final int id;
    private final boolean created;

    private SysVMessageQueue(int key, int id, boolean created) {
        this.key = key;
        this.id = id;
        this.created = created;
    }

    /** A received message: its type and bytes. */
    public record Message(long type, byte[] body) {
        /** The body as UTF-8 text. */
        public String text() {
            return new String(body, StandardCharsets.UTF_8);
        }

        @Override
        public String toString() {
            return "Message[type " + type + ", " + body.length + " bytes]";
        }
    }

    /**
     * What {@code msgctl(IPC_STAT)} says of a queue now.
     *
     * @param messages       messages in the queue ({@code msg_qnum})
     * @param bytes          bytes of text in the queue ({@code msg_cbytes})
     * @param maxBytes       capacity in bytes ({@code msg_qbytes})
     * @param lastSendPid    the process that sent last ({@code msg_lspid}), 0 if none
     * @param lastReceivePid the process that received last ({@code msg_lrpid}), 0 if none
     */
    public record Stat(int key, int id, int permissions, long messages, long bytes, long maxBytes,
                       int lastSendPid, int lastReceivePid) {}

    // ------------------------------------------------------------------ opening

    /** Creates a new queue under {@code key} with permissions 0600; fails if the key is in use. */
    public static SysVMessageQueue create(int key) {
        return create(key, DEFAULT_PERMISSIONS);
    }

    /**
     * Creates a new queue under {@code key}, exclusively.
     *
     * @throws ObjectExistsException when a queue has that key
     * @throws ResourceLimitException when the system's number of queues ({@code msgmni}) is reached
     */
    public static SysVMessageQueue create(int key, int permissions) {
        checkKey(key);
        checkPermissions(key, permissions);
        return new SysVMessageQueue(key, MessageQueuesLibc.msgget(key, Consts.IPC_CREAT | Consts.IPC_EXCL | permissions), true);
    }

    /** Creates a new queue without a key ({@code IPC_PRIVATE}): others reach it by {@link #id()}. */
    public static SysVMessageQueue createPrivate(int permissions) {
        checkPermissions(Consts.IPC_PRIVATE, permissions);
        return new SysVMessageQueue(Consts.IPC_PRIVATE,
                MessageQueuesLibc.msgget(Consts.IPC_PRIVATE, Consts.IPC_CREAT | Consts.IPC_EXCL | permissions), true);
    }

    /**
     * The existing queue with {@code key}.
     *
     * @throws ObjectNotFoundException when no queue has that key
     */
    public static SysVMessageQueue open(int key) {
        checkKey(key);
        return new SysVMessageQueue(key, MessageQueuesLibc.msgget(key, 0), false);
    }

    /** Opens the queue with {@code key}, or creates it with {@code permissions}. */
    public static SysVMessageQueue openOrCreate(int key, int permissions) {
        checkKey(key);
        checkPermissions(key, permissions);
        while (true) {
            try {
                return create(key, permissions);
            } catch (ObjectExistsException e) {
                try {
                    return open(key);
                } catch (ObjectNotFoundException removedMeanwhile) {
                    // removed between the two calls: try again
                }
            }
        }
    }

    /** The queue with identifier {@code id} (as {@code ipcs -q} shows it). */
    public static SysVMessageQueue ofId(int id) {
        MessageQueuesLibc.msgStat(id); // throws ObjectNotFoundException when there is none
        return new SysVMessageQueue(Consts.IPC_PRIVATE, id, false);
    }

    /** Removes the queue with {@code key}: false when there is none. */
    public static boolean remove(int key) {
        checkKey(key);
        int id;
        try {
            id = MessageQueuesLibc.msgget(key, 0);
        } catch (ObjectNotFoundException e) {
            return false;
        }
        return MessageQueuesLibc.msgRemove(id);
    }

    private static void checkKey(int key) {
        if (key == Consts.IPC_PRIVATE) {
            throw Errno.invalid("msgget", "IPC_PRIVATE", Consts.EINVAL, "use createPrivate/ofId for a queue without a key");
        }
    }

    private static void checkPermissions(int key, int permissions) {
        if ((permissions & ~0777) != 0) {
            throw Errno.invalid("msgget", Libc.hexKey(key), Consts.EINVAL,
                    "permissions must be within 0777, was " + Libc.octal(permissions));
        }
    }

    /**
     * The system's largest message in bytes ({@code /proc/sys/kernel/msgmax} on Linux), if it can
     * be read; empty on macOS, where the kernel reports it only through sysctl.
     */
    public static OptionalLong maxMessageSize() {
        if (!Consts.LINUX) return OptionalLong.empty();
        return ProcFiles.number("sys/kernel/msgmax");
    }

    // ------------------------------------------------------------------ accessors

    /** The key, or {@code IPC_PRIVATE} (0) for a private queue or one opened by id. */
    public int key() {
        return key;
    }

    /** The identifier, as {@code ipcs -q} shows it. */
    public int id() {
        return id;
    }

    /** Whether this instance created the queue. */
    public boolean created() {
        return created;
    }

    /** What the system says of the queue now. */
    public Stat stat() {
        MessageQueuesLibc.MsqStat s = MessageQueuesLibc.msgStat(id);
        return new Stat(key, id, s.mode(), s.messages(), s.bytes(), s.maxBytes(), s.lastSendPid(), s.lastReceivePid());
    }

    /** Removes the queue ({@code IPC_RMID}): false when it was already gone. */
    public boolean remove() {
        return MessageQueuesLibc.msgRemove(id);
    }

    // ------------------------------------------------------------------ sending

    /**
     * Sends {@code body} as a message of {@code type}, waiting as long as the queue is full.
     *
     * @throws InvalidArgumentException for a type below 1, or a body over the system's message
     *                                  size ({@code msgmax}) or the queue's capacity ({@code msg_qbytes})
     * @throws ObjectNotFoundException  when the queue is (or gets) removed
     * @throws InterruptedException     if interrupted while waiting; nothing was sent
     */
    public void send(long type, byte[] body) throws InterruptedException {
        sendImpl(type, body, -1);
    }

    /** Sends, waiting at most {@code timeout} while the queue is full: false if it stayed full. */
    public boolean send(long type, byte[] body, Duration timeout) throws InterruptedException {
        return sendImpl(type, body, Waiting.nanos(timeout));
    }

    /** Sends if there is room now: false if the queue is full. */
    public boolean trySend(long type, byte[] body) {
        try {
            return sendImpl(type, body, 0);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private boolean sendImpl(long type, byte[] body, long timeoutNanos) throws InterruptedException {
        Objects.requireNonNull(body, "body");
        String object = "id " + id + ", type " + type + ", " + body.length + " bytes";
        if (type < 1) throw Errno.invalid("msgsnd", object, Consts.EINVAL, "a message type is positive (1 or more), was " + type);
        OptionalLong msgmax = maxMessageSize();
        if (msgmax.isPresent() && body.length > msgmax.getAsLong()) {
            throw Errno.invalid("msgsnd", object, Consts.EINVAL, "the message is longer than the system allows ("
                    + msgmax.getAsLong() + " bytes, /proc/sys/kernel/msgmax)");
        }
        long capacity = stat().maxBytes();
        if (body.length > capacity) {
            throw Errno.invalid("msgsnd", object, Consts.EINVAL, "the message can never fit in the queue, whose capacity is "
                    + capacity + " bytes (msg_qbytes)");
        }
        Waiting.checkInterrupt();
        try (Arena a = Arena.ofConfined()) {
            MemorySegment buf = a.allocate(MessageQueuesLibc.MTYPE_SIZE + body.length, 8);
            buf.set(ValueLayout.JAVA_LONG, 0, type);
            MemorySegment.copy(body, 0, buf, ValueLayout.JAVA_BYTE, MessageQueuesLibc.MTYPE_SIZE, body.length);
            long deadline = timeoutNanos < 0 ? 0 : Waiting.deadline(timeoutNanos);
            Waiting.Backoff backoff = new Waiting.Backoff();
            while (true) {
                int rc;
                try {
                    rc = MessageQueuesLibc.msgsnd(id, buf, Consts.IPC_NOWAIT);
                } catch (InvalidArgumentException e) {
                    throw removedOr(e);
                }
                if (rc == MessageQueuesLibc.OK) return true;
                if (rc == MessageQueuesLibc.INTERRUPTED) continue;
                long left = timeoutNanos < 0 ? Long.MAX_VALUE : Waiting.remaining(deadline);
                if (left <= 0) return false;
                backoff.pause(left);
            }
        }
    }

    /** Linux answers EINVAL for an id that no longer exists: report a removed queue as such. */
    private RuntimeException removedOr(InvalidArgumentException e) {
        try {
            MessageQueuesLibc.msgStat(id);
        } catch (ObjectNotFoundException gone) {
            return gone;
        }
        return e;
    }

    // ------------------------------------------------------------------ receiving

    /**
     * Receives the oldest message matching {@code type} (0: any; {@code t > 0}: exactly t;
     * {@code -t}: the lowest type up to t), waiting as long as there is none.
     *
     * @throws ObjectNotFoundException when the queue is (or gets) removed
     * @throws InterruptedException    if interrupted while waiting; nothing was received
     */
    public Message receive(long type) throws InterruptedException {
        return receiveImpl(type, -1).orElseThrow();
    }

    /** Receives, waiting at most {@code timeout}: empty if no matching message came. */
    public Optional<Message> receive(long type, Duration timeout) throws InterruptedException {
        return receiveImpl(type, Waiting.nanos(timeout));
    }

    /** Receives a matching message if one is there now. */
    public Optional<Message> tryReceive(long type) {
        try {
            return receiveImpl(type, 0);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.empty();
        }
    }

    private Optional<Message> receiveImpl(long type, long timeoutNanos) throws InterruptedException {
        if (type == Long.MIN_VALUE) throw Errno.invalid("msgrcv", "id " + id, Consts.EINVAL, "type out of range");
        Waiting.checkInterrupt();
        long capacity = bufferSize();
        long deadline = timeoutNanos < 0 ? 0 : Waiting.deadline(timeoutNanos);
        Waiting.Backoff backoff = new Waiting.Backoff();
        try (Arena a = Arena.ofConfined()) {
            MemorySegment buf = a.allocate(MessageQueuesLibc.MTYPE_SIZE + capacity, 8);
            while (true) {
                long n;
                try {
                    n = MessageQueuesLibc.msgrcv(id, buf, type, Consts.IPC_NOWAIT);
                } catch (InvalidArgumentException e) {
                    throw removedOr(e);
                } catch (ResourceLimitException tooBig) {
                    // E2BIG: msg_qbytes was lowered below a message already queued. Grow to the new
                    // capacity if it is larger, else report (the message stays in the queue).
                    long now = bufferSize();
                    if (now <= capacity) throw tooBig;
                    capacity = now;
                    buf = a.allocate(MessageQueuesLibc.MTYPE_SIZE + capacity, 8);
                    continue;
                }
                if (n >= 0) {
                    if (n > capacity) throw new IllegalStateException("msgrcv returned " + n + " bytes for a " + capacity + "-byte buffer");
                    return Optional.of(new Message(buf.get(ValueLayout.JAVA_LONG, 0),
                            buf.asSlice(MessageQueuesLibc.MTYPE_SIZE, n).toArray(ValueLayout.JAVA_BYTE)));
                }
                if (n == MessageQueuesLibc.INTERRUPTED) continue;
                long left = timeoutNanos < 0 ? Long.MAX_VALUE : Waiting.remaining(deadline);
                if (left <= 0) return Optional.empty();
                backoff.pause(left);
            }
        }
    }

    /** The receive buffer: the queue's capacity, validated (the largest any of its messages can be). */
    private long bufferSize() {
        long qbytes = stat().maxBytes();
        if (qbytes <= 0) throw new IllegalStateException("msgctl(id " + id + ", IPC_STAT) reported a capacity of " + qbytes + " bytes");
        return Math.min(qbytes, MAX_PLAUSIBLE_QUEUE_BYTES);
    }

    @Override
    public String toString() {
        return "SysVMessageQueue[key " + Libc.hexKey(key) + ", id " + id + "]";
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof SysVMessageQueue q && q.id == id;
    }

    @Override
    public int hashCode() {
        return Integer.hashCode(id);
    }
}
