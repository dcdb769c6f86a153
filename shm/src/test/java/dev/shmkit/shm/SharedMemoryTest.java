package dev.shmkit.shm;

import dev.shmkit.os.InvalidArgumentException;
import dev.shmkit.os.ObjectExistsException;
import dev.shmkit.os.ObjectNotFoundException;
import dev.shmkit.os.OsException;
import dev.shmkit.os.ResourceLimitException;
import dev.shmkit.testkit.Names;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link SharedMemory} within one process: names, creation modes, sizes, permissions,
 * lifetime and the errors each misuse gets. Other processes' views are in
 * {@link SharedMemoryCrossProcessTest}, {@link SharedMemoryPythonInteropTest} and
 * {@link SharedMemoryCInteropTest}.
 */
class SharedMemoryTest {

    private static byte[] bytes(MemorySegment s, long offset, int length) {
        byte[] b = new byte[length];
        MemorySegment.copy(s, ValueLayout.JAVA_BYTE, offset, b, 0, length);
        return b;
    }

    private static void put(MemorySegment s, long offset, byte[] b) {
        MemorySegment.copy(b, 0, s, ValueLayout.JAVA_BYTE, offset, b.length);
    }

    @Test
    void createWriteReadRoundTrip() throws IOException {
        String name = Names.unique("roundtrip");
        try (SharedMemory m = SharedMemory.create(name, 8192)) {
            assertEquals(name, m.name());
            assertEquals(8192, m.size());
            assertTrue(m.created());
            assertFalse(m.isReadOnly());
            assertFalse(m.isClosed());
            MemorySegment s = m.segment();
            assertEquals(8192, s.byteSize());
            // a new object is zero-filled
            assertArrayEquals(new byte[8192], bytes(s, 0, 8192));
            byte[] text = "hello, shared world".getBytes(StandardCharsets.UTF_8);
            put(s, 100, text);
            s.set(ValueLayout.JAVA_LONG, 8184, 0x0123456789abcdefL);
            assertArrayEquals(text, bytes(s, 100, text.length));
            assertEquals(0x0123456789abcdefL, s.get(ValueLayout.JAVA_LONG, 8184));
            // the same bytes are what the file system holds under /dev/shm
            byte[] file = Files.readAllBytes(PosixFiles.devShm(name));
            assertEquals(8192, file.length);
            assertArrayEquals(text, Arrays.copyOfRange(file, 100, 100 + text.length));
            assertTrue(m.toString().contains(name) && m.toString().contains("8192 bytes"), m.toString());
        } finally {
            SharedMemory.unlink(name);
        }
    }

    @Test
    void nameWithAndWithoutSlashIsTheSameObject() {
        String name = Names.unique("slash");
        String bare = name.substring(1);
        try (SharedMemory a = SharedMemory.create(bare, 64);
             SharedMemory b = SharedMemory.open(name)) {
            assertEquals(name, a.name(), "name() always has the leading slash");
            assertEquals(name, b.name());
            assertEquals(name, SharedMemory.normalizeName(bare));
            assertEquals(name, SharedMemory.normalizeName(name));
            assertTrue(Files.exists(PosixFiles.devShm(name)));
            a.segment().set(ValueLayout.JAVA_INT, 0, 0x5151);
            assertEquals(0x5151, b.segment().get(ValueLayout.JAVA_INT, 0));
            assertTrue(SharedMemory.exists(bare));
            assertTrue(SharedMemory.exists(name));
            assertThrows(ObjectExistsException.class, () -> SharedMemory.create(name, 64));
        } finally {
            assertTrue(SharedMemory.unlink(bare));
            assertFalse(SharedMemory.exists(name));
        }
    }

