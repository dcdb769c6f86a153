package dev.shmkit.signals;

import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One live handler, ignore or default registration for a signal, from {@link Signals#handle},
 * {@link Signals#ignore} or {@link Signals#restoreDefault}. {@link #close()} withdraws it: the
 * signal's disposition becomes what the remaining registrations say, and once none remains,
 * what it was before shmkit's first registration for that signal.
 *
 * <p>Registrations may be closed in any order and from any thread, including from inside a
 * handler; closing twice does nothing.
 */
public final class SignalRegistration implements AutoCloseable {
    private final Dispositions.Entry entry;
    private final AtomicBoolean closed = new AtomicBoolean();

    SignalRegistration(Dispositions.Entry entry) {
        this.entry = entry;
    }

    /** The signal this registration is for. */
    public Signal signal() {
        return entry.signal;
    }

    /** Whether {@link #close()} has not been called yet. */
    public boolean isActive() {
        return !closed.get();
    }

    /** Withdraws this registration (idempotent). */
    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) Dispositions.remove(entry);
    }

    @Override
    public String toString() {
        return "SignalRegistration[" + entry.signal.fullName() + " " + entry.kind.name().toLowerCase(java.util.Locale.ROOT)
                + (isActive() ? "" : ", closed") + "]";
    }
}
