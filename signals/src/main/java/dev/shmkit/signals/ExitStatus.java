package dev.shmkit.signals;

import java.util.Optional;

/**
 * How a child process ended, from its exit value as {@link Process#exitValue()} reports it.
 *
 * <p>For a child started by Java, the JDK reports a process killed by signal {@code n} as exit
 * value {@code 128 + n} (the shell's convention), so a program that itself exits with, say, 143
 * cannot be told apart from one killed by TERM (15): the JDK reaps its children itself and keeps
 * the raw wait status to itself. {@link #signal()} therefore means "exit value 128 + the number of
 * a signal shmkit knows".
 *
 * @param exitValue what {@link Process#exitValue()} returned
 */
public record ExitStatus(int exitValue) {

    /** The signal that ended the process, if the exit value says so (see the class description). */
    public Optional<Signal> signal() {
        if (exitValue <= 128 || exitValue > 128 + 64) return Optional.empty();
        return Signal.ofNumber(exitValue - 128);
    }

    /** Whether the exit value says a signal ended the process. */
    public boolean killedBySignal() {
        return signal().isPresent();
    }

    /** Whether the process exited normally with status 0. */
    public boolean isSuccess() {
        return exitValue == 0;
    }

    @Override
    public String toString() {
        return signal().map(s -> "killed by " + s.fullName() + " (exit value " + exitValue + ")")
                .orElse("exited with status " + exitValue);
    }
}
