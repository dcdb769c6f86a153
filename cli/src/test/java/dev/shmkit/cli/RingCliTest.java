package dev.shmkit.cli;

import dev.shmkit.queue.Codec;
import dev.shmkit.queue.JoinableQueue;
import dev.shmkit.queue.SharedQueue;
import dev.shmkit.ring.RingKind;
import dev.shmkit.ring.SharedRing;
import dev.shmkit.shm.SharedMemory;
import dev.shmkit.testkit.Names;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static dev.shmkit.cli.CliTest.shmkit;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code shmkit ring ...} and {@code shmkit queue ...}, run in-process: output, exit statuses, messages. */
class RingCliTest {
    private final String name = Names.unique("cli-ring");

    @AfterEach
    void cleanup() {
        SharedMemory.unlink(name);
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static String text(CliTest.Outcome o) {
        return new String(o.bytes(), StandardCharsets.UTF_8);
    }

    @Test
    void ringCreateSendRecvStatRm() {
        assertEquals(0, shmkit("ring", "create", name, "--capacity", "64K").status());
        try (SharedRing ring = SharedRing.open(name)) {
            assertEquals(RingKind.MPMC, ring.kind(), "mpmc by default");
            assertEquals(65536, ring.capacity());
        }
        assertEquals(0, shmkit(utf8("hello\nwörld\n\nlast line without newline"), "ring", "send", name).status());

        CliTest.Outcome stat = shmkit("ring", "stat", name);
        assertEquals(0, stat.status());
        for (String line : List.of("name: " + name, "kind: mpmc", "capacity: 65536", "max-message: 8184", "used: 80",
                "free: 65456", "producers-live: 0", "consumers-live: 0", "producers: none", "recovered-records: 0", "redeliveries: 0")) {
            assertTrue(stat.out().lines().anyMatch(line::equals), line + " in\n" + stat.out());
        }

        CliTest.Outcome two = shmkit("ring", "recv", name, "--count", "2");
        assertEquals(0, two.status(), two.err());
        assertEquals("hello\nwörld\n", text(two));
        CliTest.Outcome rest = shmkit("ring", "recv", name, "--timeout", "0");
        assertEquals(0, rest.status(), rest.err());
        assertEquals("\nlast line without newline\n", text(rest));

        assertEquals(0, shmkit("ring", "rm", name).status());
        assertFalse(SharedMemory.exists(name));
        assertEquals(1, shmkit("ring", "rm", name).status());
        assertEquals(0, shmkit("ring", "rm", "-f", name).status());
    }

    @Test
    void ringRecvTimeoutsExit3() {
        assertEquals(0, shmkit("ring", "create", name, "--capacity", "4096", "--kind", "spsc").status());
        long t0 = System.nanoTime();
        CliTest.Outcome none = shmkit("ring", "recv", name, "--timeout", "200ms");
        assertEquals(3, none.status());
        assertTrue(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0) >= 200);
        assertTrue(none.err().contains("no message arrived") && none.err().contains("timed out after 200ms"), none.err());

        assertEquals(0, shmkit(utf8("a\nb\n"), "ring", "send", name).status());
        CliTest.Outcome fewer = shmkit("ring", "recv", name, "--count", "3", "--timeout", "100ms");
        assertEquals(3, fewer.status());
        assertEquals("a\nb\n", text(fewer), "what arrived is printed");
        assertTrue(fewer.err().contains("2 of 3 messages arrived"), fewer.err());

        assertEquals(0, shmkit(utf8("c\n"), "ring", "send", name).status());
        CliTest.Outcome some = shmkit("ring", "recv", name, "--timeout", "100ms");
        assertEquals(0, some.status(), "without --count, any message is success");
        assertEquals("c\n", text(some));
        assertEquals(0, shmkit("ring", "recv", name, "--count", "0").status());
    }

    @Test
    void ringSendToAFullRingTimesOutAndLongLinesFail() {
        assertEquals(0, shmkit("ring", "create", name, "--capacity", "1024", "--kind", "mpsc").status());
        // 1 KiB: records of 8 + 120 bytes, eight fit
        String line = "x".repeat(120) + "\n";
        CliTest.Outcome full = shmkit(utf8(line.repeat(10)), "ring", "send", name, "--timeout", "100ms");
        assertEquals(3, full.status());
        assertTrue(full.err().contains("sending line 9 to " + name + " (the ring stayed full)"), full.err());
        try (SharedRing ring = SharedRing.open(name)) {
            assertEquals(1024, ring.used());
        }
        assertEquals(0, shmkit("ring", "recv", name, "--count", "8").status());
        CliTest.Outcome tooLong = shmkit(utf8("ok\n" + "y".repeat(121) + "\n"), "ring", "send", name);
        assertEquals(1, tooLong.status());
        assertTrue(tooLong.err().contains("line 2 has 121 bytes; ring " + name + " takes messages of at most 120"), tooLong.err());
        assertEquals("ok\n", text(shmkit("ring", "recv", name, "--timeout", "0")));
    }

