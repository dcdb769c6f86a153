package dev.shmkit.demos;

import dev.shmkit.testkit.ChildJvm;
import dev.shmkit.testkit.Programs;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** The issue #4 demos run as users run them and show what they promise. */
class SignalsDemosTest {
    private static final Path ROOT = Path.of(System.getProperty("shmkit.repo.root", "..")).toAbsolutePath().normalize();

    @Test
    void gracefulShutdownDemoStopsWorkersCleanlyAndKillsTheStubbornOne() {
        try (ChildJvm demo = ChildJvm.start(GracefulShutdownDemo.class, "3")) {
            List<String> lines = new ArrayList<>();
            String line;
            do {
                line = demo.readLine();
                lines.add(line);
            } while (!line.equals("[supervisor] done"));
            demo.assertSuccess();
            String out = String.join("\n", lines);
            assertTrue(out.contains("ignores SIGTERM; ready") && out.contains("handles SIGTERM; ready"), out);
            for (int id = 1; id <= 2; id++) {
                assertTrue(out.matches("(?s).*\\[worker " + id + " pid \\d+] got SIGTERM: finishing the current job.*"), out);
                assertTrue(out.matches("(?s).*\\[worker " + id + " pid \\d+] saved its state after job \\d+; exiting cleanly.*"), out);
                assertTrue(out.matches("(?s).*\\[supervisor] worker " + id + " \\(pid \\d+\\): exited with status 0.*"), out);
            }
            assertTrue(out.matches("(?s).*\\[supervisor] worker 3 \\(pid \\d+\\): killed by SIGKILL \\(exit value 137\\).*"), out);
            org.junit.jupiter.api.Assertions.assertFalse(out.matches("(?s).*\\[worker 3 pid \\d+] saved.*"), out);
        }
    }

    private static Programs.Result runShellDemo(String script) {
        Path launcher = ROOT.resolve("bin/shmkit");
        assumeTrue(Files.isExecutable(launcher), "bin/shmkit is produced by 'make build'");
        return Programs.run(List.of("bash", ROOT.resolve("demos/shell/" + script).toString()), null, Duration.ofMinutes(3));
    }

    @Test
    void signalsShellDemo() {
        Programs.Result r = runShellDemo("signals.sh");
        assertEquals(0, r.exitCode(), r.stdout() + r.stderr());
        String out = r.stdout();
        assertTrue(out.matches("(?s).*\\[bash \\d+] trap: got USR1.*\\[bash \\d+] trap: got TERM, cleaning up.*"), out);
        assertTrue(out.contains("bash exited with status 0"), out);
        assertTrue(out.contains("shmkit signal wait printed 'USR1' and exited with status 0"), out);
        assertTrue(out.contains("exit status 3"), out);
        assertTrue(out.contains("no-such-process"), out);
        assertTrue(out.trim().endsWith("signals: done"), out);
    }

    @Test
    void fifoPipelineShellDemo() {
        Programs.Result r = runShellDemo("fifo-pipeline.sh");
        assertEquals(0, r.exitCode(), r.stdout() + r.stderr());
        String out = r.stdout();
        for (int i = 1; i <= 5; i++) assertTrue(out.contains("[consumer] got: job " + i), out);
        assertTrue(out.contains("awk sums them to 5050"), out);
        assertTrue(out.contains("EPIPE (Broken pipe: the reader closed the FIFO)"), out);
        assertTrue(out.trim().endsWith("fifo-pipeline: done"), out);
    }

    @Test
    void messageQueuesShellDemo() {
        Programs.Result r = runShellDemo("message-queues.sh");
        assertEquals(0, r.exitCode(), r.stdout() + r.stderr());
        String out = r.stdout();
        if (System.getProperty("os.name").startsWith("Linux")) {
            String order = "  9 page the on-call engineer\n  5 rebuild the search index\n  1 rotate the logs\n  1 send the newsletter\n";
            assertTrue(out.contains(order), out);
            assertTrue(out.contains("EMSGSIZE"), out);
        }
        assertTrue(out.contains("  1 urgent: the disk is full\n  2 normal: resize the images\n  3 low: tidy the temp files\n"), out);
        assertTrue(out.trim().endsWith("message-queues: done"), out);
    }
}
