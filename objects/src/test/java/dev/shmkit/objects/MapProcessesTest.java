package dev.shmkit.objects;

import dev.shmkit.queue.Codec;
import dev.shmkit.shm.SharedMemory;
import dev.shmkit.testkit.Child;
import dev.shmkit.testkit.ChildJvm;
import dev.shmkit.testkit.Names;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Several processes update one map at once while another, which keeps replacing entries (and so
 * compacting the map), is killed with SIGKILL in the middle; a reader checks values lock-free all
 * the while. The survivors finish, every write they made is there, and the map is consistent.
 */
class MapProcessesTest {
    static final int WRITERS = 3;
    static final int PER_WRITER = 3000;
    static final int VICTIM_KEYS = 500;

    /** Child: puts w{id}-{i} = i for every i, and counts them in count-w{id} with merge. */
    public static final class Writer {
        public static void main(String[] args) {
            String id = args[1];
            try (SharedMap<String, Long> m = SharedMap.open(args[0], Codec.string(), Codec.longs())) {
                Child.say("ready");
                Child.await("go");
                for (long i = 0; i < PER_WRITER; i++) {
                    m.put("w" + id + "-" + i, i);
                    m.merge("count-w" + id, 1L, Long::sum);
                }
            }
            Child.say("done");
        }
    }

    /** Child: replaces victim-{i % 500} = i and "hot" = i forever, in batches, saying "busy" once it has made some garbage. */
    public static final class Victim {
        public static void main(String[] args) {
            try (SharedMap<String, Long> m = SharedMap.open(args[0], Codec.string(), Codec.longs())) {
                Child.say("ready");
                Child.await("go");
                for (long i = 0; ; i += 32) {
                    long first = i;
                    // batches under one hold of the lock: killed, it most likely dies holding it
                    m.atomically(map -> {
                        for (long j = first; j < first + 32; j++) {
                            map.put("victim-" + (j % VICTIM_KEYS), j);
                            map.put("hot", j);
                        }
                        return null;
                    });
                    if (i == 4000 - 4000 % 32) Child.say("busy");
                }
            }
        }
    }

    /** Child: reads writers' keys lock-free until told to stop; every value found must be right. */
    public static final class Reader {
        public static void main(String[] args) throws Exception {
            long reads = 0;
            long found = 0;
            try (SharedMap<String, Long> m = SharedMap.open(args[0], Codec.string(), Codec.longs())) {
                Child.say("ready");
                Thread stopper = Thread.ofPlatform().daemon().start(() -> Child.await("stop"));
                ThreadLocalRandom r = ThreadLocalRandom.current();
                while (stopper.isAlive()) {
                    long i = r.nextInt(PER_WRITER);
                    Long v = m.get("w" + r.nextInt(WRITERS) + "-" + i);
                    reads++;
                    if (v == null) continue;
                    found++;
                    if (v != i) throw new AssertionError("w?-" + i + " read as " + v);
                    Long victim = m.get("victim-" + (i % VICTIM_KEYS));
                    if (victim != null && victim % VICTIM_KEYS != i % VICTIM_KEYS) throw new AssertionError("victim key read as " + victim);
                }
            }
            Child.say("read " + reads + " found " + found);
        }
    }

    @Test
    void survivorsFinishAndTheMapStaysConsistentWhenAWriterIsKilled() {
        String name = Names.unique("map-kill");
        try (SharedMap<String, Long> m = SharedMap.create(name, Codec.string(), Codec.longs(), 12_000, 1 << 19)) {
            List<ChildJvm> writers = new ArrayList<>();
            ChildJvm victim = null;
            ChildJvm reader = null;
            try {
                for (int id = 0; id < WRITERS; id++) writers.add(ChildJvm.start(Writer.class, name, Integer.toString(id)));
                victim = ChildJvm.start(Victim.class, name);
                reader = ChildJvm.start(Reader.class, name);
                for (ChildJvm w : writers) w.expectLine("ready");
                victim.expectLine("ready");
                reader.expectLine("ready");
                victim.send("go");
                for (ChildJvm w : writers) w.send("go");
                victim.expectLine("busy");
                {
                    // SIGKILL while the victim holds the lock, in the middle of a batch of puts (unless it
                    // just released it: the test holds either way; the recoveries printed say which).
                    dev.shmkit.sync.SharedLock lock = m.lock();
                    long deadline = System.nanoTime() + 10_000_000_000L;
                    while (lock.ownerPid() != victim.pid() && System.nanoTime() < deadline) Thread.onSpinWait();
                    victim.process().destroyForcibly();
                }
                victim.waitFor();
                for (ChildJvm w : writers) {
                    w.expectLine("done");
                    w.assertSuccess();
                }
                reader.send("stop");
                String readerSays = reader.readLine();
                reader.assertSuccess();
                System.out.println("reader: " + readerSays + "; map: " + m.stats() + "; lock recoveries: " + m.lock().recoveries());
            } finally {
                writers.forEach(ChildJvm::close);
                if (victim != null) victim.close();
                if (reader != null) reader.close();
            }

            for (int id = 0; id < WRITERS; id++) {
                for (long i = 0; i < PER_WRITER; i++) assertEquals(i, m.get("w" + id + "-" + i), "w" + id + "-" + i);
                assertEquals(PER_WRITER, m.get("count-w" + id));
            }
            Map<String, Long> all = m.snapshot();
            long victims = all.keySet().stream().filter(k -> k.startsWith("victim-")).count();
            assertTrue(victims > 0 && victims <= VICTIM_KEYS);
            all.forEach((k, v) -> {
                if (k.startsWith("victim-")) assertEquals(Long.parseLong(k.substring(7)), v % VICTIM_KEYS, k);
            });
            assertTrue(all.containsKey("hot"));
            assertEquals(WRITERS * (PER_WRITER + 1) + victims + 1, all.size());
            assertEquals(all.size(), m.size());
            long live = all.keySet().stream().mapToLong(k -> (16 + k.getBytes(StandardCharsets.UTF_8).length + 8 + 7) & -8L).sum();
            StoreStats s = m.stats();
            assertEquals(live, s.usedBytes() - s.garbageBytes(), s.toString());
            assertEquals(0, s.dropped());
            assertTrue(s.epoch() > 0, "the victim's replacements compacted the map: " + s);
            // after everything, still fully usable
            m.put("hot", -1L);
            m.compact();
            assertEquals(-1L, m.get("hot"));
            assertEquals(0, m.stats().garbageBytes());
        } finally {
            SharedMemory.unlink(name);
        }
    }
}
