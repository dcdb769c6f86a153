package dev.shmkit.shm;

import dev.shmkit.internal.nativeaccess.Consts;
import dev.shmkit.internal.nativeaccess.Errno;
import dev.shmkit.internal.nativeaccess.Libc;
import dev.shmkit.os.ObjectExistsException;
import dev.shmkit.os.ObjectNotFoundException;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * A POSIX shared memory object ({@code shm_open}) mapped into this process.
 *
 * <p>Names: {@code "jobs"} and {@code "/jobs"} name the same object; {@link #name()} always
 * has the leading slash. A name must be non-empty, contain no other {@code '/'} and no NUL, and
 * fit the platform (255 bytes after the slash on Linux, 31 bytes including it on macOS); a
 * bad name is refused with {@link dev.shmkit.os.InvalidArgumentException} before any system call.
 * Objects are interchangeable with any POSIX program: C's {@code shm_open} and Python's
 * {@code multiprocessing.shared_memory.SharedMemory(name="jobs")} see the same bytes.
 *
 * <p>Creation: new objects get permissions {@code 0600} unless told otherwise (the process
 * umask may clear more bits) and are created exclusively by {@link #create}. Their size is set
 * once by the creator and need not be a page multiple; {@link #segment()} is bounded to exactly
 * {@link #size()} bytes.
 *
 * <p>Lifetime: {@link #close()} unmaps this process's view and is idempotent; afterwards
 * {@link #segment()} and every segment obtained from it throw {@link IllegalStateException}
 * instead of touching unmapped memory. {@link #unlink()} removes the name; processes that still
 * have it mapped keep their mapping until they close it. Closing never unlinks: who removes an
 * object is always an explicit decision.
 *
 * <p>Threads: an instance may be shared by any number of threads. The mapping lives in a shared
 * {@link Arena}; {@link #close()} fails with {@link IllegalStateException} rather than unmap
 * memory another thread is accessing at that instant.
 */
public final class SharedMemory implements AutoCloseable {
    /** Permissions of new objects unless given: owner read and write only. */
    public static final int DEFAULT_PERMISSIONS = 0600;

    private final String name;
    private final long size;
    private final boolean created;
    private final boolean readOnly;
    private final Arena arena;
    private final boolean ownsArena;
    private final MemorySegment segment;
    private volatile boolean closed;

    private SharedMemory(String name, long size, boolean created, boolean readOnly, Arena arena, boolean ownsArena,
                         MemorySegment segment) {
        this.name = name;
        this.size = size;
        this.created = created;
        this.readOnly = readOnly;
        this.arena = arena;
        this.ownsArena = ownsArena;
        this.segment = segment;
    }

    /** Creates a new object of {@code size} bytes with permissions 0600; fails if the name exists. */
    public static SharedMemory create(String name, long size) {
        return open(name, OpenMode.CREATE_EXCLUSIVE, size, DEFAULT_PERMISSIONS);
    }

    /** Creates a new object with the given permissions (e.g. {@code 0640}); fails if the name exists. */
    public static SharedMemory create(String name, long size, int permissions) {
        return open(name, OpenMode.CREATE_EXCLUSIVE, size, permissions);
    }

    /** Opens the object, or creates it with {@code size} bytes and permissions 0600. */
    public static SharedMemory openOrCreate(String name, long size) {
        return open(name, OpenMode.OPEN_OR_CREATE, size, DEFAULT_PERMISSIONS);
    }

    /** Opens an existing object for reading and writing, with the size it has. */
    public static SharedMemory open(String name) {
        return open(name, OpenMode.OPEN_EXISTING, 0, DEFAULT_PERMISSIONS);
    }

    /** Opens an existing object read-only: writes through {@link #segment()} throw. */
    public static SharedMemory openReadOnly(String name) {
        return map(normalizeName(name), OpenMode.OPEN_EXISTING, 0, 0, true, null);
    }

    /**
     * The general form.
     *
     * @param size        the size to create with; ignored by {@link OpenMode#OPEN_EXISTING}. An
     *                    object that already exists keeps its own size, which must be at least
     *                    {@code size} for {@link OpenMode#OPEN_OR_CREATE}.
     * @param permissions mode bits for a new object, 0 to 0777
     */
    public static SharedMemory open(String name, OpenMode mode, long size, int permissions) {
        return open(name, mode, size, permissions, null);
    }

    /**
     * The general form, mapping into a caller's {@link Arena}. The mapping then lives as long as
     * that arena: {@link #close()} only marks this object closed, and closing the arena unmaps
     * (and invalidates every segment obtained from it). This is the fast path for short-lived
     * mappings: closing a shared arena, as {@link #close()} does for the other forms, makes every
     * JVM thread pass a safepoint, while a confined arena closes without one; a confined arena
     * also confines the segment to its owner thread.
     *
     * @param arena where to map, or null for a shared arena of this object's own
     */
    public static SharedMemory open(String name, OpenMode mode, long size, int permissions, Arena arena) {
        String n = normalizeName(name);
        if (mode != OpenMode.OPEN_EXISTING && size <= 0) {
            throw Errno.invalid("shm_open", Errno.quote(n), Consts.EINVAL, "size must be positive, was " + size);
        }
        if ((permissions & ~0777) != 0) {
            throw Errno.invalid("shm_open", Errno.quote(n), Consts.EINVAL, "permissions must be within 0777, was " + Libc.octal(permissions));
        }
        return map(n, mode, size, permissions, false, arena);
    }

    private static SharedMemory map(String n, OpenMode mode, long size, int permissions, boolean readOnly, Arena callerArena) {
        int access = readOnly ? Consts.O_RDONLY : Consts.O_RDWR;
        int fd;
        boolean created;
        switch (mode) {
            case CREATE_EXCLUSIVE -> {
                fd = Libc.shmOpen(n, access | Consts.O_CREAT | Consts.O_EXCL | Consts.O_CLOEXEC, permissions);
                created = true;
            }
            case OPEN_EXISTING -> {
                fd = Libc.shmOpen(n, access | Consts.O_CLOEXEC, 0);
                created = false;
            }
            default -> {
                int f;
                boolean c;
                while (true) {
                    try {
                        f = Libc.shmOpen(n, access | Consts.O_CREAT | Consts.O_EXCL | Consts.O_CLOEXEC, permissions);
                        c = true;
                        break;
                    } catch (ObjectExistsException exists) {
                        try {
                            f = Libc.shmOpen(n, access | Consts.O_CLOEXEC, 0);
                            c = false;
                            break;
                        } catch (ObjectNotFoundException unlinkedMeanwhile) {
                            // removed between our two calls: try to create it again
                        }
                    }
                }
                fd = f;
                created = c;
            }
        }
        Arena arena = callerArena != null ? callerArena : Arena.ofShared();
        try {
            String object = Errno.quote(n);
            long actual;
            if (created) {
                Libc.ftruncate(fd, size, object);
                actual = size;
            } else {
                actual = Libc.fstat(fd, object).size();
                if (mode == OpenMode.OPEN_OR_CREATE && actual < size) {
                    actual = awaitCreatorSize(fd, object, size);
                }
            }
            MemorySegment seg = Libc.mmap(fd, actual, !readOnly, arena, object);
            if (readOnly) seg = seg.asReadOnly();
            return new SharedMemory(n, actual, created, readOnly, arena, callerArena == null, seg);
        } catch (RuntimeException | Error e) {
            if (callerArena == null) arena.close();
            if (created) Libc.shmUnlink(n);
            throw e;
        } finally {
            Libc.close(fd); // the mapping keeps the object alive; the descriptor is no longer needed
        }
    }

    /**
     * Another process created the object an instant ago and has not sized it yet (POSIX has no
     * atomic create-with-size). Wait briefly for its ftruncate; a smaller, settled size is an error.
     */
    private static long awaitCreatorSize(int fd, String object, long wanted) {
        long deadline = System.nanoTime() + 2_000_000_000L;
        long actual = Libc.fstat(fd, object).size();
        while (actual == 0 && System.nanoTime() < deadline) {
            java.util.concurrent.locks.LockSupport.parkNanos(200_000); // the creator sizes it within microseconds
            actual = Libc.fstat(fd, object).size();
        }
        if (actual < wanted) {
            throw Errno.invalid("shm_open", object, Consts.EINVAL,
                    "exists with " + actual + " bytes, fewer than the " + wanted + " requested");
        }
        return actual;
    }

    /**
     * The canonical form of a POSIX object name, {@code /name}, or an
     * {@link dev.shmkit.os.InvalidArgumentException} saying what is wrong with it.
     */
    public static String normalizeName(String name) {
        if (name == null) throw new NullPointerException("name");
        String n = name.startsWith("/") ? name : "/" + name;
        String q = Errno.quote(name);
        if (n.length() == 1) throw Errno.invalid("shm_open", q, Consts.EINVAL, "empty name");
        if (n.indexOf('/', 1) >= 0) throw Errno.invalid("shm_open", q, Consts.EINVAL, "a name may not contain '/' after the leading one");
        if (n.indexOf('\0') >= 0) throw Errno.invalid("shm_open", q, Consts.EINVAL, "a name may not contain NUL");
        int bytes = n.getBytes(java.nio.charset.StandardCharsets.UTF_8).length;
        if (Consts.MACOS && bytes > 31) {
            throw Errno.invalid("shm_open", q, Consts.ENAMETOOLONG, "longer than macOS's 31 bytes (PSHMNAMLEN) including the '/'");
        }
        if (bytes - 1 > Consts.NAME_MAX) {
            throw Errno.invalid("shm_open", q, Consts.ENAMETOOLONG, "longer than " + Consts.NAME_MAX + " bytes (NAME_MAX)");
        }
        return n;
    }

    /**
     * The mapped bytes, exactly {@link #size()} long, valid until {@link #close()}.
     *
     * @throws IllegalStateException once closed
     */
    public MemorySegment segment() {
        if (closed) throw closedError();
        return segment;
    }

    /** The canonical name, with its leading slash. */
    public String name() { return name; }

    /** The size in bytes of the mapping, which is the object's size when it was opened. */
    public long size() { return size; }

    /** Whether this call created the object (as opposed to opening an existing one). */
    public boolean created() { return created; }

    public boolean isReadOnly() { return readOnly; }

    public boolean isClosed() { return closed; }

    /** Removes the name (the memory lives on until every process has closed it). Does not close. */
    public void unlink() {
        Libc.shmUnlink(name);
    }

    /** Removes the named object; false when there is none. */
    public static boolean unlink(String name) {
        return Libc.shmUnlink(normalizeName(name));
    }

    /** Size, permissions and owner of the named object, without mapping it. */
    public static ObjectInfo info(String name) {
        String n = normalizeName(name);
        int fd = Libc.shmOpen(n, Consts.O_RDONLY | Consts.O_CLOEXEC, 0);
        try {
            Libc.FileStat st = Libc.fstat(fd, Errno.quote(n));
            return new ObjectInfo(n, st.size(), st.permissions(), st.uid(), st.gid());
        } finally {
            Libc.close(fd);
        }
    }

    /** Whether an object of that name exists now. */
    public static boolean exists(String name) {
        String n = normalizeName(name);
        try {
            Libc.close(Libc.shmOpen(n, Consts.O_RDONLY | Consts.O_CLOEXEC, 0));
            return true;
        } catch (ObjectNotFoundException e) {
            return false;
        } catch (dev.shmkit.os.PermissionDeniedException e) {
            return true;
        }
    }

    /**
     * Unmaps this process's view (for a mapping in a caller's arena: marks it closed; the arena's
     * close unmaps). Idempotent. Does not unlink.
     */
    @Override
    public void close() {
        synchronized (this) {
            if (closed) return;
            closed = true;
            if (!ownsArena) return;
            try {
                arena.close();
            } catch (IllegalStateException inUse) {
                closed = false;
                throw new IllegalStateException("SharedMemory " + name + " is being accessed by another thread; not unmapped", inUse);
            }
        }
    }

    private IllegalStateException closedError() {
        return new IllegalStateException("SharedMemory " + name + " is closed");
    }

    @Override
    public String toString() {
        return "SharedMemory[" + name + ", " + size + " bytes" + (closed ? ", closed" : "") + "]";
    }
}
