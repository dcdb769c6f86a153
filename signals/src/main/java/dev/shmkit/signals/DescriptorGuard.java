package dev.shmkit.signals;

/**
 * Keeps a descriptor open while calls use it: {@link #close()} marks it closed at once (new calls
 * fail, waiting calls notice within one wait slice) but releases it only when the last call in
 * progress has left, so a descriptor number is never used after the system may have reused it.
 */
final class DescriptorGuard {
    private final String what;
    private final Runnable release;
    private int users;
    private boolean closed;

    DescriptorGuard(String what, Runnable release) {
        this.what = what;
        this.release = release;
    }

    synchronized void enter() {
        if (closed) throw new IllegalStateException(what + " is closed");
        users++;
    }

    void exit() {
        boolean last;
        synchronized (this) {
            last = --users == 0 && closed;
        }
        if (last) release.run();
    }

    synchronized boolean isClosed() {
        return closed;
    }

    /** Throws if closed: for the checks between wait slices. */
    void checkOpen() {
        if (isClosed()) throw new IllegalStateException(what + " was closed while waiting");
    }

    /** Idempotent; returns whether this call closed it. */
    boolean close() {
        boolean now;
        synchronized (this) {
            if (closed) return false;
            closed = true;
            now = users == 0;
        }
        if (now) release.run();
        return true;
    }
}
