package dev.shmkit.cli;

import dev.shmkit.objects.SharedMap;
import dev.shmkit.objects.StoreStats;
import dev.shmkit.queue.Codec;
import dev.shmkit.shm.OpenMode;
import dev.shmkit.shm.SharedMemory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;

/**
 * {@code shmkit map ...}: shared maps ({@link SharedMap}) of strings, the objects Java opens with
 * {@code SharedMap.open(name, Codec.string(), Codec.string())}.
 */
@Command(name = "map", mixinStandardHelpOptions = true,
        description = {"Shared maps of strings in shared memory (Python's Manager().dict(),",
                "without a server). 'put' creates a missing map with the default capacity;",
                "'create' chooses capacity, data size and mode."},
        subcommands = {MapCommand.Create.class, MapCommand.Put.class, MapCommand.Get.class, MapCommand.Del.class,
                MapCommand.Ls.class, MapCommand.Info.class, MapCommand.Rm.class})
final class MapCommand {
    private MapCommand() {}

    static SharedMap<String, String> open(String name) {
        return SharedMap.open(name, Codec.string(), Codec.string());
    }

    static int absent(CommandSpec spec, String key, String map) {
        PrintWriter err = spec.commandLine().getErr();
        err.println("shmkit " + spec.qualifiedName(" ").substring("shmkit ".length()) + ": no key '" + key + "' in map " + map);
        err.flush();
        return Main.FAILURE;
    }

    @Command(name = "create", mixinStandardHelpOptions = true, description = "Create a map (exclusively: fails if NAME exists).")
    static final class Create implements Callable<Integer> {
        @Mixin Common.DebugOption debug;
        @Parameters(paramLabel = "NAME") String name;
        @Option(names = "--capacity", paramLabel = "N", defaultValue = "" + SharedMap.DEFAULT_CAPACITY,
                description = "Most entries it holds (default: ${DEFAULT-VALUE}).")
        long capacity;
        @Option(names = "--data", paramLabel = "BYTES", defaultValue = "256K", converter = Common.SizeConverter.class,
                description = "Bytes for keys and values, 16 bytes of overhead per entry (default: ${DEFAULT-VALUE}).")
        long dataBytes;
        @Option(names = "--mode", paramLabel = "MODE", defaultValue = "0600", converter = Common.ModeConverter.class,
                description = "Permissions in octal (default: ${DEFAULT-VALUE}).")
        int mode;

        @Override
        public Integer call() {
            try {
                SharedMap.byteSize(capacity, dataBytes);
            } catch (IllegalArgumentException e) {
                throw new UsageException(e.getMessage());
            }
            SharedMap.open(name, OpenMode.CREATE_EXCLUSIVE, Codec.string(), Codec.string(), capacity, dataBytes, mode).close();
            return Main.OK;
        }
    }

    @Command(name = "put", mixinStandardHelpOptions = true, description = "Map KEY to VALUE, creating the map when missing.")
    static final class Put implements Callable<Integer> {
        @Mixin Common.DebugOption debug;
        @Spec CommandSpec spec;
        @Parameters(index = "0", paramLabel = "NAME") String name;
        @Parameters(index = "1", paramLabel = "KEY") String key;
        @Parameters(index = "2", paramLabel = "VALUE") String value;

        @Override
        public Integer call() {
            try (SharedMap<String, String> m = SharedMap.openOrCreate(name, Codec.string(), Codec.string(),
                    SharedMap.DEFAULT_CAPACITY, SharedMap.DEFAULT_DATA_BYTES)) {
                m.put(key, value);
            }
            return Main.OK;
        }
    }

    @Command(name = "get", mixinStandardHelpOptions = true, description = "Print KEY's value; exit status 1 when there is none.")
    static final class Get implements Callable<Integer> {
        @Mixin Common.DebugOption debug;
        @Spec CommandSpec spec;
        @Parameters(index = "0", paramLabel = "NAME") String name;
        @Parameters(index = "1", paramLabel = "KEY") String key;

        @Override
        public Integer call() {
            try (SharedMap<String, String> m = open(name)) {
                String v = m.get(key);
                if (v == null) return absent(spec, key, m.name());
                spec.commandLine().getOut().println(v);
                spec.commandLine().getOut().flush();
            }
            return Main.OK;
        }
    }

    @Command(name = "del", mixinStandardHelpOptions = true, description = "Remove KEY; exit status 1 when there is none.")
    static final class Del implements Callable<Integer> {
        @Mixin Common.DebugOption debug;
        @Spec CommandSpec spec;
        @Parameters(index = "0", paramLabel = "NAME") String name;
        @Parameters(index = "1", paramLabel = "KEY") String key;

        @Override
        public Integer call() {
            try (SharedMap<String, String> m = open(name)) {
                return m.remove(key) == null ? absent(spec, key, m.name()) : Main.OK;
            }
        }
    }

    @Command(name = "ls", mixinStandardHelpOptions = true,
            description = "Print every entry as KEY<TAB>VALUE, sorted by key (a snapshot).")
    static final class Ls implements Callable<Integer> {
        @Mixin Common.DebugOption debug;
        @Spec CommandSpec spec;
        @Parameters(paramLabel = "NAME") String name;

        @Override
        public Integer call() {
            Map<String, String> all;
            try (SharedMap<String, String> m = open(name)) {
                all = new TreeMap<>(m.snapshot());
            }
            PrintWriter out = spec.commandLine().getOut();
            all.forEach((k, v) -> out.println(k + "\t" + v));
            out.flush();
            return Main.OK;
        }
    }

    @Command(name = "info", mixinStandardHelpOptions = true,
            description = {"Print size, capacity and storage figures, one 'key: value' per line.",
                    "Reads any map, whatever its codecs."})
    static final class Info implements Callable<Integer> {
        @Mixin Common.DebugOption debug;
        @Spec CommandSpec spec;
        @Parameters(paramLabel = "NAME") String name;

        @Override
        public Integer call() {
            try (SharedMap<byte[], byte[]> m = SharedMap.open(name, Codec.bytes(), Codec.bytes())) {
                StoreStats s = m.stats();
                PrintWriter out = spec.commandLine().getOut();
                out.println("name: " + m.name());
                out.println("size: " + s.size());
                out.println("capacity: " + s.capacity());
                out.println("data-bytes: " + s.dataBytes());
                out.println("used-bytes: " + s.usedBytes());
                out.println("garbage-bytes: " + s.garbageBytes());
                out.println("compactions: " + s.epoch());
                out.println("repairs: " + s.repairs());
                out.println("object-bytes: " + s.byteSize());
                out.flush();
            }
            return Main.OK;
        }
    }

    @Command(name = "rm", mixinStandardHelpOptions = true, description = "Remove maps (processes that have them open keep them).")
    static final class Rm implements Callable<Integer> {
        @Mixin Common.DebugOption debug;
        @Parameters(paramLabel = "NAME", arity = "1..*") List<String> names;
        @Option(names = {"-f", "--force"}, description = "Do not fail when a map does not exist.") boolean force;

        @Override
        public Integer call() {
            return SyncCommands.removeShm(names, force);
        }
    }
}
