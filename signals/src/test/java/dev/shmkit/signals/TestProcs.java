package dev.shmkit.signals;

import dev.shmkit.internal.nativeaccess.Consts;
import dev.shmkit.os.ProcessId;
import dev.shmkit.testkit.ChildJvm;
import dev.shmkit.testkit.Programs;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.function.BooleanSupplier;

/**
 * What the signal tests need from the OS around them: which signals a process catches or ignores
 * (Linux {@code /proc/PID/status}, so a sender knows the receiver is ready: synchronization on the
 * kernel's own state, never a sleep), bounded condition waits, and running a program as the
 * unprivileged user {@code nobody} for permission tests.
 */
final class TestProcs {
    private TestProcs() {}

    static final Duration GUARD = Duration.ofSeconds(30);
    static final int NOBODY = 65534;

    static boolean procAvailable() {
        return Files.isReadable(Path.of("/proc/self/status"));
    }

    /** The bit of {@code signal} in the {@code field} mask (SigCgt, SigIgn, SigBlk) of {@code pid}. */
    static boolean maskHas(long pid, String field, Signal signal) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
                if (line.startsWith(field + ":")) {
                    long mask = Long.parseUnsignedLong(line.substring(field.length() + 1).trim(), 16);
                    return (mask >>> (signal.number() - 1) & 1) != 0;
                }
            }
        } catch (IOException e) {
            return false;
        }
        return false;
    }

    static boolean catches(long pid, Signal signal) {
        return maskHas(pid, "SigCgt", signal);
    }

    static boolean ignores(long pid, Signal signal) {
        return maskHas(pid, "SigIgn", signal);
    }

    static long self() {
        return ProcessHandle.current().pid();
    }

    /** Waits (bounded) until {@code pid} has a handler installed for {@code signal}. */
    static void awaitCaught(long pid, Signal signal) {
        awaitTrue(() -> catches(pid, signal), "process " + pid + " to catch " + signal);
    }

    /** Polls {@code condition} with short pauses; fails after {@link #GUARD}. A failure guard, not a synchronizer. */
    static void awaitTrue(BooleanSupplier condition, String what) {
        long deadline = System.nanoTime() + GUARD.toNanos();
        Waiting.Backoff backoff = new Waiting.Backoff();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) throw new AssertionError("timed out waiting for " + what);
            try {
                backoff.pause(Waiting.BACKOFF_MAX_NANOS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted waiting for " + what, e);
            }
        }
    }

    /** Waits (bounded) until {@code pid} is gone or a zombie (it can do nothing any more). */
    static void awaitDead(long pid) {
        awaitTrue(() -> ProcessId.lookup((int) pid).isEmpty(), "process " + pid + " to end");
    }

    /** Whether this JVM can run programs as {@code nobody}: root with setpriv. */
    static boolean canRunAsNobody() {
        return Consts.LINUX && dev.shmkit.internal.nativeaccess.Libc.getuid() == 0 && Programs.available("setpriv");
    }

    /** {@code command} prefixed to run as nobody/nogroup. */
    static List<String> asNobody(List<String> command) {
        List<String> cmd = new ArrayList<>(List.of("setpriv", "--reuid=" + NOBODY, "--regid=" + NOBODY, "--clear-groups"));
        cmd.addAll(command);
        return cmd;
    }

    /** A directory everyone may enter (a JUnit @TempDir is private to its owner). */
    static Path worldTraversableDir(Path parent) {
        try {
            Path d = Files.createTempDirectory(parent, "shared");
            Files.setPosixFilePermissions(d, PosixFilePermissions.fromString("rwxr-xr-x"));
            return d;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static void deleteTree(Path root) {
        try (var walk = Files.walk(root)) {
            for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * The command for a child JVM running {@code main} as nobody, or null when this JVM's class
     * path is not readable by others (e.g. jars under /root): only the entries nobody can read are
     * kept, and the child needs nothing but shmkit's own classes and the testkit.
     */
    static List<String> childJvmAsNobody(Class<?> main, String... args) {
        List<String> cmd = ChildJvm.command(main, List.of(), args);
        int cp = cmd.indexOf("-cp");
        List<String> readable = new ArrayList<>();
        for (String entry : cmd.get(cp + 1).split(java.io.File.pathSeparator)) {
            if (worldReadable(Path.of(entry))) readable.add(entry);
        }
        if (readable.isEmpty()) return null;
        cmd.set(cp + 1, String.join(java.io.File.pathSeparator, readable));
        if (!worldReadable(Path.of(cmd.get(0)))) return null;
        return asNobody(cmd);
    }

    private static boolean worldReadable(Path p) {
        try {
            Path abs = p.toAbsolutePath().normalize();
            if (!Files.exists(abs)) return false;
            for (Path q = abs; q != null; q = q.getParent()) {
                Set<PosixFilePermission> perms = Files.getPosixFilePermissions(q);
                boolean dir = Files.isDirectory(q);
                if (dir && !perms.contains(PosixFilePermission.OTHERS_EXECUTE)) return false;
                if (q.equals(abs) && !perms.contains(PosixFilePermission.OTHERS_READ)) return false;
            }
            return true;
        } catch (IOException | UnsupportedOperationException e) {
            return false;
        }
    }
}
