package dev.shmkit.process;

import dev.shmkit.queue.Codec;

import java.io.Serial;
import java.io.Serializable;
import java.lang.foreign.MemorySegment;
import java.util.Objects;

/**
 * Codecs that can travel to worker JVMs, for the {@link ProcessPool} methods that take explicit
 * codecs. {@link Codec}'s built-ins ({@code bytes}, {@code string}, {@code ints}, {@code longs},
 * {@code doubles}, {@code segment}, {@code byteBuffer}) travel by name; any other codec must be
 * {@link Serializable}. {@link #record(Class)} is {@link Codec#record(Class)} in that form.
 */
public final class PoolCodecs {
    private PoolCodecs() {}

    /** {@link Codec#record(Class)} that can be sent to workers: the type travels, the codec is rebuilt there. */
    public static <R extends Record> Codec<R> record(Class<R> type) {
        return new RecordCodec<>(type);
    }

    private static final class RecordCodec<R extends Record> implements Codec<R>, Serializable {
        @Serial
        private static final long serialVersionUID = 1L;
        private final Class<R> type;
        private transient Codec<R> delegate;

        RecordCodec(Class<R> type) {
            this.type = Objects.requireNonNull(type, "type");
            this.delegate = Codec.record(type);
        }

        private Codec<R> d() {
            Codec<R> c = delegate;
            if (c == null) delegate = c = Codec.record(type);
            return c;
        }

        @Override
        public int size(R value) {
            return d().size(value);
        }

        @Override
        public void encode(R value, MemorySegment target, long offset) {
            d().encode(value, target, offset);
        }

        @Override
        public R decode(MemorySegment source, long offset, int length) {
            return d().decode(source, offset, length);
        }

        @Override
        public String name() {
            return d().name();
        }
    }
}
