package dev.shmkit.signals;

import dev.shmkit.internal.nativeaccess.Consts;
import dev.shmkit.internal.nativeaccess.Errno;
import dev.shmkit.internal.nativeaccess.FifosLibc;
import dev.shmkit.internal.nativeaccess.Libc;
import dev.shmkit.os.ObjectExistsException;
import dev.shmkit.os.ObjectNotFoundException;
import dev.shmkit.os.PermissionDeniedException;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A named pipe ({@code mkfifo}): a file system name through which unrelated processes stream
 * bytes, as {@code mkfifo}, {@code cat} and shell redirections ({@code echo hi > path}) use it.
 *
 * <h2>Creating and removing</h2>
 * {@link #create(Path)} makes a new FIFO with permissions {@code 0600} (the process umask may clear
 * more bits), exclusively: an existing name is an {@link ObjectExistsException}.
 * {@link #createIfAbsent} accepts an existing FIFO. {@link #unlink()} removes the name; ends that
 * are open keep working, and the pipe itself disappears with its last open end. A FIFO is never
 * removed automatically.
 *
 * <h2>Opening</h2>
 * Opening one end of a FIFO waits until the other end is opened too, by any process.
 * <ul>
 *   <li>{@link #openReader()} / {@link #openWriter()} wait as long as it takes, and
 *       {@link #openReader(Duration)} / {@link #openWriter(Duration)} at most the timeout (an empty
 *       result when no peer came; a timeout below 20 ms counts as 20 ms, so that a peer already
 *       waiting is found even with a zero timeout). Both honour interrupts
 *       ({@link InterruptedException}). The blocking {@code open(2)} runs on a short-lived helper
 *       thread, since a thread blocked in {@code open} cannot be interrupted; when the caller gives up, shmkit
 *       releases that thread by briefly opening the other end itself without blocking, and closes
 *       both. A peer opening at that very moment sees a FIFO opened and closed without data, which
 *       is indistinguishable from an impatient peer.</li>
 *   <li>The result is a blocking {@link FileChannel} (or {@link #newInputStream()} /
 *       {@link #newOutputStream()}): a read waits for data and returns -1 once every writer has
 *       closed and the pipe is empty; a write waits while the pipe is full and fails with an
 *       {@code IOException} ("Broken pipe") once no reader is left. Reads and writes are
 *       interruptible in the usual {@code InterruptibleChannel} way (the channel is closed and
 *       {@code ClosedByInterruptException} thrown).</li>
 *   <li>{@link #openNonBlockingReader()} never waits, and {@link #openNonBlockingWriter()} returns
 *       empty at once when no reader has the FIFO open; their channel's reads and writes return 0
 *       instead of waiting ({@link NonBlockingFifoChannel}).</li>
 * </ul>
 *
 * <p>A writer that dies leaves its readers at end-of-file; a reader that dies makes its writers'
 * next write fail with EPIPE (a C program or shell without a SIGPIPE handler dies of SIGPIPE).
 * Bytes in the pipe when its last reader closes are discarded: a FIFO is a stream between live
 * processes, not storage. Writes of at most {@code PIPE_BUF} bytes (4096 on Linux, 512 on macOS)
 * are atomic, so several writers may send such records without interleaving.
 */
public final class Fifo {
    /** Permissions of a new FIFO unless told otherwise. */
    public static final int DEFAULT_PERMISSIONS = 0600;

    /** The shortest wait of a timed open: starting the helper thread and the open(2) take some of it. */
    static final long MIN_OPEN_WAIT_NANOS = 20_000_000L;

    private final Path path;

    private Fifo(Path path) {
        this.path = path;
    }

    /** Creates a new FIFO at {@code path} with permissions 0600; fails if the name exists. */
    public static Fifo create(Path path) {
        return create(path, DEFAULT_PERMISSIONS);
    }

    /**
     * Creates a new FIFO with {@code permissions} (e.g. {@code 0620}, minus the umask).
     *
     * @throws ObjectExistsException   when anything already has that name
     * @throws ObjectNotFoundException when the directory does not exist
     */
    public static Fifo create(Path path, int permissions) {
        Objects.requireNonNull(path, "path");
        checkPermissions(path, permissions);
        FifosLibc.mkfifo(path.toString(), permissions);
        return new Fifo(path);
    }

    /** Creates the FIFO, or takes the existing one if {@code path} already is a FIFO. */
    public static Fifo createIfAbsent(Path path, int permissions) {
        Objects.requireNonNull(path, "path");
        checkPermissions(path, permissions);
        try {
            FifosLibc.mkfifo(path.toString(), permissions);
            return new Fifo(path);
        } catch (ObjectExistsException e) {
            return of(path);
        }
    }

    /**
     * The existing FIFO at {@code path}.
     *
     * @throws ObjectNotFoundException                  when nothing has that name
     * @throws dev.shmkit.os.InvalidArgumentException when it is a regular file or a directory
     */
    public static Fifo of(Path path) {
        Objects.requireNonNull(path, "path");
        checkIsFifo(path, "open");
        return new Fifo(path);
    }

    private static void checkPermissions(Path path, int permissions) {
        if ((permissions & ~0777) != 0) {
            throw Errno.invalid("mkfifo", Errno.quote(path.toString()), Consts.EINVAL,
                    "permissions must be within 0777, was " + Libc.octal(permissions));
        }
    }

    private static void checkIsFifo(Path path, String call) {
        BasicFileAttributes a;
        try {
            a = Files.readAttributes(path, BasicFileAttributes.class);
        } catch (NoSuchFileException e) {
            throw Errno.exception(call, Errno.quote(path.toString()), Consts.ENOENT);
        } catch (AccessDeniedException e) {
            throw Errno.exception(call, Errno.quote(path.toString()), Consts.EACCES);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the attributes of " + path, e);
        }
        // Java has no FIFO test: a FIFO is "other" (not regular, not a directory); so are sockets and devices.
        if (a.isRegularFile() || a.isDirectory()) {
            throw Errno.invalid(call, Errno.quote(path.toString()), Consts.EINVAL,
                    "not a FIFO but a " + (a.isDirectory() ? "directory" : "regular file"));
        }
    }

    /** Removes the FIFO named {@code path}: false when nothing has that name. Open ends keep working. */
    public static boolean unlink(Path path) {
        return FifosLibc.unlink(path.toString());
    }

    /** Removes this FIFO's name; false when it was already gone. */
    public boolean unlink() {
        return unlink(path);
    }

    public Path path() {
        return path;
    }

    /** Whether the name still exists. */
    public boolean exists() {
        return Files.exists(path);
    }

    /** The permission bits, e.g. 0600. */
    public int permissions() {
        try {
            int mode = 0;
            for (PosixFilePermission p : Files.getPosixFilePermissions(path)) mode |= 1 << (8 - p.ordinal());
            return mode;
        } catch (NoSuchFileException e) {
            throw Errno.exception("stat", Errno.quote(path.toString()), Consts.ENOENT);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    // ------------------------------------------------------------------ blocking ends

    /**
     * Opens the read end, waiting until some process opens the write end.
     *
     * @throws InterruptedException if interrupted while waiting (nothing stays open)
     */
    public FileChannel openReader() throws InterruptedException {
        return open(false, -1).orElseThrow();
    }

    /** Opens the read end, waiting at most {@code timeout} for a writer; empty if none came. */
    public Optional<FileChannel> openReader(Duration timeout) throws InterruptedException {
        return open(false, timeoutNanos(timeout));
    }

    /**
     * Opens the write end, waiting until some process opens the read end.
     *
     * @throws InterruptedException if interrupted while waiting (nothing stays open)
     */
    public FileChannel openWriter() throws InterruptedException {
        return open(true, -1).orElseThrow();
    }

    /** Opens the write end, waiting at most {@code timeout} for a reader; empty if none came. */
    public Optional<FileChannel> openWriter(Duration timeout) throws InterruptedException {
        return open(true, timeoutNanos(timeout));
    }

    /** {@link #openReader()} as a stream. */
    public InputStream newInputStream() throws InterruptedException {
        return Channels.newInputStream(openReader());
    }

    /** {@link #openWriter()} as a stream (unbuffered: each write is one write(2)). */
    public OutputStream newOutputStream() throws InterruptedException {
        return Channels.newOutputStream(openWriter());
    }

    private static long timeoutNanos(Duration timeout) {
        Objects.requireNonNull(timeout, "timeout");
        return timeout.isNegative() ? 0 : Signals.saturatedNanos(timeout);
    }

    private Optional<FileChannel> open(boolean forWrite, long timeoutNanos) throws InterruptedException {
        checkIsFifo(path, "open");
        if (Thread.interrupted()) throw new InterruptedException();
        String end = forWrite ? "O_WRONLY" : "O_RDONLY";
        CompletableFuture<FileChannel> opened = new CompletableFuture<>();
        Thread.ofPlatform().daemon().name("shmkit-fifo-open " + path).start(() -> {
            try {
                opened.complete(FileChannel.open(path, forWrite ? StandardOpenOption.WRITE : StandardOpenOption.READ));
            } catch (Throwable t) {
                opened.completeExceptionally(t);
            }
        });
        try {
            // Even a zero timeout gives the helper a moment, so that a peer already waiting is always found.
            long wait = Math.max(timeoutNanos, MIN_OPEN_WAIT_NANOS);
            return Optional.of(timeoutNanos < 0 ? opened.get() : opened.get(wait, TimeUnit.NANOSECONDS));
        } catch (TimeoutException e) {
            FileChannel ch = opened.getNow(null);
            if (ch != null) return Optional.of(ch); // the peer came just in time
            abandon(opened, forWrite);
            return Optional.empty();
        } catch (InterruptedException e) {
            abandon(opened, forWrite);
            throw e;
        } catch (ExecutionException e) {
            throw openFailure(e.getCause(), end);
        }
    }

    /**
     * Gives up on a blocked open: whatever it opens is closed, and the helper thread is released by
     * opening the other end without blocking (which always succeeds for a reader, and for a writer
     * while the helper waits as a reader) until it returns.
     */
    private void abandon(CompletableFuture<FileChannel> opened, boolean forWrite) {
        opened.whenComplete((ch, failure) -> {
            if (ch != null) closeQuietly(ch);
        });
        int peerFlags = (forWrite ? Consts.O_RDONLY : Consts.O_WRONLY) | Consts.O_NONBLOCK;
        boolean interrupted = false;
        long giveUp = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (!opened.isDone() && System.nanoTime() - giveUp < 0) {
            int fd = FifosLibc.openOrErrno(path.toString(), peerFlags);
            if (fd < 0 && fd != -FifosLibc.ENXIO) break; // e.g. ENOENT: the name was removed; leave the daemon helper
            try {
                opened.get(5, TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                interrupted = true;
            } catch (ExecutionException | TimeoutException e) {
                // done with a failure, or not yet: loop
            } finally {
                if (fd >= 0) Libc.close(fd);
            }
        }
        if (interrupted) Thread.currentThread().interrupt();
    }

    private RuntimeException openFailure(Throwable cause, String end) {
        String object = Errno.quote(path.toString()) + ", " + end;
        if (cause instanceof NoSuchFileException) return Errno.exception("open", object, Consts.ENOENT);
        if (cause instanceof AccessDeniedException) {
            return new PermissionDeniedException("open", object, Consts.EACCES, Errno.name(Consts.EACCES), Libc.strerror(Consts.EACCES));
        }
        if (cause instanceof IOException io) return new UncheckedIOException("open(" + object + "): " + io.getMessage(), io);
        if (cause instanceof RuntimeException r) return r;
        if (cause instanceof Error err) throw err;
        return new IllegalStateException(cause);
    }

    private static void closeQuietly(FileChannel ch) {
        try {
            ch.close();
        } catch (IOException ignored) {
            // nothing was written through it
        }
    }

    // ------------------------------------------------------------------ non-blocking ends

    /**
     * Opens the read end without waiting for a writer ({@code O_NONBLOCK}). Its reads return 0
     * while a writer is connected but has sent nothing, and -1 while no writer is connected and the
     * pipe is empty (a writer may still come later).
     */
    public NonBlockingFifoChannel openNonBlockingReader() {
        checkIsFifo(path, "open");
        return new NonBlockingFifoChannel(path, FifosLibc.open(path.toString(), Consts.O_RDONLY | Consts.O_NONBLOCK), false);
    }

    /**
     * Opens the write end if a reader has the FIFO open now ({@code O_NONBLOCK}); empty otherwise
     * (ENXIO). Its writes return 0 while the pipe is full.
     */
    public Optional<NonBlockingFifoChannel> openNonBlockingWriter() {
        checkIsFifo(path, "open");
        int fd = FifosLibc.openOrErrno(path.toString(), Consts.O_WRONLY | Consts.O_NONBLOCK);
        if (fd == -FifosLibc.ENXIO) return Optional.empty();
        if (fd < 0) throw Errno.exception("open", Errno.quote(path.toString()) + ", O_WRONLY|O_NONBLOCK", -fd);
        return Optional.of(new NonBlockingFifoChannel(path, fd, true));
    }

    @Override
    public String toString() {
        return "Fifo[" + path + "]";
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Fifo f && f.path.equals(path);
    }

    @Override
    public int hashCode() {
        return path.hashCode();
    }
}
