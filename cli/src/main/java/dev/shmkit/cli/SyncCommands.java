package dev.shmkit.cli;

import dev.shmkit.sync.NamedSemaphore;
import dev.shmkit.sync.SharedBarrier;
import dev.shmkit.sync.SharedEvent;
import dev.shmkit.sync.SharedLock;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.BrokenBarrierException;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/** {@code shmkit sem|lock|event|barrier ...}: the synchronization objects from the shell. */
final class SyncCommands {
    private SyncCommands() {}

    static int timedOut(CommandSpec spec, String what, Duration timeout) {
        PrintWriter err = spec.commandLine().getErr();
        err.println("shmkit " + spec.qualifiedName(" ").substring("shmkit ".length()) + ": " + what + " timed out after " + human(timeout));
        err.flush();
        return Main.TIMEOUT;
    }

    static String human(Duration d) {
        long ms = d.toMillis();
        return ms % 1000 == 0 ? (ms / 1000) + "s" : ms + "ms";
    }

    static final class TimeoutOption {
        @Option(names = "--timeout", paramLabel = "T", converter = Common.DurationConverter.class,
                description = "Give up after T (500ms, 5s, 2m): exit status 3. Default: wait forever.")
        Duration timeout;
    }

    // ------------------------------------------------------------------ sem

    @Command(name = "sem", mixinStandardHelpOptions = true,
            description = "Named POSIX semaphores (sem_open), shared by name with any program.",
            subcommands = {Sem.Create.class, Sem.Post.class, Sem.Wait.class, Sem.Value.class, Sem.Rm.class})
    static final class Sem {
        @Command(name = "create", mixinStandardHelpOptions = true, description = "Create a semaphore (exclusively).")
        static final class Create implements Callable<Integer> {
            @Mixin Common.DebugOption debug;
            @Parameters(paramLabel = "NAME") String name;
            @Option(names = "--value", paramLabel = "N", defaultValue = "0", description = "Initial value (default: ${DEFAULT-VALUE}).")
            int value;
            @Option(names = "--mode", paramLabel = "MODE", defaultValue = "0600", converter = Common.ModeConverter.class,
                    description = "Permissions in octal (default: ${DEFAULT-VALUE}).")
            int mode;

            @Override
            public Integer call() {
                if (value < 0) throw new UsageException("--value must not be negative, was " + value);
                NamedSemaphore.create(name, value, mode).close();
                return Main.OK;
            }
        }

        @Command(name = "post", mixinStandardHelpOptions = true, description = "Increment the semaphore (sem_post).")
        static final class Post implements Callable<Integer> {
            @Mixin Common.DebugOption debug;
            @Parameters(paramLabel = "NAME") String name;
            @Option(names = {"-n", "--count"}, paramLabel = "N", defaultValue = "1", description = "How many times (default: 1).")
            int count;

            @Override
            public Integer call() {
                if (count <= 0) throw new UsageException("--count must be positive, was " + count);
                try (NamedSemaphore s = NamedSemaphore.open(name)) {
                    s.release(count);
                }
                return Main.OK;
            }
        }

        @Command(name = "wait", mixinStandardHelpOptions = true, description = "Decrement the semaphore, waiting while it is 0 (sem_wait).")
        static final class Wait implements Callable<Integer> {
            @Mixin Common.DebugOption debug;
            @Mixin TimeoutOption timeout;
            @Spec CommandSpec spec;
            @Parameters(paramLabel = "NAME") String name;

            @Override
            public Integer call() throws InterruptedException {
                try (NamedSemaphore s = NamedSemaphore.open(name)) {
                    if (timeout.timeout == null) {
                        s.acquire();
                        return Main.OK;
                    }
                    return s.tryAcquire(timeout.timeout.toNanos(), TimeUnit.NANOSECONDS) ? Main.OK
                            : timedOut(spec, "waiting for " + s.name(), timeout.timeout);
                }
            }
        }

        @Command(name = "value", mixinStandardHelpOptions = true, description = "Print the semaphore's value (not on macOS).")
        static final class Value implements Callable<Integer> {
            @Mixin Common.DebugOption debug;
            @Spec CommandSpec spec;
            @Parameters(paramLabel = "NAME") String name;

            @Override
            public Integer call() {
                try (NamedSemaphore s = NamedSemaphore.open(name)) {
                    spec.commandLine().getOut().println(s.value());
                    spec.commandLine().getOut().flush();
                }
                return Main.OK;
            }
        }

        @Command(name = "rm", mixinStandardHelpOptions = true, description = "Remove the semaphore's name.")
        static final class Rm implements Callable<Integer> {
            @Mixin Common.DebugOption debug;
            @Parameters(paramLabel = "NAME", arity = "1..*") List<String> names;
            @Option(names = {"-f", "--force"}, description = "Do not fail when it does not exist.") boolean force;

