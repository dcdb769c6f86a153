package dev.shmkit.sync;

import dev.shmkit.os.InvalidArgumentException;
import dev.shmkit.os.ObjectExistsException;
import dev.shmkit.os.ObjectNotFoundException;
import dev.shmkit.testkit.Names;
import dev.shmkit.testkit.Programs;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static dev.shmkit.sync.TestSupport.guarded;
import static dev.shmkit.sync.TestSupport.millisSince;
import static dev.shmkit.sync.TestSupport.task;
import static dev.shmkit.sync.TestSupport.untilInside;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * {@link NamedSemaphore} between this JVM, a {@link SyncAgent} child JVM and a C program using
 * {@code sem_open} on the same names.
 *
 * <p>A thread blocked in {@code acquire()} shows no waiter count (the kernel object has none);
 * the tests wait until its stack is inside {@code sem_timedwait}'s binding instead.
 */
class NamedSemaphoreTest {
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

    private static Path devShm(String name) {
        return Path.of("/dev/shm", "sem." + name.substring(1));
    }

    @Test
    void postAndWaitAcrossProcesses() throws Exception {
        String name = Names.unique("nsem");
        try (NamedSemaphore sem = NamedSemaphore.create(name, 0)) {
            assertTrue(sem.created());
            assertEquals(name, sem.name());
            assertTrue(Files.exists(devShm(name)), "appears as " + devShm(name));
            // "x" and "/x" name the same semaphore
            agent.ok("openNamed S " + name.substring(1));

            // the other process posts, a waiter here takes it
            var waiter = task("acquire()", () -> {
                sem.acquire();
                return "acquired";
            });
            untilInside(waiter.thread, "timedWait");
            agent.ok("post S 1");
            assertEquals("acquired", waiter.join());
            assertEquals(0, sem.value());

            // and the other way round
            agent.begin("semWait S 30000");
            sem.release();
            String r = agent.okResult();
            assertTrue(r.startsWith("true "), r);

            agent.ok("post S 3");
            assertEquals(3, sem.value());
            assertEquals("3", agent.ok("value S"));
            for (int i = 0; i < 3; i++) assertTrue(sem.tryAcquire());
            assertFalse(sem.tryAcquire());
            assertEquals("0", agent.ok("value S"));

            // timed waits that time out
            agent.begin("semWait S 200");
            r = agent.okResult();
            assertTrue(r.startsWith("false elapsed="), r);
            assertTrue(Long.parseLong(r.substring("false elapsed=".length())) >= 200, r);
            long t0 = System.nanoTime();
            assertFalse(sem.tryAcquire(200, TimeUnit.MILLISECONDS));
            long waited = millisSince(t0);
            assertTrue(waited >= 200 && waited < 10_000, "tryAcquire(200 ms) returned after " + waited + " ms");
            t0 = System.nanoTime();
            assertFalse(guarded("tryAcquire(0)", () -> sem.tryAcquire(0, TimeUnit.SECONDS)));
            assertFalse(guarded("tryAcquire(-1 ns)", () -> sem.tryAcquire(-1, TimeUnit.NANOSECONDS)));
            assertTrue(millisSince(t0) < 1000);
            assertThrows(IllegalArgumentException.class, () -> sem.release(0));

            // unlinked: the name is gone, the handles still work
            sem.unlink();
            assertFalse(Files.exists(devShm(name)), devShm(name) + " is gone after unlink");
            assertFalse(NamedSemaphore.unlink(name), "nothing left to unlink");
            agent.ok("post S 2");
            assertEquals(2, sem.value());
            assertThrows(ObjectNotFoundException.class, () -> NamedSemaphore.open(name));
            agent.ok("close S");
        } finally {
            NamedSemaphore.unlink(name);
        }
    }

    @Test
    void acquireIsInterruptible() throws Exception {
        String name = Names.unique("nsem-int");
        try (NamedSemaphore sem = NamedSemaphore.create(name, 0)) {
            agent.ok("openNamed S " + name);
            var waiter = task("acquire()", () -> {
                sem.acquire();
                return "acquired";
            });
            untilInside(waiter.thread, "timedWait");
            long t0 = System.nanoTime();
            waiter.interrupt();
            assertInstanceOf(InterruptedException.class, waiter.joinFailure());
            System.out.println("NamedSemaphore.acquire: interrupt noticed after " + millisSince(t0) + " ms");

            // it took nothing: the other process's post is still there
            agent.ok("post S 1");
            assertEquals(1, sem.value());
            Thread.currentThread().interrupt();
            assertThrows(InterruptedException.class, () -> sem.tryAcquire(1, TimeUnit.SECONDS));
            Thread.currentThread().interrupt();
            assertThrows(InterruptedException.class, () -> sem.tryAcquire(0, TimeUnit.SECONDS));
            assertEquals(1, sem.value());
            agent.ok("close S");
        } finally {
            Thread.interrupted();
            NamedSemaphore.unlink(name);
        }
    }

