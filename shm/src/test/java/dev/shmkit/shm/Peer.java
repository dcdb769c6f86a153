package dev.shmkit.shm;

import dev.shmkit.testkit.ChildJvm;

/**
 * The parent side of {@link ShmPeer}: a child JVM answering one line per command. {@link #ok}
 * fails the test unless the child answered {@code ok}; {@link #error} unless it reported an
 * exception. {@link #close()} asks the child to exit and kills it if it does not.
 */
final class Peer implements AutoCloseable {
    private final ChildJvm jvm;
    private final long pid;

    private Peer(ChildJvm jvm) {
        this.jvm = jvm;
        String first = jvm.readLine();
        if (!first.startsWith("started ")) throw new AssertionError("unexpected first line from peer: " + first);
        this.pid = Long.parseLong(first.substring("started ".length()));
    }

    static Peer start() {
        ChildJvm jvm = ChildJvm.start(ShmPeer.class);
        try {
            return new Peer(jvm);
        } catch (RuntimeException | Error e) {
            jvm.close();
            throw e;
        }
    }

    /** Starts {@code n} peers at once, so their JVM start-ups overlap. */
    static java.util.List<Peer> start(int n) {
        java.util.List<ChildJvm> jvms = new java.util.ArrayList<>();
        java.util.List<Peer> peers = new java.util.ArrayList<>();
        try {
            for (int i = 0; i < n; i++) jvms.add(ChildJvm.start(ShmPeer.class));
            for (ChildJvm jvm : jvms) peers.add(new Peer(jvm));
            return peers;
        } catch (RuntimeException | Error e) {
            jvms.forEach(ChildJvm::close);
            throw e;
        }
    }

    long pid() { return pid; }

    ChildJvm jvm() { return jvm; }

    void send(String command) { jvm.send(command); }

    String readLine() { return jvm.readLine(); }

    void expectLine(String line) { jvm.expectLine(line); }

    /** Sends {@code command} and returns what follows {@code ok}; fails on anything else. */
    String ok(String command) {
        jvm.send(command);
        return okAnswer(command);
    }

    /** Reads the answer to a command sent earlier, which must be {@code ok ...}. */
    String okAnswer(String command) {
        String line = jvm.readLine();
        if (line.equals("ok")) return "";
        if (line.startsWith("ok ")) return line.substring(3);
        throw new AssertionError("peer " + pid + ": '" + command + "' answered '" + line + "'" + stderrNote());
    }

    /** Sends {@code command}, which must fail in the child; returns {@code ExceptionClass message}. */
    String error(String command) {
        jvm.send(command);
        String line = jvm.readLine();
        if (!line.startsWith("error ")) {
            throw new AssertionError("peer " + pid + ": '" + command + "' should have failed but answered '" + line + "'");
        }
        return line.substring(6);
    }

    private String stderrNote() {
        String s = jvm.stderr();
        return s.isEmpty() ? "" : "\n--- peer stderr ---\n" + s;
    }

    /** Asks the child to exit and checks that it did so cleanly. */
    void exit() {
        jvm.send("exit");
        jvm.expectLine("bye");
        jvm.assertSuccess();
    }

    @Override
    public void close() {
        jvm.close();
    }
}
