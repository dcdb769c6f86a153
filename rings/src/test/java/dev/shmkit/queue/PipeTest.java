package dev.shmkit.queue;

import dev.shmkit.ring.SharedRing;
import dev.shmkit.shm.SharedMemory;
import dev.shmkit.testkit.ChildJvm;
import dev.shmkit.testkit.Names;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.EOFException;
import java.io.IOException;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import static dev.shmkit.queue.TestSupport.millisSince;
import static dev.shmkit.queue.TestSupport.task;
import static dev.shmkit.queue.TestSupport.untilInside;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@link Pipe}: both directions across processes, fragments, end of stream on close and on kill -9. */
@SuppressWarnings("try") // ends are closed explicitly inside try-with-resources: closing is what is tested
class PipeTest {
    private final String name = Names.unique("pipe");

    @AfterEach
    void cleanup() {
        Pipe.unlink(name);
    }

    @Test
    void duplexAcrossProcessesInBothDirections() throws Exception {
        try (Pipe p = Pipe.create(name, 1 << 16);
             ChildJvm child = ChildJvm.start(QueueChild.class, "pipe-echo", name)) {
            child.expectLine("ready");
            p.unlink(); // both ends are open: nothing is left behind whatever happens next
            assertEquals(Pipe.Role.DUPLEX, p.role());
            for (int i = 0; i < 1000; i++) {
                p.send("message " + i, Codec.string());
                assertEquals("MESSAGE " + i, p.recv(Codec.string()));
            }
            // many in flight at once
            for (int i = 0; i < 200; i++) p.send(("m" + i).getBytes(StandardCharsets.UTF_8));
            for (int i = 0; i < 200; i++) assertEquals("M" + i, new String(p.recv(), StandardCharsets.UTF_8));
            // larger than a record (8 KiB - 8 here): sent in fragments, both ways
            byte[] big = new byte[300_000];
            new Random(7).nextBytes(big);
            big[0] = '#';
            p.send(big);
            byte[] back = p.recv();
            assertEquals(big.length, back.length);
            for (int i = 0; i < big.length; i++) assertEquals(big[i], back[big.length - 1 - i], "byte " + i);
            String longText = "y".repeat(50_000);
            p.send(longText, Codec.string());
            assertEquals(longText.toUpperCase(), p.recv(Codec.string()));
            p.send(new byte[0]);
            assertEquals("", p.recv(Codec.string()));
            p.close();
            assertEquals("eof " + 1203, child.readLine());
            child.assertSuccess();
        }
    }

    @Test
    void endOfStreamAfterDrainingWhenTheOtherEndCloses() throws Exception {
        try (Pipe p = Pipe.create(name, 4096);
             ChildJvm child = ChildJvm.start(QueueChild.class, "pipe-send-close", name, "100")) {
            child.expectLine("closed");
            child.assertSuccess();
            assertTrue(p.poll(0, TimeUnit.SECONDS));
            for (long i = 0; i < 100; i++) assertEquals(i, p.recv(Codec.longs()));
            EOFException e = assertThrows(EOFException.class, p::recv);
            assertTrue(e.getMessage().contains("has closed"), e.getMessage());
            assertThrows(EOFException.class, () -> p.recv(1, TimeUnit.SECONDS), "every later recv too");
            assertTrue(p.poll(1, TimeUnit.SECONDS), "poll is true at end of stream");
            assertTrue(p.isPeerGone());
            IOException broken = assertThrows(IOException.class, () -> p.send(new byte[1]));
            assertTrue(broken.getMessage().startsWith("broken pipe"), broken.getMessage());
        }
    }

