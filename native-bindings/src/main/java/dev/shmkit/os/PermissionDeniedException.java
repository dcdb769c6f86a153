package dev.shmkit.os;

/** The caller lacks permission (EACCES, EPERM). */
public class PermissionDeniedException extends OsException {
    private static final long serialVersionUID = 1L;

    public PermissionDeniedException(String call, String object, int errno, String errnoName, String description) {
        super(call, object, errno, errnoName, description);
    }
}
