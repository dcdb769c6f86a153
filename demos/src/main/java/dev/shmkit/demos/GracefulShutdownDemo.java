package dev.shmkit.demos;

import dev.shmkit.signals.ChildProcesses;
import dev.shmkit.signals.ExitStatus;
import dev.shmkit.signals.Signal;
import dev.shmkit.signals.SignalRegistration;
import dev.shmkit.signals.Signals;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Graceful shutdown of worker processes by signal, the way service managers (systemd, Kubernetes,
 * {@code docker stop}) do it: a supervisor sends each worker TERM, gives it a grace period to
 * finish its current job and exit cleanly, and sends KILL to any worker still running after that.
 *
 * <ul>
 *   <li>A well-behaved worker registers a TERM handler ({@link Signals#handle}): the handler only
 *       sets a flag, the work loop finishes the job in hand, saves its state and exits with 0.</li>
 *   <li>A stubborn worker ignores TERM ({@link Signals#ignore}); {@link ChildProcesses#stop} kills it
 *       after the grace period, and its exit status says "killed by SIGKILL".</li>
 * </ul>
 *
 * <pre>bin/shmkit-java dev.shmkit.demos.GracefulShutdownDemo [workers]</pre>
 */
public final class GracefulShutdownDemo {
    private GracefulShutdownDemo() {}

    private static final Duration GRACE = Duration.ofSeconds(2);

    public static void main(String[] args) throws Exception {
        if (args.length == 3 && args[0].equals("--worker")) {
            worker(Integer.parseInt(args[1]), args[2].equals("stubborn"));
            return;
        }
        int n = args.length > 0 ? Integer.parseInt(args[0]) : 3;
        if (n < 2) throw new IllegalArgumentException("need at least 2 workers (the last one is stubborn)");
        supervisor(n);
    }

    private record Worker(int id, Process process, CountDownLatch busy) {}

    private static void supervisor(int n) throws Exception {
        say("[supervisor " + ProcessHandle.current().pid() + "] starting " + n + " workers; worker " + n
                + " ignores TERM");
        List<Worker> workers = new ArrayList<>();
        for (int id = 1; id <= n; id++) {
            Process p = Jvm.demo(GracefulShutdownDemo.class, "--worker", Integer.toString(id), id == n ? "stubborn" : "graceful")
                    .redirectError(ProcessBuilder.Redirect.INHERIT).start();
            Worker w = new Worker(id, p, new CountDownLatch(2));
            workers.add(w);
            Thread.ofPlatform().daemon().start(() -> relay(w));
        }
        // Each worker says "ready" once its disposition for TERM is in place, then works; wait until
        // every one has finished a job (no guessing with sleeps).
        for (Worker w : workers) {
            if (!w.busy().await(60, TimeUnit.SECONDS)) throw new IllegalStateException("worker " + w.id() + " did not start");
        }
        say("[supervisor] all workers busy; stopping them: TERM, then KILL after " + GRACE.toSeconds() + "s");
        List<String> summary = new ArrayList<>();
        for (Worker w : workers) {
            ExitStatus status = ChildProcesses.stop(w.process(), GRACE);
            summary.add("[supervisor] worker " + w.id() + " (pid " + w.process().pid() + "): " + status);
        }
        summary.forEach(GracefulShutdownDemo::say);
        say("[supervisor] done");
    }

    /** Copies a worker's output, indented; counts "ready" and the first "done" as the start signal. */
    private static void relay(Worker w) {
        try (BufferedReader r = new BufferedReader(new InputStreamReader(w.process().getInputStream(), StandardCharsets.UTF_8))) {
            boolean first = true;
            for (String line; (line = r.readLine()) != null; ) {
                say("    " + line);
                if (line.endsWith(" ready") || (first && line.contains(" done"))) {
                    if (line.contains(" done")) first = false;
                    w.busy().countDown();
                }
            }
        } catch (IOException ignored) {
            // the worker is gone
        }
    }

    private static void worker(int id, boolean stubborn) throws InterruptedException {
        String me = "[worker " + id + " pid " + ProcessHandle.current().pid() + "]";
        AtomicBoolean stopRequested = new AtomicBoolean();
        SignalRegistration registration;
        if (stubborn) {
            registration = Signals.ignore(Signal.TERM);
        } else {
            registration = Signals.handle(Signal.TERM, s -> {
                say(me + " got " + s + ": finishing the current job");
                stopRequested.set(true);
            });
        }
        say(me + (stubborn ? " ignores SIGTERM;" : " handles SIGTERM;") + " ready");
        int job = 0;
        try (registration) {
            while (!stopRequested.get()) {
                job++;
                Thread.sleep(100); // the "work": stands for a unit of real processing
                say(me + " job " + job + " done");
            }
        }
        say(me + " saved its state after job " + job + "; exiting cleanly");
    }

    private static synchronized void say(String line) {
        System.out.println(line);
        System.out.flush();
    }
}
