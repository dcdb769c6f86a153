package dev.shmkit.sync;

import dev.shmkit.internal.nativeaccess.Consts;
import dev.shmkit.internal.nativeaccess.Errno;
import dev.shmkit.internal.nativeaccess.PosixSemaphores;
import dev.shmkit.shm.OpenMode;
import dev.shmkit.os.ObjectExistsException;
import dev.shmkit.os.ObjectNotFoundException;

import java.lang.foreign.MemorySegment;
import java.time.Instant;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * A named POSIX semaphore ({@code sem_open}): the kernel's own counting semaphore, shared by
 * name with any program that calls {@code sem_open} — C, Python's {@code posix_ipc}, another JVM.
 * New semaphores get permissions 0600 unless told otherwise.
 *
 * <p>Names follow {@link dev.shmkit.shm.SharedMemory}'s rules ({@code "jobs"} is
 * {@code "/jobs"}); on Linux the object appears as {@code /dev/shm/sem.jobs}, and a name may have
 * up to 251 bytes; macOS allows 30.
 *
 * <h2>Waiting</h2>
 * On Linux, waits use {@code sem_timedwait} in slices of {@value #SLICE_MILLIS} ms, so
 * {@link #acquire()} notices {@code Thread.interrupt()} within that time and EINTR is retried.
 * macOS has no {@code sem_timedwait}: there a waiting thread polls {@code sem_trywait} with a
 * back-off that grows from 50 µs to 5 ms between attempts, so a long wait costs little CPU but
 * a release may be noticed up to 5 ms late.
 *
 * <h2>When a holder dies</h2>
 * The kernel does not know who holds a POSIX semaphore: permits taken by a process that dies are
 * lost, as with C and Python. Use {@link SharedSemaphore} where that matters.
 *
 * <p>{@link #close()} releases this process's handle and is safe while other threads wait (they
 * get an {@link IllegalStateException} within a slice); {@link #unlink()} removes the name.
 */
public final class NamedSemaphore implements AutoCloseable {
    public static final long SLICE_MILLIS = 20;
    private static final long SLICE_NANOS = TimeUnit.MILLISECONDS.toNanos(SLICE_MILLIS);

    private final String name;
    private final MemorySegment sem;
    private final boolean created;
    private final ReentrantReadWriteLock closing = new ReentrantReadWriteLock();
    private volatile boolean closed;

    private NamedSemaphore(String name, MemorySegment sem, boolean created) {
        this.name = name;
        this.sem = sem;
        this.created = created;
    }

    public static NamedSemaphore create(String name, int value) {
        return open(name, OpenMode.CREATE_EXCLUSIVE, value, 0600);
    }

    public static NamedSemaphore create(String name, int value, int permissions) {
        return open(name, OpenMode.CREATE_EXCLUSIVE, value, permissions);
    }

    public static NamedSemaphore openOrCreate(String name, int value) {
        return open(name, OpenMode.OPEN_OR_CREATE, value, 0600);
    }

    public static NamedSemaphore open(String name) {
        return open(name, OpenMode.OPEN_EXISTING, 0, 0600);
    }

    /** The general form; {@code value} and {@code permissions} apply to a semaphore this call creates. */
    public static NamedSemaphore open(String name, OpenMode mode, int value, int permissions) {
        String n = normalizeName(name);
        if (value < 0) throw Errno.invalid("sem_open", Errno.quote(n), Consts.EINVAL, "initial value must not be negative, was " + value);
        if ((permissions & ~0777) != 0) throw Errno.invalid("sem_open", Errno.quote(n), Consts.EINVAL, "permissions must be within 0777");
        int rw = Consts.O_RDWR;
        return switch (mode) {
            case CREATE_EXCLUSIVE -> new NamedSemaphore(n, PosixSemaphores.open(n, rw | Consts.O_CREAT | Consts.O_EXCL, permissions, value), true);
            case OPEN_EXISTING -> new NamedSemaphore(n, PosixSemaphores.open(n, rw, 0, 0), false);
            case OPEN_OR_CREATE -> {
                while (true) {
                    try {
                        yield new NamedSemaphore(n, PosixSemaphores.open(n, rw | Consts.O_CREAT | Consts.O_EXCL, permissions, value), true);
                    } catch (ObjectExistsException e) {
                        try {
                            yield new NamedSemaphore(n, PosixSemaphores.open(n, rw, 0, 0), false);
                        } catch (ObjectNotFoundException gone) {
                            // unlinked between the two calls: try again
                        }
                    }
                }
            }
        };
    }

    static String normalizeName(String name) {
        String n = name.startsWith("/") ? name : "/" + name;
        String q = Errno.quote(name);
        if (n.length() == 1) throw Errno.invalid("sem_open", q, Consts.EINVAL, "empty name");
        if (n.indexOf('/', 1) >= 0) throw Errno.invalid("sem_open", q, Consts.EINVAL, "a name may not contain '/' after the leading one");
        if (n.indexOf('\0') >= 0) throw Errno.invalid("sem_open", q, Consts.EINVAL, "a name may not contain NUL");
        int bytes = n.getBytes(java.nio.charset.StandardCharsets.UTF_8).length;
        if (Consts.MACOS && bytes > 30) throw Errno.invalid("sem_open", q, Consts.ENAMETOOLONG, "longer than macOS's 30 bytes including the '/'");
        if (bytes - 1 > Consts.NAME_MAX - 4) {
            throw Errno.invalid("sem_open", q, Consts.ENAMETOOLONG, "longer than " + (Consts.NAME_MAX - 4) + " bytes (NAME_MAX less the 'sem.' prefix)");
        }
        return n;
    }

    public String name() {
        return name;
    }

    /** Whether this call created the semaphore. */
    public boolean created() {
        return created;
    }

    /** Waits for a permit ({@code sem_wait}), noticing interrupts within a slice. */
    public void acquire() throws InterruptedException {
        if (!acquire0(-1)) throw new AssertionError("untimed acquire returned false");
    }

    /** Takes a permit if one is available now ({@code sem_trywait}). */
    public boolean tryAcquire() {
        ReentrantReadWriteLock.ReadLock r = enter();
        try {
            while (true) {
                int rc = PosixSemaphores.tryWait(sem, name);
                if (rc != PosixSemaphores.INTERRUPTED) return rc == PosixSemaphores.OK;
            }
        } finally {
            r.unlock();
        }
    }

    /**
     * Waits at most {@code timeout} for a permit. A timeout of zero or less does not wait.
     *
     * @return false when the timeout elapsed
     */
    public boolean tryAcquire(long timeout, TimeUnit unit) throws InterruptedException {
        long nanos = unit.toNanos(timeout);
        if (nanos <= 0) {
            if (Thread.interrupted()) throw new InterruptedException();
            return tryAcquire();
        }
        return acquire0(System.nanoTime() + nanos);
    }

    private boolean acquire0(long deadline) throws InterruptedException {
        ReentrantReadWriteLock.ReadLock r = enter();
        try {
            long backoff = 50_000;
            while (true) {
                if (Thread.interrupted()) throw new InterruptedException();
                if (closed) throw closedError();
                long left = deadline == -1 ? Long.MAX_VALUE : deadline - System.nanoTime();
                if (left <= 0) return PosixSemaphores.tryWait(sem, name) == PosixSemaphores.OK;
                if (PosixSemaphores.HAS_TIMEDWAIT) {
                    Instant until = Instant.now().plusNanos(Math.min(SLICE_NANOS, left));
                    int rc = PosixSemaphores.timedWait(sem, name, until.getEpochSecond(), until.getNano());
                    if (rc == PosixSemaphores.OK) return true;
                } else {
                    if (PosixSemaphores.tryWait(sem, name) == PosixSemaphores.OK) return true;
                    LockSupport.parkNanos(Math.min(backoff, left));
                    backoff = Math.min(backoff * 2, 5_000_000);
                }
            }
        } finally {
            r.unlock();
        }
    }

    /** Releases a permit ({@code sem_post}). */
    public void release() {
        release(1);
    }

    public void release(int permits) {
        if (permits <= 0) throw new IllegalArgumentException("permits must be positive, was " + permits);
        ReentrantReadWriteLock.ReadLock r = enter();
        try {
            for (int i = 0; i < permits; i++) PosixSemaphores.post(sem, name);
        } finally {
            r.unlock();
        }
    }

    /**
     * The current value ({@code sem_getvalue}).
     *
     * @throws UnsupportedOperationException on macOS, whose sem_getvalue always fails (ENOSYS)
     */
    public int value() {
        if (!PosixSemaphores.HAS_GETVALUE) {
            throw new UnsupportedOperationException("macOS cannot report a POSIX semaphore's value (sem_getvalue: ENOSYS)");
        }
        ReentrantReadWriteLock.ReadLock r = enter();
        try {
            return PosixSemaphores.getValue(sem, name);
        } finally {
            r.unlock();
        }
    }

    /** Removes the name; processes that have it open keep using it. Does not close. */
    public void unlink() {
        PosixSemaphores.unlink(name);
    }

    /** Removes the named semaphore; false when there is none. */
    public static boolean unlink(String name) {
        return PosixSemaphores.unlink(normalizeName(name));
    }

    /** Releases this process's handle ({@code sem_close}). Idempotent. Does not unlink. */
    @Override
    public void close() {
        closed = true;
        ReentrantReadWriteLock.WriteLock w = closing.writeLock();
        w.lock();
        try {
            if (sem != null && !closedHandle) {
                closedHandle = true;
                PosixSemaphores.close(sem);
            }
        } finally {
            w.unlock();
        }
    }

    private boolean closedHandle;

    private ReentrantReadWriteLock.ReadLock enter() {
        ReentrantReadWriteLock.ReadLock r = closing.readLock();
        r.lock();
        if (closed) {
            r.unlock();
            throw closedError();
        }
        return r;
    }

    private IllegalStateException closedError() {
        return new IllegalStateException("NamedSemaphore " + name + " is closed");
    }

    @Override
    public String toString() {
        return "NamedSemaphore[" + name + (closed ? ", closed" : "") + "]";
    }
}
