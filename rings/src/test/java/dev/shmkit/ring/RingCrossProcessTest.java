package dev.shmkit.ring;

import dev.shmkit.shm.OpenMode;
import dev.shmkit.shm.SharedMemory;
import dev.shmkit.testkit.ChildJvm;
import dev.shmkit.testkit.Names;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * N producer processes and M consumer processes moving millions of self-checking messages:
 * none lost, none duplicated, none torn, each producer's order kept (per consumer).
 */
class RingCrossProcessTest {
    private final String name = Names.unique("ring");

    @AfterEach
    void unlink() {
        SharedRing.unlink(name);
    }

    private static List<ChildJvm> startProducers(String name, int n, long count, int min, int max, String mode) {
        List<ChildJvm> producers = new ArrayList<>();
        for (int p = 1; p <= n; p++) {
            producers.add(ChildJvm.start(RingChildren.Producer.class, name, Integer.toString(p), Long.toString(count),
                    Integer.toString(min), Integer.toString(max), mode));
        }
        return producers;
    }

    private static void closeAll(List<ChildJvm> children) {
        for (ChildJvm c : children) c.close();
    }

    /** Producers in child processes, this process the single consumer (SPSC and MPSC). */
    @ParameterizedTest(name = "{0} {1}x1 {5} capacity {2} sizes {3}..{4}")
    @CsvSource({
            "SPSC, 1, 65536, 20, 20, claim, 2000000",
            "SPSC, 1, 1024, 20, 120, claim, 500000", // a small ring: wrap-around at many offsets
            "SPSC, 1, 65536, 20, 300, batch, 1000000",
            "SPSC, 1, 65536, 20, 200, put, 500000",
            "MPSC, 3, 65536, 20, 100, claim, 700000",
            "MPSC, 3, 1024, 20, 120, claim, 150000",
            "MPSC, 2, 65536, 20, 60, batch, 1000000",
            "MPMC, 2, 65536, 20, 100, claim, 500000",
    })
    void producersToOneConsumer(RingKind kind, int producers, long capacity, int min, int max, String mode, long count) throws Exception {
        try (SharedRing ring = SharedRing.create(name, capacity, kind)) {
            List<ChildJvm> children = startProducers(name, producers, count, min, max, mode);
            try {
                RingMessages.Tally tally = new RingMessages.Tally();
                MessageHandler h = (type, buf, index, len) -> {
                    assertEquals(RingMessages.DATA, type);
                    tally.accept(buf, index, len);
                };
                ring.read(h, 0); // register as the consumer
                for (ChildJvm c : children) c.expectLine("ready");
                long t0 = System.nanoTime();
                for (ChildJvm c : children) c.send("go");
                long expected = count * producers;
                while (tally.total() < expected) {
                    assertTrue(ring.poll(h, 4096, 30, TimeUnit.SECONDS) > 0, "no message for 30 s after " + tally.total());
                }
                long ns = System.nanoTime() - t0;
                for (ChildJvm c : children) {
                    c.expectLine("done");
                    c.assertSuccess();
                }
                for (int p = 1; p <= producers; p++) tally.check(p, count);
                assertEquals(0, ring.read(h, 100), "nothing more");
                assertEquals(0, ring.used());
                assertEquals(0, ring.recoveredRecords());
                System.out.printf("%s %dx1 %s capacity %d: %,d msgs in %d ms%n", kind, producers, mode, capacity, expected, ns / 1_000_000);
            } finally {
                closeAll(children);
            }
        }
    }

    /** MPMC with consumers in child processes too: each consumer sees each producer's messages in order, the union is exact. */
    @ParameterizedTest(name = "MPMC {0}x{1} capacity {2}")
    @CsvSource({
            "2, 2, 65536, 20, 100, 600000",
            "3, 2, 4096, 20, 120, 150000",
            "1, 3, 65536, 20, 40, 500000",
    })
    void mpmcProducersToConsumers(int producers, int consumers, long capacity, int min, int max, long count) throws Exception {
        try (SharedRing ring = SharedRing.create(name, capacity, RingKind.MPMC)) {
            List<ChildJvm> cs = new ArrayList<>();
            List<ChildJvm> ps = new ArrayList<>();
            try {
                for (int c = 0; c < consumers; c++) cs.add(ChildJvm.start(RingChildren.Consumer.class, name));
                ps.addAll(startProducers(name, producers, count, min, max, "claim"));
                for (ChildJvm c : cs) c.expectLine("ready");
                for (ChildJvm p : ps) p.expectLine("ready");
                long t0 = System.nanoTime();
                for (ChildJvm p : ps) p.send("go");
                for (ChildJvm p : ps) {
                    p.expectLine("done");
                    p.assertSuccess();
                }
                // Every data record precedes these in the ring, so each consumer stops only after all data is taken.
                for (int c = 0; c < consumers; c++) ring.put(RingMessages.POISON, new byte[0]);
                RingMessages.Tally union = new RingMessages.Tally();
                for (ChildJvm c : cs) {
                    long got = 0;
                    for (String line; !(line = c.readLine()).equals("done"); ) {
                        union.merge(line);
                        got += Long.parseLong(line.split(" ")[2]);
                    }
                    c.assertSuccess();
                    System.out.printf("consumer took %,d%n", got);
                }
                long ns = System.nanoTime() - t0;
                for (int p = 1; p <= producers; p++) union.check(p, count);
                assertEquals(0, ring.used());
                System.out.printf("MPMC %dx%d capacity %d: %,d msgs in %d ms%n", producers, consumers, capacity, count * producers, ns / 1_000_000);
            } finally {
                closeAll(ps);
                closeAll(cs);
            }
        }
    }

    /** A ring placed at an offset of a segment that two processes map: the bytes around it stay untouched. */
    @Test
    void placedAtAnOffsetOfASharedSegment() throws Exception {
        long offset = 4104; // 8-byte aligned, not page aligned
        long capacity = 16384;
        long count = 300_000;
        try (SharedMemory shm = SharedMemory.open(name, OpenMode.CREATE_EXCLUSIVE, offset + SharedRing.sizeFor(capacity) + 4096, 0600)) {
            MemorySegment s = shm.segment();
            s.fill((byte) 0x5a);
            try (SharedRing ring = SharedRing.create(s, offset, capacity, RingKind.SPSC);
                 ChildJvm consumer = ChildJvm.start(RingChildren.SegmentConsumer.class, name, Long.toString(offset), Long.toString(count))) {
                consumer.expectLine("ready");
                for (long seq = 0; seq < count; seq++) {
                    int len = RingMessages.length(1, seq, RingMessages.MIN, 200);
                    long index = ring.claim(RingMessages.DATA, len, 30, TimeUnit.SECONDS);
                    assertTrue(index >= 0);
                    RingMessages.write(ring.buffer(), index, 1, seq, len);
                    ring.commit(index);
                }
                RingMessages.Tally tally = new RingMessages.Tally();
                for (String line; !(line = consumer.readLine()).equals("done"); ) tally.merge(line);
                consumer.assertSuccess();
                tally.check(1, count);
            }
            for (long i = 0; i < offset; i++) assertEquals((byte) 0x5a, s.get(ValueLayout.JAVA_BYTE, i), "byte " + i + " before the ring");
            for (long i = offset + SharedRing.sizeFor(capacity); i < s.byteSize(); i++) {
                assertEquals((byte) 0x5a, s.get(ValueLayout.JAVA_BYTE, i), "byte " + i + " after the ring");
            }
        }
    }
}
