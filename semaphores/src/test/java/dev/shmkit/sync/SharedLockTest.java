package dev.shmkit.sync;

import dev.shmkit.os.ObjectNotFoundException;
import dev.shmkit.os.ProcessId;
import dev.shmkit.shm.SharedMemory;
import dev.shmkit.testkit.Child;
import dev.shmkit.testkit.ChildJvm;
import dev.shmkit.testkit.Names;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static dev.shmkit.sync.TestSupport.INT;
import static dev.shmkit.sync.TestSupport.LONG;
import static dev.shmkit.sync.TestSupport.guarded;
import static dev.shmkit.sync.TestSupport.millisSince;
import static dev.shmkit.sync.TestSupport.task;
import static dev.shmkit.sync.TestSupport.until;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link SharedLock} and {@link SharedReentrantLock} between processes: mutual exclusion, timed
 * and interruptible acquisition against a holder in another process, misuse, placement in a
 * segment, header validation, and the pid-reuse guard of dead-owner detection. Recovery from
 * killed holders is {@link SharedLockRecoveryTest}.
 *
 * <p>One {@link SyncAgent} child serves every test of the class as "the other process".
 */
class SharedLockTest {
    private static Agent agent;

    @BeforeAll
    static void startAgent() {
        agent = Agent.start();
    }

    @AfterEach
    void agentInStep() {
        agent = agent.inStepOrReplaced();
    }

    @AfterAll
    static void stopAgent() {
        agent.exit();
    }

    private static SharedLock create(String kind, String name) {
        return kind.equals("rlock") ? SharedReentrantLock.create(name) : SharedLock.create(name);
    }

    // ------------------------------------------------------------------ mutual exclusion

    /** Data layout: per lock a counter (long), the threads inside (int), exclusion violations (int). */
    private static final long PLAIN = 0;
    private static final long REENTRANT = 16;
    private static final long BAD_HOLD_COUNTS = 32;
    private static final int ITERATIONS = 3000;
    private static final int THREADS = 2;

    /** Child: two threads hammering both locks, after the parent's "go". */
    public static final class MutexWorker {
        public static void main(String[] args) throws Exception {
            try (SharedLock lock = SharedLock.open(args[0]);
                 SharedReentrantLock rlock = SharedReentrantLock.open(args[1]);
                 SharedMemory data = SharedMemory.open(args[2])) {
                Child.say("ready");
                Child.await("go");
                hammer(lock, rlock, data.segment(), Integer.parseInt(args[3]));
                Child.say("done");
            }
        }
    }

    /** {@link #THREADS} threads, each taking each lock {@code n} times around a non-atomic increment. */
    static void hammer(SharedLock lock, SharedReentrantLock rlock, MemorySegment data, int n) throws Exception {
        List<TestSupport.Task<Void>> threads = new ArrayList<>();
        for (int t = 0; t < THREADS; t++) {
            threads.add(task("hammer-" + t, () -> {
                for (int i = 0; i < n; i++) {
                    // every way of acquiring, in turn
                    switch (i % 3) {
                        case 0 -> lock.lock();
                        case 1 -> lock.lockInterruptibly();
                        default -> {
                            if (!lock.tryLock(1, TimeUnit.MINUTES)) throw new AssertionError("tryLock timed out");
                        }
                    }
                    try {
                        critical(data, PLAIN);
                    } finally {
                        lock.unlock();
                    }
                    rlock.lock();
                    try {
                        rlock.lock();
                        try {
                            if (rlock.getHoldCount() != 2) INT.getAndAdd(data, BAD_HOLD_COUNTS, 1);
                            critical(data, REENTRANT);
                        } finally {
                            rlock.unlock();
                        }
                        if (rlock.getHoldCount() != 1) INT.getAndAdd(data, BAD_HOLD_COUNTS, 1);
                    } finally {
                        rlock.unlock();
                    }
                }
                return null;
            }));
        }
        for (TestSupport.Task<Void> t : threads) t.join();
    }

