package dev.shmkit.process;

import dev.shmkit.signals.Signal;
import dev.shmkit.testkit.ChildJvm;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Child JVMs running one task each: results, exceptions, exit statuses, signals, parent death. */
class ChildProcessTest { // its tests run side by side (junit-platform.properties): each has children of its own
    private static final Duration WAIT = Duration.ofSeconds(60);

    @AfterAll
    static void nothingLeft() throws IOException {
        assertEquals(java.util.List.of(), TestPrograms.segmentsOf(ProcessHandle.current().pid()));
    }

    @Test
    void callableRunsInAnotherProcessAndReturnsItsResult() throws Exception {
        try (ChildProcess<Long> child = ChildProcess.builder().name("who").start(() -> ProcessHandle.current().pid())) {
            assertEquals("who", child.name());
            assertTrue(child.isDaemon());
            long pid = child.result(); // as soon as it arrives; the child then exits by itself
            assertEquals(child.pid(), pid);
            assertNotEquals(ProcessHandle.current().pid(), pid);
            assertTrue(child.join(WAIT));
            assertEquals(0, child.exitCode().orElseThrow());
            assertTrue(child.exitStatus().orElseThrow().isSuccess());
            assertFalse(child.isAlive());
            assertTrue(child.startupTime().orElseThrow().toMillis() > 0);
            assertTrue(child.exception().isEmpty());
        }
    }

    @Test
    void capturedArgumentsTravelWithTheTask() throws Exception {
        int[] numbers = {3, 4, 5};
        String prefix = "sum=";
        try (ChildProcess<String> child = ChildProcess.start(() -> prefix + Arrays.stream(numbers).sum())) {
            assertEquals("sum=12", child.result());
        }
    }

    @Test
    void exceptionReachesTheParentWithTypeMessageAndStackTrace() throws Exception {
        try (ChildProcess<Integer> child = ChildProcess.start(() -> Integer.parseInt("not a number"))) {
            assertTrue(child.join(WAIT));
            assertEquals(1, child.exitCode().orElseThrow());
            RemoteException e = child.exception().orElseThrow();
            assertEquals("java.lang.NumberFormatException", e.remoteClassName());
            assertTrue(e.is(NumberFormatException.class));
            assertTrue(e.is(IllegalArgumentException.class), "superclasses are known");
            assertTrue(e.remoteMessage().contains("not a number"), e.remoteMessage());
            assertEquals(child.pid(), e.pid());
            assertTrue(Arrays.stream(e.getStackTrace()).anyMatch(f -> f.getClassName().equals(ChildProcessTest.class.getName())
                    && "ChildProcessTest.java".equals(f.getFileName())), Arrays.toString(e.getStackTrace()));
            assertTrue(e.toString().startsWith("java.lang.NumberFormatException: For input string: \"not a number\""), e.toString());
            TaskFailedException f = assertThrows(TaskFailedException.class, child::result);
            assertEquals(e, f.getCause());
        }
    }

    @Test
    void causesAndSuppressedExceptionsAreKept() throws Exception {
        try (ChildProcess<Void> child = ChildProcess.start(() -> {
            IllegalStateException top = new IllegalStateException("outer", new java.io.UncheckedIOException(new IOException("disk")));
            top.addSuppressed(new ArithmeticException("also"));
            throw top;
        })) {
            child.join();
            RemoteException e = child.exception().orElseThrow();
            assertEquals("outer", e.remoteMessage());
            assertEquals("java.io.UncheckedIOException", e.getCause().remoteClassName());
            assertEquals("java.io.IOException", e.getCause().getCause().remoteClassName());
            assertEquals("disk", e.getCause().getCause().remoteMessage());
            assertEquals(1, e.getSuppressed().length);
            assertTrue(((RemoteException) e.getSuppressed()[0]).is(ArithmeticException.class));
        }
    }

    @Test
    void mainClassWithArgumentsAndItsExitStatus() throws Exception {
        ChildProcess<Void> ok = ChildProcess.builder().stdout(ProcessBuilder.Redirect.PIPE).startMain(TestPrograms.EchoMain.class, "0", "a b", "c");
        String out = new String(ok.stdout().readAllBytes(), StandardCharsets.UTF_8);
        ok.join();
        assertEquals("args 0,a b,c\n", out);
        assertEquals(0, ok.exitCode().orElseThrow());
        assertNull(ok.result());

        ChildProcess<Void> seven = ChildProcess.builder().stdout(ProcessBuilder.Redirect.DISCARD).startMain(TestPrograms.EchoMain.class, "7");
        seven.join();
        assertEquals(7, seven.exitCode().orElseThrow());
        TaskFailedException f = assertThrows(TaskFailedException.class, seven::result);
        assertInstanceOf(WorkerCrashedException.class, f.getCause());

        ChildProcess<Void> throwing = ChildProcess.startMain(TestPrograms.ThrowingMain.class, "x");
        throwing.join();
        assertEquals(1, throwing.exitCode().orElseThrow());
        assertEquals("main failed: x", throwing.exception().orElseThrow().remoteMessage());

        ChildProcess<Void> instance = ChildProcess.builder().stdout(ProcessBuilder.Redirect.PIPE).startMain(TestPrograms.InstanceMain.class);
        assertEquals("instance main ran\n", new String(instance.stdout().readAllBytes(), StandardCharsets.UTF_8));
        instance.join();
        assertEquals(0, instance.exitCode().orElseThrow());
    }

