package dev.shmkit.cli;

import dev.shmkit.sync.NamedSemaphore;
import dev.shmkit.sync.SharedBarrier;
import dev.shmkit.sync.SharedEvent;
import dev.shmkit.sync.SharedLock;
import dev.shmkit.testkit.Child;
import dev.shmkit.testkit.ChildJvm;
import dev.shmkit.testkit.Names;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.concurrent.TimeUnit;

import static dev.shmkit.cli.CliTest.shmkit;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** sem, lock, event and barrier commands: objects made from the shell work from Java and back. */
class SyncCliTest {
    private final String name = Names.unique("sync-cli");

    @AfterEach
    void cleanup() {
        NamedSemaphore.unlink(name);
        SharedLock.unlink(name);
    }

    /** Holds the named lock until told to stop, or dies holding it. */
    public static final class LockHolder {
        public static void main(String[] args) {
            SharedLock lock = SharedLock.openOrCreate(args[0]);
            lock.lock();
            Child.say("holding");
            Child.listen();
            lock.unlock();
            lock.close();
            Child.say("released");
        }
    }

    @Test
    void semaphoreFromTheShellIsUsableFromJava() throws Exception {
        assertEquals(0, shmkit("sem", "create", name, "--value", "2").status());
        assertEquals("2", shmkit("sem", "value", name).out().trim());
        try (NamedSemaphore s = NamedSemaphore.open(name)) {
            assertTrue(s.tryAcquire());
            assertEquals(0, shmkit("sem", "wait", name, "--timeout", "1s").status());
            CliTest.Outcome timedOut = shmkit("sem", "wait", name, "--timeout", "100ms");
            assertEquals(3, timedOut.status());
            assertTrue(timedOut.err().contains("timed out after 100ms"), timedOut.err());
            assertEquals(0, shmkit("sem", "post", name, "--count", "3").status());
            assertEquals(3, s.value());
        }
        assertEquals(1, shmkit("sem", "create", name).status());
        assertEquals(0, shmkit("sem", "rm", name).status());
        assertEquals(1, shmkit("sem", "rm", name).status());
    }

    @Test
    void lockRunRunsTheCommandHoldingTheLockAndReturnsItsStatus() {
        CliTest.Outcome o = shmkit("lock", "run", name, "--", "sh", "-c", "exit 7");
        assertEquals(7, o.status(), o.err());
        assertEquals(127, shmkit("lock", "run", name, "--", "/nonexistent/program").status());
        try (SharedLock lock = SharedLock.open(name)) {
            assertFalse(lock.isLocked());
        }
        assertEquals(2, shmkit("lock", "run", name).status(), "a command is required");
    }

    @Test
    void lockRunTimesOutWhileAnotherProcessHoldsItAndRecoversWhenTheHolderDies() {
        try (ChildJvm holder = ChildJvm.start(LockHolder.class, name)) {
            holder.expectLine("holding");
            CliTest.Outcome busy = shmkit("lock", "run", name, "--timeout", "200ms", "--", "true");
            assertEquals(3, busy.status(), busy.err());
            CliTest.Outcome info = shmkit("lock", "info", name);
            assertTrue(info.out().contains("held: yes\n") && info.out().contains("owner-pid: " + holder.pid() + "\n"), info.out());
            holder.process().destroyForcibly();
            holder.waitFor();
            CliTest.Outcome after = shmkit("lock", "run", name, "--timeout", "10s", "--", "true");
            assertEquals(0, after.status(), after.err());
            assertTrue(after.err().contains("died; the lock was recovered"), after.err());
            assertTrue(shmkit("lock", "info", name).out().contains("recoveries: 1\n"));
        }
        assertEquals(0, shmkit("lock", "rm", name).status());
    }

    @Test
    void eventFromTheShell() throws Exception {
        assertEquals(0, shmkit("event", "create", name).status());
        assertEquals(3, shmkit("event", "wait", name, "--timeout", "50ms").status());
        try (SharedEvent e = SharedEvent.open(name)) {
            assertEquals(0, shmkit("event", "set", name).status());
            assertTrue(e.await(1, TimeUnit.SECONDS));
            assertEquals(0, shmkit("event", "wait", name).status());
            assertEquals(0, shmkit("event", "clear", name).status());
            assertFalse(e.isSet());
        }
        assertEquals(0, shmkit("event", "rm", name).status());
    }

    @Test
    void barrierFromTheShell() throws Exception {
        assertEquals(0, shmkit("barrier", "create", name, "--parties", "2").status());
        try (SharedBarrier b = SharedBarrier.open(name)) {
            Thread other = Thread.ofPlatform().start(() -> {
                try {
                    b.await(30, TimeUnit.SECONDS);
                } catch (Exception e) {
                    throw new AssertionError(e);
                }
            });
            CliTest.Outcome o = shmkit("barrier", "wait", name, "--timeout", "30s");
            other.join(30_000);
            assertEquals(0, o.status(), o.err());
            assertTrue(o.out().trim().equals("0") || o.out().trim().equals("1"), o.out());
            assertEquals(3, shmkit("barrier", "wait", name, "--timeout", "50ms").status());
            assertTrue(b.isBroken());
            CliTest.Outcome broken = shmkit("barrier", "wait", name);
            assertEquals(1, broken.status());
            assertTrue(broken.err().contains("is broken"), broken.err());
        }
        assertEquals(2, shmkit("barrier", "create", name + "x", "--parties", "0").status());
        assertEquals(0, shmkit("barrier", "rm", name).status());
    }
}