    /** A read-modify-write that loses updates unless exclusive, plus an explicit occupancy check. */
    private static void critical(MemorySegment data, long base) {
        if ((int) INT.getAndAdd(data, base + 8, 1) != 0) INT.getAndAdd(data, base + 12, 1);
        long v = data.get(ValueLayout.JAVA_LONG, base);
        Thread.onSpinWait();
        data.set(ValueLayout.JAVA_LONG, base, v + 1);
        INT.getAndAdd(data, base + 8, -1);
    }

    @Test
    void mutualExclusionAcrossThreeProcessesOfTwoThreadsEach() throws Exception {
        String lockName = Names.unique("lock-mx");
        String rlockName = Names.unique("rlock-mx");
        String dataName = Names.unique("lock-data");
        try (SharedLock lock = SharedLock.create(lockName);
             SharedReentrantLock rlock = SharedReentrantLock.create(rlockName);
             SharedMemory data = SharedMemory.create(dataName, 64)) {
            try (ChildJvm a = ChildJvm.start(MutexWorker.class, lockName, rlockName, dataName, "" + ITERATIONS);
                 ChildJvm b = ChildJvm.start(MutexWorker.class, lockName, rlockName, dataName, "" + ITERATIONS)) {
                a.expectLine("ready");
                b.expectLine("ready");
                long t0 = System.nanoTime();
                a.send("go");
                b.send("go");
                hammer(lock, rlock, data.segment(), ITERATIONS);
                a.expectLine("done");
                b.expectLine("done");
                a.assertSuccess();
                b.assertSuccess();
                System.out.println("mutual exclusion: " + 2 * 3 * THREADS * ITERATIONS + " critical sections in " + millisSince(t0) + " ms");
            }
            MemorySegment d = data.segment();
            long expected = 3L * THREADS * ITERATIONS;
            assertEquals(0, (int) INT.get(d, PLAIN + 12), "plain lock: threads found another inside");
            assertEquals(0, (int) INT.get(d, REENTRANT + 12), "reentrant lock: threads found another inside");
            assertEquals(0, (int) INT.get(d, BAD_HOLD_COUNTS), "wrong hold counts");
            assertEquals(expected, d.get(ValueLayout.JAVA_LONG, PLAIN), "plain lock: lost updates");
            assertEquals(expected, d.get(ValueLayout.JAVA_LONG, REENTRANT), "reentrant lock: lost updates");
            assertFalse(lock.isLocked());
            assertFalse(rlock.isLocked());
            assertEquals(0, lock.recoveries());
        } finally {
            SharedLock.unlink(lockName);
            SharedLock.unlink(rlockName);
            SharedMemory.unlink(dataName);
        }
    }

    // ------------------------------------------------------------------ held by another process

    @ParameterizedTest
    @ValueSource(strings = {"lock", "rlock"})
    void whileAnotherProcessHoldsIt(String kind) throws Exception {
        String name = Names.unique("lock-held");
        try (SharedLock lock = create(kind, name)) {
            agent.ok("openLock L " + kind + " " + name);
            agent.ok("lock L");
            assertTrue(lock.isLocked());
            assertEquals(agent.pid(), lock.ownerPid());
            assertFalse(lock.isHeldByCurrentThread());
            assertFalse(lock.ownerDied());

            assertFalse(lock.tryLock());
            // a timeout of zero or less does not wait (-1 ns would mean "no deadline" inside)
            long t0 = System.nanoTime();
            assertFalse(guarded("tryLock(0)", () -> lock.tryLock(0, TimeUnit.SECONDS)));
            assertFalse(guarded("tryLock(-1 ns)", () -> lock.tryLock(-1, TimeUnit.NANOSECONDS)));
            assertFalse(guarded("tryLock(-5 s)", () -> lock.tryLock(-5, TimeUnit.SECONDS)));
            assertTrue(millisSince(t0) < 1000, "non-positive timeouts took " + millisSince(t0) + " ms");

            t0 = System.nanoTime();
            assertFalse(lock.tryLock(200, TimeUnit.MILLISECONDS));
            long waited = millisSince(t0);
            assertTrue(waited >= 200 && waited < 10_000, "tryLock(200 ms) returned after " + waited + " ms");

            // not the holder: neither this thread nor any thread of this process may unlock
            assertThrows(IllegalMonitorStateException.class, lock::unlock);
            assertInstanceOf(IllegalMonitorStateException.class, task("other", () -> {
                lock.unlock();
                return null;
            }).joinFailure());
            assertEquals(agent.pid(), lock.ownerPid(), "a refused unlock changed nothing");

            agent.ok("unlock L");
            assertFalse(lock.isLocked());
            assertTrue(lock.tryLock(1, TimeUnit.SECONDS));
            try {
                assertEquals(ProcessHandle.current().pid(), lock.ownerPid());
                assertEquals("false", agent.ok("tryLock L 0"));
                assertEquals("false", agent.ok("tryLock L 100"));
                assertTrue(agent.ex("unlock L").startsWith("IllegalMonitorStateException"));
            } finally {
                lock.unlock();
            }
            assertEquals("true died=false recoveries=0", agent.ok("tryLock L 5000"));
            agent.ok("unlock L");
        } finally {
            agent.quietly("close L");
            SharedLock.unlink(name);
        }
    }

