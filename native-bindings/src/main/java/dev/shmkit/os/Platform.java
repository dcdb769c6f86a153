package dev.shmkit.os;

import java.util.Locale;

/**
 * The operating systems and processors shmkit knows. Each has its own table of constants and
 * structure layouts, taken from that platform's headers; any other platform is refused with an
 * {@link UnsupportedPlatformException} at the first native call.
 *
 * <p>Linux x86_64 uses the code that jextract generated from the glibc headers and is the
 * platform the test suite runs on. Linux aarch64 uses a table produced by compiling a probe
 * against the aarch64 glibc headers; macOS (arm64 and x86_64) uses a table read from Apple's
 * open-source xnu and Libc headers. See {@code docs/platforms.md}.
 */
public enum Platform {
    LINUX_X86_64("linux", "x86_64", true),
    LINUX_AARCH64("linux", "aarch64", false),
    MACOS_AARCH64("macos", "aarch64", false),
    MACOS_X86_64("macos", "x86_64", false);

    private final String os;
    private final String arch;
    private final boolean testedInCi;

    Platform(String os, String arch, boolean testedInCi) {
        this.os = os;
        this.arch = arch;
        this.testedInCi = testedInCi;
    }

    private static final class Current {
        static final Platform VALUE;
        static final String PROBLEM;
        static {
            Platform found = null;
            String osName = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
            String archName = System.getProperty("os.arch", "").toLowerCase(Locale.ROOT);
            String os = osName.startsWith("linux") ? "linux"
                    : (osName.startsWith("mac") || osName.contains("darwin")) ? "macos" : null;
            String arch = switch (archName) {
                case "amd64", "x86_64" -> "x86_64";
                case "aarch64", "arm64" -> "aarch64";
                default -> null;
            };
            for (Platform p : values()) {
                if (p.os.equals(os) && p.arch.equals(arch)) found = p;
            }
            VALUE = found;
            PROBLEM = found != null ? null
                    : "shmkit does not support " + System.getProperty("os.name") + " on "
                      + System.getProperty("os.arch")
                      + ": it knows Linux (x86_64, aarch64) and macOS (arm64, x86_64) and will not guess"
                      + " another platform's constants";
        }
    }

    /**
     * The platform this JVM runs on.
     *
     * @throws UnsupportedPlatformException on an operating system or processor shmkit does not know
     */
    public static Platform current() {
        if (Current.VALUE == null) throw new UnsupportedPlatformException(Current.PROBLEM);
        return Current.VALUE;
    }

    /** Whether {@link #current()} would succeed. */
    public static boolean isSupported() {
        return Current.VALUE != null;
    }

    public boolean isLinux() { return os.equals("linux"); }

    public boolean isMacOS() { return os.equals("macos"); }

    /** {@code linux} or {@code macos}. */
    public String os() { return os; }

    /** {@code x86_64} or {@code aarch64}. */
    public String arch() { return arch; }

    /** Whether shmkit's continuous integration runs its test suite on this platform. */
    public boolean testedInCi() { return testedInCi; }

    /** The name of the constants table, e.g. {@code linux-x86_64}. */
    public String id() { return os + "-" + arch; }
}
