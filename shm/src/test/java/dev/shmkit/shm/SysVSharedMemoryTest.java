package dev.shmkit.shm;

import dev.shmkit.os.InvalidArgumentException;
import dev.shmkit.os.ObjectExistsException;
import dev.shmkit.os.ObjectNotFoundException;
import dev.shmkit.os.ResourceLimitException;
import dev.shmkit.testkit.Names;
import dev.shmkit.testkit.Programs;
import org.junit.jupiter.api.Disabled;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * {@link SysVSharedMemory}: creation and lookup by key and id, what {@code shmctl(IPC_STAT)}
 * reports, visibility to {@code ipcs}/{@code ipcrm}, a child JVM attaching by key and by id,
 * and a C program using {@code shmget}/{@code shmat}/{@code ftok} on the same segments.
 */
class SysVSharedMemoryTest {

    @TempDir
    static Path dir;

    /**
     * <pre>
     * sysvc ftok PATH PROJ               print ftok's key as 0x%08x
     * sysvc attach KEY OFFSET REPLY      attach by key; print id, size, nattch and the string at 0; write REPLY
     * sysvc private SIZE TEXT            create an IPC_PRIVATE segment (0600), write TEXT; print pid and id
     * </pre>
     */
    private static final String SOURCE = """
            #include <stdio.h>
            #include <stdlib.h>
            #include <string.h>
            #include <sys/ipc.h>
            #include <sys/shm.h>
            #include <unistd.h>

            static int fail(const char *what) { perror(what); return 1; }

            int main(int argc, char **argv) {
                if (argc >= 4 && strcmp(argv[1], "ftok") == 0) {
                    key_t k = ftok(argv[2], atoi(argv[3]));
                    if (k == -1) return fail("ftok");
                    printf("0x%08x\\n", (unsigned) k);
                    return 0;
                }
                if (argc >= 5 && strcmp(argv[1], "attach") == 0) {
                    key_t key = (key_t) strtoul(argv[2], NULL, 0);
                    int id = shmget(key, 0, 0);
                    if (id < 0) return fail("shmget");
                    char *p = shmat(id, NULL, 0);
                    if (p == (void *) -1) return fail("shmat");
                    struct shmid_ds ds;
                    if (shmctl(id, IPC_STAT, &ds) != 0) return fail("shmctl");
                    printf("id=%d\\n", id);
                    printf("size=%zu\\n", (size_t) ds.shm_segsz);
                    printf("nattch=%lu\\n", (unsigned long) ds.shm_nattch);
                    printf("mode=%o\\n", (unsigned) (ds.shm_perm.mode & 0777));
                    printf("text=%.*s\\n", 63, p);
                    memcpy(p + atol(argv[3]), argv[4], strlen(argv[4]));
                    shmdt(p);
                    return 0;
                }
                if (argc >= 4 && strcmp(argv[1], "private") == 0) {
                    size_t size = (size_t) atol(argv[2]);
                    int id = shmget(IPC_PRIVATE, size, IPC_CREAT | 0600);
                    if (id < 0) return fail("shmget");
                    char *p = shmat(id, NULL, 0);
                    if (p == (void *) -1) return fail("shmat");
                    memcpy(p, argv[3], strlen(argv[3]));
                    shmdt(p);
                    printf("pid=%d\\n", (int) getpid());
                    printf("id=%d\\n", id);
                    return 0;
                }
                fprintf(stderr, "usage\\n");
                return 2;
            }
            """;

    private static Path sysvc;

    private static Path sysvc() {
        assumeTrue(Programs.available("cc"), "no C compiler (cc)");
        synchronized (SysVSharedMemoryTest.class) {
            if (sysvc == null) sysvc = Programs.compileC(dir, "sysvc", SOURCE);
            return sysvc;
        }
    }

    private static List<String> lines(Programs.Result r) {
        return List.of(r.assertSuccess().stdout().strip().split("\n"));
    }

