package dev.shmkit.signals;

import dev.shmkit.internal.nativeaccess.Consts;
import dev.shmkit.internal.nativeaccess.Errno;
import dev.shmkit.internal.nativeaccess.Libc;
import dev.shmkit.internal.nativeaccess.SignalsLibc;

import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Sending, handling and waiting for signals.
 *
 * <h2>Sending</h2>
 * {@link #send} ({@code kill}), {@link #sendToGroup} ({@code killpg}), {@link #raise} (to this
 * process), {@link #queue} ({@code sigqueue}, Linux only) and {@link #probe} ({@code kill(pid, 0)}).
 * Failures throw {@link dev.shmkit.os.OsException}s naming the call, pid and signal:
 * {@code ObjectNotFoundException} for ESRCH (no such process), {@code PermissionDeniedException}
 * for EPERM. A pid is only a number: once a process has exited and been reaped, the system may
 * give its pid to an unrelated process; {@link ChildProcesses} signals children only while they
 * are alive.
 *
 * <h2>Handling</h2>
 * {@link #handle} registers a handler, {@link #ignore} and {@link #restoreDefault} set the
 * disposition; each returns a {@link SignalRegistration} whose {@code close()} withdraws it.
 * <ul>
 *   <li><b>Several handlers</b> for one signal all run, in registration order. The newest
 *       registration decides: after {@code ignore(USR1)}, earlier USR1 handlers stop running until
 *       that ignore registration is closed (a stack, so that a library can ignore a signal for a
 *       while without knowing who else handles it).</li>
 *   <li><b>Thread of delivery</b>: handlers run on one daemon thread,
 *       {@code shmkit-signal-dispatcher}, one signal at a time, never on the thread that was
 *       running when the signal arrived. A handler may do anything ordinary Java code does
 *       (allocate, lock, print, call {@code System.exit}); a handler that blocks delays every
 *       later handler. An exception from a handler goes to that thread's uncaught-exception
 *       handler, and the next handler runs.</li>
 *   <li><b>Coalescing</b>: standard signals are not queued. Several instances of one signal sent
 *       close together may reach the handlers once.</li>
 *   <li><b>The JVM's own signals</b>: KILL and STOP cannot be caught, and the JVM needs QUIT,
 *       SEGV, BUS, FPE, ILL, PIPE, XFSZ, TRAP, ABRT and its thread suspend/resume signal (USR2
 *       unless moved with {@code _JAVA_SR_SIGNUM}); those are refused with an
 *       {@link IllegalArgumentException} saying why ({@link Signal#whyNotHandleable()}).
 *       INT, TERM and HUP normally run the JVM's shutdown hooks; a handler replaces that until it
 *       is closed.</li>
 *   <li><b>How</b>: through {@code sun.misc.Signal}, the path the JDK supports (module
 *       {@code jdk.unsupported}). Native handlers made from Panama upcalls are never installed:
 *       HotSpot aborts when one runs on a signal.</li>
 *   <li><b>Process death</b>: dispositions belong to the process and vanish with it; there is
 *       nothing to clean up. A signal sent to a process that has died fails with ESRCH.</li>
 * </ul>
 *
 * <h2>Waiting</h2>
 * {@link #await(Set)} and {@link #await(Set, Duration)} register temporary handlers, wait for the
 * first of the signals, and close the handlers again; a timeout is an empty result. Signals that
 * arrive before {@code await} has registered its handlers meet whatever disposition was there
 * before (by default, most signals end the process), so a sender should know the receiver is
 * ready (see docs/signals.md for how the tests and demos tell).
 */
public final class Signals {
    private Signals() {}

    // ------------------------------------------------------------------ sending

    /**
     * Sends {@code signal} to the process {@code pid} ({@code kill(pid, sig)}).
     *
     * @throws dev.shmkit.os.ObjectNotFoundException   no such process (ESRCH)
     * @throws dev.shmkit.os.PermissionDeniedException not permitted (EPERM)
     * @throws IllegalArgumentException                pid not positive (use {@link #sendToGroup})
     */
    public static void send(long pid, Signal signal) {
        Objects.requireNonNull(signal, "signal");
        SignalsLibc.kill(checkPid(pid, "pid"), signal.number(), signal.fullName());
    }

    /**
     * Sends {@code signal} to every process in process group {@code pgid} ({@code killpg}).
     *
     * @throws IllegalArgumentException when {@code pgid} is not greater than 1 (group 1 and the
     *                                  "all processes" forms of kill are refused on purpose)
     */
    public static void sendToGroup(long pgid, Signal signal) {
        Objects.requireNonNull(signal, "signal");
        int g = checkPid(pgid, "process group");
        if (g == 1) throw new IllegalArgumentException("refusing to signal process group 1");
        SignalsLibc.killpg(g, signal.number(), signal.fullName());
    }

    /** Sends {@code signal} to every process in this process's own group ({@code killpg(0, sig)}), this one included. */
    public static void sendToOwnGroup(Signal signal) {
        Objects.requireNonNull(signal, "signal");
        SignalsLibc.killpg(0, signal.number(), signal.fullName());
    }

    /**
     * Sends {@code signal} to this process ({@code kill(getpid(), sig)}). With no handler
     * registered, the default action happens: for most signals the JVM ends at once.
     */
    public static void raise(Signal signal) {
        Objects.requireNonNull(signal, "signal");
        SignalsLibc.kill(Libc.getpid(), signal.number(), signal.fullName());
    }

    /**
     * Queues {@code signal} with an integer payload ({@code sigqueue}): the receiver sees
     * {@code si_code == SI_QUEUE} and {@code si_value.sival_int == value} (a C program with
     * {@code sigwaitinfo} or an {@code SA_SIGINFO} handler; Java handlers do not see the payload).
     * Linux only.
     *
     * @throws UnsupportedOperationException on macOS, which has no sigqueue
     */
    public static void queue(long pid, Signal signal, int value) {
        Objects.requireNonNull(signal, "signal");
        Consts.requireSupported();
        if (!SignalsLibc.HAS_SIGQUEUE) {
            throw new UnsupportedOperationException("sigqueue does not exist on " + Consts.PLATFORM.os() + "; use send()");
        }
        SignalsLibc.sigqueue(checkPid(pid, "pid"), signal.number(), value, signal.fullName());
    }

    /**
     * Whether process {@code pid} exists, and whether this process may signal it
     * ({@code kill(pid, 0)}, which sends nothing).
     */
    public static ProcessPresence probe(long pid) {
        int errno = SignalsLibc.killErrno(checkPid(pid, "pid"), 0);
        if (errno == 0) return ProcessPresence.EXISTS;
        if (errno == Consts.EPERM) return ProcessPresence.EXISTS_NOT_PERMITTED;
        if (errno == (int) Consts.value("ESRCH")) return ProcessPresence.NO_SUCH_PROCESS;
        throw Errno.exception("kill", pid + ", 0", errno);
    }

    private static int checkPid(long pid, String what) {
        if (pid <= 0 || pid > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(what + " must be a positive process id, was " + pid);
        }
        return (int) pid;
    }

    // ------------------------------------------------------------------ handling

    /**
     * Registers {@code handler} for {@code signal}: from now on, when the signal arrives,
     * {@code handler} runs on the {@code shmkit-signal-dispatcher} thread after the handlers
     * registered before it (see the class description).
     *
     * @throws IllegalArgumentException when the signal cannot be handled from Java (KILL, STOP,
     *                                  and the JVM's own; the message says why)
     */
    public static SignalRegistration handle(Signal signal, Consumer<Signal> handler) {
        Objects.requireNonNull(signal, "signal");
        Objects.requireNonNull(handler, "handler");
        return new SignalRegistration(Dispositions.add(signal, Dispositions.Kind.HANDLER, handler));
    }

    /** Ignores {@code signal} ({@code SIG_IGN}) until the registration is closed. */
    public static SignalRegistration ignore(Signal signal) {
        Objects.requireNonNull(signal, "signal");
        return new SignalRegistration(Dispositions.add(signal, Dispositions.Kind.IGNORE, null));
    }

    /**
     * Gives {@code signal} its default action ({@code SIG_DFL}, {@link Signal#defaultAction()})
     * until the registration is closed. For INT, TERM and HUP this skips the JVM's shutdown hooks:
     * the kernel ends the process directly.
     */
    public static SignalRegistration restoreDefault(Signal signal) {
        Objects.requireNonNull(signal, "signal");
        return new SignalRegistration(Dispositions.add(signal, Dispositions.Kind.DEFAULT, null));
    }

    /**
     * Waits until one of {@code signals} arrives and returns it. Handlers registered for the
     * signals still run.
     *
     * @throws InterruptedException     if the thread is interrupted while waiting; the temporary
     *                                  handlers are withdrawn either way
     * @throws IllegalArgumentException if the set is empty or holds a signal Java cannot handle
     */
    public static Signal await(Set<Signal> signals) throws InterruptedException {
        return awaitImpl(signals, null).orElseThrow();
    }

    /**
     * Waits at most {@code timeout} for one of {@code signals}: the signal, or empty when none
     * arrived in time (a zero or negative timeout only registers, checks and withdraws).
     *
     * @throws InterruptedException if the thread is interrupted while waiting
     */
    public static Optional<Signal> await(Set<Signal> signals, Duration timeout) throws InterruptedException {
        Objects.requireNonNull(timeout, "timeout");
        return awaitImpl(signals, timeout);
    }

    private static Optional<Signal> awaitImpl(Set<Signal> signals, Duration timeout) throws InterruptedException {
        Objects.requireNonNull(signals, "signals");
        if (signals.isEmpty()) throw new IllegalArgumentException("no signal to wait for");
        EnumSet<Signal> set = EnumSet.copyOf(signals);
        for (Signal s : set) {
            s.whyNotHandleable().ifPresent(why -> {
                throw new IllegalArgumentException("cannot wait for " + s.fullName() + ": " + why);
            });
        }
        if (Thread.interrupted()) throw new InterruptedException();
        LinkedBlockingQueue<Signal> arrived = new LinkedBlockingQueue<>();
        List<SignalRegistration> registrations = new ArrayList<>(set.size());
        try {
            for (Signal s : set) registrations.add(handle(s, arrived::add));
            if (timeout == null) return Optional.of(arrived.take());
            long nanos = timeout.isNegative() ? 0 : saturatedNanos(timeout);
            return Optional.ofNullable(arrived.poll(nanos, TimeUnit.NANOSECONDS));
        } finally {
            for (SignalRegistration r : registrations) r.close();
        }
    }

    static long saturatedNanos(Duration d) {
        try {
            return d.toNanos();
        } catch (ArithmeticException e) {
            return Long.MAX_VALUE;
        }
    }
}
