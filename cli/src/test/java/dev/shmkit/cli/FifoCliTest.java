package dev.shmkit.cli;

import dev.shmkit.testkit.Programs;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static dev.shmkit.cli.CliTest.shmkit;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code shmkit fifo create|read|write|rm} with {@code echo}, {@code cat} and shell redirection on the other end. */
class FifoCliTest {
    @TempDir
    Path dir;

    @Test
    void createIsExclusiveWithMode0600() throws Exception {
        Path f = dir.resolve("f");
        assertEquals(0, shmkit("fifo", "create", f.toString()).status());
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(f)));
        CliTest.Outcome again = shmkit("fifo", "create", f.toString());
        assertEquals(1, again.status());
        assertEquals("shmkit fifo create: mkfifo(\"" + f + "\", 0600): EEXIST (File exists)\n", again.err());
        Path g = dir.resolve("g");
        assertEquals(0, shmkit("fifo", "create", g.toString(), "--mode", "0640").status());
        assertEquals(0, Integer.parseInt(Programs.run("stat", "-c", "%a", g.toString()).stdout().trim(), 8) & ~0640);
        assertEquals(2, shmkit("fifo", "create", dir.resolve("h").toString(), "--mode", "999").status());
    }

    @Test
    void readCopiesWhatAShellWritesToStdout() throws Exception {
        Path f = dir.resolve("f");
        shmkit("fifo", "create", f.toString());
        CompletableFuture<CliTest.Outcome> reader = CompletableFuture.supplyAsync(() -> shmkit("fifo", "read", f.toString()));
        Programs.run("bash", "-c", "echo one > \"$1\"", "bash", f.toString()).assertSuccess();
        CliTest.Outcome o = reader.get(30, TimeUnit.SECONDS);
        assertEquals(0, o.status(), o.err());
        assertEquals("one\n", new String(o.bytes(), StandardCharsets.UTF_8));
    }

    @Test
    void writeSendsStdinToCat() throws Exception {
        Path f = dir.resolve("f");
        shmkit("fifo", "create", f.toString());
        Process cat = new ProcessBuilder("cat", f.toString()).start();
        CliTest.Outcome o = shmkit("binary\0data\n".getBytes(StandardCharsets.UTF_8), "fifo", "write", f.toString(), "--timeout", "30s");
        assertEquals(0, o.status(), o.err());
        assertEquals("binary\0data\n", new String(cat.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
        assertEquals(0, cat.waitFor());
    }

    @Test
    void openingWithoutAPeerTimesOutWithStatus3() {
        Path f = dir.resolve("f");
        shmkit("fifo", "create", f.toString());
        CliTest.Outcome r = shmkit("fifo", "read", f.toString(), "--timeout", "150ms");
        assertEquals(3, r.status());
        assertEquals("shmkit fifo read: waiting for a writer on " + f + " timed out after 150ms\n", r.err());
        CliTest.Outcome w = shmkit("x".getBytes(StandardCharsets.UTF_8), "fifo", "write", f.toString(), "--timeout", "150ms");
        assertEquals(3, w.status());
        assertEquals("shmkit fifo write: waiting for a reader on " + f + " timed out after 150ms\n", w.err());
    }

    @Test
    void writeFailsClearlyWhenTheReaderLeaves() throws Exception {
        Path f = dir.resolve("f");
        shmkit("fifo", "create", f.toString());
        Process head = new ProcessBuilder("head", "-c", "1", f.toString()).start();
        CliTest.Outcome o = shmkit(new byte[4 << 20], "fifo", "write", f.toString(), "--timeout", "30s");
        assertEquals(1, o.status());
        assertEquals("shmkit fifo write: write(\"" + f + "\"): EPIPE (Broken pipe: the reader closed the FIFO)\n", o.err());
        assertEquals(0, head.waitFor());
    }

    @Test
    void rmRemovesOnlyFifos() throws Exception {
        Path f = dir.resolve("f");
        shmkit("fifo", "create", f.toString());
        assertEquals(0, shmkit("fifo", "rm", f.toString()).status());
        assertFalse(Files.exists(f));
        CliTest.Outcome again = shmkit("fifo", "rm", f.toString());
        assertEquals(1, again.status());
        assertTrue(again.err().contains("unlink(\"" + f + "\"): ENOENT"), again.err());
        assertEquals(0, shmkit("fifo", "rm", "--force", f.toString()).status());
        Path plain = Files.writeString(dir.resolve("plain"), "keep me");
        CliTest.Outcome notFifo = shmkit("fifo", "rm", plain.toString());
        assertEquals(1, notFifo.status());
        assertTrue(notFifo.err().contains("not a FIFO but a regular file"), notFifo.err());
        assertTrue(Files.exists(plain));
        CliTest.Outcome readPlain = shmkit("fifo", "read", plain.toString());
        assertEquals(1, readPlain.status());
    }
}
