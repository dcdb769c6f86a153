package dev.shmkit.benchmarks;

import dev.shmkit.sync.NamedSemaphore;
import dev.shmkit.sync.SharedEvent;
import dev.shmkit.sync.SharedLock;
import dev.shmkit.sync.SharedReentrantLock;
import dev.shmkit.sync.SharedSemaphore;

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

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Uncontended fast paths of the synchronization primitives, one thread, nobody else using the
 * object (the cross-process costs are measured by {@link CrossProcessSync}):
 *
 * <ul>
 *   <li>{@link #sharedLock}: {@link SharedLock#lock()} + {@link SharedLock#unlock()}, one CAS on
 *       the lock word plus the owner bookkeeping, then an atomic exchange; no system call.
 *       Compare with a process-shared robust {@code pthread_mutex} ({@code benchmarks/c/lock_floor.c})
 *       and Python's {@code multiprocessing.Lock} ({@code benchmarks/python/lock_bench.py}).</li>
 *   <li>{@link #sharedReentrantLock}: the same on a {@link SharedReentrantLock} (hold count).</li>
 *   <li>{@link #sharedReentrantLockNested}: lock twice, unlock twice (the second lock and the
 *       first unlock only touch the hold count).</li>
 *   <li>{@link #jucReentrantLock}: {@link ReentrantLock}, in-process only, as the JVM's own reference.</li>
 *   <li>{@link #namedSemaphore}: {@link NamedSemaphore#tryAcquire()} + {@link NamedSemaphore#release()},
 *       i.e. {@code sem_trywait} + {@code sem_post} through FFM downcalls (plus the handle's
 *       close guard).</li>
 *   <li>{@link #sharedSemaphore}: {@link SharedSemaphore#tryAcquire()} + {@link SharedSemaphore#release()},
 *       a CAS on the permit count plus the holder-slot bookkeeping each way.</li>
 *   <li>{@link #sharedEventIsSet}: {@link SharedEvent#isSet()}, one acquire load.</li>
 *   <li>{@link #sharedEventSetClear}: {@link SharedEvent#set()} + {@link SharedEvent#clear()} with no
 *       waiter (two CAS loops and a look at the waiter count; no futex call).</li>
 * </ul>
 *
 * Every object is a named POSIX object of its own (what {@code SharedLock.create(name)} and the
 * others make), created in {@code @Setup} after removing any stale one of the same name and
 * unlinked in {@code @TearDown}, so a run leaves nothing in /dev/shm.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
@State(Scope.Thread)
public class LockBenchmark {
    private SharedLock lock;
    private SharedReentrantLock reentrantLock;
    private ReentrantLock jucLock;
    private NamedSemaphore namedSemaphore;
    private SharedSemaphore semaphore;
    private SharedEvent event;

    private String lockName;
    private String reentrantName;
    private String namedSemaphoreName;
    private String semaphoreName;
    private String eventName;

    @Setup(Level.Trial)
    public void setUp() {
        String base = "shmkit-bench-" + ProcessHandle.current().pid() + "-" + Thread.currentThread().threadId();
        lockName = base + "-lock";
        reentrantName = base + "-rlock";
        namedSemaphoreName = base + "-nsem";
        semaphoreName = base + "-sem";
        eventName = base + "-event";
        removeAll(); // stale objects of a fork with the same pid that was killed
        try {
            lock = SharedLock.create(lockName);
            reentrantLock = SharedReentrantLock.create(reentrantName);
            namedSemaphore = NamedSemaphore.create(namedSemaphoreName, 1);
            semaphore = SharedSemaphore.create(semaphoreName, 1);
            event = SharedEvent.create(eventName);
        } catch (RuntimeException | Error e) {
            tearDown();
            throw e;
        }
        jucLock = new ReentrantLock();
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        List<Throwable> failures = new ArrayList<>();
        for (AutoCloseable c : new AutoCloseable[] {lock, reentrantLock, namedSemaphore, semaphore, event}) {
            if (c == null) continue;
            try {
                c.close();
            } catch (Exception | Error e) {
                failures.add(e);
            }
        }
        removeAll();
        if (!failures.isEmpty()) {
            IllegalStateException e = new IllegalStateException("closing the benchmark's objects failed");
            failures.forEach(e::addSuppressed);
            throw e;
        }
    }

    /** Unlinks every name this state uses; each one is tried even if another fails. */
    private void removeAll() {
        RuntimeException first = null;
        for (Runnable r : new Runnable[] {
                () -> SharedLock.unlink(lockName),
                () -> SharedReentrantLock.unlink(reentrantName),
                () -> NamedSemaphore.unlink(namedSemaphoreName),
                () -> SharedSemaphore.unlink(semaphoreName),
                () -> SharedEvent.unlink(eventName)}) {
            try {
                r.run();
            } catch (RuntimeException e) {
                if (first == null) first = e;
            }
        }
        if (first != null) throw first;
    }

    @Benchmark
    public void sharedLock() {
        lock.lock();
        lock.unlock();
    }

    @Benchmark
    public void sharedReentrantLock() {
        reentrantLock.lock();
        reentrantLock.unlock();
    }

    @Benchmark
    public void sharedReentrantLockNested() {
        reentrantLock.lock();
        reentrantLock.lock();
        reentrantLock.unlock();
        reentrantLock.unlock();
    }

    @Benchmark
    public void jucReentrantLock() {
        jucLock.lock();
        jucLock.unlock();
    }

    @Benchmark
    public boolean namedSemaphore() {
        boolean taken = namedSemaphore.tryAcquire();
        if (taken) namedSemaphore.release();
        return taken;
    }

    @Benchmark
    public boolean sharedSemaphore() {
        boolean taken = semaphore.tryAcquire();
        if (taken) semaphore.release();
        return taken;
    }

    @Benchmark
    public boolean sharedEventIsSet() {
        return event.isSet();
    }

    @Benchmark
    public void sharedEventSetClear() {
        event.set();
        event.clear();
    }
}