    @Test
    void lockInterruptiblyIsInterruptedWhileSleeping() throws Exception {
        String name = Names.unique("lock-int");
        try (SharedLock lock = SharedLock.create(name)) {
            agent.ok("openLock L lock " + name);
            agent.ok("lock L");
            var waiter = task("lockInterruptibly", () -> {
                lock.lockInterruptibly();
                return "acquired";
            });
            until(() -> lock.waiters() >= 1, "the waiter sleeps on the lock");
            long t0 = System.nanoTime();
            waiter.interrupt();
            assertInstanceOf(InterruptedException.class, waiter.joinFailure());
            System.out.println("lockInterruptibly: interrupt noticed after " + millisSince(t0) + " ms");
            assertEquals(agent.pid(), lock.ownerPid());
            agent.ok("unlock L");

            // interrupted before the call: thrown even though the lock is free, which stays free
            Thread.currentThread().interrupt();
            assertThrows(InterruptedException.class, lock::lockInterruptibly);
            assertFalse(Thread.interrupted(), "the status is cleared by the exception");
            assertFalse(lock.isLocked());
        } finally {
            Thread.interrupted();
            agent.quietly("close L");
            SharedLock.unlink(name);
        }
    }

    @Test
    void timedTryLockIsInterruptedWhileSleeping() throws Exception {
        String name = Names.unique("lock-tint");
        try (SharedReentrantLock lock = SharedReentrantLock.create(name)) {
            agent.ok("openLock L rlock " + name);
            agent.ok("lock L");
            var waiter = task("tryLock(1 min)", () -> lock.tryLock(1, TimeUnit.MINUTES));
            until(() -> lock.waiters() >= 1, "the waiter sleeps on the lock");
            long t0 = System.nanoTime();
            waiter.interrupt();
            assertInstanceOf(InterruptedException.class, waiter.joinFailure());
            System.out.println("tryLock(timeout): interrupt noticed after " + millisSince(t0) + " ms");
            agent.ok("unlock L");

            Thread.currentThread().interrupt();
            assertThrows(InterruptedException.class, () -> lock.tryLock(1, TimeUnit.SECONDS));
            assertFalse(lock.isLocked());
        } finally {
            Thread.interrupted();
            agent.quietly("close L");
            SharedLock.unlink(name);
        }
    }

    @Test
    void lockIgnoresInterruptsAndKeepsTheStatus() throws Exception {
        String name = Names.unique("lock-unint");
        try (SharedLock lock = SharedLock.create(name)) {
            agent.ok("openLock L lock " + name);
            agent.ok("lock L");
            var waiter = task("lock()", () -> {
                lock.lock();
                try {
                    return "held=" + lock.isHeldByCurrentThread() + " interrupted=" + Thread.currentThread().isInterrupted();
                } finally {
                    lock.unlock();
                }
            });
            until(() -> lock.waiters() >= 1, "the waiter sleeps on the lock");
            waiter.interrupt();
            // the interrupt changes nothing: the other process still holds the lock, the waiter
            // waits on (were lock() to return without the lock, it would report held=false)
            assertEquals(agent.pid(), lock.ownerPid());
            agent.ok("unlock L");
            assertEquals("held=true interrupted=true", waiter.join());

            // interrupted before the call, on a free lock
            Thread.currentThread().interrupt();
            lock.lock();
            try {
                assertTrue(Thread.currentThread().isInterrupted());
                assertTrue(lock.isHeldByCurrentThread());
            } finally {
                lock.unlock();
                Thread.interrupted();
            }
        } finally {
            Thread.interrupted();
            agent.quietly("close L");
            SharedLock.unlink(name);
        }
    }

