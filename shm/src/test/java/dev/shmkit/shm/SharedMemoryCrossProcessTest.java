package dev.shmkit.shm;

import dev.shmkit.testkit.Names;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link SharedMemory} between this JVM and child JVMs ({@link ShmPeer}), handing off by
 * stdin/stdout lines: whoever creates, the other opens the same bytes; an unlinked object lives
 * on in the mappings that have it; an object outlives the process that created it.
 */
class SharedMemoryCrossProcessTest {

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
    void parentCreatesChildOpensAndAnswers() {
        String name = Names.unique("xp-parent");
        try (Peer child = Peer.start();
             SharedMemory m = SharedMemory.create(name, 10_000)) {
            MemorySegment s = m.segment();
            put(s, 0, "from parent");
            s.set(ValueLayout.JAVA_INT, 9_996, 0x600dcafe);

            // the child opens by the bare name, sees the creator's size and bytes
            assertEquals("10000 false", child.ok("open " + name.substring(1)));
            assertEquals("from parent", child.ok("read 0 11"));
            assertEquals(Integer.toString(0x600dcafe), child.ok("getInt 9996"));
            // ... and its writes land in the parent's mapping
            child.ok("write 5000 from child, ünïcødé");
            child.ok("setInt 64 -7");
            assertEquals("from child, ünïcødé", get(s, 5000, "from child, ünïcødé".getBytes(StandardCharsets.UTF_8).length));
            assertEquals(-7, (int) ShmPeer.INT.getAcquire(s, 64L));

            // exclusive create in the other process meets the existing object
            assertEquals("ObjectExistsException shm_open(\"" + name + "\", O_RDWR|O_CREAT|O_EXCL, 0600): EEXIST (File exists)",
                    child.error("create " + name + " 64"));
            // the child's segment bounds are the object's size, not the page size
            assertTrue(child.error("read 9999 2").startsWith("IndexOutOfBoundsException "));

            // closing in the child unmaps only the child's view; the parent is unaffected
            child.ok("close");
            assertTrue(child.error("read 0 1").startsWith("IllegalStateException "));
            put(s, 0, "parent still");
            assertEquals("parent still", get(s, 0, 12));
            assertEquals("true", child.ok("exists " + name));
            child.exit();
        } finally {
            SharedMemory.unlink(name);
        }
    }

    @Test
    void childCreatesParentOpensAndTheObjectOutlivesItsCreator() {
        String name = Names.unique("xp-child");
        try {
            try (Peer child = Peer.start()) {
                assertEquals("4097 true", child.ok("create " + name + " 4097"));
                child.ok("write 0 made by child");
                child.ok("setInt 4092 31337");
                try (SharedMemory m = SharedMemory.open(name)) {
                    assertFalse(m.created());
                    assertEquals(4097, m.size());
                    assertEquals("made by child", get(m.segment(), 0, 13));
                    assertEquals(31337, m.segment().get(ValueLayout.JAVA_INT, 4092));
                    put(m.segment(), 100, "parent reply");
                    assertEquals("parent reply", child.ok("read 100 12"));
                    // the creator is killed without closing or unlinking
                    child.close();
                    assertFalse(child.jvm().process().isAlive());
                    // the object remains, with the bytes both wrote
                    assertTrue(SharedMemory.exists(name));
                    assertEquals("made by child", get(m.segment(), 0, 13));
                }
            }
            try (SharedMemory later = SharedMemory.open(name)) {
                assertEquals(4097, later.size());
                assertEquals("parent reply", get(later.segment(), 100, 12));
            }
        } finally {
            SharedMemory.unlink(name);
        }
    }

    @Test
    void unlinkWhileAnotherProcessHasItMapped() {
        String name = Names.unique("xp-unlink");
        try (Peer child = Peer.start();
             SharedMemory m = SharedMemory.create(name, 4096)) {
            put(m.segment(), 0, "before unlink");
            assertEquals("4096 false", child.ok("openReadOnly " + name));
            assertTrue(child.error("write 0 x").startsWith("IllegalArgumentException Attempt to write a read-only segment"));

            m.unlink();
            assertFalse(SharedMemory.exists(name));
            assertEquals("false", child.ok("exists " + name));
            // the child's mapping still has the bytes, and still sees the parent's later writes
            assertEquals("before unlink", child.ok("read 0 13"));
            put(m.segment(), 0, "after unlink!");
            assertEquals("after unlink!", child.ok("read 0 13"));
            assertTrue(child.error("open " + name).startsWith("ObjectNotFoundException shm_open(\"" + name + "\", O_RDWR): ENOENT"));

            // a new object under the same name is unrelated to the memory both still map
            try (SharedMemory fresh = SharedMemory.create(name, 4096)) {
                put(fresh.segment(), 0, "new object!!!");
                assertEquals("after unlink!", child.ok("read 0 13"));
                assertEquals("after unlink!", get(m.segment(), 0, 13));
            } finally {
                SharedMemory.unlink(name);
            }
            child.exit();
        } finally {
            SharedMemory.unlink(name);
        }
    }

    @Test
    void twoProcessesRacingOpenOrCreateAgreeOnOneObject() {
        String name = Names.unique("xp-race");
        List<Peer> peers = Peer.start(2);
        try (Peer a = peers.get(0); Peer b = peers.get(1)) {
            // both commands are in flight before either answer is read
            a.send("openOrCreate " + name + " 65536");
            b.send("openOrCreate " + name + " 65536");
            String ra = a.okAnswer("openOrCreate");
            String rb = b.okAnswer("openOrCreate");
            assertEquals(List.of("65536 false", "65536 true"), List.of(ra, rb).stream().sorted().toList(),
                    "exactly one of the two created it, both see its full size");
            a.ok("write 65530 abcdef");
            assertEquals("abcdef", b.ok("read 65530 6"));
            try (SharedMemory m = SharedMemory.openOrCreate(name, 65536)) {
                assertFalse(m.created());
                assertEquals("abcdef", get(m.segment(), 65530, 6));
            }
            a.exit();
            b.exit();
        } finally {
            SharedMemory.unlink(name);
        }
    }
}
