package dev.shmkit.signals;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.OptionalLong;

/** Reads Linux {@code /proc} values (read to end-of-file: /proc files report no size). */
final class ProcFiles {
    private ProcFiles() {}

    /** The text of {@code /proc/<relative>}, trimmed, or null when unreadable. */
    static String read(String relative) {
        Path p = Path.of("/proc", relative);
        try (InputStream in = Files.newInputStream(p)) {
            return new String(in.readAllBytes(), StandardCharsets.US_ASCII).trim();
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    /** A positive number from {@code /proc/<relative>}, if readable. */
    static OptionalLong number(String relative) {
        String s = read(relative);
        if (s == null) return OptionalLong.empty();
        try {
            long v = Long.parseLong(s);
            return v > 0 ? OptionalLong.of(v) : OptionalLong.empty();
        } catch (NumberFormatException e) {
            return OptionalLong.empty();
        }
    }
}
