package dev.shmkit.cli;

import dev.shmkit.queue.Codec;
import dev.shmkit.queue.JoinableQueue;
import dev.shmkit.queue.SharedQueue;
import dev.shmkit.shm.OpenMode;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;

/** {@code shmkit queue ...}: process-shared queues (Python's multiprocessing.Queue and JoinableQueue), from the shell. */
@Command(name = "queue", mixinStandardHelpOptions = true,
        description = {"Process-shared queues (Python's Queue and JoinableQueue) of strings, bytes or numbers.",
                "NAME is 'jobs' or '/jobs'. Each stdin line is an element for 'send'; each element is a stdout line for 'recv'."},
        subcommands = {QueueCommand.Create.class, QueueCommand.Send.class, QueueCommand.Recv.class, QueueCommand.Stat.class,
                QueueCommand.Join.class, QueueCommand.Rm.class})
final class QueueCommand {

    /** How the CLI turns lines into elements of a queue of each built-in codec, and back. */
    enum Format {
        STRING, BYTES, INTS, LONGS, DOUBLES;

        static Format of(String codec, String queue) {
            return switch (codec) {
                case "string" -> STRING;
                case "bytes" -> BYTES;
                case "ints" -> INTS;
                case "longs" -> LONGS;
                case "doubles" -> DOUBLES;
                default -> throw new IllegalStateException("queue " + queue + " holds elements of codec '" + (codec.isEmpty() ? "custom" : codec)
                        + "'; the CLI reads and writes queues of string, bytes, ints, longs and doubles");
            };
        }

        Codec<?> codec() {
            return switch (this) {
                case STRING -> Codec.string();
                case BYTES -> Codec.bytes();
                case INTS -> Codec.ints();
                case LONGS -> Codec.longs();
                case DOUBLES -> Codec.doubles();
            };
        }

        /** The element's encoding for a line of input. */
        byte[] encode(byte[] line, long number) {
            try {
                return switch (this) {
                    case STRING -> new String(line, StandardCharsets.UTF_8).getBytes(StandardCharsets.UTF_8);
                    case BYTES -> line;
                    case INTS -> encoded(Codec.ints(), Integer.parseInt(text(line)));
                    case LONGS -> encoded(Codec.longs(), Long.parseLong(text(line)));
                    case DOUBLES -> encoded(Codec.doubles(), Double.parseDouble(text(line)));
                };
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("line " + number + ": '" + text(line) + "' is not " + (this == INTS ? "an int" : this == LONGS ? "a long" : "a number"));
            }
        }

        /** The line to print for an element's encoding. */
        byte[] decode(byte[] element) {
            MemorySegment s = MemorySegment.ofArray(element);
            return switch (this) {
                case STRING, BYTES -> element;
                case INTS -> Codec.ints().decode(s, 0, element.length).toString().getBytes(StandardCharsets.US_ASCII);
                case LONGS -> Codec.longs().decode(s, 0, element.length).toString().getBytes(StandardCharsets.US_ASCII);
                case DOUBLES -> Codec.doubles().decode(s, 0, element.length).toString().getBytes(StandardCharsets.US_ASCII);
            };
        }

        private static String text(byte[] line) {
            return new String(line, StandardCharsets.UTF_8).trim();
        }

        private static <E> byte[] encoded(Codec<E> codec, E value) {
            byte[] b = new byte[codec.size(value)];
            codec.encode(value, MemorySegment.ofArray(b), 0);
            return b;
        }
    }

    /** Opens a queue of any codec as raw bytes: a JoinableQueue handle when it is joinable. */
    static SharedQueue<byte[]> openRaw(String name) {
        SharedQueue<byte[]> q = SharedQueue.open(name, Codec.bytes());
        if (!q.isJoinable()) return q;
        q.close();
        return JoinableQueue.open(name, Codec.bytes());
    }

