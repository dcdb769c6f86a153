package dev.shmkit.cli;

import dev.shmkit.internal.nativeaccess.Consts;
import dev.shmkit.internal.nativeaccess.Errno;
import dev.shmkit.signals.Fifo;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;

/** {@code shmkit fifo ...}: named pipes. */
@Command(name = "fifo", mixinStandardHelpOptions = true,
        description = {"Named pipes (mkfifo). Opening one end waits until another process opens the other end",
                "(--timeout bounds that wait: exit status 3)."},
        subcommands = {FifoCommand.Create.class, FifoCommand.Read.class, FifoCommand.Write.class, FifoCommand.Rm.class})
final class FifoCommand {

    @Command(name = "create", mixinStandardHelpOptions = true, description = "Create a FIFO at PATH (fails if PATH exists).")
    static final class Create implements Callable<Integer> {
        @Mixin Common.DebugOption debug;
        @Parameters(paramLabel = "PATH") Path path;
        @Option(names = "--mode", paramLabel = "MODE", defaultValue = "0600", converter = Common.ModeConverter.class,
                description = "Permissions in octal (default: ${DEFAULT-VALUE}; the umask may clear bits).")
        int mode;

        @Override
        public Integer call() {
            Fifo.create(path, mode);
            return Main.OK;
        }
    }

    @Command(name = "read", mixinStandardHelpOptions = true,
            description = {"Copy what writers send through the FIFO to stdout, until every writer has closed it.",
                    "Waits for a writer first; --timeout bounds that wait."})
    static final class Read implements Callable<Integer> {
        @Mixin Common.DebugOption debug;
        @Mixin SyncCommands.TimeoutOption timeout;
        @Spec CommandSpec spec;
        @Parameters(paramLabel = "PATH") Path path;

        @Override
        public Integer call() throws InterruptedException {
            Fifo fifo = Fifo.of(path);
            Optional<FileChannel> ch = timeout.timeout == null ? Optional.of(fifo.openReader()) : fifo.openReader(timeout.timeout);
            if (ch.isEmpty()) return SyncCommands.timedOut(spec, "waiting for a writer on " + path, timeout.timeout);
            try (FileChannel in = ch.get()) {
                OutputStream out = Io.out;
                ByteBuffer buf = ByteBuffer.allocate(64 * 1024);
                while (in.read(buf.clear()) >= 0) {
                    out.write(buf.array(), 0, buf.position());
                    out.flush(); // a pipeline downstream sees each chunk as it comes
                }
            } catch (IOException e) {
                throw new UncheckedIOException("fifo read " + path + ": " + e.getMessage(), e);
            }
            return Main.OK;
        }
    }

    @Command(name = "write", mixinStandardHelpOptions = true,
            description = {"Copy stdin into the FIFO, as it comes. Waits for a reader first; --timeout bounds that wait.",
                    "Fails (EPIPE) if the reader goes away before everything is written."})
    static final class Write implements Callable<Integer> {
        @Mixin Common.DebugOption debug;
        @Mixin SyncCommands.TimeoutOption timeout;
        @Spec CommandSpec spec;
        @Parameters(paramLabel = "PATH") Path path;

        @Override
        public Integer call() throws InterruptedException {
            Fifo fifo = Fifo.of(path);
            Optional<FileChannel> ch = timeout.timeout == null ? Optional.of(fifo.openWriter()) : fifo.openWriter(timeout.timeout);
            if (ch.isEmpty()) return SyncCommands.timedOut(spec, "waiting for a reader on " + path, timeout.timeout);
            try (FileChannel out = ch.get()) {
                InputStream in = Io.in;
                byte[] buf = new byte[64 * 1024];
                for (int n; (n = in.read(buf)) >= 0; ) {
                    ByteBuffer b = ByteBuffer.wrap(buf, 0, n);
                    while (b.hasRemaining()) {
                        try {
                            out.write(b);
                        } catch (IOException e) {
                            if (String.valueOf(e.getMessage()).contains("Broken pipe")) {
                                throw Errno.exception("write", Errno.quote(path.toString()), (int) Consts.value("EPIPE"),
                                        "Broken pipe: the reader closed the FIFO");
                            }
                            throw e;
                        }
                    }
                }
            } catch (IOException e) {
                throw new UncheckedIOException("fifo write " + path + ": " + e.getMessage(), e);
            }
            return Main.OK;
        }
    }

    @Command(name = "rm", mixinStandardHelpOptions = true, description = "Remove the FIFO's name (open ends keep working).")
    static final class Rm implements Callable<Integer> {
        @Mixin Common.DebugOption debug;
        @Parameters(paramLabel = "PATH", arity = "1..*") List<Path> paths;
        @Option(names = {"-f", "--force"}, description = "Do not fail when PATH does not exist.") boolean force;

        @Override
        public Integer call() {
            for (Path p : paths) {
                boolean exists = java.nio.file.Files.exists(p, java.nio.file.LinkOption.NOFOLLOW_LINKS);
                if (exists) Fifo.of(p); // refuse to remove what is not a FIFO
                if (!Fifo.unlink(p) && !force) throw Errno.exception("unlink", Errno.quote(p.toString()), Consts.ENOENT);
            }
            return Main.OK;
        }
    }
}
