package dev.shmkit.sync;

/** What a shared synchronization region holds, as recorded in its header. */
public enum SyncKind {
    LOCK(1, LockDescriptor.LENGTH),
    REENTRANT_LOCK(2, LockDescriptor.LENGTH),
    CONDITION(3, ConditionDescriptor.LENGTH),
    EVENT(4, EventDescriptor.LENGTH),
    SEMAPHORE(5, SemaphoreDescriptor.LENGTH),
    BARRIER(6, BarrierDescriptor.LENGTH);

    final short code;
    final long length;

    SyncKind(int code, long length) {
        this.code = (short) code;
        this.length = length;
    }

    /** Bytes a region of this kind occupies. */
    public long size() {
        return length;
    }

    static SyncKind of(short code) {
        for (SyncKind k : values()) if (k.code == code) return k;
        return null;
    }
}
