package dev.shmkit.process;

import dev.shmkit.ring.SharedRing;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Records too large for one ring record (more than {@link SharedRing#maxPayload()}, an eighth of
 * the ring) travel as consecutive fragments, each {@code [int inner type][int total][int offset]}
 * followed by bytes. Rings are FIFO with one producer here, so a receiver sees one message's
 * fragments in order and reassembles them on the heap (the large-message path copies; the normal
 * path does not).
 */
final class Fragments {
    private Fragments() {}

    static final int HEADER = 12;
    private static final ValueLayout.OfInt I = ValueLayout.JAVA_INT_UNALIGNED;

    /** A large record on its way out, sent piece by piece as room appears. */
    static final class Outgoing {
        private final int fragmentType;
        private final int innerType;
        private final byte[] bytes;
        private int offset;

        Outgoing(int fragmentType, int innerType, byte[] bytes) {
            this.fragmentType = fragmentType;
            this.innerType = innerType;
            this.bytes = bytes;
        }

        /** Sends as many fragments as fit now; true when the whole record has gone. */
        boolean pump(SharedRing ring) {
            int max = ring.maxPayload() - HEADER;
            while (offset < bytes.length) {
                int n = Math.min(max, bytes.length - offset);
                long i = ring.tryClaim(fragmentType, HEADER + n);
                if (i < 0) return false;
                write(ring.buffer(), i, n);
                ring.commit(i);
            }
            return true;
        }

        /** Blocking claim of a record: returns its payload index once there is room. */
        interface Claim {
            long claim(int type, int length);
        }

        /** Sends every fragment, claiming room with {@code claim}, which waits as long as needed. */
        void sendAll(SharedRing ring, Claim claim) {
            int max = ring.maxPayload() - HEADER;
            while (offset < bytes.length) {
                int n = Math.min(max, bytes.length - offset);
                long i = claim.claim(fragmentType, HEADER + n);
                write(ring.buffer(), i, n);
                ring.commit(i);
            }
        }

        private void write(MemorySegment buf, long i, int n) {
            buf.set(I, i, innerType);
            buf.set(I, i + 4, bytes.length);
            buf.set(I, i + 8, offset);
            MemorySegment.copy(bytes, offset, buf, ValueLayout.JAVA_BYTE, i + HEADER, n);
            offset += n;
        }
    }

    /** Reassembles the fragments of one record at a time. */
    static final class Assembler {
        private final long limit;
        private byte[] buf;
        private int innerType;
        private int received;

        Assembler(long limit) {
            this.limit = limit;
        }

        /** Takes one fragment; returns the whole record once its last fragment arrived, else null. */
        MemorySegment accept(MemorySegment src, long index, int length) {
            if (length < HEADER) throw new IllegalStateException("corrupt fragment of " + length + " bytes");
            int type = src.get(I, index);
            int total = src.get(I, index + 4);
            int offset = src.get(I, index + 8);
            int n = length - HEADER;
            if (offset == 0) {
                if (total <= 0 || total > limit) throw new IllegalStateException("a fragmented record of " + total + " bytes exceeds the limit of " + limit);
                buf = new byte[total];
                innerType = type;
                received = 0;
            }
            if (buf == null || offset != received || type != innerType || total != buf.length || n > total - offset) {
                buf = null;
                throw new IllegalStateException("corrupt fragment (offset " + offset + " of " + total + ")");
            }
            MemorySegment.copy(src, ValueLayout.JAVA_BYTE, index + HEADER, buf, offset, n);
            received += n;
            if (received < total) return null;
            MemorySegment whole = MemorySegment.ofArray(buf);
            buf = null;
            return whole;
        }

        int innerType() {
            return innerType;
        }
    }
}
