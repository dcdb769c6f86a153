package dev.shmkit.process;

import dev.shmkit.signals.Signal;
import dev.shmkit.signals.Signals;
import dev.shmkit.testkit.ChildJvm;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.parallel.ResourceLock;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Workers that die mid-task (kill -9, System.exit, out of memory, a timeout), parents that die,
 * initializers, worker recycling and the two shutdowns.
 */
class PoolFailureTest { // tests with pools of their own run side by side; those on the shared pool one by one
    private static final String SHARED = "the shared crashy pool";
    private static final Duration WAIT = Duration.ofSeconds(60);
    private static ProcessPool pool;

    @BeforeAll
    static void start() throws InterruptedException {
        pool = ProcessPool.builder().workers(2).name("crashy").jvmOptions("-Xmx64m").taskTimeout(Duration.ofSeconds(4)).build();
        assertTrue(pool.awaitReady(WAIT));
    }

    @AfterAll
    static void stop() throws Exception {
        pool.close();
        assertEquals(List.of(), TestPrograms.segmentsOf(ProcessHandle.current().pid()));
    }

    static String trace(Throwable t) {
        java.io.StringWriter w = new java.io.StringWriter();
        t.printStackTrace(new java.io.PrintWriter(w));
        return w.toString();
    }

    /** Submits 20 tasks, of which the one at {@code bad} runs {@code crash}; the others must complete. */
    private static WorkerCrashedException oneOfTwentyCrashes(SerializableRunnable crash) throws Exception {
        List<CompletableFuture<Integer>> fs = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            int k = i;
            if (i == 7) {
                fs.add(pool.submit(() -> {
                    crash.run();
                    return -1;
                }));
            } else {
                fs.add(pool.submit(() -> {
                    Thread.sleep(10);
                    return k;
                }));
            }
        }
        WorkerCrashedException crashed = null;
        for (int i = 0; i < 20; i++) {
            if (i == 7) {
                ExecutionException e = assertThrows(ExecutionException.class, () -> fs.get(7).get(60, TimeUnit.SECONDS));
                crashed = assertInstanceOf(WorkerCrashedException.class, e.getCause());
            } else {
                assertEquals(i, fs.get(i).get(60, TimeUnit.SECONDS));
            }
        }
        assertEquals(List.of(1, 2), pool.map(x -> x + 1, List.of(0, 1)), "the pool works afterwards");
        return crashed;
    }

    @Test
    @ResourceLock(SHARED)
    void workerKilledWithSigkillMidTaskFailsOnlyThatTask() throws Exception {
        long crashesBefore = pool.stats().workersCrashed();
        WorkerCrashedException e = oneOfTwentyCrashes(() -> Signals.raise(Signal.KILL));
        assertEquals(Optional.of(Signal.KILL), e.signal());
        assertTrue(e.getMessage().contains("killed by SIGKILL"), e.getMessage());
        assertTrue(e.getMessage().contains("submit#"), e.getMessage());
        assertFalse(TestPrograms.isRunning(e.pid()));
        assertTrue(pool.stats().workersCrashed() > crashesBefore);
        assertTrue(pool.awaitReady(WAIT), "the worker was replaced");
        assertFalse(pool.workerPids().contains(e.pid()));
    }

    @Test
    @ResourceLock(SHARED)
    void systemExitInATaskFailsOnlyThatTask() throws Exception {
        WorkerCrashedException e = oneOfTwentyCrashes(() -> System.exit(3));
        assertEquals(3, e.exitStatus().orElseThrow().exitValue());
        assertTrue(e.getMessage().contains("exited with status 3"), e.getMessage());
        assertTrue(e.getMessage().contains("System.exit"), e.getMessage());
    }

    @Test
    @ResourceLock(SHARED)
    void outOfMemoryInATaskIsReportedAndTheWorkerReplaced() throws Exception {
        WorkerCrashedException e = oneOfTwentyCrashes(() -> {
            List<long[]> hog = new ArrayList<>();
            while (true) hog.add(new long[1 << 20]);
        });
        if (e.getCause() == null) {
            // Memory ran out in the worker's control thread first: it stopped at once, without a report.
            assertTrue(e.getMessage().contains("ran out of memory"), e.getMessage());
        } else {
            RemoteException cause = assertInstanceOf(RemoteException.class, e.getCause());
            assertTrue(cause.is(OutOfMemoryError.class), cause.toString());
            assertTrue(e.getMessage().contains("OutOfMemoryError"), e.getMessage());
        }
    }

    @Test
    @ResourceLock(SHARED)
    void workerKilledFromOutsideWhileRunningATask() throws Exception {
        Path marker = Files.createTempFile("shmkit-pool-test", ".pid");
        Files.delete(marker);
        String m = marker.toString();
        try {
            CompletableFuture<String> victim = pool.submit(() -> {
                Files.writeString(Path.of(m), Long.toString(ProcessHandle.current().pid()));
                Thread.sleep(3_000);
                return "survived";
            });
            long deadline = System.nanoTime() + WAIT.toNanos();
            while (!Files.exists(marker) || Files.readString(marker).isEmpty()) {
                assertTrue(System.nanoTime() < deadline);
                Thread.sleep(10);
            }
            long pid = Long.parseLong(Files.readString(marker));
            Signals.send(pid, Signal.KILL);
            ExecutionException e = assertThrows(ExecutionException.class, () -> victim.get(60, TimeUnit.SECONDS));
            WorkerCrashedException c = assertInstanceOf(WorkerCrashedException.class, e.getCause());
            assertEquals(pid, c.pid());
            assertEquals(List.of(10), pool.map(x -> x * 10, List.of(1)));
        } finally {
            Files.deleteIfExists(marker);
        }
    }

    @Test
    @ResourceLock(SHARED)
    void aTaskOverTheTimeoutIsStoppedAndOthersGoOn() throws Exception {
        CompletableFuture<String> stuck = pool.submit(() -> {
            while (true) Thread.onSpinWait(); // ignores interrupts: only killing stops it
        });
        CompletableFuture<Integer> fine = pool.submit(() -> 5);
        ExecutionException e = assertThrows(ExecutionException.class, () -> stuck.get(60, TimeUnit.SECONDS));
        TaskTimeoutException t = assertInstanceOf(TaskTimeoutException.class, e.getCause(), () -> trace(e.getCause()));
        assertEquals(Duration.ofSeconds(4), t.timeout());
        assertTrue(t.getMessage().contains("task timeout"), t.getMessage());
        assertEquals(5, fine.get(60, TimeUnit.SECONDS));
    }

    @Test
    @ResourceLock(SHARED)
    void aDyingWorkerDoesNotFailTheTasksQueuedBehindIt() {
        // chunk size 1, so tasks queue in each worker's ring; one of them kills its worker.
        List<Integer> in = IntStream.range(0, 400).boxed().toList();
        TaskFailedException e = assertThrows(TaskFailedException.class, () -> pool.map(x -> {
            if (x == 100) Signals.raise(Signal.KILL);
            return x;
        }, in, 1));
        assertEquals(100, e.taskIndex(), () -> trace(e));
        assertInstanceOf(WorkerCrashedException.class, e.getCause());
        // With imap the other 399 results still arrive.
        int ok = 0;
        int failed = 0;
        try (ResultIterator<Integer> it = pool.imap(x -> {
            if (x == 100) Signals.raise(Signal.KILL);
            return x;
        }, in)) {
            while (it.hasNext()) {
                try {
                    assertEquals(ok + failed, it.next());
                    ok++;
                } catch (TaskFailedException f) {
                    assertEquals(100, f.taskIndex());
                    failed++;
                }
            }
        }
        assertEquals(399, ok);
        assertEquals(1, failed);
        // In chunks of 10: the task that killed its worker is the one that fails, not its chunk's first.
        TaskFailedException c = assertThrows(TaskFailedException.class, () -> pool.map(x -> {
            if (x == 125) Signals.raise(Signal.KILL);
            return x;
        }, in, 10));
        assertEquals(125, c.taskIndex());
    }

    @Test
    void maxTasksPerChildRecyclesWorkers() throws Exception {
        try (ProcessPool p = ProcessPool.builder().workers(1).maxTasksPerChild(3).name("recycling").build()) {
            List<Long> pids = p.map(x -> ProcessHandle.current().pid(), IntStream.range(0, 9).boxed().toList(), 1);
            List<Long> distinct = pids.stream().distinct().toList();
            assertEquals(3, distinct.size(), pids.toString());
            for (int i = 0; i < 9; i++) assertEquals(distinct.get(i / 3), pids.get(i));
            assertTrue(p.stats().workersRetired() >= 2);
            assertEquals(0, p.stats().workersCrashed());
        }
    }

    static volatile String initialized = "no";

    @Test
    void initializerRunsInEveryWorkerBeforeItsTasks() throws Exception {
        try (ProcessPool p = ProcessPool.builder().workers(2).initializer(() -> initialized = "yes in " + ProcessHandle.current().pid())
                .name("init").build()) {
            List<String> got = p.map(x -> initialized, IntStream.range(0, 50).boxed().toList(), 1);
            Set<String> distinct = new HashSet<>(got);
            assertTrue(distinct.stream().allMatch(s -> s.startsWith("yes in ")), distinct.toString());
            assertEquals("no", initialized, "not in the parent");
        }
    }

    @Test
    void failingInitializerBreaksThePool() throws Exception {
        try (ProcessPool p = ProcessPool.builder().workers(1).initializer(() -> {
            throw new IllegalStateException("no database");
        }).name("broken").build()) {
            PoolBrokenException e = assertThrows(PoolBrokenException.class, () -> p.map(x -> x, List.of(1, 2)));
            assertTrue(e.getMessage().contains("failed to start"), e.getMessage());
            Throwable root = e;
            while (root.getCause() != null) root = root.getCause();
            assertTrue(root instanceof RemoteException r && r.remoteMessage().equals("no database"), String.valueOf(root));
            assertThrows(PoolBrokenException.class, () -> p.submit(() -> 1));
        }
    }

    @Test
    void badJvmOptionBreaksThePoolWithAClearError() {
        try (ProcessPool p = ProcessPool.builder().workers(1).jvmOptions("-XX:+NoSuchOptionAnywhere").name("badopt")
                .stderr(ProcessBuilder.Redirect.DISCARD).build()) {
            PoolBrokenException e = assertThrows(PoolBrokenException.class, () -> p.apply(x -> x, 1));
            assertTrue(e.getMessage().contains("before it was ready"), e.getMessage());
        }
    }

    @Test
    void shutdownLetsQueuedTasksFinish() throws Exception {
        ProcessPool p = ProcessPool.builder().workers(2).name("graceful").build();
        List<CompletableFuture<Integer>> fs = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            int k = i;
            fs.add(p.submit(() -> {
                Thread.sleep(50);
                return k;
            }));
        }
        p.shutdown();
        assertTrue(p.isShutdown());
        assertThrows(java.util.concurrent.RejectedExecutionException.class, () -> p.submit(() -> 1));
        assertTrue(p.awaitTermination(60, TimeUnit.SECONDS));
        for (int i = 0; i < 10; i++) assertEquals(i, fs.get(i).get());
        assertTrue(p.isTerminated());
        assertEquals(List.of(), p.workerPids());
    }

    @Test
    void shutdownNowKillsWorkersAndCancelsTasks() throws Exception {
        ProcessPool p = ProcessPool.builder().workers(2).name("abrupt").build();
        assertTrue(p.awaitReady(WAIT));
        List<Long> pids = p.workerPids();
        List<CompletableFuture<String>> running = new ArrayList<>();
        for (int i = 0; i < 2; i++) running.add(p.submit(() -> {
            Thread.sleep(60_000);
            return "x";
        }));
        SerializableRunnable never = () -> {};
        // queue more than the workers take
        List<CompletableFuture<Void>> queued = new ArrayList<>();
        for (int i = 0; i < 50; i++) queued.add(p.submit(never));
        Thread.sleep(300);
        List<Runnable> notStarted = p.shutdownNow();
        assertTrue(p.awaitTermination(60, TimeUnit.SECONDS));
        for (long pid : pids) assertTrue(TestPrograms.awaitDeath(pid, WAIT), "worker " + pid + " still runs");
        for (CompletableFuture<String> f : running) assertThrows(CancellationException.class, f::get);
        assertTrue(queued.stream().allMatch(CompletableFuture::isDone));
        assertTrue(notStarted.size() <= 50);
        assertTrue(notStarted.stream().allMatch(r -> r == never), "the tasks themselves are returned");
    }

    @Test
    void workersDieWhenTheirParentIsKilledWithSigkill() throws Exception {
        try (ChildJvm parent = ChildJvm.start(TestPrograms.Parent.class, "pool")) {
            String line = parent.readLine();
            assertTrue(line.startsWith("pids "), line);
            List<Long> workers = new ArrayList<>();
            for (String p : line.substring(5).trim().split(" ")) workers.add(Long.parseLong(p));
            assertEquals(2, workers.size());
            for (long w : workers) assertTrue(TestPrograms.isRunning(w));
            parent.process().destroyForcibly(); // SIGKILL
            parent.waitFor(WAIT);
            for (long w : workers) assertTrue(TestPrograms.awaitDeath(w, Duration.ofSeconds(20)), "orphaned worker " + w + " still runs");
            assertNotEquals(0, parent.process().exitValue());
            assertEquals(List.of(), TestPrograms.segmentsOf(parent.pid()), "the workers removed their objects' names at start");
        }
    }
}
