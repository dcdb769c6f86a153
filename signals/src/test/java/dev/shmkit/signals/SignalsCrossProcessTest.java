package dev.shmkit.signals;

import dev.shmkit.internal.nativeaccess.Consts;
import dev.shmkit.testkit.ChildJvm;
import dev.shmkit.testkit.Programs;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Signals between processes: Java to a child JVM's handlers, ignore and default dispositions seen
 * from outside, the JVM's shutdown handler given back, TERM/KILL to children ({@code sleep}, child
 * JVMs) with their exit statuses, process groups, bash {@code trap}, and {@code sigqueue}'s payload
 * read by a C program with {@code sigwaitinfo}.
 */
class SignalsCrossProcessTest {
    private static final Duration WAIT = Duration.ofSeconds(30);

    @Test
    void javaSignalsReachAChildJvmsHandlerOnTheDispatcherThread() {
        try (ChildJvm child = ChildJvm.start(SignalChild.class)) {
            child.expectLine("ready " + child.pid());
            child.send("handle USR1");
            child.expectLine("ok");
            child.send("handle USR1");
            child.expectLine("ok");
            Signals.send(child.pid(), Signal.USR1);
            child.expectLine("got USR1 on " + Dispositions.THREAD_NAME);
            child.expectLine("got USR1 on " + Dispositions.THREAD_NAME);
            child.send("exit");
            child.assertSuccess();
        }
    }

    @Test
    void ignoredThenDefaultDispositionsAsSeenFromOutside() throws InterruptedException {
        try (ChildJvm child = ChildJvm.start(SignalChild.class)) {
            child.expectLine("ready " + child.pid());
            child.send("ignore USR1");
            child.expectLine("ok");
            Signals.send(child.pid(), Signal.USR1);
            child.send("ping");
            child.expectLine("pong"); // still alive: the signal was discarded
            child.send("close USR1");
            child.expectLine("ok");   // back to the original disposition: SIG_DFL, which terminates
            Signals.send(child.pid(), Signal.USR1);
            ExitStatus status = ChildProcesses.waitFor(child.process());
            assertEquals(Optional.of(Signal.USR1), status.signal(), status.toString());
            assertEquals(128 + Signal.USR1.number(), status.exitValue());
        }
    }

    @Test
    void closingATermHandlerGivesTheJvmItsShutdownHandlerBack() throws InterruptedException {
        try (ChildJvm child = ChildJvm.start(SignalChild.class)) {
            child.expectLine("ready " + child.pid());
            child.send("hook");
            child.expectLine("ok");
            child.send("handle TERM");
            child.expectLine("ok");
            assertTrue(ChildProcesses.terminate(child.process()));
            child.expectLine("got TERM on " + Dispositions.THREAD_NAME); // handled: no shutdown
            child.send("ping");
            child.expectLine("pong");
            child.send("close TERM");
            child.expectLine("ok");
            assertTrue(ChildProcesses.terminate(child.process()));
            child.expectLine("shutdown hook ran"); // the JVM's own TERM handler runs the hooks again
            assertEquals(Optional.of(Signal.TERM), ChildProcesses.waitFor(child.process()).signal());
        }
    }

    @Test
    void restoreDefaultSkipsTheShutdownHooks() throws InterruptedException {
        try (ChildJvm child = ChildJvm.start(SignalChild.class)) {
            child.expectLine("ready " + child.pid());
            child.send("hook");
            child.expectLine("ok");
            child.send("default TERM");
            child.expectLine("ok");
            ChildProcesses.terminate(child.process());
            ExitStatus status = ChildProcesses.waitFor(child.process());
            assertEquals("killed by SIGTERM (exit value 143)", status.toString());
            // SIG_DFL: the kernel ended the JVM directly, so the hook never printed (the next read is end-of-output).
            AssertionError eof = org.junit.jupiter.api.Assertions.assertThrows(AssertionError.class, child::readLine);
            assertTrue(eof.getMessage().contains("ended its output"), eof.getMessage());
        }
    }

