package dev.shmkit.os;

/** A system or per-process limit was reached (EMFILE, ENFILE, ENOMEM, ENOSPC, EFBIG, E2BIG). */
public class ResourceLimitException extends OsException {
    private static final long serialVersionUID = 1L;

    public ResourceLimitException(String call, String object, int errno, String errnoName, String description) {
        super(call, object, errno, errnoName, description);
    }
}