    @Test
    void closeWhileAnotherThreadWaits() throws Exception {
        String name = Names.unique("nsem-close");
        try {
            NamedSemaphore sem = NamedSemaphore.create(name, 0);
            var waiter = task("acquire()", () -> {
                sem.acquire();
                return "acquired";
            });
            untilInside(waiter.thread, "timedWait");
            long t0 = System.nanoTime();
            sem.close();
            assertInstanceOf(IllegalStateException.class, waiter.joinFailure());
            System.out.println("NamedSemaphore.close: the waiting thread got its IllegalStateException within " + millisSince(t0) + " ms");
            sem.close(); // idempotent
            assertThrows(IllegalStateException.class, sem::release);
            assertThrows(IllegalStateException.class, sem::tryAcquire);
            assertTrue(sem.toString().contains("closed"));
            // the semaphore itself lives on
            agent.ok("openNamed S " + name);
            assertEquals("0", agent.ok("value S"));
            agent.ok("close S");
        } finally {
            NamedSemaphore.unlink(name);
        }
    }

    @Test
    void exclusiveCreationConflictsWithAnotherProcess() {
        String name = Names.unique("nsem-excl");
        try {
            agent.ok("createNamed S " + name + " 1");
            assertThrows(ObjectExistsException.class, () -> NamedSemaphore.create(name, 0));
            try (NamedSemaphore existing = NamedSemaphore.openOrCreate(name, 5)) {
                assertFalse(existing.created());
                assertEquals(1, existing.value(), "the creator's value, not ours");
            }
            try (NamedSemaphore opened = NamedSemaphore.open(name)) {
                assertFalse(opened.created());
                assertTrue(opened.tryAcquire());
            }
            assertEquals("0", agent.ok("value S"));
            assertTrue(agent.ex("createNamed T " + name + " 0").startsWith("ObjectExistsException"));
            assertTrue(NamedSemaphore.unlink(name));
            assertThrows(ObjectNotFoundException.class, () -> NamedSemaphore.open(name));
            try (NamedSemaphore fresh = NamedSemaphore.openOrCreate(name, 4)) {
                assertTrue(fresh.created());
                assertEquals(4, fresh.value());
                assertEquals("0", agent.ok("value S"), "the other process still has the old, unlinked one");
            }
            agent.ok("close S");
        } finally {
            NamedSemaphore.unlink(name);
        }
    }

    @Test
    void nameRules() {
        for (String bad : new String[] {"", "/", "a/b", "/a/b", "a\0b"}) {
            assertThrows(InvalidArgumentException.class, () -> NamedSemaphore.create(bad, 0), "'" + bad + "'");
            assertThrows(InvalidArgumentException.class, () -> NamedSemaphore.open(bad), "'" + bad + "'");
            assertThrows(InvalidArgumentException.class, () -> NamedSemaphore.unlink(bad), "'" + bad + "'");
        }
        String prefix = Names.unique("nsem-long");
        String longest = prefix + "x".repeat(252 - prefix.length()); // 251 bytes after the '/'
        String tooLong = longest + "x";
        try (NamedSemaphore sem = NamedSemaphore.create(longest, 0)) {
            assertTrue(Files.exists(devShm(longest)), "/dev/shm/sem.<251 bytes> fits NAME_MAX");
        } finally {
            NamedSemaphore.unlink(longest);
        }
        InvalidArgumentException e = assertThrows(InvalidArgumentException.class, () -> NamedSemaphore.create(tooLong, 0));
        assertTrue(e.getMessage().contains("ENAMETOOLONG"), e.getMessage());
        String name = Names.unique("nsem-args");
        assertThrows(InvalidArgumentException.class, () -> NamedSemaphore.create(name, -1));
        assertThrows(InvalidArgumentException.class, () -> NamedSemaphore.create(name, 0, 01000));
        assertFalse(Files.exists(devShm(name)));
        // the same rules in another process
        assertTrue(agent.ex("createNamed S a/b 0").startsWith("InvalidArgumentException"));
        assertTrue(agent.ex("openNamed S /").startsWith("InvalidArgumentException"));
    }

