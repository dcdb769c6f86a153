package dev.shmkit.os;

/** The named object does not exist (ENOENT, or EIDRM for a removed System V object). */
public class ObjectNotFoundException extends OsException {
    private static final long serialVersionUID = 1L;

    public ObjectNotFoundException(String call, String object, int errno, String errnoName, String description) {
        super(call, object, errno, errnoName, description);
    }
}
