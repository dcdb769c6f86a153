package dev.shmkit.process;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.List;

/**
 * The first control message a child reads: what it is (a pool worker or a single child process),
 * what to run, and how.
 *
 * @param pool         a pool worker (else a single child process)
 * @param daemon       stop at once when the parent goes away (end of file on stdin)
 * @param maxTasks     a worker retires after this many tasks (0: never)
 * @param allow        the allow-list for values Java-serialized through shared memory
 * @param waitStrategy how the worker waits for tasks ({@link dev.shmkit.ring.WaitStrategy} name)
 * @param initializer  run once before the first task (may be null)
 * @param taskKind     a single child's task kind ({@code Wire.K_*})
 * @param task         a single child's task closure (null for {@code K_MAIN})
 * @param mainClass    the class whose main a {@code K_MAIN} child runs
 * @param mainArgs     its arguments
 */
record Setup(boolean pool, boolean daemon, int maxTasks, List<String> allow, String waitStrategy,
             Closures.Serialized initializer, byte taskKind, Closures.Serialized task, String mainClass,
             List<String> mainArgs) {

    void writeTo(DataOutputStream out) throws IOException {
        out.writeBoolean(pool);
        out.writeBoolean(daemon);
        out.writeInt(maxTasks);
        ControlPipe.writeStrings(out, allow);
        out.writeUTF(waitStrategy);
        out.writeBoolean(initializer != null);
        if (initializer != null) initializer.writeTo(out);
        out.writeByte(taskKind);
        out.writeBoolean(task != null);
        if (task != null) task.writeTo(out);
        out.writeUTF(mainClass == null ? "" : mainClass);
        ControlPipe.writeStrings(out, mainArgs);
    }

    static Setup readFrom(DataInputStream in) throws IOException {
        boolean pool = in.readBoolean();
        boolean daemon = in.readBoolean();
        int maxTasks = in.readInt();
        List<String> allow = ControlPipe.readStrings(in);
        String wait = in.readUTF();
        Closures.Serialized init = in.readBoolean() ? Closures.Serialized.readFrom(in) : null;
        byte kind = in.readByte();
        Closures.Serialized task = in.readBoolean() ? Closures.Serialized.readFrom(in) : null;
        String main = in.readUTF();
        List<String> args = ControlPipe.readStrings(in);
        return new Setup(pool, daemon, maxTasks, allow, wait, init, kind, task, main.isEmpty() ? null : main, args);
    }
}
