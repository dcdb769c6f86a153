package dev.shmkit.objects;

import dev.shmkit.queue.Codec;
import dev.shmkit.shm.SharedMemory;
import dev.shmkit.sync.SharedBarrier;
import dev.shmkit.sync.SharedEvent;
import dev.shmkit.sync.SharedLock;
import dev.shmkit.sync.SharedReentrantLock;
import dev.shmkit.sync.SharedSemaphore;
import dev.shmkit.testkit.Names;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Consumer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Shared memory another process may have scribbled on: every header field and every index word
 * and record is checked before use, and what is wrong is an IllegalStateException that says so,
 * never an out-of-bounds access, a crash, or a huge allocation.
 */
class HostileMemoryTest {
    private final String name = Names.unique("hostile");

    @AfterEach
    void cleanup() {
        SharedMemory.unlink(name);
    }

    /** Creates an int array of 10, lets {@code poke} change its raw bytes, and returns the error opening it gives. */
    private String corruptArray(Consumer<MemorySegment> poke) {
        SharedArray.OfInt.create(name, 10, true).close();
        try (SharedMemory raw = SharedMemory.open(name)) {
            poke.accept(raw.segment());
        }
        return assertThrows(IllegalStateException.class, () -> SharedArray.OfInt.open(name)).getMessage();
    }

    @Test
    void corruptHeadersAreRefused() {
        String where = "array " + name;
        assertTrue(corruptArray(s -> s.set(ValueLayout.JAVA_INT, 0, 0x12345678))
                .startsWith(where + " is not a shmkit shared object (magic 0x12345678, expected 0x534f424a): never initialized, or overwritten"));
        SharedMemory.unlink(name);
        assertEquals(where + " has layout version 9; this shmkit reads version 1",
                corruptArray(s -> s.set(ValueLayout.JAVA_SHORT, HeaderDescriptor.VERSION_OFFSET, (short) 9)));
        SharedMemory.unlink(name);
        assertEquals(where + " is a shmkit object of unknown kind 42",
                corruptArray(s -> s.set(ValueLayout.JAVA_SHORT, HeaderDescriptor.KIND_OFFSET, (short) 42)));
        SharedMemory.unlink(name);
        assertEquals(where + " has a corrupt header: unknown element type 99",
                corruptArray(s -> s.set(ValueLayout.JAVA_SHORT, HeaderDescriptor.TYPE_OFFSET, (short) 99)));
        SharedMemory.unlink(name);
        assertEquals(where + " has a corrupt header: element size 8 for type int",
                corruptArray(s -> s.set(ValueLayout.JAVA_INT, HeaderDescriptor.ELEMENT_SIZE_OFFSET, 8)));
        SharedMemory.unlink(name);
        assertEquals(where + " has a corrupt header: its sizes add up to 168 bytes, but it records 4096",
                corruptArray(s -> s.set(ValueLayout.JAVA_LONG, HeaderDescriptor.LENGTH_OFFSET, 4096)));
        SharedMemory.unlink(name);
        assertTrue(corruptArray(s -> s.set(ValueLayout.JAVA_LONG, HeaderDescriptor.COUNT_OFFSET, 1L << 40))
                .startsWith(where + " has a corrupt header: an array length must be 0 to"));
        SharedMemory.unlink(name);
        assertEquals(where + " has a corrupt header: its sizes add up to 208 bytes, but it records 168",
                corruptArray(s -> s.set(ValueLayout.JAVA_LONG, HeaderDescriptor.COUNT_OFFSET, 20)));
        SharedMemory.unlink(name);
        assertEquals(where + " has a corrupt header: unknown flags 0x8",
                corruptArray(s -> s.set(ValueLayout.JAVA_SHORT, HeaderDescriptor.FLAGS_OFFSET, (short) 9)));
        SharedMemory.unlink(name);
        assertTrue(corruptArray(s -> s.set(ValueLayout.JAVA_INT, HeaderDescriptor.LOCK_OFFSET, 0))
                .startsWith(where + " has a corrupt lock: "));
        SharedMemory.unlink(name);
        assertEquals(where + " is a value, not an array",
                corruptArray(s -> s.set(ValueLayout.JAVA_SHORT, HeaderDescriptor.KIND_OFFSET, ObjectKind.VALUE.code)));
    }

