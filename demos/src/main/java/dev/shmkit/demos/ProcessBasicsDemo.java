package dev.shmkit.demos;

import dev.shmkit.process.ChildProcess;
import dev.shmkit.process.ProcessPool;
import dev.shmkit.process.RemoteException;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Course day 1: processes. Start child JVMs, get their PIDs, join them, read their exit codes,
 * see an exception come back from a child with its stack trace, stop children with TERM and KILL,
 * and measure what starting a JVM costs (a JVM cannot fork: every child is a fresh JVM).
 *
 * <pre>bin/shmkit-java dev.shmkit.demos.ProcessBasicsDemo</pre>
 */
public final class ProcessBasicsDemo {
    private ProcessBasicsDemo() {}

    public static void main(String[] args) throws Exception {
        long me = ProcessHandle.current().pid();
        System.out.println("parent: pid " + me);

        // 1. Three children at once, each reporting who it is.
        List<ChildProcess<String>> children = new ArrayList<>();
        for (int i = 1; i <= 3; i++) {
            int n = i;
            children.add(ChildProcess.builder().name("child-" + n).start(() ->
                    "I am child " + n + ", pid " + ProcessHandle.current().pid() + ", parent "
                            + ProcessHandle.current().parent().map(ProcessHandle::pid).orElse(-1L)));
        }
        for (ChildProcess<String> c : children) {
            System.out.println("started " + c.name() + " as pid " + c.pid());
        }
        for (ChildProcess<String> c : children) {
            String says = c.result(); // the result, as soon as it is back
            c.join();                 // and the child's exit
            System.out.printf("joined %s: \"%s\", exit code %d, start-up %d ms%n", c.name(), says, c.exitCode().orElseThrow(),
                    c.startupTime().map(Duration::toMillis).orElse(-1L));
        }

        // 2. An exception in a child reaches the parent with its type, message and stack trace.
        try (ChildProcess<Integer> failing = ChildProcess.builder().name("failing").start(() -> parse("forty-two"))) {
            failing.join();
            RemoteException e = failing.exception().orElseThrow();
            System.out.println(failing.name() + " exited with code " + failing.exitCode().orElseThrow() + " and threw:");
            System.out.println("  " + e);
            for (StackTraceElement f : e.getStackTrace()) {
                if (f.getClassName().startsWith("dev.shmkit.process.")) break;
                System.out.println("    at " + f);
            }
        }

        // 3. Stopping children: TERM asks (shutdown hooks run), KILL does not ask.
        ChildProcess<Void> polite = ChildProcess.builder().name("sleeper-1").start(ProcessBasicsDemo::sleepLong);
        ChildProcess<Void> stubborn = ChildProcess.builder().name("sleeper-2").start(ProcessBasicsDemo::sleepLong);
        awaitStarted(polite);
        awaitStarted(stubborn);
        polite.terminate();
        stubborn.kill();
        polite.join();
        stubborn.join();
        System.out.println(polite.name() + " (pid " + polite.pid() + "): " + polite.exitStatus().orElseThrow());
        System.out.println(stubborn.name() + " (pid " + stubborn.pid() + "): " + stubborn.exitStatus().orElseThrow());

        // 4. What a process costs to start: a pool of workers, measured.
        long t0 = System.nanoTime();
        try (ProcessPool pool = ProcessPool.builder().workers(2).name("basics").build()) {
            pool.awaitReady(Duration.ofSeconds(60));
            long ready = System.nanoTime() - t0;
            System.out.printf("pool of 2 workers %s ready in %d ms (mean worker start-up %d ms)%n", pool.workerPids(),
                    ready / 1_000_000, pool.stats().meanStartup().toMillis());
            System.out.println("each worker runs tasks in its own process: " + pool.map(x -> ProcessHandle.current().pid(), List.of(1, 2, 3, 4), 1));
        }
        System.out.println("(Python: fork about 2 ms, spawn about 63 ms on this machine; a JVM is a spawn, see docs/processes.md)");
    }

    static int parse(String s) {
        return Integer.parseInt(s);
    }

    static void sleepLong() {
        try {
            Thread.sleep(60_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void awaitStarted(ChildProcess<?> c) throws InterruptedException {
        while (c.startupTime().isEmpty() && c.isAlive()) Thread.sleep(5);
    }
}
