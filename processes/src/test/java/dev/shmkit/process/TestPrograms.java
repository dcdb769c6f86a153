package dev.shmkit.process;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Main classes the tests run in child JVMs, and helpers for watching processes. */
final class TestPrograms {
    private TestPrograms() {}

    /** {@code ChildProcess.startMain} target: prints its arguments, exits with the status given as the first one. */
    public static final class EchoMain {
        public static void main(String[] args) {
            System.out.println("args " + String.join(",", args));
            System.out.flush();
            if (args.length > 0 && !args[0].equals("0")) System.exit(Integer.parseInt(args[0]));
        }
    }

    /** A main method that throws. */
    public static final class ThrowingMain {
        public static void main(String[] args) {
            throw new IllegalStateException("main failed: " + String.join(",", args));
        }
    }

    /** An instance main without arguments (JEP 512). */
    public static final class InstanceMain {
        void main() {
            System.out.println("instance main ran");
        }
    }

    /**
     * A parent JVM for the parent-death tests: starts a pool (arg "pool") or a daemon child (arg
     * "child"), prints the pids of its children, then waits to be killed.
     */
    public static final class Parent {
        public static void main(String[] args) throws Exception {
            if (args[0].equals("pool")) {
                ProcessPool pool = ProcessPool.builder().workers(2).name("orphan-test").build();
                if (!pool.awaitReady(Duration.ofSeconds(60))) throw new IllegalStateException("workers not ready");
                // Keep the workers busy in a long task too, so death is noticed even mid-task.
                pool.submit(() -> {
                    Thread.sleep(120_000);
                    return null;
                });
                StringBuilder b = new StringBuilder("pids");
                for (long p : pool.workerPids()) b.append(' ').append(p);
                System.out.println(b);
            } else {
                ChildProcess<Void> child = ChildProcess.builder().name("orphan-child").daemon(!args[0].equals("nondaemon"))
                        .start(() -> {
                            try {
                                Thread.sleep(120_000);
                            } catch (InterruptedException e) {
                                Thread.currentThread().interrupt();
                            }
                        });
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
                while (child.startupTime().isEmpty() && System.nanoTime() < deadline) Thread.sleep(5);
                System.out.println("pids " + child.pid());
            }
            System.out.flush();
            Thread.sleep(600_000);
        }
    }

    /** Waits until {@code pid} has ended; false if it still runs after {@code timeout}. */
    static boolean awaitDeath(long pid, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (ProcessHandle.of(pid).map(h -> !h.isAlive()).orElse(true) && !isRunning(pid)) return true;
            Thread.sleep(20);
        }
        return false;
    }

    /** Whether /proc says the pid runs (a zombie does not count). */
    static boolean isRunning(long pid) {
        Path stat = Path.of("/proc", Long.toString(pid), "stat");
        try {
            String s = Files.readString(stat);
            char state = s.charAt(s.lastIndexOf(')') + 2);
            return state != 'Z' && state != 'X';
        } catch (IOException e) {
            return false;
        }
    }

    /** The shmkit objects in /dev/shm that belong to children of process {@code pid}. */
    static List<String> segmentsOf(long pid) throws IOException {
        Path shm = Path.of("/dev/shm");
        if (!Files.isDirectory(shm)) return List.of();
        try (var s = Files.list(shm)) {
            return s.map(p -> p.getFileName().toString())
                    .filter(n -> n.startsWith("shmkit-w" + pid + "-") || n.startsWith("shmkit-c" + pid + "-"))
                    .toList();
        }
    }
}