    @Command(name = "create", mixinStandardHelpOptions = true, description = "Create a queue (exclusively: fails if NAME exists).")
    static final class Create implements Callable<Integer> {
        @Mixin Common.DebugOption debug;
        @Mixin RingCommand.CapacityOption capacity;
        @Parameters(paramLabel = "NAME") String name;
        @Option(names = "--codec", paramLabel = "CODEC", defaultValue = "string",
                description = "What the elements are: string (UTF-8; the default), bytes, ints, longs or doubles.")
        String codec;
        @Option(names = "--joinable", description = "Count unfinished tasks (Python's JoinableQueue): see 'recv --task-done' and 'join'.")
        boolean joinable;
        @Option(names = "--mode", paramLabel = "MODE", defaultValue = "0600", converter = Common.ModeConverter.class,
                description = "Permissions in octal (default: ${DEFAULT-VALUE}).")
        int mode;

        @Override
        public Integer call() {
            Format f;
            try {
                f = Format.of(codec.toLowerCase(Locale.ROOT), name);
            } catch (IllegalStateException e) {
                throw new UsageException("--codec must be string, bytes, ints, longs or doubles, was '" + codec + "'");
            }
            long cap = capacity.checked();
            if (joinable) JoinableQueue.open(name, OpenMode.CREATE_EXCLUSIVE, cap, f.codec(), mode).close();
            else SharedQueue.open(name, OpenMode.CREATE_EXCLUSIVE, cap, f.codec(), mode).close();
            return Main.OK;
        }
    }

    @Command(name = "send", mixinStandardHelpOptions = true,
            description = {"Put each line of stdin as one element.",
                    "Lines go in as they arrive, without their newline: the line itself for string and bytes queues, its number "
                            + "for ints, longs and doubles. Waits while the queue is full; --timeout T gives up when it stays full "
                            + "for T (exit status 3; the lines before were sent)."})
    static final class Send implements Callable<Integer> {
        @Mixin Common.DebugOption debug;
        @Mixin SyncCommands.TimeoutOption timeout;
        @Spec CommandSpec spec;
        @Parameters(paramLabel = "NAME") String name;

        @Override
        public Integer call() throws InterruptedException {
            try (SharedQueue<byte[]> q = openRaw(name)) {
                Format f = Format.of(q.codecName(), q.name());
                RingCommand.Lines lines = new RingCommand.Lines(Io.in);
                for (byte[] line; (line = lines.next()) != null; ) {
                    byte[] e = f.encode(line, lines.number);
                    if (e.length > q.maxElementBytes()) {
                        throw new IllegalArgumentException("line " + lines.number + " has " + e.length + " bytes; queue " + q.name()
                                + " takes elements of at most " + q.maxElementBytes());
                    }
                    if (timeout.timeout == null) {
                        q.put(e);
                    } else if (!q.offer(e, timeout.timeout.toNanos(), TimeUnit.NANOSECONDS)) {
                        return SyncCommands.timedOut(spec, "sending line " + lines.number + " to " + q.name() + " (the queue stayed full)",
                                timeout.timeout);
                    }
                }
            }
            return Main.OK;
        }
    }

    @Command(name = "recv", mixinStandardHelpOptions = true,
            description = {"Take elements and print each one as a line.",
                    "Each element is printed as it arrives (numbers in decimal).",
                    "Without --count or --timeout: runs until killed. --count N: stops after N elements (exit status 0). "
                            + "--timeout T bounds the whole command: when T elapses, the exit status is 3 if fewer than N "
                            + "elements arrived (with --count) or none at all (without --count), and 0 otherwise. "
                            + "--timeout 0 takes what is there now."})
    static final class Recv implements Callable<Integer> {
        @Mixin Common.DebugOption debug;
        @Mixin SyncCommands.TimeoutOption timeout;
        @Mixin RingCommand.CountOption count;
        @Spec CommandSpec spec;
        @Parameters(paramLabel = "NAME") String name;
        @Option(names = "--task-done", description = "Mark each element done once printed (joinable queues).")
        boolean taskDone;

