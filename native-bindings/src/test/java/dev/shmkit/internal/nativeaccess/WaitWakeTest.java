package dev.shmkit.internal.nativeaccess;

import dev.shmkit.os.InvalidArgumentException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * WaitWake within one process: a waiter thread and a waker thread on a word of an
 * {@code Arena.ofShared()} segment. No sleeps synchronize anything: waiters loop until the word
 * changed, and a waker that must know a waiter is asleep repeats wake until the kernel reports
 * one woken. Every test is bounded by a timeout in a separate thread, since a thread stuck in
 * futex does not answer interrupts.
 */
@Timeout(value = 10, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class WaitWakeTest {
    private static final VarHandle INT = ValueLayout.JAVA_INT.varHandle();
    private static final Duration BOUND = Duration.ofSeconds(8);

    private Arena arena;
    private MemorySegment word;
    private final List<Thread> threads = new CopyOnWriteArrayList<>();

    @BeforeEach
    void allocate() {
        arena = Arena.ofShared();
        word = arena.allocate(ValueLayout.JAVA_INT);
        INT.setVolatile(word, 0L, 0);
    }

    @AfterEach
    void release() throws InterruptedException {
        // Release any waiter left by a failed test before the memory goes away.
        for (Thread t : threads) {
            INT.setVolatile(word, 0L, 0x7eadbeef);
            WaitWake.wake(word, Integer.MAX_VALUE);
            t.join(TimeUnit.SECONDS.toMillis(5));
        }
        boolean stuck = threads.stream().anyMatch(Thread::isAlive);
        if (!stuck) arena.close(); // a stuck thread keeps the memory rather than wait on freed memory
        assertFalse(stuck, "a waiter thread did not finish");
    }

    private Thread start(String name, Runnable body, AtomicReference<Throwable> failure) {
        Thread t = Thread.ofPlatform().daemon().name(name).unstarted(() -> {
            try {
                body.run();
            } catch (Throwable e) {
                failure.compareAndSet(null, e);
            }
        });
        threads.add(t);
        t.start();
        return t;
    }

    private static int get(MemorySegment w) {
        return (int) INT.getVolatile(w, 0L);
    }

    @Test
    void awaitReturnsValueChangedAtOnceWhenTheWordDiffers() {
        INT.setVolatile(word, 0L, 1);
        assertEquals(WaitWake.VALUE_CHANGED, WaitWake.await(word, 2, -1));
        assertEquals(WaitWake.VALUE_CHANGED, WaitWake.await(word, 0, TimeUnit.SECONDS.toNanos(5)));
    }

    @Test
    void awaitAcceptsAHugeTimeout() {
        // Long.MAX_VALUE nanoseconds must reach the kernel as a valid timespec, not EINVAL.
        INT.setVolatile(word, 0L, 1);
        assertEquals(WaitWake.VALUE_CHANGED, WaitWake.await(word, 0, Long.MAX_VALUE));
    }

    @Test
    void timedAwaitTimesOut() {
        long timeout = TimeUnit.MILLISECONDS.toNanos(20);
        long start = System.nanoTime();
        int result = WaitWake.await(word, 0, timeout);
        long elapsed = System.nanoTime() - start;
        assertEquals(WaitWake.TIMED_OUT, result);
        assertTrue(elapsed >= timeout, "returned after " + elapsed + " ns, before the 20 ms timeout");
        assertTrue(elapsed < TimeUnit.SECONDS.toNanos(5), "returned after " + elapsed + " ns");
        assertEquals(0, get(word), "await does not write the word");
    }

    @Test
    void zeroTimeoutReturnsAtOnce() {
        assertEquals(WaitWake.TIMED_OUT, WaitWake.await(word, 0, 0));
    }

    @Test
    void wakeWithNobodyWaitingReturnsZero() {
        assertEquals(0, WaitWake.wake(word, 1));
        assertEquals(0, WaitWake.wake(word, Integer.MAX_VALUE));
    }

    /** The brief's scenario: another thread sets the word and wakes; the waiter may not be asleep yet. */
    @Test
    void wakerThreadSetsTheWordAndWakesTheWaiter() throws Throwable {
        AtomicReference<Throwable> failure = new AtomicReference<>();
        List<Integer> results = new CopyOnWriteArrayList<>();
        Thread waiter = start("waiter", () -> {
            while (get(word) == 0) results.add(WaitWake.await(word, 0, -1));
        }, failure);
        Thread waker = start("waker", () -> {
            INT.setVolatile(word, 0L, 1);
            WaitWake.wake(word, Integer.MAX_VALUE);
        }, failure);
        waker.join(BOUND.toMillis());
        waiter.join(BOUND.toMillis());
        assertNull(failure.get(), () -> "thread failed: " + failure.get());
        assertFalse(waiter.isAlive(), "waiter still waiting after the word changed and wake was called");
        for (int r : results) {
            assertTrue(r == WaitWake.WOKEN || r == WaitWake.VALUE_CHANGED, "unexpected result " + r + " in " + results);
        }
        assertEquals(1, get(word));
    }

    /**
     * A waiter known to be asleep: the main thread repeats wake(word, 1) until the kernel says it
     * woke someone, which proves the waiter was in futex wait and that its await returns WOKEN.
     */
    @ParameterizedTest(name = "timeout {0} ns")
    @ValueSource(longs = {-1L, 30_000_000_000L, Long.MAX_VALUE})
    void wakeOfASleepingWaiterReturnsOneAndTheWaiterSeesWoken(long timeoutNanos) throws Throwable {
        AtomicReference<Throwable> failure = new AtomicReference<>();
        List<Integer> results = new CopyOnWriteArrayList<>();
        Thread waiter = start("waiter", () -> {
            while (get(word) == 0) results.add(WaitWake.await(word, 0, timeoutNanos));
        }, failure);

        int woken = assertTimeoutPreemptively(BOUND, () -> {
            int n;
            while ((n = WaitWake.wake(word, 1)) == 0) {
                if (failure.get() != null) throw new AssertionError("waiter failed", failure.get());
                Thread.onSpinWait();
            }
            return n;
        });
        assertEquals(1, woken, "one waiter, count 1");

        INT.setVolatile(word, 0L, 1);
        WaitWake.wake(word, Integer.MAX_VALUE);
        waiter.join(BOUND.toMillis());
        assertFalse(waiter.isAlive());
        assertNull(failure.get(), () -> "waiter failed: " + failure.get());
        assertTrue(results.contains(WaitWake.WOKEN), "the woken waiter saw " + results);
        assertFalse(results.contains(WaitWake.TIMED_OUT), "no wait timed out: " + results);
    }

    @Test
    void wakeAllAfterChangingTheWordReleasesEveryWaiter() throws Throwable {
        int n = 3;
        AtomicReference<Throwable> failure = new AtomicReference<>();
        List<Integer> results = new CopyOnWriteArrayList<>();
        for (int i = 0; i < n; i++) {
            start("waiter-" + i, () -> {
                while (get(word) == 0) results.add(WaitWake.await(word, 0, -1));
            }, failure);
        }
        INT.setVolatile(word, 0L, 1);
        int woken = WaitWake.wake(word, Integer.MAX_VALUE);
        assertTrue(woken >= 0 && woken <= n, "woke " + woken + " of " + n);
        for (Thread t : threads) {
            t.join(BOUND.toMillis());
            assertFalse(t.isAlive(), t.getName() + " still waiting: a wake-up was lost");
        }
        assertNull(failure.get(), () -> "waiter failed: " + failure.get());
        for (int r : results) {
            assertTrue(r == WaitWake.WOKEN || r == WaitWake.VALUE_CHANGED, "unexpected result " + r + " in " + results);
        }
    }

    @Test
    void misalignedWordIsRefusedWithInvalidArgument() {
        MemorySegment wide = arena.allocate(8, 8);
        MemorySegment odd = wide.asSlice(1, 4);
        // A short timeout, so that a kernel that did not refuse it would time out rather than hang.
        InvalidArgumentException e = assertThrows(InvalidArgumentException.class,
                () -> WaitWake.await(odd, 0, TimeUnit.MILLISECONDS.toNanos(20)));
        assertEquals(Consts.EINVAL, e.errno());
        if (Consts.LINUX) assertTrue(e.getMessage().startsWith("futex(FUTEX_WAIT, 0): EINVAL"), e.getMessage());
    }
}
