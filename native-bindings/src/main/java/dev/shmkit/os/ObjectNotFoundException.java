package dev.shmkit.os;

/** The named object does not exist (ENOENT; for System V ids, EIDRM or Linux's EINVAL for an id no segment has). */
public class ObjectNotFoundException extends OsException {
    private static final long serialVersionUID = 1L;

    public ObjectNotFoundException(String call, String object, int errno, String errnoName, String description) {
        super(call, object, errno, errnoName, description);
    }
}
