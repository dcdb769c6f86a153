package dev.shmkit.queue;

import java.io.ObjectInputFilter;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;

/**
 * Turns elements into bytes in shared memory and back: how a {@link SharedQueue} or a
 * {@link Pipe} carries objects.
 *
 * <h2>Zero copy</h2>
 * {@link #encode} writes straight into the space claimed in the ring (the shared mapping
 * itself), and {@link #decode} reads straight from the record in place: no intermediate buffer
 * on either side. A queue first asks {@link #size} how many bytes to claim, then calls
 * {@code encode} to write exactly that many at {@code offset}. Queues hand a codec they did not
 * build a slice bounded to the claimed bytes, so a faulty codec cannot overwrite other records.
 *
 * <h2>Hostile input</h2>
 * Whatever {@code decode} reads comes from memory another process can write, so it may be
 * corrupt or malicious. The built-in codecs check every length and offset against the record
 * before reading and throw an {@link IllegalStateException} that says what was wrong; they
 * never read outside the record, never return a silently truncated value, and never allocate
 * more than the record's length (plus constant overhead). Write custom codecs the same way.
 *
 * <h2>Built-ins</h2>
 * <table>
 * <caption>Built-in codecs and their encodings</caption>
 * <tr><th>codec</th><th>element</th><th>encoding</th><th>{@link #name()}</th></tr>
 * <tr><td>{@link #bytes()}</td><td>{@code byte[]}</td><td>the bytes</td><td>{@code bytes}</td></tr>
 * <tr><td>{@link #byteBuffer()}</td><td>{@link ByteBuffer}</td><td>its remaining bytes</td><td>{@code bytes}</td></tr>
 * <tr><td>{@link #segment()}</td><td>{@link MemorySegment}</td><td>all its bytes</td><td>{@code bytes}</td></tr>
 * <tr><td>{@link #string()}</td><td>{@link String}</td><td>UTF-8, no terminator</td><td>{@code string}</td></tr>
 * <tr><td>{@link #ints()}</td><td>{@link Integer}</td><td>4 bytes, little-endian</td><td>{@code ints}</td></tr>
 * <tr><td>{@link #longs()}</td><td>{@link Long}</td><td>8 bytes, little-endian</td><td>{@code longs}</td></tr>
 * <tr><td>{@link #doubles()}</td><td>{@link Double}</td><td>8 bytes, IEEE 754, little-endian</td><td>{@code doubles}</td></tr>
 * <tr><td>{@link #record(Class)}</td><td>a record</td><td>its components in order (see there)</td><td>{@code record:Type(components)}</td></tr>
 * <tr><td>{@link #serialized(ObjectInputFilter)}</td><td>{@link java.io.Serializable}</td><td>Java serialization</td><td>{@code serialized}</td></tr>
 * </table>
 * The three byte codecs share one encoding, so a queue written with one can be read with
 * another. Every built-in codec is stateless and thread-safe.
 *
 * @param <E> the element type
 */
public interface Codec<E> {
    /** Bytes {@code value} encodes to; {@link #encode} writes exactly this many. */
    int size(E value);

    /** Writes {@code value}, exactly {@link #size}{@code (value)} bytes, at {@code offset} of {@code target}. */
    void encode(E value, MemorySegment target, long offset);

    /**
     * Reads the element encoded in the {@code length} bytes at {@code offset} of {@code source}.
     * The bytes are valid only during the call: copy what must outlive it.
     *
     * @throws IllegalStateException when the bytes are not a valid encoding
     */
    E decode(MemorySegment source, long offset, int length);

    /**
     * Identifies the encoding; a {@link SharedQueue} records its creator's codec name and refuses
     * to be opened with a codec of another known encoding (for example an {@code ints} queue
     * opened with {@link #string()}). {@code null}, the default, is a custom codec, never
     * checked; the byte codecs open any queue, as a raw view. At most 255 UTF-8 bytes are kept.
     */
    default String name() {
        return null;
    }

    /** The size of every encoding, for fixed-size codecs; -1 (the default) when it varies. */
    default int fixedSize() {
        return -1;
    }

    // ------------------------------------------------------------------ built-ins

    /** {@code byte[]} as its bytes; decoding copies them into a new array. */
    static Codec<byte[]> bytes() {
        return Codecs.BYTES;
    }

