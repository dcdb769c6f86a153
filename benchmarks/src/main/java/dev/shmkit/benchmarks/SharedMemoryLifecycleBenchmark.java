package dev.shmkit.benchmarks;

import dev.shmkit.internal.nativeaccess.Consts;
import dev.shmkit.internal.nativeaccess.Libc;
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

import java.lang.foreign.Arena;
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
 * Two controls say where the time goes (they call shmkit's internal facade, reachable here
 * because benchmarks run on the class path; they are not API):
 * <ul>
 *   <li>{@link #baselineSyscallsConfinedArena}: the same system calls as
 *       {@link #createCloseUnlink}, through the same downcalls, but with the mapping in a
 *       confined arena: the floor for the FFM route.</li>
 *   <li>{@link #baselineSharedArenaOnly}: {@code Arena.ofShared()} and its {@code close()}, with
 *       nothing in it. {@link SharedMemory} keeps each mapping in a shared arena (any thread may
 *       use it), and closing a shared arena is a handshake with every Java thread.</li>
 * </ul>
 *
 * The pages are mapped but never touched, so no page fault is counted (the Python script
 * does not touch them either). One name is reused: every operation unlinks what it created.
 * Five warm-up seconds rather than three: on a 2-CPU machine the {@link SharedMemory} variants
 * were still getting faster during the third (the controls below were not).
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
@State(Scope.Thread)
public class SharedMemoryLifecycleBenchmark {
    static final long SIZE = 4096;

    private static final int CREATE_FLAGS = Consts.O_RDWR | Consts.O_CREAT | Consts.O_EXCL | Consts.O_CLOEXEC;

    private String fresh;
    private String freshPath; // with the leading slash, as the C library wants it
    private String existing;
    private SharedMemory holder;

    @Setup(Level.Trial)
    public void setUp() {
        String base = "shmkit-bench-" + ProcessHandle.current().pid() + "-" + Thread.currentThread().threadId();
        fresh = base + "-new";
        freshPath = "/" + fresh;
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

    /** The same through the public API, mapping into a confined arena the caller closes. */
    @Benchmark
    public long createCloseUnlinkConfinedArena() {
        try (Arena arena = Arena.ofConfined()) {
            SharedMemory shm = SharedMemory.open(fresh, dev.shmkit.shm.OpenMode.CREATE_EXCLUSIVE, SIZE, 0600, arena);
            long address = shm.segment().address();
            shm.close();
            shm.unlink();
            return address;
        }
    }

    @Benchmark
    public long createAttachCloseUnlinkConfinedArena() {
        try (Arena arena = Arena.ofConfined()) {
            SharedMemory creator = SharedMemory.open(fresh, dev.shmkit.shm.OpenMode.CREATE_EXCLUSIVE, SIZE, 0600, arena);
            SharedMemory attached = SharedMemory.open(fresh, dev.shmkit.shm.OpenMode.OPEN_EXISTING, 0, 0600, arena);
            long size = attached.size();
            attached.close();
            creator.close();
            creator.unlink();
            return size;
        }
    }

    @Benchmark
    public long baselineSyscallsConfinedArena() {
        String n = freshPath;
        int fd = Libc.shmOpen(n, CREATE_FLAGS, 0600);
        long address;
        try (Arena arena = Arena.ofConfined()) {
            try {
                Libc.ftruncate(fd, SIZE, n);
                address = Libc.mmap(fd, SIZE, true, arena, n).address();
            } finally {
                Libc.close(fd);
            }
        } // munmap
        Libc.shmUnlink(n);
        return address;
    }

    @Benchmark
    public void baselineSharedArenaOnly() {
        Arena.ofShared().close();
    }
}
