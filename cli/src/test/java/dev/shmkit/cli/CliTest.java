package dev.shmkit.cli;

import dev.shmkit.shm.SharedMemory;
import dev.shmkit.shm.SysVSharedMemory;
import dev.shmkit.testkit.Names;
import dev.shmkit.testkit.Programs;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The CLI's commands, exit codes and messages, run in-process against real kernel objects. */
class CliTest {
    record Outcome(int status, String out, String err, byte[] bytes) {}

    private final String name = Names.unique("cli");
    private final int key = Names.uniqueKey();

    @AfterEach
    void cleanup() {
        SharedMemory.unlink(name);
        SysVSharedMemory.remove(key);
    }

    static Outcome shmkit(byte[] stdin, String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        Io.in = new ByteArrayInputStream(stdin == null ? new byte[0] : stdin);
        Io.out = bytes;
        try {
            int status = Main.run(args, new PrintWriter(out, true), new PrintWriter(err, true));
            return new Outcome(status, out.toString(), err.toString(), bytes.toByteArray());
        } finally {
            Io.in = System.in;
            Io.out = System.out;
        }
    }

    static Outcome shmkit(String... args) {
        return shmkit(null, args);
    }

    @Test
    void shmCreateWriteReadInfoRm() {
        assertEquals(0, shmkit("shm", "create", name, "--size", "1K").status());
        assertEquals(0, shmkit("hello".getBytes(StandardCharsets.UTF_8), "shm", "write", name, "--offset", "3").status());
        Outcome read = shmkit("shm", "read", name, "--offset", "3", "--length", "5");
        assertEquals(0, read.status());
        assertEquals("hello", new String(read.bytes(), StandardCharsets.UTF_8));
        assertEquals(1024, shmkit("shm", "read", name).bytes().length);
        Outcome info = shmkit("shm", "info", name);
        assertTrue(info.out().contains("name: " + name + "\n"), info.out());
        assertTrue(info.out().contains("size: 1024\n"), info.out());
        assertTrue(info.out().contains("mode: 0600\n"), info.out());
        Outcome ls = shmkit("shm", "ls");
        assertTrue(ls.out().lines().anyMatch(l -> l.startsWith(name + " ") && l.contains(" 1024 ") && l.contains("0600")), ls.out());
        assertEquals(0, shmkit("shm", "rm", name).status());
        assertFalse(SharedMemory.exists(name));
    }

    @Test
    void modeOption() throws Exception {
        assertEquals(0, shmkit("shm", "create", name, "--size", "64", "--mode", "0640").status());
        // The umask may clear bits, never add them.
        int mode = SharedMemory.info(name).permissions();
        assertEquals(0, mode & ~0640, Integer.toOctalString(mode));
        assertEquals(0600, mode & 0600);
        assertTrue(Files.exists(Path.of("/dev/shm", name.substring(1))));
    }

    @Test
    void failuresAreOneLineWithExitStatus1() {
        assertEquals(0, shmkit("shm", "create", name, "--size", "64").status());
        Outcome again = shmkit("shm", "create", name, "--size", "64");
        assertEquals(1, again.status());
        assertEquals(1, again.err().lines().count(), again.err());
        assertTrue(again.err().contains("shm_open(\"" + name + "\", O_RDWR|O_CREAT|O_EXCL, 0600): EEXIST (File exists)"), again.err());

        Outcome missing = shmkit("shm", "read", "/shmkit-test-does-not-exist");
        assertEquals(1, missing.status());
        assertTrue(missing.err().contains("ENOENT"), missing.err());

        Outcome rmMissing = shmkit("shm", "rm", "/shmkit-test-does-not-exist");
        assertEquals(1, rmMissing.status());
        assertEquals(0, shmkit("shm", "rm", "--force", "/shmkit-test-does-not-exist").status());
    }

    @Test
    void debugPrintsTheStackTrace() {
        Outcome o = shmkit("shm", "info", "/shmkit-test-does-not-exist", "--debug");
        assertEquals(1, o.status());
        assertTrue(o.err().contains("\tat "), o.err());
    }

    @Test
    void writeThatDoesNotFitChangesNothing() {
        assertEquals(0, shmkit("shm", "create", name, "--size", "8").status());
        assertEquals(0, shmkit("abcdefgh".getBytes(StandardCharsets.UTF_8), "shm", "write", name).status());
        Outcome tooLong = shmkit("0123456789".getBytes(StandardCharsets.UTF_8), "shm", "write", name, "--offset", "2");
        assertEquals(1, tooLong.status());
        assertTrue(tooLong.err().contains("10 bytes at offset 2 do not fit in 8 bytes"), tooLong.err());
        assertEquals("abcdefgh", new String(shmkit("shm", "read", name).bytes(), StandardCharsets.UTF_8));
        assertEquals(1, shmkit("shm", "read", name, "--offset", "9").status());
        assertEquals(1, shmkit("shm", "read", name, "--offset", "4", "--length", "5").status());
    }

