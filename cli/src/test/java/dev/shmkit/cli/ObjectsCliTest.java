package dev.shmkit.cli;

import dev.shmkit.objects.ElementType;
import dev.shmkit.objects.SharedMap;
import dev.shmkit.objects.SharedValue;
import dev.shmkit.queue.Codec;
import dev.shmkit.shm.SharedMemory;
import dev.shmkit.sync.SharedLock;
import dev.shmkit.testkit.Names;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static dev.shmkit.cli.CliTest.shmkit;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** value and map commands, their exit statuses, and the objects they share with Java; KIND in shm ls. */
class ObjectsCliTest {
    private final String name = Names.unique("objects-cli");
    private final String other = Names.unique("objects-cli-other");

    @AfterEach
    void cleanup() {
        SharedMemory.unlink(name);
        SharedMemory.unlink(other);
    }

    @Test
    void valueSetGetAddRm() {
        assertEquals(0, shmkit("value", "set", name, "41").status());
        assertEquals("41\n", shmkit("value", "get", name).out());
        CliTest.Outcome add = shmkit("value", "add", name, "1");
        assertEquals(0, add.status());
        assertEquals("42\n", add.out());
        assertEquals("40\n", shmkit("value", "add", name, "-2").out());
        try (SharedValue.OfLong v = SharedValue.OfLong.open(name)) {
            assertEquals(40, v.get(), "the CLI made a long value Java opens by name");
            v.set(7);
        }
        assertEquals("7\n", shmkit("value", "get", name).out());
        CliTest.Outcome bad = shmkit("value", "add", name, "1.5");
        assertEquals(2, bad.status());
        assertTrue(bad.err().contains("'1.5' is not a long"), bad.err());
        assertEquals(2, shmkit("value", "set", name, "seven").status());
        CliTest.Outcome wrongType = shmkit("value", "set", name, "1", "--type", "double");
        assertEquals(1, wrongType.status());
        assertTrue(wrongType.err().contains("is of type long, not double"), wrongType.err());
        CliTest.Outcome info = shmkit("value", "info", name);
        assertTrue(info.out().contains("type: long\n") && info.out().contains("lock: no\n") && info.out().contains("value: 7\n"), info.out());
        assertEquals(0, shmkit("value", "rm", name).status());
        assertFalse(SharedMemory.exists(name));
        CliTest.Outcome missing = shmkit("value", "get", name);
        assertEquals(1, missing.status());
        assertTrue(missing.err().startsWith("shmkit value get: shm_open(\"" + name + "\""), missing.err());
        assertEquals(1, shmkit("value", "rm", name).status());
        assertEquals(0, shmkit("value", "rm", "-f", name).status());
    }

    @Test
    void valueTypes() {
        assertEquals(0, shmkit("value", "add", name, "0.25").status());
        assertEquals("0.75\n", shmkit("value", "add", name, "0.5").out());
        try (SharedValue v = SharedValue.open(name)) {
            assertEquals(ElementType.DOUBLE, v.type(), "a missing value added to with a decimal is a double");
        }
        assertEquals(0, shmkit("value", "set", other, "true").status());
        assertEquals("true\n", shmkit("value", "get", other).out());
        CliTest.Outcome notNumber = shmkit("value", "add", other, "1");
        assertEquals(1, notNumber.status());
        assertTrue(notNumber.err().contains("only int, long and double values can be added to"), notNumber.err());
        SharedMemory.unlink(other);

        assertEquals(0, shmkit("value", "create", other, "--type", "bytes", "--max-bytes", "16", "--initial", "héllo").status());
        assertEquals("héllo\n", shmkit("value", "get", other).out());
        assertEquals(0, shmkit("value", "set", other, "bye").status());
        assertEquals("bye\n", shmkit("value", "get", other).out());
        assertEquals(2, shmkit("value", "set", other, "far too long for sixteen bytes").status());
        assertEquals(1, shmkit("value", "create", other).status(), "create is exclusive");
        SharedMemory.unlink(other);

        assertEquals(0, shmkit("value", "create", other, "--type", "int", "--lock", "--initial", "5", "--mode", "0640").status());
        CliTest.Outcome info = shmkit("value", "info", other);
        assertTrue(info.out().contains("type: int\n") && info.out().contains("lock: yes\n") && info.out().contains("value: 5\n"), info.out());
        assertEquals("6\n", shmkit("value", "add", other, "1").out());
        assertEquals(2, shmkit("value", "create", name + "x", "--type", "float").status());
        assertFalse(SharedMemory.exists(name + "x"));
    }