    // ------------------------------------------------------------------ misuse and reentrancy

    @Test
    void aPlainLockIsNotReentrant() throws Exception {
        String name = Names.unique("lock-twice");
        try (SharedLock lock = SharedLock.create(name)) {
            agent.ok("openLock L lock " + name);
            lock.lock();
            try {
                IllegalStateException e = assertThrows(IllegalStateException.class, lock::lock);
                assertTrue(e.getMessage().contains("not reentrant"), e.getMessage());
                assertThrows(IllegalStateException.class, lock::lockInterruptibly);
                assertFalse(lock.tryLock(1, TimeUnit.SECONDS), "tryLock(timeout) by the holder fails at once");
                assertFalse(lock.tryLock(), "tryLock() by the holder just fails");
                assertTrue(lock.isHeldByCurrentThread(), "still held once");
                assertEquals("false", agent.ok("tryLock L 50"));
            } finally {
                lock.unlock();
            }
            // one unlock released it: nothing was counted
            assertFalse(lock.isLocked());
            assertThrows(IllegalMonitorStateException.class, lock::unlock);
            assertEquals("true died=false recoveries=0", agent.ok("tryLock L 5000"));
            agent.ok("unlock L");
        } finally {
            agent.quietly("close L");
            SharedLock.unlink(name);
        }
    }

    @Test
    void reentrantHoldCounts() throws Exception {
        String name = Names.unique("rlock-holds");
        try (SharedReentrantLock lock = SharedReentrantLock.create(name)) {
            agent.ok("openLock R rlock " + name);
            assertEquals(0, lock.getHoldCount());
            lock.lock();
            lock.lockInterruptibly();
            assertTrue(lock.tryLock());
            assertTrue(lock.tryLock(1, TimeUnit.SECONDS));
            assertEquals(4, lock.getHoldCount());
            assertEquals("0", agent.ok("holdCount R"));
            assertEquals("false", agent.ok("tryLock R 50"));
            lock.unlock();
            lock.unlock();
            lock.unlock();
            assertEquals(1, lock.getHoldCount());
            assertEquals("false", agent.ok("tryLock R 50"), "still held once");
            lock.unlock();
            assertEquals(0, lock.getHoldCount());
            assertFalse(lock.isLocked());
            assertThrows(IllegalMonitorStateException.class, lock::unlock);

            assertEquals("true died=false recoveries=0", agent.ok("tryLock R 5000"));
            assertEquals("holds=2", agent.ok("lock R"));
            assertEquals(0, lock.getHoldCount(), "held by the other process, not by this one");
            assertThrows(IllegalMonitorStateException.class, lock::unlock);
            agent.ok("unlock R");
            assertEquals("1", agent.ok("holdCount R"));
            assertFalse(lock.tryLock(50, TimeUnit.MILLISECONDS));
            agent.ok("unlock R");
            assertTrue(lock.tryLock(5, TimeUnit.SECONDS));
            assertEquals(1, lock.getHoldCount());
            lock.unlock();
        } finally {
            agent.quietly("close R");
            SharedLock.unlink(name);
        }
    }

    @Test
    void conditionsAreNotCreatedByTheLock() {
        String name = Names.unique("lock-cond");
        try (SharedLock lock = SharedLock.create(name)) {
            assertThrows(UnsupportedOperationException.class, lock::newCondition);
            assertEquals(name, lock.name());
            assertTrue(lock.toString().contains("free"), lock.toString());
        } finally {
            SharedLock.unlink(name);
        }
    }

