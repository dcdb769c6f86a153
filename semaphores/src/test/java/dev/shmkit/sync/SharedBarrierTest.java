package dev.shmkit.sync;

import dev.shmkit.shm.SharedMemory;
import dev.shmkit.testkit.Names;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.BrokenBarrierException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import static dev.shmkit.sync.TestSupport.millisSince;
import static dev.shmkit.sync.TestSupport.task;
import static dev.shmkit.sync.TestSupport.until;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link SharedBarrier} with parties in this process and in two {@link SyncAgent} children
 * (kept for the whole class): generations, arrival indexes, and every way the barrier breaks for
 * the parties waiting in other processes: a timeout, an interrupt, a reset, a participant killed.
 */
class SharedBarrierTest {
    private static List<Agent> agents;

    @BeforeAll
    static void startAgents() {
        agents = new ArrayList<>(Agent.start(2));
    }

    @AfterEach
    void agentsInStep() {
        for (int i = 0; i < agents.size(); i++) {
            Agent a = agents.get(i).inStepOrReplaced();
            a.ok("close B"); // leave the barrier of the test that ended
            agents.set(i, a);
        }
    }

    @AfterAll
    static void stopAgents() {
        for (Agent a : agents) a.exit();
    }

    private static Agent a0() {
        return agents.get(0);
    }

    private static Agent a1() {
        return agents.get(1);
    }

    private static int index(String result) {
        assertTrue(result.startsWith("index="), result);
        return Integer.parseInt(result.substring("index=".length()));
    }

    private static void assertBroken(String exResult) {
        assertTrue(exResult.startsWith("BrokenBarrierException"), exResult);
    }

    @Test
    void threeProcessesPassSeveralGenerations() throws Exception {
        String name = Names.unique("barrier-gen");
        int generations = 6;
        try (SharedBarrier barrier = SharedBarrier.create(name, 3)) {
            assertEquals(3, barrier.parties());
            for (Agent a : agents) a.ok("openBarrier B " + name);
            for (Agent a : agents) a.begin("cycle B " + generations + " 30000");
            int[] mine = new int[generations];
            for (int g = 0; g < generations; g++) mine[g] = barrier.await(30, TimeUnit.SECONDS);
            int[][] theirs = new int[2][generations];
            for (int i = 0; i < 2; i++) {
                for (int g = 0; g < generations; g++) {
                    String line = agents.get(i).readLine();
                    String[] f = line.split(" ");
                    assertEquals("gen " + g, f[0] + " " + f[1], line);
                    theirs[i][g] = Integer.parseInt(f[2]);
                }
                assertEquals("", agents.get(i).okResult());
            }
            for (int g = 0; g < generations; g++) {
                Set<Integer> indexes = new TreeSet<>(List.of(mine[g], theirs[0][g], theirs[1][g]));
                assertEquals(Set.of(0, 1, 2), indexes, "generation " + g + ": arrival indexes " + mine[g] + ", "
                        + theirs[0][g] + ", " + theirs[1][g]);
            }
            assertEquals(0, barrier.numberWaiting());
            assertFalse(barrier.isBroken());
        } finally {
            SharedBarrier.unlink(name);
        }
    }

    @Test
    void aTimeoutBreaksItForTheOthersUntilReset() throws Exception {
        String name = Names.unique("barrier-timeout");
        try (SharedBarrier barrier = SharedBarrier.create(name, 4)) {
            for (Agent a : agents) a.ok("openBarrier B " + name);
            a0().begin("awaitBarrier B 30000");
            var local = task("await()", barrier::await);
            until(() -> barrier.numberWaiting() == 2, "two parties wait");

            long t0 = System.nanoTime();
            assertThrows(TimeoutException.class, () -> barrier.await(200, TimeUnit.MILLISECONDS));
            long waited = millisSince(t0);
            assertTrue(waited >= 200 && waited < 10_000, "await(200 ms) timed out after " + waited + " ms");
            assertBroken(a0().exResult(Duration.ofSeconds(30)));
            assertInstanceOf(BrokenBarrierException.class, local.joinFailure());

            // broken for everybody, and stays so
            assertTrue(barrier.isBroken());
            assertEquals("true", a1().ok("isBroken B"));
            assertEquals(0, barrier.numberWaiting());
            a1().begin("awaitBarrier B 30000");
            assertBroken(a1().exResult(Duration.ofSeconds(30)));
            assertThrows(BrokenBarrierException.class, barrier::await);

            // until another process resets it
            a1().ok("reset B");
            assertFalse(barrier.isBroken());
            assertEquals("false", a0().ok("isBroken B"));
            a0().begin("awaitBarrier B 30000");
            a1().begin("awaitBarrier B 30000");
            var again = task("await(30 s)", () -> barrier.await(30, TimeUnit.SECONDS));
            until(() -> barrier.numberWaiting() == 3, "three parties wait");
            int last = barrier.await(30, TimeUnit.SECONDS);
            Set<Integer> indexes = new TreeSet<>(List.of(last, again.join(), index(a0().okResult()), index(a1().okResult())));
            assertEquals(Set.of(0, 1, 2, 3), indexes);
            assertEquals(0, last, "the last to arrive gets 0");
            assertFalse(barrier.isBroken());
        } finally {
            SharedBarrier.unlink(name);
        }
    }

