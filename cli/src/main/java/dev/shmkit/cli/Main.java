package dev.shmkit.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

import java.io.PrintWriter;

/**
 * {@code shmkit}: the command-line tool. Unix conventions: {@code --help} on every command, data
 * on stdin/stdout, one line on stderr for an error (the stack trace only with {@code --debug}),
 * exit status 0 on success, 1 on failure, 2 on a usage error, 3 on a timeout.
 */
@Command(name = "shmkit", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "Native inter-process communication: shared memory, System V IPC and more.",
        subcommands = {ShmCommand.class, SysVCommand.class, SyncCommands.Sem.class, SyncCommands.LockCmd.class,
                SyncCommands.EventCmd.class, SyncCommands.BarrierCmd.class, SignalCommand.class, FifoCommand.class, MqCommand.class, MsgqCommand.class, ValueCommand.class, MapCommand.class, RingCommand.class, QueueCommand.class, BenchCommand.class, RunCommand.class, PsCommand.class, CommandLine.HelpCommand.class},
        footer = {"", "Exit status: 0 success, 1 failure, 2 usage error, 3 timeout."})
public final class Main {
    public static final int OK = 0;
    public static final int FAILURE = 1;
    public static final int USAGE = 2;
    public static final int TIMEOUT = 3;

    public static void main(String[] args) {
        System.exit(run(args, new PrintWriter(System.out, true), new PrintWriter(System.err, true)));
    }

    /** Runs one command line; returns its exit status. For tests and embedding. */
    public static int run(String[] args, PrintWriter out, PrintWriter err) {
        CommandLine cl = commandLine();
        cl.setOut(out);
        cl.setErr(err);
        return cl.execute(args);
    }

    static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new Main());
        cl.setExitCodeExceptionMapper(t -> FAILURE);
        cl.setExecutionExceptionHandler((ex, commandLine, parseResult) -> {
            boolean debug = parseResult.expandedArgs().contains("--debug");
            PrintWriter err = commandLine.getErr();
            if (ex instanceof UsageException) {
                err.println("shmkit " + commandPath(commandLine) + ": " + ex.getMessage());
                err.println("Try 'shmkit " + commandPath(commandLine) + " --help'.");
                if (debug) ex.printStackTrace(err);
                return USAGE;
            }
            String msg = ex.getMessage() != null ? ex.getMessage() : ex.toString();
            err.println("shmkit " + commandPath(commandLine) + ": " + msg);
            if (debug) ex.printStackTrace(err);
            err.flush();
            return FAILURE;
        });
        cl.setParameterExceptionHandler((ex, args) -> {
            CommandLine c = ex.getCommandLine();
            PrintWriter err = c.getErr();
            err.println("shmkit " + commandPath(c) + ": " + ex.getMessage());
            err.println("Try 'shmkit " + commandPath(c) + " --help'.");
            return USAGE;
        });
        return cl;
    }

    private static String commandPath(CommandLine c) {
        String q = c.getCommandSpec().qualifiedName(" ");
        return q.startsWith("shmkit ") ? q.substring(7) : q.equals("shmkit") ? "" : q;
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = Main.class.getPackage().getImplementationVersion();
            return new String[] {"shmkit " + (v != null ? v : "0.1.0-SNAPSHOT") + " on Java " + Runtime.version()
                    + " (" + System.getProperty("os.name") + " " + System.getProperty("os.arch") + ")"};
        }
    }
}
