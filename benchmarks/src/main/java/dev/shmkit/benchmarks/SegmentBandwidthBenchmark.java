package dev.shmkit.benchmarks;

import dev.shmkit.shm.SharedMemory;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
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
 * Copy bandwidth through a 64 MiB {@link SharedMemory} mapping with {@link MemorySegment#copy},
 * to and from a heap {@code byte[]} and a native (off-heap) buffer.
 *
 * <p>One operation copies one block of {@code blockSize} bytes; successive operations walk
 * the mapping block by block and wrap around, so every byte of the 64 MiB passes once per lap
 * and the mapped side streams from memory rather than from cache (64 MiB is larger than the
 * last-level cache of the machines we run on), while the small heap or native buffer stays
 * cached. The score is operations per second: <b>bytes/s = score &times; blockSize</b>, e.g.
 * 250,000 ops/s at 4096 bytes is 1.02 GB/s (0.95 GiB/s); {@code scripts/bench} prints that
 * conversion after the run ({@code benchmarks/python/jmh_summary.py}).
 *
 * <p>All pages are written once in setup, so page faults are not measured.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
@State(Scope.Thread)
public class SegmentBandwidthBenchmark {
    static final long SEGMENT_SIZE = 64L << 20;

    @Param({"4096", "1048576"})
    public int blockSize;

    private SharedMemory shm;
    private MemorySegment mapped;
    private Arena arena;
    private MemorySegment nativeBuffer;
    private byte[] heapBuffer;
    private long offset;

    @Setup(Level.Trial)
    public void setUp() {
        String name = "shmkit-bench-" + ProcessHandle.current().pid() + "-" + Thread.currentThread().threadId() + "-bw";
        SharedMemory.unlink(name);
        shm = SharedMemory.create(name, SEGMENT_SIZE);
        shm.unlink(); // the mapping keeps the memory; nothing is left behind if the fork dies
        mapped = shm.segment();
        mapped.fill((byte) 0x5a); // fault every page in now
        arena = Arena.ofConfined();
        nativeBuffer = arena.allocate(blockSize, 4096);
        nativeBuffer.fill((byte) 0x33);
        heapBuffer = new byte[blockSize];
        java.util.Arrays.fill(heapBuffer, (byte) 0x44);
        offset = 0;
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        arena.close();
        shm.close();
    }

    private long nextOffset() {
        long o = offset;
        long n = o + blockSize;
        offset = n >= SEGMENT_SIZE ? 0 : n;
        return o;
    }

    @Benchmark
    public byte[] writeFromHeap() {
        MemorySegment.copy(heapBuffer, 0, mapped, ValueLayout.JAVA_BYTE, nextOffset(), blockSize);
        return heapBuffer;
    }

    @Benchmark
    public byte[] readToHeap() {
        MemorySegment.copy(mapped, ValueLayout.JAVA_BYTE, nextOffset(), heapBuffer, 0, blockSize);
        return heapBuffer;
    }

    @Benchmark
    public MemorySegment writeFromNative() {
        MemorySegment.copy(nativeBuffer, 0, mapped, nextOffset(), blockSize);
        return nativeBuffer;
    }

    @Benchmark
    public MemorySegment readToNative() {
        MemorySegment.copy(mapped, nextOffset(), nativeBuffer, 0, blockSize);
        return nativeBuffer;
    }
}