            @Override
            public Integer call() {
                for (String n : names) {
                    if (!NamedSemaphore.unlink(n) && !force) throw notFound("sem_unlink", n);
                }
                return Main.OK;
            }
        }
    }

    static RuntimeException notFound(String call, String name) {
        String n = name.startsWith("/") ? name : "/" + name;
        return dev.shmkit.internal.nativeaccess.Errno.exception(call, dev.shmkit.internal.nativeaccess.Errno.quote(n),
                dev.shmkit.internal.nativeaccess.Consts.ENOENT);
    }

    static int removeShm(List<String> names, boolean force) {
        for (String n : names) {
            if (!dev.shmkit.shm.SharedMemory.unlink(n) && !force) throw notFound("shm_unlink", n);
        }
        return Main.OK;
    }

    // ------------------------------------------------------------------ lock

    @Command(name = "lock", mixinStandardHelpOptions = true,
            description = "Process-shared locks that survive the death of their holder.",
            subcommands = {LockCmd.Run.class, LockCmd.Info.class, LockCmd.Rm.class})
    static final class LockCmd {
        @Command(name = "run", mixinStandardHelpOptions = true,
                description = {"Run COMMAND holding the lock NAME (created if missing), like flock(1).",
                        "Exits with COMMAND's status; 3 if the lock was not acquired within --timeout."})
        static final class Run implements Callable<Integer> {
            @Mixin Common.DebugOption debug;
            @Mixin TimeoutOption timeout;
            @Spec CommandSpec spec;
            @Parameters(index = "0", paramLabel = "NAME") String name;
            @Parameters(index = "1..*", paramLabel = "COMMAND", arity = "1..*", description = "The command and its arguments (after --).")
            List<String> command;

            @Override
            public Integer call() throws InterruptedException {
                try (SharedLock lock = SharedLock.openOrCreate(name)) {
                    if (timeout.timeout == null) lock.lockInterruptibly();
                    else if (!lock.tryLock(timeout.timeout.toNanos(), TimeUnit.NANOSECONDS)) {
                        return timedOut(spec, "acquiring lock " + lock.name(), timeout.timeout);
                    }
                    try {
                        if (lock.ownerDied()) {
                            spec.commandLine().getErr().println("shmkit lock run: the previous holder of " + lock.name()
                                    + " died; the lock was recovered");
                            spec.commandLine().getErr().flush();
                        }
                        Process p;
                        try {
                            p = new ProcessBuilder(command).inheritIO().start();
                        } catch (IOException e) {
                            spec.commandLine().getErr().println("shmkit lock run: cannot run " + command.get(0) + ": " + e.getMessage());
                            spec.commandLine().getErr().flush();
                            return 127;
                        }
                        return p.waitFor();
                    } finally {
                        lock.unlock();
                    }
                }
            }
        }

        @Command(name = "info", mixinStandardHelpOptions = true, description = "Print whether the lock is held, by whom, and its waiters.")
        static final class Info implements Callable<Integer> {
            @Mixin Common.DebugOption debug;
            @Spec CommandSpec spec;
            @Parameters(paramLabel = "NAME") String name;

            @Override
            public Integer call() {
                try (SharedLock lock = SharedLock.open(name)) {
                    var out = spec.commandLine().getOut();
                    int pid = lock.ownerPid();
                    out.println("name: " + lock.name());
                    out.println("held: " + (pid != 0 ? "yes" : "no"));
                    out.println("owner-pid: " + pid);
                    out.println("owner-alive: " + (pid == 0 ? "-" : ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false) ? "yes" : "no"));
                    out.println("waiters: " + lock.waiters());
                    out.println("recoveries: " + lock.recoveries());
                    out.flush();
                }
                return Main.OK;
            }
        }

        @Command(name = "rm", mixinStandardHelpOptions = true, description = "Remove the lock's name.")
        static final class Rm implements Callable<Integer> {
            @Mixin Common.DebugOption debug;
            @Parameters(paramLabel = "NAME", arity = "1..*") List<String> names;
            @Option(names = {"-f", "--force"}, description = "Do not fail when it does not exist.") boolean force;