    private static String hex(int key) {
        return String.format("0x%08x", key);
    }

    /** The {@code ipcs -m} row for segment {@code id}: key, shmid, owner, perms, bytes, nattch[, status]. */
    private static Optional<List<String>> ipcsRow(int id) {
        assumeTrue(Programs.available("ipcs"), "ipcs is not installed");
        String out = Programs.run("ipcs", "-m").assertSuccess().stdout();
        return out.lines().map(String::strip).filter(l -> l.startsWith("0x"))
                .map(l -> Arrays.asList(l.split("\\s+")))
                .filter(f -> f.size() >= 6 && f.get(1).equals(Integer.toString(id)))
                .findFirst();
    }

    private static void put(MemorySegment s, long offset, String text) {
        byte[] b = text.getBytes(StandardCharsets.UTF_8);
        MemorySegment.copy(b, 0, s, ValueLayout.JAVA_BYTE, offset, b.length);
    }

    private static String get(MemorySegment s, long offset, int length) {
        byte[] b = new byte[length];
        MemorySegment.copy(s, ValueLayout.JAVA_BYTE, offset, b, 0, length);
        return new String(b, StandardCharsets.UTF_8);
    }

    @Test
    void createStatIpcsAndRemove() throws IOException {
        int key = Names.uniqueKey();
        Instant before = Instant.now().minusSeconds(2);
        SysVSharedMemory m = SysVSharedMemory.create(key, 10_000);
        int id = m.id();
        try {
            assertEquals(key, m.key());
            assertTrue(m.created());
            assertEquals(10_000, m.size());
            assertEquals(10_000, m.segment().byteSize());
            assertEquals(id, SysVSharedMemory.idOf(key));

            SysVStat s = m.stat();
            assertEquals(key, s.key());
            assertEquals(id, s.id());
            assertEquals(10_000, s.size());
            assertEquals(0600, s.permissions());
            assertEquals(ProcessHandle.current().pid(), s.creatorPid());
            assertEquals(ProcessHandle.current().pid(), s.lastPid());
            assertEquals(1, s.attachCount());
            assertEquals(Files.getAttribute(Path.of("/proc/self"), "unix:uid"), s.uid());
            assertEquals(Files.getAttribute(Path.of("/proc/self"), "unix:gid"), s.gid());
            assertFalse(s.lastAttach().isBefore(before), s.lastAttach().toString());
            assertEquals(Instant.EPOCH, s.lastDetach(), "never detached yet");
            assertFalse(s.lastChange().isBefore(before));
            assertEquals(s, SysVSharedMemory.stat(id));

            List<String> row = ipcsRow(id).orElseThrow(() -> new AssertionError("ipcs -m does not list id " + id));
            assertEquals(List.of(hex(key), Integer.toString(id), "600", "10000", "1"),
                    List.of(row.get(0), row.get(1), row.get(3), row.get(4), row.get(5)));

            m.detach();
            assertTrue(m.isDetached());
            SysVStat after = SysVSharedMemory.stat(id);
            assertEquals(0, after.attachCount());
            assertNotEquals(Instant.EPOCH, after.lastDetach());
            assertEquals("0", ipcsRow(id).orElseThrow().get(5));

            // a detached segment lives on until removed: attach it again by key
            try (SysVSharedMemory again = SysVSharedMemory.open(key)) {
                assertFalse(again.created());
                assertEquals(id, again.id());
                assertEquals(10_000, again.size());
            }
        } finally {
            m.detach();
            assertTrue(SysVSharedMemory.removeById(id));
        }
        assertEquals(Optional.empty(), ipcsRow(id), "ipcs -m no longer lists it");
        assertFalse(SysVSharedMemory.remove(key));
        assertFalse(SysVSharedMemory.removeById(id));
        ObjectNotFoundException e = assertThrows(ObjectNotFoundException.class, () -> SysVSharedMemory.open(key));
        assertEquals("shmget", e.call());
        assertTrue(e.getMessage().startsWith("shmget(" + hex(key) + ", 0, "), e.getMessage());
        assertTrue(e.getMessage().endsWith("): ENOENT (No such file or directory)"), e.getMessage());
        // shmctl on an id that no longer exists answers EINVAL on Linux; shmkit reports it as not found
        ObjectNotFoundException gone = assertThrows(ObjectNotFoundException.class, () -> SysVSharedMemory.stat(id));
        assertEquals("shmctl(id " + id + ", IPC_STAT): EINVAL (no segment has this id)", gone.getMessage());
        assertThrows(ObjectNotFoundException.class, () -> SysVSharedMemory.attachById(id));
    }

