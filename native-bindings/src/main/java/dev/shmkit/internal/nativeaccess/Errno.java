package dev.shmkit.internal.nativeaccess;

import dev.shmkit.os.InvalidArgumentException;
import dev.shmkit.os.ObjectExistsException;
import dev.shmkit.os.ObjectNotFoundException;
import dev.shmkit.os.OsException;
import dev.shmkit.os.PermissionDeniedException;
import dev.shmkit.os.ResourceLimitException;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * errno values to names and to exceptions: the one place where a failed call becomes a Java
 * exception. Messages follow {@code call(object): ENAME (description)}.
 */
public final class Errno {
    private Errno() {}

    /** In order of preference where two names share a value (EAGAIN/EWOULDBLOCK, ENOTSUP/EOPNOTSUPP). */
    private static final List<String> NAMES = List.of(
            "EPERM", "ENOENT", "ESRCH", "EINTR", "EIO", "ENXIO", "E2BIG", "EBADF", "ECHILD", "EAGAIN",
            "ENOMEM", "EACCES", "EFAULT", "EBUSY", "EEXIST", "EXDEV", "ENODEV", "ENOTDIR", "EISDIR",
            "EINVAL", "ENFILE", "EMFILE", "ENOTTY", "EFBIG", "ENOSPC", "ESPIPE", "EROFS", "EPIPE",
            "ERANGE", "EDEADLK", "ENAMETOOLONG", "ENOLCK", "ENOSYS", "ENOTEMPTY", "ELOOP", "ENOMSG",
            "EIDRM", "ENOTSUP", "EOPNOTSUPP", "EOVERFLOW", "EMSGSIZE", "ETIMEDOUT", "EOWNERDEAD",
            "ENOTRECOVERABLE", "ECANCELED");

    private static final Map<Integer, String> BY_VALUE = new HashMap<>();
    static {
        if (Consts.SUPPORTED) {
            for (String n : NAMES) BY_VALUE.putIfAbsent((int) Consts.value(n), n);
        }
    }

    /** The symbolic name of an errno value, e.g. {@code EEXIST}; {@code errno 123} when unknown. */
    public static String name(int errno) {
        String n = BY_VALUE.get(errno);
        return n != null ? n : "errno " + errno;
    }

    /**
     * The exception for a failed call: the subclass chosen by errno, the message naming the call,
     * the object (already formatted, e.g. {@code "/jobs", O_CREAT|O_EXCL}) and the errno.
     */
    public static OsException exception(String call, String object, int errno) {
        return exception(call, object, errno, Libc.strerror(errno));
    }

    /** As {@link #exception(String, String, int)} with a description of shmkit's own. */
    public static OsException exception(String call, String object, int errno, String description) {
        String name = name(errno);
        if (errno == Consts.EEXIST) return new ObjectExistsException(call, object, errno, name, description);
        if (errno == Consts.ENOENT || errno == Consts.EIDRM) {
            return new ObjectNotFoundException(call, object, errno, name, description);
        }
        if (errno == Consts.EACCES || errno == Consts.EPERM) {
            return new PermissionDeniedException(call, object, errno, name, description);
        }
        if (errno == Consts.EINVAL || errno == Consts.ENAMETOOLONG) {
            return new InvalidArgumentException(call, object, errno, name, description);
        }
        if (errno == Consts.EMFILE || errno == Consts.ENFILE || errno == Consts.ENOMEM || errno == Consts.ENOSPC
                || errno == Consts.EFBIG || errno == Consts.E2BIG) {
            return new ResourceLimitException(call, object, errno, name, description);
        }
        return new OsException(call, object, errno, name, description);
    }

    /** A refusal by shmkit before any system call, reported as the system would (EINVAL, ENAMETOOLONG). */
    public static InvalidArgumentException invalid(String call, String object, int errno, String why) {
        return new InvalidArgumentException(call, object, errno, name(errno), why);
    }

    /** {@code "name"} with quotes and escapes, as the object part of a message. */
    public static String quote(String s) {
        StringBuilder sb = new StringBuilder("\"");
        for (int i = 0; i < s.length() && i < 300; i++) {
            char c = s.charAt(i);
            if (c == '"' || c == '\\') sb.append('\\').append(c);
            else if (c < 0x20 || c == 0x7f) sb.append(String.format("\\x%02x", (int) c));
            else sb.append(c);
        }
        if (s.length() > 300) sb.append("...");
        return sb.append('"').toString();
    }
}
