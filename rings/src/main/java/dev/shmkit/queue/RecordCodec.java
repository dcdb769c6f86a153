package dev.shmkit.queue;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.reflect.Constructor;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.RecordComponent;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * {@link Codec#record(Class)}: a record as its components in order, found by reflection once.
 * Decoding trusts nothing: every length is checked against the bytes left before it is used.
 */
final class RecordCodec<R extends Record> implements Codec<R> {
    private final Class<R> type;
    private final RecordNode root;
    private final String name;

    RecordCodec(Class<R> type) {
        Objects.requireNonNull(type, "type");
        if (!type.isRecord()) throw new IllegalArgumentException(type.getName() + " is not a record class");
        this.type = type;
        this.root = new RecordNode(type, type.getSimpleName(), false, new ArrayList<>());
        this.name = "record:" + type.getName() + root.signature();
    }

    @Override
    public int size(R value) {
        long n = root.size(value);
        if (n > Integer.MAX_VALUE) throw new IllegalArgumentException("a " + type.getSimpleName() + " of " + n + " bytes is too large");
        return (int) n;
    }

    @Override
    public void encode(R value, MemorySegment target, long offset) {
        root.encode(value, target, offset);
    }

    @Override
    public R decode(MemorySegment source, long offset, int length) {
        Codecs.check(source, offset, length, type.getSimpleName());
        Cursor c = new Cursor(source, offset, offset + length, type.getSimpleName());
        Object r = root.decode(c);
        if (c.pos != c.end) {
            throw new IllegalStateException("corrupt " + type.getSimpleName() + " element: " + (c.end - c.pos)
                    + " bytes left over after the last component (" + length + " bytes in all)");
        }
        return type.cast(r);
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public int fixedSize() {
        long n = root.fixedSize();
        return n < 0 || n > Integer.MAX_VALUE ? -1 : (int) n;
    }

    @Override
    public String toString() {
        return "Codec." + name;
    }

    /** A read position within one record's bytes. */
    private static final class Cursor {
        final MemorySegment s;
        final long end;
        final String what;
        long pos;

        Cursor(MemorySegment s, long pos, long end, String what) {
            this.s = s;
            this.pos = pos;
            this.end = end;
            this.what = what;
        }

        /** Moves past {@code n} bytes, returning where they start, or refuses when fewer remain. */
        long take(long n, String component) {
            if (n < 0 || n > end - pos) {
                throw new IllegalStateException("corrupt " + what + " element: component '" + component + "' needs " + n
                        + " bytes but " + (end - pos) + " remain");
            }
            long at = pos;
            pos += n;
            return at;
        }
    }

    // ------------------------------------------------------------------ the component tree

    private abstract static class Node {
        final String path;

        Node(String path) {
            this.path = path;
        }

        abstract long size(Object v);

        abstract long encode(Object v, MemorySegment t, long at);

        abstract Object decode(Cursor c);

        abstract String signature();

        /** The bytes this component always takes, or -1 when that varies. */
        long fixedSize() {
            return -1;
        }
    }

    private enum Prim {
        BOOLEAN(1), BYTE(1), SHORT(2), CHAR(2), INT(4), FLOAT(4), LONG(8), DOUBLE(8);

        final int width;

        Prim(int width) {
            this.width = width;
        }

        static Prim of(Class<?> c) {
            if (c == boolean.class || c == Boolean.class) return BOOLEAN;
            if (c == byte.class || c == Byte.class) return BYTE;
            if (c == short.class || c == Short.class) return SHORT;
            if (c == char.class || c == Character.class) return CHAR;
            if (c == int.class || c == Integer.class) return INT;
            if (c == float.class || c == Float.class) return FLOAT;
            if (c == long.class || c == Long.class) return LONG;
            if (c == double.class || c == Double.class) return DOUBLE;
            return null;
        }
    }

    /** A primitive, or (nullable, after a presence byte) its box. */
    private static final class PrimNode extends Node {
        final Prim prim;
        final boolean boxed;
        final String typeName;

        PrimNode(String path, Prim prim, boolean boxed, String typeName) {
            super(path);
            this.prim = prim;
            this.boxed = boxed;
            this.typeName = typeName;
        }

        @Override
        long size(Object v) {
            if (!boxed) return prim.width;
            return v == null ? 1 : 1 + prim.width;
        }

        @Override
        long encode(Object v, MemorySegment t, long at) {
            if (boxed) {
                t.set(ValueLayout.JAVA_BYTE, at++, (byte) (v == null ? 0 : 1));
                if (v == null) return at;
            }
            switch (prim) {
                case BOOLEAN -> t.set(ValueLayout.JAVA_BYTE, at, (byte) ((Boolean) v ? 1 : 0));
                case BYTE -> t.set(ValueLayout.JAVA_BYTE, at, (Byte) v);
                case SHORT -> t.set(Codecs.SHORT, at, (Short) v);
                case CHAR -> t.set(Codecs.CHAR, at, (Character) v);
                case INT -> t.set(Codecs.INT, at, (Integer) v);
                case FLOAT -> t.set(Codecs.FLOAT, at, (Float) v);
                case LONG -> t.set(Codecs.LONG, at, (Long) v);
                case DOUBLE -> t.set(Codecs.DOUBLE, at, (Double) v);
            }
            return at + prim.width;
        }

        @Override
        Object decode(Cursor c) {
            if (boxed && !present(c, path)) return null;
            long at = c.take(prim.width, path);
            MemorySegment s = c.s;
            return switch (prim) {
                case BOOLEAN -> {
                    byte b = s.get(ValueLayout.JAVA_BYTE, at);
                    if (b != 0 && b != 1) {
                        throw new IllegalStateException("corrupt " + c.what + " element: boolean component '" + path + "' holds " + b);
                    }
                    yield b == 1;
                }
                case BYTE -> s.get(ValueLayout.JAVA_BYTE, at);
                case SHORT -> s.get(Codecs.SHORT, at);
                case CHAR -> s.get(Codecs.CHAR, at);
                case INT -> s.get(Codecs.INT, at);
                case FLOAT -> s.get(Codecs.FLOAT, at);
                case LONG -> s.get(Codecs.LONG, at);
                case DOUBLE -> s.get(Codecs.DOUBLE, at);
            };
        }

        @Override
        String signature() {
            return typeName;
        }

        @Override
        long fixedSize() {
            return boxed ? -1 : prim.width;
        }
    }

    static boolean present(Cursor c, String path) {
        byte p = c.s.get(ValueLayout.JAVA_BYTE, c.take(1, path));
        if (p != 0 && p != 1) {
            throw new IllegalStateException("corrupt " + c.what + " element: presence byte of component '" + path + "' holds " + p);
        }
        return p == 1;
    }

    private enum Var {
        STRING("String"), BYTES("byte[]"), BYTE_BUFFER("ByteBuffer"), SEGMENT("MemorySegment");

        final String label;

        Var(String label) {
            this.label = label;
        }

        static Var of(Class<?> c) {
            if (c == String.class) return STRING;
            if (c == byte[].class) return BYTES;
            if (c == ByteBuffer.class) return BYTE_BUFFER;
            if (c == MemorySegment.class) return SEGMENT;
            return null;
        }
    }

    /** A length-prefixed (-1: null) run of bytes. */
    private static final class VarNode extends Node {
        final Var var;

        VarNode(String path, Var var) {
            super(path);
            this.var = var;
        }

        private long bytes(Object v) {
            return switch (var) {
                case STRING -> Codecs.utf8Length((String) v);
                case BYTES -> ((byte[]) v).length;
                case BYTE_BUFFER -> ((ByteBuffer) v).remaining();
                case SEGMENT -> {
                    long n = ((MemorySegment) v).byteSize();
                    if (n > Integer.MAX_VALUE) throw new IllegalArgumentException("component '" + path + "': a segment of " + n + " bytes is too large");
                    yield n;
                }
            };
        }

        @Override
        long size(Object v) {
            return v == null ? 4 : 4 + bytes(v);
        }

        @Override
        long encode(Object v, MemorySegment t, long at) {
            if (v == null) {
                t.set(Codecs.INT, at, -1);
                return at + 4;
            }
            int n = (int) bytes(v);
            t.set(Codecs.INT, at, n);
            at += 4;
            switch (var) {
                case STRING -> Codecs.writeUtf8((String) v, n, t, at);
                case BYTES -> MemorySegment.copy((byte[]) v, 0, t, ValueLayout.JAVA_BYTE, at, n);
                case BYTE_BUFFER -> MemorySegment.copy(MemorySegment.ofBuffer((ByteBuffer) v), 0, t, at, n);
                case SEGMENT -> MemorySegment.copy((MemorySegment) v, 0, t, at, n);
            }
            return at + n;
        }

        @Override
        Object decode(Cursor c) {
            int n = c.s.get(Codecs.INT, c.take(4, path));
            if (n == -1) return null;
            if (n < 0) throw new IllegalStateException("corrupt " + c.what + " element: component '" + path + "' has length " + n);
            long at = c.take(n, path);
            return switch (var) {
                case STRING -> Codecs.readUtf8(c.s, at, n);
                case BYTES -> Codecs.copy(c.s, at, n);
                case BYTE_BUFFER -> ByteBuffer.wrap(Codecs.copy(c.s, at, n));
                case SEGMENT -> MemorySegment.ofArray(Codecs.copy(c.s, at, n));
            };
        }

        @Override
        String signature() {
            return var.label;
        }
    }

    /** A record: the root, or a nested component (then nullable, after a presence byte). */
    private static final class RecordNode extends Node {
        final Class<?> type;
        final boolean nullable;
        final Method[] accessors;
        final Node[] children;
        final Constructor<?> constructor;

        RecordNode(Class<?> type, String path, boolean nullable, List<Class<?>> enclosing) {
            super(path);
            if (enclosing.contains(type)) {
                throw new IllegalArgumentException("record " + type.getName() + " contains itself (through '" + path + "'); it has no finite encoding");
            }
            this.type = type;
            this.nullable = nullable;
            List<Class<?>> inner = new ArrayList<>(enclosing);
            inner.add(type);
            RecordComponent[] rc = type.getRecordComponents();
            accessors = new Method[rc.length];
            children = new Node[rc.length];
            Class<?>[] types = new Class<?>[rc.length];
            for (int i = 0; i < rc.length; i++) {
                Class<?> t = rc[i].getType();
                types[i] = t;
                String p = path + "." + rc[i].getName();
                accessors[i] = accessible(rc[i].getAccessor(), type);
                Prim prim = Prim.of(t);
                Var var = Var.of(t);
                if (prim != null) children[i] = new PrimNode(p, prim, !t.isPrimitive(), t.getSimpleName());
                else if (var != null) children[i] = new VarNode(p, var);
                else if (t.isRecord()) children[i] = new RecordNode(t, p, true, inner);
                else {
                    throw new IllegalArgumentException("record component '" + p + "' has type " + t.getName()
                            + "; Codec.record supports byte[], String, ByteBuffer, MemorySegment, primitives, their boxes and records of these");
                }
            }
            try {
                constructor = accessible(type.getDeclaredConstructor(types), type);
            } catch (NoSuchMethodException e) {
                throw new IllegalArgumentException("record " + type.getName() + " has no canonical constructor", e);
            }
        }

        private static <T extends java.lang.reflect.AccessibleObject> T accessible(T member, Class<?> type) {
            try {
                member.setAccessible(true);
            } catch (RuntimeException e) { // InaccessibleObjectException
                throw new IllegalArgumentException("record " + type.getName() + " is not accessible to dev.shmkit.rings: make it public "
                        + "in an exported package, or open its package to dev.shmkit.rings", e);
            }
            return member;
        }

        private Object component(Object record, int i) {
            try {
                return accessors[i].invoke(record);
            } catch (IllegalAccessException e) {
                throw new IllegalStateException("cannot read component '" + children[i].path + "'", e);
            } catch (InvocationTargetException e) {
                throw rethrow(e.getCause());
            }
        }

        @Override
        long size(Object v) {
            if (v == null) {
                if (!nullable) throw new NullPointerException("null " + type.getSimpleName());
                return 1;
            }
            long n = nullable ? 1 : 0;
            for (int i = 0; i < children.length; i++) n += children[i].size(component(v, i));
            return n;
        }

        @Override
        long encode(Object v, MemorySegment t, long at) {
            if (nullable) {
                t.set(ValueLayout.JAVA_BYTE, at++, (byte) (v == null ? 0 : 1));
                if (v == null) return at;
            }
            for (int i = 0; i < children.length; i++) at = children[i].encode(component(v, i), t, at);
            return at;
        }

        @Override
        Object decode(Cursor c) {
            if (nullable && !present(c, path)) return null;
            Object[] args = new Object[children.length];
            for (int i = 0; i < children.length; i++) args[i] = children[i].decode(c);
            try {
                return constructor.newInstance(args);
            } catch (InvocationTargetException e) {
                throw new IllegalStateException("corrupt " + c.what + " element: " + type.getSimpleName()
                        + "'s constructor refused the decoded components: " + e.getCause(), e.getCause());
            } catch (ReflectiveOperationException | IllegalArgumentException e) {
                throw new IllegalStateException("cannot construct " + type.getName() + ": " + e, e);
            }
        }

        @Override
        String signature() {
            StringBuilder b = new StringBuilder();
            if (nullable) b.append(type.getName());
            b.append('(');
            for (int i = 0; i < children.length; i++) {
                if (i > 0) b.append(',');
                b.append(children[i].signature());
            }
            return b.append(')').toString();
        }

        @Override
        long fixedSize() {
            if (nullable) return -1;
            long n = 0;
            for (Node c : children) {
                long f = c.fixedSize();
                if (f < 0) return -1;
                n += f;
            }
            return n;
        }
    }

    private static RuntimeException rethrow(Throwable t) {
        if (t instanceof RuntimeException r) return r;
        if (t instanceof Error e) throw e;
        return new IllegalStateException(t);
    }
}
