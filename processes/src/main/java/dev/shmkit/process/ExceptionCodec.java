package dev.shmkit.process;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;

/**
 * Exceptions as plain data: class name, superclass names, message, stack frames, cause and
 * suppressed exceptions, with no Java serialization (reading them never instantiates a class
 * named by the other side). Decoding checks every count and length.
 */
final class ExceptionCodec {
    private ExceptionCodec() {}

    private static final int MAX_DEPTH = 16;
    private static final int MAX_FRAMES = 1024;
    private static final int MAX_SUPPRESSED = 16;
    private static final int MAX_STRING = 1 << 20;

    static byte[] encode(Throwable t) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(512);
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            write(out, t, 0, Collections.newSetFromMap(new IdentityHashMap<>()));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    private static void write(DataOutputStream out, Throwable t, int depth, Set<Throwable> seen) throws IOException {
        seen.add(t);
        String className = t instanceof RemoteException r ? r.remoteClassName() : t.getClass().getName();
        List<String> supers = new ArrayList<>();
        if (t instanceof RemoteException r) {
            supers.addAll(r.remoteSuperclasses());
        } else {
            for (Class<?> c = t.getClass().getSuperclass(); c != null && c != Object.class; c = c.getSuperclass()) supers.add(c.getName());
        }
        string(out, className);
        out.writeShort(Math.min(supers.size(), 64));
        for (String s : supers.subList(0, Math.min(supers.size(), 64))) string(out, s);
        String message;
        try {
            message = t instanceof RemoteException r ? r.remoteMessage() : t.getMessage();
        } catch (RuntimeException e) {
            message = "(getMessage() threw " + e + ")";
        }
        out.writeBoolean(message != null);
        if (message != null) string(out, message);
        StackTraceElement[] frames = t.getStackTrace();
        int n = Math.min(frames.length, MAX_FRAMES);
        out.writeShort(n);
        for (int i = 0; i < n; i++) {
            StackTraceElement f = frames[i];
            string(out, f.getClassName());
            string(out, f.getMethodName());
            string(out, f.getFileName() == null ? "" : f.getFileName());
            out.writeInt(f.getLineNumber());
            string(out, f.getModuleName() == null ? "" : f.getModuleName());
        }
        Throwable cause = t.getCause();
        boolean writeCause = cause != null && depth < MAX_DEPTH && !seen.contains(cause);
        out.writeBoolean(writeCause);
        if (writeCause) write(out, cause, depth + 1, seen);
        List<Throwable> suppressed = new ArrayList<>();
        if (depth < MAX_DEPTH) {
            for (Throwable s : t.getSuppressed()) if (!seen.contains(s) && suppressed.size() < MAX_SUPPRESSED) suppressed.add(s);
        }
        out.writeShort(suppressed.size());
        for (Throwable s : suppressed) write(out, s, depth + 1, seen);
    }

    private static void string(DataOutputStream out, String s) throws IOException {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        if (b.length > MAX_STRING) b = java.util.Arrays.copyOf(b, MAX_STRING);
        out.writeInt(b.length);
        out.write(b);
    }

    static RemoteException decode(byte[] bytes, long pid) {
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(bytes))) {
            return read(in, pid, 0, bytes.length);
        } catch (IOException | RuntimeException e) {
            return new RemoteException("java.lang.Throwable", List.of(), "(corrupt exception record from process " + pid + ": " + e + ")",
                    pid, new StackTraceElement[0], null);
        }
    }

    private static RemoteException read(DataInputStream in, long pid, int depth, int limit) throws IOException {
        if (depth > MAX_DEPTH) throw new IOException("nested too deeply");
        String className = string(in, limit);
        int ns = in.readUnsignedShort();
        if (ns > 64) throw new IOException(ns + " superclasses");
        List<String> supers = new ArrayList<>(ns);
        for (int i = 0; i < ns; i++) supers.add(string(in, limit));
        String message = in.readBoolean() ? string(in, limit) : null;
        int n = in.readUnsignedShort();
        if (n > MAX_FRAMES) throw new IOException(n + " frames");
        StackTraceElement[] frames = new StackTraceElement[n];
        for (int i = 0; i < n; i++) {
            String cls = string(in, limit);
            String method = string(in, limit);
            String file = string(in, limit);
            int line = in.readInt();
            String module = string(in, limit);
            frames[i] = new StackTraceElement(null, module.isEmpty() ? null : module, null, cls, method,
                    file.isEmpty() ? null : file, line);
        }
        RemoteException cause = in.readBoolean() ? read(in, pid, depth + 1, limit) : null;
        RemoteException e = new RemoteException(className, supers, message, pid, frames, cause);
        int suppressed = in.readUnsignedShort();
        if (suppressed > MAX_SUPPRESSED) throw new IOException(suppressed + " suppressed exceptions");
        for (int i = 0; i < suppressed; i++) e.addSuppressed(read(in, pid, depth + 1, limit));
        return e;
    }

    private static String string(DataInputStream in, int limit) throws IOException {
        int len = in.readInt();
        if (len < 0 || len > limit || len > MAX_STRING) throw new IOException("string of " + len + " bytes");
        byte[] b = new byte[len];
        in.readFully(b);
        return new String(b, StandardCharsets.UTF_8);
    }
}
