package dev.shmkit.benchmarks;

import dev.shmkit.shm.SharedMemory;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.util.concurrent.TimeUnit;

/**
 * What it costs to bring a small POSIX shared memory object into being and back out again.
 *
 * <ul>
 *   <li>{@link #createCloseUnlink}: {@code shm_open(O_CREAT|O_EXCL)} + {@code ftruncate} +
 *       {@code mmap} + {@code close(fd)} (all inside {@link SharedMemory#create}), then
 *       {@link SharedMemory#close()} ({@code munmap}, via the shared arena) and
 *       {@link SharedMemory#unlink()} ({@code shm_unlink}).</li>
 *   <li>{@link #openClose}: attach to an object that already exists ({@code shm_open} +
 *       {@code fstat} + {@code mmap} + {@code close(fd)}) and unmap it again.</li>
 *   <li>{@link #createAttachCloseUnlink}: the whole round trip Python users write, create, a
 *       second attachment to the same name, both closed, then unlink; compare with
 *       {@code benchmarks/python/shm_lifecycle.py}.</li>
 * </ul>
 *
 * The pages are mapped but never touched, so no page fault is counted (the Python script
 * does not touch them either). One name is reused: every operation unlinks what it created.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
@State(Scope.Thread)
public class SharedMemoryLifecycleBenchmark {
    static final long SIZE = 4096;

    private String fresh;
    private String existing;
    private SharedMemory holder;

    @Setup(Level.Trial)
    public void setUp() {
        String base = "shmkit-bench-" + ProcessHandle.current().pid() + "-" + Thread.currentThread().threadId();
        fresh = base + "-new";
        existing = base + "-old";
        SharedMemory.unlink(fresh);
        SharedMemory.unlink(existing);
        holder = SharedMemory.create(existing, SIZE);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        holder.close();
        holder.unlink();
        SharedMemory.unlink(fresh); // only present if a benchmark failed half-way
    }

    @Benchmark
    public long createCloseUnlink() {
        SharedMemory shm = SharedMemory.create(fresh, SIZE);
        long address = shm.segment().address();
        shm.close();
        shm.unlink();
        return address;
    }

    @Benchmark
    public long openClose() {
        SharedMemory shm = SharedMemory.open(existing);
        long size = shm.size();
        shm.close();
        return size;
    }

    @Benchmark
    public long createAttachCloseUnlink() {
        SharedMemory creator = SharedMemory.create(fresh, SIZE);
        SharedMemory attached = SharedMemory.open(fresh);
        long size = attached.size();
        attached.close();
        creator.close();
        creator.unlink();
        return size;
    }
}
