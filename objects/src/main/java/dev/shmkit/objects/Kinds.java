package dev.shmkit.objects;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Names what a shared memory object holds from its first bytes, for listings such as
 * {@code shmkit shm ls}: shmkit's shared objects ({@code value}, {@code array}, {@code map},
 * {@code list}), synchronization objects ({@code lock}, {@code rlock}, {@code condition},
 * {@code event}, {@code semaphore}, {@code barrier}) and rings ({@code ring}).
 */
public final class Kinds {
    private Kinds() {}

    /** Bytes {@link #describe} looks at; fewer are fine (nothing is recognized then). */
    public static final int PREFIX_BYTES = 16;

    static final int SYNC_MAGIC = 0x53594e43;
    static final int RING_MAGIC = 0x52494e47;
    private static final String[] SYNC_KINDS = {"lock", "rlock", "condition", "event", "semaphore", "barrier"};

    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED;
    private static final ValueLayout.OfShort SHORT = ValueLayout.JAVA_SHORT_UNALIGNED;

    /**
     * The kind of shmkit object that starts with {@code firstBytes} (any segment, heap or native,
     * holding at least the first 8 bytes of the object), or null when it is none of them. Never
     * throws for short or arbitrary input.
     */
    public static String describe(MemorySegment firstBytes) {
        if (firstBytes == null || firstBytes.byteSize() < 8) return null;
        int magic = firstBytes.get(INT, 0);
        if (magic == HeaderDescriptor.MAGIC) {
            ObjectKind k = ObjectKind.of(firstBytes.get(SHORT, HeaderDescriptor.KIND_OFFSET));
            return k == null ? null : k.label();
        }
        if (magic == SYNC_MAGIC) {
            int code = firstBytes.get(SHORT, 4);
            return code >= 1 && code <= SYNC_KINDS.length ? SYNC_KINDS[code - 1] : null;
        }
        if (magic == RING_MAGIC) {
            int code = firstBytes.get(SHORT, 6);
            return code >= 1 && code <= 3 ? "ring" : null;
        }
        return null;
    }

    /** {@link #describe(MemorySegment)} for bytes read from a file such as {@code /dev/shm/NAME}. */
    public static String describe(byte[] firstBytes, int length) {
        if (firstBytes == null) return null;
        return describe(MemorySegment.ofArray(firstBytes).asSlice(0, Math.max(0, Math.min(length, firstBytes.length))));
    }
}
