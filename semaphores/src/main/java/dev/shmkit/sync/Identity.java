package dev.shmkit.sync;

import dev.shmkit.os.ProcessId;

/**
 * A process packed into 64 bits for shared memory: start token in the high half, pid in the low
 * 30 bits (bits 30 and 31 stay free for the lock word's flags). 0 means nobody.
 */
final class Identity {
    private Identity() {}

    static final long PID_MASK = LockDescriptor.PID_MASK;

    /** This process. */
    static final long SELF = pack(ProcessId.current());

    static long pack(ProcessId p) {
        return ((long) p.startToken() << 32) | (p.pid() & PID_MASK);
    }

    static int pid(long id) {
        return (int) (id & PID_MASK);
    }

    /** Whether the process {@code id} names still runs (a reused pid does not count). */
    static boolean isAlive(long id) {
        return id == SELF || ProcessId.isAlive(pid(id), (int) (id >>> 32));
    }
}
