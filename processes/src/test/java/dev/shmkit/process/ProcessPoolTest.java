package dev.shmkit.process;

import dev.shmkit.queue.Codec;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.parallel.Execution;
import org.junit.jupiter.api.parallel.ExecutionMode;

import java.io.IOException;
import java.io.Serializable;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** One pool of two worker JVMs shared by the tests of what a pool computes and how it reports. */
@Execution(ExecutionMode.SAME_THREAD) // they share the pool and some time what it does
class ProcessPoolTest {
    private static ProcessPool pool;

    record Point(int x, int y) implements Serializable {}

    @BeforeAll
    static void start() throws InterruptedException {
        pool = ProcessPool.builder().workers(2).name("test").build();
        assertTrue(pool.awaitReady(Duration.ofSeconds(60)), "workers did not start");
    }

    @AfterAll
    static void stop() throws Exception {
        List<Long> pids = pool.workerPids();
        pool.close();
        assertTrue(pool.isTerminated());
        for (long p : pids) assertTrue(TestPrograms.awaitDeath(p, Duration.ofSeconds(30)), "worker " + p + " still runs");
        assertEquals(List.of(), TestPrograms.segmentsOf(ProcessHandle.current().pid()));
    }

    private static List<Integer> range(int n) {
        return IntStream.range(0, n).boxed().toList();
    }

    @Test
    void mapReturnsResultsInInputOrderWhateverTheChunkSize() {
        List<Integer> in = range(1000);
        List<Integer> expected = in.stream().map(x -> x * x).toList();
        assertEquals(expected, pool.map(x -> x * x, in));
        assertEquals(expected, pool.map(x -> x * x, in, 1));
        assertEquals(expected, pool.map(x -> x * x, in, 7));
        assertEquals(expected, pool.map(x -> x * x, new HashSet<>(in).stream().sorted().collect(Collectors.toCollection(java.util.LinkedList::new)), 3));
        assertEquals(List.of(), pool.map(x -> x, List.<Integer>of()));
    }

    @Test
    void tasksRunInBothWorkers() {
        List<Long> pids = pool.map(x -> {
            long until = System.nanoTime() + 2_000_000;
            while (System.nanoTime() < until) Thread.onSpinWait();
            return ProcessHandle.current().pid();
        }, range(200), 1);
        Set<Long> distinct = new HashSet<>(pids);
        assertEquals(new HashSet<>(pool.workerPids()), distinct);
        assertFalse(distinct.contains(ProcessHandle.current().pid()));
    }

    @Test
    void mapFailsWithTheFirstFailingTaskAndItsRemoteException() {
        TaskFailedException e = assertThrows(TaskFailedException.class, () -> pool.map(x -> 100 / (x - 40), range(100), 1));
        assertEquals(40, e.taskIndex());
        RemoteException r = assertInstanceOf(RemoteException.class, e.getCause());
        assertTrue(r.is(ArithmeticException.class));
        assertEquals("/ by zero", r.remoteMessage());
        assertTrue(pool.workerPids().contains(r.pid()));
        assertTrue(r.getStackTrace()[0].getClassName().startsWith(ProcessPoolTest.class.getName()), Arrays.toString(r.getStackTrace()));
        assertTrue(e.getMessage().contains("task 40 of map#"), e.getMessage());
        // the pool is fine afterwards
        assertEquals(List.of(2, 3), pool.map(x -> x + 1, List.of(1, 2)));
    }

    @Test
    void imapIsOrderedAndLazy() {
        List<Integer> got = new ArrayList<>();
        try (ResultIterator<Integer> it = pool.imap(x -> x * 2, range(300))) {
            it.forEachRemaining(got::add);
        }
        assertEquals(range(300).stream().map(x -> x * 2).toList(), got);
        // An endless input: only what is consumed (plus the read-ahead) is computed.
        Iterator<Integer> endless = Stream.iterate(0, i -> i + 1).iterator();
        try (ResultIterator<Integer> it = pool.imap(x -> x + 1000, () -> endless, 4)) {
            for (int i = 0; i < 50; i++) assertEquals(i + 1000, it.next());
        }
        try (ResultIterator<String> it = pool.imap(String::valueOf, Stream.of(5, 6, 7)::iterator)) {
            assertEquals(List.of("5", "6", "7"), it.stream().toList());
            assertFalse(it.hasNext());
        }
    }

