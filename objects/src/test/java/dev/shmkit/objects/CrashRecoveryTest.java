package dev.shmkit.objects;

import dev.shmkit.queue.Codec;
import dev.shmkit.shm.SharedMemory;
import dev.shmkit.testkit.Child;
import dev.shmkit.testkit.ChildJvm;
import dev.shmkit.testkit.Names;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A writer killed with SIGKILL at each step of an update (through the crash hooks, so the step is
 * exact): readers are never blocked and never see a half-made entry; the next writer takes the
 * lock over, repairs the counts, and the map or list is exactly the state before or after the
 * interrupted update, with at most some garbage that compaction reclaims.
 */
class CrashRecoveryTest {
    private final String name = Names.unique("crash");

    @AfterEach
    void cleanup() {
        SharedMemory.unlink(name);
    }

    /** Child: opens the map or list, and on "go" runs one operation, dying at crash point args[2]. */
    public static final class CrashingWriter {
        public static void main(String[] args) {
            int point = Integer.parseInt(args[2]);
            Store.hook = p -> {
                if (p == point) {
                    Child.say("crashed at " + p);
                    Child.listen(); // never answered: killed here, holding the lock
                    throw new AssertionError("not killed");
                }
            };
            if (args[0].equals("map")) {
                SharedMap<String, String> m = SharedMap.open(args[1], Codec.string(), Codec.string());
                Child.say("ready");
                Child.await("go");
                switch (args[3]) {
                    case "put" -> m.put("victim", "in flight");
                    case "replace" -> m.put("k1", "replaced");
                    case "compact" -> m.compact();
                    default -> throw new IllegalArgumentException(args[3]);
                }
            } else {
                SharedList<String> l = SharedList.open(args[1], Codec.string());
                Child.say("ready");
                Child.await("go");
                switch (args[3]) {
                    case "add" -> l.add("victim");
                    case "insert" -> l.add(0, "victim");
                    default -> throw new IllegalArgumentException(args[3]);
                }
            }
            Child.say("finished without crashing");
        }
    }

    private static void crash(String kind, String name, int point, String op) {
        try (ChildJvm child = ChildJvm.start(CrashingWriter.class, List.of("-Dshmkit.objects.crashHooks=true"),
                kind, name, Integer.toString(point), op)) {
            child.expectLine("ready");
            child.send("go");
            child.expectLine("crashed at " + point);
            child.process().destroyForcibly();
            child.waitFor();
        }
    }

    private SharedMap<String, String> populated(Map<String, String> expected) {
        SharedMap<String, String> m = SharedMap.create(name, Codec.string(), Codec.string(), 200, 16 * 1024);
        for (int i = 0; i < 100; i++) {
            m.put("k" + i, "first " + i);
            m.put("k" + i, "value " + i); // some garbage too
            expected.put("k" + i, "value " + i);
        }
        return m;
    }

    private static long recordBytes(String k, String v) {
        return (16 + k.getBytes(StandardCharsets.UTF_8).length + v.getBytes(StandardCharsets.UTF_8).length + 7) & -8L;
    }

    /** The map holds exactly {@code expected}, and its counters agree with its records. */
    private static void assertConsistent(SharedMap<String, String> m, Map<String, String> expected) {
        assertEquals(expected, m.snapshot());
        assertEquals(expected.size(), m.size());
        for (Map.Entry<String, String> e : expected.entrySet()) assertEquals(e.getValue(), m.get(e.getKey()));
        StoreStats s = m.stats();
        long live = expected.entrySet().stream().mapToLong(e -> recordBytes(e.getKey(), e.getValue())).sum();
        assertEquals(live, s.usedBytes() - s.garbageBytes(), "live bytes: " + s);
        assertEquals(0, s.dropped());
    }

