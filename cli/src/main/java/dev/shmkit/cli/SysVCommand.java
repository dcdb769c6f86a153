package dev.shmkit.cli;

import dev.shmkit.internal.nativeaccess.Consts;
import dev.shmkit.internal.nativeaccess.Errno;
import dev.shmkit.os.Platform;
import dev.shmkit.shm.SysVSharedMemory;
import dev.shmkit.shm.SysVStat;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;

/** {@code shmkit sysv ...}: System V shared memory segments. */
@Command(name = "sysv", mixinStandardHelpOptions = true,
        description = "System V shared memory segments (shmget/shmat), as ipcs -m shows them.",
        subcommands = {SysVCommand.Create.class, SysVCommand.Write.class, SysVCommand.Read.class,
                SysVCommand.Info.class, SysVCommand.Rm.class, SysVCommand.Ls.class})
final class SysVCommand {

    /** {@code --key KEY} or {@code --id ID}: which segment. */
    static final class Target {
        @Option(names = "--key", required = true, paramLabel = "KEY", converter = Common.KeyConverter.class,
                description = "The segment's key, decimal or 0x hex as ipcs prints it.")
        Integer key;
        @Option(names = "--id", required = true, paramLabel = "ID", description = "The segment's id, as ipcs prints it.")
        Integer id;

        SysVSharedMemory attach() {
            return key != null ? SysVSharedMemory.open(key) : SysVSharedMemory.attachById(id);
        }

        int resolveId() {
            return key != null ? SysVSharedMemory.idOf(key) : id;
        }
    }

    @Command(name = "create", mixinStandardHelpOptions = true,
            description = "Create a new segment under KEY (exclusively) and print its id.")
    static final class Create implements Callable<Integer> {
        @Mixin Common.DebugOption debug;
        @Spec CommandSpec spec;
        @Option(names = "--key", required = true, paramLabel = "KEY", converter = Common.KeyConverter.class,
                description = "Decimal or 0x hex; 0 (IPC_PRIVATE) creates a private segment.")
        int key;
        @Option(names = "--size", required = true, paramLabel = "BYTES", converter = Common.SizeConverter.class,
                description = "Size in bytes (suffixes K, M, G allowed).")
        long size;
        @Option(names = "--mode", paramLabel = "MODE", defaultValue = "0600", converter = Common.ModeConverter.class,
                description = "Permissions in octal (default: ${DEFAULT-VALUE}).")
        int mode;

        @Override
        public Integer call() {
            if (size <= 0) throw new UsageException("--size must be positive, was " + size);
            try (SysVSharedMemory s = key == Consts.IPC_PRIVATE
                    ? SysVSharedMemory.createPrivate(size, mode) : SysVSharedMemory.create(key, size, mode)) {
                spec.commandLine().getOut().println(s.id());
                spec.commandLine().getOut().flush();
            }
            return Main.OK;
        }
    }

    @Command(name = "write", mixinStandardHelpOptions = true,
            description = "Copy stdin into the segment at --offset. Nothing is written unless all of it fits.")
    static final class Write implements Callable<Integer> {
        @Mixin Common.DebugOption debug;
        @ArgGroup(multiplicity = "1") Target target;
        @Option(names = "--offset", paramLabel = "N", defaultValue = "0", converter = Common.SizeConverter.class,
                description = "Byte offset to start at (default: 0).")
        long offset;

        @Override
        public Integer call() {
            byte[] data = Bytes.readStdin(Io.in);
            try (SysVSharedMemory s = target.attach()) {
                Bytes.checkRange("sysv write id " + s.id(), s.size(), offset, data.length);
                Bytes.write(s.segment(), offset, data);
            }
            return Main.OK;
        }
    }

    @Command(name = "read", mixinStandardHelpOptions = true, description = "Copy the segment's bytes to stdout.")
    static final class Read implements Callable<Integer> {
        @Mixin Common.DebugOption debug;
        @ArgGroup(multiplicity = "1") Target target;
        @Option(names = "--offset", paramLabel = "N", defaultValue = "0", converter = Common.SizeConverter.class,
                description = "Byte offset to start at (default: 0).")
        long offset;
        @Option(names = "--length", paramLabel = "N", converter = Common.SizeConverter.class,
                description = "How many bytes (default: to the end).")
        Long length;

