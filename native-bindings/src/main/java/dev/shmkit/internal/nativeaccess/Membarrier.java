package dev.shmkit.internal.nativeaccess;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/**
 * Linux {@code membarrier(2)}, the heavy side of an asymmetric fence between processes:
 * {@link #global()} makes every CPU that currently runs a thread of a registered process execute
 * a full memory barrier before it returns. Every process registers once, when this class is
 * initialized ({@code MEMBARRIER_CMD_REGISTER_GLOBAL_EXPEDITED}); a process that cannot (macOS,
 * a kernel before 4.16, a seccomp filter that refuses the call) has {@link #AVAILABLE} false and
 * must use full fences on its fast paths instead.
 */
public final class Membarrier {
    private Membarrier() {}

    private static final MethodHandle SYSCALL;
    /** Whether this process is registered, so that {@link #global()} works and peers' calls reach it. */
    public static final boolean AVAILABLE;

    static {
        MethodHandle h = null;
        boolean ok = false;
        if (Consts.LINUX && Consts.SYS_membarrier != 0) {
            // long syscall(long number, ...): membarrier(int cmd, unsigned int flags, int cpu_id)
            h = Libc.bindWithErrno(Libc.symbol("syscall"),
                    FunctionDescriptor.of(ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT,
                            ValueLayout.JAVA_INT, ValueLayout.JAVA_INT),
                    Linker.Option.firstVariadicArg(1));
            try (var arena = java.lang.foreign.Arena.ofConfined()) {
                ok = call(h, Libc.newState(arena), Consts.MEMBARRIER_CMD_REGISTER_GLOBAL_EXPEDITED) == 0;
            }
        }
        SYSCALL = h;
        AVAILABLE = ok;
    }

    private static final ThreadLocal<MemorySegment> STATE =
            ThreadLocal.withInitial(() -> Libc.newState(java.lang.foreign.Arena.ofAuto()));

    /** A full barrier on every CPU running a registered process; a no-op when {@link #AVAILABLE} is false. */
    public static void global() {
        if (!AVAILABLE) return;
        MemorySegment state = STATE.get();
        if (call(SYSCALL, state, Consts.MEMBARRIER_CMD_GLOBAL_EXPEDITED) != 0) {
            throw Errno.exception("membarrier", "MEMBARRIER_CMD_GLOBAL_EXPEDITED", Libc.errno(state));
        }
    }

    private static long call(MethodHandle h, MemorySegment state, int cmd) {
        try {
            return (long) h.invokeExact(state, Consts.SYS_membarrier, cmd, 0, 0);
        } catch (Throwable t) {
            throw Libc.unexpected(t);
        }
    }
}
