package dev.shmkit.objects;

import dev.shmkit.queue.Codec;
import dev.shmkit.shm.SharedMemory;
import dev.shmkit.testkit.Names;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** SharedMap in one process: the ConcurrentMap contract, capacity, compaction, codecs, placement. */
class SharedMapTest {
    private final String name = Names.unique("map");

    @AfterEach
    void cleanup() {
        SharedMemory.unlink(name);
    }

    private SharedMap<String, String> strings(long capacity, long dataBytes) {
        return SharedMap.create(name, Codec.string(), Codec.string(), capacity, dataBytes);
    }

    @Test
    void basicMapOperations() {
        try (SharedMap<String, String> m = strings(100, 4096)) {
            assertTrue(m.isEmpty());
            assertNull(m.put("a", "1"));
            assertEquals("1", m.put("a", "2"));
            assertNull(m.put("b", "x"));
            assertEquals("2", m.get("a"));
            assertNull(m.get("zzz"));
            assertTrue(m.containsKey("b"));
            assertFalse(m.containsKey("c"));
            assertEquals(2, m.size());
            assertEquals("x", m.remove("b"));
            assertNull(m.remove("b"));
            assertEquals(1, m.size());
            assertEquals("2", m.getOrDefault("a", "d"));
            assertEquals("d", m.getOrDefault("q", "d"));
            assertEquals(name, m.name());
            assertEquals(100, m.capacity());
            assertThrows(NullPointerException.class, () -> m.put(null, "v"));
            assertThrows(NullPointerException.class, () -> m.put("k", null));
            assertThrows(NullPointerException.class, () -> m.get(null));
            assertEquals(0600, SharedMemory.info(name).permissions() & 0777);
            try (SharedMap<String, String> other = SharedMap.open(name, Codec.string(), Codec.string())) {
                assertEquals("2", other.get("a"));
                other.put("c", "from the other handle");
            }
            assertEquals("from the other handle", m.get("c"));
            assertNull(m.put("", ""));
            assertEquals("", m.get(""), "empty keys and values are fine");
        }
    }

    @Test
    void concurrentMapMethods() {
        try (SharedMap<String, Long> m = SharedMap.create(name, Codec.string(), Codec.longs(), 64, 4096)) {
            assertNull(m.putIfAbsent("n", 1L));
            assertEquals(1L, m.putIfAbsent("n", 2L));
            assertEquals(1L, m.replace("n", 3L));
            assertNull(m.replace("absent", 3L));
            assertFalse(m.containsKey("absent"));
            assertFalse(m.replace("n", 1L, 4L));
            assertTrue(m.replace("n", 3L, 4L));
            assertFalse(m.remove("n", 3L));
            assertTrue(m.remove("n", 4L));
            assertFalse(m.remove("n", 4L));
            assertEquals(10L, m.merge("n", 10L, Long::sum));
            assertEquals(15L, m.merge("n", 5L, Long::sum));
            assertNull(m.merge("n", 1L, (a, b) -> null));
            assertFalse(m.containsKey("n"));
            AtomicLong calls = new AtomicLong();
            assertEquals(7L, m.computeIfAbsent("c", k -> { calls.incrementAndGet(); return 7L; }));
            assertEquals(7L, m.computeIfAbsent("c", k -> { calls.incrementAndGet(); return 8L; }));
            assertEquals(1, calls.get(), "computeIfAbsent runs its function once, and not when present");
            assertNull(m.computeIfAbsent("d", k -> null));
            assertEquals(14L, m.computeIfPresent("c", (k, v) -> v * 2));
            assertNull(m.computeIfPresent("d", (k, v) -> 1L));
            assertEquals(15L, m.compute("c", (k, v) -> v == null ? 0 : v + 1));
            assertEquals(0L, m.compute("e", (k, v) -> v == null ? 0 : v + 1));
            assertNull(m.compute("e", (k, v) -> null));
            assertEquals(Map.of("c", 15L), m.snapshot());
            // the functions run holding the lock; this thread may use the map inside them
            assertEquals(16L, m.compute("c", (k, v) -> { m.put("x", 1L); return v + 1; }));
            assertEquals(Map.of("c", 16L, "x", 1L), m.snapshot());
        }
    }

