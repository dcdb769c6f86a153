package dev.shmkit.cli;

import dev.shmkit.process.ShmkitProcesses;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * {@code shmkit ps}: shmkit's live worker and child processes, the processes that own them, and
 * the shared memory objects each maps (read from /proc; see {@link ShmkitProcesses}).
 */
@Command(name = "ps", mixinStandardHelpOptions = true,
        description = {"List live shmkit processes: pool workers, child processes and their owners, with the POSIX shared",
                "memory objects each maps (Linux: from /proc/PID/maps; '(unlinked)' marks an object whose name was removed).",
                "Columns: PID PPID ROLE NAME UPTIME; ROLE is pool (owns workers), worker, parent (owns child processes),",
                "child, or other (--all: any process that maps shared memory)."})
final class PsCommand implements Callable<Integer> {
    @Mixin Common.DebugOption debug;
    @Spec CommandSpec spec;

    @Option(names = {"-a", "--all"}, description = "Also list every other process that maps POSIX shared memory.")
    boolean all;

    @Option(names = "--no-segments", description = "Leave out the shared memory objects.")
    boolean noSegments;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        List<ShmkitProcesses.Entry> entries = ShmkitProcesses.list(all);
        out.printf("%-8s %-8s %-7s %-24s %s%n", "PID", "PPID", "ROLE", "NAME", "UPTIME");
        for (ShmkitProcesses.Entry e : entries) {
            out.printf("%-8d %-8d %-7s %-24s %s%n", e.pid(), e.parentPid(), e.role(), e.name(),
                    e.uptime().map(PsCommand::human).orElse("?"));
            if (noSegments) continue;
            for (ShmkitProcesses.Segment s : e.segments()) {
                out.printf("    %-44s %10s%s%n", s.name(), bytes(s.bytes()), s.unlinked() ? " (unlinked)" : "");
            }
        }
        out.flush();
        return Main.OK;
    }

    static String human(Duration d) {
        long s = d.toSeconds();
        if (s < 60) return String.format(Locale.ROOT, "%.1fs", d.toMillis() / 1000.0);
        if (s < 3600) return (s / 60) + "m" + (s % 60) + "s";
        return (s / 3600) + "h" + (s % 3600 / 60) + "m";
    }

    static String bytes(long n) {
        if (n < 1024) return n + " B";
        if (n < 1 << 20) return String.format(Locale.ROOT, "%.1f KiB", n / 1024.0);
        if (n < 1L << 30) return String.format(Locale.ROOT, "%.1f MiB", n / (double) (1 << 20));
        return String.format(Locale.ROOT, "%.1f GiB", n / (double) (1L << 30));
    }
}
