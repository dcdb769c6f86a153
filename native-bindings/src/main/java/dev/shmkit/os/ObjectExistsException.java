package dev.shmkit.os;

/** The named object already exists (EEXIST): an exclusive create met an existing object. */
public class ObjectExistsException extends OsException {
    private static final long serialVersionUID = 1L;

    public ObjectExistsException(String call, String object, int errno, String errnoName, String description) {
        super(call, object, errno, errnoName, description);
    }
}