    @Test
    void iterationWorksOnASnapshotAndWritesThrough() {
        try (SharedMap<String, String> m = strings(100, 8192)) {
            Map<String, String> expected = new HashMap<>();
            for (int i = 0; i < 50; i++) {
                m.put("k" + i, "v" + i);
                expected.put("k" + i, "v" + i);
            }
            assertEquals(expected, m);
            assertEquals(m, expected);
            assertEquals(expected.hashCode(), m.hashCode());
            assertEquals(expected.keySet(), m.keySet());
            assertEquals(Set.copyOf(expected.values()), Set.copyOf(m.values()));
            assertTrue(m.entrySet().contains(Map.entry("k3", "v3")));
            assertFalse(m.entrySet().contains(Map.entry("k3", "v4")));
            int seen = 0;
            for (Iterator<Map.Entry<String, String>> it = m.entrySet().iterator(); it.hasNext(); ) {
                Map.Entry<String, String> e = it.next();
                m.put("new" + seen, "x"); // no ConcurrentModificationException: the iterator has its snapshot
                seen++;
                if (e.getKey().equals("k7")) it.remove();
                if (e.getKey().equals("k8")) e.setValue("changed");
            }
            assertEquals(50, seen);
            assertFalse(m.containsKey("k7"));
            assertEquals("changed", m.get("k8"));
            assertEquals(99, m.size());
            StringBuilder keys = new StringBuilder();
            m.forEach((k, v) -> keys.append(k.charAt(0)));
            assertEquals(99, keys.length());
            m.keySet().removeIf(k -> k.startsWith("new"));
            assertEquals(49, m.size());
            m.clear();
            assertTrue(m.isEmpty());
            assertEquals("{}", m.toString());
            m.put("after", "clear");
            assertEquals(Map.of("after", "clear"), m.snapshot());
        }
    }

    @Test
    void replacedEntriesAreCompactedAway() {
        try (SharedMap<String, String> m = strings(16, 1024)) {
            for (int round = 0; round < 2000; round++) {
                for (int k = 0; k < 8; k++) m.put("key" + k, "round " + round + " key " + k);
            }
            for (int k = 0; k < 8; k++) assertEquals("round 1999 key " + k, m.get("key" + k));
            StoreStats s = m.stats();
            assertEquals(8, s.size());
            assertTrue(s.epoch() > 100, "compacted many times: " + s);
            assertTrue(s.usedBytes() <= 1024 && s.usedBytes() - s.garbageBytes() == 8 * 40, s.toString());
            m.compact();
            assertEquals(0, m.stats().garbageBytes());
            assertEquals(s.epoch() + 1, m.stats().epoch());
            assertEquals(0, s.repairs());
        }
    }

    @Test
    void deletedSlotsAreReclaimed() {
        try (SharedMap<Long, Long> m = SharedMap.create(name, Codec.longs(), Codec.longs(), 12, 1 << 16)) {
            // 16 slots: distinct keys inserted and removed leave deleted markers behind, which a compaction clears.
            for (long i = 0; i < 5000; i++) {
                assertNull(m.put(i, i * 3));
                if (i >= 10) assertEquals((i - 10) * 3, m.remove(i - 10));
                assertEquals(Math.min(i + 1, 10), m.size());
            }
            for (long i = 4990; i < 5000; i++) assertEquals(i * 3, m.get(i));
            assertTrue(m.stats().epoch() > 0);
        }
    }

