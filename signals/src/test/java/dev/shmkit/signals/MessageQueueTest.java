package dev.shmkit.signals;

import dev.shmkit.os.InvalidArgumentException;
import dev.shmkit.os.ObjectExistsException;
import dev.shmkit.os.ObjectNotFoundException;
import dev.shmkit.testkit.Child;
import dev.shmkit.testkit.ChildJvm;
import dev.shmkit.testkit.Names;
import dev.shmkit.testkit.Programs;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * POSIX {@link MessageQueue}s shared with a child JVM, a C program and python3 (ctypes, standard
 * library); priority order; limits (message size, capacity, system maxima) as errors or timeout
 * results; interrupts and concurrent close; /dev/mqueue; permissions against another user.
 */
class MessageQueueTest {
    private static final Duration WAIT = Duration.ofSeconds(30);
    private final String name = Names.unique("mq");
    private final List<String> extra = new ArrayList<>();

    @BeforeEach
    void linuxOnly() {
        assumeTrue(MessageQueue.isSupported(), "POSIX message queues are Linux only");
    }

    @AfterEach
    void cleanup() {
        MessageQueue.unlink(name);
        for (String n : extra) MessageQueue.unlink(n);
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void highestPriorityFirstThenFifo() throws Exception {
        try (MessageQueue q = MessageQueue.create(name, 8, 128)) {
            assertTrue(q.created());
            q.send(utf8("low"), 1);
            q.send(utf8("urgent-1"), 9);
            q.send(utf8("normal"), 5);
            q.send(utf8("urgent-2"), 9);
            q.send(utf8("zero"));
            List<String> got = new ArrayList<>();
            for (int i = 0; i < 5; i++) {
                MessageQueue.Message m = q.receive();
                got.add(m.priority() + ":" + m.text());
            }
            assertEquals(List.of("9:urgent-1", "9:urgent-2", "5:normal", "1:low", "0:zero"), got);
            assertEquals(Optional.empty(), q.tryReceive());
            q.send(new byte[0], 3);
            MessageQueue.Message empty = q.receive(WAIT).orElseThrow();
            assertEquals(0, empty.body().length);
            assertEquals(3, empty.priority());
        }
    }

    @Test
    void attributesComeFromTheKernel() throws Exception {
        try (MessageQueue q = MessageQueue.create(name, 4, 100)) {
            q.send(utf8("a"), 0);
            q.send(utf8("b"), 0);
            MessageQueue.Attributes a = q.attributes();
            assertEquals(new MessageQueue.Attributes(name, 4, 100, 2, 0600, dev.shmkit.internal.nativeaccess.Libc.getuid()), a);
            assertEquals(a, MessageQueue.attributes(name.substring(1)), "'x' and '/x' are the same queue");
            assertEquals(4, q.maxMessages());
            assertEquals(100, q.messageSize());
        }
        try (MessageQueue again = MessageQueue.open(name)) {
            assertFalse(again.created());
            assertEquals(2, again.attributes().currentMessages(), "messages outlive the descriptors");
        }
    }

    @Test
    void creationIsExclusiveAndErrorsNameCallObjectAndErrno() {
        MessageQueue.create(name, 2, 16).close();
        ObjectExistsException exists = assertThrows(ObjectExistsException.class, () -> MessageQueue.create(name, 2, 16));
        assertEquals("mq_open(\"" + name + "\", O_RDWR|O_CREAT|O_EXCL, 0600): EEXIST (File exists)", exists.getMessage());
        try (MessageQueue q = MessageQueue.openOrCreate(name, 9, 99, 0600)) {
            assertFalse(q.created());
            assertEquals(2, q.maxMessages(), "an existing queue keeps its attributes");
        }
        assertTrue(MessageQueue.unlink(name));
        assertFalse(MessageQueue.unlink(name));
        ObjectNotFoundException missing = assertThrows(ObjectNotFoundException.class, () -> MessageQueue.open(name));
        assertEquals("mq_open(\"" + name + "\", O_RDWR): ENOENT (No such file or directory)", missing.getMessage());
        try (MessageQueue q = MessageQueue.openOrCreate(name, 3, 30, 0600)) {
            assertTrue(q.created());
        }
    }

    @Test
    void badNamesAndSizesAreRefusedBeforeAnyCall() {
        for (String bad : List.of("", "/", "a/b", "/a/b", ".", "..", "x\0y")) {
            InvalidArgumentException e = assertThrows(InvalidArgumentException.class, () -> MessageQueue.create(bad, 1, 1), bad);
            assertTrue(e.getMessage().startsWith("mq_open("), e.getMessage());
        }
        InvalidArgumentException tooLong = assertThrows(InvalidArgumentException.class, () -> MessageQueue.open("q".repeat(256)));
        assertEquals("ENAMETOOLONG", tooLong.errnoName());
        assertThrows(InvalidArgumentException.class, () -> MessageQueue.create(name, 0, 10));
        assertThrows(InvalidArgumentException.class, () -> MessageQueue.create(name, 10, 0));
        assertThrows(InvalidArgumentException.class, () -> MessageQueue.create(name, 10, 10, 01600));
        // Beyond Linux's hard limit (65536 messages) even for privileged processes: the error quotes the limits.
        InvalidArgumentException limit = assertThrows(InvalidArgumentException.class, () -> MessageQueue.create(name, 1_000_000, 64));
        assertTrue(limit.getMessage().contains("EINVAL") && limit.getMessage().contains("asked for 1000000 messages of 64 bytes")
                && limit.getMessage().contains("/proc/sys/fs/mqueue/msg_max"), limit.getMessage());
        assertThrows(ObjectNotFoundException.class, () -> MessageQueue.open(name), "nothing was created");
    }

    @Test
    void tooLargeAMessageIsRefusedAndNothingIsSent() throws Exception {
        try (MessageQueue q = MessageQueue.create(name, 2, 64)) {
            q.send(new byte[64], 0);
            InvalidArgumentException e = assertThrows(InvalidArgumentException.class, () -> q.send(new byte[65], 2));
            assertEquals("mq_timedsend(\"" + name + "\", 65 bytes, priority 2): EMSGSIZE (Message too long: the queue's message size is 64 bytes)",
                    e.getMessage());
            assertThrows(InvalidArgumentException.class, () -> q.send(new byte[1], -1));
            assertEquals(1, q.attributes().currentMessages());
            assertEquals(64, q.receive().body().length);
        }
    }

    @Test
    void fullAndEmptyQueuesTimeOutWithFalseAndEmpty() throws Exception {
        try (MessageQueue q = MessageQueue.create(name, 2, 8)) {
            assertEquals(Optional.empty(), q.tryReceive());
            long t0 = System.nanoTime();
            assertEquals(Optional.empty(), q.receive(Duration.ofMillis(120)));
            assertTrue(System.nanoTime() - t0 >= TimeUnit.MILLISECONDS.toNanos(120));
            assertTrue(q.trySend(utf8("1"), 0));
            assertTrue(q.send(utf8("2"), 0, Duration.ofMillis(10)));
            assertFalse(q.trySend(utf8("3"), 0), "full");
            t0 = System.nanoTime();
            assertFalse(q.send(utf8("3"), 0, Duration.ofMillis(120)));
            assertTrue(System.nanoTime() - t0 >= TimeUnit.MILLISECONDS.toNanos(120));
            assertEquals(2, q.attributes().currentMessages(), "the timed-out message was not sent");
            assertEquals("1", q.receive(Duration.ZERO).orElseThrow().text());
        }
    }

    @Test
    void blockedCallsHonourInterruptsAndClose() throws Exception {
        try (MessageQueue q = MessageQueue.create(name, 1, 8)) {
            CompletableFuture<Throwable> receiver = failureOf(() -> q.receive());
            TestProcs.awaitTrue(() -> workerWaitsInTheKernel(), "the receiver to wait");
            interruptWorker();
            assertInstanceOf(InterruptedException.class, receiver.get(30, TimeUnit.SECONDS));

            q.send(utf8("fill"), 0);
            CompletableFuture<Throwable> sender = failureOf(() -> { q.send(utf8("more"), 0); return null; });
            TestProcs.awaitTrue(() -> workerWaitsInTheKernel(), "the sender to wait");
            interruptWorker();
            assertInstanceOf(InterruptedException.class, sender.get(30, TimeUnit.SECONDS));
            assertEquals(1, q.attributes().currentMessages());

            CompletableFuture<Throwable> closed = failureOf(() -> { q.send(utf8("more"), 0); return null; });
            TestProcs.awaitTrue(() -> workerWaitsInTheKernel(), "the sender to wait again");
            q.close();
            Throwable t = closed.get(30, TimeUnit.SECONDS);
            assertInstanceOf(IllegalStateException.class, t);
            assertTrue(t.getMessage().contains("closed while waiting"), t.getMessage());
            assertTrue(q.isClosed());
            IllegalStateException after = assertThrows(IllegalStateException.class, q::tryReceive);
            assertEquals("MessageQueue " + name + " is closed", after.getMessage());
        }
    }

    private final List<Thread> workers = new ArrayList<>();

    private interface Call { Object run() throws Exception; }

    private CompletableFuture<Throwable> failureOf(Call call) {
        CompletableFuture<Throwable> f = new CompletableFuture<>();
        workers.add(Thread.ofPlatform().name("mq-test-worker").start(() -> {
            try {
                f.complete(new AssertionError("returned " + call.run()));
            } catch (Throwable e) {
                f.complete(e);
            }
        }));
        return f;
    }

    private boolean workerWaitsInTheKernel() {
        Thread w = workers.getLast();
        for (StackTraceElement e : w.getStackTrace()) {
            if (e.getMethodName().contains("mqTimed")) return true;
        }
        return false;
    }

    private void interruptWorker() {
        workers.getLast().interrupt();
    }

    /** Child JVM: receives three messages from the queue, prints them, replies with priority 3. */
    public static final class Peer {
        public static void main(String[] args) throws Exception {
            try (MessageQueue q = MessageQueue.open(args[0])) {
                Child.say("ready");
                for (int i = 0; i < 3; i++) {
                    MessageQueue.Message m = q.receive(Duration.ofSeconds(30)).orElseThrow();
                    Child.say(m.priority() + " " + m.text());
                }
                q.send("ack from child".getBytes(StandardCharsets.UTF_8), 3);
            }
        }
    }

    @Test
    void sharedWithAChildJvm() throws Exception {
        try (MessageQueue q = MessageQueue.create(name, 10, 256);
             ChildJvm child = ChildJvm.start(Peer.class, name)) {
            q.send(utf8("first"), 1);
            q.send(utf8("second"), 8);
            child.expectLine("ready");
            q.send(utf8("third"), 4);
            child.expectLine("8 second");
            String next = child.readLine();
            assertTrue(next.equals("1 first") || next.equals("4 third"), next);
            child.readLine();
            MessageQueue.Message ack = q.receive(WAIT).orElseThrow();
            assertEquals("ack from child", ack.text());
            assertEquals(3, ack.priority());
            child.assertSuccess();
        }
    }

    private static final String C_PEER = """
            #include <fcntl.h>
            #include <mqueue.h>
            #include <stdio.h>
            #include <string.h>
            int main(int argc, char **argv) {
                mqd_t q = mq_open(argv[1], O_RDWR);
                if (q == (mqd_t) -1) { perror("mq_open"); return 1; }
                struct mq_attr a;
                mq_getattr(q, &a);
                printf("maxmsg=%ld msgsize=%ld curmsgs=%ld\\n", a.mq_maxmsg, a.mq_msgsize, a.mq_curmsgs);
                char buf[a.mq_msgsize];
                unsigned prio;
                ssize_t n = mq_receive(q, buf, sizeof buf, &prio);
                if (n < 0) { perror("mq_receive"); return 1; }
                printf("received %.*s priority %u\\n", (int) n, buf, prio);
                const char *reply = "hello from C";
                if (mq_send(q, reply, strlen(reply), 7) != 0) { perror("mq_send"); return 1; }
                return mq_close(q);
            }
            """;

    @Test
    void sharedWithACProgram(@TempDir Path dir) throws Exception {
        assumeTrue(Programs.available("cc"), "no C compiler");
        Path exe = Programs.compileC(dir, "mqpeer", C_PEER, "-lrt");
        try (MessageQueue q = MessageQueue.create(name, 5, 200)) {
            q.send(utf8("hello from Java"), 2);
            Programs.Result r = Programs.run(exe.toString(), name).assertSuccess();
            assertEquals("maxmsg=5 msgsize=200 curmsgs=1\nreceived hello from Java priority 2\n", r.stdout());
            MessageQueue.Message m = q.receive(WAIT).orElseThrow();
            assertEquals("hello from C", m.text());
            assertEquals(7, m.priority());
        }
    }

    /** python3, standard library only: ctypes over the C library's mq_* functions. */
    private static final String PYTHON_PEER = """
            import ctypes, os, sys
            libc = ctypes.CDLL(None, use_errno=True)
            libc.mq_open.restype = ctypes.c_int
            libc.mq_open.argtypes = [ctypes.c_char_p, ctypes.c_int]
            libc.mq_receive.restype = ctypes.c_ssize_t
            libc.mq_receive.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_size_t, ctypes.POINTER(ctypes.c_uint)]
            libc.mq_send.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_size_t, ctypes.c_uint]
            q = libc.mq_open(sys.argv[1].encode(), os.O_RDWR)
            if q < 0:
                print("errno=%d" % ctypes.get_errno()); sys.exit(0)
            buf = ctypes.create_string_buffer(int(sys.argv[2]))
            prio = ctypes.c_uint()
            n = libc.mq_receive(q, buf, len(buf), ctypes.byref(prio))
            print("python got %r priority %d" % (buf.raw[:n].decode(), prio.value))
            msg = b"hello from python"
            assert libc.mq_send(q, msg, len(msg), 11) == 0
            """;

    @Test
    void sharedWithPython() throws Exception {
        assumeTrue(Programs.available("python3"), "no python3");
        try (MessageQueue q = MessageQueue.create(name, 5, 300)) {
            q.send(utf8("hello from Java"), 4);
            Programs.Result r = Programs.run("python3", "-c", PYTHON_PEER, name, "300").assertSuccess();
            assertEquals("python got 'hello from Java' priority 4\n", r.stdout());
            MessageQueue.Message m = q.receive(WAIT).orElseThrow();
            assertEquals("hello from python", m.text());
            assertEquals(11, m.priority());
        }
    }

    @Test
    void anotherUserIsRefusedByTheDefaultMode() {
        assumeTrue(TestProcs.canRunAsNobody(), "needs root and setpriv to try as another user");
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/python3")), "needs a system python3 nobody can run");
        MessageQueue.create(name, 2, 8).close();
        Programs.Result r = Programs.run(TestProcs.asNobody(List.of("/usr/bin/python3", "-c", PYTHON_PEER, name, "8")), null, WAIT);
        assertEquals("errno=13\n", r.stdout(), r.stderr()); // EACCES
    }

    @Test
    void visibleUnderDevMqueue(@TempDir Path dir) throws Exception {
        try (MessageQueue q = MessageQueue.create(name, 3, 50)) {
            q.send(utf8("12345"), 1);
            String status;
            Path mounted = Path.of("/dev/mqueue", name.substring(1));
            if (Files.exists(mounted)) {
                status = Files.readString(mounted);
                assertEquals("rw-------", java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(mounted)));
            } else {
                // Not mounted here: mount the mqueue file system in a private mount namespace to look.
                assumeTrue(dev.shmkit.internal.nativeaccess.Libc.getuid() == 0 && Programs.available("unshare"),
                        "/dev/mqueue is not mounted and we cannot mount it privately");
                Programs.Result r = Programs.run("unshare", "-m", "sh", "-c",
                        "mount -t mqueue none \"$1\" && cat \"$1/$2\"", "sh", dir.toString(), name.substring(1));
                assumeTrue(r.exitCode() == 0, "cannot mount mqueue: " + r.stderr());
                status = r.stdout();
            }
            assertTrue(status.startsWith("QSIZE:5 "), status);
        }
    }

    @Test
    void unlinkRemovesTheNameButOpenDescriptorsWork() throws Exception {
        try (MessageQueue q = MessageQueue.create(name, 2, 8)) {
            assertTrue(q.unlink());
            assertThrows(ObjectNotFoundException.class, () -> MessageQueue.open(name));
            q.send(utf8("still"), 0);
            assertArrayEquals(utf8("still"), q.receive().body());
            assertFalse(q.unlink());
        }
    }
}