    @Test
    void exclusiveCreateOfAnExistingNameFails() {
        String name = Names.unique("excl");
        try (SharedMemory first = SharedMemory.create(name, 4096)) {
            first.segment().set(ValueLayout.JAVA_INT, 0, 77);
            ObjectExistsException e = assertThrows(ObjectExistsException.class, () -> SharedMemory.create(name, 128));
            assertEquals("shm_open", e.call());
            assertEquals("EEXIST", e.errnoName());
            assertEquals(17, e.errno());
            assertEquals("shm_open(\"" + name + "\", O_RDWR|O_CREAT|O_EXCL, 0600): EEXIST (File exists)", e.getMessage());
            // the failed attempt neither removed nor resized the existing object
            assertEquals(4096, PosixFiles.devShm(name).toFile().length());
            try (SharedMemory again = SharedMemory.open(name)) {
                assertEquals(4096, again.size());
                assertEquals(77, again.segment().get(ValueLayout.JAVA_INT, 0));
            }
            // the general form says the same
            assertThrows(ObjectExistsException.class,
                    () -> SharedMemory.open(name, OpenMode.CREATE_EXCLUSIVE, 64, 0644));
        } finally {
            SharedMemory.unlink(name);
        }
    }

    @Test
    void openingAMissingObjectFails() {
        String name = Names.unique("missing");
        ObjectNotFoundException e = assertThrows(ObjectNotFoundException.class, () -> SharedMemory.open(name));
        assertEquals("shm_open", e.call());
        assertEquals("ENOENT", e.errnoName());
        assertEquals("shm_open(\"" + name + "\", O_RDWR): ENOENT (No such file or directory)", e.getMessage());
        ObjectNotFoundException ro = assertThrows(ObjectNotFoundException.class, () -> SharedMemory.openReadOnly(name));
        assertEquals("shm_open(\"" + name + "\", O_RDONLY): ENOENT (No such file or directory)", ro.getMessage());
        assertThrows(ObjectNotFoundException.class, () -> SharedMemory.open(name, OpenMode.OPEN_EXISTING, 0, 0));
        assertFalse(SharedMemory.exists(name));
        assertFalse(SharedMemory.unlink(name));
        assertFalse(Files.exists(PosixFiles.devShm(name)), "a failed open creates nothing");
    }