    @Test
    void mapPutGetLsDelRm() {
        assertEquals(0, shmkit("map", "put", name, "b", "2").status());
        assertEquals(0, shmkit("map", "put", name, "a", "one value with spaces").status());
        assertEquals(0, shmkit("map", "put", name, "b", "two").status());
        assertEquals("two\n", shmkit("map", "get", name, "b").out());
        CliTest.Outcome absent = shmkit("map", "get", name, "zzz");
        assertEquals(1, absent.status());
        assertEquals("", absent.out());
        assertEquals("shmkit map get: no key 'zzz' in map " + name + "\n", absent.err());
        assertEquals("a\tone value with spaces\nb\ttwo\n", shmkit("map", "ls", name).out());
        try (SharedMap<String, String> m = SharedMap.open(name, Codec.string(), Codec.string())) {
            assertEquals(Map.of("a", "one value with spaces", "b", "two"), m.snapshot());
            m.put("c", "from java");
        }
        assertEquals("from java\n", shmkit("map", "get", name, "c").out());
        assertEquals(0, shmkit("map", "del", name, "c").status());
        assertEquals(1, shmkit("map", "del", name, "c").status());
        CliTest.Outcome info = shmkit("map", "info", name);
        assertTrue(info.out().contains("size: 2\n") && info.out().contains("capacity: " + SharedMap.DEFAULT_CAPACITY + "\n"), info.out());
        assertEquals(0, shmkit("map", "rm", name).status());
        assertEquals(1, shmkit("map", "ls", name).status());
        assertEquals(1, shmkit("map", "rm", name).status());
    }

    @Test
    void mapCreateCapacityAndErrors() {
        assertEquals(0, shmkit("map", "create", name, "--capacity", "2", "--data", "1K").status());
        assertEquals(1, shmkit("map", "create", name).status(), "create is exclusive");
        assertEquals(0, shmkit("map", "put", name, "k1", "v").status());
        assertEquals(0, shmkit("map", "put", name, "k2", "v").status());
        CliTest.Outcome full = shmkit("map", "put", name, "k3", "v");
        assertEquals(1, full.status());
        assertEquals("shmkit map put: map " + name + " is full: it holds 2 entries, its capacity\n", full.err());
        assertEquals(2, shmkit("map", "create", other, "--capacity", "0").status());
        assertFalse(SharedMemory.exists(other));

        try (SharedMap<String, Long> m = SharedMap.create(other, Codec.string(), Codec.longs(), 10, 1024)) {
            m.put("n", 5L);
        }
        CliTest.Outcome codec = shmkit("map", "get", other, "n");
        assertEquals(1, codec.status());
        assertTrue(codec.err().contains("was created with value codec 'longs', not 'string'"), codec.err());
        assertTrue(shmkit("map", "info", other).out().contains("size: 1\n"), "info reads any map");
        SharedMemory.unlink(other);
        SharedValue.OfLong.create(other, 1).close();
        CliTest.Outcome notAMap = shmkit("map", "ls", other);
        assertEquals(1, notAMap.status());
        assertTrue(notAMap.err().contains("map " + other + " is a value, not a map"), notAMap.err());
    }

    @Test
    void shmLsShowsKinds() {
        shmkit("value", "set", name, "1");
        shmkit("map", "put", other, "k", "v");
        String lock = Names.unique("objects-cli-lock");
        try {
            SharedLock.create(lock).close();
            String ls = shmkit("shm", "ls").out();
            assertTrue(ls.lines().anyMatch(l -> l.startsWith(name + " ") && l.endsWith(" value")), ls);
            assertTrue(ls.lines().anyMatch(l -> l.startsWith(other + " ") && l.endsWith(" map")), ls);
            assertTrue(ls.lines().anyMatch(l -> l.startsWith(lock + " ") && l.endsWith(" lock")), ls);
        } finally {
            SharedMemory.unlink(lock);
        }
    }
}
