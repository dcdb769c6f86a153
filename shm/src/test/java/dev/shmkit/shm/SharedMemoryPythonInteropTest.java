package dev.shmkit.shm;

import dev.shmkit.testkit.Names;
import dev.shmkit.testkit.Programs;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * {@link SharedMemory} and Python's {@code multiprocessing.shared_memory.SharedMemory} (standard
 * library) on the same objects, in both directions.
 *
 * <p>Python notes, as observed with CPython 3.11 on Linux: it prepends a '/' to every name it is
 * given (so {@code "jobs"} is {@code /jobs}, and {@code "/jobs"} becomes {@code //jobs}, which
 * glibc's shm_open also resolves to {@code /jobs} because it skips all leading slashes); it sizes
 * a new object with ftruncate to exactly the size asked, then maps {@code fstat}'s size, so no
 * rounding to pages happens on Linux; and its resource tracker unlinks at exit every object the
 * script created <em>or attached</em>, so each script unregisters what it touches.
 */
class SharedMemoryPythonInteropTest {

    @BeforeAll
    static void needPython() {
        assumeTrue(Programs.available("python3"), "python3 is not installed");
    }

    private static final String PRELUDE = """
            import sys
            from multiprocessing import shared_memory, resource_tracker
            def attach(name):
                m = shared_memory.SharedMemory(name=name)
                resource_tracker.unregister(m._name, "shared_memory")
                return m
            """;

    private static Programs.Result python(String script, String... args) {
        List<String> cmd = new ArrayList<>(List.of("python3", "-c", PRELUDE + script));
        cmd.addAll(List.of(args));
        Programs.Result r = Programs.run(cmd).assertSuccess();
        // a resource tracker warning ("leaked shared_memory objects") would mean it unlinked something
        assertEquals("", r.stderr(), "python3 wrote to stderr");
        return r;
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
    void pythonAttachesToWhatShmkitCreated() {
        String name = Names.unique("py-attach");
        try (SharedMemory m = SharedMemory.create(name, 6000)) {
            put(m.segment(), 0, "hello python");
            m.segment().set(ValueLayout.JAVA_INT, 16, 0x01020304); // native order: little-endian here
            Programs.Result r = python("""
                    m = attach(sys.argv[1])
                    print(m.name)
                    print(m.size)
                    print(bytes(m.buf[0:12]).decode())
                    print(int.from_bytes(m.buf[16:20], sys.byteorder))
                    m.buf[100:115] = b"hello from py!!"
                    m.buf[5999] = 0x7f
                    m.close()
                    """, name.substring(1));
            assertEquals(List.of(name.substring(1), "6000", "hello python", Integer.toString(0x01020304)),
                    List.of(r.stdout().strip().split("\n")), r.stdout());
            // Python's writes are in shmkit's mapping
            assertEquals("hello from py!!", get(m.segment(), 100, 15));
            assertEquals(0x7f, m.segment().get(ValueLayout.JAVA_BYTE, 5999));
            // and the object survived the script: its resource tracker did not unlink it
            assertTrue(SharedMemory.exists(name));

            // given the name with its slash, Python asks for "//name", which glibc resolves the same way
            Programs.Result slashed = python("""
                    m = attach(sys.argv[1])
                    print(m.size, bytes(m.buf[100:115]).decode())
                    m.close()
                    """, name);
            assertEquals("6000 hello from py!!", slashed.stdout().strip());
        } finally {
            SharedMemory.unlink(name);
        }
    }

    @Test
    void shmkitOpensWhatPythonCreated() {
        String name = Names.unique("py-create");
        String bare = name.substring(1);
        try {
            Programs.Result r = python("""
                    import os
                    m = shared_memory.SharedMemory(create=True, size=int(sys.argv[2]), name=sys.argv[1])
                    resource_tracker.unregister(m._name, "shared_memory")
                    m.buf[0:14] = b"python made me"
                    m.buf[len(m.buf) - 1] = 0x42
                    print(m.size, os.fstat(m._fd).st_size, len(m.buf))
                    m.close()
                    """, bare, "10000");
            // no rounding on Linux: Python's size, the object's size and its mapping agree
            assertEquals("10000 10000 10000", r.stdout().strip());
            assertTrue(SharedMemory.exists(name), "the object outlives the Python process");
            assertEquals(0600, PosixFiles.mode(PosixFiles.devShm(name)), "Python's default mode is 0600 too");

            try (SharedMemory m = SharedMemory.open(bare)) {
                assertFalse(m.created());
                assertEquals(10000, m.size());
                assertEquals(10000, m.segment().byteSize());
                assertEquals("python made me", get(m.segment(), 0, 14));
                assertEquals(0x42, m.segment().get(ValueLayout.JAVA_BYTE, 9999));
                put(m.segment(), 20, "java was here");
                // shmkit's write is visible to a second Python process
                Programs.Result again = python("""
                        m = attach(sys.argv[1])
                        print(bytes(m.buf[20:33]).decode())
                        m.close()
                        """, bare);
                assertEquals("java was here", again.stdout().strip());
                // shmkit unlinks: Python can no longer attach
                m.unlink();
                Programs.Result gone = Programs.run(List.of("python3", "-c", PRELUDE + """
                        try:
                            attach(sys.argv[1])
                            print("attached")
                        except FileNotFoundError as e:
                            print("FileNotFoundError", e.errno)
                        """, bare));
                assertEquals("FileNotFoundError 2", gone.assertSuccess().stdout().strip());
                // shmkit's own mapping still holds Python's bytes
                assertEquals("python made me", get(m.segment(), 0, 14));
            }
        } finally {
            SharedMemory.unlink(name);
        }
    }

    @Test
    void pythonCreateConflictsWithShmkitsObject() {
        String name = Names.unique("py-excl");
        try (SharedMemory m = SharedMemory.create(name, 64)) {
            Programs.Result r = python("""
                    try:
                        shared_memory.SharedMemory(create=True, size=64, name=sys.argv[1])
                        print("created")
                    except FileExistsError as e:
                        print("FileExistsError", e.errno)
                    """, name.substring(1));
            assertEquals("FileExistsError 17", r.stdout().strip());
            assertTrue(SharedMemory.exists(name));
        } finally {
            SharedMemory.unlink(name);
        }
    }
}
