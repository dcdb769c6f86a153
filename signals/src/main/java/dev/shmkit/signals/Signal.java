package dev.shmkit.signals;

import dev.shmkit.internal.nativeaccess.Consts;
import dev.shmkit.internal.nativeaccess.PlatformTable;
import dev.shmkit.os.Platform;

import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The POSIX signals, named as the shell writes them ({@code USR1}; {@code SIGUSR1}, {@code usr1}
 * and the platform's number are accepted by {@link #parse}). Numbers differ between platforms
 * ({@code USR1} is 10 on Linux and 30 on macOS) and always come from shmkit's per-platform tables,
 * never from a guess: {@link #number()} is this platform's, {@link #numberOn(Platform)} any
 * other's.
 *
 * <p>Signals that exist on one platform only (Linux {@code STKFLT}, {@code PWR} and the realtime
 * signals; macOS {@code EMT}, {@code INFO}) are not listed.
 *
 * <p>Some signals cannot be handled from Java: {@code KILL} and {@code STOP} by anyone, and the
 * ones the JVM needs for itself ({@code QUIT}, {@code SEGV}, {@code BUS}, ...).
 * {@link #isHandleable()} says which, {@link #whyNotHandleable()} why; {@link Signals#handle}
 * refuses them with an {@link IllegalArgumentException} instead of disturbing the VM.
 */
public enum Signal {
    HUP(Action.TERMINATE, null),
    INT(Action.TERMINATE, null),
    QUIT(Action.CORE, "the JVM uses it to print a thread dump and does not give it up"),
    ILL(Action.CORE, "the JVM uses it in compiled code"),
    TRAP(Action.CORE, "debuggers and the JVM's own breakpoints use it"),
    ABRT(Action.CORE, "abort() and the JVM's fatal-error handling raise it; a handler would hide a crash"),
    BUS(Action.CORE, "the JVM uses it to report faults on memory-mapped files"),
    FPE(Action.CORE, "the JVM uses it for integer division by zero"),
    KILL(Action.TERMINATE, "it can be neither caught nor ignored"),
    USR1(Action.TERMINATE, null),
    SEGV(Action.CORE, "the JVM uses it for null checks, stack banging and safepoints"),
    USR2(Action.TERMINATE, null),
    PIPE(Action.TERMINATE, "the JVM ignores it so that writing to a closed pipe or socket fails with an IOException"),
    ALRM(Action.TERMINATE, null),
    TERM(Action.TERMINATE, null),
    CHLD(Action.IGNORE, null),
    CONT(Action.CONTINUE, null),
    STOP(Action.STOP, "it can be neither caught nor ignored"),
    TSTP(Action.STOP, null),
    TTIN(Action.STOP, null),
    TTOU(Action.STOP, null),
    URG(Action.IGNORE, null),
    XCPU(Action.CORE, null),
    XFSZ(Action.CORE, "the JVM ignores it so that writing past the file size limit fails with an IOException"),
    VTALRM(Action.TERMINATE, null),
    PROF(Action.TERMINATE, null),
    WINCH(Action.IGNORE, null),
    IO(Action.TERMINATE, null),
    SYS(Action.CORE, null);

    /** What a signal does to a process that neither handles nor ignores it. */
    public enum Action {
        /** The process ends ({@code Term} in signal(7)). */
        TERMINATE,
        /** The process ends and may dump core ({@code Core}). */
        CORE,
        /** Nothing happens ({@code Ign}). */
        IGNORE,
        /** The process stops until {@code CONT} ({@code Stop}). */
        STOP,
        /** A stopped process continues ({@code Cont}). */
        CONTINUE;

        /** Lower case, as {@code shmkit signal list} prints it. */
        public String label() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    private static final Map<String, String> ALIASES = Map.of("IOT", "ABRT", "CLD", "CHLD", "POLL", "IO");

    private final Action defaultAction;
    private final String vmReason;

    Signal(Action defaultAction, String vmReason) {
        this.defaultAction = defaultAction;
        this.vmReason = vmReason;
    }

    /** {@code USR1}: the name without {@code SIG}, as {@code kill -l} prints it. */
    public String shortName() {
        return name();
    }

    /** {@code SIGUSR1}: the name of the C constant. */
    public String fullName() {
        return "SIG" + name();
    }

    /** This signal's number on the running platform. */
    public int number() {
        Consts.requireSupported();
        return (int) Consts.value(fullName());
    }

    private static final Map<Platform, Map<String, Long>> TABLES = new ConcurrentHashMap<>();

    /** This signal's number on {@code platform} (from that platform's table, wherever this runs). */
    public int numberOn(Platform platform) {
        Long v = TABLES.computeIfAbsent(platform, PlatformTable::load).get(fullName());
        if (v == null) throw new IllegalStateException("the constants table for " + platform.id() + " lacks " + fullName());
        return v.intValue();
    }

    /**
     * What the signal does by default on the running platform. The platforms agree except on
     * {@code IO}, which terminates on Linux and is discarded on macOS.
     */
    public Action defaultAction() {
        if (this == IO && Consts.MACOS) return Action.IGNORE;
        return defaultAction;
    }

    /** Whether {@link Signals#handle}, {@link Signals#ignore} and {@link Signals#await} accept this signal. */
    public boolean isHandleable() {
        return whyNotHandleable().isEmpty();
    }

    /**
     * Why this signal cannot be handled from Java, or empty when it can. Besides the fixed list,
     * HotSpot suspends and resumes threads with {@code USR2}, or with the signal named by the
     * environment variable {@code _JAVA_SR_SIGNUM} when that is set: whichever it is cannot be
     * handled either (a handler would break the VM's thread suspension).
     */
    public Optional<String> whyNotHandleable() {
        if (vmReason != null) return Optional.of(vmReason);
        if (Consts.SUPPORTED && number() == suspendResumeSignal()) {
            return Optional.of("HotSpot uses it to suspend and resume threads (SR_signum; _JAVA_SR_SIGNUM=N moves that to signal N)");
        }
        return Optional.empty();
    }

    private static volatile int srSignal;

    /** HotSpot's suspend/resume signal: {@code _JAVA_SR_SIGNUM} when valid, else SIGUSR2 (signals_posix.cpp). */
    static int suspendResumeSignal() {
        int sr = srSignal;
        if (sr != 0) return sr;
        sr = (int) Consts.value("SIGUSR2");
        String env = System.getenv("_JAVA_SR_SIGNUM");
        if (env != null) {
            try {
                int n = Integer.parseInt(env.trim());
                long max = Math.max(Consts.value("SIGSEGV"), Consts.value("SIGPIPE"));
                long nsig = Consts.LINUX ? 65 : 32;
                if (n > max && n < nsig) sr = n;
            } catch (NumberFormatException ignored) {
                // HotSpot ignores a malformed value too
            }
        }
        srSignal = sr;
        return sr;
    }

    /** The signal with {@code number} on the running platform, if shmkit knows one. */
    public static Optional<Signal> ofNumber(int number) {
        for (Signal s : values()) {
            if (s.number() == number) return Optional.of(s);
        }
        return Optional.empty();
    }

    /**
     * Parses a signal as a shell user writes it: {@code USR1}, {@code SIGUSR1}, {@code usr1},
     * {@code SigUsr1}, the aliases {@code IOT}, {@code CLD}, {@code POLL}, or this platform's
     * number ({@code 10} on Linux).
     *
     * @throws IllegalArgumentException for anything else, including 0 (not a signal: see
     *                                  {@link Signals#probe})
     */
    public static Signal parse(String text) {
        String t = text.trim().toUpperCase(Locale.ROOT);
        if (!t.isEmpty() && t.chars().allMatch(Character::isDigit)) {
            int n;
            try {
                n = Integer.parseInt(t);
            } catch (NumberFormatException e) {
                n = -1;
            }
            if (n == 0) {
                throw new IllegalArgumentException("0 is not a signal (kill -0 only checks that a process exists)");
            }
            return ofNumber(n).orElseThrow(() -> new IllegalArgumentException("shmkit knows no signal number " + text.trim()
                    + " on " + Consts.PLATFORM.id() + " ('shmkit signal list' shows them)"));
        }
        if (t.startsWith("SIG")) t = t.substring(3);
        t = ALIASES.getOrDefault(t, t);
        for (Signal s : values()) {
            if (s.name().equals(t)) return s;
        }
        throw new IllegalArgumentException("not a signal: '" + text + "' (write it as USR1, SIGUSR1 or its number;"
                + " 'shmkit signal list' shows them)");
    }

    /** Every signal, ordered by its number on the running platform. */
    public static List<Signal> byNumber() {
        return Arrays.stream(values()).sorted(Comparator.comparingInt(Signal::number)).toList();
    }

    @Override
    public String toString() {
        return fullName();
    }
}