    // ------------------------------------------------------------------ C interop

    private static final String C_SOURCE = """
            #include <errno.h>
            #include <fcntl.h>
            #include <semaphore.h>
            #include <stdio.h>
            #include <stdlib.h>
            #include <string.h>
            #include <time.h>

            /* semc create NAME V | post NAME N | wait NAME N */
            int main(int argc, char **argv) {
                if (argc != 4) return 64;
                int n = atoi(argv[3]);
                if (strcmp(argv[1], "create") == 0) {
                    sem_t *s = sem_open(argv[2], O_CREAT | O_EXCL, 0600, (unsigned) n);
                    if (s == SEM_FAILED) { perror("sem_open"); return 1; }
                    printf("created\\n");
                    return sem_close(s) == 0 ? 0 : 1;
                }
                sem_t *s = sem_open(argv[2], 0);
                if (s == SEM_FAILED) { perror("sem_open"); return 1; }
                if (strcmp(argv[1], "post") == 0) {
                    for (int i = 0; i < n; i++) if (sem_post(s) != 0) { perror("sem_post"); return 1; }
                    int v = -1;
                    sem_getvalue(s, &v);
                    printf("posted %d value %d\\n", n, v);
                } else if (strcmp(argv[1], "wait") == 0) {
                    printf("waiting\\n");
                    fflush(stdout);
                    for (int i = 0; i < n; i++) {
                        struct timespec ts;
                        clock_gettime(CLOCK_REALTIME, &ts);
                        ts.tv_sec += 30; /* failure guard */
                        while (sem_timedwait(s, &ts) != 0) {
                            if (errno == EINTR) continue;
                            perror("sem_timedwait");
                            return 2;
                        }
                    }
                    printf("got %d\\n", n);
                } else {
                    return 64;
                }
                return sem_close(s) == 0 ? 0 : 1;
            }
            """;

    @Test
    void interoperatesWithACProgram(@TempDir Path dir) throws Exception {
        assumeTrue(Programs.available("cc"), "no C compiler");
        Path semc = Programs.compileC(dir, "semc", C_SOURCE, "-pthread");
        String name = Names.unique("nsem-c");
        String cName = Names.unique("nsem-c-made");
        try (NamedSemaphore sem = NamedSemaphore.create(name, 0)) {
            // C posts N times, Java takes N
            Programs.Result posted = Programs.run(semc.toString(), "post", name, "5").assertSuccess();
            assertEquals("posted 5 value 5", posted.stdout().trim());
            assertEquals(5, sem.value());
            for (int i = 0; i < 5; i++) assertTrue(sem.tryAcquire(5, TimeUnit.SECONDS));
            assertFalse(sem.tryAcquire());

            // C waits (blocked in sem_timedwait), Java posts
            Process p = new ProcessBuilder(semc.toString(), "wait", name, "3").start();
            try {
                BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
                CompletableFuture<String> first = CompletableFuture.supplyAsync(() -> {
                    try {
                        return out.readLine();
                    } catch (java.io.IOException e) {
                        throw new java.io.UncheckedIOException(e);
                    }
                });
                assertEquals("waiting", first.get(30, TimeUnit.SECONDS));
                sem.release(3);
                assertTrue(p.waitFor(30, TimeUnit.SECONDS), "the C program got its 3 permits");
                assertEquals(0, p.exitValue(), new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8));
                assertEquals("got 3", out.readLine());
            } finally {
                p.destroyForcibly();
            }
            assertEquals(0, sem.value());

            // a semaphore C created, Java opens
            assertEquals("created", Programs.run(semc.toString(), "create", cName, "4").assertSuccess().stdout().trim());
            assertTrue(Files.exists(devShm(cName)));
            try (NamedSemaphore made = NamedSemaphore.open(cName)) {
                assertFalse(made.created());
                assertEquals(4, made.value());
                assertTrue(made.tryAcquire(5, TimeUnit.SECONDS));
            }
            assertTrue(Programs.run(semc.toString(), "create", cName, "0").exitCode() != 0, "C's O_EXCL sees it too");
        } finally {
            NamedSemaphore.unlink(name);
            NamedSemaphore.unlink(cName);
        }
        assertFalse(Files.exists(devShm(name)));
        assertFalse(Files.exists(devShm(cName)));
    }
}
