package dev.shmkit.objects;

import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;

/** The var handles every object uses: (segment, offset) coordinates, aligned access. */
final class Handles {
    private Handles() {}

    static final VarHandle BYTE = ValueLayout.JAVA_BYTE.varHandle();
    static final VarHandle SHORT = ValueLayout.JAVA_SHORT.varHandle();
    static final VarHandle INT = ValueLayout.JAVA_INT.varHandle();
    static final VarHandle LONG = ValueLayout.JAVA_LONG.varHandle();
    static final VarHandle DOUBLE = ValueLayout.JAVA_DOUBLE.varHandle();

    static {
        if (java.nio.ByteOrder.nativeOrder() != java.nio.ByteOrder.LITTLE_ENDIAN) {
            // Headers are read by shmkit shm ls from the file's bytes, which assumes the layouts' byte order.
            throw new UnsupportedOperationException("shmkit shared objects need a little-endian platform");
        }
    }
}