    @Test
    void fullMapsSaySo() {
        try (SharedMap<String, String> m = strings(4, 4096)) {
            for (int i = 0; i < 4; i++) m.put("k" + i, "v");
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> m.put("k4", "v"));
            assertEquals("map " + name + " is full: it holds 4 entries, its capacity", e.getMessage());
            assertEquals("v", m.put("k0", "replacing is fine"));
            assertEquals("replacing is fine", m.putIfAbsent("k0", "x"));
            m.remove("k1");
            m.put("k4", "room again");
            assertEquals(4, m.size());
        }
        SharedMemory.unlink(name);
        try (SharedMap<String, byte[]> m = SharedMap.create(name, Codec.string(), Codec.bytes(), 100, 1024)) {
            for (int i = 0; i < 3; i++) m.put("k" + i, new byte[300]);
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> m.put("k3", new byte[300]));
            assertTrue(e.getMessage().startsWith("map " + name + " is full: an entry of 320 bytes does not fit in its 1024 data bytes, 960 of which hold its 3 entries"),
                    e.getMessage());
            IllegalArgumentException big = assertThrows(IllegalArgumentException.class, () -> m.put("big", new byte[2000]));
            assertTrue(big.getMessage().contains("can never fit"), big.getMessage());
            assertEquals(3, m.size(), "failed puts change nothing");
            assertArrayEquals(new byte[300], m.get("k2"));
            assertTrue(m.remove("k2", new byte[300]), "byte[] values compare by content");
        }
    }

    public record Point(int x, int y, String label) {}

    @Test
    void codecsAreRecordedAndChecked() {
        try (SharedMap<String, Point> m = SharedMap.create(name, Codec.string(), Codec.record(Point.class), 10, 1024)) {
            m.put("p", new Point(1, 2, "one-two"));
            assertEquals(new Point(1, 2, "one-two"), m.get("p"));
            IllegalStateException e = assertThrows(IllegalStateException.class,
                    () -> SharedMap.open(name, Codec.string(), Codec.longs()));
            assertTrue(e.getMessage().startsWith("map " + name + " was created with value codec 'record:"), e.getMessage());
            e = assertThrows(IllegalStateException.class, () -> SharedMap.open(name, Codec.ints(), Codec.record(Point.class)));
            assertEquals("map " + name + " was created with key codec 'string', not 'ints'", e.getMessage());
            try (SharedMap<byte[], byte[]> raw = SharedMap.open(name, Codec.bytes(), Codec.bytes())) {
                assertEquals(1, raw.size(), "the byte codecs open any map, as a raw view");
                assertTrue(raw.containsKey("p".getBytes()));
            }
        }
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> SharedList.open(name, Codec.string()));
        assertEquals("list " + name + " is a map, not a list", e.getMessage());
    }

    @Test
    void atomicallyMakesSeveralOperationsOne() {
        try (SharedMap<String, Long> m = SharedMap.create(name, Codec.string(), Codec.longs(), 10, 1024)) {
            m.put("alice", 100L);
            m.put("bob", 0L);
            boolean moved = m.atomically(map -> {
                long a = map.get("alice");
                if (a < 30) return false;
                map.put("alice", a - 30);
                map.merge("bob", 30L, Long::sum);
                return true;
            });
            assertTrue(moved);
            assertEquals(Map.of("alice", 70L, "bob", 30L), m.snapshot());
        }
    }

    @Test
    void placementInASegment() {
        try (Arena arena = Arena.ofShared()) {
            long size = SharedMap.byteSize(100, 4096);
            assertEquals(768 + 2 * (64 + 8 * 256 + 4096), size);
            MemorySegment seg = arena.allocate(size + 64, 64);
            SharedMap<String, String> a = SharedMap.create(seg, 64, Codec.string(), Codec.string(), 100, 4096);
            a.put("x", "y");
            SharedMap<String, String> b = SharedMap.open(seg, 64, Codec.string(), Codec.string());
            assertEquals("y", b.get("x"));
            assertNull(b.name());
            assertThrows(IllegalStateException.class, b::unlink);
            assertThrows(IndexOutOfBoundsException.class, () -> SharedMap.create(seg, 128, Codec.string(), Codec.string(), 100, 4096));
        }
    }

    @Test
    void invalidSizesAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> strings(0, 4096));
        assertThrows(IllegalArgumentException.class, () -> strings(10, 16));
        assertThrows(IllegalArgumentException.class, () -> strings(1L << 40, 4096));
        assertFalse(SharedMemory.exists(name));
    }

    /**
     * Lock-free readers in several threads while a writer replaces values fast enough to compact
     * the map every few dozen puts: every read sees a whole value of the right key, and no
     * reader sees a key's version go back.
     */
    @Test
    void lockFreeReadersNeverSeeTornOrStaleData() throws Exception {
        try (SharedMap<String, String> m = strings(64, 2048)) {
            int keys = 16;
            for (int k = 0; k < keys; k++) m.put("key" + k, "key" + k + "=0");
            AtomicBoolean stop = new AtomicBoolean();
            Thread writer = Thread.ofPlatform().start(() -> {
                for (long v = 1; !stop.get(); v++) {
                    for (int k = 0; k < keys; k++) m.put("key" + k, "key" + k + "=" + v);
                }
            });
            ConcurrentHashMap<String, Throwable> failures = new ConcurrentHashMap<>();
            AtomicLong reads = new AtomicLong();
            Thread[] readers = new Thread[2];
            for (int r = 0; r < readers.length; r++) {
                readers[r] = Thread.ofPlatform().start(() -> {
                    long[] last = new long[keys];
                    try {
                        while (!stop.get()) {
                            for (int k = 0; k < keys; k++) {
                                String v = m.get("key" + k);
                                String prefix = "key" + k + "=";
                                if (v == null || !v.startsWith(prefix)) throw new AssertionError("key" + k + " read as " + v);
                                long version = Long.parseLong(v.substring(prefix.length()));
                                if (version < last[k]) throw new AssertionError("key" + k + " went back from " + last[k] + " to " + version);
                                last[k] = version;
                                reads.incrementAndGet();
                            }
                        }
                    } catch (Throwable t) {
                        failures.put(Thread.currentThread().getName(), t);
                    }
                });
            }
            long deadline = System.nanoTime() + 1_500_000_000L;
            while (System.nanoTime() < deadline && failures.isEmpty()) Thread.sleep(50);
            stop.set(true);
            writer.join();
            for (Thread t : readers) t.join();
            if (!failures.isEmpty()) throw new AssertionError(failures.values().iterator().next());
            System.out.println("lock-free readers: " + reads.get() + " reads during " + m.stats().epoch() + " compactions");
            assertTrue(m.stats().epoch() > 10, m.stats().toString());
        }
    }
}
