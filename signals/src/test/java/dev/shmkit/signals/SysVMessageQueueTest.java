package dev.shmkit.signals;

import dev.shmkit.internal.nativeaccess.Libc;
import dev.shmkit.os.InvalidArgumentException;
import dev.shmkit.os.ObjectExistsException;
import dev.shmkit.os.ObjectNotFoundException;
import dev.shmkit.os.ResourceLimitException;
import dev.shmkit.testkit.Child;
import dev.shmkit.testkit.ChildJvm;
import dev.shmkit.testkit.Names;
import dev.shmkit.testkit.Programs;
import org.junit.jupiter.api.AfterEach;
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

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * {@link SysVMessageQueue}: typed messages and receive by type; {@code ipcs -q}/{@code ipcrm};
 * a child JVM, a C program and python3 (ctypes) on the same queue; limits as clear errors or
 * timeouts; E2BIG never truncating; interrupts and removal while waiting; permissions.
 */
class SysVMessageQueueTest {
    private static final Duration WAIT = Duration.ofSeconds(30);
    private final int key = Names.uniqueKey();
    private final List<SysVMessageQueue> privates = new ArrayList<>();

    @AfterEach
    void cleanup() {
        SysVMessageQueue.remove(key);
        for (SysVMessageQueue q : privates) q.remove();
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void typedMessagesAreReceivedByType() throws Exception {
        SysVMessageQueue q = SysVMessageQueue.create(key);
        q.send(3, utf8("three"));
        q.send(1, utf8("one-a"));
        q.send(2, utf8("two"));
        q.send(1, utf8("one-b"));
        assertEquals("one-a", q.receive(1).text(), "exactly type 1, oldest first");
        SysVSharedMessage m = SysVSharedMessage.of(q.receive(-2));
        assertEquals("1:one-b", m.toString(), "the lowest type up to 2");
        assertEquals("3:three", SysVSharedMessage.of(q.receive(0)).toString(), "type 0: the oldest of any type");
        assertEquals(Optional.empty(), q.tryReceive(5));
        assertEquals("2:two", SysVSharedMessage.of(q.tryReceive(0).orElseThrow()).toString());
        q.send(4, new byte[0]);
        assertEquals(0, q.receive(4, WAIT).orElseThrow().body().length);
    }

    private record SysVSharedMessage(long type, String text) {
        static SysVSharedMessage of(SysVMessageQueue.Message m) {
            return new SysVSharedMessage(m.type(), m.text());
        }

        @Override
        public String toString() {
            return type + ":" + text;
        }
    }

    @Test
    void statAndIpcsSeeTheQueueAndIpcrmRemovesIt() throws Exception {
        assumeTrue(Programs.available("ipcs"), "no ipcs");
        SysVMessageQueue q = SysVMessageQueue.create(key);
        q.send(1, utf8("hello"));
        q.send(2, utf8("world!"));
        SysVMessageQueue.Stat s = q.stat();
        assertEquals(2, s.messages());
        assertEquals(11, s.bytes());
        assertEquals(0600, s.permissions());
        assertEquals(ProcessHandle.current().pid(), s.lastSendPid());
        assertEquals(0, s.lastReceivePid());
        assertTrue(s.maxBytes() > 0);
        String ipcs = Programs.run("ipcs", "-q").assertSuccess().stdout();
        String line = ipcs.lines().filter(l -> l.startsWith(Libc.hexKey(key))).findFirst().orElseThrow(() -> new AssertionError(ipcs));
        String[] f = line.trim().split("\\s+"); // key msqid owner perms used-bytes messages
        assertEquals(Integer.toString(q.id()), f[1]);
        assertEquals("600", f[3]);
        assertEquals("11", f[4]);
        assertEquals("2", f[5]);
        assertEquals(q, SysVMessageQueue.ofId(q.id()));
        assertEquals(q.id(), SysVMessageQueue.open(key).id());

        Programs.run("ipcrm", "-q", Integer.toString(q.id())).assertSuccess();
        ObjectNotFoundException gone = assertThrows(ObjectNotFoundException.class, () -> q.send(1, utf8("x")));
        assertTrue(gone.getMessage().startsWith("msgctl(id " + q.id() + ", IPC_STAT)"), gone.getMessage());
        assertThrows(ObjectNotFoundException.class, () -> q.receive(0, Duration.ZERO));
        assertFalse(q.remove());
        assertFalse(SysVMessageQueue.remove(key));
    }

    @Test
    void creationIsExclusiveAndErrorsNameCallObjectAndErrno() {
        SysVMessageQueue.create(key, 0640);
        ObjectExistsException e = assertThrows(ObjectExistsException.class, () -> SysVMessageQueue.create(key));
        assertEquals("msgget(" + Libc.hexKey(key) + ", IPC_CREAT|IPC_EXCL|0600): EEXIST (File exists)", e.getMessage());
        assertFalse(SysVMessageQueue.openOrCreate(key, 0600).created());
        assertEquals(0640, SysVMessageQueue.open(key).stat().permissions());
        assertTrue(SysVMessageQueue.remove(key));
        ObjectNotFoundException missing = assertThrows(ObjectNotFoundException.class, () -> SysVMessageQueue.open(key));
        assertEquals("msgget(" + Libc.hexKey(key) + ", 0000): ENOENT (No such file or directory)", missing.getMessage());
        assertTrue(SysVMessageQueue.openOrCreate(key, 0600).created());
        assertThrows(InvalidArgumentException.class, () -> SysVMessageQueue.open(0), "IPC_PRIVATE is not a key");
        assertThrows(InvalidArgumentException.class, () -> SysVMessageQueue.create(key + 1, 01000));
        SysVMessageQueue p = SysVMessageQueue.createPrivate(0600);
        privates.add(p);
        assertEquals(0, p.key());
        assertEquals(p, SysVMessageQueue.ofId(p.id()));
    }

    @Test
    void limitsAreErrorsOrTimeoutsNeverLostData() throws Exception {
        SysVMessageQueue q = SysVMessageQueue.create(key);
        InvalidArgumentException type0 = assertThrows(InvalidArgumentException.class, () -> q.send(0, utf8("x")));
        assertTrue(type0.getMessage().contains("a message type is positive"), type0.getMessage());
        long capacity = q.stat().maxBytes();
        var msgmax = SysVMessageQueue.maxMessageSize();
        if (msgmax.isPresent()) {
            InvalidArgumentException big = assertThrows(InvalidArgumentException.class,
                    () -> q.send(1, new byte[(int) msgmax.getAsLong() + 1]));
            assertTrue(big.getMessage().contains("/proc/sys/kernel/msgmax"), big.getMessage());
        }
        // Fill the queue with messages as large as the system allows, then time out.
        int size = (int) Math.min(capacity, msgmax.orElse(capacity));
        int sent = 0;
        while (q.trySend(1, new byte[size])) sent++;
        assertTrue(sent >= 1 && (long) sent * size <= capacity, sent + " x " + size + " in " + capacity);
        long t0 = System.nanoTime();
        assertFalse(q.send(1, new byte[size], Duration.ofMillis(120)), "full");
        assertTrue(System.nanoTime() - t0 >= TimeUnit.MILLISECONDS.toNanos(120));
        assertEquals(sent, q.stat().messages(), "the refused message is not in the queue");
        for (int i = 0; i < sent; i++) assertEquals(size, q.receive(1).body().length);
        t0 = System.nanoTime();
        assertEquals(Optional.empty(), q.receive(0, Duration.ofMillis(120)));
        assertTrue(System.nanoTime() - t0 >= TimeUnit.MILLISECONDS.toNanos(120));
    }

    private static final String C_PEER = """
            #include <stdio.h>
            #include <stdlib.h>
            #include <string.h>
            #include <sys/ipc.h>
            #include <sys/msg.h>
            struct msg { long mtype; char mtext[65536]; };
            int main(int argc, char **argv) {
                int id = msgget((key_t) strtoul(argv[2], NULL, 0), 0);
                if (id < 0) { perror("msgget"); return 1; }
                static struct msg m;
                if (strcmp(argv[1], "send") == 0) {            /* send KEY TYPE TEXT */
                    m.mtype = atol(argv[3]);
                    size_t n = strlen(argv[4]);
                    memcpy(m.mtext, argv[4], n);
                    if (msgsnd(id, &m, n, 0) != 0) { perror("msgsnd"); return 1; }
                } else if (strcmp(argv[1], "recv") == 0) {     /* recv KEY TYPE */
                    ssize_t n = msgrcv(id, &m, sizeof m.mtext, atol(argv[3]), 0);
                    if (n < 0) { perror("msgrcv"); return 1; }
                    printf("type=%ld text=%.*s\\n", m.mtype, (int) n, m.mtext);
                } else if (strcmp(argv[1], "shrink") == 0) {   /* shrink KEY BYTES: lower msg_qbytes */
                    struct msqid_ds ds;
                    if (msgctl(id, IPC_STAT, &ds) != 0) { perror("IPC_STAT"); return 1; }
                    ds.msg_qbytes = atol(argv[3]);
                    if (msgctl(id, IPC_SET, &ds) != 0) { perror("IPC_SET"); return 1; }
                }
                return 0;
            }
            """;

    @Test
    void sharedWithACProgram(@TempDir Path dir) throws Exception {
        assumeTrue(Programs.available("cc"), "no C compiler");
        Path exe = Programs.compileC(dir, "msgpeer", C_PEER);
        SysVMessageQueue q = SysVMessageQueue.create(key);
        String k = Libc.hexKey(key);
        q.send(5, utf8("hello from Java"));
        assertEquals("type=5 text=hello from Java\n", Programs.run(exe.toString(), "recv", k, "5").assertSuccess().stdout());
        Programs.run(exe.toString(), "send", k, "9", "hello from C").assertSuccess();
        SysVMessageQueue.Message m = q.receive(9, WAIT).orElseThrow();
        assertEquals(9, m.type());
        assertEquals("hello from C", m.text());
    }

    @Test
    void aMessageLongerThanTheBufferStaysInTheQueueNeverTruncated(@TempDir Path dir) throws Exception {
        assumeTrue(Programs.available("cc"), "no C compiler");
        Path exe = Programs.compileC(dir, "msgpeer", C_PEER);
        SysVMessageQueue q = SysVMessageQueue.create(key);
        q.send(1, new byte[4000]);
        // Lower msg_qbytes below the queued message: a receive buffer of msg_qbytes is now too small.
        Programs.run(exe.toString(), "shrink", Libc.hexKey(key), "100").assertSuccess();
        assertEquals(100, q.stat().maxBytes());
        ResourceLimitException e = assertThrows(ResourceLimitException.class, () -> q.receive(0, WAIT));
        assertEquals("msgrcv(id " + q.id() + ", 100-byte buffer, type 0): E2BIG (Argument list too long: the next matching message"
                + " is longer than the buffer; it stays in the queue)", e.getMessage());
        assertEquals(1, q.stat().messages());
        assertEquals(4000, q.stat().bytes());
    }

    /** python3 with ctypes (standard library): receive type 2, reply type 3. */
    private static final String PYTHON_PEER = """
            import ctypes, sys
            libc = ctypes.CDLL(None, use_errno=True)
            class Msg(ctypes.Structure):
                _fields_ = [("mtype", ctypes.c_long), ("mtext", ctypes.c_char * 8192)]
            libc.msgrcv.restype = ctypes.c_ssize_t
            libc.msgrcv.argtypes = [ctypes.c_int, ctypes.c_void_p, ctypes.c_size_t, ctypes.c_long, ctypes.c_int]
            libc.msgsnd.argtypes = [ctypes.c_int, ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]
            qid = libc.msgget(ctypes.c_int(int(sys.argv[1], 0)), 0)
            if qid < 0:
                print("msgget errno=%d" % ctypes.get_errno()); sys.exit(0)
            m = Msg(3, b"hello from python")
            if libc.msgsnd(qid, ctypes.byref(m), len(b"hello from python"), 0) != 0:
                print("msgsnd errno=%d" % ctypes.get_errno()); sys.exit(0)
            r = Msg()
            n = libc.msgrcv(qid, ctypes.byref(r), 8192, 2, 0)
            print("python got type %d %r" % (r.mtype, r.mtext[:n].decode()))
            """;

    @Test
    void sharedWithPython() throws Exception {
        assumeTrue(Programs.available("python3"), "no python3");
        SysVMessageQueue q = SysVMessageQueue.create(key);
        q.send(2, utf8("hello from Java"));
        Programs.Result r = Programs.run("python3", "-c", PYTHON_PEER, Libc.hexKey(key)).assertSuccess();
        assertEquals("python got type 2 'hello from Java'\n", r.stdout());
        assertEquals("hello from python", q.receive(3, WAIT).orElseThrow().text());
    }

    @Test
    void anotherUserIsRefusedByTheDefaultMode() {
        assumeTrue(TestProcs.canRunAsNobody(), "needs root and setpriv to try as another user");
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/python3")), "needs a system python3 nobody can run");
        SysVMessageQueue.create(key);
        Programs.Result r = Programs.run(TestProcs.asNobody(List.of("/usr/bin/python3", "-c", PYTHON_PEER, Libc.hexKey(key))), null, WAIT);
        assertEquals("msgsnd errno=13\n", r.stdout(), r.stderr()); // EACCES: 0600 keeps others out
    }

    /** Child JVM: receives type 7 and answers with type 8. */
    public static final class Peer {
        public static void main(String[] args) throws Exception {
            SysVMessageQueue q = SysVMessageQueue.open(Integer.decode(args[0]));
            Child.say("ready");
            SysVMessageQueue.Message m = q.receive(7);
            q.send(8, ("echo " + m.text()).getBytes(StandardCharsets.UTF_8));
            Child.say("done");
        }
    }

    @Test
    void sharedWithAChildJvm() throws Exception {
        SysVMessageQueue q = SysVMessageQueue.create(key);
        try (ChildJvm child = ChildJvm.start(Peer.class, Libc.hexKey(key))) {
            child.expectLine("ready");
            q.send(7, utf8("ping"));
            child.expectLine("done");
            assertEquals("echo ping", q.receive(8, WAIT).orElseThrow().text());
            child.assertSuccess();
        }
    }

    @Test
    void waitingCallsHonourInterruptsAndRemoval() throws Exception {
        SysVMessageQueue q = SysVMessageQueue.create(key);
        CompletableFuture<Throwable> waiter = failureOf(() -> q.receive(0));
        TestProcs.awaitTrue(this::workerInsideACall, "the receiver to wait");
        worker.interrupt();
        assertInstanceOf(InterruptedException.class, waiter.get(30, TimeUnit.SECONDS));

        CompletableFuture<Throwable> removed = failureOf(() -> q.receive(0));
        TestProcs.awaitTrue(this::workerInsideACall, "the receiver to wait again");
        assertTrue(q.remove());
        Throwable t = removed.get(30, TimeUnit.SECONDS);
        assertInstanceOf(ObjectNotFoundException.class, t);
        assertTrue(t.getMessage().contains("the queue was removed"), t.getMessage());
    }

    private interface Call { Object run() throws Exception; }

    private Thread worker;

    private CompletableFuture<Throwable> failureOf(Call call) {
        CompletableFuture<Throwable> f = new CompletableFuture<>();
        worker = Thread.ofPlatform().name("msgq-test-worker").start(() -> {
            try {
                f.complete(new AssertionError("returned " + call.run()));
            } catch (Throwable e) {
                f.complete(e);
            }
        });
        return f;
    }

    private boolean workerInsideACall() {
        for (StackTraceElement e : worker.getStackTrace()) {
            if (e.getMethodName().equals("receiveImpl") || e.getMethodName().equals("sendImpl")) return true;
        }
        return false;
    }
}
