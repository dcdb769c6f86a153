package dev.shmkit.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/** Moving bytes between a segment and stdin/stdout for the read and write commands. */
final class Bytes {
    private Bytes() {}

    static byte[] readStdin(InputStream in) {
        try {
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read stdin", e);
        }
    }

    /**
     * Checks that {@code length} bytes at {@code offset} fit in a segment of {@code size} bytes, before
     * anything is touched, so that bad input changes nothing.
     */
    static void checkRange(String what, long size, long offset, long length) {
        if (offset < 0) throw new UsageException("--offset must not be negative, was " + offset);
        if (length < 0) throw new UsageException("--length must not be negative, was " + length);
        if (offset > size) throw new IllegalArgumentException(what + ": offset " + offset + " is past the end (" + size + " bytes)");
        if (length > size - offset) {
            throw new IllegalArgumentException(what + ": " + length + " bytes at offset " + offset + " do not fit in " + size + " bytes");
        }
    }

    static void write(MemorySegment target, long offset, byte[] data) {
        MemorySegment.copy(data, 0, target, ValueLayout.JAVA_BYTE, offset, data.length);
    }

    static void copyOut(MemorySegment source, long offset, long length, OutputStream out) {
        byte[] buf = new byte[(int) Math.min(length, 1 << 20)];
        try {
            for (long done = 0; done < length; ) {
                int n = (int) Math.min(buf.length, length - done);
                MemorySegment.copy(source, ValueLayout.JAVA_BYTE, offset + done, buf, 0, n);
                out.write(buf, 0, n);
                done += n;
            }
            out.flush();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write stdout", e);
        }
    }
}
