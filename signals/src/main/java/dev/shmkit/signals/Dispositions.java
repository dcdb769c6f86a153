package dev.shmkit.signals;

import sun.misc.SignalHandler;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.function.Consumer;

/**
 * The registry behind {@link Signals#handle}, {@link Signals#ignore} and
 * {@link Signals#restoreDefault}: per signal, the live registrations in the order they were made.
 *
 * <p>The newest registration decides the disposition: an ignore or default registration sets
 * {@code SIG_IGN}/{@code SIG_DFL}; a handler registration installs shmkit's one dispatching
 * handler, which runs every handler registered after the newest ignore/default registration, in
 * registration order. Closing a registration recomputes this, and closing the last one puts back
 * whatever was installed before shmkit's first registration for that signal (for INT, TERM and
 * HUP, the JVM's own shutdown handler).
 *
 * <p>Delivery: the JVM's signal dispatcher notices the signal and calls the installed
 * {@code sun.misc.SignalHandler} on a new thread; that handler only queues the signal, and a
 * single daemon thread, {@value #THREAD_NAME}, runs the handlers, one signal at a time, in the
 * order the JVM reported them. No Panama upcall is ever installed as a native signal handler
 * (HotSpot aborts when one runs).
 */
final class Dispositions {
    private Dispositions() {}

    static final String THREAD_NAME = "shmkit-signal-dispatcher";

    enum Kind { HANDLER, IGNORE, DEFAULT }

    static final class Entry {
        final Signal signal;
        final Kind kind;
        final Consumer<Signal> handler;

        Entry(Signal signal, Kind kind, Consumer<Signal> handler) {
            this.signal = signal;
            this.kind = kind;
            this.handler = handler;
        }
    }

    private static final class State {
        final sun.misc.Signal jdkSignal;
        final List<Entry> entries = new ArrayList<>();
        SignalHandler original;
        Kind installed;

        State(sun.misc.Signal jdkSignal) {
            this.jdkSignal = jdkSignal;
        }
    }

    private static final Object LOCK = new Object();
    private static final Map<Signal, State> STATES = new EnumMap<>(Signal.class);
    private static final LinkedBlockingQueue<Signal> PENDING = new LinkedBlockingQueue<>();
    private static final SignalHandler DISPATCH = jdkSignal -> enqueue(jdkSignal.getName());
    private static Thread dispatcher;

    private static void enqueue(String name) {
        try {
            PENDING.add(Signal.valueOf(name));
        } catch (IllegalArgumentException ignored) {
            // not one of ours; cannot happen since DISPATCH is installed only for Signal values
        }
    }

    static Entry add(Signal signal, Kind kind, Consumer<Signal> handler) {
        signal.whyNotHandleable().ifPresent(why -> {
            throw new IllegalArgumentException("cannot " + verb(kind) + " " + signal.fullName() + ": " + why);
        });
        Entry e = new Entry(signal, kind, handler);
        synchronized (LOCK) {
            State st = STATES.get(signal);
            boolean fresh = st == null;
            if (fresh) st = new State(new sun.misc.Signal(signal.name()));
            st.entries.add(e);
            try {
                apply(st);
            } catch (IllegalArgumentException refused) {
                st.entries.remove(e);
                String hint = signal == Signal.INT || signal == Signal.TERM || signal == Signal.HUP
                        ? " (the JVM keeps it when started with -Xrs, or when the shell ignores it, e.g. under nohup)" : "";
                throw new IllegalArgumentException("cannot " + verb(kind) + " " + signal.fullName() + ": "
                        + refused.getMessage() + hint, refused);
            }
            if (fresh) STATES.put(signal, st);
            if (kind == Kind.HANDLER) startDispatcher();
        }
        return e;
    }

    static void remove(Entry e) {
        synchronized (LOCK) {
            State st = STATES.get(e.signal);
            if (st == null || !st.entries.remove(e)) return;
            if (st.entries.isEmpty()) {
                sun.misc.Signal.handle(st.jdkSignal, st.original);
                STATES.remove(e.signal);
            } else {
                apply(st);
            }
        }
    }

    private static void apply(State st) {
        Kind want = st.entries.getLast().kind;
        if (want == st.installed) return;
        SignalHandler h = switch (want) {
            case HANDLER -> DISPATCH;
            case IGNORE -> SignalHandler.SIG_IGN;
            case DEFAULT -> SignalHandler.SIG_DFL;
        };
        SignalHandler previous = sun.misc.Signal.handle(st.jdkSignal, h);
        if (st.installed == null) st.original = previous;
        st.installed = want;
    }

    /** The handlers that run for {@code signal} now: those after its newest ignore/default registration. */
    static List<Consumer<Signal>> handlersFor(Signal signal) {
        synchronized (LOCK) {
            State st = STATES.get(signal);
            if (st == null || st.installed != Kind.HANDLER) return List.of();
            List<Consumer<Signal>> run = new ArrayList<>();
            for (int i = st.entries.size() - 1; i >= 0 && st.entries.get(i).kind == Kind.HANDLER; i--) {
                run.add(st.entries.get(i).handler);
            }
            return run.reversed();
        }
    }

    /** The number of live registrations for {@code signal} (for tests and diagnostics). */
    static int registrations(Signal signal) {
        synchronized (LOCK) {
            State st = STATES.get(signal);
            return st == null ? 0 : st.entries.size();
        }
    }

    private static void startDispatcher() {
        if (dispatcher != null) return;
        dispatcher = Thread.ofPlatform().daemon().name(THREAD_NAME).start(Dispositions::dispatchLoop);
    }

    private static void dispatchLoop() {
        while (true) {
            Signal s;
            try {
                s = PENDING.take();
            } catch (InterruptedException e) {
                continue; // nobody but the JVM can reach this thread; keep serving
            }
            for (Consumer<Signal> h : handlersFor(s)) {
                try {
                    h.accept(s);
                } catch (Throwable t) {
                    Thread me = Thread.currentThread();
                    me.getUncaughtExceptionHandler().uncaughtException(me, t);
                }
            }
        }
    }

    private static String verb(Kind kind) {
        return switch (kind) {
            case HANDLER -> "handle";
            case IGNORE -> "ignore";
            case DEFAULT -> "reset";
        };
    }
}
