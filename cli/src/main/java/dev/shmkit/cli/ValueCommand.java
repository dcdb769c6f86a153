package dev.shmkit.cli;

import dev.shmkit.objects.ElementType;
import dev.shmkit.objects.SharedValue;
import dev.shmkit.os.ObjectExistsException;
import dev.shmkit.os.ObjectNotFoundException;
import dev.shmkit.shm.OpenMode;
import dev.shmkit.shm.SharedMemory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * {@code shmkit value ...}: shared values ({@link SharedValue}), the objects Java opens with
 * {@code SharedValue.OfLong.open(name)} and the others.
 */
@Command(name = "value", mixinStandardHelpOptions = true,
        description = {"Shared values: a number, boolean or short text in shared memory",
                "(Python's multiprocessing.Value). 'set' and 'add' create a missing value:",
                "a long for an integer, a double for a decimal, a boolean for true/false",
                "(or --type); 'create' chooses the type, the lock and the mode."},
        subcommands = {ValueCommand.Create.class, ValueCommand.Set.class, ValueCommand.Get.class, ValueCommand.Add.class,
                ValueCommand.Info.class, ValueCommand.Rm.class})
final class ValueCommand {
    private ValueCommand() {}

    static final int DEFAULT_BYTES = 64;

    /** {@code --type}: int, long, double, boolean or bytes (UTF-8 text from the shell). */
    static ElementType type(String t) {
        if (t == null) return null;
        return switch (t.toLowerCase(Locale.ROOT)) {
            case "int" -> ElementType.INT;
            case "long" -> ElementType.LONG;
            case "double" -> ElementType.DOUBLE;
            case "boolean", "bool" -> ElementType.BOOLEAN;
            case "bytes", "string", "text" -> ElementType.BYTES;
            default -> throw new UsageException("--type must be int, long, double, boolean or bytes, not '" + t + "'");
        };
    }

    /** The type a missing value gets from the text it is first set to. */
    static ElementType infer(String v) {
        String t = v.trim();
        if (t.equals("true") || t.equals("false")) return ElementType.BOOLEAN;
        try {
            Long.parseLong(t);
            return ElementType.LONG;
        } catch (NumberFormatException ignored) {
            // not an integer
        }
        try {
            Double.parseDouble(t);
            return ElementType.DOUBLE;
        } catch (NumberFormatException ignored) {
            throw new UsageException("'" + v + "' is not a number or true/false: create a text value first with"
                    + " 'shmkit value create NAME --type bytes'");
        }
    }

    /** Creates the value (exclusively) holding {@code text}, or opens an existing one when {@code mode} allows. */
    static SharedValue open(String name, OpenMode mode, ElementType type, String text, boolean lock, int maxBytes, int permissions) {
        return switch (type) {
            case INT -> SharedValue.OfInt.open(name, mode, text == null ? 0 : parseInt(text), lock, permissions);
            case LONG -> SharedValue.OfLong.open(name, mode, text == null ? 0 : parseLong(text), lock, permissions);
            case DOUBLE -> SharedValue.OfDouble.open(name, mode, text == null ? 0 : parseDouble(text), lock, permissions);
            case BOOLEAN -> SharedValue.OfBoolean.open(name, mode, text != null && parseBoolean(text), lock, permissions);
            case BYTES -> SharedValue.OfBytes.open(name, mode, maxBytes,
                    text == null ? new byte[0] : text.getBytes(StandardCharsets.UTF_8), permissions);
            case BYTE -> throw new UsageException("a value cannot be of type byte");
        };
    }

    static int parseInt(String v) {
        try {
            return Integer.parseInt(v.trim());
        } catch (NumberFormatException e) {
            throw new UsageException("'" + v + "' is not an int");
        }
    }

    static long parseLong(String v) {
        try {
            return Long.parseLong(v.trim());
        } catch (NumberFormatException e) {
            throw new UsageException("'" + v + "' is not a long");
        }
    }

