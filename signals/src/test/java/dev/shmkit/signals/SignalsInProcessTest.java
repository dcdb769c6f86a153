package dev.shmkit.signals;

import dev.shmkit.os.ObjectNotFoundException;
import dev.shmkit.testkit.Child;
import dev.shmkit.testkit.Programs;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import static dev.shmkit.signals.TestProcs.self;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Signals sent to this JVM by outside programs ({@code kill} from bash, {@code /usr/bin/kill},
 * python3's {@code os.kill}) reach {@link Signals#handle} handlers; registration, ordering, layering
 * of ignore/default, waiting with timeouts and interrupts; refusals; {@code kill(pid, 0)}.
 *
 * <p>Every test makes sure a handler is installed before anything sends a signal here: with the
 * default disposition, USR1 would end the test JVM.
 */
class SignalsInProcessTest {

    @BeforeEach
    void procfs() {
        assumeTrue(TestProcs.procAvailable(), "needs /proc to see which signals a process catches");
    }

    @AfterEach
    void nothingStaysRegistered() {
        for (Signal s : Signal.values()) assertEquals(0, Dispositions.registrations(s), s + " still registered");
    }

    private static void shellKill(Signal s, long pid) {
        Programs.run("bash", "-c", "kill -" + s.shortName() + " " + pid).assertSuccess();
    }

    @Test
    void killFromBashReachesTheHandlerOnTheDispatcherThread() throws Exception {
        assertFalse(TestProcs.catches(self(), Signal.USR1), "nothing handles USR1 before the test");
        CompletableFuture<String> got = new CompletableFuture<>();
        try (SignalRegistration r = Signals.handle(Signal.USR1, s -> got.complete(s + " on " + Thread.currentThread().getName()))) {
            assertTrue(r.isActive());
            assertTrue(TestProcs.catches(self(), Signal.USR1), "the kernel now sees a USR1 handler");
            shellKill(Signal.USR1, self());
            assertEquals("SIGUSR1 on " + Dispositions.THREAD_NAME, got.get(30, TimeUnit.SECONDS));
        }
        assertFalse(TestProcs.catches(self(), Signal.USR1), "closing gave USR1 back its default disposition");
    }

    @Test
    void usrBinKillAndPythonReachHandlersToo() throws Exception {
        LinkedBlockingQueue<Signal> got = new LinkedBlockingQueue<>();
        try (SignalRegistration a = Signals.handle(Signal.WINCH, got::add);
             SignalRegistration b = Signals.handle(Signal.URG, got::add)) {
            assumeTrue(Programs.available("kill") && Programs.available("python3"), "needs kill(1) and python3");
            Programs.run("kill", "-s", "WINCH", Long.toString(self())).assertSuccess();
            assertEquals(Signal.WINCH, got.poll(30, TimeUnit.SECONDS));
            Programs.run("python3", "-c", "import os, signal, sys; os.kill(int(sys.argv[1]), signal.SIGURG)",
                    Long.toString(self())).assertSuccess();
            assertEquals(Signal.URG, got.poll(30, TimeUnit.SECONDS));
        }
    }

    @Test
    void severalHandlersRunInRegistrationOrderOneSignalAtATime() throws Exception {
        List<String> calls = new CopyOnWriteArrayList<>();
        CountDownLatch done = new CountDownLatch(3);
        try (SignalRegistration a = Signals.handle(Signal.USR1, s -> calls.add("a " + Thread.currentThread().getName()));
             SignalRegistration b = Signals.handle(Signal.USR1, s -> { calls.add("b"); throw new IllegalStateException("handler b fails"); });
             SignalRegistration c = Signals.handle(Signal.USR1, s -> { calls.add("c"); done.countDown(); done.countDown(); done.countDown(); })) {
            Signals.raise(Signal.USR1);
            assertTrue(done.await(30, TimeUnit.SECONDS));
            assertEquals(List.of("a " + Dispositions.THREAD_NAME, "b", "c"), calls, "an exception in b does not stop c");
            b.close();
            b.close(); // idempotent
            assertFalse(b.isActive());
            calls.clear();
            CompletableFuture<Void> second = new CompletableFuture<>();
            try (SignalRegistration d = Signals.handle(Signal.USR1, s -> second.complete(null))) {
                shellKill(Signal.USR1, self());
                second.get(30, TimeUnit.SECONDS);
            }
            assertEquals(List.of("a " + Dispositions.THREAD_NAME, "c"), calls);
        }
    }

    @Test
    void ignoreAndDefaultStackOverHandlersAndClosingUnstacksThem() throws Exception {
        LinkedBlockingQueue<Signal> got = new LinkedBlockingQueue<>();
        LinkedBlockingQueue<Signal> sentinel = new LinkedBlockingQueue<>();
        long pid = self();
        try (SignalRegistration handler = Signals.handle(Signal.WINCH, got::add);
             SignalRegistration marker = Signals.handle(Signal.URG, sentinel::add)) {
            assertTrue(TestProcs.catches(pid, Signal.WINCH));
            SignalRegistration ignore = Signals.ignore(Signal.WINCH);
            assertTrue(TestProcs.ignores(pid, Signal.WINCH), "SIG_IGN installed");
            assertFalse(TestProcs.catches(pid, Signal.WINCH));
            // An ignored signal is discarded when it is sent: nothing is pending afterwards.
            shellKill(Signal.WINCH, pid);
            SignalRegistration dfl = Signals.restoreDefault(Signal.WINCH);
            assertFalse(TestProcs.ignores(pid, Signal.WINCH), "SIG_DFL installed");
            assertFalse(TestProcs.catches(pid, Signal.WINCH));
            dfl.close();
            assertTrue(TestProcs.ignores(pid, Signal.WINCH), "closing the default registration uncovers the ignore");
            ignore.close();
            assertTrue(TestProcs.catches(pid, Signal.WINCH), "closing the ignore uncovers the handler");
            assertFalse(TestProcs.ignores(pid, Signal.WINCH));
            shellKill(Signal.WINCH, pid);
            assertEquals(Signal.WINCH, got.poll(30, TimeUnit.SECONDS));
            // Signals are handled in the order the JVM reports them: once the URG sent after the WINCH
            // has been handled, an ignored WINCH would have been handled too.
            shellKill(Signal.URG, pid);
            assertEquals(Signal.URG, sentinel.poll(30, TimeUnit.SECONDS));
            assertTrue(got.isEmpty(), "the WINCH sent while ignored never reached the handler: " + got);
        }
        assertFalse(TestProcs.catches(pid, Signal.WINCH));
        assertFalse(TestProcs.ignores(pid, Signal.WINCH));
    }

    @Test
    void registrationsCloseInAnyOrder() {
        long pid = self();
        SignalRegistration a = Signals.handle(Signal.USR1, s -> {});
        SignalRegistration i = Signals.ignore(Signal.USR1);
        SignalRegistration b = Signals.handle(Signal.USR1, s -> {});
        a.close();
        assertTrue(TestProcs.catches(pid, Signal.USR1), "b is the newest: still handled");
        b.close();
        assertTrue(TestProcs.ignores(pid, Signal.USR1), "only the ignore remains");
        i.close();
        assertFalse(TestProcs.ignores(pid, Signal.USR1));
        assertFalse(TestProcs.catches(pid, Signal.USR1));
        assertTrue(i.toString().contains("SIGUSR1") && i.toString().contains("closed"), i.toString());
    }

    @Test
    void awaitReturnsTheSignalThatArrived() throws Exception {
        long pid = self();
        CompletableFuture<Optional<Signal>> waiter = CompletableFuture.supplyAsync(() -> {
            try {
                return Signals.await(EnumSet.of(Signal.USR1, Signal.ALRM), Duration.ofSeconds(30));
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        });
        // await registers in enum order: once ALRM is caught, USR1 is too.
        TestProcs.awaitCaught(pid, Signal.ALRM);
        assertTrue(TestProcs.catches(pid, Signal.USR1));
        shellKill(Signal.ALRM, pid);
        assertEquals(Optional.of(Signal.ALRM), waiter.get(30, TimeUnit.SECONDS));
        assertFalse(TestProcs.catches(pid, Signal.ALRM), "await withdrew its handlers");
        assertFalse(TestProcs.catches(pid, Signal.USR1));
    }

    @Test
    void awaitWithoutTimeoutAndOtherHandlersStillRun() throws Exception {
        long pid = self();
        CompletableFuture<Signal> other = new CompletableFuture<>();
        try (SignalRegistration r = Signals.handle(Signal.VTALRM, other::complete)) {
            CompletableFuture<Signal> waiter = CompletableFuture.supplyAsync(() -> {
                try {
                    return Signals.await(Set.of(Signal.VTALRM));
                } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                }
            });
            TestProcs.awaitTrue(() -> Dispositions.registrations(Signal.VTALRM) == 2, "await to register");
            shellKill(Signal.VTALRM, pid);
            assertEquals(Signal.VTALRM, waiter.get(30, TimeUnit.SECONDS));
            assertEquals(Signal.VTALRM, other.get(30, TimeUnit.SECONDS));
            assertEquals(1, Dispositions.registrations(Signal.VTALRM));
        }
    }

    @Test
    void awaitTimesOutWithAnEmptyResult() throws Exception {
        long t0 = System.nanoTime();
        assertEquals(Optional.empty(), Signals.await(Set.of(Signal.USR1), Duration.ofMillis(150)));
        assertTrue(System.nanoTime() - t0 >= TimeUnit.MILLISECONDS.toNanos(150));
        assertEquals(Optional.empty(), Signals.await(Set.of(Signal.USR1), Duration.ZERO));
        assertEquals(Optional.empty(), Signals.await(Set.of(Signal.USR1), Duration.ofSeconds(-1)));
        assertFalse(TestProcs.catches(self(), Signal.USR1));
    }

    @Test
    void awaitIsInterruptible() throws Exception {
        AtomicReference<Throwable> outcome = new AtomicReference<>();
        Thread t = Thread.ofPlatform().start(() -> {
            try {
                Signals.await(Set.of(Signal.USR1));
                outcome.set(new AssertionError("returned"));
            } catch (Throwable e) {
                outcome.set(e);
            }
        });
        TestProcs.awaitCaught(self(), Signal.USR1);
        t.interrupt();
        t.join(TestProcs.GUARD.toMillis());
        assertFalse(t.isAlive());
        assertInstanceOf(InterruptedException.class, outcome.get());
        assertFalse(TestProcs.catches(self(), Signal.USR1), "handlers withdrawn after the interrupt");
        Thread.currentThread().interrupt();
        assertThrows(InterruptedException.class, () -> Signals.await(Set.of(Signal.USR1), Duration.ofSeconds(5)));
        assertFalse(Thread.interrupted(), "the interrupt status was consumed");
    }

    @Test
    void signalsTheJvmOwnsAreRefusedWithTheReason() {
        for (Signal s : Signal.values()) {
            if (s.isHandleable()) continue;
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Signals.handle(s, x -> {}), s.name());
            assertTrue(e.getMessage().startsWith("cannot handle " + s.fullName() + ": "), e.getMessage());
            assertTrue(e.getMessage().contains(s.whyNotHandleable().orElseThrow()), e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> Signals.ignore(s));
            assertThrows(IllegalArgumentException.class, () -> Signals.restoreDefault(s));
            IllegalArgumentException w = assertThrows(IllegalArgumentException.class, () -> Signals.await(Set.of(Signal.USR1, s), Duration.ZERO));
            assertTrue(w.getMessage().startsWith("cannot wait for " + s.fullName()), w.getMessage());
        }
        assertThrows(IllegalArgumentException.class, () -> Signals.await(Set.of(), Duration.ZERO));
        assertFalse(TestProcs.catches(self(), Signal.USR1), "a refused await registered nothing");
    }

    @Test
    void probeTellsNoSuchProcessFromExists() throws IOException, InterruptedException {
        assertEquals(ProcessPresence.EXISTS, Signals.probe(self()));
        Process p = new ProcessBuilder("true").start();
        long pid = p.pid();
        p.waitFor();
        TestProcs.awaitDead(pid);
        // Reaped by the JDK: the pid is free (unless reused in between, in which case it exists).
        ProcessPresence dead = Signals.probe(pid);
        assertTrue(dead == ProcessPresence.NO_SUCH_PROCESS || pidReused(pid), dead.toString());
        assertEquals(ProcessPresence.NO_SUCH_PROCESS, Signals.probe(Integer.MAX_VALUE - 1), "beyond pid_max");
        assertFalse(ProcessPresence.NO_SUCH_PROCESS.exists());
        assertTrue(ProcessPresence.EXISTS_NOT_PERMITTED.exists());
        assertThrows(IllegalArgumentException.class, () -> Signals.probe(0));
        assertThrows(IllegalArgumentException.class, () -> Signals.probe(-5));
    }

    private static boolean pidReused(long pid) {
        return dev.shmkit.os.ProcessId.lookup((int) pid).isPresent();
    }

    /** Run as nobody: prints what probe says of the pid given (a root-owned process). */
    public static final class ProbeAsNobody {
        public static void main(String[] args) {
            Child.say(Signals.probe(Long.parseLong(args[0])).name());
            try {
                Signals.send(Long.parseLong(args[0]), Signal.USR1);
                Child.say("sent");
            } catch (dev.shmkit.os.PermissionDeniedException e) {
                Child.say(e.getMessage());
            }
        }
    }

    @Test
    void probeTellsNotPermittedForAnotherUsersProcess() {
        long target = self();
        List<String> cmd;
        if (dev.shmkit.internal.nativeaccess.Libc.getuid() != 0) {
            // Not root: init belongs to root, and we may not signal it.
            assertEquals(ProcessPresence.EXISTS_NOT_PERMITTED, Signals.probe(1));
            return;
        }
        assumeTrue(TestProcs.canRunAsNobody(), "needs setpriv to run a child JVM as nobody");
        cmd = TestProcs.childJvmAsNobody(ProbeAsNobody.class, Long.toString(target));
        assumeTrue(cmd != null, "the class path is not readable by nobody");
        Programs.Result r = Programs.run(cmd, null, Duration.ofSeconds(60));
        assertEquals(0, r.exitCode(), r.stderr());
        assertEquals("EXISTS_NOT_PERMITTED\nkill(" + target + ", SIGUSR1): EPERM (Operation not permitted)\n", r.stdout());
    }

    @Test
    void sendingToNoProcessNamesCallPidAndErrno() {
        int pid = Integer.MAX_VALUE - 1;
        ObjectNotFoundException e = assertThrows(ObjectNotFoundException.class, () -> Signals.send(pid, Signal.USR1));
        assertEquals("kill(" + pid + ", SIGUSR1): ESRCH (No such process)", e.getMessage());
        assertEquals("ESRCH", e.errnoName());
        assertThrows(IllegalArgumentException.class, () -> Signals.send(0, Signal.TERM));
        assertThrows(IllegalArgumentException.class, () -> Signals.send(-1, Signal.TERM), "kill(-1) would signal everything");
        assertThrows(IllegalArgumentException.class, () -> Signals.sendToGroup(1, Signal.TERM));
        ObjectNotFoundException g = assertThrows(ObjectNotFoundException.class, () -> Signals.sendToGroup(pid, Signal.USR1));
        assertTrue(g.getMessage().startsWith("killpg(" + pid + ", SIGUSR1): ESRCH"), g.getMessage());
    }

    @Test
    void raiseSendAndQueueReachThisProcess() throws InterruptedException {
        LinkedBlockingQueue<Signal> got = new LinkedBlockingQueue<>();
        try (SignalRegistration r = Signals.handle(Signal.CONT, got::add)) {
            Signals.raise(Signal.CONT);
            assertEquals(Signal.CONT, got.poll(30, TimeUnit.SECONDS));
            Signals.send(self(), Signal.CONT);
            assertEquals(Signal.CONT, got.poll(30, TimeUnit.SECONDS));
            if (dev.shmkit.internal.nativeaccess.Consts.LINUX) {
                Signals.queue(self(), Signal.CONT, 7);
                assertNotNull(got.poll(30, TimeUnit.SECONDS));
            }
        }
    }
}
