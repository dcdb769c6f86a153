package dev.shmkit.cli;

/** Bad input found after parsing (a value out of range, a missing choice): exit status 2. */
final class UsageException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    UsageException(String message) {
        super(message);
    }
}
