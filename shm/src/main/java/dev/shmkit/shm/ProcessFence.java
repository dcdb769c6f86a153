package dev.shmkit.shm;

import dev.shmkit.internal.nativeaccess.Membarrier;

/**
 * An asymmetric memory fence between processes, for protocols whose common side must stay
 * cheap: the fast side orders its accesses only against the compiler, the rare side calls
 * {@link #heavy()}, which makes every CPU running a thread of a process that uses shmkit execute
 * a full barrier (Linux {@code membarrier(2)}, {@code MEMBARRIER_CMD_GLOBAL_EXPEDITED}).
 *
 * <p>Where {@link #available()} is false (macOS, old kernels, a seccomp filter that refuses
 * {@code membarrier}) {@link #heavy()} does nothing and the fast side must use
 * {@link java.lang.invoke.VarHandle#fullFence()}. Each process registers when this class is first
 * used; a peer that never loaded shmkit is not reached by another process's {@code heavy()}.
 */
public final class ProcessFence {
    private ProcessFence() {}

    /** Whether {@link #heavy()} orders the other processes' CPUs (this process is registered). */
    public static boolean available() {
        return Membarrier.AVAILABLE;
    }

    /** A full barrier on every CPU that runs a registered process, this one included. */
    public static void heavy() {
        Membarrier.global();
    }
}
