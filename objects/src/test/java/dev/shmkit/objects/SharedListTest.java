package dev.shmkit.objects;

import dev.shmkit.queue.Codec;
import dev.shmkit.shm.SharedMemory;
import dev.shmkit.testkit.Names;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** SharedList in one process: list operations, snapshots, capacity, compaction, placement. */
class SharedListTest {
    private final String name = Names.unique("list");

    @AfterEach
    void cleanup() {
        SharedMemory.unlink(name);
    }

    @Test
    void listOperations() {
        try (SharedList<String> l = SharedList.create(name, Codec.string(), 100, 4096)) {
            assertTrue(l.isEmpty());
            assertTrue(l.add("a"));
            l.add("b");
            l.add("c");
            assertEquals(List.of("a", "b", "c"), l);
            assertEquals("b", l.get(1));
            assertEquals("b", l.set(1, "B"));
            assertEquals("B", l.get(1));
            assertEquals("c", l.removeLast());
            assertEquals(List.of("a", "B"), l);
            l.add(0, "first");
            l.add(1, "second");
            l.add(l.size(), "last");
            assertEquals(List.of("first", "second", "a", "B", "last"), l);
            assertEquals("a", l.remove(2));
            assertEquals("last", l.remove(3));
            assertEquals(List.of("first", "second", "B"), l);
            assertTrue(l.contains("B"));
            assertEquals(2, l.indexOf("B"));
            assertTrue(l.addAll(List.of("x", "y")));
            assertEquals(5, l.size());
            assertEquals("[first, second, B, x, y]", l.toString());
            assertThrows(IndexOutOfBoundsException.class, () -> l.get(5));
            assertThrows(IndexOutOfBoundsException.class, () -> l.get(-1));
            assertThrows(IndexOutOfBoundsException.class, () -> l.set(5, "z"));
            assertThrows(IndexOutOfBoundsException.class, () -> l.add(7, "z"));
            assertThrows(NullPointerException.class, () -> l.add(null));
            try (SharedList<String> other = SharedList.open(name, Codec.string())) {
                assertEquals(l, other);
                other.add("from the other handle");
            }
            assertEquals("from the other handle", l.get(5));
            l.clear();
            assertTrue(l.isEmpty());
            assertThrows(NoSuchElementException.class, l::removeLast);
            l.add("again");
            assertEquals(List.of("again"), l.snapshot());
        }
    }

    @Test
    void iteratorsSeeASnapshotAndAreReadOnly() {
        try (SharedList<Integer> l = SharedList.create(name, Codec.ints(), 100, 4096)) {
            for (int i = 0; i < 10; i++) l.add(i);
            Iterator<Integer> it = l.iterator();
            l.add(10);
            int n = 0;
            while (it.hasNext()) assertEquals(n++, it.next());
            assertEquals(10, n, "the iterator's snapshot predates the eleventh element");
            Iterator<Integer> again = l.iterator();
            again.next();
            assertThrows(UnsupportedOperationException.class, again::remove);
            List<Integer> sub = l.subList(2, 4);
            assertEquals(List.of(2, 3), new ArrayList<>(sub));
            l.replaceAll(x -> x * 2);
            assertEquals(20, l.get(10));
            l.sort((a, b) -> b - a);
            assertEquals(20, l.get(0));
        }
    }

    @Test
    void fullListsAndCompaction() {
        try (SharedList<String> l = SharedList.create(name, Codec.string(), 3, 256)) {
            l.add("a");
            l.add("b");
            l.add("c");
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> l.add("d"));
            assertEquals("list " + name + " is full: it holds 3 elements, its capacity", e.getMessage());
            assertThrows(IllegalStateException.class, () -> l.add(0, "d"));
            for (int i = 0; i < 1000; i++) l.set(i % 3, "value " + i); // garbage, compacted away as needed
            assertEquals(List.of("value 999", "value 997", "value 998"), l);
            assertTrue(l.stats().epoch() > 10, l.stats().toString());
            l.removeLast();
            IllegalStateException data = assertThrows(IllegalStateException.class, () -> l.add("x".repeat(200)));
            assertTrue(data.getMessage().startsWith("list " + name + " is full: an element of 216 bytes does not fit in its 256 data bytes"),
                    data.getMessage());
            l.compact();
            assertEquals(0, l.stats().garbageBytes());
            assertEquals(2, l.size());
        }
    }

    @Test
    void placementAndCodecCheck() {
        try (Arena arena = Arena.ofShared()) {
            MemorySegment seg = arena.allocate(SharedList.byteSize(10, 1024), 64);
            SharedList<Long> a = SharedList.create(seg, 0, Codec.longs(), 10, 1024);
            a.add(5L);
            SharedList<Long> b = SharedList.open(seg, 0, Codec.longs());
            assertEquals(5L, b.get(0));
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> SharedList.open(seg, 0, Codec.string()));
            assertEquals("list at offset 0 was created with element codec 'longs', not 'string'", e.getMessage());
            assertFalse(SharedList.open(seg, 0, Codec.bytes()).isEmpty());
        }
    }
}
