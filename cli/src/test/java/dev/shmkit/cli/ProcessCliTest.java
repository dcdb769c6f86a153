package dev.shmkit.cli;

import dev.shmkit.process.ProcessPool;
import dev.shmkit.testkit.Programs;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** {@code shmkit run} and {@code shmkit ps}, in-process (class path) and through bin/shmkit (module path). */
class ProcessCliTest {
    private static final Path ROOT = Path.of(System.getProperty("shmkit.repo.root", "..")).toAbsolutePath().normalize();

    record Outcome(int status, String out, String err) {}

    static Outcome shmkit(String stdin, String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        Io.in = new ByteArrayInputStream(stdin == null ? new byte[0] : stdin.getBytes(StandardCharsets.UTF_8));
        Io.out = bytes;
        try {
            int status = Main.run(args, new PrintWriter(out, true), new PrintWriter(err, true));
            return new Outcome(status, bytes.toString(StandardCharsets.UTF_8) + out, err.toString());
        } finally {
            Io.in = System.in;
            Io.out = System.out;
        }
    }

    @Test
    void runAppliesTheCommandToEachLineInOrder() {
        Outcome o = shmkit("1\n2\n\n3\n4\n5\n", "run", "--workers", "2", "--", "sh", "-c", "sleep 0.0$((6 - {})); echo item {}");
        assertEquals(0, o.status(), o.err());
        assertEquals("item 1\nitem 2\nitem 3\nitem 4\nitem 5\n", o.out());
    }

    @Test
    void runAppendsTheLineWithoutAPlaceholderAndAggregatesTheExitStatus() {
        Outcome ok = shmkit("a b\nc\n", "run", "-w", "2", "--", "echo", "arg:");
        assertEquals(0, ok.status(), ok.err());
        assertEquals("arg: a b\narg: c\n", ok.out());

        Outcome mixed = shmkit("0\n3\n0\n", "run", "-w", "2", "--", "sh", "-c", "echo out{}; echo err{} >&2; exit {}");
        assertEquals(1, mixed.status());
        assertEquals("out0\nout3\nout0\n", mixed.out());
        assertEquals("err0\nerr3\nerr0\n", mixed.err());

        Outcome missing = shmkit("x\n", "run", "-w", "1", "--", "/no/such/command");
        assertEquals(1, missing.status());
        assertTrue(missing.err().contains("cannot run /no/such/command"), missing.err());

        Outcome none = shmkit("", "run", "-w", "1", "--", "echo");
        assertEquals(0, none.status());
        assertEquals("", none.out());
    }

    @Test
    void runUsageErrors() {
        Outcome zero = shmkit("1\n", "run", "--workers", "0", "--", "true");
        assertEquals(2, zero.status());
        assertTrue(zero.err().contains("--workers must be at least 1"), zero.err());
        assertEquals(2, shmkit("", "run").status());
    }

    @Test
    void psListsAPoolItsWorkersAndTheirSegments() throws Exception {
        long me = ProcessHandle.current().pid();
        try (ProcessPool pool = ProcessPool.builder().workers(2).name("ps-test").build()) {
            assertTrue(pool.awaitReady(Duration.ofSeconds(60)));
            Outcome o = shmkit(null, "ps");
            assertEquals(0, o.status(), o.err());
            List<String> lines = o.out().lines().toList();
            assertTrue(lines.get(0).startsWith("PID"), o.out());
            assertTrue(lines.stream().anyMatch(l -> l.startsWith(me + " ") && l.contains(" pool ") && l.contains("ps-test")), o.out());
            for (long w : pool.workerPids()) {
                assertTrue(lines.stream().anyMatch(l -> l.startsWith(w + " ") && l.contains(" " + me + " ") && l.contains(" worker ")
                        && l.contains("ps-test#")), o.out());
            }
            assertTrue(lines.stream().anyMatch(l -> l.trim().startsWith("/shmkit-w" + me + "-") && l.contains("(unlinked)")), o.out());
            Outcome bare = shmkit(null, "ps", "--no-segments");
            assertTrue(bare.out().lines().noneMatch(l -> l.startsWith(" ")), bare.out());
        }
        Outcome after = shmkit(null, "ps");
        assertTrue(after.out().lines().noneMatch(l -> l.contains("ps-test")), after.out());
    }

    @Test
    void launcherRunsPoolsOnTheModulePath() {
        Path launcher = ROOT.resolve("bin/shmkit");
        assumeTrue(Files.isExecutable(launcher), "bin/shmkit is produced by 'make build'");
        Programs.Result r = Programs.run(List.of(launcher.toString(), "run", "-w", "2", "--", "echo", "line"), "x\ny\n".getBytes(StandardCharsets.UTF_8),
                Duration.ofMinutes(2));
        assertEquals(0, r.exitCode(), r.stderr());
        assertEquals("line x\nline y\n", r.stdout());
        Programs.Result ps = Programs.run(List.of(launcher.toString(), "ps", "--help"), null, Duration.ofMinutes(1));
        assertEquals(0, ps.exitCode(), ps.stderr());
    }
}
