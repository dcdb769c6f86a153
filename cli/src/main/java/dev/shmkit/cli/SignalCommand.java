package dev.shmkit.cli;

import dev.shmkit.internal.nativeaccess.Consts;
import dev.shmkit.internal.nativeaccess.Errno;
import dev.shmkit.signals.ProcessPresence;
import dev.shmkit.signals.Signal;
import dev.shmkit.signals.Signals;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;

/** {@code shmkit signal ...}: send, wait for and list signals. */
@Command(name = "signal", mixinStandardHelpOptions = true,
        description = "Send, wait for and list signals. SIGNAL is USR1, SIGUSR1, usr1 or this platform's number.",
        subcommands = {SignalCommand.Send.class, SignalCommand.Wait.class, SignalCommand.ListCmd.class,
                SignalCommand.Check.class})
final class SignalCommand {

    static Signal parse(String text) {
        try {
            return Signal.parse(text);
        } catch (IllegalArgumentException e) {
            throw new UsageException(e.getMessage());
        }
    }

    @Command(name = "send", mixinStandardHelpOptions = true,
            description = {"Send SIGNAL to process PID (kill), or with a negative PID to process group -PID (killpg:",
                    "write 'signal send -- -1234 TERM'). SIGNAL 0 sends nothing and only checks that PID exists."})
    static final class Send implements Callable<Integer> {
        @Mixin Common.DebugOption debug;
        @Parameters(index = "0", paramLabel = "PID") long pid;
        @Parameters(index = "1", paramLabel = "SIGNAL") String signal;
        @Option(names = "--value", paramLabel = "N",
                description = "Queue the signal with this integer payload (sigqueue; Linux only).")
        Integer value;

        @Override
        public Integer call() {
            if (pid == 0 || pid == -1 || Math.abs(pid) > Integer.MAX_VALUE) {
                throw new UsageException("PID must be a process id, or -PGID for a process group (not 0 or -1), was " + pid);
            }
            if (signal.trim().equals("0")) {
                if (pid < 0 || value != null) throw new UsageException("signal 0 checks one process: give a positive PID and no --value");
                ProcessPresence p = Signals.probe(pid);
                if (p == ProcessPresence.NO_SUCH_PROCESS) throw Errno.exception("kill", pid + ", 0", (int) Consts.value("ESRCH"));
                if (p == ProcessPresence.EXISTS_NOT_PERMITTED) throw Errno.exception("kill", pid + ", 0", Consts.EPERM);
                return Main.OK;
            }
            Signal s = parse(signal);
            if (value != null) {
                if (pid < 0) throw new UsageException("--value (sigqueue) goes to one process, not a group");
                Signals.queue(pid, s, value);
            } else if (pid < 0) {
                Signals.sendToGroup(-pid, s);
            } else {
                Signals.send(pid, s);
            }
            return Main.OK;
        }
    }

    @Command(name = "wait", mixinStandardHelpOptions = true,
            description = {"Wait for one of the SIGNALs and print its name (e.g. USR1).",
                    "Exit status 0 when one arrived, 3 after --timeout."})
    static final class Wait implements Callable<Integer> {
        @Mixin Common.DebugOption debug;
        @Mixin SyncCommands.TimeoutOption timeout;
        @Spec CommandSpec spec;
        @Parameters(paramLabel = "SIGNAL", arity = "1..*") List<String> signals;

        @Override
        public Integer call() throws InterruptedException {
            Set<Signal> set = EnumSet.noneOf(Signal.class);
            for (String t : signals) {
                Signal s = parse(t);
                Optional<String> why = s.whyNotHandleable();
                if (why.isPresent()) throw new UsageException("cannot wait for " + s.fullName() + ": " + why.get());
                set.add(s);
            }
            Optional<Signal> got = timeout.timeout == null ? Optional.of(Signals.await(set)) : Signals.await(set, timeout.timeout);
            if (got.isEmpty()) {
                String names = set.stream().map(Signal::shortName).collect(Collectors.joining(", "));
                return SyncCommands.timedOut(spec, "waiting for " + names, timeout.timeout);
            }
            PrintWriter out = spec.commandLine().getOut();
            out.println(got.get().shortName());
            out.flush();
            return Main.OK;
        }
    }

    @Command(name = "list", mixinStandardHelpOptions = true,
            description = {"List the signals with this platform's numbers, their default action, and whether a",
                    "Java program (and so 'shmkit signal wait') can handle them."})
    static final class ListCmd implements Callable<Integer> {
        @Mixin Common.DebugOption debug;
        @Spec CommandSpec spec;

        @Override
        public Integer call() {
            PrintWriter out = spec.commandLine().getOut();
            out.printf("%-7s %6s  %-9s  %s%n", "NAME", "NUMBER", "DEFAULT", "HANDLEABLE");
            for (Signal s : Signal.byNumber()) {
                out.printf("%-7s %6d  %-9s  %s%n", s.shortName(), s.number(), s.defaultAction().label(),
                        s.whyNotHandleable().map(w -> "no: " + w).orElse("yes"));
            }
            out.flush();
            return Main.OK;
        }
    }

    @Command(name = "check", mixinStandardHelpOptions = true,
            description = {"Check whether process PID exists (kill -0): prints 'exists', 'exists-not-permitted'",
                    "(another user's process) or 'no-such-process'. Exit status 0 when it exists, 1 otherwise."})
    static final class Check implements Callable<Integer> {
        @Mixin Common.DebugOption debug;
        @Spec CommandSpec spec;
        @Parameters(paramLabel = "PID") long pid;

        @Override
        public Integer call() {
            if (pid <= 0 || pid > Integer.MAX_VALUE) throw new UsageException("PID must be a positive process id, was " + pid);
            ProcessPresence p = Signals.probe(pid);
            PrintWriter out = spec.commandLine().getOut();
            out.println(p.name().toLowerCase(java.util.Locale.ROOT).replace('_', '-'));
            out.flush();
            return p.exists() ? Main.OK : Main.FAILURE;
        }
    }
}
