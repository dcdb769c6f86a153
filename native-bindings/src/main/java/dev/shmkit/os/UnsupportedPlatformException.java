package dev.shmkit.os;

/**
 * shmkit has no constants and layouts for this operating system and processor, so it refuses
 * to make any native call rather than guess them.
 */
public class UnsupportedPlatformException extends UnsupportedOperationException {
    private static final long serialVersionUID = 1L;

    public UnsupportedPlatformException(String message) {
        super(message);
    }
}