    // ------------------------------------------------------------------ placement and validation

    @Test
    void placedAtAnOffsetOfASegmentAndOpenedByAnotherProcess() throws Exception {
        String shmName = Names.unique("lock-seg");
        try (SharedMemory shm = SharedMemory.create(shmName, 512)) {
            MemorySegment seg = shm.segment();
            seg.fill((byte) 0x5a);
            SharedLock lock = SharedLock.create(seg, 64);
            assertEquals(64, SharedLock.SIZE);
            assertEquals(SharedLock.SIZE, SyncKind.LOCK.size());
            assertEquals(null, lock.name());
            assertThrows(IllegalStateException.class, lock::unlink, "no name to unlink");

            agent.ok("openAt L lock " + shmName + " 64");
            agent.ok("lock L");
            assertEquals(agent.pid(), lock.ownerPid());
            // the lock word, as the layout says, at 64 + 8 of the segment: pid in the low 31 bits
            long word = (long) LONG.getVolatile(seg, 64 + LockDescriptor.WORD_OFFSET);
            assertEquals(agent.pid(), word & LockDescriptor.PID_MASK);
            assertEquals(ProcessId.lookup((int) agent.pid()).orElseThrow().startToken(), (int) (word >>> 32));
            assertFalse(lock.tryLock(100, TimeUnit.MILLISECONDS));
            agent.ok("unlock L");
            assertTrue(lock.tryLock(1, TimeUnit.SECONDS));
            assertEquals("false", agent.ok("tryLock L 50"));
            lock.unlock();
            assertEquals("true died=false recoveries=0", agent.ok("tryLock L 1000"));
            agent.ok("unlock L");
            agent.ok("close L");

            // nothing outside [64, 128) was touched
            for (long i = 0; i < 512; i++) {
                if (i >= 64 && i < 128) continue;
                assertEquals((byte) 0x5a, seg.get(ValueLayout.JAVA_BYTE, i), "byte " + i);
            }
        } finally {
            SharedMemory.unlink(shmName);
        }
    }

    @Test
    void offsetsMustBeAlignedAndInRange() {
        String shmName = Names.unique("lock-bounds");
        try (SharedMemory shm = SharedMemory.create(shmName, 512)) {
            MemorySegment seg = shm.segment();
            assertThrows(IllegalArgumentException.class, () -> SharedLock.create(seg, 65));
            assertThrows(IllegalArgumentException.class, () -> SharedLock.create(seg, 4));
            assertThrows(IllegalArgumentException.class, () -> SharedLock.open(seg, 12));
            assertThrows(IllegalArgumentException.class, () -> SharedReentrantLock.create(seg, 1));
            IndexOutOfBoundsException e = assertThrows(IndexOutOfBoundsException.class, () -> SharedLock.create(seg, 456));
            assertTrue(e.getMessage().contains("456") && e.getMessage().contains("512"), e.getMessage());
            assertThrows(IndexOutOfBoundsException.class, () -> SharedLock.create(seg, 512));
            assertThrows(IndexOutOfBoundsException.class, () -> SharedLock.create(seg, -8));
            assertThrows(IndexOutOfBoundsException.class, () -> SharedLock.open(seg, 1L << 40));
            SharedLock.create(seg, 448); // the last place that fits
            assertThrows(IllegalArgumentException.class, () -> SharedLock.create(MemorySegment.ofArray(new long[16]), 0),
                    "heap memory is not shared");
            try (SharedMemory ro = SharedMemory.openReadOnly(shmName)) {
                assertThrows(IllegalArgumentException.class, () -> SharedLock.open(ro.segment(), 448));
            }
            // the same checks in another process
            assertTrue(agent.ex("openAt L lock " + shmName + " 12").startsWith("IllegalArgumentException"));
            assertTrue(agent.ex("openAt L lock " + shmName + " 456").startsWith("IndexOutOfBoundsException"));
            agent.ok("openAt L lock " + shmName + " 448");
            agent.ok("close L");
        } finally {
            SharedMemory.unlink(shmName);
        }
    }