    @Test
    void ringUsageErrorsExit2() {
        for (List<String> args : List.of(
                List.of("ring", "create", name),                                        // --capacity missing
                List.of("ring", "create", name, "--capacity", "1000"),                  // not a power of two
                List.of("ring", "create", name, "--capacity", "32"),                    // too small
                List.of("ring", "create", name, "--capacity", "4K", "--kind", "spmc"),
                List.of("ring", "recv", name, "--count", "-1"),
                List.of("ring", "recv", name, "--timeout", "soon"),
                List.of("queue", "create", name, "--capacity", "4K", "--codec", "records"),
                List.of("ring", "frobnicate"))) {
            CliTest.Outcome o = shmkit(args.toArray(String[]::new));
            assertEquals(2, o.status(), args + ": " + o.err());
            assertTrue(o.err().startsWith("shmkit "), o.err());
        }
        assertFalse(SharedMemory.exists(name));
        CliTest.Outcome missing = shmkit("ring", "stat", "/shmkit-test-no-such-ring");
        assertEquals(1, missing.status());
        assertTrue(missing.err().contains("ENOENT"), missing.err());
        for (String cmd : List.of("ring", "queue")) {
            CliTest.Outcome help = shmkit(cmd, "--help");
            assertEquals(0, help.status());
            for (String sub : List.of("create", "send", "recv", "stat", "rm")) assertTrue(help.out().contains(sub), help.out());
            CliTest.Outcome recvHelp = shmkit(cmd, "recv", "--help");
            assertTrue(recvHelp.out().contains("the exit status is 3"), recvHelp.out());
        }
    }

    @Test
    void queueOfStrings() throws Exception {
        assertEquals(0, shmkit("queue", "create", name, "--capacity", "4K").status());
        assertEquals(0, shmkit(utf8("alpha\nbeta\ngamma\n"), "queue", "send", name).status());
        try (SharedQueue<String> q = SharedQueue.open(name, Codec.string())) {
            assertEquals(3, q.size());
            assertEquals("alpha", q.take());
            q.put("from java");
        }
        CliTest.Outcome stat = shmkit("queue", "stat", name);
        assertEquals(0, stat.status());
        for (String line : List.of("name: " + name, "codec: string", "joinable: no", "size: 3", "capacity: 4096", "max-element: 504",
                "puts: 4", "takes: 1")) {
            assertTrue(stat.out().lines().anyMatch(line::equals), line + " in\n" + stat.out());
        }
        CliTest.Outcome all = shmkit("queue", "recv", name, "--count", "3", "--timeout", "5s");
        assertEquals(0, all.status(), all.err());
        assertEquals("beta\ngamma\nfrom java\n", text(all));
        CliTest.Outcome empty = shmkit("queue", "recv", name, "--timeout", "50ms");
        assertEquals(3, empty.status());
        assertEquals(0, shmkit("queue", "rm", name).status());
        assertFalse(SharedMemory.exists(name));
    }

    @Test
    void queueOfNumbersAndJoin() throws Exception {
        assertEquals(0, shmkit("queue", "create", name, "--capacity", "4K", "--codec", "longs", "--joinable").status());
        assertEquals(0, shmkit(utf8("1\n 22 \n-333\n"), "queue", "send", name).status());
        CliTest.Outcome bad = shmkit(utf8("4\nfour\n"), "queue", "send", name);
        assertEquals(1, bad.status());
        assertTrue(bad.err().contains("line 2: 'four' is not a long"), bad.err());
        try (JoinableQueue<Long> q = JoinableQueue.open(name, Codec.longs())) {
            assertEquals(4, q.size());
            assertEquals(4, q.unfinishedTasks());
        }
        CliTest.Outcome join = shmkit("queue", "join", name, "--timeout", "50ms");
        assertEquals(3, join.status());
        assertTrue(join.err().contains("4 tasks unfinished"), join.err());

        CliTest.Outcome two = shmkit("queue", "recv", name, "--count", "2", "--task-done");
        assertEquals(0, two.status(), two.err());
        assertEquals("1\n22\n", text(two));
        CliTest.Outcome stat = shmkit("queue", "stat", name);
        assertTrue(stat.out().contains("unfinished-tasks: 2\n"), stat.out());
        assertTrue(stat.out().contains("codec: longs\n"), stat.out());
        assertEquals(0, shmkit("queue", "recv", name, "--count", "2", "--task-done").status());
        assertEquals(0, shmkit("queue", "join", name, "--timeout", "1s").status());
        assertEquals(0, shmkit("queue", "join", name).status());
    }

    @Test
    void queuesTheCliCannotReadAreRefusedClearly() {
        try (SharedQueue<CodecRecord> q = SharedQueue.create(name, 4096, Codec.record(CodecRecord.class))) {
            q.add(new CodecRecord(1));
            CliTest.Outcome o = shmkit("queue", "recv", name, "--timeout", "0");
            assertEquals(1, o.status());
            assertTrue(o.err().contains("holds elements of codec 'record:"), o.err());
            CliTest.Outcome stat = shmkit("queue", "stat", name);
            assertEquals(0, stat.status(), "stat reads any queue");
            assertTrue(stat.out().contains("size: 1\n"), stat.out());
            CliTest.Outcome notJoinable = shmkit("queue", "join", name);
            assertEquals(1, notJoinable.status());
            assertTrue(notJoinable.err().contains("is not joinable"), notJoinable.err());
            CliTest.Outcome ring = shmkit("ring", "stat", name);
            assertEquals(1, ring.status());
            assertTrue(ring.err().contains("is not a shmkit ring"), ring.err());
        }
        assertEquals(0, shmkit("ring", "create", name + "-r", "--capacity", "4K").status());
        try {
            CliTest.Outcome q = shmkit("queue", "stat", name + "-r");
            assertEquals(1, q.status());
            assertTrue(q.err().contains("is not a shmkit queue"), q.err());
        } finally {
            SharedMemory.unlink(name + "-r");
        }
    }

    public record CodecRecord(int n) {}
}
