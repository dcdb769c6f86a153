package dev.shmkit.benchmarks;

import dev.shmkit.shm.Futex;
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

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;
import java.util.concurrent.TimeUnit;

/**
 * The fixed costs under every shmkit lock and queue, on a word in a POSIX shared mapping.
 *
 * <ul>
 *   <li>{@link #wakeNoWaiter}: {@link Futex#wake} when nobody sleeps on the word, i.e. one
 *       {@code futex(FUTEX_WAKE)} system call through an FFM downcall plus the argument checks:
 *       what an unlock pays if it cannot tell that there is no waiter.</li>
 *   <li>{@link #awaitValueChanged}: {@link Futex#await} when the word no longer holds the
 *       expected value, so the kernel returns EAGAIN at once: the fast way out of a wait.</li>
 *   <li>{@link #casPair}: an uncontended {@code compareAndSet} plus {@code setRelease} on the
 *       same word through a {@code static final} VarHandle, the lock-free fast path the two
 *       calls above are there to back up.</li>
 * </ul>
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
@State(Scope.Thread)
public class FutexBenchmark {
    /** (MemorySegment, long offset) -> int. */
    static final VarHandle INT = ValueLayout.JAVA_INT.varHandle();

    private SharedMemory shm;
    private MemorySegment segment;

    @Setup(Level.Trial)
    public void setUp() {
        String name = "shmkit-bench-" + ProcessHandle.current().pid() + "-" + Thread.currentThread().threadId() + "-futex";
        SharedMemory.unlink(name);
        shm = SharedMemory.create(name, 4096);
        shm.unlink();
        segment = shm.segment();
        segment.set(ValueLayout.JAVA_INT, 0, 0);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        shm.close();
    }

    @Benchmark
    public int wakeNoWaiter() {
        return Futex.wake(segment, 0, 1);
    }

    @Benchmark
    public boolean awaitValueChanged() {
        return Futex.await(segment, 0, 1); // the word holds 0: returns false without sleeping
    }

    @Benchmark
    public boolean casPair() {
        boolean acquired = INT.compareAndSet(segment, 0L, 0, 1);
        INT.setRelease(segment, 0L, 0);
        return acquired;
    }
}
