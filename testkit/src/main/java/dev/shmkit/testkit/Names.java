package dev.shmkit.testkit;

import java.util.concurrent.ThreadLocalRandom;

/** Unique object names and keys for tests, so concurrent runs and leftovers never collide. */
public final class Names {
    private Names() {}

    public static final String PREFIX = "shmkit-test-";

    /** A POSIX object name such as {@code /shmkit-test-shm-1a2b3c4d}. */
    public static String unique(String what) {
        return "/" + PREFIX + what + "-" + Integer.toHexString(ThreadLocalRandom.current().nextInt(1 << 28, Integer.MAX_VALUE));
    }

    /** A System V key unlikely to be in use: high bit clear, never IPC_PRIVATE. */
    public static int uniqueKey() {
        return 0x5a000000 | ThreadLocalRandom.current().nextInt(1, 1 << 24);
    }
}
