package dev.shmkit.objects;

import dev.shmkit.os.ObjectExistsException;
import dev.shmkit.os.ObjectNotFoundException;
import dev.shmkit.shm.ObjectInfo;
import dev.shmkit.shm.OpenMode;
import dev.shmkit.shm.SharedMemory;
import dev.shmkit.sync.SharedLock;
import dev.shmkit.testkit.Names;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** SharedValue in one process: every type, every operation, placement, the lock, errors. */
class SharedValueTest {
    private final String name = Names.unique("value");

    @AfterEach
    void cleanup() {
        SharedMemory.unlink(name);
    }

    @Test
    void longValueIsAnAtomicLong() {
        try (SharedValue.OfLong v = SharedValue.OfLong.create(name, 40)) {
            assertEquals(40, v.get());
            assertEquals(41, v.incrementAndGet());
            assertEquals(41, v.getAndAdd(9));
            assertEquals(50, v.get());
            assertTrue(v.compareAndSet(50, 7));
            assertFalse(v.compareAndSet(50, 8));
            assertEquals(7, v.getAndSet(3));
            assertEquals(12, v.updateAndGet(x -> x * 4));
            assertEquals(12, v.getAndUpdate(x -> x - 2));
            assertEquals(30, v.accumulateAndGet(3, (a, b) -> a * b));
            assertEquals(29, v.decrementAndGet());
            assertEquals(ElementType.LONG, v.type());
            assertEquals(name, v.name());
            assertFalse(v.hasLock());
            assertEquals(136, v.byteSize());
            assertTrue(v.toString().contains("= 29"), v.toString());
            try (SharedValue.OfLong again = SharedValue.OfLong.open(name)) {
                assertEquals(29, again.get());
                again.set(Long.MIN_VALUE);
            }
            assertEquals(Long.MIN_VALUE, v.get());
        }
    }

    @Test
    void intDoubleAndBooleanValues() {
        try (SharedValue.OfInt v = SharedValue.OfInt.create(name, Integer.MAX_VALUE)) {
            assertEquals(Integer.MIN_VALUE, v.incrementAndGet());
            assertEquals(5, v.updateAndGet(x -> 5));
            assertEquals("5", v.text());
        }
        SharedMemory.unlink(name);
        try (SharedValue.OfDouble v = SharedValue.OfDouble.create(name, 1.5)) {
            assertEquals(4.0, v.addAndGet(2.5));
            assertEquals(4.0, v.getAndAdd(-1));
            assertEquals(3.0, v.get());
            assertTrue(v.compareAndSet(3.0, -0.0));
            assertFalse(v.compareAndSet(0.0, 1.0), "CAS compares bits: 0.0 is not -0.0");
            v.set(Double.NaN);
            assertTrue(v.compareAndSet(Double.NaN, 2.0), "the same NaN compares equal");
            assertEquals(6.0, v.accumulateAndGet(3.0, (a, b) -> a * b));
        }
        SharedMemory.unlink(name);
        try (SharedValue.OfBoolean v = SharedValue.OfBoolean.create(name, false)) {
            assertFalse(v.get());
            assertTrue(v.compareAndSet(false, true));
            assertFalse(v.compareAndSet(false, true));
            assertTrue(v.getAndSet(false));
            assertEquals("false", v.text());
        }
    }

    @Test
    void bytesValueHoldsUpToItsMaximum() {
        try (SharedValue.OfBytes v = SharedValue.OfBytes.create(name, 16, "hi".getBytes(StandardCharsets.UTF_8))) {
            assertEquals("hi", v.text());
            assertEquals(16, v.maxBytes());
            assertTrue(v.hasLock(), "bytes values always have their writers' lock");
            v.set("0123456789abcdef".getBytes(StandardCharsets.UTF_8));
            assertEquals("0123456789abcdef", v.text());
            assertThrows(IllegalArgumentException.class, () -> v.set(new byte[17]));
            assertFalse(v.compareAndSet(new byte[] {1}, new byte[] {2}));
            assertTrue(v.compareAndSet("0123456789abcdef".getBytes(StandardCharsets.UTF_8), new byte[] {2}));
            assertArrayEquals(new byte[] {2, 2}, v.updateAndGet(b -> new byte[] {b[0], b[0]}));
            assertEquals(3, v.version());
            v.set(new byte[0]);
            assertArrayEquals(new byte[0], v.get());
        }
        SharedMemory.unlink(name);
        assertThrows(IllegalArgumentException.class, () -> SharedValue.OfBytes.create(name, 2, new byte[3]));
        assertFalse(SharedMemory.exists(name), "a failed creation leaves nothing behind");
    }

    public record Point(int x, int y) {}

    @Test
    void bytesValueHoldsASmallRecordThroughACodec() {
        dev.shmkit.queue.Codec<Point> codec = dev.shmkit.queue.Codec.record(Point.class);
        try (SharedValue.OfBytes v = SharedValue.OfBytes.create(name, 8, new byte[8])) {
            assertEquals(new Point(0, 0), v.get(codec));
            v.set(codec, new Point(3, 4));
            assertEquals(new Point(3, 4), v.get(codec));
            assertEquals(new Point(4, 5), v.updateAndGet(codec, p -> new Point(p.x() + 1, p.y() + 1)));
            assertThrows(IllegalStateException.class, () -> v.get(dev.shmkit.queue.Codec.ints()), "8 bytes are not an int");
        }
    }

