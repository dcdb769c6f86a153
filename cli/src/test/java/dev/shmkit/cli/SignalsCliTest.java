package dev.shmkit.cli;

import dev.shmkit.signals.Signal;
import dev.shmkit.testkit.Programs;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static dev.shmkit.cli.CliTest.shmkit;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * {@code shmkit signal send|wait|list|check}, run in-process; the signals come from outside
 * programs ({@code kill} in bash, {@code sleep} as a target).
 */
class SignalsCliTest {
    private static final long SELF = ProcessHandle.current().pid();

    /** Whether this process has a handler for {@code s} (Linux /proc): how the test knows 'wait' is ready. */
    private static boolean catches(Signal s) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("SigCgt:")) {
                    return (Long.parseUnsignedLong(line.substring(7).trim(), 16) >>> (s.number() - 1) & 1) != 0;
                }
            }
        } catch (java.io.IOException e) {
            return false;
        }
        return false;
    }

    private static void awaitCatches(Signal s) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        long pause = 20_000;
        while (!catches(s)) {
            if (System.nanoTime() > deadline) throw new AssertionError("signal wait never installed a handler for " + s);
            TimeUnit.NANOSECONDS.sleep(pause);
            pause = Math.min(pause * 2, 10_000_000);
        }
    }

    @Test
    void waitPrintsTheSignalThatCameFromAShell() throws Exception {
        assumeTrue(Files.isReadable(Path.of("/proc/self/status")), "needs /proc");
        CompletableFuture<CliTest.Outcome> waiting = CompletableFuture.supplyAsync(
                () -> shmkit("signal", "wait", "usr1", "SIGALRM", "--timeout", "30s"));
        awaitCatches(Signal.ALRM); // handlers are installed in signal order: USR1 before ALRM
        Programs.run("bash", "-c", "kill -ALRM " + SELF).assertSuccess();
        CliTest.Outcome o = waiting.get(30, TimeUnit.SECONDS);
        assertEquals(0, o.status(), o.err());
        assertEquals("ALRM\n", o.out());
        assertEquals("", o.err());
        assertTrue(!catches(Signal.ALRM) && !catches(Signal.USR1), "handlers withdrawn");
    }

    @Test
    void waitTimesOutWithStatus3() {
        CliTest.Outcome o = shmkit("signal", "wait", "USR1", "WINCH", "--timeout", "200ms");
        assertEquals(3, o.status());
        assertEquals("", o.out());
        assertEquals("shmkit signal wait: waiting for USR1, WINCH timed out after 200ms\n", o.err());
    }

    @Test
    void waitRefusesWhatJavaCannotHandle() {
        CliTest.Outcome quit = shmkit("signal", "wait", "QUIT");
        assertEquals(2, quit.status());
        assertTrue(quit.err().startsWith("shmkit signal wait: cannot wait for SIGQUIT: the JVM uses it"), quit.err());
        CliTest.Outcome kill = shmkit("signal", "wait", "9");
        assertEquals(2, kill.status());
        assertTrue(kill.err().contains("neither caught nor ignored"), kill.err());
        assertEquals(2, shmkit("signal", "wait", "NOPE").status());
        assertEquals(2, shmkit("signal", "wait").status(), "a signal is required");
    }

    @Test
    void sendReachesAnOutsideProcessAndReportsErrors() throws Exception {
        Process sleeper = new ProcessBuilder("sleep", "60").start();
        try {
            assertEquals(0, shmkit("signal", "send", Long.toString(sleeper.pid()), "0").status(), "exists");
            assertEquals(0, shmkit("signal", "send", Long.toString(sleeper.pid()), "SIGTERM").status());
            assertEquals(128 + Signal.TERM.number(), sleeper.waitFor());
        } finally {
            sleeper.destroyForcibly();
        }
        CliTest.Outcome missing = shmkit("signal", "send", "2147483646", "TERM");
        assertEquals(1, missing.status());
        assertEquals("shmkit signal send: kill(2147483646, SIGTERM): ESRCH (No such process)\n", missing.err());
        CliTest.Outcome probe = shmkit("signal", "send", "2147483646", "0");
        assertEquals(1, probe.status());
        assertTrue(probe.err().contains("kill(2147483646, 0): ESRCH"), probe.err());
        assertEquals(2, shmkit("signal", "send", Long.toString(SELF), "SIGFOO").status());
        assertEquals(2, shmkit("signal", "send", "0", "TERM").status());
        assertEquals(2, shmkit("signal", "send", "--", "-1", "TERM").status(), "kill -1 would signal everything");
        CliTest.Outcome group = shmkit("signal", "send", "--", "-2147483646", "TERM");
        assertEquals(1, group.status());
        assertTrue(group.err().contains("killpg(2147483646, SIGTERM): ESRCH"), group.err());
    }

    @Test
    void sendToAProcessGroupWithANegativePid() throws Exception {
        assumeTrue(Programs.available("setsid"), "needs setsid");
        Process leader = new ProcessBuilder("setsid", "sh", "-c", "sleep 60 & echo started; wait").start();
        try {
            java.io.BufferedReader r = new java.io.BufferedReader(new java.io.InputStreamReader(leader.getInputStream()));
            assertEquals("started", r.readLine());
            CliTest.Outcome o = shmkit("signal", "send", "--", "-" + leader.pid(), "TERM");
            assertEquals(0, o.status(), o.err());
            assertEquals(128 + Signal.TERM.number(), leader.waitFor());
        } finally {
            leader.destroyForcibly();
        }
    }

    @Test
    void sendWithAValueUsesSigqueue() throws Exception {
        assumeTrue(dev.shmkit.internal.nativeaccess.Consts.LINUX, "sigqueue is Linux only");
        Process sleeper = new ProcessBuilder("sleep", "60").start();
        try {
            CliTest.Outcome o = shmkit("signal", "send", Long.toString(sleeper.pid()), "USR1", "--value", "42");
            assertEquals(0, o.status(), o.err());
            assertEquals(128 + Signal.USR1.number(), sleeper.waitFor());
        } finally {
            sleeper.destroyForcibly();
        }
    }

    @Test
    void listShowsNumbersDefaultActionsAndWhatJavaCanHandle() {
        CliTest.Outcome o = shmkit("signal", "list");
        assertEquals(0, o.status());
        String[] lines = o.out().split("\n");
        assertEquals("NAME    NUMBER  DEFAULT    HANDLEABLE", lines[0]);
        assertEquals(Signal.values().length + 1, lines.length);
        assertTrue(o.out().contains(String.format("%-7s %6d  %-9s  yes%n", "USR1", Signal.USR1.number(), "terminate")), o.out());
        assertTrue(o.out().contains(String.format("%-7s %6d  %-9s  no: it can be neither caught nor ignored%n", "KILL", 9, "terminate")), o.out());
        assertTrue(o.out().contains(String.format("%-7s %6d  %-9s  yes%n", "CHLD", Signal.CHLD.number(), "ignore")), o.out());
    }

    @Test
    void checkTellsWhetherAProcessExists() {
        CliTest.Outcome self = shmkit("signal", "check", Long.toString(SELF));
        assertEquals(0, self.status());
        assertEquals("exists\n", self.out());
        CliTest.Outcome none = shmkit("signal", "check", "2147483646");
        assertEquals(1, none.status());
        assertEquals("no-such-process\n", none.out());
        if (dev.shmkit.internal.nativeaccess.Libc.getuid() != 0) {
            assertEquals("exists-not-permitted\n", shmkit("signal", "check", "1").out());
        }
        assertEquals(2, shmkit("signal", "check", "0").status());
    }

    @Test
    void everyCommandHasHelp() {
        for (String cmd : new String[] {"send", "wait", "list", "check"}) {
            CliTest.Outcome o = shmkit("signal", cmd, "--help");
            assertEquals(0, o.status(), cmd);
            assertTrue(o.out().startsWith("Usage: shmkit signal " + cmd), o.out());
        }
    }
}
