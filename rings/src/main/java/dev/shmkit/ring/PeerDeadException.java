package dev.shmkit.ring;

/**
 * Every process on the other side of a ring has died (and they had registered), so a blocking
 * call would wait forever: thrown instead of waiting.
 */
public class PeerDeadException extends IllegalStateException {
    private static final long serialVersionUID = 1L;

    public PeerDeadException(String message) {
        super(message);
    }
}
