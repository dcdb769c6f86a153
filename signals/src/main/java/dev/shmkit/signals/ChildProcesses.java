package dev.shmkit.signals;

import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * Signals for child processes started with {@link ProcessBuilder}, and how they ended.
 *
 * <p>A signal is sent only while {@link Process#isAlive()} is true: once the JDK has reaped a
 * child, its pid may belong to another process, so signalling an exited child does nothing and
 * returns false. (Between the child's exit and the JDK's reaping there is a short window in which
 * the signal reaches the zombie, harmlessly.)
 *
 * <p>Exit statuses follow {@link ExitStatus}: a child killed by signal {@code n} reports
 * {@code 128 + n}.
 */
public final class ChildProcesses {
    private ChildProcesses() {}

    /** Sends {@code signal} to {@code child} if it is still running; false if it had already exited. */
    public static boolean signal(Process child, Signal signal) {
        Objects.requireNonNull(child, "child");
        Objects.requireNonNull(signal, "signal");
        if (!child.isAlive()) return false;
        try {
            Signals.send(child.pid(), signal);
            return true;
        } catch (dev.shmkit.os.ObjectNotFoundException goneMeanwhile) {
            return false;
        }
    }

    /** Sends TERM (ask to stop; the child may handle it and shut down cleanly). */
    public static boolean terminate(Process child) {
        return signal(child, Signal.TERM);
    }

    /** Sends KILL (cannot be caught: the child ends at once, without running any cleanup). */
    public static boolean kill(Process child) {
        return signal(child, Signal.KILL);
    }

    /** Waits for {@code child} to end and returns how it ended. */
    public static ExitStatus waitFor(Process child) throws InterruptedException {
        return new ExitStatus(child.waitFor());
    }

    /** Waits at most {@code timeout}; empty if the child is still running then. */
    public static Optional<ExitStatus> waitFor(Process child, Duration timeout) throws InterruptedException {
        if (!child.waitFor(Signals.saturatedNanos(timeout), TimeUnit.NANOSECONDS)) return Optional.empty();
        return Optional.of(new ExitStatus(child.exitValue()));
    }

    /**
     * Stops {@code child} the polite way: TERM, up to {@code grace} for it to exit, then KILL.
     * Returns how it ended: {@code exited with status 0} for a child that handled TERM and exited
     * cleanly, {@code killed by SIGTERM} for one that took the default action, {@code killed by
     * SIGKILL} for one that did not exit within the grace period.
     *
     * @throws InterruptedException if interrupted while waiting; the child may still be running
     */
    public static ExitStatus stop(Process child, Duration grace) throws InterruptedException {
        Objects.requireNonNull(grace, "grace");
        terminate(child);
        Optional<ExitStatus> status = waitFor(child, grace);
        if (status.isPresent()) return status.get();
        kill(child);
        return waitFor(child);
    }

    /** How an already-ended {@code child} ended. */
    public static ExitStatus exitStatus(Process child) {
        return new ExitStatus(child.exitValue());
    }
}