        @Override
        public Integer call() {
            try (SysVSharedMemory s = target.attach()) {
                long len = length != null ? length : Math.max(0, s.size() - offset);
                Bytes.checkRange("sysv read id " + s.id(), s.size(), offset, len);
                Bytes.copyOut(s.segment(), offset, len, Io.out);
            }
            return Main.OK;
        }
    }

    @Command(name = "info", mixinStandardHelpOptions = true,
            description = "Print what shmctl(IPC_STAT) says, one 'key: value' per line.")
    static final class Info implements Callable<Integer> {
        @Mixin Common.DebugOption debug;
        @Spec CommandSpec spec;
        @ArgGroup(multiplicity = "1") Target target;

        @Override
        public Integer call() {
            SysVStat st = SysVSharedMemory.stat(target.resolveId());
            var out = spec.commandLine().getOut();
            out.println("key: " + Common.hexKey(st.key()));
            out.println("id: " + st.id());
            out.println("size: " + st.size());
            out.println("mode: " + Common.octal(st.permissions()));
            out.println("uid: " + st.uid());
            out.println("gid: " + st.gid());
            out.println("attached: " + st.attachCount());
            out.println("creator-pid: " + st.creatorPid());
            out.println("last-pid: " + st.lastPid());
            out.println("changed: " + st.lastChange());
            out.flush();
            return Main.OK;
        }
    }

    @Command(name = "rm", mixinStandardHelpOptions = true,
            description = "Mark the segment for removal (it goes when the last process detaches), like ipcrm.")
    static final class Rm implements Callable<Integer> {
        @Mixin Common.DebugOption debug;
        @ArgGroup(multiplicity = "1") Target target;
        @Option(names = {"-f", "--force"}, description = "Do not fail when there is no such segment.")
        boolean force;

        @Override
        public Integer call() {
            boolean removed = target.key != null ? SysVSharedMemory.remove(target.key) : SysVSharedMemory.removeById(target.id);
            if (!removed && !force) {
                throw Errno.exception("shmctl", (target.key != null ? "key " + Common.hexKey(target.key) : "id " + target.id)
                        + ", IPC_RMID", Consts.ENOENT, "no such segment");
            }
            return Main.OK;
        }
    }

    @Command(name = "ls", mixinStandardHelpOptions = true,
            description = {"List System V shared memory segments.",
                    "Columns: KEY ID SIZE MODE ATTACHED CPID UID (Linux: from /proc/sysvipc/shm)."})
    static final class Ls implements Callable<Integer> {
        @Mixin Common.DebugOption debug;
        @Spec CommandSpec spec;

        @Override
        public Integer call() throws Exception {
            var out = spec.commandLine().getOut();
            if (!Platform.current().isLinux()) {
                // macOS has no /proc: ipcs is the system's own lister.
                Process p = new ProcessBuilder("ipcs", "-m").inheritIO().start();
                return p.waitFor() == 0 ? Main.OK : Main.FAILURE;
            }
            List<String> lines;
            try {
                lines = Files.readAllLines(Path.of("/proc/sysvipc/shm"));
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read /proc/sysvipc/shm", e);
            }
            out.printf("%-10s %10s %12s %5s %8s %8s %6s%n", "KEY", "ID", "SIZE", "MODE", "ATTACHED", "CPID", "UID");
            // key shmid perms size cpid lpid nattch uid gid cuid cgid atime dtime ctime rss swap
            for (String line : lines.subList(Math.min(1, lines.size()), lines.size())) {
                String[] f = line.trim().split("\\s+");
                if (f.length < 8) continue;
                int key = (int) Long.parseLong(f[0]);
                out.printf("%-10s %10s %12s %5s %8s %8s %6s%n", Common.hexKey(key), f[1], f[3],
                        Common.octal(Integer.parseInt(f[2], 8) & 0777), f[6], f[4], f[7]);
            }
            out.flush();
            return Main.OK;
        }
    }
}
