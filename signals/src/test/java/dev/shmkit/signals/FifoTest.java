package dev.shmkit.signals;

import dev.shmkit.os.InvalidArgumentException;
import dev.shmkit.os.ObjectExistsException;
import dev.shmkit.os.ObjectNotFoundException;
import dev.shmkit.testkit.ChildJvm;
import dev.shmkit.testkit.Child;
import dev.shmkit.testkit.Programs;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedByInterruptException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * {@link Fifo} with real peers: {@code echo}/{@code seq} redirected by bash, {@code cat},
 * {@code head}, python3 and a child JVM; timed and interrupted opens that leave nothing behind;
 * non-blocking ends; EPIPE; permissions against another user.
 */
class FifoTest {
    private static final Duration WAIT = Duration.ofSeconds(30);

    @TempDir
    Path dir;
    private Path path;

    @BeforeEach
    void name() {
        path = dir.resolve("fifo");
    }

    @AfterEach
    void noHelperThreadLeft() {
        TestProcs.awaitTrue(() -> Thread.getAllStackTraces().keySet().stream()
                .noneMatch(t -> t.getName().startsWith("shmkit-fifo-open")), "the open helper threads to finish");
    }

    private static String slurp(FileChannel ch) throws IOException {
        try (InputStream in = java.nio.channels.Channels.newInputStream(ch)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    @Test
    void createIsExclusiveAndPrivateByDefault() throws IOException {
        Fifo f = Fifo.create(path);
        assertEquals(0600, f.permissions());
        assertTrue(f.exists());
        assertEquals("p", Programs.run("stat", "-c", "%A", path.toString()).assertSuccess().stdout().substring(0, 1), "a FIFO to stat(1)");
        ObjectExistsException e = assertThrows(ObjectExistsException.class, () -> Fifo.create(path));
        assertEquals("mkfifo(\"" + path + "\", 0600): EEXIST (File exists)", e.getMessage());
        assertEquals(f, Fifo.createIfAbsent(path, 0600));
        assertEquals(f, Fifo.of(path));

        Path regular = Files.writeString(dir.resolve("plain"), "x");
        InvalidArgumentException notFifo = assertThrows(InvalidArgumentException.class, () -> Fifo.of(regular));
        assertTrue(notFifo.getMessage().contains("not a FIFO but a regular file"), notFifo.getMessage());
        assertThrows(ObjectExistsException.class, () -> Fifo.create(regular));
        assertThrows(InvalidArgumentException.class, () -> Fifo.createIfAbsent(regular, 0600));
        assertThrows(InvalidArgumentException.class, () -> Fifo.of(dir));
        ObjectNotFoundException missing = assertThrows(ObjectNotFoundException.class, () -> Fifo.create(dir.resolve("no/such/dir")));
        assertTrue(missing.getMessage().startsWith("mkfifo(") && missing.getMessage().contains("ENOENT"), missing.getMessage());
        assertThrows(ObjectNotFoundException.class, () -> Fifo.of(dir.resolve("absent")));
        assertThrows(InvalidArgumentException.class, () -> Fifo.create(dir.resolve("bad"), 01777));

        Fifo g = Fifo.create(dir.resolve("group"), 0640);
        assertEquals(0, g.permissions() & ~0640, "the umask may clear bits, never add them");
        assertTrue(g.unlink());
        assertFalse(g.unlink());
        assertTrue(f.unlink());
        assertFalse(Fifo.unlink(path));
    }

    @Test
    void aFifoMadeByShmkitCarriesEchoToCat() throws Exception {
        Fifo f = Fifo.create(path);
        Process cat = new ProcessBuilder("cat", path.toString()).start();
        Programs.run("bash", "-c", "echo 'from echo to cat' > \"$1\"", "bash", path.toString()).assertSuccess();
        assertEquals("from echo to cat\n", new String(cat.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
        assertEquals(0, cat.waitFor());
        assertTrue(f.unlink());
    }

    @Test
    void echoFromBashIsReadByJava() throws Exception {
        Fifo f = Fifo.create(path);
        Process echo = new ProcessBuilder("bash", "-c", "echo 'hello through a fifo' > \"$1\"", "bash", path.toString()).start();
        try (FileChannel in = f.openReader(WAIT).orElseThrow()) {
            assertEquals("hello through a fifo\n", slurp(in));
        }
        assertEquals(0, echo.waitFor());
        f.unlink();
    }

    @Test
    void javaWritesCatReads() throws Exception {
        Fifo f = Fifo.create(path);
        Process cat = new ProcessBuilder("cat", path.toString()).start();
        try (FileChannel out = f.openWriter(WAIT).orElseThrow()) {
            out.write(ByteBuffer.wrap("line 1\nline 2\n".getBytes(StandardCharsets.UTF_8)));
        }
        assertEquals("line 1\nline 2\n", new String(cat.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
        assertEquals(0, cat.waitFor());
    }

    @Test
    void aShellPipelineStreamsThroughJavaStreams() throws Exception {
        Fifo in = Fifo.create(dir.resolve("numbers"));
        Fifo out = Fifo.create(dir.resolve("squares"));
        Process producer = new ProcessBuilder("bash", "-c", "seq 1 1000 > \"$1\"", "bash", in.path().toString()).start();
        Process consumer = new ProcessBuilder("bash", "-c", "awk '{ s += $1 } END { printf \"%d\\n\", s }' < \"$1\"", "bash", out.path().toString()).start();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(in.newInputStream(), StandardCharsets.UTF_8));
             OutputStream w = out.newOutputStream()) {
            for (String line; (line = r.readLine()) != null; ) {
                long n = Long.parseLong(line);
                w.write((n * n + "\n").getBytes(StandardCharsets.UTF_8));
            }
        }
        // sum of squares 1..1000 = 1000*1001*2001/6
        assertEquals("333833500", new String(consumer.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim());
        assertEquals(0, producer.waitFor());
        assertEquals(0, consumer.waitFor());
    }

    /** Child JVM: opens the FIFO for reading, reads to end-of-file, prints what it got. */
    public static final class Reader {
        public static void main(String[] args) throws Exception {
            Fifo f = Fifo.of(Path.of(args[0]));
            Child.say("opening");
            try (FileChannel ch = f.openReader()) {
                Child.say("got " + slurp(ch).trim());
            }
        }
    }

    @Test
    void aChildJvmAndPython() throws Exception {
        Fifo f = Fifo.create(path);
        try (ChildJvm reader = ChildJvm.start(Reader.class, path.toString())) {
            reader.expectLine("opening");
            try (OutputStream w = f.newOutputStream()) {
                w.write("from the parent JVM\n".getBytes(StandardCharsets.UTF_8));
            }
            reader.expectLine("got from the parent JVM");
            reader.assertSuccess();
        }
        assumeTrue(Programs.available("python3"), "no python3");
        Process py = new ProcessBuilder("python3", "-c", "import sys\nwith open(sys.argv[1], 'w') as f: f.write('from python')", path.toString()).start();
        try (FileChannel in = f.openReader(WAIT).orElseThrow()) {
            assertEquals("from python", slurp(in));
        }
        assertEquals(0, py.waitFor());
    }

    @Test
    void timedOpensGiveUpCleanlyWithoutAPeer() throws Exception {
        Fifo f = Fifo.create(path);
        long t0 = System.nanoTime();
        assertEquals(Optional.empty(), f.openReader(Duration.ofMillis(150)));
        assertTrue(System.nanoTime() - t0 >= TimeUnit.MILLISECONDS.toNanos(150));
        assertEquals(Optional.empty(), f.openWriter(Duration.ofMillis(150)));
        assertEquals(Optional.empty(), f.openWriter(Duration.ZERO));
        noHelperThreadLeft();
        // Nothing kept either end open: a non-blocking writer still finds no reader.
        assertEquals(Optional.empty(), f.openNonBlockingWriter());
        // And a real peer connects normally afterwards.
        Process cat = new ProcessBuilder("cat", path.toString()).start();
        try (FileChannel out = f.openWriter(WAIT).orElseThrow()) {
            out.write(ByteBuffer.wrap("after the timeouts".getBytes(StandardCharsets.UTF_8)));
        }
        assertEquals("after the timeouts", new String(cat.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
    }

    @Test
    void aZeroTimeoutFindsAPeerThatIsAlreadyThere() throws Exception {
        Fifo f = Fifo.create(path);
        try (NonBlockingFifoChannel reader = f.openNonBlockingReader();
             FileChannel writer = f.openWriter(Duration.ZERO).orElseThrow()) {
            try (FileChannel secondReader = f.openReader(Duration.ZERO).orElseThrow()) {
                writer.write(ByteBuffer.wrap("x".getBytes(StandardCharsets.UTF_8)));
                assertEquals(1, secondReader.read(ByteBuffer.allocate(8)));
            }
        }
    }

    @Test
    void aBlockedOpenIsInterruptible() throws Exception {
        Fifo f = Fifo.create(path);
        for (boolean write : List.of(false, true)) {
            AtomicReference<Throwable> outcome = new AtomicReference<>();
            Thread t = Thread.ofPlatform().start(() -> {
                try {
                    outcome.set(new AssertionError("opened " + (write ? f.openWriter() : f.openReader())));
                } catch (Throwable e) {
                    outcome.set(e);
                }
            });
            // The helper thread blocks in open(2), waiting for a peer.
            TestProcs.awaitTrue(() -> Thread.getAllStackTraces().keySet().stream()
                    .anyMatch(h -> h.getName().startsWith("shmkit-fifo-open")), "the helper thread to start");
            t.interrupt();
            t.join(WAIT.toMillis());
            assertInstanceOf(InterruptedException.class, outcome.get(), String.valueOf(outcome.get()));
            noHelperThreadLeft();
        }
        assertEquals(Optional.empty(), f.openNonBlockingWriter(), "no end stayed open");
        Thread.currentThread().interrupt();
        assertThrows(InterruptedException.class, () -> f.openReader(WAIT));
    }

    @Test
    void aBlockedReadIsInterruptible() throws Exception {
        Fifo f = Fifo.create(path);
        // A writer that opens the FIFO and then writes nothing.
        Process writer = new ProcessBuilder("bash", "-c", "exec 3>\"$1\"; echo open; exec sleep 60", "bash", path.toString()).start();
        try {
            FileChannel in = f.openReader(WAIT).orElseThrow();
            assertEquals("open", new BufferedReader(new InputStreamReader(writer.getInputStream(), StandardCharsets.UTF_8)).readLine());
            CompletableFuture<Throwable> outcome = new CompletableFuture<>();
            Thread t = Thread.ofPlatform().start(() -> {
                try {
                    outcome.complete(new AssertionError("read " + in.read(ByteBuffer.allocate(16))));
                } catch (Throwable e) {
                    outcome.complete(e);
                }
            });
            TestProcs.awaitTrue(() -> t.getState() == Thread.State.RUNNABLE && inNativeRead(t), "the reader to block in read");
            t.interrupt();
            assertInstanceOf(ClosedByInterruptException.class, outcome.get(30, TimeUnit.SECONDS));
            assertFalse(in.isOpen());
        } finally {
            writer.destroyForcibly();
        }
    }

    private static boolean inNativeRead(Thread t) {
        for (StackTraceElement e : t.getStackTrace()) {
            if (e.isNativeMethod() && e.getMethodName().contains("read")) return true;
        }
        return false;
    }

    @Test
    void nonBlockingEnds() throws Exception {
        Fifo f = Fifo.create(path);
        assertEquals(Optional.empty(), f.openNonBlockingWriter(), "ENXIO: no reader");
        try (NonBlockingFifoChannel r = f.openNonBlockingReader()) {
            ByteBuffer buf = ByteBuffer.allocate(1 << 20);
            assertEquals(-1, r.read(buf), "no writer connected");
            NonBlockingFifoChannel w = f.openNonBlockingWriter().orElseThrow();
            assertTrue(w.isWriter() && !r.isWriter());
            assertEquals(0, r.read(buf), "a writer is connected but sent nothing");
            assertEquals(5, w.write(ByteBuffer.wrap("hello".getBytes(StandardCharsets.UTF_8))));
            assertEquals(5, r.read(buf));
            assertEquals("hello", new String(buf.array(), 0, 5, StandardCharsets.UTF_8));
            // Fill the pipe: writes get shorter, then 0, never blocking.
            long total = 0;
            int n;
            ByteBuffer big = ByteBuffer.allocate(1 << 20);
            while ((n = w.write(big.clear())) > 0) total += n;
            assertEquals(0, n);
            assertTrue(total >= 4096 && total < (1 << 20), "pipe capacity " + total);
            long drained = 0;
            buf.clear();
            while ((n = r.read(buf.clear())) > 0) drained += n;
            assertEquals(total, drained);
            w.close();
            assertFalse(w.isOpen());
            assertThrows(java.nio.channels.ClosedChannelException.class, () -> w.write(ByteBuffer.allocate(1)));
            assertEquals(-1, r.read(buf.clear()), "the writer is gone");
            assertThrows(java.nio.channels.NonWritableChannelException.class, () -> r.write(ByteBuffer.allocate(1)));
        }
    }

    @Test
    void writersGetEpipeOnceTheReaderLeaves() throws Exception {
        Fifo f = Fifo.create(path);
        // head reads one byte and exits: the JVM ignores SIGPIPE, so the write fails with EPIPE.
        Process head = new ProcessBuilder("head", "-c", "1", path.toString()).start();
        try (FileChannel out = f.openWriter(WAIT).orElseThrow()) {
            IOException e = assertThrows(IOException.class, () -> {
                ByteBuffer chunk = ByteBuffer.allocate(64 * 1024);
                while (true) out.write(chunk.clear());
            });
            assertTrue(e.getMessage().contains("Broken pipe"), e.getMessage());
        }
        assertEquals(0, head.waitFor());

        try (NonBlockingFifoChannel r = f.openNonBlockingReader()) {
            NonBlockingFifoChannel w = f.openNonBlockingWriter().orElseThrow();
            r.close();
            IOException e = assertThrows(IOException.class, () -> w.write(ByteBuffer.wrap(new byte[] {1})));
            assertEquals("write(\"" + path + "\"): EPIPE (Broken pipe): no process has the FIFO open for reading any more", e.getMessage());
            w.close();
        }
    }

    @Test
    void unlinkingKeepsOpenEndsWorking() throws Exception {
        Fifo f = Fifo.create(path);
        try (NonBlockingFifoChannel r = f.openNonBlockingReader();
             NonBlockingFifoChannel w = f.openNonBlockingWriter().orElseThrow()) {
            assertTrue(f.unlink());
            assertFalse(f.exists());
            w.write(ByteBuffer.wrap("still here".getBytes(StandardCharsets.UTF_8)));
            ByteBuffer buf = ByteBuffer.allocate(32);
            assertEquals(10, r.read(buf));
        }
        assertThrows(ObjectNotFoundException.class, f::openNonBlockingReader);
    }

    @Test
    void permissionsKeepOtherUsersOut() throws Exception {
        assumeTrue(TestProcs.canRunAsNobody(), "needs root and setpriv to try as another user");
        Path shared = TestProcs.worldTraversableDir(Path.of(System.getProperty("java.io.tmpdir")));
        try {
            Fifo f = Fifo.create(shared.resolve("private"));
            Programs.Result r = Programs.run(TestProcs.asNobody(List.of("cat", f.path().toString())), null, WAIT);
            assertEquals(1, r.exitCode());
            assertTrue(r.stderr().contains("Permission denied"), r.stderr());
            // Made writable for others (0622), another user may write (but still not read).
            Fifo open = Fifo.create(shared.resolve("drop-box"));
            Files.setPosixFilePermissions(open.path(), java.nio.file.attribute.PosixFilePermissions.fromString("rw--w--w-"));
            Process writer = new ProcessBuilder(TestProcs.asNobody(List.of("bash", "-c", "echo from nobody > \"$1\"", "bash",
                    open.path().toString()))).start();
            try (FileChannel in = open.openReader(WAIT).orElseThrow()) {
                assertEquals("from nobody\n", slurp(in));
            }
            assertEquals(0, writer.waitFor());
            Programs.Result denied = Programs.run(TestProcs.asNobody(List.of("cat", open.path().toString())), null, WAIT);
            assertTrue(denied.stderr().contains("Permission denied"), denied.stderr());
        } finally {
            TestProcs.deleteTree(shared);
        }
    }
}
