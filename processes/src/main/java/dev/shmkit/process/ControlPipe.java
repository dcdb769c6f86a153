package dev.shmkit.process;

import dev.shmkit.queue.Codec;

import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * The control channel from a parent to one child: framed messages on the child's stdin
 * ({@code [int length][byte type][payload]}). It carries what must come from the parent and
 * nobody else (set-up, task closures, codecs, allow-list additions, cancellations); bulk data goes
 * through the shared-memory rings. Its end of file tells a daemon child that the parent is gone.
 */
final class ControlPipe {
    private ControlPipe() {}

    static final int MAX_MESSAGE = 1 << 30;

    interface Body {
        void write(DataOutputStream out) throws IOException;
    }

    /** The parent's end. Thread-safe; {@link #sent()} numbers the messages, which task records refer to. */
    static final class Writer implements AutoCloseable {
        private final DataOutputStream out;
        private volatile int sent;
        private boolean closed;

        Writer(OutputStream stdin) {
            this.out = new DataOutputStream(new BufferedOutputStream(stdin, 8192));
        }

        /** Sends one message; returns its sequence number (1 for the first). */
        synchronized int send(byte type, Body body) throws IOException {
            if (closed) throw new IOException("control pipe closed");
            ByteArrayOutputStream buf = new ByteArrayOutputStream(64);
            DataOutputStream d = new DataOutputStream(buf);
            body.write(d);
            d.flush();
            out.writeInt(buf.size() + 1);
            out.writeByte(type);
            buf.writeTo(out);
            out.flush();
            int n = sent + 1;
            sent = n;
            return n;
        }

        /** Messages sent so far (a task record carries this, so the child reads them before the task). */
        int sent() {
            return sent;
        }

        @Override
        public synchronized void close() {
            if (closed) return;
            closed = true;
            try {
                out.close();
            } catch (IOException ignored) {
                // the child has gone: nothing to close
            }
        }
    }

    /** One message read by the child. */
    record Message(byte type, DataInputStream body) {}

    /** Reads the next message; null at end of file (the parent closed the pipe or died). */
    static Message read(DataInputStream in) throws IOException {
        int len;
        try {
            len = in.readInt();
        } catch (EOFException eof) {
            return null;
        }
        if (len < 1 || len > MAX_MESSAGE) throw new IOException("corrupt control message of " + len + " bytes");
        byte type = in.readByte();
        byte[] b = new byte[len - 1];
        in.readFully(b);
        return new Message(type, new DataInputStream(new java.io.ByteArrayInputStream(b)));
    }

    static DataInputStream input(InputStream stdin) {
        return new DataInputStream(new java.io.BufferedInputStream(stdin, 8192));
    }

    // ------------------------------------------------------------------ codecs by name or by value

    private static final Map<Codec<?>, String> BUILTINS = new IdentityHashMap<>();

    static {
        BUILTINS.put(Codec.bytes(), "bytes");
        BUILTINS.put(Codec.string(), "string");
        BUILTINS.put(Codec.ints(), "ints");
        BUILTINS.put(Codec.longs(), "longs");
        BUILTINS.put(Codec.doubles(), "doubles");
        BUILTINS.put(Codec.segment(), "segment");
        BUILTINS.put(Codec.byteBuffer(), "byteBuffer");
    }

    static Codec<?> builtin(String name) {
        for (Map.Entry<Codec<?>, String> e : BUILTINS.entrySet()) if (e.getValue().equals(name)) return e.getKey();
        throw new IllegalStateException("unknown codec '" + name + "'");
    }

    /** How a codec is described to a child: 0 the default value encoding, 1 a built-in by name, 2 a serialized codec. */
    static void writeCodec(DataOutputStream out, Codec<?> codec, Closures.Serialized serialized) throws IOException {
        if (codec == null) {
            out.writeByte(0);
        } else if (BUILTINS.containsKey(codec)) {
            out.writeByte(1);
            out.writeUTF(BUILTINS.get(codec));
        } else {
            out.writeByte(2);
            serialized.writeTo(out);
        }
    }

    /** The serialized form a codec needs to travel, or null for the default and the built-ins. */
    static Closures.Serialized serializeCodec(Codec<?> codec) {
        if (codec == null || BUILTINS.containsKey(codec)) return null;
        if (!(codec instanceof java.io.Serializable)) {
            throw new IllegalArgumentException("a codec for a pool must be one of Codec's built-ins or Serializable: "
                    + codec.getClass().getName() + " is neither (PoolCodecs.record(Type.class) makes a record codec that travels)");
        }
        return Closures.serialize(codec, "codec " + codec.getClass().getName());
    }

    @SuppressWarnings("unchecked")
    static Codec<Object> readCodec(DataInputStream in) throws IOException {
        return switch (in.readByte()) {
            case 0 -> null;
            case 1 -> (Codec<Object>) builtin(in.readUTF());
            case 2 -> (Codec<Object>) Closures.deserialize(Closures.Serialized.readFrom(in));
            default -> throw new IOException("corrupt codec description");
        };
    }

    static void writeStrings(DataOutputStream out, List<String> strings) throws IOException {
        out.writeInt(strings.size());
        for (String s : strings) out.writeUTF(s);
    }

    static List<String> readStrings(DataInputStream in) throws IOException {
        int n = in.readInt();
        if (n < 0 || n > 1_000_000) throw new IOException("corrupt list of " + n + " strings");
        List<String> l = new ArrayList<>(n);
        for (int i = 0; i < n; i++) l.add(in.readUTF());
        return l;
    }
}
