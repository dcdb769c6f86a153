package dev.shmkit.sync;

import dev.shmkit.testkit.ChildJvm;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** The parent's side of a {@link SyncAgent} child JVM. */
final class Agent implements AutoCloseable {
    private final ChildJvm jvm;
    private String last = "";
    private int pings;

    private Agent(ChildJvm jvm) {
        this.jvm = jvm;
    }

    /** Starts {@code n} agents at once (their JVMs start in parallel) and waits until each is ready. */
    static List<Agent> start(int n) {
        List<ChildJvm> jvms = new ArrayList<>();
        for (int i = 0; i < n; i++) jvms.add(ChildJvm.start(SyncAgent.class));
        List<Agent> agents = new ArrayList<>();
        for (ChildJvm j : jvms) {
            j.expectLine("ready");
            agents.add(new Agent(j));
        }
        return agents;
    }

    static Agent start() {
        return start(1).get(0);
    }

    long pid() {
        return jvm.pid();
    }

    ChildJvm jvm() {
        return jvm;
    }

    void send(String command) {
        last = command;
        jvm.send(command);
    }

    /** Runs a command that must succeed; returns its result (possibly empty). */
    String ok(String command) {
        send(command);
        return okResult();
    }

    /**
     * Runs a command for clean-up (in a {@code finally}), ignoring any failure so as not to hide the
     * test's own; an agent left out of step is replaced after the test.
     */
    void quietly(String command) {
        try {
            ok(command);
        } catch (AssertionError ignored) {
            // reported by the test itself, or by the replacement check after it
        }
    }

    /** Runs a command that must throw; returns {@code Class: message}. */
    String ex(String command) {
        send(command);
        return exResult();
    }

    /** Sends a blocking command and waits until the agent says it is about to block. */
    void begin(String command) {
        send(command);
        String line = jvm.readLine();
        if (!line.equals("started")) throw fail(line);
    }

    String readLine() {
        return jvm.readLine();
    }

    String readLine(Duration timeout) {
        return jvm.readLine(timeout);
    }

    String okResult() {
        return okResult(ChildJvm.TIMEOUT);
    }

    String okResult(Duration timeout) {
        String line = jvm.readLine(timeout);
        if (line.equals("ok")) return "";
        if (line.startsWith("ok ")) return line.substring(3);
        throw fail(line);
    }

    String exResult() {
        return exResult(ChildJvm.TIMEOUT);
    }

    String exResult(Duration timeout) {
        String line = jvm.readLine(timeout);
        if (line.startsWith("ex ")) return line.substring(3);
        throw fail(line);
    }

    private AssertionError fail(String line) {
        String err = jvm.stderr();
        return new AssertionError("agent " + pid() + ": '" + last + "' answered '" + line + "'"
                + (err.isEmpty() ? "" : "\n--- agent stderr ---\n" + err));
    }

    /**
     * Whether the agent answers a ping with nothing else pending: after a test that failed half-way
     * it may be blocked or have unread answers, and should then be replaced.
     */
    boolean inStep() {
        if (!jvm.process().isAlive()) return false;
        try {
            String token = Integer.toString(++pings);
            jvm.send("ping " + token);
            return jvm.readLine(Duration.ofSeconds(10)).equals("ok pong " + token);
        } catch (AssertionError e) {
            return false;
        }
    }

    /** This agent if it is in step, otherwise a fresh one (the old one is killed). */
    Agent inStepOrReplaced() {
        if (inStep()) return this;
        close();
        return start();
    }

    /** Ends the agent normally (closing what it opened) and checks its exit code. */
    void exit() {
        jvm.send("exit");
        jvm.expectLine("ok bye");
        jvm.assertSuccess();
    }

    @Override
    public void close() {
        jvm.close();
    }
}
