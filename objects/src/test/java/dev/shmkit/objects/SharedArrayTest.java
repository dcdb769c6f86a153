package dev.shmkit.objects;

import dev.shmkit.shm.SharedMemory;
import dev.shmkit.testkit.Names;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.IntBuffer;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** SharedArray in one process: indexed, atomic and bulk access, views, placement, errors. */
class SharedArrayTest {
    private final String name = Names.unique("array");

    @AfterEach
    void cleanup() {
        SharedMemory.unlink(name);
    }

    @Test
    void intArrayAccess() {
        try (SharedArray.OfInt a = SharedArray.OfInt.create(name, 10)) {
            assertEquals(10, a.length());
            assertEquals(ElementType.INT, a.type());
            assertEquals(128 + 40, a.byteSize());
            a.set(3, 33);
            assertEquals(33, a.get(3));
            assertEquals(33, a.getAndAdd(3, 2));
            assertEquals(36, a.addAndGet(3, 1));
            assertTrue(a.compareAndSet(3, 36, 1));
            assertFalse(a.compareAndSet(3, 36, 2));
            assertEquals(1, a.getAndSet(3, 4));
            assertEquals(5, a.incrementAndGet(3));
            assertEquals(4, a.decrementAndGet(3));
            assertEquals(16, a.updateAndGet(3, x -> x * x));
            assertThrows(IndexOutOfBoundsException.class, () -> a.get(10));
            assertThrows(IndexOutOfBoundsException.class, () -> a.set(-1, 0));
            assertThrows(IndexOutOfBoundsException.class, () -> a.getAndAdd(10, 1));

            a.copyFrom(IntStream.range(0, 10).toArray());
            assertArrayEquals(IntStream.range(0, 10).toArray(), a.toArray());
            int[] part = new int[5];
            a.copyTo(2, part, 1, 4);
            assertArrayEquals(new int[] {0, 2, 3, 4, 5}, part);
            a.copyFrom(new int[] {-1, -2}, 0, 8, 2);
            assertEquals(-2, a.get(9));
            assertThrows(IndexOutOfBoundsException.class, () -> a.copyFrom(new int[3], 0, 8, 3));
            assertThrows(IndexOutOfBoundsException.class, () -> a.copyTo(0, new int[3], 0, 4));
            assertThrows(IllegalArgumentException.class, () -> a.copyFrom(new int[9]));

            IntBuffer buf = a.asIntBuffer();
            assertEquals(10, buf.capacity());
            assertEquals(-2, buf.get(9));
            buf.put(0, 1234);
            assertEquals(1234, a.get(0), "the buffer is a view, not a copy");
            MemorySegment seg = a.asSegment();
            assertEquals(40, seg.byteSize());
            seg.set(ValueLayout.JAVA_INT, 4, 77);
            assertEquals(77, a.get(1));
            a.fill(9);
            assertEquals(90, IntStream.of(a.toArray()).sum());
            assertTrue(a.toString().startsWith("SharedArray.OfInt[array " + name + ", [9, 9"), a.toString());
        }
    }

    @Test
    void longDoubleAndByteArrays() {
        try (SharedArray.OfLong a = SharedArray.OfLong.create(name, new long[] {1, 2, 3}, true)) {
            assertTrue(a.hasLock());
            assertEquals(3, a.getAndAdd(2, 10));
            assertEquals(13, a.get(2));
            assertEquals(26, a.updateAndGet(2, x -> 2 * x));
            assertArrayEquals(new long[] {1, 2, 26}, a.toArray());
            assertEquals(26, a.asLongBuffer().get(2));
        }
        SharedMemory.unlink(name);
        try (SharedArray.OfDouble a = SharedArray.OfDouble.create(name, new double[] {0.5, 1.5}, false)) {
            assertEquals(2.0, a.addAndGet(1, 0.5));
            assertEquals(0.5, a.getAndAdd(0, 1.0));
            assertTrue(a.compareAndSet(0, 1.5, -0.0));
            assertFalse(a.compareAndSet(0, 0.0, 1.0), "raw bits");
            assertEquals(2.0, a.asDoubleBuffer().get(1));
            a.fill(3.25);
            assertArrayEquals(new double[] {3.25, 3.25}, a.toArray());
        }
        SharedMemory.unlink(name);
        try (SharedArray.OfByte a = SharedArray.OfByte.create(name, 5)) {
            a.set(4, (byte) -1);
            assertEquals(-1, a.get(4));
            a.copyFrom(new byte[] {1, 2, 3, 4, 5});
            assertArrayEquals(new byte[] {1, 2, 3, 4, 5}, a.toArray());
            assertEquals(3, a.asByteBuffer().get(2));
            assertEquals(128 + 8, a.byteSize(), "padded to 8");
            a.fill((byte) 7);
            assertEquals(7, a.get(0));
        }
        try (SharedArray any = SharedArray.open(name)) {
            assertInstanceOf(SharedArray.OfByte.class, any);
            assertEquals("7", any.text(4));
        }
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> SharedArray.OfInt.open(name));
        assertEquals("array " + name + " holds bytes, not ints", e.getMessage());
    }

    @Test
    void openOrCreateChecksTheLength() {
        try (SharedArray.OfInt a = SharedArray.OfInt.openOrCreate(name, 4);
             SharedArray.OfInt b = SharedArray.OfInt.openOrCreate(name, 4)) {
            a.set(0, 5);
            assertEquals(5, b.get(0));
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> SharedArray.OfInt.openOrCreate(name, 5));
            assertEquals("array " + name + " exists with 4 elements, not 5", e.getMessage());
        }
    }

    @Test
    void emptyAndInvalidLengths() {
        try (SharedArray.OfLong a = SharedArray.OfLong.create(name, 0)) {
            assertEquals(0, a.length());
            assertEquals(0, a.toArray().length);
            assertThrows(IndexOutOfBoundsException.class, () -> a.get(0));
        }
        assertThrows(IllegalArgumentException.class, () -> SharedArray.OfLong.create(name + "x", -1));
        assertThrows(IllegalArgumentException.class, () -> SharedArray.byteSize(ElementType.BOOLEAN, 3));
    }

    @Test
    void placementInASegment() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment seg = arena.allocate(4096, 64);
            long size = SharedArray.byteSize(ElementType.DOUBLE, 100);
            assertEquals(128 + 800, size);
            SharedArray.OfDouble a = SharedArray.OfDouble.create(seg, 64, 100, true);
            a.set(99, 1.0);
            SharedArray.OfDouble b = SharedArray.OfDouble.open(seg, 64);
            assertEquals(1.0, b.get(99));
            assertTrue(b.lock().tryLock());
            assertFalse(a.lock().tryLock());
            b.lock().unlock();
            assertEquals(800, a.asSegment().byteSize());
            assertEquals(seg.address() + 64 + 128, a.asSegment().address());
            assertThrows(IndexOutOfBoundsException.class, () -> SharedArray.OfDouble.create(seg, 4096 - size + 8, 100, false));
        }
    }
}
