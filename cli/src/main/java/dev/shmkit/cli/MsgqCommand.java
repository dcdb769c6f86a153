package dev.shmkit.cli;

import dev.shmkit.internal.nativeaccess.Consts;
import dev.shmkit.internal.nativeaccess.Errno;
import dev.shmkit.signals.SysVMessageQueue;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.util.Optional;
import java.util.concurrent.Callable;

/** {@code shmkit msgq ...}: System V message queues. */
@Command(name = "msgq", mixinStandardHelpOptions = true,
        description = {"System V message queues (msgget/msgsnd/msgrcv), as ipcs -q shows them.",
                "Every message has a positive type; receivers pick by type."},
        subcommands = {MsgqCommand.Create.class, MsgqCommand.Send.class, MsgqCommand.Receive.class,
                MsgqCommand.Info.class, MsgqCommand.Rm.class})
final class MsgqCommand {

    /** {@code --key KEY} or {@code --id ID}: which queue. */
    static final class Target {
        @Option(names = "--key", required = true, paramLabel = "KEY", converter = Common.KeyConverter.class,
                description = "The queue's key, decimal or 0x hex as ipcs prints it.")
        Integer key;
        @Option(names = "--id", required = true, paramLabel = "ID", description = "The queue's id, as ipcs prints it.")
        Integer id;

        SysVMessageQueue open() {
            return key != null ? SysVMessageQueue.open(key) : SysVMessageQueue.ofId(id);
        }

        String describe() {
            return key != null ? "key " + Common.hexKey(key) : "id " + id;
        }
    }

    @Command(name = "create", mixinStandardHelpOptions = true,
            description = "Create a new queue under KEY (exclusively) and print its id.")
    static final class Create implements Callable<Integer> {
        @Mixin Common.DebugOption debug;
        @Spec CommandSpec spec;
        @Option(names = "--key", required = true, paramLabel = "KEY", converter = Common.KeyConverter.class,
                description = "Decimal or 0x hex; 0 (IPC_PRIVATE) creates a private queue.")
        int key;
        @Option(names = "--mode", paramLabel = "MODE", defaultValue = "0600", converter = Common.ModeConverter.class,
                description = "Permissions in octal (default: ${DEFAULT-VALUE}).")
        int mode;

        @Override
        public Integer call() {
            SysVMessageQueue q = key == Consts.IPC_PRIVATE ? SysVMessageQueue.createPrivate(mode) : SysVMessageQueue.create(key, mode);
            spec.commandLine().getOut().println(q.id());
            spec.commandLine().getOut().flush();
            return Main.OK;
        }
    }

    @Command(name = "send", mixinStandardHelpOptions = true,
            description = {"Send BODY (or all of stdin when no BODY is given) as one message of type N.",
                    "Waits while the queue is full; --timeout bounds that wait (exit status 3)."})
    static final class Send implements Callable<Integer> {
        @Mixin Common.DebugOption debug;
        @Mixin SyncCommands.TimeoutOption timeout;
        @Spec CommandSpec spec;
        @ArgGroup(multiplicity = "1") Target target;
        @Option(names = "--type", required = true, paramLabel = "N", description = "The message type, 1 or more.")
        long type;
        @Parameters(arity = "0..1", paramLabel = "BODY") String text;

        @Override
        public Integer call() throws InterruptedException {
            if (type < 1) throw new UsageException("--type must be 1 or more, was " + type);
            byte[] body = MqCommand.body(text);
            SysVMessageQueue q = target.open();
            if (timeout.timeout == null) {
                q.send(type, body);
            } else if (!q.send(type, body, timeout.timeout)) {
                return SyncCommands.timedOut(spec, "sending to " + target.describe() + " (the queue stayed full)", timeout.timeout);
            }
            return Main.OK;
        }
    }

    @Command(name = "receive", mixinStandardHelpOptions = true,
            description = {"Receive one message and print its body exactly (no newline added).",
                    "--type 0 (default): the oldest message; N > 0: the oldest of type N; -N: the oldest of the",
                    "lowest type up to N. Waits while none matches; --timeout bounds that wait (exit status 3)."})
    static final class Receive implements Callable<Integer> {
        @Mixin Common.DebugOption debug;
        @Mixin SyncCommands.TimeoutOption timeout;
        @Spec CommandSpec spec;
        @ArgGroup(multiplicity = "1") Target target;
        @Option(names = "--type", paramLabel = "N", defaultValue = "0",
                description = "Which messages (see above; default: ${DEFAULT-VALUE}).")
        long type;
        @Option(names = "--with-type", description = "Print the type, one space, then the body.")
        boolean withType;

        @Override
        public Integer call() throws InterruptedException {
            SysVMessageQueue q = target.open();
            Optional<SysVMessageQueue.Message> m = timeout.timeout == null ? Optional.of(q.receive(type)) : q.receive(type, timeout.timeout);
            if (m.isEmpty()) {
                return SyncCommands.timedOut(spec, "receiving from " + target.describe()
                        + (type == 0 ? "" : " (type " + type + ")") + " (no message came)", timeout.timeout);
            }
            MqCommand.writeOut(withType ? m.get().type() + " " : null, m.get().body());
            return Main.OK;
        }
    }

    @Command(name = "info", mixinStandardHelpOptions = true,
            description = "Print what msgctl(IPC_STAT) says of the queue, one 'key: value' per line.")
    static final class Info implements Callable<Integer> {
        @Mixin Common.DebugOption debug;
        @Spec CommandSpec spec;
        @ArgGroup(multiplicity = "1") Target target;

        @Override
        public Integer call() {
            SysVMessageQueue q = target.open();
            SysVMessageQueue.Stat s = q.stat();
            PrintWriter out = spec.commandLine().getOut();
            if (target.key != null) out.println("key: " + Common.hexKey(target.key));
            out.println("id: " + s.id());
            out.println("messages: " + s.messages());
            out.println("bytes: " + s.bytes());
            out.println("max-bytes: " + s.maxBytes());
            out.println("mode: " + Common.octal(s.permissions()));
            out.println("last-send-pid: " + s.lastSendPid());
            out.println("last-receive-pid: " + s.lastReceivePid());
            out.flush();
            return Main.OK;
        }
    }

    @Command(name = "rm", mixinStandardHelpOptions = true, description = "Remove the queue and its messages (IPC_RMID).")
    static final class Rm implements Callable<Integer> {
        @Mixin Common.DebugOption debug;
        @ArgGroup(multiplicity = "1") Target target;
        @Option(names = {"-f", "--force"}, description = "Do not fail when there is no such queue.") boolean force;

        @Override
        public Integer call() {
            boolean removed;
            if (target.key != null) {
                removed = SysVMessageQueue.remove(target.key);
            } else {
                try {
                    removed = SysVMessageQueue.ofId(target.id).remove();
                } catch (dev.shmkit.os.ObjectNotFoundException e) {
                    removed = false;
                }
            }
            if (!removed && !force) {
                throw Errno.exception("msgctl", target.describe() + ", IPC_RMID", Consts.ENOENT, "no such queue");
            }
            return Main.OK;
        }
    }
}
