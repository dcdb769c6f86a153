package dev.shmkit.signals;

import dev.shmkit.internal.nativeaccess.Consts;
import dev.shmkit.internal.nativeaccess.Errno;
import dev.shmkit.internal.nativeaccess.FifosLibc;
import dev.shmkit.internal.nativeaccess.Libc;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.channels.ByteChannel;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.NonReadableChannelException;
import java.nio.channels.NonWritableChannelException;
import java.nio.file.Path;

/**
 * One end of a {@link Fifo} opened with {@code O_NONBLOCK}: reads and writes never wait.
 *
 * <ul>
 *   <li>{@link #read}: the number of bytes read; 0 when a writer is connected but the pipe is
 *       empty; -1 when no writer is connected and the pipe is empty (unlike a file, a writer may
 *       still come later and make more bytes available).</li>
 *   <li>{@link #write}: the number of bytes written, possibly fewer than asked when the pipe is
 *       nearly full (only writes of at most {@code PIPE_BUF} bytes are all-or-nothing); 0 when it
 *       is full. With no reader left it throws an {@link IOException} naming EPIPE.</li>
 * </ul>
 *
 * <p>Threads: operations are serialized on the channel, and {@link #close()} waits for the one in
 * progress (none of them blocks), so a closed descriptor is never used.
 */
public final class NonBlockingFifoChannel implements ByteChannel {
    private final Path path;
    private final boolean writable;
    private int fd;

    NonBlockingFifoChannel(Path path, int fd, boolean writable) {
        this.path = path;
        this.fd = fd;
        this.writable = writable;
    }

    /** The FIFO this end belongs to. */
    public Path path() {
        return path;
    }

    /** Whether this is the write end. */
    public boolean isWriter() {
        return writable;
    }

    @Override
    public synchronized int read(ByteBuffer dst) throws IOException {
        if (fd < 0) throw new ClosedChannelException();
        if (writable) throw new NonReadableChannelException();
        int want = dst.remaining();
        if (want == 0) return 0;
        try (Arena a = Arena.ofConfined()) {
            MemorySegment buf = a.allocate(want);
            long n = FifosLibc.readOrErrno(fd, buf, want);
            if (n == 0) return -1;
            if (n == -Consts.EAGAIN) return 0;
            if (n < 0) throw new IOException(Errno.exception("read", Errno.quote(path.toString()), (int) -n).getMessage());
            dst.put(buf.asSlice(0, n).toArray(ValueLayout.JAVA_BYTE));
            return (int) n;
        }
    }

    @Override
    public synchronized int write(ByteBuffer src) throws IOException {
        if (fd < 0) throw new ClosedChannelException();
        if (!writable) throw new NonWritableChannelException();
        int len = src.remaining();
        if (len == 0) return 0;
        try (Arena a = Arena.ofConfined()) {
            MemorySegment buf = a.allocate(len);
            int pos = src.position();
            MemorySegment.copy(MemorySegment.ofBuffer(src), 0, buf, 0, len);
            long n = FifosLibc.writeOrErrno(fd, buf, len);
            if (n == -Consts.EAGAIN) return 0;
            if (n < 0) {
                String why = n == -FifosLibc.EPIPE ? ": no process has the FIFO open for reading any more" : "";
                throw new IOException(Errno.exception("write", Errno.quote(path.toString()), (int) -n).getMessage() + why);
            }
            src.position(pos + (int) n);
            return (int) n;
        }
    }

    @Override
    public synchronized boolean isOpen() {
        return fd >= 0;
    }

    @Override
    public synchronized void close() {
        if (fd < 0) return;
        Libc.close(fd);
        fd = -1;
    }

    @Override
    public String toString() {
        return "NonBlockingFifoChannel[" + path + (writable ? ", writer" : ", reader") + (isOpen() ? "" : ", closed") + "]";
    }
}