    @Test
    void endOfStreamAfterDrainingWhenTheOtherEndIsKilled() throws Exception {
        try (Pipe p = Pipe.create(name, 1 << 16);
             ChildJvm child = ChildJvm.start(QueueChild.class, "pipe-send-wait", name, "500")) {
            child.expectLine("sent");
            assertFalse(p.isPeerGone());
            child.process().destroyForcibly().waitFor(); // kill -9
            long n = 0;
            long t0 = System.nanoTime();
            try {
                while (true) assertEquals(n++, p.recv(Codec.longs()));
            } catch (EOFException e) {
                n--;
                assertTrue(e.getMessage().contains("has died"), e.getMessage());
            }
            assertEquals(500, n, "everything sent before the death is received");
            assertTrue(millisSince(t0) < 5_000);
            assertThrows(IOException.class, () -> p.send(new byte[] {1}), "broken pipe");
        }
    }

    @Test
    void aBlockedReceiverSeesTheCloseAtOnce() throws Exception {
        try (Pipe a = Pipe.create(name, 4096); Pipe b = Pipe.open(name)) {
            var receiver = task("recv", b::recv);
            untilInside(receiver.thread, "next");
            long t0 = System.nanoTime();
            a.close();
            assertInstanceOf(EOFException.class, receiver.joinFailure());
            System.out.println("pipe: a blocked receiver saw the close after " + millisSince(t0) + " ms");
        }
    }

    @Test
    void timeoutsPollAndInterrupts() throws Exception {
        try (Pipe a = Pipe.create(name, 4096); Pipe b = Pipe.open(name)) {
            long t0 = System.nanoTime();
            assertNull(b.recv(100, TimeUnit.MILLISECONDS));
            assertTrue(millisSince(t0) >= 100);
            assertNull(b.recv(Codec.string(), 0, TimeUnit.SECONDS));
            assertFalse(b.poll());
            assertFalse(b.poll(50, TimeUnit.MILLISECONDS));
            a.send("ready?", Codec.string());
            assertTrue(b.poll(1, TimeUnit.SECONDS));
            assertTrue(b.poll(), "still ready: the message was read ahead, not consumed");
            assertEquals("ready?", b.recv(Codec.string()));
            assertFalse(b.poll());

            var receiver = task("recv", () -> b.recv());
            untilInside(receiver.thread, "next");
            receiver.interrupt();
            assertInstanceOf(InterruptedException.class, receiver.joinFailure());
            a.send(new byte[] {42});
            assertArrayEquals(new byte[] {42}, b.recv());

            // a full ring blocks the sender until the receiver makes room (4 KiB: ten records of 408 bytes)
            byte[] chunk = new byte[400];
            var sender = task("send", () -> {
                for (int i = 0; i < 30; i++) {
                    chunk[0] = (byte) i;
                    a.send(chunk);
                }
                return null;
            });
            untilInside(sender.thread, "awaitSpace");
            for (int i = 0; i < 30; i++) assertEquals((byte) i, b.recv()[0]);
            sender.join();
        }
    }

    @Test
    void closingAnEndWakesItsOwnBlockedThreads() throws Exception {
        try (Pipe a = Pipe.create(name, 4096); Pipe b = Pipe.open(name)) {
            var receiver = task("recv", () -> b.recv());
            untilInside(receiver.thread, "next");
            b.close();
            Throwable t = receiver.joinFailure();
            assertInstanceOf(IOException.class, t);
            assertTrue(t.getMessage().contains("is closed"), t.getMessage());
            assertThrows(IOException.class, () -> b.send(new byte[1]));
            assertThrows(EOFException.class, () -> a.recv(1, TimeUnit.SECONDS), "the other end sees end of stream");
        }
    }

