package dev.shmkit.sync;

import dev.shmkit.shm.SharedMemory;
import dev.shmkit.testkit.Names;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

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
 * {@link SharedEvent} between this process and three {@link SyncAgent} children, which keep
 * the event open for the whole class (each test starts with it cleared).
 */
class SharedEventTest {
    private static final String NAME = Names.unique("event");
    private static SharedEvent event;
    private static List<Agent> agents;

    @BeforeAll
    static void setUp() {
        event = SharedEvent.create(NAME);
        agents = Agent.start(3);
        for (Agent a : agents) a.ok("openEvent E " + NAME);
    }

    @AfterAll
    static void tearDown() {
        try {
            for (Agent a : agents) {
                if (a.inStep()) a.exit();
                else a.close();
            }
        } finally {
            event.close();
            SharedEvent.unlink(NAME);
        }
    }

    @BeforeEach
    void cleared() {
        for (int i = 0; i < agents.size(); i++) agents.set(i, agents.get(i).inStepOrReplaced());
        for (Agent a : agents) a.ok("openEvent E " + NAME);
        event.clear();
    }

    @Test
    void setWakesWaitersInThreeProcessesAtOnce() {
        for (Agent a : agents) a.begin("awaitEvent E 30000"); // each says "started" just before it waits
        until(() -> event.waiters() >= 3, "all three processes sleep on the event");
        long t0 = System.nanoTime();
        event.set();
        for (Agent a : agents) {
            String r = a.okResult(Duration.ofSeconds(30));
            assertTrue(r.startsWith("true "), r);
        }
        System.out.println("event: three waiting processes released within " + millisSince(t0) + " ms of set()");
        assertTrue(event.isSet());
        for (Agent a : agents) assertEquals("true", a.ok("isSet E"));
    }

    @Test
    void awaitTimesOutWhileNotSet() throws Exception {
        agents.get(0).begin("awaitEvent E 200");
        String r = agents.get(0).okResult();
        assertTrue(r.startsWith("false elapsed="), r);
        long elapsed = Long.parseLong(r.substring("false elapsed=".length()));
        assertTrue(elapsed >= 200 && elapsed < 10_000, r);

        long t0 = System.nanoTime();
        assertFalse(event.await(100, TimeUnit.MILLISECONDS));
        assertTrue(millisSince(t0) >= 100);
        // zero and negative timeouts do not wait
        t0 = System.nanoTime();
        assertFalse(guarded("await(0)", () -> event.await(0, TimeUnit.SECONDS)));
        assertFalse(guarded("await(-1 ns)", () -> event.await(-1, TimeUnit.NANOSECONDS)));
        assertTrue(millisSince(t0) < 1000);
        assertFalse(event.isSet());
    }

    @Test
    void setAndClearAreSeenByEveryProcess() throws Exception {
        for (Agent a : agents) assertEquals("false", a.ok("isSet E"));
        agents.get(1).ok("set E");
        assertTrue(event.isSet());
        assertEquals("true", agents.get(0).ok("isSet E"));
        assertEquals("true", agents.get(2).ok("isSet E"));
        // while set, waits return at once, even with no time to wait
        agents.get(0).begin("awaitEvent E 0");
        assertTrue(agents.get(0).okResult().startsWith("true "));
        assertTrue(guarded("await()", () -> {
            event.await();
            return true;
        }));
        assertTrue(event.await(0, TimeUnit.SECONDS));

        agents.get(2).ok("clear E");
        assertFalse(event.isSet());
        assertEquals("false", agents.get(0).ok("isSet E"));
        assertEquals("false", agents.get(1).ok("isSet E"));
        agents.get(0).begin("awaitEvent E 50");
        assertTrue(agents.get(0).okResult().startsWith("false "), "cleared: waits again");

        // set twice, clear twice: idempotent
        event.set();
        event.set();
        assertEquals("true", agents.get(2).ok("isSet E"));
        agents.get(1).ok("clear E");
        agents.get(1).ok("clear E");
        assertFalse(event.isSet());
    }

    @Test
    void aSetterInAnotherProcessWakesAWaiterHere() throws Exception {
        var waiter = task("await", () -> {
            event.await();
            return event.isSet();
        });
        until(() -> event.waiters() >= 1, "the waiter sleeps on the event");
        agents.get(2).ok("set E");
        assertTrue(waiter.join());
    }

    @Test
    void awaitIsInterruptible() {
        var waiter = task("await", () -> {
            event.await();
            return "returned";
        });
        until(() -> event.waiters() >= 1, "the waiter sleeps on the event");
        waiter.interrupt();
        assertInstanceOf(InterruptedException.class, waiter.joinFailure());
        Thread.currentThread().interrupt();
        assertThrows(InterruptedException.class, () -> event.await(1, TimeUnit.SECONDS));
        assertFalse(Thread.interrupted());
    }

    @Test
    void placedInASegment() {
        String name = Names.unique("event-seg");
        try (SharedMemory shm = SharedMemory.create(name, 64)) {
            SharedEvent e = SharedEvent.create(shm.segment(), 16);
            assertEquals(16, SharedEvent.SIZE);
            assertEquals(null, e.name());
            Agent a = agents.get(0);
            a.ok("openAt S event " + name + " 16");
            a.begin("awaitEvent S 30000");
            until(() -> e.waiters() >= 1, "the other process sleeps on the event");
            e.set();
            assertTrue(a.okResult().startsWith("true "));
            a.ok("close S");
        } finally {
            SharedMemory.unlink(name);
        }
    }

    /**
     * The class documentation says "set() wakes every waiter of every process" (and set()'s own:
     * "Sets the flag and wakes every waiter"). A set() followed at once by clear() (a pulse) does
     * wake the sleeping waiters, but each re-checks the flag, and one that finds it already clear
     * goes back to sleep until its timeout: whether a waiter is released depends on timing.
     * Python's threading.Event releases every waiter (wait() returns True); multiprocessing.Event's
     * wait() wakes and returns False. Either way each waiter returns; here it may not.
     */
    @Test
    void aPulseReleasesTheWaitersThatWereSleeping() {
        for (Agent a : agents) a.begin("awaitEvent E 3000");
        until(() -> event.waiters() >= 3, "all three processes sleep on the event");
        event.set();
        event.clear();
        List<String> results = new java.util.ArrayList<>();
        for (Agent a : agents) results.add(a.okResult(Duration.ofSeconds(30)));
        for (String r : results) assertTrue(r.startsWith("true "), "waiters sleeping when set() was called were not released: " + results);
    }
}
