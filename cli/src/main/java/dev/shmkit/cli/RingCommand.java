package dev.shmkit.cli;

import dev.shmkit.ring.MessageHandler;
import dev.shmkit.ring.RingKind;
import dev.shmkit.ring.SharedRing;
import dev.shmkit.shm.OpenMode;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.lang.foreign.ValueLayout;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;

/** {@code shmkit ring ...}: zero-copy rings in shared memory, from the shell. */
@Command(name = "ring", mixinStandardHelpOptions = true,
        description = {"Zero-copy rings of variable-length messages in shared memory (shmkit's data plane).",
                "NAME is 'jobs' or '/jobs'. Each stdin line is a message for 'send'; each message is a stdout line for 'recv'."},
        subcommands = {RingCommand.Create.class, RingCommand.Send.class, RingCommand.Recv.class, RingCommand.Stat.class,
                RingCommand.Rm.class})
final class RingCommand {
    /** The type id the CLI gives the messages it sends. */
    static final int TYPE_ID = 1;

    static final class CapacityOption {
        @Option(names = "--capacity", required = true, paramLabel = "BYTES", converter = Common.SizeConverter.class,
                description = "Ring capacity in bytes: a power of two from 64 to 1G (e.g. 64K, 1M). A message may take up to an eighth of it, less 8.")
        long capacity;

        long checked() {
            if (capacity < 64 || capacity > (1L << 30) || Long.bitCount(capacity) != 1) {
                throw new UsageException("--capacity must be a power of two from 64 to 1G bytes, was " + capacity);
            }
            return capacity;
        }
    }

    static final class CountOption {
        @Option(names = {"-n", "--count"}, paramLabel = "N",
                description = "Stop after N messages (exit status 0). With --timeout, exit status 3 if fewer arrived in time.")
        Long count;

        Long checked() {
            if (count != null && count < 0) throw new UsageException("--count must not be negative, was " + count);
            return count;
        }
    }

    // ------------------------------------------------------------------ shared by ring and queue

    /** Splits a byte stream into lines (without their '\n'), as they arrive; a last line without '\n' counts. */
    static final class Lines {
        private final InputStream in;
        private final byte[] buf = new byte[64 * 1024];
        private int pos;
        private int limit;
        private boolean eof;
        long number;

        Lines(InputStream in) {
            this.in = in;
        }

        /** The next line, or null at the end of input. */
        byte[] next() {
            ByteArrayOutputStream line = null;
            while (true) {
                if (pos == limit) {
                    if (eof) return line == null ? null : done(line);
                    try {
                        limit = in.read(buf);
                    } catch (IOException e) {
                        throw new UncheckedIOException("cannot read stdin", e);
                    }
                    pos = 0;
                    if (limit < 0) {
                        limit = 0;
                        eof = true;
                    }
                    continue;
                }
                int start = pos;
                while (pos < limit && buf[pos] != '\n') pos++;
                if (line == null) line = new ByteArrayOutputStream(Math.max(16, pos - start));
                line.write(buf, start, pos - start);
                if (pos < limit) {
                    pos++; // the '\n'
                    return done(line);
                }
            }
        }

        private byte[] done(ByteArrayOutputStream line) {
            number++;
            return line.toByteArray();
        }
    }

    /** Where 'recv' gets messages: prints up to {@code max} of them, waiting at most {@code timeoutNanos} ({@code -1}: forever). */
    interface Source {
        int next(int max, long timeoutNanos) throws InterruptedException;
    }

    /**
     * The 'recv' loop of ring and queue. Without --count and --timeout it runs until killed. With --count it
     * stops after N; --timeout bounds the whole command.
     */
    static int receive(CommandSpec spec, String what, Long count, Duration timeout, Source source) throws InterruptedException {
        long deadline = timeout == null ? -1 : System.nanoTime() + timeout.toNanos();
        long got = 0;
        while (count == null || got < count) {
            int max = (int) Math.min(256, count == null ? 256 : count - got);
            long wait = deadline == -1 ? -1 : Math.max(0, deadline - System.nanoTime());
            int n = source.next(max, wait);
            got += n;
            flush();
            if (n == 0 && deadline != -1 && deadline - System.nanoTime() <= 0) break;
        }
        if (count != null) {
            return got >= count ? Main.OK : SyncCommands.timedOut(spec, "receiving from " + what + " (" + got + " of " + count + " messages arrived)", timeout);
        }
        return got > 0 ? Main.OK : SyncCommands.timedOut(spec, "receiving from " + what + " (no message arrived)", timeout);
    }

    static void writeLine(byte[] b, int length) {
        try {
            OutputStream out = Io.out;
            out.write(b, 0, length);
            out.write('\n');
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write stdout", e);
        }
    }

    static void flush() {
        try {
            Io.out.flush(); // a pipeline downstream sees each batch as it comes
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write stdout", e);
        }
    }

    static String kindName(RingKind k) {
        return k.name().toLowerCase(Locale.ROOT);
    }

    // ------------------------------------------------------------------ commands

