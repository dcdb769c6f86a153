package dev.shmkit.signals;

import dev.shmkit.internal.nativeaccess.Consts;
import dev.shmkit.internal.nativeaccess.Errno;
import dev.shmkit.internal.nativeaccess.Libc;
import dev.shmkit.internal.nativeaccess.MessageQueuesLibc;
import dev.shmkit.os.InvalidArgumentException;
import dev.shmkit.os.ObjectExistsException;
import dev.shmkit.os.ObjectNotFoundException;
import dev.shmkit.os.OsException;
import dev.shmkit.os.ResourceLimitException;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * A POSIX message queue ({@code mq_open}): a named, kernel-kept queue of discrete messages with
 * priorities, shared by name with any process (C's {@code mq_open("/jobs", ...)}, Python through
 * {@code ctypes}). On Linux the queues are visible as files under {@code /dev/mqueue} when that
 * file system is mounted. <b>Linux only</b>: macOS has no POSIX message queues, and every
 * factory method throws {@link UnsupportedOperationException} there (use
 * {@link SysVMessageQueue}); {@link #isSupported()} tells in advance.
 *
 * <h2>Names, creation, removal</h2>
 * Names are {@code "jobs"} or {@code "/jobs"} (the same queue): one slash, then up to 255 bytes
 * without a slash. {@link #create} makes a new queue exclusively with permissions {@code 0600}
 * (minus the umask), holding at most {@code maxMessages} messages of at most {@code messageSize}
 * bytes each; both are fixed for the queue's life. The system bounds them (Linux:
 * {@code /proc/sys/fs/mqueue/msg_max} and {@code msgsize_max} for processes without
 * CAP_SYS_RESOURCE, and the per-user {@code RLIMIT_MSGQUEUE} bytes); exceeding a bound gives an
 * {@link InvalidArgumentException} or {@link ResourceLimitException} that quotes it.
 * {@link #close()} releases this process's descriptor; {@link #unlink()} removes the name. A queue
 * nobody unlinks outlives every process, messages included.
 *
 * <h2>Sending and receiving</h2>
 * Messages are received highest priority first, and first-in first-out within a priority.
 * {@link #send} waits while the queue is full and {@link #receive} while it is empty; the timed
 * forms return {@code false} / empty when the timeout passes, and the {@code try} forms never wait.
 * A message longer than the queue's message size is refused with an
 * {@link InvalidArgumentException} (EMSGSIZE) before anything is sent; a received message is never
 * truncated (the buffer always has the queue's message size).
 *
 * <p>Waiting happens in native {@code mq_timedsend}/{@code mq_timedreceive} calls of at most 50 ms
 * each against CLOCK_REALTIME deadlines, so an interrupt ({@link InterruptedException}) or a
 * concurrent {@link #close()} ({@link IllegalStateException}) is noticed within 50 ms, and the
 * overall timeout is measured with {@link System#nanoTime()}, unaffected by wall-clock changes.
 *
 * <p>Processes that die lose nothing queued: messages stay in the queue until received or until
 * the queue is unlinked and its last descriptor closed.
 *
 * <p>Threads: an instance may be used by any number of threads; each message goes to exactly one
 * receiver.
 */
public final class MessageQueue implements AutoCloseable {
    public static final int DEFAULT_PERMISSIONS = 0600;
    /** Linux's default capacity ({@code /proc/sys/fs/mqueue/msg_default}). */
    public static final long DEFAULT_MAX_MESSAGES = 10;
    /** Linux's default message size ({@code /proc/sys/fs/mqueue/msgsize_default}). */
    public static final long DEFAULT_MESSAGE_SIZE = 8192;
    /** The largest message size shmkit will allocate a receive buffer for (Linux's hard limit is 16 MiB). */
    static final long MAX_PLAUSIBLE_MESSAGE_SIZE = 64L << 20;

    private static final int EMSGSIZE = (int) Consts.value("EMSGSIZE");

    private final String name;
    private final int mqd;
    private final long maxMessages;
    private final long messageSize;
    private final boolean created;
    private final DescriptorGuard guard;

    private MessageQueue(String name, int mqd, long maxMessages, long messageSize, boolean created) {
        this.name = name;
        this.mqd = mqd;
        this.maxMessages = maxMessages;
        this.messageSize = messageSize;
        this.created = created;
        this.guard = new DescriptorGuard("MessageQueue " + name, () -> MessageQueuesLibc.mqClose(mqd));
    }

    /** A received message: its bytes and priority. */
    public record Message(byte[] body, int priority) {
        /** The body as UTF-8 text. */
        public String text() {
            return new String(body, StandardCharsets.UTF_8);
        }

        @Override
        public String toString() {
            return "Message[priority " + priority + ", " + body.length + " bytes]";
        }
    }

    /**
     * What the system says of a queue now.
     *
     * @param permissions the permission bits, e.g. 0600
     * @param uid         the owner
     */
    public record Attributes(String name, long maxMessages, long messageSize, long currentMessages,
                             int permissions, int uid) {}

    /** Whether this platform has POSIX message queues (Linux yes, macOS no). */
    public static boolean isSupported() {
        return Consts.SUPPORTED && MessageQueuesLibc.HAS_POSIX_MQ;
    }

    // ------------------------------------------------------------------ opening

    /** Creates a new queue with permissions 0600; fails if the name exists. */
    public static MessageQueue create(String name, long maxMessages, long messageSize) {
        return create(name, maxMessages, messageSize, DEFAULT_PERMISSIONS);
    }

    /**
     * Creates a new queue exclusively.
     *
     * @throws ObjectExistsException    when the name exists
     * @throws InvalidArgumentException for a bad name, or sizes beyond the system's limits (quoted)
     * @throws ResourceLimitException   when the per-user byte limit or the number of queues is reached
     */
    public static MessageQueue create(String name, long maxMessages, long messageSize, int permissions) {
        String n = normalize(name);
        checkCreate(n, maxMessages, messageSize, permissions);
        return openImpl(n, Consts.O_RDWR | Consts.O_CREAT | Consts.O_EXCL, permissions, maxMessages, messageSize);
    }

    /** Opens the queue, or creates it with these attributes if it does not exist (an existing queue keeps its own). */
    public static MessageQueue openOrCreate(String name, long maxMessages, long messageSize, int permissions) {
        String n = normalize(name);
        checkCreate(n, maxMessages, messageSize, permissions);
        while (true) {
            try {
                return openImpl(n, Consts.O_RDWR | Consts.O_CREAT | Consts.O_EXCL, permissions, maxMessages, messageSize);
            } catch (ObjectExistsException e) {
                try {
                    return openImpl(n, Consts.O_RDWR, 0, 0, 0);
                } catch (ObjectNotFoundException removedMeanwhile) {
                    // unlinked between the two calls: try again
                }
            }
        }
    }

    /**
     * Opens an existing queue for sending and receiving.
     *
     * @throws ObjectNotFoundException when no queue has that name
     */
    public static MessageQueue open(String name) {
        return openImpl(normalize(name), Consts.O_RDWR, 0, 0, 0);
    }

    /** Removes the queue's name: false when no queue has it. Open descriptors keep working. */
    public static boolean unlink(String name) {
        return MessageQueuesLibc.mqUnlink(normalize(name));
    }

    /** The attributes of the queue named {@code name}, without keeping it open. */
    public static Attributes attributes(String name) {
        try (MessageQueue q = open(name)) {
            return q.attributes();
        }
    }

    private static MessageQueue openImpl(String name, int oflag, int mode, long maxMessages, long messageSize) {
        requireSupported();
        int mqd;
        try {
            mqd = MessageQueuesLibc.mqOpen(name, oflag, mode, maxMessages, messageSize);
        } catch (InvalidArgumentException | ResourceLimitException e) {
            throw (oflag & Consts.O_CREAT) != 0 ? explainLimits(e, maxMessages, messageSize) : e;
        }
        try {
            MessageQueuesLibc.MqAttr a = MessageQueuesLibc.mqGetattr(mqd, name);
            if (a.maxMessages() <= 0 || a.messageSize() <= 0 || a.messageSize() > MAX_PLAUSIBLE_MESSAGE_SIZE) {
                throw new IllegalStateException("mq_getattr(" + Errno.quote(name) + ") reported implausible attributes "
                        + a + "; refusing to use the queue");
            }
            return new MessageQueue(name, mqd, a.maxMessages(), a.messageSize(), (oflag & Consts.O_CREAT) != 0);
        } catch (RuntimeException | Error e) {
            MessageQueuesLibc.mqClose(mqd);
            throw e;
        }
    }

    private static void requireSupported() {
        Consts.requireSupported();
        if (!MessageQueuesLibc.HAS_POSIX_MQ) {
            throw new UnsupportedOperationException("POSIX message queues (mq_open) do not exist on "
                    + Consts.PLATFORM.os() + "; use SysVMessageQueue (msgget) instead");
        }
    }

    /** {@code "jobs"} and {@code "/jobs"} become {@code "/jobs"}; anything else invalid is refused before any call. */
    static String normalize(String name) {
        Objects.requireNonNull(name, "name");
        requireSupported();
        String n = name.startsWith("/") ? name : "/" + name;
        String rest = n.substring(1);
        String why = null;
        if (rest.isEmpty()) why = "the name is empty";
        else if (rest.indexOf('/') >= 0) why = "a name has one slash, at the start";
        else if (rest.indexOf('\0') >= 0) why = "a name cannot contain NUL";
        else if (rest.equals(".") || rest.equals("..")) why = "'.' and '..' are not queue names";
        else if (rest.getBytes(StandardCharsets.UTF_8).length > Consts.NAME_MAX) {
            throw Errno.invalid("mq_open", Errno.quote(n), Consts.ENAMETOOLONG,
                    "a name is at most " + Consts.NAME_MAX + " bytes after the slash");
        }
        if (why != null) throw Errno.invalid("mq_open", Errno.quote(n), Consts.EINVAL, why);
        return n;
    }

    private static void checkCreate(String name, long maxMessages, long messageSize, int permissions) {
        String object = Errno.quote(name);
        if (maxMessages <= 0) throw Errno.invalid("mq_open", object, Consts.EINVAL, "max messages must be positive, was " + maxMessages);
        if (messageSize <= 0) throw Errno.invalid("mq_open", object, Consts.EINVAL, "message size must be positive, was " + messageSize);
        if ((permissions & ~0777) != 0) {
            throw Errno.invalid("mq_open", object, Consts.EINVAL, "permissions must be within 0777, was " + Libc.octal(permissions));
        }
    }

    /** Adds the system's limits to a failed create's message. */
    private static OsException explainLimits(OsException e, long maxMessages, long messageSize) {
        String limits = "";
        if (Consts.LINUX) {
            limits = "; this system allows " + proc("fs/mqueue/msg_max") + " messages of " + proc("fs/mqueue/msgsize_max")
                    + " bytes without CAP_SYS_RESOURCE (/proc/sys/fs/mqueue/msg_max, msgsize_max), "
                    + proc("fs/mqueue/queues_max") + " queues (queues_max), and RLIMIT_MSGQUEUE bytes per user";
        }
        String description = Libc.strerror(e.errno()) + ": asked for " + maxMessages + " messages of " + messageSize
                + " bytes" + limits;
        if (e instanceof ResourceLimitException) {
            return new ResourceLimitException(e.call(), e.object(), e.errno(), e.errnoName(), description);
        }
        return new InvalidArgumentException(e.call(), e.object(), e.errno(), e.errnoName(), description);
    }

    private static String proc(String file) {
        String v = ProcFiles.read("sys/" + file);
        return v == null ? "?" : v;
    }

    // ------------------------------------------------------------------ accessors

    /** The normalized name, e.g. {@code /jobs}. */
    public String name() {
        return name;
    }

    /** The capacity, fixed at creation. */
    public long maxMessages() {
        return maxMessages;
    }

    /** The largest message, fixed at creation. */
    public long messageSize() {
        return messageSize;
    }

    /** Whether this instance created the queue. */
    public boolean created() {
        return created;
    }

    /** What the system says of this queue now, including how many messages it holds. */
    public Attributes attributes() {
        guard.enter();
        try {
            MessageQueuesLibc.MqAttr a = MessageQueuesLibc.mqGetattr(mqd, name);
            // On Linux a queue descriptor is a file descriptor of the mqueue file system: fstat gives mode and owner.
            Libc.FileStat st = Libc.fstat(mqd, Errno.quote(name));
            return new Attributes(name, a.maxMessages(), a.messageSize(), a.currentMessages(), st.permissions(), st.uid());
        } finally {
            guard.exit();
        }
    }

    // ------------------------------------------------------------------ sending

    /** Sends {@code body} with priority 0, waiting while the queue is full. */
    public void send(byte[] body) throws InterruptedException {
        send(body, 0);
    }

    /**
     * Sends {@code body} with {@code priority} (0 is lowest; Linux allows up to 32767), waiting as
     * long as the queue is full.
     *
     * @throws InvalidArgumentException when the body is longer than {@link #messageSize()} (EMSGSIZE)
     *                                  or the priority is out of range
     * @throws InterruptedException     if interrupted while waiting; nothing was sent
     * @throws IllegalStateException    if closed, also while waiting
     */
    public void send(byte[] body, int priority) throws InterruptedException {
        sendImpl(body, priority, -1);
    }

    /** Sends, waiting at most {@code timeout} while the queue is full: false if it stayed full. */
    public boolean send(byte[] body, int priority, Duration timeout) throws InterruptedException {
        return sendImpl(body, priority, Waiting.nanos(timeout));
    }

    /** Sends if there is room now: false if the queue is full. */
    public boolean trySend(byte[] body, int priority) {
        try {
            return sendImpl(body, priority, 0);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private boolean sendImpl(byte[] body, int priority, long timeoutNanos) throws InterruptedException {
        Objects.requireNonNull(body, "body");
        String object = Errno.quote(name) + ", " + body.length + " bytes, priority " + priority;
        if (priority < 0) throw Errno.invalid("mq_timedsend", object, Consts.EINVAL, "a priority is not negative");
        if (body.length > messageSize) {
            throw new InvalidArgumentException("mq_timedsend", object, EMSGSIZE, Errno.name(EMSGSIZE),
                    Libc.strerror(EMSGSIZE) + ": the queue's message size is " + messageSize + " bytes");
        }
        Waiting.checkInterrupt();
        guard.enter();
        try (Arena a = Arena.ofConfined()) {
            MemorySegment msg = a.allocate(Math.max(1, body.length)).asSlice(0, body.length);
            MemorySegment.copy(body, 0, msg, ValueLayout.JAVA_BYTE, 0, body.length);
            long deadline = timeoutNanos < 0 ? 0 : Waiting.deadline(timeoutNanos);
            while (true) {
                long slice = Waiting.SLICE_NANOS;
                if (timeoutNanos >= 0) slice = Math.max(0, Math.min(slice, Waiting.remaining(deadline)));
                Instant until = Instant.now().plusNanos(slice);
                int rc = MessageQueuesLibc.mqTimedsend(mqd, name, msg, priority, until.getEpochSecond(), until.getNano());
                if (rc == MessageQueuesLibc.OK) return true;
                if (timeoutNanos >= 0 && Waiting.remaining(deadline) <= 0) return false;
                Waiting.checkInterrupt();
                guard.checkOpen();
            }
        } finally {
            guard.exit();
        }
    }

    // ------------------------------------------------------------------ receiving

    /**
     * Receives the oldest message of the highest priority, waiting as long as the queue is empty.
     *
     * @throws InterruptedException  if interrupted while waiting; nothing was received
     * @throws IllegalStateException if closed, also while waiting
     */
    public Message receive() throws InterruptedException {
        return receiveImpl(-1).orElseThrow();
    }

    /** Receives, waiting at most {@code timeout}: empty if the queue stayed empty. */
    public Optional<Message> receive(Duration timeout) throws InterruptedException {
        return receiveImpl(Waiting.nanos(timeout));
    }

    /** Receives a message if one is there now. */
    public Optional<Message> tryReceive() {
        try {
            return receiveImpl(0);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.empty();
        }
    }

    private Optional<Message> receiveImpl(long timeoutNanos) throws InterruptedException {
        Waiting.checkInterrupt();
        guard.enter();
        try (Arena a = Arena.ofConfined()) {
            MemorySegment buffer = a.allocate(messageSize);
            MemorySegment priority = a.allocate(ValueLayout.JAVA_INT);
            long deadline = timeoutNanos < 0 ? 0 : Waiting.deadline(timeoutNanos);
            while (true) {
                long slice = Waiting.SLICE_NANOS;
                if (timeoutNanos >= 0) slice = Math.max(0, Math.min(slice, Waiting.remaining(deadline)));
                Instant until = Instant.now().plusNanos(slice);
                long n = MessageQueuesLibc.mqTimedreceive(mqd, name, buffer, priority, until.getEpochSecond(), until.getNano());
                if (n >= 0) {
                    if (n > messageSize) throw new IllegalStateException("mq_timedreceive returned " + n + " bytes for a "
                            + messageSize + "-byte buffer");
                    return Optional.of(new Message(buffer.asSlice(0, n).toArray(ValueLayout.JAVA_BYTE),
                            priority.get(ValueLayout.JAVA_INT, 0)));
                }
                if (timeoutNanos >= 0 && Waiting.remaining(deadline) <= 0) return Optional.empty();
                Waiting.checkInterrupt();
                guard.checkOpen();
            }
        } finally {
            guard.exit();
        }
    }

    // ------------------------------------------------------------------ lifetime

    /** Releases this process's descriptor (idempotent); the queue and its messages stay. */
    @Override
    public void close() {
        guard.close();
    }

    /** Removes the queue's name; false if it was already gone. This instance stays usable until closed. */
    public boolean unlink() {
        return MessageQueuesLibc.mqUnlink(name);
    }

    public boolean isClosed() {
        return guard.isClosed();
    }

    @Override
    public String toString() {
        return "MessageQueue[" + name + ", " + maxMessages + " x " + messageSize + " bytes" + (isClosed() ? ", closed" : "") + "]";
    }
}