    @Test
    void imapUnorderedDeliversEveryResult() {
        try (ResultIterator<Integer> it = pool.imapUnordered(x -> {
            if (x % 10 == 0) {
                try {
                    Thread.sleep(5);
                } catch (InterruptedException e) {
                    throw new RuntimeException(e);
                }
            }
            return -x;
        }, range(200))) {
            Set<Integer> got = new HashSet<>();
            it.forEachRemaining(got::add);
            assertEquals(range(200).stream().map(x -> -x).collect(Collectors.toSet()), got);
        }
    }

    @Test
    void imapReportsAFailureAtItsPlaceAndGoesOn() {
        try (ResultIterator<Integer> it = pool.imap(x -> 10 / x, List.of(5, 0, 2))) {
            assertEquals(2, it.next());
            TaskFailedException e = assertThrows(TaskFailedException.class, it::next);
            assertEquals(1, e.taskIndex());
            assertEquals(5, it.next());
            assertFalse(it.hasNext());
        }
    }

    @Test
    void starmapAppliesPairs() {
        List<Map.Entry<Integer, String>> args = List.of(Map.entry(3, "a"), Map.entry(1, "b"), Map.entry(2, "c"));
        assertEquals(List.of("aaa", "b", "cc"), pool.starmap((Integer n, String s) -> s.repeat(n), args));
    }

    @Test
    @SuppressWarnings("divzero")
    void applyAsyncCompletesItsFutureAndCallsBack() throws Exception {
        assertEquals(49, pool.applyAsync((Integer x) -> x * x, 7).get(30, TimeUnit.SECONDS));
        assertEquals("HI", pool.apply(String::toUpperCase, "hi"));
        CopyOnWriteArrayList<Object> seen = new CopyOnWriteArrayList<>();
        CountDownLatch done = new CountDownLatch(2);
        pool.applyAsync((Integer x) -> x + 1, 1, r -> {
            seen.add(r);
            done.countDown();
        }, e -> done.countDown());
        pool.applyAsync((Integer x) -> x / 0, 1, r -> done.countDown(), e -> {
            seen.add(e);
            done.countDown();
        });
        assertTrue(done.await(30, TimeUnit.SECONDS));
        assertTrue(seen.contains(2), seen.toString());
        assertTrue(seen.stream().anyMatch(o -> o instanceof RemoteException r && r.is(ArithmeticException.class)), seen.toString());
    }

    @Test
    void executorServiceMethods() throws Exception {
        assertEquals(42, pool.submit(() -> 42).get());
        assertNull(pool.submit(() -> System.out.print("")).get());
        Callable<String> c1 = (Callable<String> & Serializable) () -> "one";
        Callable<String> c2 = (Callable<String> & Serializable) () -> "two";
        List<Future<String>> all = pool.invokeAll(List.of(c1, c2));
        assertEquals("one", all.get(0).get());
        assertEquals("two", all.get(1).get());
        Callable<String> slow = (Callable<String> & Serializable) () -> {
            Thread.sleep(20_000);
            return "slow";
        };
        assertEquals("one", pool.invokeAny(List.of(slow, c1)));
        Callable<Integer> bad = (Callable<Integer> & Serializable) () -> {
            throw new IOException("nope");
        };
        ExecutionException e = assertThrows(ExecutionException.class, () -> pool.submit(bad).get());
        RemoteException r = assertInstanceOf(RemoteException.class, e.getCause());
        assertEquals("java.io.IOException", r.remoteClassName());
        assertEquals("x", pool.submit(() -> System.out.print(""), "x").get());
    }

