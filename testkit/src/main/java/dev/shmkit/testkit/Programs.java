package dev.shmkit.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Runs outside programs (python3, gcc, ipcs, cat, a compiled C probe) with a bounded wait and
 * captured output, and compiles small C programs for interoperability tests.
 */
public final class Programs {
    private Programs() {}

    /** What a finished program printed and returned. */
    public record Result(int exitCode, String stdout, String stderr) {
        public Result assertSuccess() {
            if (exitCode != 0) {
                throw new AssertionError("exit code " + exitCode + "\n--- stdout ---\n" + stdout + "\n--- stderr ---\n" + stderr);
            }
            return this;
        }
    }

    public static Result run(List<String> command) {
        return run(command, null, ChildJvm.TIMEOUT);
    }

    public static Result run(String... command) {
        return run(List.of(command));
    }

    /** Runs {@code command}, feeding it {@code stdin} (or nothing), and waits at most {@code timeout}. */
    public static Result run(List<String> command, byte[] stdin, Duration timeout) {
        Process p;
        try {
            p = new ProcessBuilder(command).start();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot run " + command, e);
        }
        CompletableFuture<byte[]> out = CompletableFuture.supplyAsync(() -> readAll(p.getInputStream()));
        CompletableFuture<byte[]> err = CompletableFuture.supplyAsync(() -> readAll(p.getErrorStream()));
        try (var in = p.getOutputStream()) {
            if (stdin != null) in.write(stdin);
        } catch (IOException ignored) {
            // the program did not read its input
        }
        try {
            if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                p.destroyForcibly();
                throw new AssertionError(command + " still running after " + timeout);
            }
            return new Result(p.exitValue(), new String(out.get(), StandardCharsets.UTF_8),
                    new String(err.get(), StandardCharsets.UTF_8));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        } catch (java.util.concurrent.ExecutionException e) {
            throw new AssertionError(e);
        } finally {
            if (p.isAlive()) p.destroyForcibly();
        }
    }

    private static byte[] readAll(java.io.InputStream in) {
        try (in) {
            return in.readAllBytes();
        } catch (IOException e) {
            return new byte[0];
        }
    }

    /** Whether {@code program} is on PATH. */
    public static boolean available(String program) {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(":")) {
            if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, program))) return true;
        }
        return false;
    }

    /**
     * Compiles {@code source} (a C program) with {@code cc} into {@code dir} and returns the
     * executable. Tests that need it should first assume {@code available("cc")}.
     */
    public static Path compileC(Path dir, String name, String source, String... extraFlags) {
        try {
            Path src = dir.resolve(name + ".c");
            Path exe = dir.resolve(name);
            Files.writeString(src, source);
            List<String> cmd = new ArrayList<>(List.of("cc", "-O2", "-Wall", "-o", exe.toString(), src.toString()));
            cmd.addAll(List.of(extraFlags));
            run(cmd, null, ChildJvm.TIMEOUT).assertSuccess();
            return exe;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