        @Override
        public Integer call() throws InterruptedException {
            Long n = count.checked();
            try (SharedQueue<byte[]> q = openRaw(name)) {
                Format f = Format.of(q.codecName(), q.name());
                if (taskDone && !(q instanceof JoinableQueue<byte[]>)) {
                    throw new IllegalStateException("queue " + q.name() + " is not joinable: --task-done needs a queue created with --joinable");
                }
                List<byte[]> batch = new ArrayList<>();
                return RingCommand.receive(spec, q.name(), n, timeout.timeout, (max, wait) -> {
                    batch.clear();
                    byte[] first = wait < 0 ? q.take() : q.poll(wait, TimeUnit.NANOSECONDS);
                    if (first == null) return 0;
                    batch.add(first);
                    if (max > 1) q.drainTo(batch, max - 1);
                    for (byte[] e : batch) {
                        byte[] line = f.decode(e);
                        RingCommand.writeLine(line, line.length);
                        if (taskDone) ((JoinableQueue<byte[]>) q).taskDone();
                    }
                    return batch.size();
                });
            }
        }
    }

    @Command(name = "stat", mixinStandardHelpOptions = true,
            description = {"Print the queue's codec, size, capacity, peers and counters.", "One 'key: value' per line."})
    static final class Stat implements Callable<Integer> {
        @Mixin Common.DebugOption debug;
        @Spec CommandSpec spec;
        @Parameters(paramLabel = "NAME") String name;

        @Override
        public Integer call() {
            try (SharedQueue<byte[]> q = SharedQueue.open(name, Codec.bytes())) {
                SharedQueue.Stats s = q.stats();
                PrintWriter out = spec.commandLine().getOut();
                out.println("name: " + q.name());
                out.println("codec: " + (s.codec().isEmpty() ? "custom" : s.codec()));
                out.println("joinable: " + (s.joinable() ? "yes" : "no"));
                out.println("size: " + s.size());
                out.println("capacity: " + s.capacityBytes());
                out.println("max-element: " + q.maxElementBytes());
                out.println("used: " + s.usedBytes());
                out.println("free: " + (s.capacityBytes() - s.usedBytes()));
                out.println("producers-live: " + s.liveProducers());
                out.println("consumers-live: " + s.liveConsumers());
                out.println("puts: " + s.puts());
                out.println("takes: " + s.takes());
                out.println("recovered-records: " + s.recovered());
                out.println("redeliveries: " + s.redeliveries());
                if (s.joinable()) out.println("unfinished-tasks: " + s.unfinishedTasks());
                out.flush();
            }
            return Main.OK;
        }
    }

    @Command(name = "join", mixinStandardHelpOptions = true,
            description = {"Wait until every element of a joinable queue is marked done.",
                    "As Python's JoinableQueue.join(): returns when every element put has been marked done (see 'recv --task-done'). "
                            + "--timeout bounds the wait (exit status 3)."})
    static final class Join implements Callable<Integer> {
        @Mixin Common.DebugOption debug;
        @Mixin SyncCommands.TimeoutOption timeout;
        @Spec CommandSpec spec;
        @Parameters(paramLabel = "NAME") String name;

        @Override
        public Integer call() throws InterruptedException {
            try (SharedQueue<byte[]> raw = SharedQueue.open(name, Codec.bytes())) {
                if (!raw.isJoinable()) throw new IllegalStateException("queue " + raw.name() + " is not joinable (create it with --joinable)");
            }
            try (JoinableQueue<byte[]> q = JoinableQueue.open(name, Codec.bytes())) {
                if (timeout.timeout == null) {
                    q.join();
                    return Main.OK;
                }
                return q.join(timeout.timeout.toNanos(), TimeUnit.NANOSECONDS) ? Main.OK
                        : SyncCommands.timedOut(spec, "joining " + q.name() + " (" + q.unfinishedTasks() + " tasks unfinished)", timeout.timeout);
            }
        }
    }

    @Command(name = "rm", mixinStandardHelpOptions = true, description = "Remove the queue's name (processes that have it open keep it).")
    static final class Rm implements Callable<Integer> {
        @Mixin Common.DebugOption debug;
        @Parameters(paramLabel = "NAME", arity = "1..*") List<String> names;
        @Option(names = {"-f", "--force"}, description = "Do not fail when it does not exist.") boolean force;

        @Override
        public Integer call() {
            return SyncCommands.removeShm(names, force);
        }
    }
}