    @Test
    void terminateAndKillReportTheSignal() throws Exception {
        SerializableRunnable sleeper = () -> {
            try {
                Thread.sleep(60_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        };
        try (ChildProcess<Void> a = ChildProcess.start(sleeper); ChildProcess<Void> b = ChildProcess.start(sleeper)) {
            awaitStarted(a);
            awaitStarted(b);
            assertFalse(a.join(Duration.ofMillis(50)));
            assertTrue(a.terminate());
            assertTrue(b.kill());
            assertTrue(a.join(WAIT));
            assertTrue(b.join(WAIT));
            assertEquals(Optional.of(Signal.TERM), a.signal());
            assertEquals(143, a.exitCode().orElseThrow());
            assertEquals(Optional.of(Signal.KILL), b.signal());
            assertEquals(137, b.exitCode().orElseThrow());
            assertFalse(a.kill(), "an ended child is not signalled");
            TaskFailedException f = assertThrows(TaskFailedException.class, b::result);
            WorkerCrashedException c = assertInstanceOf(WorkerCrashedException.class, f.getCause());
            assertEquals(Optional.of(Signal.KILL), c.signal());
        }
    }

    @Test
    void largeResultsComeBackInPieces() throws Exception {
        try (ChildProcess<byte[]> child = ChildProcess.builder().resultCapacity(64 * 1024).start(() -> {
            byte[] b = new byte[3 * 1024 * 1024 + 17];
            for (int i = 0; i < b.length; i++) b[i] = (byte) (i * 31);
            return b;
        })) {
            byte[] r = child.result();
            assertEquals(3 * 1024 * 1024 + 17, r.length);
            for (int i = 0; i < r.length; i += 4099) assertEquals((byte) (i * 31), r[i]);
            assertArrayEquals(Arrays.copyOfRange(r, 0, 5), new byte[] {0, 31, 62, 93, (byte) 124});
        }
    }

    @Test
    void closeStopsARunningChild() throws Exception {
        ChildProcess<Void> child = ChildProcess.start(() -> {
            while (true) Thread.onSpinWait();
        });
        awaitStarted(child);
        child.close();
        assertFalse(child.isAlive());
        assertTrue(child.signal().isPresent());
    }

    @Test
    void nonSerializableTaskIsRefusedWithAHint() {
        Object notSerializable = new Object();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ChildProcess.start(() -> notSerializable.hashCode()));
        assertTrue(e.getMessage().contains("java.lang.Object is not serializable"), e.getMessage());
    }

    @Test
    void daemonChildDiesWithItsParentEvenOnKill9() throws Exception {
        try (ChildJvm parent = ChildJvm.start(TestPrograms.Parent.class, "child")) {
            long child = Long.parseLong(parent.readLine().substring("pids ".length()));
            assertTrue(TestPrograms.isRunning(child));
            parent.process().destroyForcibly(); // SIGKILL: no shutdown hook, no clean-up in the parent
            parent.waitFor(WAIT);
            assertTrue(TestPrograms.awaitDeath(child, Duration.ofSeconds(20)), "the orphaned child " + child + " still runs");
        }
    }

    @Test
    void nonDaemonChildOutlivesItsParent() throws Exception {
        long child;
        try (ChildJvm parent = ChildJvm.start(TestPrograms.Parent.class, "nondaemon")) {
            child = Long.parseLong(parent.readLine().substring("pids ".length()));
            parent.process().destroyForcibly();
            parent.waitFor(WAIT);
        }
        try {
            Thread.sleep(500);
            assertTrue(TestPrograms.isRunning(child), "a non-daemon child keeps running");
        } finally {
            ProcessHandle.of(child).ifPresent(ProcessHandle::destroyForcibly);
            assertTrue(TestPrograms.awaitDeath(child, WAIT));
        }
    }

    static void awaitStarted(ChildProcess<?> c) throws InterruptedException {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (c.startupTime().isEmpty()) {
            if (System.nanoTime() > deadline) throw new AssertionError("child did not start");
            Thread.sleep(5);
        }
    }
}
