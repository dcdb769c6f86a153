package dev.shmkit.process;

import java.io.Serial;
import java.util.List;
import java.util.Optional;

/**
 * An exception thrown by task code in another process, rebuilt in this one: the original class
 * name, message and stack trace (the remote frames), with the remote cause and suppressed
 * exceptions as {@code RemoteException}s too. No remote object is deserialized to build it; the
 * parent reads names, messages and frames.
 *
 * <p>{@link #toString()} and so {@link #printStackTrace()} show the original type, so a trace
 * reads like the child's own, tagged with its pid:
 * <pre>
 * java.lang.ArithmeticException: / by zero [in process 4242]
 *     at com.example.Stats.mean(Stats.java:17)
 *     ...
 * </pre>
 * Test the type with {@link #is(Class)}, which also knows the remote class's superclasses.
 */
public final class RemoteException extends RuntimeException {
    @Serial
    private static final long serialVersionUID = 1L;

    private final String remoteClassName;
    private final List<String> remoteSuperclasses;
    private final String remoteMessage;
    private final long pid;

    RemoteException(String remoteClassName, List<String> remoteSuperclasses, String remoteMessage, long pid,
                    StackTraceElement[] stackTrace, RemoteException cause) {
        super(remoteMessage, cause, true, true);
        this.remoteClassName = remoteClassName;
        this.remoteSuperclasses = List.copyOf(remoteSuperclasses);
        this.remoteMessage = remoteMessage;
        this.pid = pid;
        setStackTrace(stackTrace);
    }

    /** The fully qualified name of the exception's class in the other process. */
    public String remoteClassName() {
        return remoteClassName;
    }

    /** The names of that class's superclasses, nearest first, up to {@code java.lang.Throwable}. */
    public List<String> remoteSuperclasses() {
        return remoteSuperclasses;
    }

    /** The original message, or null. */
    public String remoteMessage() {
        return remoteMessage;
    }

    /** The process the exception was thrown in. */
    public long pid() {
        return pid;
    }

    /** Whether the remote exception was a {@code type} (its class or one of its superclasses). */
    public boolean is(Class<? extends Throwable> type) {
        String n = type.getName();
        return remoteClassName.equals(n) || remoteSuperclasses.contains(n);
    }

    /** The remote class, if this process can load it (it is not instantiated). */
    public Optional<Class<?>> remoteClass() {
        try {
            return Optional.of(Class.forName(remoteClassName, false, RemoteException.class.getClassLoader()));
        } catch (ClassNotFoundException | LinkageError e) {
            return Optional.empty();
        }
    }

    @Override
    public RemoteException getCause() {
        return (RemoteException) super.getCause();
    }

    @Override
    public String toString() {
        return remoteClassName + (remoteMessage != null ? ": " + remoteMessage : "") + " [in process " + pid + "]";
    }
}