    @Test
    void nonSerializableTasksAreRejectedWithAReason() {
        Callable<Integer> plain = () -> 1; // a lambda typed as plain Callable is not serializable
        RejectedExecutionException e = assertThrows(RejectedExecutionException.class, () -> pool.submit(plain));
        assertTrue(e.getMessage().contains("SerializableCallable"), e.getMessage());
        Object notSerializable = new Object();
        IllegalArgumentException a = assertThrows(IllegalArgumentException.class,
                () -> pool.map(x -> notSerializable.hashCode() + x, List.of(1)));
        assertTrue(a.getMessage().contains("java.lang.Object is not serializable"), a.getMessage());
    }

    @Test
    void valuesOfManyKindsTravelBothWays() {
        List<Object> values = Arrays.asList(null, 1, 2L, 3.5, 4.5f, (short) 6, (byte) 7, 'c', true, "text é ✓",
                new byte[] {1, 2, 3}, new int[] {4, 5}, new long[] {6}, new double[] {7.5},
                List.of(1, "two", List.of(3)), new Object[] {"a", 1}, Map.entry("k", 9),
                new java.math.BigDecimal("1.25"), java.time.LocalDate.of(2026, 11, 25), new Point(3, 4));
        List<Object> back = pool.map(v -> v, values, 1);
        for (int i = 0; i < values.size(); i++) {
            Object v = values.get(i);
            Object b = back.get(i);
            if (v instanceof byte[] a) assertTrue(Arrays.equals(a, (byte[]) b));
            else if (v instanceof int[] a) assertTrue(Arrays.equals(a, (int[]) b));
            else if (v instanceof long[] a) assertTrue(Arrays.equals(a, (long[]) b));
            else if (v instanceof double[] a) assertTrue(Arrays.equals(a, (double[]) b));
            else if (v instanceof Object[] a) assertTrue(Arrays.equals(a, (Object[]) b));
            else if (v instanceof Map.Entry<?, ?> e) assertEquals(Map.entry(e.getKey(), e.getValue()), Map.entry(((Map.Entry<?, ?>) b).getKey(), ((Map.Entry<?, ?>) b).getValue()));
            else assertEquals(v, b, "value " + i);
        }
        assertEquals(List.of(new Point(4, 6)), pool.map((Point p) -> new Point(p.x() + 1, p.y() + 2), List.of(new Point(3, 4))));
    }

    @Test
    void resultsThatCannotTravelFailTheirTaskWithAReason() {
        TaskFailedException e = assertThrows(TaskFailedException.class, () -> pool.apply(x -> new Object(), 1));
        RemoteException r = assertInstanceOf(RemoteException.class, e.getCause());
        assertTrue(r.is(IllegalArgumentException.class), r.toString());
        assertTrue(r.remoteMessage().contains("cannot send the task's result back"), r.remoteMessage());
        // A serializable JDK class outside the allow-list is refused by the parent, with the fix in the message.
        TaskFailedException u = assertThrows(TaskFailedException.class, () -> pool.apply(x -> java.net.URI.create("http://example.com/" + x), 1));
        assertTrue(u.getCause().getMessage().contains("java.net.URI is not in the allow-list"), u.getCause().getMessage());
        assertTrue(u.getCause().getMessage().contains("ProcessPool.builder().allow("), u.getCause().getMessage());
    }

    @Test
    void memorySegmentInputsAreReadInPlace() {
        MemorySegment seg = MemorySegment.ofArray(new byte[1000]);
        for (int i = 0; i < 1000; i++) seg.set(ValueLayout.JAVA_BYTE, i, (byte) i);
        List<Long> sums = pool.map((MemorySegment s) -> {
            if (!s.isReadOnly()) throw new IllegalStateException("expected a read-only view of the ring");
            long sum = 0;
            for (long i = 0; i < s.byteSize(); i++) sum += s.get(ValueLayout.JAVA_BYTE, i);
            return sum;
        }, List.of(seg, seg.asSlice(0, 10)));
        long expected = 0;
        for (int i = 0; i < 1000; i++) expected += (byte) i;
        assertEquals(List.of(expected, 45L), sums);
    }