    @Test
    void nonPositiveTimeoutsDoNotWait() throws Exception {
        String name = Names.unique("barrier-zero");
        try (SharedBarrier barrier = SharedBarrier.create(name, 2)) {
            for (Agent a : agents) a.ok("openBarrier B " + name);
            assertThrows(TimeoutException.class, () -> barrier.await(0, TimeUnit.SECONDS));
            assertEquals("true", a0().ok("isBroken B"));
            barrier.reset();
            assertThrows(TimeoutException.class, () -> barrier.await(-1, TimeUnit.NANOSECONDS));
            barrier.reset();
            // the last party to arrive needs no time at all
            a0().begin("awaitBarrier B 30000");
            until(() -> barrier.numberWaiting() == 1, "one party waits");
            assertEquals(0, barrier.await(0, TimeUnit.SECONDS));
            assertEquals(1, index(a0().okResult()));
        } finally {
            SharedBarrier.unlink(name);
        }
    }

    @Test
    void anInterruptBreaksItForTheOthers() throws Exception {
        String name = Names.unique("barrier-int");
        try (SharedBarrier barrier = SharedBarrier.create(name, 3)) {
            for (Agent a : agents) a.ok("openBarrier B " + name);
            a0().begin("awaitBarrier B 30000");
            var local = task("await()", barrier::await);
            until(() -> barrier.numberWaiting() == 2, "two parties wait");
            local.interrupt();
            assertInstanceOf(InterruptedException.class, local.joinFailure());
            assertBroken(a0().exResult(Duration.ofSeconds(30)));
            assertEquals("true", a1().ok("isBroken B"));
            barrier.reset();
            assertEquals("false", a1().ok("isBroken B"));
        } finally {
            SharedBarrier.unlink(name);
        }
    }

    @Test
    void aResetBreaksItForThoseWaitingAndLeavesItUsable() throws Exception {
        String name = Names.unique("barrier-reset");
        try (SharedBarrier barrier = SharedBarrier.create(name, 2)) {
            a0().ok("openBarrier B " + name);
            a0().begin("awaitBarrier B 30000");
            until(() -> barrier.numberWaiting() == 1, "the other process waits");
            barrier.reset();
            assertBroken(a0().exResult(Duration.ofSeconds(30)));
            assertFalse(barrier.isBroken(), "reset leaves it usable");
            assertEquals(0, barrier.numberWaiting());

            a0().begin("awaitBarrier B 30000");
            int mine = barrier.await(30, TimeUnit.SECONDS);
            int theirs = index(a0().okResult());
            assertEquals(Set.of(0, 1), new TreeSet<>(List.of(mine, theirs)));

            // resetting with nobody waiting changes nothing
            barrier.reset();
            assertFalse(barrier.isBroken());
            a0().begin("awaitBarrier B 30000");
            until(() -> barrier.numberWaiting() == 1, "the other process waits");
            assertEquals(0, barrier.await(30, TimeUnit.SECONDS));
            assertEquals(1, index(a0().okResult()));
        } finally {
            SharedBarrier.unlink(name);
        }
    }

    @Test
    void aParticipantKilledWhileOthersWaitBreaksIt() throws Exception {
        String name = Names.unique("barrier-kill");
        try (SharedBarrier barrier = SharedBarrier.create(name, 4);
             Agent victim = Agent.start()) {
            victim.ok("openBarrier B " + name);
            for (Agent a : agents) a.ok("openBarrier B " + name);
            victim.begin("awaitBarrier B 60000");
            a0().begin("awaitBarrier B 60000");
            var local = task("await()", barrier::await);
            until(() -> barrier.numberWaiting() == 3, "three parties wait, one of them the victim");

            long killed = System.nanoTime();
            victim.jvm().process().destroyForcibly();
            victim.jvm().waitFor();
            assertBroken(a0().exResult(Duration.ofSeconds(30)));
            assertInstanceOf(BrokenBarrierException.class, local.joinFailure());
            System.out.println("barrier: broken for the waiters " + millisSince(killed) + " ms after a participant was killed");
            assertTrue(barrier.isBroken());

            // after a reset, the survivors (without the dead participant) pass together
            a1().ok("reset B");
            a0().begin("awaitBarrier B 30000");
            a1().begin("awaitBarrier B 30000");
            var again = task("await(30 s)", () -> barrier.await(30, TimeUnit.SECONDS));
            until(() -> barrier.numberWaiting() == 3, "three parties wait");
            int last = barrier.await(30, TimeUnit.SECONDS);
            Set<Integer> indexes = new TreeSet<>(List.of(last, again.join(), index(a0().okResult()), index(a1().okResult())));
            assertEquals(Set.of(0, 1, 2, 3), indexes);
            assertFalse(barrier.isBroken());
        } finally {
            SharedBarrier.unlink(name);
        }
    }

    @Test
    void placedInASegmentAndArgumentChecks() throws Exception {
        String name = Names.unique("barrier-seg");
        try (SharedMemory shm = SharedMemory.create(name, 2048)) {
            assertEquals(SharedBarrier.SIZE, SyncKind.BARRIER.size());
            try (SharedBarrier barrier = SharedBarrier.create(shm.segment(), 1024, 2)) {
                a0().ok("openAt B barrier " + name + " 1024");
                a0().begin("awaitBarrier B 30000");
                until(() -> barrier.numberWaiting() == 1, "the other process waits");
                assertEquals(0, barrier.await(30, TimeUnit.SECONDS));
                assertEquals(1, index(a0().okResult()));
                // a barrier is not a lock
                assertTrue(a1().ex("openAt B lock " + name + " 1024").startsWith("IllegalStateException"));
            }
            assertThrows(IllegalArgumentException.class, () -> SharedBarrier.create(shm.segment(), 0, 0));
            assertThrows(IndexOutOfBoundsException.class, () -> SharedBarrier.create(shm.segment(), 2048 - 8, 2));
        } finally {
            SharedMemory.unlink(name);
        }
        assertThrows(IllegalArgumentException.class, () -> SharedBarrier.create(Names.unique("barrier-none"), 0));
    }
}
