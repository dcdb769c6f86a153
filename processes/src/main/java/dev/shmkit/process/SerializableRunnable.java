package dev.shmkit.process;

import java.io.Serializable;

/**
 * A {@link Runnable} that can travel to a child JVM: write a lambda or method reference where this
 * type is expected and the compiler makes it serializable. Whatever it captures must be
 * serializable too.
 */
@FunctionalInterface
public interface SerializableRunnable extends Runnable, Serializable {
}
