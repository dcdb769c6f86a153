package dev.shmkit.cli;

import dev.shmkit.signals.MessageQueue;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;

/** {@code shmkit mq ...}: POSIX message queues (Linux). */
@Command(name = "mq", mixinStandardHelpOptions = true,
        description = {"POSIX message queues (mq_open; Linux only, macOS has none). NAME is 'jobs' or '/jobs'.",
                "Messages come out highest priority first; on Linux the queues show up in /dev/mqueue."},
        subcommands = {MqCommand.Create.class, MqCommand.Send.class, MqCommand.Receive.class, MqCommand.Info.class,
                MqCommand.Rm.class})
final class MqCommand {

    /** Refuses on a platform without POSIX message queues, pointing to the System V commands. */
    static void requireSupported() {
        if (!MessageQueue.isSupported()) {
            throw new UnsupportedOperationException("POSIX message queues (mq_open) do not exist on "
                    + System.getProperty("os.name") + "; use 'shmkit msgq' (System V message queues) instead");
        }
    }

    /** The body from the argument (UTF-8), or all of stdin when there is none. */
    static byte[] body(String argument) {
        return argument != null ? argument.getBytes(StandardCharsets.UTF_8) : Bytes.readStdin(Io.in);
    }

    static void writeOut(String prefix, byte[] body) {
        OutputStream out = Io.out;
        try {
            if (prefix != null) out.write(prefix.getBytes(StandardCharsets.UTF_8));
            out.write(body);
            out.flush();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write stdout", e);
        }
    }

    @Command(name = "create", mixinStandardHelpOptions = true, description = "Create a queue (exclusively: fails if NAME exists).")
    static final class Create implements Callable<Integer> {
        @Mixin Common.DebugOption debug;
        @Parameters(paramLabel = "NAME") String name;
        @Option(names = "--max-messages", paramLabel = "N", defaultValue = "10",
                description = "Capacity in messages (default: ${DEFAULT-VALUE}; Linux allows up to /proc/sys/fs/mqueue/msg_max).")
        long maxMessages;
        @Option(names = "--message-size", paramLabel = "B", defaultValue = "8192", converter = Common.SizeConverter.class,
                description = "Largest message in bytes (default: ${DEFAULT-VALUE}; up to /proc/sys/fs/mqueue/msgsize_max).")
        long messageSize;
        @Option(names = "--mode", paramLabel = "MODE", defaultValue = "0600", converter = Common.ModeConverter.class,
                description = "Permissions in octal (default: ${DEFAULT-VALUE}).")
        int mode;

        @Override
        public Integer call() {
            requireSupported();
            if (maxMessages <= 0) throw new UsageException("--max-messages must be positive, was " + maxMessages);
            if (messageSize <= 0) throw new UsageException("--message-size must be positive, was " + messageSize);
            MessageQueue.create(name, maxMessages, messageSize, mode).close();
            return Main.OK;
        }
    }

    @Command(name = "send", mixinStandardHelpOptions = true,
            description = {"Send BODY (or all of stdin when no BODY is given) as one message.",
                    "Waits while the queue is full; --timeout bounds that wait (exit status 3)."})
    static final class Send implements Callable<Integer> {
        @Mixin Common.DebugOption debug;
        @Mixin SyncCommands.TimeoutOption timeout;
        @Spec CommandSpec spec;
        @Parameters(index = "0", paramLabel = "NAME") String name;
        @Parameters(index = "1", arity = "0..1", paramLabel = "BODY") String text;
        @Option(names = "--priority", paramLabel = "N", defaultValue = "0",
                description = "0 (default) is lowest; higher priorities are received first.")
        int priority;

        @Override
        public Integer call() throws InterruptedException {
            requireSupported();
            if (priority < 0) throw new UsageException("--priority must not be negative, was " + priority);
            byte[] body = body(text);
            try (MessageQueue q = MessageQueue.open(name)) {
                if (timeout.timeout == null) {
                    q.send(body, priority);
                } else if (!q.send(body, priority, timeout.timeout)) {
                    return SyncCommands.timedOut(spec, "sending to " + q.name() + " (the queue stayed full)", timeout.timeout);
                }
            }
            return Main.OK;
        }
    }

    @Command(name = "receive", mixinStandardHelpOptions = true,
            description = {"Receive one message and print its body exactly (no newline added).",
                    "Waits while the queue is empty; --timeout bounds that wait (exit status 3)."})
    static final class Receive implements Callable<Integer> {
        @Mixin Common.DebugOption debug;
        @Mixin SyncCommands.TimeoutOption timeout;
        @Spec CommandSpec spec;
        @Parameters(paramLabel = "NAME") String name;
        @Option(names = "--with-priority", description = "Print the priority, one space, then the body.")
        boolean withPriority;

        @Override
        public Integer call() throws InterruptedException {
            requireSupported();
            try (MessageQueue q = MessageQueue.open(name)) {
                Optional<MessageQueue.Message> m = timeout.timeout == null ? Optional.of(q.receive()) : q.receive(timeout.timeout);
                if (m.isEmpty()) return SyncCommands.timedOut(spec, "receiving from " + q.name() + " (the queue stayed empty)", timeout.timeout);
                writeOut(withPriority ? m.get().priority() + " " : null, m.get().body());
            }
            return Main.OK;
        }
    }

    @Command(name = "info", mixinStandardHelpOptions = true,
            description = "Print the queue's attributes, one 'key: value' per line.")
    static final class Info implements Callable<Integer> {
        @Mixin Common.DebugOption debug;
        @Spec CommandSpec spec;
        @Parameters(paramLabel = "NAME") String name;

        @Override
        public Integer call() {
            requireSupported();
            MessageQueue.Attributes a = MessageQueue.attributes(name);
            PrintWriter out = spec.commandLine().getOut();
            out.println("name: " + a.name());
            out.println("max-messages: " + a.maxMessages());
            out.println("message-size: " + a.messageSize());
            out.println("messages: " + a.currentMessages());
            out.println("mode: " + Common.octal(a.permissions()));
            out.println("uid: " + a.uid());
            Path file = Path.of("/dev/mqueue", a.name().substring(1));
            if (Files.exists(file)) out.println("path: " + file);
            out.flush();
            return Main.OK;
        }
    }

    @Command(name = "rm", mixinStandardHelpOptions = true, description = "Remove the queue's name (mq_unlink).")
    static final class Rm implements Callable<Integer> {
        @Mixin Common.DebugOption debug;
        @Parameters(paramLabel = "NAME", arity = "1..*") List<String> names;
        @Option(names = {"-f", "--force"}, description = "Do not fail when it does not exist.") boolean force;

        @Override
        public Integer call() {
            requireSupported();
            for (String n : names) {
                if (!MessageQueue.unlink(n) && !force) throw SyncCommands.notFound("mq_unlink", n);
            }
            return Main.OK;
        }
    }
}
