package dev.shmkit.process;

import dev.shmkit.shm.Futex;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;
import java.util.concurrent.TimeUnit;

/**
 * The layout of a child's control object and the record, message and exit-code numbers the
 * parent and its children agree on.
 *
 * <p>Each child gets three POSIX shared memory objects, named after its control object
 * {@code /shmkit-<role><parent pid>-<n>}: the control area below, the task ring ({@code -t},
 * parent to worker; absent for a single child) and the result ring ({@code -r}). The child
 * removes all three names as soon as it has mapped them.
 *
 * <pre>
 * offset  size  field (control area, 128 bytes)
 *      0     4  magic 'SHPW'
 *      4     4  layout version
 *      8     4  child pid (written when the child is ready)
 *     12     4  child state: 0 starting, 1 ready, 2 retiring, 3 failed, 4 stopped
 *     16     8  tasks started (the child increments it before each task)
 *     24     8  results committed
 *     32     8  wake-at: the parent wants its doorbell rung when results committed reaches this
 *     40     4  parent waiting (1 while the parent sleeps on the doorbell)
 *     44     4  doorbell sequence (the futex word the parent sleeps on)
 *     48     8  current task (job id &lt;&lt; 32 | index), -1 when idle
 *     56     8  busy nanoseconds: time the worker spent on task records (not waiting for them)
 * </pre>
 */
final class Wire {
    private Wire() {}

    static final int MAGIC = 0x53485057;
    static final int VERSION = 1;

    static final long CTL_MAGIC = 0;
    static final long CTL_VERSION = 4;
    static final long CTL_PID = 8;
    static final long CTL_STATE = 12;
    static final long CTL_STARTED = 16;
    static final long CTL_RESULTS = 24;
    static final long CTL_WAKE_AT = 32;
    static final long CTL_PARENT_WAITING = 40;
    static final long CTL_DOORBELL = 44;
    static final long CTL_CURRENT = 48;
    static final long CTL_BUSY_NANOS = 56;
    static final long CTL_LENGTH = 128;

    static final int STATE_STARTING = 0;
    static final int STATE_READY = 1;
    static final int STATE_RETIRING = 2;
    static final int STATE_FAILED = 3;
    static final int STATE_STOPPED = 4;

    // Task ring records (parent to worker). Every task record starts with
    // [int control-sequence][int function id][int job id][int index].
    static final int T_TASK = 1;      // + the encoded input
    static final int T_CHUNK = 2;     // + [int count] + count × ([int length][input])
    static final int T_STOP = 3;      // finish what is queued before this, then exit 0
    static final int T_FRAGMENT = 4;  // part of a record too large for one: see Fragments
    static final int TASK_HEADER = 16;

    // Result ring records (worker to parent).
    static final int R_OK = 1;          // [int job][int index] + the encoded result
    static final int R_ERROR = 2;       // [int job][int index] + an encoded exception
    static final int R_CANCELLED = 3;   // [int job][int index]: skipped, its job was cancelled
    static final int R_FATAL = 4;       // [int job][int index] + exception: the worker exits right after
    static final int R_INIT_FAILED = 5; // exception thrown by the initializer (or the task setup)
    static final int R_RETIRING = 6;    // the worker ran its maximum number of tasks and exits
    static final int R_FRAGMENT = 7;
    /**
     * The outcomes of a chunk record, in one record: [int job][int first index][int count], then per
     * task [byte status (0 ok, 1 error, 2 cancelled)][int length][encoded result or exception].
     */
    static final int R_CHUNK = 8;
    static final int RESULT_HEADER = 8;

    // Control pipe messages (parent to child, on the child's stdin: [int length][byte type][payload]).
    static final byte P_SETUP = 1;
    static final byte P_DEFINE = 2;
    static final byte P_FORGET = 3;
    static final byte P_CANCEL = 4;
    static final byte P_ALLOW = 5;

    // Kinds of closure a P_DEFINE or a single child's setup carries.
    static final byte K_FUNCTION = 1;
    static final byte K_CALLABLE = 2;
    static final byte K_RUNNABLE = 3;
    static final byte K_BIFUNCTION = 4;
    static final byte K_MAIN = 5;

