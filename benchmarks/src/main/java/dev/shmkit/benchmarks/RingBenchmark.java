package dev.shmkit.benchmarks;

import dev.shmkit.ring.MessageHandler;
import dev.shmkit.ring.RingKind;
import dev.shmkit.ring.SharedRing;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.ringbuffer.ManyToOneRingBuffer;
import org.agrona.concurrent.ringbuffer.OneToOneRingBuffer;
import org.agrona.concurrent.ringbuffer.RingBuffer;
import org.agrona.concurrent.ringbuffer.RingBufferDescriptor;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.concurrent.TimeUnit;

/**
 * The software cost of a message, without cross-core traffic: one thread writes a burst of 64
 * messages (claim, write in place, commit) and reads them back ({@code read(handler, 64)}), on
 * a 64 KiB ring in native memory that stays in this core's cache. Score: ns per message, for
 * shmkit's rings (SPSC, MPSC, SPSC with the batch API; {@code shmkitSpscFullFence}: SPSC in a fork
 * with {@code -Ddev.shmkit.ring.fence=full}, a full fence per commit and release instead of ring
 * protocol v2's asymmetric fence) and Agrona 2.6.0's
 * {@code OneToOneRingBuffer}/{@code ManyToOneRingBuffer} ({@code tryClaim}/{@code commit}).
 * The cross-process figures are {@link CrossProcessRing}'s.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "--sun-misc-unsafe-memory-access=allow",
        "--add-opens", "java.base/jdk.internal.misc=ALL-UNNAMED", "--add-exports", "java.base/jdk.internal.misc=ALL-UNNAMED",
        "--add-opens", "java.base/java.nio=ALL-UNNAMED"})
public class RingBenchmark {
    static final int BURST = 64;
    static final int CAPACITY = 1 << 16;

    @Param({"8", "64"})
    int size;

    Arena arena;
    SharedRing spsc, mpsc;
    RingBuffer agronaOneToOne, agronaManyToOne;
    MemorySegment src;
    UnsafeBuffer agronaSrc;
    final Sink sink = new Sink();

    /** Reads the first 8 bytes of every message, for both libraries' handler types. */
    static final class Sink implements MessageHandler, org.agrona.concurrent.MessageHandler {
        long sum;

        @Override
        public void onMessage(int typeId, MemorySegment buffer, long index, int length) {
            sum += buffer.get(ValueLayout.JAVA_LONG, index);
        }

        @Override
        public void onMessage(int msgTypeId, org.agrona.MutableDirectBuffer buffer, int index, int length) {
            sum += buffer.getLong(index);
        }
    }

    @Setup
    public void setup() {
        arena = Arena.ofShared();
        spsc = SharedRing.create(arena.allocate(SharedRing.sizeFor(CAPACITY), 4096), 0, CAPACITY, RingKind.SPSC);
        mpsc = SharedRing.create(arena.allocate(SharedRing.sizeFor(CAPACITY), 4096), 0, CAPACITY, RingKind.MPSC);
        agronaOneToOne = new OneToOneRingBuffer(new UnsafeBuffer(arena.allocate(CAPACITY + RingBufferDescriptor.TRAILER_LENGTH, 4096).address(),
                CAPACITY + RingBufferDescriptor.TRAILER_LENGTH));
        agronaManyToOne = new ManyToOneRingBuffer(new UnsafeBuffer(arena.allocate(CAPACITY + RingBufferDescriptor.TRAILER_LENGTH, 4096).address(),
                CAPACITY + RingBufferDescriptor.TRAILER_LENGTH));
        src = arena.allocate(size, 8);
        agronaSrc = new UnsafeBuffer(src.address(), size);
    }

    @TearDown
    public void tearDown() {
        arena.close();
    }

    private long shmkit(SharedRing ring) {
        MemorySegment buf = ring.buffer();
        for (int i = 0; i < BURST; i++) {
            long index = ring.tryClaim(1, size);
            if (size > 8) MemorySegment.copy(src, 0, buf, index, size);
            buf.set(ValueLayout.JAVA_LONG, index, i);
            ring.commit(index);
        }
        ring.read(sink, BURST);
        return sink.sum;
    }

    @Benchmark
    @OperationsPerInvocation(BURST)
    public long shmkitSpsc() {
        return shmkit(spsc);
    }

    @Benchmark
    @OperationsPerInvocation(BURST)
    public long shmkitMpsc() {
        return shmkit(mpsc);
    }

    @Benchmark
    @OperationsPerInvocation(BURST)
    public long shmkitSpscBatch() {
        MemorySegment buf = spsc.buffer();
        int stride = SharedRing.batchStride(size);
        long index = spsc.tryClaimBatch(1, size, BURST);
        for (int i = 0; i < BURST; i++) {
            long at = index + (long) i * stride;
            if (size > 8) MemorySegment.copy(src, 0, buf, at, size);
            buf.set(ValueLayout.JAVA_LONG, at, i);
        }
        spsc.commitBatch(index, size, BURST);
        spsc.read(sink, BURST);
        return sink.sum;
    }

    /** {@link #shmkitSpsc} with SharedRing's full fence per commit and release (a method's @Fork replaces the class's). */
    @Benchmark
    @OperationsPerInvocation(BURST)
    @Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "--sun-misc-unsafe-memory-access=allow",
            "--add-opens", "java.base/jdk.internal.misc=ALL-UNNAMED", "--add-exports", "java.base/jdk.internal.misc=ALL-UNNAMED",
            "--add-opens", "java.base/java.nio=ALL-UNNAMED", "-Ddev.shmkit.ring.fence=full"})
    public long shmkitSpscFullFence() {
        return shmkit(spsc);
    }

    private long agrona(RingBuffer ring) {
        UnsafeBuffer buf = (UnsafeBuffer) ring.buffer();
        for (int i = 0; i < BURST; i++) {
            int index = ring.tryClaim(1, size);
            if (size > 8) buf.putBytes(index, agronaSrc, 0, size);
            buf.putLong(index, i);
            ring.commit(index);
        }
        ring.read(sink, BURST);
        return sink.sum;
    }

    @Benchmark
    @OperationsPerInvocation(BURST)
    public long agronaOneToOne() {
        return agrona(agronaOneToOne);
    }

    @Benchmark
    @OperationsPerInvocation(BURST)
    public long agronaManyToOne() {
        return agrona(agronaManyToOne);
    }
}