    @Test
    void termAndKillEndOutsideProgramsWithTheirStatus() throws Exception {
        Process sleeper = new ProcessBuilder("sleep", "60").start();
        assertTrue(ChildProcesses.terminate(sleeper));
        assertEquals(Optional.of(Signal.TERM), ChildProcesses.waitFor(sleeper).signal());
        assertFalse(ChildProcesses.kill(sleeper), "an exited child is not signalled (its pid may be reused)");
        assertEquals(143, ChildProcesses.exitStatus(sleeper).exitValue());

        Process stubborn = new ProcessBuilder("bash", "-c", "trap '' TERM; echo ready; exec sleep 60").start();
        BufferedReader out = new BufferedReader(new InputStreamReader(stubborn.getInputStream(), StandardCharsets.UTF_8));
        assertEquals("ready", out.readLine());
        ExitStatus s = ChildProcesses.stop(stubborn, Duration.ofMillis(300));
        assertEquals(Optional.of(Signal.KILL), s.signal(), "TERM ignored (inherited by sleep), so KILL after the grace period");
        assertEquals(137, s.exitValue());

        Process quick = new ProcessBuilder("true").start();
        assertEquals(Optional.of(new ExitStatus(0)), ChildProcesses.waitFor(quick, WAIT));
        assertTrue(ChildProcesses.exitStatus(quick).isSuccess());
        Process slow = new ProcessBuilder("sleep", "60").start();
        assertEquals(Optional.empty(), ChildProcesses.waitFor(slow, Duration.ofMillis(50)));
        ChildProcesses.kill(slow);
        assertEquals(Optional.of(Signal.KILL), ChildProcesses.waitFor(slow).signal());
    }

    @Test
    void stopLetsAChildJvmShutDownCleanlyOrKillsIt() throws InterruptedException {
        try (ChildJvm graceful = ChildJvm.start(SignalChild.class);
             ChildJvm stubborn = ChildJvm.start(SignalChild.class)) {
            graceful.expectLine("ready " + graceful.pid());
            stubborn.expectLine("ready " + stubborn.pid());
            graceful.send("graceful");
            graceful.expectLine("ok");
            stubborn.send("ignore TERM");
            stubborn.expectLine("ok");
            ExitStatus clean = ChildProcesses.stop(graceful.process(), WAIT);
            assertTrue(clean.isSuccess(), clean.toString());
            graceful.expectLine("TERM: shutting down cleanly");
            ExitStatus killed = ChildProcesses.stop(stubborn.process(), Duration.ofMillis(300));
            assertEquals("killed by SIGKILL (exit value 137)", killed.toString());
        }
    }

    @Test
    void killpgReachesEveryProcessOfAGroup() throws Exception {
        assumeTrue(Programs.available("setsid"), "needs setsid(1)");
        // setsid runs sh as the leader of a new session and process group (pgid = its pid).
        Process group = new ProcessBuilder("setsid", "sh", "-c", "sleep 60 & sleep 60 & echo started; wait").start();
        BufferedReader out = new BufferedReader(new InputStreamReader(group.getInputStream(), StandardCharsets.UTF_8));
        try {
            assertEquals("started", out.readLine()); // both sleeps are forked
            List<Long> members = new ArrayList<>();
            group.toHandle().children().forEach(h -> members.add(h.pid()));
            assertEquals(2, members.size(), members.toString());
            assertEquals(group.pid(), pgrpOf(group.pid()), "sh leads its own group");
            for (long m : members) assertEquals(group.pid(), pgrpOf(m));

            Signals.sendToGroup(group.pid(), Signal.TERM);
            assertEquals(Optional.of(Signal.TERM), ChildProcesses.waitFor(group).signal());
            for (long m : members) TestProcs.awaitDead(m);
        } finally {
            group.destroyForcibly();
        }
    }

    private static long pgrpOf(long pid) throws IOException {
        String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return Long.parseLong(f[2]); // fields after comm: state, ppid, pgrp
    }