    @Test
    void sizesPermissionsAndUseAfterDetach() {
        int key = Names.uniqueKey();
        try (SysVSharedMemory m = SysVSharedMemory.create(key, 4097, 0640)) {
            assertEquals(4097, m.segment().byteSize());
            assertEquals(4097, m.stat().size());
            assertEquals(0640, m.stat().permissions(), "shmget applies no umask");
            MemorySegment s = m.segment();
            s.set(ValueLayout.JAVA_BYTE, 4096, (byte) 9);
            assertThrows(IndexOutOfBoundsException.class, () -> s.get(ValueLayout.JAVA_BYTE, 4097));
            assertTrue(m.toString().contains(hex(key)), m.toString());

            m.detach();
            IllegalStateException e = assertThrows(IllegalStateException.class, m::segment);
            assertEquals("SysVSharedMemory " + hex(key) + " (id " + m.id() + ") is detached", e.getMessage());
            assertThrows(IllegalStateException.class, () -> s.get(ValueLayout.JAVA_BYTE, 0));
            assertDoesNotThrow(m::detach);
            assertDoesNotThrow(m::close);
            assertTrue(m.toString().endsWith(", detached]"));
            // detaching never removes
            try (SysVSharedMemory again = SysVSharedMemory.open(key)) {
                assertEquals(9, again.segment().get(ValueLayout.JAVA_BYTE, 4096));
            }
        } finally {
            SysVSharedMemory.remove(key);
        }
    }

    @Test
    void createPrivateHasNoKeyAndIsReachedById() {
        SysVSharedMemory m = SysVSharedMemory.createPrivate(256, 0600);
        try {
            assertEquals(0, m.key());
            assertTrue(m.created());
            assertEquals(0, m.stat().key());
            assertEquals(256, m.stat().size());
            assertEquals(List.of("0x00000000", Integer.toString(m.id()), "600", "256", "1"),
                    ipcsRow(m.id()).map(r -> List.of(r.get(0), r.get(1), r.get(3), r.get(4), r.get(5))).orElseThrow());
            try (SysVSharedMemory second = SysVSharedMemory.attachById(m.id())) {
                assertFalse(second.created());
                assertEquals(0, second.key());
                assertEquals(256, second.size());
                assertEquals(2, m.stat().attachCount());
                assertNotEquals(m.segment().address(), second.segment().address());
                m.segment().set(ValueLayout.JAVA_LONG, 248, -2L);
                assertEquals(-2L, second.segment().get(ValueLayout.JAVA_LONG, 248));
            }
            assertEquals(1, m.stat().attachCount());
            // a private segment cannot be opened by key
            InvalidArgumentException e = assertThrows(InvalidArgumentException.class, () -> SysVSharedMemory.open(0));
            assertEquals("shmget(IPC_PRIVATE): EINVAL (use createPrivate for a segment without a key)", e.getMessage());
        } finally {
            m.remove();
            m.detach();
        }
    }

