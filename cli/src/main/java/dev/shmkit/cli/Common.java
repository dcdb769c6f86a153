package dev.shmkit.cli;

import picocli.CommandLine;
import picocli.CommandLine.Option;

import java.time.Duration;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Options and value converters shared by every command. */
final class Common {
    private Common() {}

    /** {@code --debug}: stack traces on errors. Mixed into every command. */
    static final class DebugOption {
        @Option(names = "--debug", description = "Print the stack trace of an error.", scope = CommandLine.ScopeType.INHERIT)
        boolean debug;
    }

    private static final Pattern SIZE = Pattern.compile("(\\d+)\\s*([kmgt]i?b?|b)?", Pattern.CASE_INSENSITIVE);
    private static final Pattern DURATION = Pattern.compile("(\\d+(?:\\.\\d+)?)\\s*(ns|us|ms|s|m|h)?", Pattern.CASE_INSENSITIVE);

    /** Bytes: {@code 4096}, or with a binary suffix {@code 64K}, {@code 1M}, {@code 2G} (also KiB, MB...). */
    static final class SizeConverter implements CommandLine.ITypeConverter<Long> {
        @Override
        public Long convert(String value) {
            return parseSize(value);
        }
    }

    static long parseSize(String value) {
        Matcher m = SIZE.matcher(value.trim());
        if (!m.matches()) throw new CommandLine.TypeConversionException("'" + value + "' is not a size (e.g. 4096, 64K, 1M)");
        long n;
        try {
            n = Long.parseLong(m.group(1));
        } catch (NumberFormatException e) {
            throw new CommandLine.TypeConversionException("'" + value + "' is too large");
        }
        String unit = m.group(2) == null ? "" : m.group(2).toLowerCase(Locale.ROOT);
        int shift = unit.isEmpty() || unit.equals("b") ? 0 : switch (unit.charAt(0)) {
            case 'k' -> 10;
            case 'm' -> 20;
            case 'g' -> 30;
            default -> 40;
        };
        if (shift > 0 && n > (Long.MAX_VALUE >> shift)) throw new CommandLine.TypeConversionException("'" + value + "' is too large");
        return n << shift;
    }

    /** Durations: {@code 500ms}, {@code 5s}, {@code 2m}, {@code 1h}, {@code 1.5s}; a bare number is seconds. */
    static final class DurationConverter implements CommandLine.ITypeConverter<Duration> {
        @Override
        public Duration convert(String value) {
            return parseDuration(value);
        }
    }

    static Duration parseDuration(String value) {
        Matcher m = DURATION.matcher(value.trim());
        if (!m.matches()) throw new CommandLine.TypeConversionException("'" + value + "' is not a duration (e.g. 500ms, 5s, 2m)");
        double n = Double.parseDouble(m.group(1));
        String unit = m.group(2) == null ? "s" : m.group(2).toLowerCase(Locale.ROOT);
        double nanos = n * switch (unit) {
            case "ns" -> 1;
            case "us" -> 1e3;
            case "ms" -> 1e6;
            case "s" -> 1e9;
            case "m" -> 60e9;
            default -> 3600e9;
        };
        if (nanos > Long.MAX_VALUE) throw new CommandLine.TypeConversionException("'" + value + "' is too long");
        return Duration.ofNanos((long) nanos);
    }

    /** Permission bits in octal: {@code 0600}, {@code 600}, {@code 0o640}. */
    static final class ModeConverter implements CommandLine.ITypeConverter<Integer> {
        @Override
        public Integer convert(String value) {
            String v = value.trim();
            if (v.startsWith("0o") || v.startsWith("0O")) v = v.substring(2);
            try {
                int mode = Integer.parseInt(v, 8);
                if (mode < 0 || mode > 0777) throw new NumberFormatException();
                return mode;
            } catch (NumberFormatException e) {
                throw new CommandLine.TypeConversionException("'" + value + "' is not an octal mode within 0777 (e.g. 0600)");
            }
        }
    }

    /** System V keys: decimal or 0x hexadecimal, as ipcs prints them. */
    static final class KeyConverter implements CommandLine.ITypeConverter<Integer> {
        @Override
        public Integer convert(String value) {
            try {
                return dev.shmkit.shm.SysVSharedMemory.parseKey(value);
            } catch (IllegalArgumentException e) {
                throw new CommandLine.TypeConversionException(e.getMessage());
            }
        }
    }

    static String octal(int mode) {
        return String.format("%04o", mode);
    }

    static String hexKey(int key) {
        return String.format("0x%08x", key);
    }
}
