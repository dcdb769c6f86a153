package dev.shmkit.queue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InvalidClassException;
import java.io.ObjectInputFilter;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Objects;

/**
 * {@link Codec#serialized(ObjectInputFilter)}: Java serialization, deserializing only the classes
 * an allow-list explicitly allows.
 */
final class SerializedCodec<E> implements Codec<E> {
    private final ObjectInputFilter allowList;
    /** The last value sized by each thread and its bytes, so {@code encode} does not serialize again. */
    private final ThreadLocal<Object[]> last = ThreadLocal.withInitial(() -> new Object[2]);

    SerializedCodec(ObjectInputFilter allowList) {
        this.allowList = Objects.requireNonNull(allowList, "allowList");
    }

    private byte[] serialize(E value) {
        Object[] l = last.get();
        if (l[0] == value && l[1] != null) return (byte[]) l[1];
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
            out.writeObject(value);
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot serialize a " + value.getClass().getName() + ": " + e, e);
        }
        byte[] b = bytes.toByteArray();
        l[0] = value;
        l[1] = b;
        return b;
    }

    @Override
    public int size(E value) {
        Objects.requireNonNull(value, "value");
        Object[] l = last.get();
        l[0] = null;
        l[1] = null;
        return serialize(value).length;
    }

    @Override
    public void encode(E value, MemorySegment target, long offset) {
        byte[] b = serialize(value);
        Object[] l = last.get();
        l[0] = null;
        l[1] = null;
        MemorySegment.copy(b, 0, target, ValueLayout.JAVA_BYTE, offset, b.length);
    }

    @Override
    @SuppressWarnings("unchecked")
    public E decode(MemorySegment source, long offset, int length) {
        Codecs.check(source, offset, length, "serialized");
        ByteArrayInputStream bytes = new ByteArrayInputStream(Codecs.copy(source, offset, length));
        String[] refused = new String[1];
        ObjectInputFilter strict = info -> {
            if (info.streamBytes() > length) return ObjectInputFilter.Status.REJECTED;
            Class<?> c = info.serialClass();
            if (c == null) {
                // depth, references, array lengths: the allow-list may limit them
                ObjectInputFilter.Status s = allowList.checkInput(info);
                return s == ObjectInputFilter.Status.REJECTED ? s : ObjectInputFilter.Status.UNDECIDED;
            }
            if (c.isArray()) {
                // An array is a container: its elements are checked one by one as they are read. Every element
                // takes at least a byte of the stream, so no honest array is longer than the record.
                if (info.arrayLength() > length) {
                    refused[0] = c.getName() + " of length " + info.arrayLength();
                    return ObjectInputFilter.Status.REJECTED;
                }
                return ObjectInputFilter.Status.ALLOWED;
            }
            if (allowList.checkInput(info) == ObjectInputFilter.Status.ALLOWED) return ObjectInputFilter.Status.ALLOWED;
            refused[0] = c.getName();
            return ObjectInputFilter.Status.REJECTED; // not explicitly allowed: refused
        };
        try (ObjectInputStream in = new ObjectInputStream(bytes)) {
            in.setObjectInputFilter(strict);
            Object o = in.readObject();
            if (bytes.available() != 0) {
                throw new IllegalStateException("corrupt serialized element: " + bytes.available() + " bytes after the object");
            }
            return (E) o;
        } catch (InvalidClassException e) {
            if (refused[0] != null) {
                throw new IllegalStateException("serialized element refused: class " + refused[0] + " is not in the allow-list", e);
            }
            throw new IllegalStateException("corrupt or refused serialized element: " + e.getMessage(), e);
        } catch (IOException | ClassNotFoundException | RuntimeException e) {
            if (e instanceof IllegalStateException ise && ise.getMessage() != null && ise.getMessage().startsWith("corrupt serialized")) throw ise;
            throw new IllegalStateException("corrupt serialized element (" + length + " bytes): " + e, e);
        }
    }

    @Override
    public String name() {
        return "serialized";
    }

    @Override
    public String toString() {
        return "Codec.serialized";
    }
}