            @Override
            public Integer call() {
                return removeShm(names, force);
            }
        }
    }

    // ------------------------------------------------------------------ event

    @Command(name = "event", mixinStandardHelpOptions = true, description = "Process-shared events (a flag to wait for).",
            subcommands = {EventCmd.Create.class, EventCmd.Set.class, EventCmd.Clear.class, EventCmd.Wait.class, EventCmd.Rm.class})
    static final class EventCmd {
        @Command(name = "create", mixinStandardHelpOptions = true, description = "Create a clear event (exclusively).")
        static final class Create implements Callable<Integer> {
            @Mixin Common.DebugOption debug;
            @Parameters(paramLabel = "NAME") String name;

            @Override
            public Integer call() {
                SharedEvent.create(name).close();
                return Main.OK;
            }
        }

        @Command(name = "set", mixinStandardHelpOptions = true, description = "Set the event, waking every waiter.")
        static final class Set implements Callable<Integer> {
            @Mixin Common.DebugOption debug;
            @Parameters(paramLabel = "NAME") String name;

            @Override
            public Integer call() {
                try (SharedEvent e = SharedEvent.open(name)) {
                    e.set();
                }
                return Main.OK;
            }
        }

        @Command(name = "clear", mixinStandardHelpOptions = true, description = "Clear the event.")
        static final class Clear implements Callable<Integer> {
            @Mixin Common.DebugOption debug;
            @Parameters(paramLabel = "NAME") String name;

            @Override
            public Integer call() {
                try (SharedEvent e = SharedEvent.open(name)) {
                    e.clear();
                }
                return Main.OK;
            }
        }

        @Command(name = "wait", mixinStandardHelpOptions = true, description = "Wait until the event is set (exit 3 on timeout).")
        static final class Wait implements Callable<Integer> {
            @Mixin Common.DebugOption debug;
            @Mixin TimeoutOption timeout;
            @Spec CommandSpec spec;
            @Parameters(paramLabel = "NAME") String name;

            @Override
            public Integer call() throws InterruptedException {
                try (SharedEvent e = SharedEvent.open(name)) {
                    if (timeout.timeout == null) {
                        e.await();
                        return Main.OK;
                    }
                    return e.await(timeout.timeout.toNanos(), TimeUnit.NANOSECONDS) ? Main.OK
                            : timedOut(spec, "waiting for event " + e.name(), timeout.timeout);
                }
            }
        }

        @Command(name = "rm", mixinStandardHelpOptions = true, description = "Remove the event's name.")
        static final class Rm implements Callable<Integer> {
            @Mixin Common.DebugOption debug;
            @Parameters(paramLabel = "NAME", arity = "1..*") List<String> names;
            @Option(names = {"-f", "--force"}, description = "Do not fail when it does not exist.") boolean force;

            @Override
            public Integer call() {
                return removeShm(names, force);
            }
        }
    }

    // ------------------------------------------------------------------ barrier

    @Command(name = "barrier", mixinStandardHelpOptions = true, description = "Process-shared barriers.",
            subcommands = {BarrierCmd.Create.class, BarrierCmd.Wait.class, BarrierCmd.Rm.class})
    static final class BarrierCmd {
        @Command(name = "create", mixinStandardHelpOptions = true, description = "Create a barrier for N parties (exclusively).")
        static final class Create implements Callable<Integer> {
            @Mixin Common.DebugOption debug;
            @Parameters(paramLabel = "NAME") String name;
            @Option(names = "--parties", required = true, paramLabel = "N", description = "How many parties must arrive.")
            int parties;

            @Override
            public Integer call() {
                if (parties < 1) throw new UsageException("--parties must be at least 1, was " + parties);
                SharedBarrier.create(name, parties).close();
                return Main.OK;
            }
        }

        @Command(name = "wait", mixinStandardHelpOptions = true,
                description = {"Wait until all parties have arrived; print this party's arrival index (0 = last).",
                        "Exit 1 if the barrier is broken, 3 on timeout (which breaks it for the others)."})
        static final class Wait implements Callable<Integer> {
            @Mixin Common.DebugOption debug;
            @Mixin TimeoutOption timeout;
            @Spec CommandSpec spec;
            @Parameters(paramLabel = "NAME") String name;

            @Override
            public Integer call() throws InterruptedException {
                try (SharedBarrier b = SharedBarrier.open(name)) {
                    int index;
                    try {
                        index = timeout.timeout == null ? b.await() : b.await(timeout.timeout.toNanos(), TimeUnit.NANOSECONDS);
                    } catch (BrokenBarrierException e) {
                        throw new IllegalStateException("barrier " + b.name() + " is broken (a party timed out, was interrupted or died)");
                    } catch (TimeoutException e) {
                        return timedOut(spec, "waiting at barrier " + b.name(), timeout.timeout);
                    }
                    spec.commandLine().getOut().println(index);
                    spec.commandLine().getOut().flush();
                    return Main.OK;
                }
            }
        }

        @Command(name = "rm", mixinStandardHelpOptions = true, description = "Remove the barrier's name.")
        static final class Rm implements Callable<Integer> {
            @Mixin Common.DebugOption debug;
            @Parameters(paramLabel = "NAME", arity = "1..*") List<String> names;
            @Option(names = {"-f", "--force"}, description = "Do not fail when it does not exist.") boolean force;

            @Override
            public Integer call() {
                return removeShm(names, force);
            }
        }
    }
}