    @Test
    void exclusiveCreateConflictAndMissingKey() {
        int key = Names.uniqueKey();
        try (SysVSharedMemory m = SysVSharedMemory.create(key, 64)) {
            ObjectExistsException e = assertThrows(ObjectExistsException.class, () -> SysVSharedMemory.create(key, 64));
            assertEquals("shmget", e.call());
            assertEquals("EEXIST", e.errnoName());
            assertEquals("shmget(" + hex(key) + ", 64, IPC_CREAT|IPC_EXCL|0600): EEXIST (File exists)", e.getMessage());
            // OPEN_OR_CREATE finds it
            try (SysVSharedMemory o = SysVSharedMemory.open(key, OpenMode.OPEN_OR_CREATE, 64, 0600)) {
                assertFalse(o.created());
                assertEquals(m.id(), o.id());
            }
            // ... and, as documented ("an existing segment keeps its own size"), even when asked for
            // more than it has; unlike SharedMemory.openOrCreate, which refuses a smaller object
            try (SysVSharedMemory o = SysVSharedMemory.open(key, OpenMode.OPEN_OR_CREATE, 8192, 0600)) {
                assertFalse(o.created());
                assertEquals(64, o.size());
                assertEquals(64, o.segment().byteSize());
            }
        } finally {
            SysVSharedMemory.remove(key);
        }
        int missing = Names.uniqueKey();
        ObjectNotFoundException e = assertThrows(ObjectNotFoundException.class, () -> SysVSharedMemory.open(missing));
        assertEquals("ENOENT", e.errnoName());
        assertThrows(ObjectNotFoundException.class, () -> SysVSharedMemory.idOf(missing));
        assertFalse(SysVSharedMemory.remove(missing));
        // OPEN_OR_CREATE creates when missing
        try (SysVSharedMemory c = SysVSharedMemory.open(missing, OpenMode.OPEN_OR_CREATE, 128, 0600)) {
            assertTrue(c.created());
            assertEquals(128, c.size());
        } finally {
            assertTrue(SysVSharedMemory.remove(missing));
        }
    }

    @Test
    void badArgumentsAreRefused() {
        int key = Names.uniqueKey();
        InvalidArgumentException size = assertThrows(InvalidArgumentException.class, () -> SysVSharedMemory.create(key, 0));
        assertEquals("shmget(" + hex(key) + "): EINVAL (size must be positive, was 0)", size.getMessage());
        assertThrows(InvalidArgumentException.class, () -> SysVSharedMemory.create(key, -5));
        InvalidArgumentException perm = assertThrows(InvalidArgumentException.class, () -> SysVSharedMemory.create(key, 64, 01666));
        assertTrue(perm.getMessage().matches("shmget\\(" + hex(key) + "\\): EINVAL \\(permissions must be within 0777, was 0?1666\\)"),
                perm.getMessage());
        assertThrows(InvalidArgumentException.class, () -> SysVSharedMemory.createPrivate(0, 0600));
        assertThrows(InvalidArgumentException.class, () -> SysVSharedMemory.createPrivate(64, 01000));
        assertThrows(InvalidArgumentException.class, () -> SysVSharedMemory.create(0, 64), "key 0 is IPC_PRIVATE");
        assertThrows(ObjectNotFoundException.class, () -> SysVSharedMemory.open(key), "none of the above created anything");
        // a size the system cannot back: Linux refuses it with ENOMEM (or ENOSPC past SHMALL)
        ResourceLimitException big = assertThrows(ResourceLimitException.class, () -> SysVSharedMemory.create(key, Long.MAX_VALUE));
        assertEquals("shmget", big.call());
        assertTrue(List.of("ENOMEM", "ENOSPC").contains(big.errnoName()), big.getMessage());
        assertTrue(big.getMessage().startsWith("shmget(" + hex(key) + ", " + Long.MAX_VALUE + ", IPC_CREAT|IPC_EXCL|"), big.getMessage());
        assertThrows(ObjectNotFoundException.class, () -> SysVSharedMemory.open(key));
    }

