package dev.shmkit.sync;

import dev.shmkit.shm.OpenMode;
import dev.shmkit.shm.SharedMemory;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;

/**
 * Where a synchronization object lives: a slice of some segment, and, for objects opened by
 * name, the {@link SharedMemory} that holds it. Validates the header before anything trusts
 * the body.
 */
final class SyncRegion implements AutoCloseable {
    static final VarHandle INT = ValueLayout.JAVA_INT.varHandle();
    static final VarHandle LONG = ValueLayout.JAVA_LONG.varHandle();
    static final VarHandle SHORT = ValueLayout.JAVA_SHORT.varHandle();

    static {
        if (java.nio.ByteOrder.nativeOrder() != java.nio.ByteOrder.LITTLE_ENDIAN) {
            // The lock word's futex half is its low 32 bits, at the word's own address only on little-endian.
            throw new UnsupportedOperationException("shmkit synchronization needs a little-endian platform");
        }
    }

    final MemorySegment segment;
    final SharedMemory backing;
    final String description;

    private SyncRegion(MemorySegment segment, SharedMemory backing, String description) {
        this.segment = segment;
        this.backing = backing;
        this.description = description;
    }

    /** The region of {@code kind} at {@code offset} of {@code segment}, checked for bounds and alignment. */
    static MemorySegment slice(MemorySegment segment, long offset, SyncKind kind) {
        if (!segment.isNative()) throw new IllegalArgumentException("a shared " + kind + " must be in native (shared) memory");
        if (offset < 0 || offset > segment.byteSize() - kind.length) {
            throw new IndexOutOfBoundsException("a " + kind + " needs " + kind.length + " bytes at offset " + offset
                    + " but the segment has " + segment.byteSize());
        }
        MemorySegment s = segment.asSlice(offset, kind.length);
        if ((s.address() & 7) != 0) throw new IllegalArgumentException("a " + kind + " must be 8-byte aligned; offset " + offset + " is not");
        if (s.isReadOnly()) throw new IllegalArgumentException("a " + kind + " needs a writable segment");
        return s;
    }

    /** Initializes a new region in place: body by {@code init}, then the header, magic last. */
    static SyncRegion create(MemorySegment segment, long offset, SyncKind kind, java.util.function.Consumer<MemorySegment> init) {
        MemorySegment s = slice(segment, offset, kind);
        INT.setVolatile(s, HeaderDescriptor.MAGIC_OFFSET, 0);
        s.asSlice(HeaderDescriptor.LENGTH).fill((byte) 0);
        init.accept(s);
        SHORT.set(s, HeaderDescriptor.KIND_OFFSET, kind.code);
        SHORT.set(s, HeaderDescriptor.VERSION_OFFSET, HeaderDescriptor.VERSION);
        INT.setRelease(s, HeaderDescriptor.MAGIC_OFFSET, HeaderDescriptor.MAGIC);
        return new SyncRegion(s, null, kind + " at offset " + offset);
    }

    /** Opens an initialized region, refusing one that is not a valid {@code kind}. */
    static SyncRegion open(MemorySegment segment, long offset, SyncKind kind) {
        MemorySegment s = slice(segment, offset, kind);
        validate(s, kind, kind + " at offset " + offset);
        return new SyncRegion(s, null, kind + " at offset " + offset);
    }

    private static void validate(MemorySegment s, SyncKind kind, String where) {
        int magic = (int) INT.getAcquire(s, HeaderDescriptor.MAGIC_OFFSET);
        if (magic != HeaderDescriptor.MAGIC) {
            throw new IllegalStateException(where + " is not a shmkit synchronization object (magic 0x"
                    + Integer.toHexString(magic) + ", expected 0x" + Integer.toHexString(HeaderDescriptor.MAGIC)
                    + "): never initialized, or overwritten");
        }
        short code = (short) SHORT.get(s, HeaderDescriptor.KIND_OFFSET);
        short version = (short) SHORT.get(s, HeaderDescriptor.VERSION_OFFSET);
        if (version != HeaderDescriptor.VERSION) {
            throw new IllegalStateException(where + " has layout version " + version + "; this shmkit reads version " + HeaderDescriptor.VERSION);
        }
        SyncKind found = SyncKind.of(code);
        if (found != kind) {
            throw new IllegalStateException(where + " is a " + (found == null ? "unknown kind " + code : found) + ", not a " + kind);
        }
    }

    /**
     * A named object: a POSIX shared memory object of exactly the kind's size. Creating writes
     * the body before publishing the magic; opening waits briefly for a creator that is still
     * initializing (both happen within microseconds of each other).
     */
    static SyncRegion named(String name, OpenMode mode, int permissions, SyncKind kind,
                            java.util.function.Consumer<MemorySegment> init) {
        SharedMemory shm = SharedMemory.open(name, mode, kind.length, permissions);
        try {
            String where = kind + " " + shm.name();
            if (!shm.created() && shm.size() >= HeaderDescriptor.LENGTH
                    && (int) INT.getAcquire(shm.segment(), HeaderDescriptor.MAGIC_OFFSET) == HeaderDescriptor.MAGIC) {
                SyncKind found = SyncKind.of((short) SHORT.get(shm.segment(), HeaderDescriptor.KIND_OFFSET));
                if (found != kind) {
                    throw new IllegalStateException(shm.name() + " is a " + (found == null ? "object of unknown kind" : found) + ", not a " + kind);
                }
            }
            if (shm.size() < kind.length) {
                throw new IllegalStateException(where + " is " + shm.size() + " bytes, smaller than a " + kind + " (" + kind.length + ")");
            }
            MemorySegment s = shm.segment().asSlice(0, kind.length);
            if (shm.created()) {
                SyncRegion r = create(shm.segment(), 0, kind, init);
                return new SyncRegion(r.segment, shm, where);
            }
            long deadline = System.nanoTime() + 2_000_000_000L;
            while ((int) INT.getAcquire(s, HeaderDescriptor.MAGIC_OFFSET) == 0 && System.nanoTime() < deadline) {
                java.util.concurrent.locks.LockSupport.parkNanos(100_000); // the creator publishes within microseconds
            }
            validate(s, kind, where);
            return new SyncRegion(s, shm, where);
        } catch (RuntimeException | Error e) {
            shm.close();
            if (shm.created()) shm.unlink();
            throw e;
        }
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
