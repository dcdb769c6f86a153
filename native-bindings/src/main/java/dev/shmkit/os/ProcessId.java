package dev.shmkit.os;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Optional;

/**
 * A process as its pid plus its start time, so that a pid reused by a later process is never
 * taken for the one that died: the identity shmkit records in shared memory for lock owners,
 * semaphore holders and barrier participants.
 *
 * <p>Linux reads {@code /proc/<pid>/stat} (field 22, the start time in clock ticks since boot; a
 * zombie, state {@code Z} or {@code X}, counts as dead because it can no longer release anything).
 * macOS asks {@link ProcessHandle} for the start instant, in milliseconds.
 *
 * @param pid       the process id
 * @param startTime the start time in the platform's unit (see above); only compared for equality
 */
public record ProcessId(int pid, long startTime) {
    private static final boolean PROC = Files.isDirectory(Path.of("/proc/self"));
    private static final ProcessId CURRENT = lookup((int) ProcessHandle.current().pid())
            .orElseThrow(() -> new IllegalStateException("cannot read this process's own start time"));

    /** This process. */
    public static ProcessId current() {
        return CURRENT;
    }

    /** The process that has {@code pid} now, if it exists and is not a zombie. */
    public static Optional<ProcessId> lookup(int pid) {
        if (pid <= 0) return Optional.empty();
        if (PROC) {
            String stat;
            try {
                stat = Files.readString(Path.of("/proc", Integer.toString(pid), "stat"), StandardCharsets.US_ASCII);
            } catch (NoSuchFileException e) {
                return Optional.empty();
            } catch (IOException e) {
                return Optional.empty();
            }
            // "pid (comm) S ppid ..." where comm may contain spaces and parentheses: parse after the last ')'.
            int close = stat.lastIndexOf(')');
            if (close < 0) return Optional.empty();
            String[] f = stat.substring(close + 2).split(" ");
            // f[0] is field 3 (state); field 22 (starttime) is f[19].
            if (f.length < 20) return Optional.empty();
            char state = f[0].isEmpty() ? '?' : f[0].charAt(0);
            if (state == 'Z' || state == 'X' || state == 'x') return Optional.empty();
            return Optional.of(new ProcessId(pid, Long.parseLong(f[19])));
        }
        return ProcessHandle.of(pid)
                .filter(ProcessHandle::isAlive)
                .flatMap(h -> h.info().startInstant())
                .map(i -> new ProcessId(pid, i.toEpochMilli()));
    }

    /** Whether this very process (same pid, same start time) is still running. */
    public boolean isAlive() {
        if (this.equals(CURRENT)) return true;
        return lookup(pid).map(p -> p.startTime == startTime).orElse(false);
    }

    /**
     * Whether a process recorded as {@code pid} with a start time whose low 32 bits are
     * {@code startToken} is still running: the compact form kept in one 64-bit lock word.
     */
    public static boolean isAlive(int pid, int startToken) {
        if (pid == CURRENT.pid && startToken == CURRENT.startToken()) return true;
        return lookup(pid).map(p -> p.startToken() == startToken).orElse(false);
    }

    /** The low 32 bits of the start time. */
    public int startToken() {
        return (int) startTime;
    }
}
