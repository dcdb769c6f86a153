package dev.shmkit.process;

import java.io.Serializable;
import java.util.function.Function;

/**
 * A {@link Function} that can travel to worker JVMs: what {@link ProcessPool#map} and
 * {@link ProcessPool#applyAsync} apply. It is serialized once per call and registered in each
 * worker; only the encoded inputs travel per task.
 *
 * @param <T> the input type
 * @param <R> the result type
 */
@FunctionalInterface
public interface SerializableFunction<T, R> extends Function<T, R>, Serializable {
}
