package dev.shmkit.shm;

import dev.shmkit.testkit.Names;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * {@link Futex} between processes: a child JVM ({@link ShmPeer}) sleeping on a word in a
 * {@link SharedMemory} or {@link SysVSharedMemory} segment is woken by this JVM and the other way
 * round; one wakeAll reaches several processes; and the single-process contract (timeouts,
 * immediate returns, argument checks).
 *
 * <p>No sleeps: "is the other side asleep on the word?" is answered by the futex itself, by
 * spinning {@code Futex.wake(..., 1)} until it reports one woken. That wake is a spurious one for
 * the sleeper, which re-checks the word, finds it unchanged and sleeps again; it also proves that
 * the kernel keyed both processes' operations to the same word (a private futex would never
 * report a waiter from another process). Deadlines only guard against hangs.
 */
class FutexCrossProcessTest {
    private static final VarHandle INT = ShmPeer.INT;
    private static final long GUARD_NANOS = TimeUnit.SECONDS.toNanos(60);

    /** Spins until a waiter is queued on the word and has been woken once; returns how many spins. */
    private static long wakeOneSleeper(MemorySegment seg, long offset, Peer peer) {
        long deadline = System.nanoTime() + GUARD_NANOS;
        long spins = 0;
        while (Futex.wake(seg, offset, 1) == 0) {
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError("peer " + peer.pid() + " never slept on the word\n" + peer.jvm().stderr());
            }
            spins++;
            Thread.onSpinWait();
        }
        return spins;
    }

    private static int woken(String answer) {
        return Integer.parseInt(answer.split(" ")[1]);
    }

    @Test
    void childWaitsParentWakes() {
        String name = Names.unique("futex-c");
        try (Peer child = Peer.start();
             SharedMemory m = SharedMemory.create(name, 64)) {
            MemorySegment seg = m.segment();
            assertEquals("64 false", child.ok("open " + name));
            child.send("await 0 0");
            child.expectLine("waiting");

            wakeOneSleeper(seg, 0, child);
            // the child is awake but the word is still 0: it must go back to sleep, not return
            INT.setRelease(seg, 0L, 42);
            int n = Futex.wake(seg, 0, 1);
            assertTrue(n == 0 || n == 1, "wake(1) woke " + n);

            String answer = child.okAnswer("await 0 0");
            assertEquals("42", answer.split(" ")[0]);
            assertTrue(woken(answer) >= 1, "the child slept and was woken at least once: " + answer);
            child.exit();
        } finally {
            SharedMemory.unlink(name);
        }
    }

    @Test
    void parentWaitsChildWakes() {
        String name = Names.unique("futex-p");
        try (Peer child = Peer.start();
             SharedMemory m = SharedMemory.create(name, 64)) {
            MemorySegment seg = m.segment();
            child.ok("open " + name);
            // the child spins wake(1) until this thread is asleep on the word, then sets 99 and wakes
            child.send("wakeWhenSleeping 12 99");
            long deadline = System.nanoTime() + GUARD_NANOS;
            int trueReturns = 0;
            while ((int) INT.getAcquire(seg, 12L) == 0) {
                // 1 s slices only so that a broken peer fails the test instead of hanging it
                if (Futex.await(seg, 12, 0, 1, TimeUnit.SECONDS)) trueReturns++;
                if (System.nanoTime() - deadline > 0) throw new AssertionError("never woken\n" + child.jvm().stderr());
            }
            assertEquals(99, (int) INT.getAcquire(seg, 12L));
            assertTrue(trueReturns >= 1, "this thread was woken by the child");
            String wakeResult = child.okAnswer("wakeWhenSleeping");
            assertTrue(List.of("0", "1").contains(wakeResult), wakeResult);
            child.exit();
        } finally {
            SharedMemory.unlink(name);
        }
    }

    @Test
    void wakeAllReachesEveryWaitingProcess() {
        String name = Names.unique("futex-all");
        List<Peer> peers = Peer.start(3);
        try (SharedMemory m = SharedMemory.create(name, 64)) {
            MemorySegment seg = m.segment();
            // a reader needs no write access to wait: two of the three map the object read-only
            assertEquals("64 false", peers.get(0).ok("open " + name));
            assertEquals("64 false", peers.get(1).ok("openReadOnly " + name));
            assertEquals("64 false", peers.get(2).ok("openReadOnly " + name));
            for (Peer p : peers) p.send("await 8 0");
            for (Peer p : peers) p.expectLine("waiting");
            // each says "waiting" just before its first await: it may not be asleep yet, which is
            // fine, because every one re-checks the word before sleeping and loops on it
            INT.setRelease(seg, 8L, 7);
            int n = Futex.wakeAll(seg, 8);
            assertTrue(n >= 0 && n <= 3, "wakeAll woke " + n);
            for (Peer p : peers) {
                assertEquals("7", p.okAnswer("await 8 0").split(" ")[0]);
            }
            for (Peer p : peers) p.exit();
        } finally {
            peers.forEach(Peer::close);
            SharedMemory.unlink(name);
        }
    }

    @Test
    void wordInASysVSegment() {
        SysVSharedMemory m = SysVSharedMemory.createPrivate(4096, 0600);
        try (Peer child = Peer.start()) {
            MemorySegment seg = m.segment();
            assertEquals("0x00000000 4096", child.ok("sysvAttach " + m.id()));
            child.send("await 4092 0");
            child.expectLine("waiting");
            wakeOneSleeper(seg, 4092, child);
            INT.setRelease(seg, 4092L, -5);
            Futex.wake(seg, 4092, 1);
            String answer = child.okAnswer("await 4092 0");
            assertEquals("-5", answer.split(" ")[0]);
            assertTrue(woken(answer) >= 1, answer);
            child.exit();
        } finally {
            m.remove();
            m.detach();
        }
    }

    // ------------------------------------------------------------------ single-process contract

    @Test
    void timedAwaitReturnsFalseWhenNobodyWakes() {
        String name = Names.unique("futex-t");
        try (SharedMemory m = SharedMemory.create(name, 64)) {
            MemorySegment seg = m.segment();
            long t0 = System.nanoTime();
            assertFalse(Futex.await(seg, 0, 0, 50, TimeUnit.MILLISECONDS));
            long elapsed = System.nanoTime() - t0;
            assertTrue(elapsed >= TimeUnit.MILLISECONDS.toNanos(50), "returned after " + elapsed + " ns");
            t0 = System.nanoTime();
            assertFalse(Futex.await(seg, 0, 0, 2_000_000, TimeUnit.NANOSECONDS));
            assertTrue(System.nanoTime() - t0 >= 2_000_000);
            // zero or negative timeouts do not sleep
            assertFalse(Futex.await(seg, 0, 0, 0, TimeUnit.SECONDS));
            assertFalse(Futex.await(seg, 0, 0, -1, TimeUnit.SECONDS));
        } finally {
            SharedMemory.unlink(name);
        }
    }

    @Test
    void awaitReturnsAtOnceWhenTheWordHoldsAnotherValue() {
        String name = Names.unique("futex-v");
        try (SharedMemory m = SharedMemory.create(name, 64)) {
            MemorySegment seg = m.segment();
            seg.set(ValueLayout.JAVA_INT, 4, 5);
            // untimed: false, "did not sleep"
            assertFalse(Futex.await(seg, 4, 4));
            // timed: true, "re-check your condition"; it would otherwise have slept for an hour
            assertTrue(Futex.await(seg, 4, 4, 1, TimeUnit.HOURS));
            assertTrue(Futex.await(seg, 4, 4, 0, TimeUnit.SECONDS));
            assertTrue(Futex.await(seg, 4, 4, -1, TimeUnit.SECONDS));
            assertFalse(Futex.await(seg, 4, 5, 0, TimeUnit.SECONDS));
            // the comparison is of all 32 bits, whatever their sign
            seg.set(ValueLayout.JAVA_INT, 4, -1);
            assertFalse(Futex.await(seg, 4, Integer.MAX_VALUE));
            assertFalse(Futex.await(seg, 4, -1, 1, TimeUnit.MILLISECONDS));
            // nobody waits: wake reports none
            assertEquals(0, Futex.wake(seg, 4, 1));
            assertEquals(0, Futex.wakeAll(seg, 4));
        } finally {
            SharedMemory.unlink(name);
        }
    }

    @Test
    void badOffsetsCountsAndSegmentsAreRefused() {
        String name = Names.unique("futex-a");
        try (SharedMemory m = SharedMemory.create(name, 64)) {
            MemorySegment seg = m.segment();
            for (long off : new long[]{1, 2, 3, 5, 59}) {
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Futex.await(seg, off, 0, 0, TimeUnit.SECONDS));
                assertEquals("futex word at " + off + " is not 4-byte aligned", e.getMessage());
                assertThrows(IllegalArgumentException.class, () -> Futex.wake(seg, off, 1));
                assertThrows(IllegalArgumentException.class, () -> Futex.await(seg, off, 0));
            }
            // alignment is of the address, not of the offset within the segment
            MemorySegment shifted = seg.asSlice(2);
            assertThrows(IllegalArgumentException.class, () -> Futex.wake(shifted, 0, 1));
            assertEquals(0, Futex.wake(shifted, 2, 1));

            for (long off : new long[]{-4, -1, 61, 64, 1L << 40, Long.MAX_VALUE, Long.MIN_VALUE}) {
                IndexOutOfBoundsException e = assertThrows(IndexOutOfBoundsException.class, () -> Futex.wake(seg, off, 1));
                assertEquals("futex word at " + off + " is outside the segment of 64 bytes", e.getMessage());
                assertThrows(IndexOutOfBoundsException.class, () -> Futex.await(seg, off, 0));
                assertThrows(IndexOutOfBoundsException.class, () -> Futex.await(seg, off, 0, 1, TimeUnit.MILLISECONDS));
            }
            assertEquals(0, Futex.wake(seg, 60, 1), "the last whole word is fine");
            assertThrows(IndexOutOfBoundsException.class, () -> Futex.wake(seg.asSlice(0, 3), 0, 1));

            for (int count : new int[]{0, -1, Integer.MIN_VALUE}) {
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Futex.wake(seg, 0, count));
                assertEquals("count must be positive, was " + count, e.getMessage());
            }

            MemorySegment heap = MemorySegment.ofArray(new int[16]);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Futex.wake(heap, 0, 1));
            assertEquals("a futex word must be in native (shared) memory", e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> Futex.await(heap, 0, 0));

            // private memory is accepted (only shared mappings reach other processes, but threads meet there)
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment own = arena.allocate(8, 4);
                assertEquals(0, Futex.wake(own, 0, 1));
                assertFalse(Futex.await(own, 4, 1));
            }
        } finally {
            SharedMemory.unlink(name);
        }
    }

    @Test
    void aClosedMappingIsRefused() {
        String name = Names.unique("futex-closed");
        try {
            SharedMemory m = SharedMemory.create(name, 64);
            MemorySegment seg = m.segment();
            m.close();
            assertThrows(IllegalStateException.class, () -> Futex.wake(seg, 0, 1));
            assertThrows(IllegalStateException.class, () -> Futex.await(seg, 0, 0, 1, TimeUnit.MILLISECONDS));
            assertThrows(IllegalStateException.class, () -> Futex.await(seg, 0, 0, 0, TimeUnit.MILLISECONDS));
        } finally {
            SharedMemory.unlink(name);
        }
    }

    @Test
    void closingWhileAnotherThreadSleepsOnTheWordIsRefused() throws Throwable {
        // the thread's kernel id, to find it in /proc/self/task
        MethodHandle gettid = Linker.nativeLinker().downcallHandle(
                Linker.nativeLinker().defaultLookup().find("gettid").orElseThrow(), FunctionDescriptor.of(ValueLayout.JAVA_INT));
        String name = Names.unique("futex-close");
        SharedMemory m = SharedMemory.create(name, 64);
        try {
            MemorySegment seg = m.segment();
            AtomicInteger tid = new AtomicInteger();
            Thread waiter = Thread.ofPlatform().daemon().start(() -> {
                try {
                    tid.set((int) gettid.invokeExact());
                } catch (Throwable t) {
                    throw new AssertionError(t);
                }
                while ((int) INT.getAcquire(seg, 0L) == 0) Futex.await(seg, 0, 0);
            });
            // Wait until the kernel shows the thread blocked in futex(2) on this very word: then it is
            // inside the downcall, which holds the mapping's arena acquired. Polling kernel state, no sleep.
            long deadline = System.nanoTime() + GUARD_NANOS;
            while (tid.get() == 0) {
                if (System.nanoTime() - deadline > 0) throw new AssertionError("waiter did not start");
                Thread.onSpinWait();
            }
            Path syscall = Path.of("/proc/self/task", Integer.toString(tid.get()), "syscall");
            assumeTrue(Files.isReadable(syscall), "cannot read " + syscall);
            String blocked = dev.shmkit.internal.nativeaccess.Consts.SYS_futex + " 0x" + Long.toHexString(seg.address()) + " ";
            String state = "";
            while (!state.startsWith(blocked)) {
                if (System.nanoTime() - deadline > 0) throw new AssertionError("waiter never blocked in futex: " + state);
                Thread.yield();
                state = Files.readString(syscall);
            }

            IllegalStateException e = assertThrows(IllegalStateException.class, m::close);
            assertEquals("SharedMemory " + name + " is being accessed by another thread; not unmapped", e.getMessage());
            assertFalse(m.isClosed(), "a refused close leaves the instance open");
            assertEquals(0, m.segment().get(ValueLayout.JAVA_INT, 0));

            INT.setRelease(seg, 0L, 1);
            Futex.wakeAll(seg, 0);
            waiter.join(GUARD_NANOS / 1_000_000);
            assertFalse(waiter.isAlive());
            m.close();
            assertTrue(m.isClosed());
        } finally {
            try {
                m.close();
            } finally {
                SharedMemory.unlink(name);
            }
        }
    }

    @Test
    void threadsOfOneProcessMeetOnTheWordToo() throws Exception {
        String name = Names.unique("futex-th");
        try (SharedMemory m = SharedMemory.create(name, 64)) {
            MemorySegment seg = m.segment();
            int[] result = new int[2];
            Thread waiter = Thread.ofPlatform().daemon().start(() -> {
                int woken = 0;
                while ((int) INT.getAcquire(seg, 16L) == 0) {
                    if (Futex.await(seg, 16, 0)) woken++;
                }
                result[0] = (int) INT.getAcquire(seg, 16L);
                result[1] = woken;
            });
            long deadline = System.nanoTime() + GUARD_NANOS;
            while (Futex.wake(seg, 16, 1) == 0) {
                if (System.nanoTime() - deadline > 0 || !waiter.isAlive()) throw new AssertionError("waiter never slept");
                Thread.onSpinWait();
            }
            INT.setRelease(seg, 16L, 3);
            Futex.wakeAll(seg, 16);
            waiter.join(GUARD_NANOS / 1_000_000);
            assertFalse(waiter.isAlive());
            assertEquals(3, result[0]);
            assertTrue(result[1] >= 1);
        } finally {
            SharedMemory.unlink(name);
        }
    }
}
