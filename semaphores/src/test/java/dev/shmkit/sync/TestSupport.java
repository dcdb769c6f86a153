package dev.shmkit.sync;

import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BooleanSupplier;
import java.util.stream.Collectors;

/**
 * Helpers shared by the tests of this package. Nothing here sleeps to synchronize: waiting is
 * for an observable condition (a waiter count in shared memory, a thread's stack, a line from a
 * child), and every deadline is a failure guard only.
 */
final class TestSupport {
    private TestSupport() {}

    static final VarHandle INT = ValueLayout.JAVA_INT.varHandle();
    static final VarHandle LONG = ValueLayout.JAVA_LONG.varHandle();

    /** Failure guard for anything that should happen promptly. */
    static final Duration GUARD = Duration.ofSeconds(30);

    /** Spins (yielding) until {@code condition} holds; fails after {@link #GUARD}. */
    static void until(BooleanSupplier condition, String what) {
        long deadline = System.nanoTime() + GUARD.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) throw new AssertionError("timed out waiting until " + what);
            Thread.onSpinWait();
            Thread.yield();
        }
    }

    /** Spins until {@code thread} is inside a method named {@code method} (it is blocked there). */
    static void untilInside(Thread thread, String method) {
        until(() -> Arrays.stream(thread.getStackTrace()).anyMatch(f -> f.getMethodName().equals(method)),
                thread.getName() + " is inside " + method);
    }

    static long millisSince(long t0) {
        return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
    }

    static double millis(long nanos) {
        return nanos / 1e6;
    }

    /** Runs {@code body} in a platform thread of its own: to block, be interrupted, or be guarded. */
    static <T> Task<T> task(String name, Callable<T> body) {
        return new Task<>(name, body);
    }

    /** Runs {@code body} and returns its result, failing if it takes longer than {@link #GUARD}. */
    static <T> T guarded(String name, Callable<T> body) {
        return task(name, body).join();
    }

    static final class Task<T> {
        final String name;
        final Thread thread;
        final CompletableFuture<T> result = new CompletableFuture<>();

        private Task(String name, Callable<T> body) {
            this.name = name;
            this.thread = Thread.ofPlatform().name(name).daemon().unstarted(() -> {
                try {
                    result.complete(body.call());
                } catch (Throwable t) {
                    result.completeExceptionally(t);
                }
            });
            thread.start();
        }

        void interrupt() {
            thread.interrupt();
        }

        boolean isDone() {
            return result.isDone();
        }

        /** The result; fails if the body threw or is still running after the guard. */
        T join() {
            try {
                return result.get(GUARD.toMillis(), TimeUnit.MILLISECONDS);
            } catch (ExecutionException e) {
                throw new AssertionError(name + " failed: " + e.getCause(), e.getCause());
            } catch (TimeoutException e) {
                throw new AssertionError(name + " still running after " + GUARD + stack());
            } catch (InterruptedException e) {
                throw new AssertionError(e);
            }
        }

        /** What the body threw; fails if it returned normally or is still running after the guard. */
        Throwable joinFailure() {
            try {
                T v = result.get(GUARD.toMillis(), TimeUnit.MILLISECONDS);
                throw new AssertionError(name + " returned " + v + " instead of throwing");
            } catch (ExecutionException e) {
                return e.getCause();
            } catch (TimeoutException e) {
                throw new AssertionError(name + " still running after " + GUARD + stack());
            } catch (InterruptedException e) {
                throw new AssertionError(e);
            }
        }

        private String stack() {
            return Arrays.stream(thread.getStackTrace()).map(f -> "\n\tat " + f).collect(Collectors.joining());
        }
    }
}