    @Test
    void regionsThatAreNotTheRightObjectAreRefused() {
        String shmName = Names.unique("lock-bad");
        try (SharedMemory shm = SharedMemory.create(shmName, 512)) {
            MemorySegment seg = shm.segment();
            // zeros: never initialized
            IllegalStateException zeros = assertThrows(IllegalStateException.class, () -> SharedLock.open(seg, 0));
            assertTrue(zeros.getMessage().contains("not a shmkit synchronization object"), zeros.getMessage());

            // another kind: the message names both
            SharedEvent.create(seg, 64);
            IllegalStateException kind = assertThrows(IllegalStateException.class, () -> SharedLock.open(seg, 64));
            assertTrue(kind.getMessage().contains("EVENT") && kind.getMessage().contains("LOCK"), kind.getMessage());
            SharedLock.create(seg, 128);
            IllegalStateException plain = assertThrows(IllegalStateException.class, () -> SharedReentrantLock.open(seg, 128));
            assertTrue(plain.getMessage().contains("REENTRANT_LOCK"), plain.getMessage());
            assertThrows(IllegalStateException.class, () -> SharedEvent.open(seg, 128));

            // a corrupt magic
            SharedLock.create(seg, 192);
            INT.setVolatile(seg, 192L, 0xdeadbeef);
            IllegalStateException magic = assertThrows(IllegalStateException.class, () -> SharedLock.open(seg, 192));
            assertTrue(magic.getMessage().contains("deadbeef"), magic.getMessage());

            // another layout version
            SharedLock.create(seg, 256);
            seg.set(ValueLayout.JAVA_SHORT, 256 + HeaderDescriptor.VERSION_OFFSET, (short) 99);
            IllegalStateException version = assertThrows(IllegalStateException.class, () -> SharedLock.open(seg, 256));
            assertTrue(version.getMessage().contains("version 99"), version.getMessage());

            // a kind code nobody knows
            SharedLock.create(seg, 320);
            seg.set(ValueLayout.JAVA_SHORT, 320 + HeaderDescriptor.KIND_OFFSET, (short) 77);
            IllegalStateException unknown = assertThrows(IllegalStateException.class, () -> SharedLock.open(seg, 320));
            assertTrue(unknown.getMessage().contains("unknown kind 77"), unknown.getMessage());

            // and what another process makes of them
            String z = agent.ex("openAt L lock " + shmName + " 0");
            assertTrue(z.startsWith("IllegalStateException") && z.contains("not a shmkit synchronization object"), z);
            String k = agent.ex("openAt L lock " + shmName + " 64");
            assertTrue(k.startsWith("IllegalStateException") && k.contains("EVENT") && k.contains("LOCK"), k);
            assertTrue(agent.ex("openAt L lock " + shmName + " 192").contains("deadbeef"));
            agent.ok("openAt L lock " + shmName + " 128");
            agent.ok("openAt E event " + shmName + " 64");
            agent.ok("close L");
            agent.ok("close E");
        } finally {
            SharedMemory.unlink(shmName);
        }
    }