    /** {@link String} as UTF-8; malformed input decodes to U+FFFD, as {@code new String(bytes, UTF_8)} does. */
    static Codec<String> string() {
        return Codecs.STRING;
    }

    /** {@link Integer} as 4 bytes, little-endian; any other length is refused on decode. */
    static Codec<Integer> ints() {
        return Codecs.INTS;
    }

    /** {@link Long} as 8 bytes, little-endian. */
    static Codec<Long> longs() {
        return Codecs.LONGS;
    }

    /** {@link Double} as 8 bytes (the IEEE 754 bits, little-endian). */
    static Codec<Double> doubles() {
        return Codecs.DOUBLES;
    }

    /**
     * {@link ByteBuffer} as its remaining bytes (its position is not changed); decodes to a
     * heap buffer holding a copy, positioned at 0.
     */
    static Codec<ByteBuffer> byteBuffer() {
        return Codecs.BYTE_BUFFER;
    }

    /**
     * {@link MemorySegment} as all its bytes (at most 2 GiB); decodes to a heap-backed segment
     * holding a copy, so it stays valid after the record is released.
     */
    static Codec<MemorySegment> segment() {
        return Codecs.SEGMENT;
    }

    /**
     * A record whose components are {@code byte[]}, {@link String}, {@link ByteBuffer},
     * {@link MemorySegment}, primitives, their boxes, or records of these (nested to any depth,
     * without cycles). The components are found by reflection once, here; an unsupported
     * component type is refused here with an {@link IllegalArgumentException}.
     *
     * <p>Encoding, component after component with no padding (little-endian): a primitive in
     * its natural width ({@code boolean} one byte, 0 or 1); a box or a nested record as one
     * presence byte (0 for null, 1 present) followed by the value; {@code String}, {@code byte[]},
     * {@code ByteBuffer} and {@code MemorySegment} as a 4-byte length (-1 for null) followed by
     * the bytes. Decoding checks every length against the bytes left, every presence and boolean
     * byte, and that the record is used up exactly; any violation is an
     * {@link IllegalStateException} naming the component.
     *
     * <p>The record class must be accessible to this module: public, or in a package open to
     * {@code dev.shmkit.rings} (on the class path everything is).
     */
    static <R extends Record> Codec<R> record(Class<R> type) {
        return new RecordCodec<>(type);
    }

    /**
     * Java native serialization, as an explicit opt-in for object graphs the other codecs do
     * not cover.
     *
     * <p><b>Security</b>: deserializing bytes is running code chosen by whoever wrote them, as
     * with Python's pickle ("never unpickle data received from an untrusted source"). Every
     * process that can write the queue's shared memory can make this codec instantiate any
     * class the allow-list admits, with the data it likes. So the decoder consults
     * {@code allowList} for every class in the stream and <em>rejects every class it does not
     * explicitly allow</em> (an {@code UNDECIDED} answer is a refusal, unlike plain Java
     * deserialization), including the serializable superclasses of the classes sent (such as
     * {@code java.lang.Number} for {@code Integer}). Arrays are admitted as containers (each
     * element is checked as it is read), but never longer than the record, and the stream may not
     * exceed the record either, so a few hostile bytes cannot make it allocate gigabytes. A
     * refused stream is an {@link IllegalStateException} naming the class. Build the list from
     * exactly the classes you send, for example
     * {@code "java.util.ArrayList;java.lang.String;com.example.Order;!*"}, and prefer
     * {@link #record(Class)} whenever it fits.
     *
     * @param allowList decides, class by class, what may be deserialized
     */
    static <E> Codec<E> serialized(ObjectInputFilter allowList) {
        return new SerializedCodec<>(allowList);
    }

    /**
     * {@link #serialized(ObjectInputFilter)} with an allow-list written as an
     * {@link ObjectInputFilter.Config#createFilter} pattern, such as
     * {@code "java.lang.String;java.util.ArrayList;com.example.*"}. Classes the pattern does not
     * mention are refused.
     */
    static <E> Codec<E> serialized(String allowListPattern) {
        return new SerializedCodec<>(ObjectInputFilter.Config.createFilter(allowListPattern));
    }
}
