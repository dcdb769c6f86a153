package dev.shmkit.shm;

import dev.shmkit.internal.nativeaccess.Consts;
import dev.shmkit.internal.nativeaccess.Errno;
import dev.shmkit.internal.nativeaccess.Libc;
import dev.shmkit.os.ObjectExistsException;
import dev.shmkit.os.ObjectNotFoundException;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.time.Instant;

/**
 * A System V shared memory segment ({@code shmget}/{@code shmat}) attached to this process.
 *
 * <p>Segments are found by a 32-bit key (from {@link #key(Path, int)}, which is {@code ftok}, or
 * chosen by the application) or are private ({@link #createPrivate}); once created they are
 * also reachable by id. They are visible to {@code ipcs -m} and removable by {@code ipcrm}.
 * New segments get permissions {@code 0600} unless told otherwise.
 *
 * <p>Lifetime: {@link #detach()} (also {@link #close()}) releases this process's attachment and
 * is idempotent; later use of {@link #segment()} throws {@link IllegalStateException}.
 * {@link #remove()} marks the segment for destruction, which happens when the last process
 * detaches; until then attached processes keep using it. A segment nobody removes outlives every
 * process, so whoever creates one should decide who removes it.
 *
 * <p>Threads: an instance may be shared by any number of threads.
 */
public final class SysVSharedMemory implements AutoCloseable {
    public static final int DEFAULT_PERMISSIONS = 0600;

    private final int key;
    private final int id;
    private final long size;
    private final boolean created;
    private final Arena arena;
    private final MemorySegment segment;
    private volatile boolean detached;

    private SysVSharedMemory(int key, int id, long size, boolean created, Arena arena, MemorySegment segment) {
        this.key = key;
        this.id = id;
        this.size = size;
        this.created = created;
        this.arena = arena;
        this.segment = segment;
    }

    /** Creates a new segment under {@code key} with permissions 0600; fails if the key is in use. */
    public static SysVSharedMemory create(int key, long size) {
        return open(key, OpenMode.CREATE_EXCLUSIVE, size, DEFAULT_PERMISSIONS);
    }

    public static SysVSharedMemory create(int key, long size, int permissions) {
        return open(key, OpenMode.CREATE_EXCLUSIVE, size, permissions);
    }

    /** Creates a new segment with no key ({@code IPC_PRIVATE}): others reach it by {@link #id()}. */
    public static SysVSharedMemory createPrivate(long size, int permissions) {
        checkArgs(Consts.IPC_PRIVATE, size, permissions);
        int id = Libc.shmget(Consts.IPC_PRIVATE, size, Consts.IPC_CREAT | Consts.IPC_EXCL | permissions);
        return attach(Consts.IPC_PRIVATE, id, true);
    }

    /** Attaches the existing segment with that key. */
    public static SysVSharedMemory open(int key) {
        return open(key, OpenMode.OPEN_EXISTING, 0, 0);
    }

    /** The general form; see {@link OpenMode}. An existing segment keeps its own size. */
    public static SysVSharedMemory open(int key, OpenMode mode, long size, int permissions) {
        if (key == Consts.IPC_PRIVATE) {
            throw Errno.invalid("shmget", "IPC_PRIVATE", Consts.EINVAL, "use createPrivate for a segment without a key");
        }
        if (mode != OpenMode.OPEN_EXISTING) checkArgs(key, size, permissions);
        return switch (mode) {
            case CREATE_EXCLUSIVE -> attach(key,
                    Libc.shmget(key, size, Consts.IPC_CREAT | Consts.IPC_EXCL | permissions), true);
            case OPEN_EXISTING -> attach(key, Libc.shmget(key, 0, 0), false);
            case OPEN_OR_CREATE -> {
                while (true) {
                    try {
                        yield attach(key, Libc.shmget(key, size, Consts.IPC_CREAT | Consts.IPC_EXCL | permissions), true);
                    } catch (ObjectExistsException e) {
                        try {
                            yield attach(key, Libc.shmget(key, 0, 0), false);
                        } catch (ObjectNotFoundException removedMeanwhile) {
                            // removed between the two calls: try again
                        }
                    }
                }
            }
        };
    }

    /** Attaches the segment with identifier {@code id} (as {@code ipcs -m} shows it). */
    public static SysVSharedMemory attachById(int id) {
        SysVStat s = stat(id);
        return attach(s.key(), id, false);
    }

