package dev.shmkit.cli;

import dev.shmkit.process.ProcessPool;
import dev.shmkit.process.ResultIterator;
import dev.shmkit.process.SerializableFunction;
import dev.shmkit.process.TaskFailedException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.concurrent.Callable;

/**
 * {@code shmkit run [--workers N] -- COMMAND ARGS...}: a minimal {@code xargs -P} built on a
 * {@link ProcessPool}. Each line of stdin becomes one run of COMMAND, with {@code {}} in its
 * arguments replaced by the line (or the line appended when no argument has {@code {}}); the runs
 * happen in parallel in the pool's worker processes; their stdout and stderr are printed in input
 * order, each run's whole output at once. Exit status: 0 when every run exited with 0, 1 otherwise.
 */
@Command(name = "run", mixinStandardHelpOptions = true,
        description = {"Run COMMAND once per line of stdin, in parallel worker processes (a minimal xargs -P).",
                "'{}' in the arguments is replaced by the line; without '{}' the line is appended as the last argument.",
                "Empty lines are skipped. Output comes in input order, each run's stdout and stderr whole.",
                "Exit status: 0 when every run exited with 0, 1 when any failed or could not start, 2 on a usage error."})
final class RunCommand implements Callable<Integer> {
    @Mixin Common.DebugOption debug;
    @Spec CommandSpec spec;

    @Option(names = {"-w", "--workers"}, paramLabel = "N",
            description = "Worker processes (default: the number of CPUs).")
    Integer workers;

    @Option(names = "--startup-cache", paramLabel = "DIR",
            description = "Keep a JDK AOT cache for the workers in DIR (faster start-up from the second run on).")
    Path startupCache;

    @Parameters(paramLabel = "COMMAND", arity = "1..*", description = "The command and its arguments (after --).")
    List<String> command;

    /** Replaced by the input line in COMMAND's arguments. */
    static final String PLACEHOLDER = "{}";

    @Override
    public Integer call() throws IOException {
        int n = workers != null ? workers : Runtime.getRuntime().availableProcessors();
        if (n < 1) throw new UsageException("--workers must be at least 1, was " + n);
        PrintWriter err = spec.commandLine().getErr();
        OutputStream out = Io.out;
        BufferedReader in = new BufferedReader(new InputStreamReader(Io.in, StandardCharsets.UTF_8));
        ArrayList<String> template = new ArrayList<>(command);
        SerializableFunction<String, List<Object>> runOne = line -> runCommand(template, line);
        boolean allOk = true;
        ProcessPool.Builder b = ProcessPool.builder().workers(n).name("run");
        if (startupCache != null) b.startupCache(startupCache);
        try (ProcessPool pool = b.build(); ResultIterator<List<Object>> results = pool.imap(runOne, () -> lines(in))) {
            while (results.hasNext()) {
                List<Object> r;
                try {
                    r = results.next();
                } catch (TaskFailedException e) {
                    err.println("shmkit run: " + e.getMessage());
                    err.flush();
                    allOk = false;
                    continue;
                }
                int status = (Integer) r.get(0);
                out.write((byte[]) r.get(1));
                out.flush();
                byte[] e = (byte[]) r.get(2);
                if (e.length > 0) {
                    err.print(new String(e, StandardCharsets.UTF_8));
                    err.flush();
                }
                if (status != 0) allOk = false;
            }
        }
        return allOk ? Main.OK : Main.FAILURE;
    }

    /** The non-empty lines of {@code in}, read as the pool asks for them. */
    private static Iterator<String> lines(BufferedReader in) {
        return new Iterator<>() {
            private String next;

            @Override
            public boolean hasNext() {
                try {
                    while (next == null) {
                        String l = in.readLine();
                        if (l == null) return false;
                        if (!l.isEmpty()) next = l;
                    }
                    return true;
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }

            @Override
            public String next() {
                if (!hasNext()) throw new NoSuchElementException();
                String l = next;
                next = null;
                return l;
            }
        };
    }

    /** The command line for one input line: {@code {}} replaced, or the line appended. */
    static List<String> commandFor(List<String> template, String line) {
        List<String> cmd = new ArrayList<>(template.size() + 1);
        boolean placed = false;
        for (String a : template) {
            if (a.contains(PLACEHOLDER)) {
                cmd.add(a.replace(PLACEHOLDER, line));
                placed = true;
            } else {
                cmd.add(a);
            }
        }
        if (!placed) cmd.add(line);
        return cmd;
    }

    /** Runs in a worker: the command with the line, its stdout and stderr captured; {exit status, stdout, stderr}. */
    static List<Object> runCommand(List<String> template, String line) {
        List<String> cmd = commandFor(template, line);
        Process p;
        try {
            p = new ProcessBuilder(cmd).start();
        } catch (IOException e) {
            return List.of(127, new byte[0], ("shmkit run: cannot run " + cmd.get(0) + ": " + e.getMessage() + "\n")
                    .getBytes(StandardCharsets.UTF_8));
        }
        try {
            p.getOutputStream().close(); // the command's stdin is empty, as with xargs
            return readBoth(p);
        } catch (IOException e) {
            p.destroyForcibly();
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    /** Reads stdout here and stderr on a virtual thread (both at once, so neither pipe fills up), then waits. */
    private static List<Object> readBoth(Process p) throws IOException, InterruptedException {
        java.util.concurrent.CompletableFuture<byte[]> err = new java.util.concurrent.CompletableFuture<>();
        Thread.ofVirtual().start(() -> {
            try {
                err.complete(p.getErrorStream().readAllBytes());
            } catch (IOException e) {
                err.complete(new byte[0]);
            }
        });
        byte[] out = p.getInputStream().readAllBytes();
        int status = p.waitFor();
        return List.of(status, out, err.join());
    }
}