    @Test
    void lockForCompoundUpdates() {
        try (SharedValue.OfDouble v = SharedValue.OfDouble.create(name, 2.0, true)) {
            SharedLock lock = v.lock();
            lock.lock();
            try {
                v.set(v.get() * v.get() + 1);
            } finally {
                lock.unlock();
            }
            assertEquals(5.0, v.get());
            try (SharedValue.OfDouble other = SharedValue.OfDouble.open(name)) {
                assertTrue(other.hasLock());
                assertTrue(other.lock().tryLock());
                assertFalse(lock.tryLock(), "one lock, seen by both handles");
                other.lock().unlock();
            }
        }
        SharedMemory.unlink(name);
        try (SharedValue.OfLong v = SharedValue.OfLong.create(name, 0)) {
            IllegalStateException e = assertThrows(IllegalStateException.class, v::lock);
            assertEquals("value " + name + " was created without a lock", e.getMessage());
        }
    }

    @Test
    void createOpenAndOpenOrCreate() {
        assertThrows(ObjectNotFoundException.class, () -> SharedValue.OfLong.open(name));
        try (SharedValue.OfLong a = SharedValue.OfLong.openOrCreate(name, 7);
             SharedValue.OfLong b = SharedValue.OfLong.openOrCreate(name, 99)) {
            assertEquals(7, b.get(), "the second openOrCreate opens, keeping the value");
            assertEquals(7, a.get());
            assertThrows(ObjectExistsException.class, () -> SharedValue.OfLong.create(name, 1));
            ObjectInfo info = SharedMemory.info(name);
            assertEquals(0600, info.permissions() & 0777);
            assertEquals(136, info.size());
        }
        try (SharedValue any = SharedValue.open(name)) {
            SharedValue.OfLong l = assertInstanceOf(SharedValue.OfLong.class, any);
            assertEquals(7, l.get());
        }
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> SharedValue.OfDouble.open(name));
        assertEquals("value " + name + " is of type long, not double", e.getMessage());
        e = assertThrows(IllegalStateException.class, () -> SharedArray.OfLong.open(name));
        assertEquals("array " + name + " is a value, not an array", e.getMessage());
        try (SharedValue.OfLong v = SharedValue.OfLong.open(name, OpenMode.OPEN_OR_CREATE, 1, true, 0640)) {
            assertFalse(v.hasLock(), "an existing value is opened as it is");
        }
        assertTrue(SharedValue.unlink(name));
        assertFalse(SharedValue.unlink(name));
        try (SharedValue.OfInt v = SharedValue.OfInt.open(name, OpenMode.CREATE_EXCLUSIVE, 1, false, 0640)) {
            assertEquals(0640, SharedMemory.info(name).permissions() & 0640);
            assertEquals("1", v.text());
        }
    }

    @Test
    void placementInASegment() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment seg = arena.allocate(1024, 64);
            long size = SharedValue.byteSize(ElementType.LONG, 0);
            SharedValue.OfLong a = SharedValue.OfLong.create(seg, 0, 5, true);
            SharedValue.OfInt b = SharedValue.OfInt.create(seg, size, 6, false);
            SharedValue.OfBytes c = SharedValue.OfBytes.create(seg, 2 * size, 8, new byte[] {1, 2, 3});
            assertNull(a.name());
            assertThrows(IllegalStateException.class, a::unlink);
            assertEquals(6, SharedValue.OfLong.open(seg, 0).incrementAndGet());
            assertEquals(6, ((SharedValue.OfInt) SharedValue.open(seg, size)).get());
            assertArrayEquals(new byte[] {1, 2, 3}, SharedValue.OfBytes.open(seg, 2 * size).get());
            assertEquals(6, a.get());
            assertTrue(b.compareAndSet(6, 60));
            assertEquals(3, c.get().length);
            assertThrows(IllegalArgumentException.class, () -> SharedValue.OfLong.create(seg, 4, 0, false), "alignment");
            assertThrows(IndexOutOfBoundsException.class, () -> SharedValue.OfLong.create(seg, 1000, 0, false));
            assertThrows(IllegalArgumentException.class,
                    () -> SharedValue.OfLong.create(MemorySegment.ofArray(new long[32]), 0, 0, false), "heap memory is not shared");
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> SharedValue.OfLong.open(seg, 512));
            assertTrue(e.getMessage().startsWith("value at offset 512 is not a shmkit shared object (magic 0x0"), e.getMessage());
        }
    }

    @Test
    void useAfterCloseIsAnErrorNotACrash() {
        SharedValue.OfLong v = SharedValue.OfLong.create(name, 1);
        v.close();
        assertThrows(IllegalStateException.class, v::get);
        v.close();
    }
}
