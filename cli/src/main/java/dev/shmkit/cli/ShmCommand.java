package dev.shmkit.cli;

import dev.shmkit.internal.nativeaccess.Consts;
import dev.shmkit.internal.nativeaccess.Errno;
import dev.shmkit.os.Platform;
import dev.shmkit.shm.ObjectInfo;
import dev.shmkit.shm.SharedMemory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.stream.Stream;

/** {@code shmkit shm ...}: POSIX shared memory objects. */
@Command(name = "shm", mixinStandardHelpOptions = true,
        description = "POSIX shared memory objects (shm_open). NAME is 'jobs' or '/jobs'.",
        subcommands = {ShmCommand.Create.class, ShmCommand.Write.class, ShmCommand.Read.class,
                ShmCommand.Info.class, ShmCommand.Ls.class, ShmCommand.Rm.class})
final class ShmCommand {

    @Command(name = "create", mixinStandardHelpOptions = true,
            description = "Create a new object (exclusively: fails if NAME exists).")
    static final class Create implements Callable<Integer> {
        @Mixin Common.DebugOption debug;
        @Parameters(paramLabel = "NAME") String name;
        @Option(names = "--size", required = true, paramLabel = "BYTES", converter = Common.SizeConverter.class,
                description = "Size in bytes (suffixes K, M, G allowed).")
        long size;
        @Option(names = "--mode", paramLabel = "MODE", defaultValue = "0600", converter = Common.ModeConverter.class,
                description = "Permissions in octal (default: ${DEFAULT-VALUE}).")
        int mode;

        @Override
        public Integer call() {
            if (size <= 0) throw new UsageException("--size must be positive, was " + size);
            SharedMemory.create(name, size, mode).close();
            return Main.OK;
        }
    }

    @Command(name = "write", mixinStandardHelpOptions = true,
            description = "Copy stdin into the object at --offset. Nothing is written unless all of it fits.")
    static final class Write implements Callable<Integer> {
        @Mixin Common.DebugOption debug;
        @Parameters(paramLabel = "NAME") String name;
        @Option(names = "--offset", paramLabel = "N", defaultValue = "0", converter = Common.SizeConverter.class,
                description = "Byte offset to start at (default: 0).")
        long offset;

        @Override
        public Integer call() {
            byte[] data = Bytes.readStdin(Io.in);
            try (SharedMemory shm = SharedMemory.open(name)) {
                Bytes.checkRange("shm write " + shm.name(), shm.size(), offset, data.length);
                Bytes.write(shm.segment(), offset, data);
            }
            return Main.OK;
        }
    }

    @Command(name = "read", mixinStandardHelpOptions = true,
            description = "Copy the object's bytes to stdout.")
    static final class Read implements Callable<Integer> {
        @Mixin Common.DebugOption debug;
        @Parameters(paramLabel = "NAME") String name;
        @Option(names = "--offset", paramLabel = "N", defaultValue = "0", converter = Common.SizeConverter.class,
                description = "Byte offset to start at (default: 0).")
        long offset;
        @Option(names = "--length", paramLabel = "N", converter = Common.SizeConverter.class,
                description = "How many bytes (default: to the end).")
        Long length;

        @Override
        public Integer call() {
            try (SharedMemory shm = SharedMemory.openReadOnly(name)) {
                long len = length != null ? length : Math.max(0, shm.size() - offset);
                Bytes.checkRange("shm read " + shm.name(), shm.size(), offset, len);
                Bytes.copyOut(shm.segment(), offset, len, Io.out);
            }
            return Main.OK;
        }
    }

    @Command(name = "info", mixinStandardHelpOptions = true,
            description = "Print size, permissions and owner, one 'key: value' per line.")
    static final class Info implements Callable<Integer> {
        @Mixin Common.DebugOption debug;
        @Spec CommandSpec spec;
        @Parameters(paramLabel = "NAME") String name;