    @Test
    void namedObjectsThatAreNotLocksAreRefusedAndKept() {
        String event = Names.unique("lock-ev");
        String lockName = Names.unique("lock-as-ev");
        String zeros = Names.unique("lock-zero");
        String small = Names.unique("lock-small");
        String missing = Names.unique("lock-missing");
        try (SharedEvent e = SharedEvent.create(event);
             SharedMemory z = SharedMemory.create(zeros, 64);
             SharedMemory s = SharedMemory.create(small, 8)) {
            // a named lock opened as an event: the message names both kinds and the object
            try (SharedLock lock = SharedLock.create(lockName)) {
                IllegalStateException kind = assertThrows(IllegalStateException.class, () -> SharedEvent.open(lockName));
                assertTrue(kind.getMessage().contains("EVENT") && kind.getMessage().contains("LOCK")
                        && kind.getMessage().contains(lockName), kind.getMessage());
                String other = agent.ex("openEvent E " + lockName);
                assertTrue(other.startsWith("IllegalStateException") && other.contains("EVENT") && other.contains("LOCK"), other);
                assertTrue(SharedMemory.exists(lockName), "a failed open must not remove the object");
                assertFalse(lock.isLocked());
            }
            // an event (16 bytes) opened as a lock (64) is refused naming both kinds
            IllegalStateException size = assertThrows(IllegalStateException.class, () -> SharedLock.open(event));
            assertTrue(size.getMessage().contains("is a EVENT, not a LOCK"), size.getMessage());
            String other = agent.ex("openLock L lock " + event);
            assertTrue(other.startsWith("IllegalStateException") && other.contains("LOCK"), other);
            assertTrue(SharedMemory.exists(event), "a failed open must not remove the object");

            IllegalStateException tooSmall = assertThrows(IllegalStateException.class, () -> SharedLock.open(small));
            assertTrue(tooSmall.getMessage().contains("smaller"), tooSmall.getMessage());

            // all zeros: the opener waits briefly for a creator still initializing, then refuses
            long t0 = System.nanoTime();
            Throwable never = task("open zeros", () -> SharedLock.open(zeros)).joinFailure();
            assertInstanceOf(IllegalStateException.class, never);
            assertTrue(never.getMessage().contains("not a shmkit synchronization object"), never.getMessage());
            System.out.println("open of an all-zero named region refused after " + millisSince(t0) + " ms");
            assertTrue(SharedMemory.exists(zeros));

            assertThrows(ObjectNotFoundException.class, () -> SharedLock.open(missing));
            assertFalse(SharedMemory.exists(missing));
        } finally {
            SharedMemory.unlink(event);
            SharedMemory.unlink(lockName);
            SharedMemory.unlink(zeros);
            SharedMemory.unlink(small);
        }
    }

    // ------------------------------------------------------------------ dead-owner detection

    @Test
    void aLiveProcessIsNotMistakenForADeadOwnerNorAReusedPidForALiveOne() throws Exception {
        String name = Names.unique("lock-pid");
        Process sleeper = new ProcessBuilder("sleep", "60").start();
        try (SharedLock lock = SharedLock.create(name)) {
            int pid = (int) sleeper.pid();
            ProcessId live = ProcessId.lookup(pid).orElseThrow();
            agent.ok("openLock L lock " + name);

            // the word of a holder with the sleeper's pid but another start time: a process that
            // died and whose pid the sleeper now has
            long reused = ((long) (live.startToken() + 1) << 32) | pid;
            LONG.setVolatile(lock.lock, LockDescriptor.WORD_OFFSET, reused);
            assertTrue(lock.isLocked());
            assertEquals(pid, lock.ownerPid());
            assertEquals("true died=true recoveries=1", agent.ok("tryLock L 5000"));
            assertEquals(agent.pid(), lock.ownerPid());
            assertEquals(1, lock.recoveries());
            agent.ok("unlock L");

            // the word of the live sleeper itself: never taken over
            long alive = ((long) live.startToken() << 32) | pid;
            LONG.setVolatile(lock.lock, LockDescriptor.WORD_OFFSET, alive);
            assertFalse(lock.tryLock(200, TimeUnit.MILLISECONDS));
            assertEquals("false", agent.ok("tryLock L 200"));
            assertEquals(1, lock.recoveries());
            assertEquals(alive, (long) LONG.getVolatile(lock.lock, LockDescriptor.WORD_OFFSET) & ~LockDescriptor.WAITERS_BIT);

            // until it dies (a holder that is not even a JVM)
            sleeper.destroyForcibly();
            sleeper.waitFor();
            long t0 = System.nanoTime();
            assertTrue(lock.tryLock(5, TimeUnit.SECONDS));
            try {
                System.out.println("lock of a killed sleep(1) recovered after " + millisSince(t0) + " ms");
                assertTrue(lock.ownerDied());
                assertEquals(2, lock.recoveries());
                assertEquals("false", agent.ok("tryLock L 20"));
            } finally {
                lock.unlock();
            }
            assertFalse(lock.isLocked());
        } finally {
            sleeper.destroyForcibly();
            agent.quietly("close L");
            SharedLock.unlink(name);
        }
    }
}
