package dev.shmkit.sync;

import dev.shmkit.shm.OpenMode;
import dev.shmkit.shm.SharedMemory;
import dev.shmkit.testkit.Child;
import dev.shmkit.testkit.ChildJvm;
import dev.shmkit.testkit.Names;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static dev.shmkit.sync.TestSupport.INT;
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
 * {@link SharedSemaphore} and {@link SharedBoundedSemaphore} between processes: the permits
 * bound concurrency, timed acquisition, the bound, releases by processes that hold nothing, and
 * the permits of a killed holder going to a waiter in another process.
 */
class SharedSemaphoreTest {
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

    // ------------------------------------------------------------------ concurrency bound

    /** Data: holders now (int), most holders seen (int), sections done (int), over-limit sightings (int). */
    private static final long NOW = 0, MAX = 4, DONE = 8, OVER = 12;
    private static final int PERMITS = 2;
    private static final int ITERATIONS = 1500;
    private static final int THREADS = 2;

    /** Child: two threads passing through the semaphore, after the parent's "go". */
    public static final class Crowd {
        public static void main(String[] args) throws Exception {
            try (SharedSemaphore sem = SharedSemaphore.open(args[0]); SharedMemory data = SharedMemory.open(args[1])) {
                Child.say("ready");
                Child.await("go");
                crowd(sem, data.segment(), Integer.parseInt(args[2]));
                Child.say("done held=" + sem.heldByThisProcess());
            }
        }
    }

    static void crowd(SharedSemaphore sem, MemorySegment data, int n) throws Exception {
        List<TestSupport.Task<Void>> threads = new ArrayList<>();
        for (int t = 0; t < THREADS; t++) {
            threads.add(task("crowd-" + t, () -> {
                for (int i = 0; i < n; i++) {
                    switch (i % 3) {
                        case 0 -> sem.acquire();
                        case 1 -> sem.acquireUninterruptibly();
                        default -> {
                            if (!sem.tryAcquire(1, TimeUnit.MINUTES)) throw new AssertionError("tryAcquire timed out");
                        }
                    }
                    try {
                        int now = (int) INT.getAndAdd(data, NOW, 1) + 1;
                        if (now > PERMITS) INT.getAndAdd(data, OVER, 1);
                        int max;
                        while (now > (max = (int) INT.getVolatile(data, MAX)) && !INT.compareAndSet(data, MAX, max, now)) {
                            Thread.onSpinWait();
                        }
                        for (int spin = 0; spin < 200; spin++) Thread.onSpinWait();
                        INT.getAndAdd(data, NOW, -1);
                        INT.getAndAdd(data, DONE, 1);
                    } finally {
                        sem.release();
                    }
                }
                return null;
            }));
        }
        for (TestSupport.Task<Void> t : threads) t.join();
    }

    @Test
    void permitsLimitConcurrencyAcrossThreeProcesses() throws Exception {
        String name = Names.unique("sem-crowd");
        String dataName = Names.unique("sem-data");
        try (SharedSemaphore sem = SharedSemaphore.create(name, PERMITS); SharedMemory data = SharedMemory.create(dataName, 64)) {
            try (ChildJvm a = ChildJvm.start(Crowd.class, name, dataName, "" + ITERATIONS);
                 ChildJvm b = ChildJvm.start(Crowd.class, name, dataName, "" + ITERATIONS)) {
                a.expectLine("ready");
                b.expectLine("ready");
                long t0 = System.nanoTime();
                a.send("go");
                b.send("go");
                crowd(sem, data.segment(), ITERATIONS);
                a.expectLine("done held=0");
                b.expectLine("done held=0");
                a.assertSuccess();
                b.assertSuccess();
                System.out.println("semaphore: " + 3 * THREADS * ITERATIONS + " passages in " + millisSince(t0)
                        + " ms, at most " + (int) INT.get(data.segment(), MAX) + " holders at once");
            }
            MemorySegment d = data.segment();
            assertEquals(0, (int) INT.get(d, OVER), "more holders than permits");
            assertEquals(PERMITS, (int) INT.get(d, MAX), "the two permits were used at once");
            assertEquals(3 * THREADS * ITERATIONS, (int) INT.get(d, DONE));
            assertEquals(PERMITS, sem.availablePermits());
            assertEquals(0, sem.heldByThisProcess());
            assertEquals(0, sem.reclaimedPermits());
            assertEquals(-1, sem.bound());
        } finally {
            SharedSemaphore.unlink(name);
            SharedMemory.unlink(dataName);
        }
    }

    // ------------------------------------------------------------------ with the agent