    @Command(name = "create", mixinStandardHelpOptions = true, description = "Create a ring (exclusively: fails if NAME exists).")
    static final class Create implements Callable<Integer> {
        @Mixin Common.DebugOption debug;
        @Mixin CapacityOption capacity;
        @Parameters(paramLabel = "NAME") String name;
        @Option(names = "--kind", paramLabel = "KIND", defaultValue = "mpmc",
                description = {"spsc (one sender and one receiver at a time), mpsc (many senders, one receiver),",
                        "or mpmc (any number of each; the default, safe for any shell use)."})
        String kind;
        @Option(names = "--mode", paramLabel = "MODE", defaultValue = "0600", converter = Common.ModeConverter.class,
                description = "Permissions in octal (default: ${DEFAULT-VALUE}).")
        int mode;

        @Override
        public Integer call() {
            RingKind k;
            try {
                k = RingKind.valueOf(kind.toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new UsageException("--kind must be spsc, mpsc or mpmc, was '" + kind + "'");
            }
            SharedRing.open(name, OpenMode.CREATE_EXCLUSIVE, capacity.checked(), k, mode).close();
            return Main.OK;
        }
    }

    @Command(name = "send", mixinStandardHelpOptions = true,
            description = {"Send each line of stdin as one message (type id 1).",
                    "Lines go out as they arrive, without their newline. Waits while the ring is full; --timeout T gives up "
                            + "when it stays full for T (exit status 3; the lines before were sent). A line longer than the ring's "
                            + "largest message is an error (exit status 1)."})
    static final class Send implements Callable<Integer> {
        @Mixin Common.DebugOption debug;
        @Mixin SyncCommands.TimeoutOption timeout;
        @Spec CommandSpec spec;
        @Parameters(paramLabel = "NAME") String name;

        @Override
        public Integer call() throws InterruptedException {
            try (SharedRing ring = SharedRing.open(name)) {
                Lines lines = new Lines(Io.in);
                for (byte[] line; (line = lines.next()) != null; ) {
                    if (line.length > ring.maxPayload()) {
                        throw new IllegalArgumentException("line " + lines.number + " has " + line.length + " bytes; ring " + ring.name()
                                + " takes messages of at most " + ring.maxPayload());
                    }
                    if (timeout.timeout == null) {
                        ring.put(TYPE_ID, line);
                    } else if (!ring.offer(TYPE_ID, line, timeout.timeout.toNanos(), TimeUnit.NANOSECONDS)) {
                        return SyncCommands.timedOut(spec, "sending line " + lines.number + " to " + ring.name() + " (the ring stayed full)",
                                timeout.timeout);
                    }
                }
            }
            return Main.OK;
        }
    }

    @Command(name = "recv", mixinStandardHelpOptions = true,
            description = {"Receive messages and print each one as a line.",
                    "Each message is printed as it arrives: its bytes, then a newline.",
                    "Without --count or --timeout: runs until killed. --count N: stops after N messages (exit status 0). "
                            + "--timeout T bounds the whole command: when T elapses, the exit status is 3 if fewer than N "
                            + "messages arrived (with --count) or none at all (without --count), and 0 otherwise. "
                            + "--timeout 0 prints what is there now."})
    static final class Recv implements Callable<Integer> {
        @Mixin Common.DebugOption debug;
        @Mixin SyncCommands.TimeoutOption timeout;
        @Mixin CountOption count;
        @Spec CommandSpec spec;
        @Parameters(paramLabel = "NAME") String name;

        @Override
        public Integer call() throws InterruptedException {
            Long n = count.checked();
            try (SharedRing ring = SharedRing.open(name)) {
                byte[] scratch = new byte[ring.maxPayload()];
                MessageHandler print = (type, buffer, index, length) -> {
                    java.lang.foreign.MemorySegment.copy(buffer, ValueLayout.JAVA_BYTE, index, scratch, 0, length);
                    writeLine(scratch, length);
                };
                return receive(spec, ring.name(), n, timeout.timeout,
                        (max, wait) -> ring.poll(print, max, wait, TimeUnit.NANOSECONDS));
            }
        }
    }

    @Command(name = "stat", mixinStandardHelpOptions = true,
            description = {"Print the ring's capacity, use, peers and counters.", "One 'key: value' per line."})
    static final class Stat implements Callable<Integer> {
        @Mixin Common.DebugOption debug;
        @Spec CommandSpec spec;
        @Parameters(paramLabel = "NAME") String name;

        @Override
        public Integer call() {
            try (SharedRing ring = SharedRing.open(name)) {
                PrintWriter out = spec.commandLine().getOut();
                int[] live = ring.liveParticipants();
                out.println("name: " + ring.name());
                out.println("kind: " + kindName(ring.kind()));
                out.println("capacity: " + ring.capacity());
                out.println("max-message: " + ring.maxPayload());
                out.println("used: " + ring.used());
                out.println("free: " + (ring.capacity() - ring.used()));
                out.println("head: " + ring.headPosition());
                out.println("tail: " + ring.tailPosition());
                out.println("producers-live: " + live[0]);
                out.println("consumers-live: " + live[1]);
                out.println("producers: " + ring.producerState().name().toLowerCase(Locale.ROOT));
                out.println("consumers: " + ring.consumerState().name().toLowerCase(Locale.ROOT));
                out.println("recovered-records: " + ring.recoveredRecords());
                out.println("redeliveries: " + ring.redeliveries());
                out.println("clean: " + ring.cleanPosition());
                out.println("layout-version: " + SharedRing.layoutVersion());
                out.flush();
            }
            return Main.OK;
        }
    }

    @Command(name = "rm", mixinStandardHelpOptions = true, description = "Remove the ring's name (processes that have it open keep it).")
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