    @Test
    void defaultPermissionsAre0600() {
        String name = Names.unique("perm-default");
        try (SharedMemory m = SharedMemory.create(name, 16)) {
            assertEquals(0600, SharedMemory.DEFAULT_PERMISSIONS);
            assertEquals(0600, PosixFiles.mode(PosixFiles.devShm(name)));
        } finally {
            SharedMemory.unlink(name);
        }
        String other = Names.unique("perm-ooc");
        try (SharedMemory m = SharedMemory.openOrCreate(other, 16)) {
            assertTrue(m.created());
            assertEquals(0600, PosixFiles.mode(PosixFiles.devShm(other)));
        } finally {
            SharedMemory.unlink(other);
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {0640, 0604, 0666, 0400, 0})
    void explicitPermissionsAreHonouredUnderTheUmask(int requested, @TempDir Path tmp) {
        int umask = PosixFiles.umask(tmp);
        String name = Names.unique("perm");
        try (SharedMemory m = SharedMemory.create(name, 16, requested)) {
            assertEquals(requested & ~umask, PosixFiles.mode(PosixFiles.devShm(name)),
                    () -> String.format("requested %o with umask %03o", requested, umask));
            // the creator's mapping is read-write whatever the mode says
            m.segment().set(ValueLayout.JAVA_BYTE, 15, (byte) 1);
            assertEquals(1, m.segment().get(ValueLayout.JAVA_BYTE, 15));
        } finally {
            SharedMemory.unlink(name);
        }
    }

    @ParameterizedTest
    @ValueSource(longs = {1, 7, 4095, 4097, 10000})
    void sizesNeedNotBePageMultiples(long size) throws IOException {
        String name = Names.unique("size");
        try (SharedMemory m = SharedMemory.create(name, size)) {
            MemorySegment s = m.segment();
            assertEquals(size, m.size());
            assertEquals(size, s.byteSize());
            assertEquals(size, Files.size(PosixFiles.devShm(name)), "ftruncate gave the object exactly the size");
            s.set(ValueLayout.JAVA_BYTE, size - 1, (byte) 0x5a);
            assertEquals(0x5a, s.get(ValueLayout.JAVA_BYTE, size - 1));
            // the page beyond the size is mapped by the kernel, but the segment refuses it
            assertThrows(IndexOutOfBoundsException.class, () -> s.get(ValueLayout.JAVA_BYTE, size));
            assertThrows(IndexOutOfBoundsException.class, () -> s.set(ValueLayout.JAVA_BYTE, size, (byte) 1));
            assertThrows(IndexOutOfBoundsException.class, () -> s.get(ValueLayout.JAVA_BYTE, -1));
            assertThrows(IndexOutOfBoundsException.class, () -> s.asSlice(size - 1, 2));
            assertThrows(IndexOutOfBoundsException.class, () -> put(s, size - 1, new byte[2]));
            try (SharedMemory other = SharedMemory.open(name)) {
                assertEquals(size, other.size(), "an opener sees the creator's size");
                assertEquals(0x5a, other.segment().get(ValueLayout.JAVA_BYTE, size - 1));
            }
        } finally {
            SharedMemory.unlink(name);
        }
    }

    @ParameterizedTest
    @ValueSource(longs = {0, -1, Long.MIN_VALUE})
    void nonPositiveSizesAreRefused(long size) {
        String name = Names.unique("badsize");
        InvalidArgumentException e = assertThrows(InvalidArgumentException.class, () -> SharedMemory.create(name, size));
        assertEquals("shm_open", e.call());
        assertEquals("EINVAL", e.errnoName());
        assertEquals("shm_open(\"" + name + "\"): EINVAL (size must be positive, was " + size + ")", e.getMessage());
        assertThrows(InvalidArgumentException.class, () -> SharedMemory.openOrCreate(name, size));
        assertFalse(Files.exists(PosixFiles.devShm(name)), "nothing was created");
    }

    @ParameterizedTest
    @ValueSource(ints = {01000, 01777, 04600, -1, Integer.MIN_VALUE})
    void permissionsBeyond0777AreRefused(int permissions) {
        String name = Names.unique("badperm");
        InvalidArgumentException e = assertThrows(InvalidArgumentException.class,
                () -> SharedMemory.create(name, 64, permissions));
        assertEquals("EINVAL", e.errnoName());
        String prefix = "shm_open(\"" + name + "\"): EINVAL (permissions must be within 0777, was ";
        String message = e.getMessage();
        assertTrue(message.startsWith(prefix) && message.endsWith(")"), message);
        // the refused value is shown in octal
        assertEquals(permissions, Integer.parseUnsignedInt(message.substring(prefix.length(), message.length() - 1), 8), message);
        assertFalse(Files.exists(PosixFiles.devShm(name)), "nothing was created");
    }

    @Test
    void aSizeTheAddressSpaceCannotHoldFailsAtMmapAndLeavesNothing() {
        // tmpfs accepts ftruncate to any size (the file is sparse); mmap then refuses the length.
        String name = Names.unique("huge");
        OsException e = assertThrows(OsException.class, () -> SharedMemory.create(name, Long.MAX_VALUE));
        assertTrue(e instanceof ResourceLimitException, () -> "expected ENOMEM as ResourceLimitException: " + e);
        assertEquals("mmap", e.call());
        assertEquals("ENOMEM", e.errnoName());
        assertEquals("mmap(\"" + name + "\", " + Long.MAX_VALUE + " bytes): ENOMEM (Cannot allocate memory)", e.getMessage());
        assertFalse(SharedMemory.exists(name), "the object created for the failed call was unlinked");
    }

    @Test
    void useAfterCloseThrowsIllegalStateException() {
        String name = Names.unique("closed");
        try {
            SharedMemory m = SharedMemory.create(name, 4096);
            MemorySegment before = m.segment();
            MemorySegment slice = before.asSlice(1024, 16);
            before.set(ValueLayout.JAVA_INT, 0, 1234);
            m.close();
            assertTrue(m.isClosed());
            IllegalStateException e = assertThrows(IllegalStateException.class, m::segment);
            assertEquals("SharedMemory " + name + " is closed", e.getMessage());
            assertThrows(IllegalStateException.class, () -> before.get(ValueLayout.JAVA_INT, 0));
            assertThrows(IllegalStateException.class, () -> before.set(ValueLayout.JAVA_INT, 0, 1));
            assertThrows(IllegalStateException.class, () -> slice.get(ValueLayout.JAVA_BYTE, 0));
            assertThrows(IllegalStateException.class, () -> before.asByteBuffer().get(0));
            assertFalse(before.scope().isAlive());
            // closing again is harmless
            assertDoesNotThrow(m::close);
            assertDoesNotThrow(m::close);
            assertTrue(m.isClosed());
            assertTrue(m.toString().endsWith(", closed]"), m.toString());
            // closing never unlinks: the object and its bytes remain
            assertTrue(SharedMemory.exists(name));
            try (SharedMemory again = SharedMemory.open(name)) {
                assertEquals(1234, again.segment().get(ValueLayout.JAVA_INT, 0));
            }
        } finally {
            SharedMemory.unlink(name);
        }
    }

    @Test
    void unlinkWhileMappedKeepsTheMappingAndRemovesTheName() {
        String name = Names.unique("unlink");
        try (SharedMemory m = SharedMemory.create(name, 4096)) {
            byte[] text = "still here".getBytes(StandardCharsets.UTF_8);
            put(m.segment(), 0, text);
            m.unlink();
            assertFalse(SharedMemory.exists(name));
            assertFalse(Files.exists(PosixFiles.devShm(name)));
            assertFalse(SharedMemory.unlink(name), "nothing left to unlink");
            assertDoesNotThrow(() -> { m.unlink(); }, "unlinking again through the instance is quiet");
            assertThrows(ObjectNotFoundException.class, () -> SharedMemory.open(name));
            // this process's mapping still works, for reading and writing
            assertFalse(m.isClosed());
            assertArrayEquals(text, bytes(m.segment(), 0, text.length));
            m.segment().set(ValueLayout.JAVA_INT, 4092, 99);
            assertEquals(99, m.segment().get(ValueLayout.JAVA_INT, 4092));
            // the name is free for a new, unrelated object
            try (SharedMemory fresh = SharedMemory.create(name, 4096)) {
                assertTrue(fresh.created());
                assertEquals(0, fresh.segment().get(ValueLayout.JAVA_INT, 4092));
                fresh.segment().set(ValueLayout.JAVA_INT, 0, -1);
                assertArrayEquals(text, bytes(m.segment(), 0, text.length), "the old mapping is a different object");
            } finally {
                SharedMemory.unlink(name);
            }
        } finally {
            SharedMemory.unlink(name);
        }
    }

    @Test
    void badNamesAreRefusedBeforeAnySystemCall() throws IOException {
        String u = Names.unique("badname").substring(1);
        record Case(String name, String errno, String why) {}
        List<Case> cases = List.of(
                new Case("", "EINVAL", "empty name"),
                new Case("/", "EINVAL", "empty name"),
                new Case(u + "/b", "EINVAL", "a name may not contain '/' after the leading one"),
                new Case("/" + u + "/b", "EINVAL", "a name may not contain '/' after the leading one"),
                new Case("//" + u, "EINVAL", "a name may not contain '/' after the leading one"),
                new Case(u + "\0tail", "EINVAL", "a name may not contain NUL"),
                new Case(u + "x".repeat(256 - u.length()), "ENAMETOOLONG", "longer than 255 bytes (NAME_MAX)"),
                new Case("/" + u + "x".repeat(256 - u.length()), "ENAMETOOLONG", "longer than 255 bytes (NAME_MAX)"),
                // 128 two-byte characters: 128 characters but 256 bytes
                new Case("\u00e9".repeat(128), "ENAMETOOLONG", "longer than 255 bytes (NAME_MAX)"));
        for (Case c : cases) {
            for (var call : List.<java.util.function.Supplier<SharedMemory>>of(
                    () -> SharedMemory.create(c.name(), 64),
                    () -> SharedMemory.openOrCreate(c.name(), 64),
                    () -> SharedMemory.open(c.name()),
                    () -> SharedMemory.openReadOnly(c.name()))) {
                InvalidArgumentException e = assertThrows(InvalidArgumentException.class, call::get, c.name());
                assertEquals("shm_open", e.call());
                assertEquals(c.errno(), e.errnoName(), c.name());
                assertTrue(e.getMessage().endsWith(": " + c.errno() + " (" + c.why() + ")"), e.getMessage());
            }
            assertThrows(InvalidArgumentException.class, () -> SharedMemory.exists(c.name()));
            assertThrows(InvalidArgumentException.class, () -> SharedMemory.unlink(c.name()));
        }
        // the message shows the name as given, with control characters escaped
        InvalidArgumentException nul = assertThrows(InvalidArgumentException.class, () -> SharedMemory.create("a\0b", 1));
        assertEquals("shm_open(\"a\\x00b\"): EINVAL (a name may not contain NUL)", nul.getMessage());
        assertThrows(NullPointerException.class, () -> SharedMemory.create(null, 1));
        // none of these reached the system: nothing with this test's prefix exists
        assertFalse(Files.exists(PosixFiles.devShm(u)));
        try (var s = Files.list(Path.of("/dev/shm"))) {
            List<String> mine = s.map(p -> p.getFileName().toString()).filter(f -> f.startsWith(u)).toList();
            assertEquals(List.of(), mine);
        }
    }

    @Test
    void aName255BytesLongWorks() {
        String u = Names.unique("long").substring(1);
        String name = u + "y".repeat(255 - u.length());
        assertEquals(255, name.length());
        try (SharedMemory m = SharedMemory.create(name, 32)) {
            assertEquals("/" + name, m.name());
            assertTrue(Files.exists(PosixFiles.devShm(name)));
            m.segment().set(ValueLayout.JAVA_INT, 0, 255);
            try (SharedMemory o = SharedMemory.open("/" + name)) {
                assertEquals(255, o.segment().get(ValueLayout.JAVA_INT, 0));
            }
        } finally {
            assertTrue(SharedMemory.unlink(name));
        }
    }

    @Test
    void openOrCreateCreatesThenOpens() {
        String name = Names.unique("ooc");
        try (SharedMemory first = SharedMemory.openOrCreate(name, 8192)) {
            assertTrue(first.created());
            assertEquals(8192, first.size());
            first.segment().set(ValueLayout.JAVA_INT, 4, 4242);
            try (SharedMemory second = SharedMemory.openOrCreate(name, 8192)) {
                assertFalse(second.created());
                assertEquals(8192, second.size());
                assertEquals(4242, second.segment().get(ValueLayout.JAVA_INT, 4));
            }
            // an existing object keeps its own size when a smaller one is asked for
            try (SharedMemory smaller = SharedMemory.openOrCreate(name, 100)) {
                assertFalse(smaller.created());
                assertEquals(8192, smaller.size());
                assertEquals(8192, smaller.segment().byteSize());
            }
            // a larger one is an error, and leaves the object alone
            InvalidArgumentException e = assertThrows(InvalidArgumentException.class,
                    () -> SharedMemory.openOrCreate(name, 8193));
            assertEquals("shm_open(\"" + name + "\"): EINVAL (exists with 8192 bytes, fewer than the 8193 requested)",
                    e.getMessage());
            assertTrue(SharedMemory.exists(name));
            // OPEN_EXISTING ignores the size entirely
            try (SharedMemory existing = SharedMemory.open(name, OpenMode.OPEN_EXISTING, 1 << 20, 0)) {
                assertEquals(8192, existing.size());
            }
        } finally {
            SharedMemory.unlink(name);
        }
    }

    @Test
    void openReadOnlyRefusesWrites() {
        String name = Names.unique("ro");
        try (SharedMemory w = SharedMemory.create(name, 4096)) {
            w.segment().set(ValueLayout.JAVA_LONG, 0, 0xfeedL);
            try (SharedMemory r = SharedMemory.openReadOnly(name)) {
                assertTrue(r.isReadOnly());
                assertFalse(r.created());
                assertEquals(4096, r.size());
                MemorySegment s = r.segment();
                assertTrue(s.isReadOnly());
                assertEquals(0xfeedL, s.get(ValueLayout.JAVA_LONG, 0));
                // the FFM API reports writes to a read-only segment as IllegalArgumentException
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                        () -> s.set(ValueLayout.JAVA_LONG, 0, 1L));
                assertEquals("Attempt to write a read-only segment", e.getMessage());
                assertThrows(IllegalArgumentException.class, () -> s.fill((byte) 1));
                assertThrows(IllegalArgumentException.class, () -> put(s, 8, new byte[]{1, 2}));
                assertThrows(IllegalArgumentException.class, () -> s.asSlice(16).set(ValueLayout.JAVA_BYTE, 0, (byte) 1));
                assertThrows(java.nio.ReadOnlyBufferException.class, () -> s.asByteBuffer().put(0, (byte) 1));
                assertEquals(0xfeedL, s.get(ValueLayout.JAVA_LONG, 0), "nothing was written");
                // later writes through the writable mapping are seen through the read-only one
                w.segment().set(ValueLayout.JAVA_LONG, 0, 0xbeefL);
                assertEquals(0xbeefL, s.get(ValueLayout.JAVA_LONG, 0));
            }
        } finally {
            SharedMemory.unlink(name);
        }
    }