    @Test
    void sendToOwnGroupReachesTheWholeGroupOfAChildJvm() throws Exception {
        assumeTrue(Programs.available("setsid"), "needs setsid(1)");
        List<String> cmd = new ArrayList<>(List.of("setsid"));
        cmd.addAll(ChildJvm.command(SignalChild.class, List.of()));
        Process p = new ProcessBuilder(cmd).start();
        BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        try (Writer in = new OutputStreamWriter(p.getOutputStream(), StandardCharsets.UTF_8)) {
            assertEquals("ready " + p.pid(), out.readLine());
            in.write("handle USR1\n");
            in.flush();
            assertEquals("ok", out.readLine());
            in.write("group USR1\n");
            in.flush();
            List<String> lines = List.of(out.readLine(), out.readLine());
            assertTrue(lines.contains("ok") && lines.contains("got USR1 on " + Dispositions.THREAD_NAME), lines.toString());
            in.write("exit\n");
            in.flush();
            assertEquals(0, p.waitFor());
        } finally {
            p.destroyForcibly();
        }
    }

    @Test
    void bashTrapReceivesSignalsFromJava() throws Exception {
        // `wait` returns as soon as a trapped signal arrives; the trap then kills the sleep it waited for.
        Process bash = new ProcessBuilder("bash", "-c",
                "trap 'echo \"bash got USR1\"; kill $s; exit 7' USR1; sleep 60 & s=$!; echo ready; wait $s").start();
        BufferedReader out = new BufferedReader(new InputStreamReader(bash.getInputStream(), StandardCharsets.UTF_8));
        assertEquals("ready", out.readLine());
        Signals.send(bash.pid(), Signal.USR1);
        assertEquals("bash got USR1", out.readLine());
        assertEquals(7, bash.waitFor());
    }

    private static final String SIGWAIT_C = """
            #define _GNU_SOURCE
            #include <signal.h>
            #include <stdio.h>
            int main(void) {
                sigset_t set;
                sigemptyset(&set);
                sigaddset(&set, SIGUSR1);
                sigprocmask(SIG_BLOCK, &set, NULL);     /* then sigwaitinfo takes it synchronously */
                printf("ready\\n");
                fflush(stdout);
                for (int i = 0; i < 2; i++) {
                    siginfo_t info;
                    if (sigwaitinfo(&set, &info) < 0) { perror("sigwaitinfo"); return 1; }
                    printf("signo=%d code=%s value=%d sender=%d\\n", info.si_signo,
                           info.si_code == SI_QUEUE ? "SI_QUEUE" : info.si_code == SI_USER ? "SI_USER" : "other",
                           info.si_code == SI_QUEUE ? info.si_value.sival_int : 0, (int) info.si_pid);
                    fflush(stdout);
                }
                return 0;
            }
            """;

    @Test
    void sigqueuePayloadReachesACProgram(@TempDir Path dir) throws Exception {
        assumeTrue(Consts.LINUX, "sigqueue is Linux only");
        assumeTrue(Programs.available("cc"), "no C compiler");
        Path exe = Programs.compileC(dir, "sigwait", SIGWAIT_C);
        Process c = new ProcessBuilder(exe.toString()).start();
        try {
            BufferedReader out = new BufferedReader(new InputStreamReader(c.getInputStream(), StandardCharsets.UTF_8));
            assertEquals("ready", out.readLine());
            long me = ProcessHandle.current().pid();
            Signals.queue(c.pid(), Signal.USR1, 4242);
            assertEquals("signo=" + Signal.USR1.number() + " code=SI_QUEUE value=4242 sender=" + me, out.readLine());
            Signals.send(c.pid(), Signal.USR1);
            assertEquals("signo=" + Signal.USR1.number() + " code=SI_USER value=0 sender=" + me, out.readLine());
            assertEquals(0, c.waitFor());
        } finally {
            c.destroyForcibly();
        }
    }
}