    @Test
    void aHeaderClaimingMoreThanTheObjectHasIsRefused() {
        try (SharedArray.OfLong a = SharedArray.OfLong.create(name, 1000)) {
            assertEquals(128 + 8000, a.byteSize());
        }
        SharedMemory.unlink(name);
        try (SharedMemory small = SharedMemory.create(name, 256)) {
            // A genuine header for 1000 longs, in an object of 256 bytes.
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment big = arena.allocate(128 + 8000, 64);
                SharedArray.OfLong.create(big, 0, 1000, false);
                MemorySegment.copy(big, 0, small.segment(), 0, 128);
            }
        }
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> SharedArray.OfLong.open(name));
        assertEquals("array " + name + " has a corrupt header: it records 8128 bytes, but the object has 256", e.getMessage());
    }

    @Test
    void objectsOfOtherKindsSayWhatTheyAre() {
        SharedLock.create(name).close();
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> SharedValue.OfLong.open(name));
        assertEquals("value " + name + " is not a shmkit shared object (magic 0x53594e43, expected 0x534f424a): it is a shmkit lock",
                e.getMessage());
        SharedMemory.unlink(name);
        SharedMemory.create(name, 4).close();
        e = assertThrows(IllegalStateException.class, () -> SharedMap.open(name, Codec.string(), Codec.string()));
        assertEquals("map " + name + " is 4 bytes, too small to be a shmkit shared object", e.getMessage());
        SharedMemory.unlink(name);
        try (SharedMemory raw = SharedMemory.create(name, 64)) {
            raw.segment().set(ValueLayout.JAVA_INT, 0, HeaderDescriptor.MAGIC);
        }
        e = assertThrows(IllegalStateException.class, () -> SharedValue.open(name));
        assertEquals("value " + name + " is 64 bytes, too small to be a shmkit shared object", e.getMessage());
    }

    @Test
    void zeroedMemoryInASegmentIsNotAnObject() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment seg = arena.allocate(4096, 64);
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> SharedMap.open(seg, 0, Codec.string(), Codec.string()));
            assertEquals("map at offset 0 is not a shmkit shared object (magic 0x0, expected 0x534f424a): never initialized, or overwritten",
                    e.getMessage());
            SharedMap.create(seg, 0, Codec.string(), Codec.string(), 10, 64);
            seg.set(ValueLayout.JAVA_LONG, HeaderDescriptor.SLOTS_OFFSET, 32);
            e = assertThrows(IllegalStateException.class, () -> SharedMap.open(seg, 0, Codec.string(), Codec.string()));
            assertEquals("map at offset 0 has a corrupt header: 32 index slots for capacity 10", e.getMessage());
            seg.set(ValueLayout.JAVA_LONG, HeaderDescriptor.SLOTS_OFFSET, 16);
            seg.set(ValueLayout.JAVA_LONG, HeaderDescriptor.DATA_BYTES_OFFSET, 1L << 62);
            e = assertThrows(IllegalStateException.class, () -> SharedMap.open(seg, 0, Codec.string(), Codec.string()));
            assertTrue(e.getMessage().startsWith("map at offset 0 has a corrupt header: a map's data size must be"), e.getMessage());
        }
    }

    /** The absolute offset of the first live index word of a map's active space (epoch 0). */
    private static long firstLiveWord(MemorySegment s, long slots) {
        for (long i = 0; i < slots; i++) {
            long at = StoreDescriptor.SPACES_OFFSET + StoreDescriptor.SPACE_INDEX_OFFSET + 8 * i;
            long w = s.get(ValueLayout.JAVA_LONG, at);
            if (w != StoreDescriptor.EMPTY && w != StoreDescriptor.DELETED) return at;
        }
        throw new AssertionError("no live word");
    }

    @Test
    void corruptIndexWordsAndRecordsAreCaught() {
        try (SharedMap<String, String> m = SharedMap.create(name, Codec.string(), Codec.string(), 10, 1024);
             SharedMemory raw = SharedMemory.open(name)) {
            m.put("only", "entry");
            MemorySegment s = raw.segment();
            long at = firstLiveWord(s, 16);
            long word = s.get(ValueLayout.JAVA_LONG, at);
            // an index word pointing far beyond the data area
            s.set(ValueLayout.JAVA_LONG, at, (word & 0xffff_ffff_0000_0000L) | 0x7fff_0000L);
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> m.get("only"));
            assertTrue(e.getMessage().startsWith("map " + name + " is corrupt: an index word points outside the data area"), e.getMessage());
            s.set(ValueLayout.JAVA_LONG, at, word);
            assertEquals("entry", m.get("only"));
            // a record claiming a value of 2 GB: refused before anything is allocated
            long record = StoreDescriptor.SPACES_OFFSET + StoreDescriptor.SPACE_INDEX_OFFSET + 8 * 16 + StoreDescriptor.recordOffset(word);
            s.set(ValueLayout.JAVA_INT, record + StoreDescriptor.RECORD_VALUE_LENGTH_OFFSET, Integer.MAX_VALUE);
            e = assertThrows(IllegalStateException.class, () -> m.get("only"));
            assertTrue(e.getMessage().startsWith("map " + name + " is corrupt: bad record at data offset 0"), e.getMessage());
            assertThrows(IllegalStateException.class, m::snapshot);
            // a compaction drops what does not validate, and the map carries on
            m.compact();
            assertEquals(1, m.stats().dropped());
            assertNull(m.get("only"));
            m.put("new", "entry");
            assertEquals(1, m.size());
        }
    }

    @Test
    void corruptListSizeIsCaught() {
        try (SharedList<String> l = SharedList.create(name, Codec.string(), 4, 256);
             SharedMemory raw = SharedMemory.open(name)) {
            l.add("x");
            raw.segment().set(ValueLayout.JAVA_LONG, StoreDescriptor.SPACES_OFFSET + StoreDescriptor.SPACE_COUNT_OFFSET, 1000);
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> l.get(0));
            assertEquals("list " + name + " is corrupt: size 1000 exceeds its capacity 4", e.getMessage());
            assertThrows(IllegalStateException.class, () -> l.add("y"));
        }
    }

    @Test
    void kindsNamesWhatAnObjectIs() throws IOException {
        String[] names = new String[10];
        for (int i = 0; i < names.length; i++) names[i] = Names.unique("kinds" + i);
        try {
            SharedValue.OfLong.create(names[0], 1).close();
            SharedArray.OfInt.create(names[1], 3).close();
            SharedMap.create(names[2], Codec.string(), Codec.string(), 4, 64).close();
            SharedList.create(names[3], Codec.string(), 4, 64).close();
            SharedLock.create(names[4]).close();
            SharedReentrantLock.create(names[5]).close();
            SharedEvent.create(names[6]).close();
            SharedSemaphore.create(names[7], 1).close();
            SharedBarrier.create(names[8], 2).close();
            SharedMemory.create(names[9], 100).close();
            String[] expected = {"value", "array", "map", "list", "lock", "rlock", "event", "semaphore", "barrier", null};
            for (int i = 0; i < names.length; i++) {
                byte[] head = new byte[Kinds.PREFIX_BYTES];
                int n;
                try (InputStream in = Files.newInputStream(Path.of("/dev/shm", names[i].substring(1)))) {
                    n = in.readNBytes(head, 0, head.length);
                }
                assertEquals(expected[i], Kinds.describe(head, n), names[i]);
            }
        } finally {
            for (String n : names) SharedMemory.unlink(n);
        }
        byte[] ring = new byte[16];
        MemorySegment.ofArray(ring).set(ValueLayout.JAVA_INT_UNALIGNED, 0, Kinds.RING_MAGIC);
        MemorySegment.ofArray(ring).set(ValueLayout.JAVA_SHORT_UNALIGNED, 6, (short) 2);
        assertEquals("ring", Kinds.describe(ring, 16));
        assertNull(Kinds.describe(ring, 7), "too short");
        assertNull(Kinds.describe(new byte[] {1, 2, 3, 4, 5, 6, 7, 8, 9}, 9));
        assertNull(Kinds.describe(null, 0));
        assertNull(Kinds.describe(MemorySegment.NULL));
    }
}