    @Test
    void timedAcquisitionAgainstAHolderInAnotherProcess() throws Exception {
        String name = Names.unique("sem-timed");
        try (SharedSemaphore sem = SharedSemaphore.create(name, 2)) {
            assertEquals(name, sem.name());
            agent.ok("openSem S " + name);
            agent.begin("acquire S 2 5000");
            assertTrue(agent.okResult().startsWith("true "));
            assertEquals("available=0 held=2 reclaimed=0", agent.ok("permits S"));
            assertEquals(0, sem.availablePermits());

            assertFalse(sem.tryAcquire());
            long t0 = System.nanoTime();
            assertFalse(sem.tryAcquire(200, TimeUnit.MILLISECONDS));
            long waited = millisSince(t0);
            assertTrue(waited >= 200 && waited < 10_000, "tryAcquire(200 ms) returned after " + waited + " ms");
            // zero or negative timeouts do not wait (-1 ns would mean "no deadline" inside)
            t0 = System.nanoTime();
            assertFalse(guarded("tryAcquire(0)", () -> sem.tryAcquire(0, TimeUnit.SECONDS)));
            assertFalse(guarded("tryAcquire(-1 ns)", () -> sem.tryAcquire(-1, TimeUnit.NANOSECONDS)));
            assertFalse(guarded("tryAcquire(2, -1 s)", () -> sem.tryAcquire(2, -1, TimeUnit.SECONDS)));
            assertTrue(millisSince(t0) < 1000);

            // a waiter here gets the permit the other process releases
            var waiter = task("tryAcquire(30 s)", () -> sem.tryAcquire(30, TimeUnit.SECONDS));
            until(() -> sem.waiters() >= 1, "the waiter sleeps on the semaphore");
            agent.ok("release S 1");
            assertTrue(waiter.join());
            assertEquals(1, sem.heldByThisProcess());
            assertEquals("available=0 held=1 reclaimed=0", agent.ok("permits S"));

            // interrupting a sleeping acquire
            var interrupted = task("acquire()", () -> {
                sem.acquire();
                return "acquired";
            });
            until(() -> sem.waiters() >= 1, "the waiter sleeps on the semaphore");
            interrupted.interrupt();
            assertInstanceOf(InterruptedException.class, interrupted.joinFailure());
            assertEquals(0, sem.availablePermits(), "an interrupted acquire takes nothing");

            // acquireUninterruptibly keeps the status and waits on
            var patient = task("acquireUninterruptibly()", () -> {
                sem.acquireUninterruptibly();
                return Thread.currentThread().isInterrupted();
            });
            until(() -> sem.waiters() >= 1, "the waiter sleeps on the semaphore");
            patient.interrupt();
            agent.ok("release S 1");
            assertTrue(patient.join(), "interrupt status kept");
            assertEquals(2, sem.heldByThisProcess());
            assertEquals("available=0 held=0 reclaimed=0", agent.ok("permits S"));
            sem.release(2);
            assertEquals(2, sem.availablePermits());
            assertEquals(0, sem.heldByThisProcess());

            // bad counts
            assertThrows(IllegalArgumentException.class, () -> sem.acquire(0));
            assertThrows(IllegalArgumentException.class, () -> sem.release(0));
            assertThrows(IllegalArgumentException.class, () -> sem.tryAcquire(-1));
            assertThrows(IllegalArgumentException.class, () -> SharedSemaphore.create(Names.unique("sem-neg"), -1));
            agent.ok("close S");
        } finally {
            SharedSemaphore.unlink(name);
        }
    }

    @Test
    void boundedOverReleaseThrowsAndChangesNothing() {
        String name = Names.unique("sem-bounded");
        try (SharedBoundedSemaphore sem = SharedBoundedSemaphore.create(name, 2)) {
            assertEquals(2, sem.bound());
            IllegalStateException e = assertThrows(IllegalStateException.class, sem::release);
            assertTrue(e.getMessage().contains("bound 2"), e.getMessage());
            assertEquals(2, sem.availablePermits());

            // the bound lives in shared memory: a process that opened it as a plain semaphore obeys it
            agent.ok("openSem B " + name);
            assertTrue(agent.ex("release B 1").startsWith("IllegalStateException"));
            assertEquals(2, sem.availablePermits());
            agent.begin("acquire B 1 5000");
            assertTrue(agent.okResult().startsWith("true "));
            assertThrows(IllegalStateException.class, () -> sem.release(2));
            assertEquals(1, sem.availablePermits(), "a refused release changes nothing");
            assertEquals("available=1 held=1 reclaimed=0", agent.ok("permits B"));
            agent.ok("release B 1");
            assertEquals(2, sem.availablePermits());
            assertTrue(agent.ex("release B 1").startsWith("IllegalStateException"));
            assertEquals("available=2 held=0 reclaimed=0", agent.ok("permits B"));

            // sizes and kinds
            assertThrows(IllegalArgumentException.class, () -> SharedBoundedSemaphore.create(Names.unique("sem-neg"), -1));
            String plain = Names.unique("sem-plain");
            try (SharedSemaphore unbounded = SharedSemaphore.create(plain, 1)) {
                IllegalStateException notBounded = assertThrows(IllegalStateException.class,
                        () -> SharedBoundedSemaphore.open(plain, OpenMode.OPEN_EXISTING, 1, 0600));
                assertTrue(notBounded.getMessage().contains("not bounded"), notBounded.getMessage());
                assertEquals(-1, unbounded.bound());
            } finally {
                SharedSemaphore.unlink(plain);
            }
            agent.ok("close B");
        } finally {
            SharedSemaphore.unlink(name);
        }
    }

