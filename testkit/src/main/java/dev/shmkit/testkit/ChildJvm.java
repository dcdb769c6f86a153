package dev.shmkit.testkit;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A child JVM running a {@code main} class on this JVM's class path, with native access enabled.
 * The parent talks to it by lines: {@link #send} writes to its stdin, {@link #expectLine} reads
 * its stdout with a bounded wait, so tests synchronize on messages, never on sleeps. Its stderr
 * is collected for failure messages. {@link #close()} kills it if it is still running, so a
 * child never outlives its test.
 *
 * <pre>{@code
 * try (ChildJvm child = ChildJvm.start(Writer.class, name)) {
 *     child.expectLine("ready");
 *     child.send("go");
 *     assertEquals(0, child.waitFor(Duration.ofSeconds(30)));
 * }
 * }</pre>
 */
public final class ChildJvm implements AutoCloseable {
    /** Default bound for every wait; a failure guard, never a synchronization device. */
    public static final Duration TIMEOUT = Duration.ofSeconds(60);
    private static final String EOF = new String("<eof>");

    private final Process process;
    private final Writer stdin;
    private final BlockingQueue<String> stdout = new LinkedBlockingQueue<>();
    private final StringBuffer stderr = new StringBuffer();
    private final String description;

    private ChildJvm(Process process, String description) {
        this.process = process;
        this.description = description;
        this.stdin = new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8);
        Thread out = Thread.ofVirtual().unstarted(() -> pump(new BufferedReader(
                new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8)), true));
        Thread err = Thread.ofVirtual().unstarted(() -> pump(new BufferedReader(
                new InputStreamReader(process.getErrorStream(), StandardCharsets.UTF_8)), false));
        out.start();
        err.start();
    }

    private void pump(BufferedReader r, boolean isStdout) {
        try (r) {
            for (String line; (line = r.readLine()) != null; ) {
                if (isStdout) stdout.add(line);
                else stderr.append(line).append('\n');
            }
        } catch (IOException ignored) {
            // the process went away
        } finally {
            if (isStdout) stdout.add(EOF);
        }
    }

    /** The command line for running {@code mainClass} in a fresh JVM like this one. */
    public static List<String> command(Class<?> mainClass, List<String> jvmOptions, String... args) {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.add("--enable-native-access=ALL-UNNAMED");
        cmd.add("-XX:+UseSerialGC");
        cmd.add("-XX:TieredStopAtLevel=1");
        cmd.add("-Xshare:auto");
        cmd.addAll(jvmOptions);
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(mainClass.getName());
        cmd.addAll(List.of(args));
        return cmd;
    }

    /** Starts {@code mainClass} with {@code args}. */
    public static ChildJvm start(Class<?> mainClass, String... args) {
        return start(mainClass, List.of(), args);
    }

    public static ChildJvm start(Class<?> mainClass, List<String> jvmOptions, String... args) {
        List<String> cmd = command(mainClass, jvmOptions, args);
        try {
            Process p = new ProcessBuilder(cmd).start();
            return new ChildJvm(p, mainClass.getSimpleName() + " " + String.join(" ", args));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start " + cmd, e);
        }
    }

    public long pid() {
        return process.pid();
    }

    public Process process() {
        return process;
    }

    /** Sends one line to the child's stdin. */
    public void send(String line) {
        try {
            stdin.write(line);
            stdin.write('\n');
            stdin.flush();
        } catch (IOException e) {
            throw new AssertionError(description + ": cannot write to child: " + e + stderrNote(), e);
        }
    }

    /** The next stdout line, waiting at most {@link #TIMEOUT}; fails the test otherwise. */
    public String readLine() {
        return readLine(TIMEOUT);
    }

    public String readLine(Duration timeout) {
        String line;
        try {
            line = stdout.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
        if (line == null) throw new AssertionError(description + ": no output within " + timeout + stderrNote());
        if (line == EOF) {
            stdout.add(EOF);
            throw new AssertionError(description + ": child ended its output" + exitNote() + stderrNote());
        }
        return line;
    }

    /** Reads the next line and fails unless it equals {@code expected}. */
    public void expectLine(String expected) {
        String line = readLine();
        if (!line.equals(expected)) {
            throw new AssertionError(description + ": expected '" + expected + "' but read '" + line + "'" + stderrNote());
        }
    }

    /** Waits for the child to exit and returns its exit code; fails after {@code timeout}. */
    public int waitFor(Duration timeout) {
        try {
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                throw new AssertionError(description + ": still running after " + timeout + stderrNote());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
        return process.exitValue();
    }

    public int waitFor() {
        return waitFor(TIMEOUT);
    }

    /** Waits for exit and fails unless the exit code is 0. */
    public void assertSuccess() {
        int code = waitFor();
        if (code != 0) throw new AssertionError(description + ": exit code " + code + stderrNote());
    }

    public String stderr() {
        return stderr.toString();
    }

    private String exitNote() {
        return process.isAlive() ? "" : " (exit code " + process.exitValue() + ")";
    }

    private String stderrNote() {
        String s = stderr.toString();
        return s.isEmpty() ? "" : "\n--- child stderr ---\n" + s;
    }

    @Override
    public void close() {
        if (process.isAlive()) {
            process.destroyForcibly();
            try {
                process.waitFor(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        try {
            stdin.close();
        } catch (IOException ignored) {
            // the pipe is already closed when the child has exited
        }
    }
}