    private static void checkArgs(int key, long size, int permissions) {
        if (size <= 0) throw Errno.invalid("shmget", Libc.hexKey(key), Consts.EINVAL, "size must be positive, was " + size);
        if ((permissions & ~0777) != 0) {
            throw Errno.invalid("shmget", Libc.hexKey(key), Consts.EINVAL, "permissions must be within 0777, was " + Libc.octal(permissions));
        }
    }

    private static SysVSharedMemory attach(int key, int id, boolean created) {
        Arena arena = Arena.ofShared();
        try {
            long size = Libc.shmStat(id).size();
            MemorySegment seg = Libc.shmat(id, size, false, arena);
            return new SysVSharedMemory(key, id, size, created, arena, seg);
        } catch (RuntimeException | Error e) {
            arena.close();
            if (created) Libc.shmRemove(id);
            throw e;
        }
    }

    /** {@code ftok(path, projectId)}: a key derived from an existing file and a project id (1..255). */
    public static int key(Path path, int projectId) {
        if (projectId < 1 || projectId > 255) {
            throw Errno.invalid("ftok", Errno.quote(path.toString()), Consts.EINVAL, "project id must be 1..255, was " + projectId);
        }
        return Libc.ftok(path.toString(), projectId);
    }

    /**
     * Parses a key as {@code ipcs} prints it or a user types it: decimal ({@code 1234}, may be
     * negative) or hexadecimal with {@code 0x} ({@code 0x000004d2}).
     *
     * @throws IllegalArgumentException when it is neither or does not fit 32 bits
     */
    public static int parseKey(String text) {
        String t = text.trim();
        try {
            if (t.startsWith("0x") || t.startsWith("0X")) {
                String digits = t.substring(2);
                if (digits.isEmpty() || !digits.chars().allMatch(c -> Character.digit(c, 16) >= 0)) throw new NumberFormatException();
                long v = Long.parseLong(digits, 16);
                if (v > 0xffffffffL) throw new NumberFormatException();
                return (int) v;
            }
            long v = Long.parseLong(t);
            if (v < Integer.MIN_VALUE || v > 0xffffffffL) throw new NumberFormatException();
            return (int) v;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("not a System V key (decimal or 0x hex, 32 bits): '" + text + "'");
        }
    }

    /** What the system says of the segment with identifier {@code id} now. */
    public static SysVStat stat(int id) {
        Libc.ShmStat s = Libc.shmStat(id);
        return new SysVStat(s.key(), id, s.size(), s.attachCount(), s.creatorPid(), s.lastPid(), s.mode(),
                s.uid(), s.gid(), Instant.ofEpochSecond(s.attachTime()), Instant.ofEpochSecond(s.detachTime()),
                Instant.ofEpochSecond(s.changeTime()));
    }

    /** The identifier of the segment with that key. */
    public static int idOf(int key) {
        return Libc.shmget(key, 0, 0);
    }

    /** Marks the segment with that key for removal; false when there is none. */
    public static boolean remove(int key) {
        int id;
        try {
            id = Libc.shmget(key, 0, 0);
        } catch (ObjectNotFoundException e) {
            return false;
        }
        return Libc.shmRemove(id);
    }

    /** Marks the segment with that identifier for removal; false when there is none. */
    public static boolean removeById(int id) {
        return Libc.shmRemove(id);
    }

    public MemorySegment segment() {
        if (detached) throw new IllegalStateException("SysVSharedMemory " + Libc.hexKey(key) + " (id " + id + ") is detached");
        return segment;
    }

    public int key() { return key; }

    public int id() { return id; }

    public long size() { return size; }

    public boolean created() { return created; }

    public boolean isDetached() { return detached; }

    /** What the system says of this segment now. */
    public SysVStat stat() { return stat(id); }

    /** Marks this segment for removal ({@code IPC_RMID}); attached processes keep it until they detach. */
    public void remove() { Libc.shmRemove(id); }

    /** Detaches this process's attachment. Idempotent. */
    public void detach() {
        synchronized (this) {
            if (detached) return;
            detached = true;
            try {
                arena.close();
            } catch (IllegalStateException inUse) {
                detached = false;
                throw new IllegalStateException("SysVSharedMemory id " + id + " is being accessed by another thread; not detached", inUse);
            }
        }
    }

    /** Same as {@link #detach()}; never removes the segment. */
    @Override
    public void close() { detach(); }

    @Override
    public String toString() {
        return "SysVSharedMemory[key " + Libc.hexKey(key) + ", id " + id + ", " + size + " bytes" + (detached ? ", detached" : "") + "]";
    }
}