    @Test
    void parseKey() {
        assertEquals(31, SysVSharedMemory.parseKey("0x1f"));
        assertEquals(31, SysVSharedMemory.parseKey("0X1F"));
        assertEquals(31, SysVSharedMemory.parseKey("31"));
        assertEquals(31, SysVSharedMemory.parseKey(" 31\n"));
        assertEquals(0x4d2, SysVSharedMemory.parseKey("0x000004d2"));
        assertEquals(-1, SysVSharedMemory.parseKey("0xffffffff"));
        assertEquals(-1, SysVSharedMemory.parseKey("4294967295"));
        assertEquals(-1, SysVSharedMemory.parseKey("-1"));
        assertEquals(Integer.MIN_VALUE, SysVSharedMemory.parseKey("-2147483648"));
        for (String bad : List.of("zz", "", "0x", "0x1ffffffff", "4294967296", "-2147483649", "1.5", "0x 1", "31k")) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> SysVSharedMemory.parseKey(bad), bad);
            assertEquals("not a System V key (decimal or 0x hex, 32 bits): '" + bad + "'", e.getMessage());
        }
        // every key ipcs prints parses back
        int key = Names.uniqueKey();
        assertEquals(key, SysVSharedMemory.parseKey(hex(key)));
    }

    @Test
    void parseKeyRefusesASignAfter0x() {
        for (String bad : List.of("0x-1", "0x+1f", "0X-0")) {
            assertThrows(IllegalArgumentException.class, () -> SysVSharedMemory.parseKey(bad), bad);
        }
    }

    @Test
    void keyIsFtok() throws IOException {
        Path file = Files.writeString(dir.resolve("ftok-anchor"), "anchor");
        Path other = Files.writeString(dir.resolve("ftok-other"), "other");
        int k1 = SysVSharedMemory.key(file, 1);
        int k42 = SysVSharedMemory.key(file, 0x42);
        int k255 = SysVSharedMemory.key(file, 255);
        assertNotEquals(k1, k42);
        assertNotEquals(SysVSharedMemory.key(other, 0x42), k42);
        assertEquals(k42, SysVSharedMemory.key(file, 0x42), "stable");
        // the project id is the top byte, as glibc computes it
        assertEquals(0x42, k42 >>> 24);
        // and the same as C's ftok on the same file
        Path c = sysvc();
        assertEquals(List.of(hex(k1)), lines(Programs.run(c.toString(), "ftok", file.toString(), "1")));
        assertEquals(List.of(hex(k42)), lines(Programs.run(c.toString(), "ftok", file.toString(), Integer.toString(0x42))));
        assertEquals(List.of(hex(k255)), lines(Programs.run(c.toString(), "ftok", file.toString(), "255")));

        InvalidArgumentException zero = assertThrows(InvalidArgumentException.class, () -> SysVSharedMemory.key(file, 0));
        assertEquals("ftok(\"" + file + "\"): EINVAL (project id must be 1..255, was 0)", zero.getMessage());
        assertThrows(InvalidArgumentException.class, () -> SysVSharedMemory.key(file, 256));
        ObjectNotFoundException missing = assertThrows(ObjectNotFoundException.class,
                () -> SysVSharedMemory.key(dir.resolve("no-such-file"), 1));
        assertEquals("ftok", missing.call());
        assertEquals("ENOENT", missing.errnoName());
    }

    @Test
    void childJvmAttachesByKeyAndById() {
        int key = Names.uniqueKey();
        try (Peer child = Peer.start();
             SysVSharedMemory m = SysVSharedMemory.create(key, 4096)) {
            put(m.segment(), 0, "from parent");
            int id = m.id();

            assertEquals(id + " 4096", child.ok("sysvOpen " + hex(key)));
            SysVStat s = m.stat();
            assertEquals(2, s.attachCount(), "parent and child are attached");
            assertEquals(child.pid(), s.lastPid(), "the child attached last");
            assertEquals(ProcessHandle.current().pid(), s.creatorPid());
            assertEquals("2 " + child.pid() + " " + ProcessHandle.current().pid(), child.ok("stat"));
            assertEquals("from parent", child.ok("read 0 11"));
            child.ok("write 100 child via key");
            assertEquals("child via key", get(m.segment(), 100, 13));

            child.ok("sysvDetach");
            assertEquals(1, m.stat().attachCount());
            assertTrue(child.error("read 0 1").startsWith("IllegalStateException "));

            assertEquals(hex(key) + " 4096", child.ok("sysvAttach " + id));
            assertEquals(2, m.stat().attachCount());
            assertEquals("child via key", child.ok("read 100 13"));
            child.ok("write 200 child via id");
            assertEquals("child via id", get(m.segment(), 200, 12));

            child.exit();
            assertEquals(1, m.stat().attachCount(), "the child's exit detached it");
        } finally {
            SysVSharedMemory.remove(key);
        }
    }

    @Test
    void ipcrmFromOutsideMarksItForRemoval() {
        assumeTrue(Programs.available("ipcrm"), "ipcrm is not installed");
        int key = Names.uniqueKey();
        SysVSharedMemory m = SysVSharedMemory.create(key, 4096);
        int id = m.id();
        try {
            put(m.segment(), 0, "survives ipcrm");
            Programs.run("ipcrm", "-m", Integer.toString(id)).assertSuccess();
            // still attached here: the memory stays, but the key is gone (Linux resets it to IPC_PRIVATE)
            assertEquals("survives ipcrm", get(m.segment(), 0, 14));
            put(m.segment(), 0, "still writable");
            SysVStat s = m.stat();
            assertEquals(0, s.key());
            assertEquals(1, s.attachCount());
            assertThrows(ObjectNotFoundException.class, () -> SysVSharedMemory.open(key));
            List<String> row = ipcsRow(id).orElseThrow();
            assertEquals("0x00000000", row.get(0));
            assertEquals("dest", row.get(row.size() - 1));
            m.detach();
            // after the last detach the id is gone; Linux answers EINVAL, which shmkit reports as not found
            ObjectNotFoundException e = assertThrows(ObjectNotFoundException.class, m::stat);
            assertEquals("EINVAL", e.errnoName());
            assertEquals(Optional.empty(), ipcsRow(id));
            assertFalse(SysVSharedMemory.removeById(id));
        } finally {
            m.detach();
            SysVSharedMemory.removeById(id);
        }
    }

    @Test
    void cProgramAttachesByKeyAndCreatesPrivateSegments() {
        Path c = sysvc();
        int key = Names.uniqueKey();
        try (SysVSharedMemory m = SysVSharedMemory.create(key, 3000)) {
            put(m.segment(), 0, "java wrote this");
            List<String> out = lines(Programs.run(c.toString(), "attach", hex(key), "1000", "C wrote that"));
            assertEquals(List.of("id=" + m.id(), "size=3000", "nattch=2", "mode=600", "text=java wrote this"), out);
            assertEquals("C wrote that", get(m.segment(), 1000, 12));
            assertEquals(1, m.stat().attachCount(), "the C program detached");
        } finally {
            SysVSharedMemory.remove(key);
        }

        List<String> created = lines(Programs.run(c.toString(), "private", "777", "from a C process"));
        int pid = Integer.parseInt(created.get(0).substring("pid=".length()));
        int id = Integer.parseInt(created.get(1).substring("id=".length()));
        try (SysVSharedMemory m = SysVSharedMemory.attachById(id)) {
            assertEquals(0, m.key());
            assertFalse(m.created());
            assertEquals(777, m.size());
            assertEquals("from a C process", get(m.segment(), 0, 16));
            SysVStat s = m.stat();
            assertEquals(pid, s.creatorPid());
            assertEquals(ProcessHandle.current().pid(), s.lastPid());
            assertEquals(1, s.attachCount());
            assertEquals(0600, s.permissions());
        } finally {
            assertTrue(SysVSharedMemory.removeById(id));
        }
    }
}
