package dev.shmkit.process;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InvalidClassException;
import java.io.NotSerializableException;
import java.io.ObjectInputFilter;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.io.ObjectStreamClass;
import java.util.LinkedHashSet;
import java.util.Set;

/**
 * Task closures in Java serialization, with the exact list of classes in the stream recorded by
 * the writer and enforced by the reader.
 *
 * <p>Closures travel only from a parent to its own children, on the child's stdin: a pipe nobody
 * else holds. The child deserializes a closure allowing exactly the classes the parent wrote into
 * it ({@code ObjectOutputStream.annotateClass} records them) and refuses any other, so even a
 * corrupted stream cannot make it instantiate something the parent did not send.
 */
final class Closures {
    private Closures() {}

    /** A serialized closure and the classes its stream contains. */
    record Serialized(byte[] bytes, Set<String> classes) {
        void writeTo(DataOutputStream out) throws IOException {
            out.writeInt(classes.size());
            for (String c : classes) out.writeUTF(c);
            out.writeInt(bytes.length);
            out.write(bytes);
        }

        static Serialized readFrom(DataInputStream in) throws IOException {
            int n = in.readInt();
            if (n < 0 || n > 100_000) throw new IOException("corrupt closure: " + n + " classes");
            Set<String> classes = new LinkedHashSet<>();
            for (int i = 0; i < n; i++) classes.add(in.readUTF());
            int len = in.readInt();
            if (len < 0) throw new IOException("corrupt closure: length " + len);
            byte[] b = new byte[len];
            in.readFully(b);
            return new Serialized(b, classes);
        }
    }

    private static final class RecordingOutput extends ObjectOutputStream {
        final Set<String> classes = new LinkedHashSet<>();

        RecordingOutput(ByteArrayOutputStream out) throws IOException {
            super(out);
        }

        @Override
        protected void annotateClass(Class<?> cl) {
            classes.add(cl.getName());
        }

        @Override
        protected void annotateProxyClass(Class<?> cl) {
            classes.add(cl.getName());
            for (Class<?> i : cl.getInterfaces()) classes.add(i.getName());
        }
    }

    /**
     * Serializes {@code closure}.
     *
     * @throws IllegalArgumentException when it (or something it captures) is not serializable,
     *                                  with a message that says how to fix that
     */
    static Serialized serialize(Object closure, String what) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(256);
        try (RecordingOutput out = new RecordingOutput(bytes)) {
            out.writeObject(closure);
            out.flush();
            return new Serialized(bytes.toByteArray(), out.classes);
        } catch (NotSerializableException e) {
            throw new IllegalArgumentException(what + " cannot be sent to a child JVM: " + e.getMessage()
                    + " is not serializable" + (closure.getClass().isSynthetic() || closure.getClass().getName().contains("$$Lambda")
                    ? " (a lambda is serializable only when its target type is, e.g. SerializableFunction or SerializableCallable,"
                    + " and everything it captures is serializable)" : ""), e);
        } catch (IOException e) {
            throw new IllegalArgumentException(what + " cannot be serialized: " + e, e);
        }
    }

    /** Deserializes a closure, allowing exactly the classes recorded with it. */
    static Object deserialize(Serialized s) {
        Set<String> allowed = s.classes();
        String[] refused = new String[1];
        ObjectInputFilter filter = info -> {
            Class<?> c = info.serialClass();
            if (c == null) return ObjectInputFilter.Status.UNDECIDED;
            if (allowed.contains(c.getName())) return ObjectInputFilter.Status.ALLOWED;
            // A serialized lambda resolves to a hidden class its capturing class made ($deserializeLambda$).
            int lambda = c.getName().indexOf("$$Lambda");
            if (c.isHidden() && lambda > 0 && allowed.contains(c.getName().substring(0, lambda))) return ObjectInputFilter.Status.ALLOWED;
            refused[0] = c.getName();
            return ObjectInputFilter.Status.REJECTED;
        };
        try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(s.bytes())) {
            @Override
            protected Class<?> resolveClass(ObjectStreamClass desc) throws IOException, ClassNotFoundException {
                try {
                    return Class.forName(desc.getName(), false, loader());
                } catch (ClassNotFoundException e) {
                    return super.resolveClass(desc);
                }
            }
        }) {
            in.setObjectInputFilter(filter);
            return in.readObject();
        } catch (InvalidClassException e) {
            if (refused[0] != null) throw new IllegalStateException("closure refused: class " + refused[0] + " was not in the parent's stream", e);
            throw new IllegalStateException("cannot deserialize the task: " + e, e);
        } catch (IOException | ClassNotFoundException e) {
            throw new IllegalStateException("cannot deserialize the task (is the child's class path the parent's?): " + e, e);
        }
    }

    private static ClassLoader loader() {
        ClassLoader l = Thread.currentThread().getContextClassLoader();
        return l != null ? l : ClassLoader.getSystemClassLoader();
    }
}
