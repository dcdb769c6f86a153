package dev.shmkit.queue;

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
 * Helpers for the tests of this package. Nothing sleeps to synchronize: waiting is for an
 * observable condition, and every deadline is a failure guard only.
 */
final class TestSupport {
    private TestSupport() {}

    static final Duration GUARD = Duration.ofSeconds(30);

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

    static <T> Task<T> task(String name, Callable<T> body) {
        return new Task<>(name, body);
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