    static double parseDouble(String v) {
        try {
            return Double.parseDouble(v.trim());
        } catch (NumberFormatException e) {
            throw new UsageException("'" + v + "' is not a number");
        }
    }

    static boolean parseBoolean(String v) {
        return switch (v.trim().toLowerCase(Locale.ROOT)) {
            case "true", "1", "yes" -> true;
            case "false", "0", "no" -> false;
            default -> throw new UsageException("'" + v + "' is not true or false");
        };
    }

    /** Sets {@code v} to {@code text}, parsed for its type. */
    static void set(SharedValue v, String text) {
        switch (v) {
            case SharedValue.OfInt i -> i.set(parseInt(text));
            case SharedValue.OfLong l -> l.set(parseLong(text));
            case SharedValue.OfDouble d -> d.set(parseDouble(text));
            case SharedValue.OfBoolean b -> b.set(parseBoolean(text));
            case SharedValue.OfBytes b -> {
                byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
                if (bytes.length > b.maxBytes()) {
                    throw new UsageException("'" + text + "' is " + bytes.length + " bytes; " + b.name() + " holds at most " + b.maxBytes());
                }
                b.set(bytes);
            }
        }
    }

    private static void print(CommandSpec spec, String line) {
        spec.commandLine().getOut().println(line);
        spec.commandLine().getOut().flush();
    }

    @Command(name = "create", mixinStandardHelpOptions = true, description = "Create a value (exclusively: fails if NAME exists).")
    static final class Create implements Callable<Integer> {
        @Mixin Common.DebugOption debug;
        @Parameters(paramLabel = "NAME") String name;
        @Option(names = {"-t", "--type"}, paramLabel = "TYPE", defaultValue = "long",
                description = "int, long, double, boolean or bytes (default: ${DEFAULT-VALUE}).")
        String type;
        @Option(names = "--initial", paramLabel = "V", description = "Initial value (default: 0, false or empty).")
        String initial;
        @Option(names = "--lock", description = "Give it a lock, for compound updates from Java (bytes values always have one).")
        boolean lock;
        @Option(names = "--max-bytes", paramLabel = "N", defaultValue = "" + DEFAULT_BYTES,
                description = "For --type bytes: the most bytes it holds (default: ${DEFAULT-VALUE}).")
        int maxBytes;
        @Option(names = "--mode", paramLabel = "MODE", defaultValue = "0600", converter = Common.ModeConverter.class,
                description = "Permissions in octal (default: ${DEFAULT-VALUE}).")
        int mode;

        @Override
        public Integer call() {
            ElementType t = type(type);
            if (maxBytes < 0) throw new UsageException("--max-bytes must not be negative, was " + maxBytes);
            open(name, OpenMode.CREATE_EXCLUSIVE, t, initial, lock, maxBytes, mode).close();
            return Main.OK;
        }
    }

    @Command(name = "set", mixinStandardHelpOptions = true,
            description = {"Set the value to V, creating it when missing.", "Its type comes from --type, else from V."})
    static final class Set implements Callable<Integer> {
        @Mixin Common.DebugOption debug;
        @Parameters(index = "0", paramLabel = "NAME") String name;
        @Parameters(index = "1", paramLabel = "V") String value;
        @Option(names = {"-t", "--type"}, paramLabel = "TYPE", description = "Type of a value this creates: int, long, double, boolean or bytes.")
        String type;

        @Override
        public Integer call() {
            ElementType t = type(type);
            int maxBytes = Math.max(DEFAULT_BYTES, value.getBytes(StandardCharsets.UTF_8).length);
            try (SharedValue v = openOrCreate(name, () -> t != null ? t : infer(value), value, maxBytes)) {
                if (t != null && v.type() != t) {
                    throw new IllegalStateException("value " + v.name() + " is of type " + v.type().label() + ", not " + t.label());
                }
                set(v, value);
            }
            return Main.OK;
        }
    }