    @Test
    void manyThreadsWriteDisjointRegionsOfOneMapping() throws Exception {
        String name = Names.unique("threads");
        int threads = 8;
        int region = 16 * 1024 + 12; // deliberately not a page multiple
        try (SharedMemory m = SharedMemory.create(name, (long) threads * region);
             ExecutorService pool = Executors.newFixedThreadPool(threads)) {
            MemorySegment s = m.segment();
            CountDownLatch start = new CountDownLatch(1);
            List<Future<?>> done = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int id = t;
                done.add(pool.submit(() -> {
                    start.await();
                    MemorySegment mine = s.asSlice((long) id * region, region);
                    for (int round = 0; round < 50; round++) {
                        for (int i = 0; i < region; i++) mine.set(ValueLayout.JAVA_BYTE, i, (byte) (id * 31 + i + round));
                    }
                    return null;
                }));
            }
            start.countDown();
            for (Future<?> f : done) f.get(60, TimeUnit.SECONDS);
            // every region holds exactly what its own thread wrote last, seen through a second mapping too
            try (SharedMemory view = SharedMemory.open(name)) {
                for (int t = 0; t < threads; t++) {
                    for (int i = 0; i < region; i++) {
                        byte expected = (byte) (t * 31 + i + 49);
                        long at = (long) t * region + i;
                        if (s.get(ValueLayout.JAVA_BYTE, at) != expected || view.segment().get(ValueLayout.JAVA_BYTE, at) != expected) {
                            throw new AssertionError("thread " + t + " byte " + i + " is " + s.get(ValueLayout.JAVA_BYTE, at));
                        }
                    }
                }
            }
        } finally {
            SharedMemory.unlink(name);
        }
    }

    @Test
    void twoMappingsInOneProcessShareMemoryAtDifferentAddresses() {
        String name = Names.unique("twomaps");
        try (SharedMemory a = SharedMemory.create(name, 4096);
             SharedMemory b = SharedMemory.open(name)) {
            assertNotSame(a, b);
            assertTrue(a.segment().address() != b.segment().address());
            a.segment().set(ValueLayout.JAVA_INT, 8, 1);
            assertEquals(1, b.segment().get(ValueLayout.JAVA_INT, 8));
            // closing one leaves the other working
            a.close();
            b.segment().set(ValueLayout.JAVA_INT, 8, 2);
            assertEquals(2, b.segment().get(ValueLayout.JAVA_INT, 8));
            assertSame(b.segment(), b.segment());
        } finally {
            SharedMemory.unlink(name);
        }
    }
}