    @Test
    void oneWay() throws Exception {
        try (Pipe w = Pipe.createOneWay(name); Pipe r = Pipe.open(name)) {
            assertEquals(Pipe.Role.SENDER, w.role());
            assertEquals(Pipe.Role.RECEIVER, r.role());
            assertTrue(w.canSend());
            assertFalse(w.canReceive());
            w.send(new byte[] {1, 2});
            assertArrayEquals(new byte[] {1, 2}, r.recv());
            assertThrows(IllegalStateException.class, () -> r.send(new byte[1]));
            assertThrows(IllegalStateException.class, w::recv);
            w.close();
            assertThrows(EOFException.class, r::recv);
        }
        Pipe.unlink(name);
        try (Pipe r = Pipe.createOneWay(name, 4096, Pipe.Role.RECEIVER); Pipe w = Pipe.open(name)) {
            assertEquals(Pipe.Role.SENDER, w.role());
            w.send(7L, Codec.longs());
            assertEquals(7L, r.recv(Codec.longs()));
            assertEquals(4096, r.capacityBytes());
            assertEquals(4096 / 8 - 8, r.maxRecordBytes());
        }
    }

    @Test
    void aPipeConnectsExactlyTwoEndsOnce() throws Exception {
        try (Pipe a = Pipe.create(name, 4096)) {
            Pipe b = Pipe.open(name);
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> Pipe.open(name));
            assertTrue(e.getMessage().contains("already has its other end open"), e.getMessage());
            b.close();
            e = assertThrows(IllegalStateException.class, () -> Pipe.open(name));
            assertTrue(e.getMessage().contains("opened and closed"), e.getMessage());
            assertThrows(dev.shmkit.os.ObjectExistsException.class, () -> Pipe.create(name));
        }
    }

    @Test
    void corruptHeadersAndHostileStreamsAreRefused() throws Exception {
        try (SharedMemory shm = SharedMemory.create(name, Pipe.sizeFor(4096, true))) {
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> Pipe.open(name));
            assertTrue(e.getMessage().contains("is not a shmkit pipe"), e.getMessage());
            try (Pipe a = Pipe.create(shm.segment(), 0, 4096, Pipe.Role.DUPLEX)) {
                shm.segment().set(ValueLayout.JAVA_LONG, PipeDescriptor.RING_B_OFFSET, 4);
                e = assertThrows(IllegalStateException.class, () -> Pipe.open(name));
                assertTrue(e.getMessage().contains("corrupt ring offsets"), e.getMessage());
                shm.segment().set(ValueLayout.JAVA_LONG, PipeDescriptor.RING_B_OFFSET, PipeDescriptor.HEADER_LENGTH + SharedRing.sizeFor(4096));

                try (Pipe b = Pipe.open(shm.segment(), 0)) {
                    assertNull(b.name());
                    // a hostile writer puts records into the ring b reads (ring A, written by end 0)
                    SharedRing ringA = SharedRing.open(shm.segment(), PipeDescriptor.HEADER_LENGTH);
                    assertTrue(ringA.offer(99, new byte[3]));
                    e = assertThrows(IllegalStateException.class, b::recv);
                    assertTrue(e.getMessage().contains("record of unknown type 99"), e.getMessage());
                    assertTrue(ringA.offer(PipeDescriptor.MORE_FRAGMENT, new byte[3]));
                    e = assertThrows(IllegalStateException.class, b::recv);
                    assertTrue(e.getMessage().contains("fragment arrived outside a message"), e.getMessage());
                    byte[] first = new byte[100];
                    java.lang.foreign.MemorySegment.ofArray(first).set(Codecs.INT, 0, Integer.MAX_VALUE - 100); // announces ~2 GiB
                    assertTrue(ringA.offer(PipeDescriptor.FIRST_FRAGMENT, first));
                    assertNull(b.recv(10, TimeUnit.MILLISECONDS), "waits for the rest, without allocating 2 GiB");
                    assertTrue(ringA.offer(PipeDescriptor.MESSAGE, new byte[1]));
                    e = assertThrows(IllegalStateException.class, b::recv);
                    assertTrue(e.getMessage().contains("inside a fragmented one"), e.getMessage());
                    // the stream goes on after a refused record
                    a.send(new byte[] {5});
                    assertArrayEquals(new byte[] {5}, b.recv());
                    ringA.close();
                }
            }
        }
    }
}