    @Command(name = "get", mixinStandardHelpOptions = true, description = "Print the value.")
    static final class Get implements Callable<Integer> {
        @Mixin Common.DebugOption debug;
        @Spec CommandSpec spec;
        @Parameters(paramLabel = "NAME") String name;

        @Override
        public Integer call() {
            try (SharedValue v = SharedValue.open(name)) {
                print(spec, v.text());
            }
            return Main.OK;
        }
    }

    @Command(name = "add", mixinStandardHelpOptions = true,
            description = {"Add DELTA atomically and print the new value.",
                    "A missing value is created as 0 first (a long for an integer DELTA,",
                    "a double for a decimal one)."})
    static final class Add implements Callable<Integer> {
        @Mixin Common.DebugOption debug;
        @Spec CommandSpec spec;
        @Parameters(index = "0", paramLabel = "NAME") String name;
        @Parameters(index = "1", paramLabel = "DELTA") String delta;

        @Override
        public Integer call() {
            ElementType inferred = infer(delta);
            if (inferred == ElementType.BOOLEAN) throw new UsageException("DELTA must be a number, not '" + delta + "'");
            try (SharedValue v = openOrCreate(name, () -> inferred, null, 0)) {
                String result = switch (v) {
                    case SharedValue.OfLong l -> Long.toString(l.addAndGet(parseLong(delta)));
                    case SharedValue.OfInt i -> Integer.toString(i.addAndGet(parseInt(delta)));
                    case SharedValue.OfDouble d -> Double.toString(d.addAndGet(parseDouble(delta)));
                    default -> throw new IllegalStateException("value " + v.name() + " is of type " + v.type().label()
                            + ": only int, long and double values can be added to");
                };
                print(spec, result);
            }
            return Main.OK;
        }
    }

    /** Opens the existing value of any type, or creates one of {@code type.get()} holding {@code initial} (0600). */
    static SharedValue openOrCreate(String name, java.util.function.Supplier<ElementType> type, String initial, int maxBytes) {
        while (true) {
            try {
                return SharedValue.open(name);
            } catch (ObjectNotFoundException missing) {
                try {
                    return open(name, OpenMode.CREATE_EXCLUSIVE, type.get(), initial, false, maxBytes, SharedMemory.DEFAULT_PERMISSIONS);
                } catch (ObjectExistsException createdMeanwhile) {
                    // another process created it first: open that one
                }
            }
        }
    }

    @Command(name = "info", mixinStandardHelpOptions = true, description = "Print type, lock, size and value, one 'key: value' per line.")
    static final class Info implements Callable<Integer> {
        @Mixin Common.DebugOption debug;
        @Spec CommandSpec spec;
        @Parameters(paramLabel = "NAME") String name;

        @Override
        public Integer call() {
            try (SharedValue v = SharedValue.open(name)) {
                var out = spec.commandLine().getOut();
                out.println("name: " + v.name());
                out.println("type: " + v.type().label());
                if (v instanceof SharedValue.OfBytes b) out.println("max-bytes: " + b.maxBytes());
                out.println("lock: " + (v.hasLock() ? "yes" : "no"));
                if (v.hasLock()) {
                    out.println("lock-owner-pid: " + v.lock().ownerPid());
                    out.println("lock-recoveries: " + v.lock().recoveries());
                }
                out.println("size: " + v.byteSize());
                out.println("value: " + v.text());
                out.flush();
            }
            return Main.OK;
        }
    }

    @Command(name = "rm", mixinStandardHelpOptions = true, description = "Remove values (processes that have them open keep them).")
    static final class Rm implements Callable<Integer> {
        @Mixin Common.DebugOption debug;
        @Parameters(paramLabel = "NAME", arity = "1..*") List<String> names;
        @Option(names = {"-f", "--force"}, description = "Do not fail when a value does not exist.") boolean force;

        @Override
        public Integer call() {
            return SyncCommands.removeShm(names, force);
        }
    }
}