    @Test
    void usageErrorsExit2() {
        for (List<String> args : List.of(
                List.of("shm", "create", name),                          // --size missing
                List.of("shm", "create", name, "--size", "ten"),         // not a size
                List.of("shm", "create", name, "--size", "0"),           // not positive
                List.of("shm", "create", name, "--size", "8", "--mode", "0999"),
                List.of("shm", "frobnicate"),
                List.of("sysv", "read", "--key", "zz"),
                List.of("sysv", "read", "--key", "1", "--id", "2"),
                List.of("sysv", "read"))) {
            Outcome o = shmkit(args.toArray(String[]::new));
            assertEquals(2, o.status(), args + ": " + o.err());
            assertTrue(o.err().startsWith("shmkit "), o.err());
        }
        assertFalse(SharedMemory.exists(name));
    }

    @Test
    void helpEverywhere() {
        for (List<String> args : List.of(List.of("--help"), List.of("shm", "--help"), List.of("shm", "create", "--help"),
                List.of("shm", "write", "--help"), List.of("shm", "read", "--help"), List.of("shm", "info", "--help"),
                List.of("shm", "ls", "--help"), List.of("shm", "rm", "--help"), List.of("sysv", "--help"),
                List.of("sysv", "create", "--help"), List.of("sysv", "write", "--help"), List.of("sysv", "read", "--help"),
                List.of("sysv", "info", "--help"), List.of("sysv", "rm", "--help"), List.of("sysv", "ls", "--help"))) {
            Outcome o = shmkit(args.toArray(String[]::new));
            assertEquals(0, o.status(), args.toString());
            assertTrue(o.out().startsWith("Usage: shmkit"), o.out());
        }
    }

    @Test
    void sysvCommands() {
        String hex = String.format("0x%08x", key);
        Outcome created = shmkit("sysv", "create", "--key", hex, "--size", "4096");
        assertEquals(0, created.status(), created.err());
        int id = Integer.parseInt(created.out().trim());
        assertEquals(id, SysVSharedMemory.idOf(key));
        assertEquals(0, shmkit("payload".getBytes(StandardCharsets.UTF_8), "sysv", "write", "--key", Integer.toString(key)).status());
        assertEquals("payload", new String(shmkit("sysv", "read", "--id", Integer.toString(id), "--length", "7").bytes(), StandardCharsets.UTF_8));
        try (SysVSharedMemory s = SysVSharedMemory.open(key)) {
            assertEquals((byte) 'p', s.segment().get(ValueLayout.JAVA_BYTE, 0));
        }
        Outcome info = shmkit("sysv", "info", "--key", hex);
        assertTrue(info.out().contains("key: " + hex + "\n") && info.out().contains("id: " + id + "\n")
                && info.out().contains("size: 4096\n") && info.out().contains("mode: 0600\n"), info.out());
        Outcome ls = shmkit("sysv", "ls");
        assertTrue(ls.out().lines().anyMatch(l -> l.startsWith(hex + " ")), ls.out());
        assertTrue(Programs.run("ipcs", "-m").stdout().contains(hex));
        assertEquals(1, shmkit("sysv", "create", "--key", hex, "--size", "4096").status());
        assertEquals(0, shmkit("sysv", "rm", "--key", hex).status());
        assertEquals(1, shmkit("sysv", "rm", "--key", hex).status());
        assertEquals(0, shmkit("sysv", "rm", "--key", hex, "--force").status());
        assertFalse(Programs.run("ipcs", "-m").stdout().contains(hex));
    }

    @Test
    void converters() {
        assertEquals(4096, Common.parseSize("4096"));
        assertEquals(64 << 10, Common.parseSize("64K"));
        assertEquals(1 << 20, Common.parseSize("1MiB"));
        assertEquals(2L << 30, Common.parseSize("2g"));
        assertThrows(picocli.CommandLine.TypeConversionException.class, () -> Common.parseSize("-1"));
        assertEquals(Duration.ofMillis(500), Common.parseDuration("500ms"));
        assertEquals(Duration.ofSeconds(5), Common.parseDuration("5s"));
        assertEquals(Duration.ofMinutes(2), Common.parseDuration("2m"));
        assertEquals(Duration.ofMillis(1500), Common.parseDuration("1.5s"));
        assertEquals(Duration.ofSeconds(3), Common.parseDuration("3"));
        assertThrows(picocli.CommandLine.TypeConversionException.class, () -> Common.parseDuration("soon"));
        assertArrayEquals(new int[] {0x1f, 31, -1}, new int[] {SysVSharedMemory.parseKey("0x1f"),
                SysVSharedMemory.parseKey("31"), SysVSharedMemory.parseKey("0xffffffff")});
    }
}
