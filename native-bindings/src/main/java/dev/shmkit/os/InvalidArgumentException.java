package dev.shmkit.os;

/** An argument was refused by the system (EINVAL, ENAMETOOLONG): a bad name, size, key or flag. */
public class InvalidArgumentException extends OsException {
    private static final long serialVersionUID = 1L;

    public InvalidArgumentException(String call, String object, int errno, String errnoName, String description) {
        super(call, object, errno, errnoName, description);
    }
}