    @Test
    void releaseByAProcessHoldingNothingAddsPermits() throws Exception {
        String name = Names.unique("sem-signal");
        try (SharedSemaphore sem = SharedSemaphore.create(name, 0)) {
            agent.ok("openSem S " + name);
            var waiter = task("acquire(3)", () -> {
                sem.acquire(3);
                return sem.heldByThisProcess();
            });
            until(() -> sem.waiters() >= 1, "the waiter sleeps on the semaphore");
            agent.ok("release S 3");
            assertEquals(3, waiter.join());
            assertEquals("available=0 held=0 reclaimed=0", agent.ok("permits S"));

            // beyond the initial count too: an unbounded semaphore has no upper limit
            agent.ok("release S 2");
            sem.release(3);
            assertEquals(5, sem.availablePermits());
            assertEquals(0, sem.heldByThisProcess());
            agent.begin("acquire S 5 5000");
            assertTrue(agent.okResult().startsWith("true "));
            assertEquals(0, sem.availablePermits());
            agent.ok("release S 5");
            agent.ok("close S");
        } finally {
            SharedSemaphore.unlink(name);
        }
    }

    @Test
    void permitsOfAKilledHolderGoToAWaiterInAnotherProcess() throws Exception {
        String name = Names.unique("sem-kill");
        try (SharedSemaphore sem = SharedSemaphore.create(name, 2);
             Agent victim = Agent.start()) {
            victim.ok("openSem S " + name);
            victim.begin("acquire S 2 5000");
            assertTrue(victim.okResult().startsWith("true "));
            assertEquals("available=0 held=2 reclaimed=0", victim.ok("permits S"));

            agent.ok("openSem S " + name);
            agent.begin("acquire S 2 30000");
            until(() -> sem.waiters() >= 1, "the other process sleeps on the semaphore");
            assertFalse(sem.tryAcquire());

            long killed = System.nanoTime();
            victim.jvm().process().destroyForcibly();
            victim.jvm().waitFor();
            long reaped = System.nanoTime();
            String r = agent.okResult();
            long got = System.nanoTime();
            assertTrue(r.startsWith("true "), r);
            System.out.printf("semaphore: a killed holder's permits reached the waiter %.1f ms after SIGKILL, %.1f ms after reaping%n",
                    TestSupport.millis(got - killed), TestSupport.millis(got - reaped));
            assertEquals(2, sem.reclaimedPermits());
            assertEquals(0, sem.availablePermits());
            assertEquals("available=0 held=2 reclaimed=2", agent.ok("permits S"));

            agent.ok("release S 2");
            assertEquals(2, sem.availablePermits(), "nothing was given back twice");
            assertTrue(sem.tryAcquire(2));
            sem.release(2);
            assertEquals(2, sem.reclaimedPermits());
            agent.ok("close S");
        } finally {
            SharedSemaphore.unlink(name);
        }
    }

    @Test
    void placedInASegment() {
        String name = Names.unique("sem-seg");
        try (SharedMemory shm = SharedMemory.create(name, 1024)) {
            SharedBoundedSemaphore sem = SharedBoundedSemaphore.create(shm.segment(), 64, 1);
            assertEquals(SharedSemaphore.SIZE, SyncKind.SEMAPHORE.size());
            agent.ok("openAt S sem " + name + " 64");
            agent.begin("acquire S 1 5000");
            assertTrue(agent.okResult().startsWith("true "));
            assertFalse(sem.tryAcquire());
            agent.ok("release S 1");
            assertTrue(sem.tryAcquire());
            assertThrows(IllegalStateException.class, () -> sem.release(2));
            sem.release();
            assertThrows(IndexOutOfBoundsException.class, () -> SharedSemaphore.create(shm.segment(), 1024 - 64, 1));
            agent.ok("close S");
        } finally {
            SharedMemory.unlink(name);
        }
    }
}