    // Exit statuses a child chooses itself.
    /** The task (of a single child) threw; the exception went to the parent. */
    static final int EXIT_TASK_FAILED = 1;
    /** Out of memory or another VM error in a task: reported, then the worker halted. */
    static final int EXIT_VM_ERROR = 3;
    /** The initializer threw. */
    static final int EXIT_INIT_FAILED = 4;
    /** The child could not set itself up (bad arguments, segment missing, protocol error). */
    static final int EXIT_SETUP_FAILED = 5;
    /** The parent went away (end of file on stdin): a daemon child stops at once. */
    static final int EXIT_PARENT_GONE = 6;

    static final String MAIN_CLASS = "dev.shmkit.process.WorkerMain";

    private static final VarHandle INT = ValueLayout.JAVA_INT.varHandle();
    private static final VarHandle LONG = ValueLayout.JAVA_LONG.varHandle();

    /** The task ring's object: {@code <control object>-t}. */
    static String taskRingName(String control) {
        return control + "-t";
    }

    /** The result ring's object: {@code <control object>-r}. */
    static String resultRingName(String control) {
        return control + "-r";
    }

    static int getInt(MemorySegment ctl, long offset) {
        return (int) INT.getVolatile(ctl, offset);
    }

    static void setInt(MemorySegment ctl, long offset, int value) {
        INT.setVolatile(ctl, offset, value);
    }

    static long getLong(MemorySegment ctl, long offset) {
        return (long) LONG.getVolatile(ctl, offset);
    }

    static void setLong(MemorySegment ctl, long offset, long value) {
        LONG.setVolatile(ctl, offset, value);
    }

    static void setLongRelease(MemorySegment ctl, long offset, long value) {
        LONG.setRelease(ctl, offset, value);
    }

    /**
     * Rings the parent's doorbell if the parent sleeps on it. The caller's preceding writes (a
     * committed record, a state change) are visible before the check, so no wake-up is lost.
     */
    static void ring(MemorySegment ctl) {
        VarHandle.fullFence();
        if ((int) INT.getVolatile(ctl, CTL_PARENT_WAITING) != 0) {
            INT.getAndAdd(ctl, CTL_DOORBELL, 1);
            Futex.wakeAll(ctl, CTL_DOORBELL);
        }
    }

    /**
     * Sleeps on the doorbell for at most {@code nanos}, unless {@code ready} says there is work
     * once the parent has announced that it sleeps.
     */
    static void sleep(MemorySegment ctl, long nanos, java.util.function.BooleanSupplier ready) {
        int seq = (int) INT.getVolatile(ctl, CTL_DOORBELL);
        INT.setVolatile(ctl, CTL_PARENT_WAITING, 1);
        try {
            VarHandle.fullFence();
            if (ready.getAsBoolean()) return;
            Futex.await(ctl, CTL_DOORBELL, seq, Math.max(1, nanos), TimeUnit.NANOSECONDS);
        } finally {
            INT.setVolatile(ctl, CTL_PARENT_WAITING, 0);
        }
    }

    static void initialize(MemorySegment ctl) {
        ctl.asSlice(0, CTL_LENGTH).fill((byte) 0);
        LONG.setVolatile(ctl, CTL_CURRENT, -1L);
        LONG.setVolatile(ctl, CTL_WAKE_AT, 1L);
        INT.setVolatile(ctl, CTL_VERSION, VERSION);
        INT.setRelease(ctl, CTL_MAGIC, MAGIC);
    }

    static void validate(MemorySegment ctl, String where) {
        int magic = (int) INT.getAcquire(ctl, CTL_MAGIC);
        if (magic != MAGIC) throw new IllegalStateException(where + " is not a shmkit child's segment (magic 0x" + Integer.toHexString(magic) + ")");
        int version = (int) INT.getVolatile(ctl, CTL_VERSION);
        if (version != VERSION) throw new IllegalStateException(where + " has layout version " + version + "; this shmkit expects " + VERSION);
    }
}
