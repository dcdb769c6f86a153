package dev.shmkit.testkit;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

/**
 * The child side of {@link ChildJvm}'s line protocol: {@link #say} prints a line and flushes,
 * {@link #await} blocks until the parent sends the given line (the start gun). A child whose
 * parent disappears reads end-of-file and exits, so none is left behind.
 */
public final class Child {
    private Child() {}

    private static final BufferedReader IN =
            new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));

    public static void say(String line) {
        System.out.println(line);
        System.out.flush();
    }

    /** The next line from the parent; exits the JVM with code 99 at end of input. */
    public static String listen() {
        try {
            String line = IN.readLine();
            if (line == null) {
                System.err.println("parent closed stdin; exiting");
                System.exit(99);
            }
            return line;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Blocks until the parent sends {@code expected}; any other line is a protocol error. */
    public static void await(String expected) {
        String line = listen();
        if (!line.equals(expected)) throw new IllegalStateException("expected '" + expected + "' from parent, got '" + line + "'");
    }
}
