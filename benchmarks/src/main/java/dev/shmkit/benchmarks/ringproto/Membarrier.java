package dev.shmkit.benchmarks.ringproto;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/**
 * Linux membarrier(2) through libc's {@code syscall}: the heavy side of an asymmetric fence.
 * After {@link #register()} in every process of a ring, {@link #global()} makes each CPU that
 * runs one of them execute a full memory barrier, so the processes' fast paths need only a
 * compiler barrier between their store and their load.
 */
final class Membarrier {
    private Membarrier() {}

    private static final long SYS_MEMBARRIER = 324; // x86_64
    private static final int CMD_GLOBAL_EXPEDITED = 1 << 1;
    private static final int CMD_REGISTER_GLOBAL_EXPEDITED = 1 << 2;

    private static final MethodHandle SYSCALL = Linker.nativeLinker().downcallHandle(
            Linker.nativeLinker().defaultLookup().find("syscall").orElseThrow(),
            FunctionDescriptor.of(ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT),
            Linker.Option.firstVariadicArg(1));

    static void register() {
        if (call(CMD_REGISTER_GLOBAL_EXPEDITED) != 0) throw new IllegalStateException("membarrier(REGISTER_GLOBAL_EXPEDITED) failed");
    }

    static void global() {
        if (call(CMD_GLOBAL_EXPEDITED) != 0) throw new IllegalStateException("membarrier(GLOBAL_EXPEDITED) failed");
    }

    private static long call(int cmd) {
        try {
            return (long) SYSCALL.invokeExact(SYS_MEMBARRIER, cmd, 0, 0);
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }
}
