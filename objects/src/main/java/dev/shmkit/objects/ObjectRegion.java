package dev.shmkit.objects;

import dev.shmkit.os.ObjectExistsException;
import dev.shmkit.os.ObjectNotFoundException;
import dev.shmkit.shm.OpenMode;
import dev.shmkit.shm.SharedMemory;
import dev.shmkit.sync.SharedLock;

import java.lang.foreign.MemorySegment;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;

/**
 * Where a shared object lives: a slice of some segment, exactly as long as its header says, and,
 * for objects opened by name, the {@link SharedMemory} that holds it. Validates the header
 * before anything trusts the body, and opens the embedded lock.
 */
final class ObjectRegion implements AutoCloseable {
    /** How long an opener waits for a creator that is still sizing or initializing the object. */
    private static final long CREATOR_WAIT_NANOS = 2_000_000_000L;

    final MemorySegment segment;
    final SharedMemory backing;
    final Shape shape;
    final SharedLock lock;
    final String description;

    private ObjectRegion(MemorySegment segment, SharedMemory backing, Shape shape, String description) {
        this.segment = segment;
        this.backing = backing;
        this.shape = shape;
        this.description = description;
        SharedLock l = null;
        if (shape.locked()) {
            try {
                l = SharedLock.open(segment, HeaderDescriptor.LOCK_OFFSET);
            } catch (IllegalStateException e) {
                throw new IllegalStateException(description + " has a corrupt lock: " + e.getMessage(), e);
            }
        }
        this.lock = l;
    }

    static String describe(ObjectKind kind, long offset) {
        return kind.label() + " at offset " + offset;
    }

    private static MemorySegment slice(MemorySegment segment, long offset, long length, String where) {
        if (!segment.isNative()) throw new IllegalArgumentException("a shared object must be in native (shared) memory");
        if (offset < 0 || offset > segment.byteSize() || length > segment.byteSize() - offset) {
            throw new IndexOutOfBoundsException(where + " needs " + length + " bytes at offset " + offset
                    + " but the segment has " + segment.byteSize());
        }
        MemorySegment s = segment.asSlice(offset, length);
        if ((s.address() & 7) != 0) throw new IllegalArgumentException(where + " must be 8-byte aligned; offset " + offset + " is not");
        if (s.isReadOnly()) throw new IllegalArgumentException(where + " needs a writable segment");
        return s;
    }

    /** Initializes a new object in place: body by {@code init}, then the header, magic last. */
    static ObjectRegion create(MemorySegment segment, long offset, Shape shape, Consumer<MemorySegment> init) {
        String where = describe(shape.kind(), offset);
        MemorySegment s = slice(segment, offset, shape.length(), where);
        initialize(s, shape, init, true);
        return new ObjectRegion(s, null, shape, where);
    }

    /**
     * @param zero whether to clear the region first: a caller's segment may hold anything, while a
     *             new POSIX object is all zeros already (and is left untouched, so the pages of a
     *             map's second space are not allocated before its first compaction)
     */
    private static void initialize(MemorySegment s, Shape shape, Consumer<MemorySegment> init, boolean zero) {
        Handles.INT.setVolatile(s, HeaderDescriptor.MAGIC_OFFSET, 0);
        if (zero) s.asSlice(4).fill((byte) 0);
        if (shape.locked()) SharedLock.create(s, HeaderDescriptor.LOCK_OFFSET).close();
        init.accept(s);
        shape.write(s);
        Handles.INT.setRelease(s, HeaderDescriptor.MAGIC_OFFSET, HeaderDescriptor.MAGIC);
    }

    /** Opens an object another process initialized at {@code offset} of {@code segment}. */
    static ObjectRegion open(MemorySegment segment, long offset, ObjectKind kind) {
        String where = describe(kind, offset);
        MemorySegment head = slice(segment, offset, HeaderDescriptor.BODY_OFFSET, where);
        Shape shape = validate(head, where, kind);
        return new ObjectRegion(slice(segment, offset, shape.length(), where), null, shape, where);
    }

    private static Shape validate(MemorySegment s, String where, ObjectKind kind) {
        checkMagic(s, where);
        return Shape.read(s, where, kind);
    }