    private void mapCrash(int point, String op, boolean victimPublished) {
        Map<String, String> expected = new LinkedHashMap<>();
        try (SharedMap<String, String> m = populated(expected)) {
            long epoch = m.stats().epoch();
            crash("map", name, point, op);
            // The dead writer holds the lock; lock-free readers carry on regardless.
            assertEquals("value 5", m.get("k5"));
            assertTrue(m.stats().repairs() == 0);
            m.put("after", "the crash"); // takes the lock over from the dead writer, repairs, writes
            expected.put("after", "the crash");
            if (victimPublished) {
                if (op.equals("put")) expected.put("victim", "in flight");
                else expected.put("k1", "replaced");
            }
            assertConsistent(m, expected);
            StoreStats s = m.stats();
            assertEquals(1, s.repairs(), s.toString());
            assertEquals(op.equals("compact") ? epoch : s.epoch(), s.epoch(), "a compaction that died never switched spaces");
            // ... and it keeps working: enough replacements to compact several times
            for (int round = 0; round < 20; round++) {
                for (int i = 0; i < 100; i += 3) {
                    m.put("k" + i, "round " + round);
                    expected.put("k" + i, "round " + round);
                }
            }
            assertTrue(m.stats().epoch() > s.epoch());
            assertConsistent(m, expected);
        }
    }

    @Test
    void diesAfterReservingSpace() {
        mapCrash(Store.ALLOCATED, "put", false);
    }

    @Test
    void diesAfterWritingTheRecord() {
        mapCrash(Store.WRITTEN, "put", false);
    }

    @Test
    void diesAfterPublishingBeforeCounting() {
        mapCrash(Store.PUBLISHED, "put", true);
    }

    @Test
    void diesAfterPublishingAReplacement() {
        mapCrash(Store.PUBLISHED, "replace", true);
    }

    @Test
    void diesHalfWayThroughACompaction() {
        mapCrash(Store.REBUILDING, "compact", false);
    }

    @Test
    void diesDuringTheRepairOfAnotherDeath() {
        Map<String, String> expected = new LinkedHashMap<>();
        try (SharedMap<String, String> m = populated(expected)) {
            crash("map", name, Store.PUBLISHED, "put");
            // the second writer takes the lock over from the first, and dies repairing
            crash("map", name, Store.REPAIRING, "replace");
            m.put("after", "two deaths");
            expected.put("after", "two deaths");
            expected.put("victim", "in flight");
            assertConsistent(m, expected);
            assertEquals(1, m.stats().repairs(), "the interrupted repair does not count");
        }
    }

    @Test
    void aHoldTakenThroughLockIsRepairedOnceToo() throws Exception {
        Map<String, String> expected = new LinkedHashMap<>();
        try (SharedMap<String, String> m = populated(expected)) {
            crash("map", name, Store.PUBLISHED, "put");
            assertTrue(m.lock().tryLock(30, java.util.concurrent.TimeUnit.SECONDS));
            try {
                assertTrue(m.lock().ownerDied());
                m.put("a", "1"); // runs within this hold, repairing first
                m.put("b", "2"); // no second repair
            } finally {
                m.lock().unlock();
            }
            expected.put("victim", "in flight");
            expected.put("a", "1");
            expected.put("b", "2");
            assertConsistent(m, expected);
            assertEquals(1, m.stats().repairs());
        }
    }

    @Test
    void listWriterDiesBeforeTheSizeIsPublished() {
        try (SharedList<String> l = SharedList.create(name, Codec.string(), 100, 4096)) {
            List<String> expected = new ArrayList<>();
            for (int i = 0; i < 10; i++) {
                l.add("e" + i);
                expected.add("e" + i);
            }
            crash("list", name, Store.PUBLISHED, "add");
            assertEquals(expected, l.snapshot().subList(0, Math.min(10, l.size())));
            assertEquals(10, l.size(), "the element was written but the size never published: it is not there");
            l.add("after");
            expected.add("after");
            assertEquals(expected, l.snapshot());
            assertEquals(1, l.stats().repairs());
            StoreStats s = l.stats();
            assertEquals(10 * 24 + 24, s.usedBytes() - s.garbageBytes(), s.toString());
        }
    }

    @Test
    void listWriterDiesHalfWayThroughAnInsertion() {
        try (SharedList<String> l = SharedList.create(name, Codec.string(), 100, 4096)) {
            List<String> expected = new ArrayList<>();
            for (int i = 0; i < 10; i++) {
                l.add("e" + i);
                expected.add("e" + i);
            }
            long epoch = l.stats().epoch();
            crash("list", name, Store.REBUILDING, "insert");
            assertEquals(expected, l.snapshot());
            assertEquals(epoch, l.stats().epoch());
            l.add(0, "first");
            expected.addFirst("first");
            assertEquals(expected, l.snapshot());
            assertFalse(l.contains("victim"));
        }
    }
}
