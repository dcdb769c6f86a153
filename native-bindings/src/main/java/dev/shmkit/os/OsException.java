package dev.shmkit.os;

import java.util.Objects;

/**
 * A system call failed. The message names the call, the object it was applied to and the
 * errno, for example {@code shm_open("/jobs", O_RDWR|O_CREAT|O_EXCL, 0600): EEXIST (File exists)}.
 *
 * <p>Subclasses group the errno values a caller usually wants to handle differently; every
 * other errno arrives as a plain {@code OsException}. The exception is unchecked, like
 * {@link java.io.UncheckedIOException}: most callers cannot recover locally from a failed
 * system call and would only wrap a checked exception.
 */
public class OsException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final String call;
    private final String object;
    private final int errno;
    private final String errnoName;

    public OsException(String call, String object, int errno, String errnoName, String description) {
        super(format(call, object, errnoName, description));
        this.call = Objects.requireNonNull(call);
        this.object = object;
        this.errno = errno;
        this.errnoName = errnoName;
    }

    private static String format(String call, String object, String errnoName, String description) {
        StringBuilder sb = new StringBuilder(call).append('(');
        if (object != null) sb.append(object);
        sb.append("): ").append(errnoName);
        if (description != null && !description.isEmpty()) sb.append(" (").append(description).append(')');
        return sb.toString();
    }

    /** The system call or library function that failed, e.g. {@code shm_open}. */
    public String call() { return call; }

    /** The arguments it was called with, as shown in the message, or null. */
    public String object() { return object; }

    /** The platform's errno value. */
    public int errno() { return errno; }

    /** The symbolic errno name, e.g. {@code EEXIST}, or {@code errno N} when unknown. */
    public String errnoName() { return errnoName; }
}