    private static void checkMagic(MemorySegment s, String where) {
        int magic = (int) Handles.INT.getAcquire(s, HeaderDescriptor.MAGIC_OFFSET);
        if (magic != HeaderDescriptor.MAGIC) {
            String other = Kinds.describe(s);
            throw new IllegalStateException(where + " is not a shmkit shared object (magic 0x" + Integer.toHexString(magic)
                    + ", expected 0x" + Integer.toHexString(HeaderDescriptor.MAGIC) + ")"
                    + (other != null ? ": it is a shmkit " + other : ": never initialized, or overwritten"));
        }
    }

    /**
     * A named object, a POSIX shared memory object of exactly the shape's length when created.
     *
     * @param create the shape to create with, or null to only open ({@code mode} must then be
     *               {@link OpenMode#OPEN_EXISTING})
     * @param check  checks an opened object's shape against what the caller wants (type, ...)
     */
    static ObjectRegion named(String name, OpenMode mode, int permissions, ObjectKind kind, Shape create,
                              Consumer<MemorySegment> init, Consumer<ObjectRegion> check) {
        if (create == null && mode != OpenMode.OPEN_EXISTING) throw new IllegalArgumentException("nothing to create");
        while (true) {
            if (mode != OpenMode.CREATE_EXCLUSIVE) {
                try {
                    ObjectRegion r = openNamed(name, kind);
                    try {
                        check.accept(r);
                    } catch (RuntimeException | Error e) {
                        r.close();
                        throw e;
                    }
                    return r;
                } catch (ObjectNotFoundException e) {
                    if (mode == OpenMode.OPEN_EXISTING) throw e;
                }
            }
            try {
                return createNamed(name, permissions, create, init);
            } catch (ObjectExistsException e) {
                if (mode == OpenMode.CREATE_EXCLUSIVE) throw e;
                // created by another process between our two attempts: open it
            }
        }
    }

    private static ObjectRegion createNamed(String name, int permissions, Shape shape, Consumer<MemorySegment> init) {
        SharedMemory shm = SharedMemory.create(name, shape.length(), permissions);
        try {
            initialize(shm.segment(), shape, init, false);
            return new ObjectRegion(shm.segment(), shm, shape, shape.kind().label() + " " + shm.name());
        } catch (RuntimeException | Error e) {
            shm.close();
            shm.unlink();
            throw e;
        }
    }

    private static ObjectRegion openNamed(String name, ObjectKind kind) {
        long deadline = System.nanoTime() + CREATOR_WAIT_NANOS;
        // POSIX has no atomic create-with-size: a creator may not have sized the object yet.
        while (SharedMemory.info(name).size() == 0 && System.nanoTime() < deadline) LockSupport.parkNanos(100_000);
        SharedMemory shm = SharedMemory.open(name);
        try {
            String where = (kind == null ? "object" : kind.label()) + " " + shm.name();
            if (shm.size() < 8) {
                throw new IllegalStateException(where + " is " + shm.size() + " bytes, too small to be a shmkit shared object");
            }
            MemorySegment s = shm.segment();
            while ((int) Handles.INT.getAcquire(s, HeaderDescriptor.MAGIC_OFFSET) == 0 && System.nanoTime() < deadline) {
                LockSupport.parkNanos(100_000); // the creator publishes within microseconds
            }
            checkMagic(s, where);
            if (shm.size() < HeaderDescriptor.BODY_OFFSET) {
                throw new IllegalStateException(where + " is " + shm.size() + " bytes, too small to be a shmkit shared object");
            }
            Shape shape = validate(s, where, kind);
            where = shape.kind().label() + " " + shm.name();
            if (shape.length() > shm.size()) {
                throw new IllegalStateException(where + " has a corrupt header: it records " + shape.length()
                        + " bytes, but the object has " + shm.size());
            }
            return new ObjectRegion(s.asSlice(0, shape.length()), shm, shape, where);
        } catch (RuntimeException | Error e) {
            shm.close();
            throw e;
        }
    }

    /** The lock, or an error naming the object when it was created without one. */
    SharedLock lock() {
        if (lock == null) throw new IllegalStateException(description + " was created without a lock");
        return lock;
    }

    /** The name of the backing object, or null when placed in a caller's segment. */
    String name() {
        return backing == null ? null : backing.name();
    }

    void unlink() {
        if (backing == null) throw new IllegalStateException(description + " has no name: it lives in a segment you manage");
        backing.unlink();
    }

    @Override
    public void close() {
        if (backing != null) backing.close();
    }
}