    @Test
    void largeInputsAndResultsGoInPieces() {
        byte[] big = new byte[3 * 1024 * 1024];
        for (int i = 0; i < big.length; i++) big[i] = (byte) (i % 251);
        List<byte[]> out = pool.map((byte[] b) -> {
            byte[] r = new byte[b.length];
            for (int i = 0; i < b.length; i++) r[i] = (byte) (b[b.length - 1 - i] + 1);
            return r;
        }, List.of(big, new byte[] {1}), 1);
        assertEquals(big.length, out.get(0).length);
        for (int i = 0; i < big.length; i += 997) assertEquals((byte) (big[big.length - 1 - i] + 1), out.get(0)[i]);
        assertEquals(2, out.get(1)[0]);
    }

    @Test
    void explicitCodecs() {
        assertEquals(List.of(2L, 4L), pool.map((Integer x) -> 2L * x, List.of(1, 2), 1, Codec.ints(), Codec.longs()));
        assertEquals(List.of(new Point(2, 1)), pool.map((Point p) -> new Point(p.y(), p.x()), List.of(new Point(1, 2)), 1,
                PoolCodecs.record(Point.class), PoolCodecs.record(Point.class)));
    }

    @Test
    void getWithTimeoutTimesOut() throws Exception {
        CompletableFuture<String> f = pool.submit(() -> {
            Thread.sleep(30_000);
            return "late";
        });
        assertThrows(TimeoutException.class, () -> f.get(200, TimeUnit.MILLISECONDS));
        assertTrue(f.cancel(true));
    }

    @Test
    void cancellingARunningTaskInterruptsItAndFreesTheWorker() throws Exception {
        // Two long tasks occupy both workers; cancelling them must free the workers quickly.
        List<CompletableFuture<String>> long2 = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            long2.add(pool.submit(() -> {
                Thread.sleep(60_000);
                return "not interrupted";
            }));
        }
        CompletableFuture<Integer> queued = pool.submit(() -> 1);
        Thread.sleep(300); // let them start
        long t0 = System.nanoTime();
        for (CompletableFuture<String> f : long2) assertTrue(f.cancel(true));
        assertTrue(long2.get(0).isCancelled());
        assertThrows(CancellationException.class, () -> long2.get(1).get());
        assertEquals(1, queued.get(30, TimeUnit.SECONDS));
        assertEquals(List.of(1, 2, 3), pool.map(x -> x + 1, List.of(0, 1, 2), 1));
        assertTrue(System.nanoTime() - t0 < TimeUnit.SECONDS.toNanos(20), "the interrupted workers did not come back quickly");
    }

    @Test
    void cancellingAMapStopsItsRemainingTasks() throws Exception {
        CompletableFuture<List<Integer>> f = pool.mapAsync(x -> {
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return x;
        }, range(2000), 1);
        Thread.sleep(100);
        assertTrue(f.cancel(true));
        long t0 = System.nanoTime();
        assertEquals(List.of(7), pool.map(x -> x, List.of(7)));
        assertTrue(System.nanoTime() - t0 < TimeUnit.SECONDS.toNanos(10), "the cancelled map kept the workers busy");
    }

    @Test
    void manyDistinctClosuresAreForgottenByTheWorkers() throws Exception {
        List<CompletableFuture<Integer>> fs = new ArrayList<>();
        for (int i = 0; i < 300; i++) {
            int k = i;
            fs.add(pool.submit(() -> k * 2));
        }
        for (int i = 0; i < fs.size(); i++) assertEquals(2 * i, fs.get(i).get(30, TimeUnit.SECONDS));
        assertTrue(pool.functions.liveCount() <= 64 + 2, "idle definitions are bounded: " + pool.functions.liveCount());
    }

    @Test
    void statsCount() {
        long before = pool.stats().tasksCompleted();
        pool.map(x -> x, range(10), 1);
        assertTrue(pool.stats().tasksCompleted() >= before + 10);
        assertEquals(2, pool.stats().workersStarted());
        assertTrue(pool.stats().meanStartup().toMillis() > 0);
    }
}