        @Override
        public Integer call() {
            ObjectInfo info = SharedMemory.info(name);
            var out = spec.commandLine().getOut();
            out.println("name: " + info.name());
            out.println("size: " + info.size());
            out.println("mode: " + Common.octal(info.permissions()));
            out.println("uid: " + info.uid());
            out.println("gid: " + info.gid());
            Path path = Path.of("/dev/shm", info.name().substring(1));
            if (Platform.current().isLinux() && Files.exists(path)) {
                try {
                    out.println("owner: " + Files.getOwner(path).getName());
                } catch (IOException ignored) {
                    // the uid line already says who owns it
                }
                out.println("path: " + path);
            }
            out.flush();
            return Main.OK;
        }
    }

    @Command(name = "ls", mixinStandardHelpOptions = true,
            description = {"List POSIX shared memory objects (Linux: the entries of /dev/shm).",
                    "Columns: NAME SIZE MODE OWNER KIND; KIND is 'sem' for a named semaphore, the kind of a shmkit object",
                    "(value, array, map, list, lock, rlock, condition, event, semaphore, barrier, ring), else 'shm'."})
    static final class Ls implements Callable<Integer> {
        @Mixin Common.DebugOption debug;
        @Spec CommandSpec spec;

        @Override
        public Integer call() {
            if (!Platform.current().isLinux()) {
                throw new UnsupportedOperationException("macOS offers no way to list POSIX shared memory objects; use 'shm info NAME'");
            }
            var out = spec.commandLine().getOut();
            List<Path> entries;
            try (Stream<Path> s = Files.list(Path.of("/dev/shm"))) {
                entries = s.sorted().toList();
            } catch (IOException e) {
                throw new UncheckedIOException("cannot list /dev/shm", e);
            }
            out.printf("%-40s %12s %5s %-10s %s%n", "NAME", "SIZE", "MODE", "OWNER", "KIND");
            for (Path p : entries) {
                try {
                    PosixFileAttributes a = Files.readAttributes(p, PosixFileAttributes.class);
                    if (!a.isRegularFile()) continue;
                    String file = p.getFileName().toString();
                    boolean sem = file.startsWith("sem.");
                    out.printf("%-40s %12d %5s %-10s %s%n", "/" + (sem ? file.substring(4) : file), a.size(),
                            Common.octal(bits(a.permissions())), a.owner().getName(), sem ? "sem" : kind(p));
                } catch (IOException ignored) {
                    // removed while listing
                }
            }
            out.flush();
            return Main.OK;
        }

        /** What a shmkit object holds, from its first bytes; "shm" for anything else or an unreadable object. */
        private static String kind(Path p) {
            byte[] head = new byte[dev.shmkit.objects.Kinds.PREFIX_BYTES];
            int n;
            try (java.io.InputStream in = Files.newInputStream(p)) {
                n = in.readNBytes(head, 0, head.length);
            } catch (IOException unreadable) {
                return "shm";
            }
            String kind = dev.shmkit.objects.Kinds.describe(head, n);
            return kind != null ? kind : "shm";
        }

        private static int bits(Set<PosixFilePermission> perms) {
            int m = 0;
            for (PosixFilePermission p : perms) m |= 0400 >> p.ordinal();
            return m;
        }
    }

    @Command(name = "rm", mixinStandardHelpOptions = true,
            description = "Unlink objects (processes that have them mapped keep their mapping).")
    static final class Rm implements Callable<Integer> {
        @Mixin Common.DebugOption debug;
        @Parameters(paramLabel = "NAME", arity = "1..*") List<String> names;
        @Option(names = {"-f", "--force"}, description = "Do not fail when an object does not exist.")
        boolean force;

        @Override
        public Integer call() {
            for (String n : names) {
                if (!SharedMemory.unlink(n) && !force) {
                    throw Errno.exception("shm_unlink", Errno.quote(SharedMemory.normalizeName(n)), Consts.ENOENT);
                }
            }
            return Main.OK;
        }
    }
}
