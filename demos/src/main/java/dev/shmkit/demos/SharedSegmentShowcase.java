package dev.shmkit.demos;

import dev.shmkit.shm.Futex;
import dev.shmkit.shm.SharedMemory;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

/**
 * The first showcase ({@code make demo}): two JVM processes share one POSIX shared memory
 * segment. The parent writes a greeting, starts a child JVM, and sleeps on a futex word; the
 * child maps the same segment, reads the greeting, writes a reply and wakes the parent. No
 * sockets, no files, no copies through the kernel: both processes see the same physical pages.
 *
 * <pre>
 * offset 0   int  state   0 = greeting written, 1 = reply written (the futex word)
 * offset 4   int  length of the text that follows
 * offset 8   ...  UTF-8 text
 * </pre>
 */
public final class SharedSegmentShowcase {
    private static final long STATE = 0;
    private static final long LENGTH = 4;
    private static final long TEXT = 8;
    private static final VarHandle INT = ValueLayout.JAVA_INT.varHandle();

    public static void main(String[] args) throws Exception {
        if (args.length == 2 && args[0].equals("--child")) {
            child(args[1]);
            return;
        }
        String name = "/shmkit-showcase-" + ProcessHandle.current().pid();
        say("parent", "creating POSIX shared memory " + name + " (4096 bytes, mode 0600)");
        try (SharedMemory shm = SharedMemory.create(name, 4096)) {
            MemorySegment seg = shm.segment();
            writeText(seg, "hello from process " + ProcessHandle.current().pid());
            INT.setRelease(seg, STATE, 0);
            say("parent", "wrote the greeting; starting a child JVM and sleeping on the futex word at offset 0");
            long t0 = System.nanoTime();
            Process child = Jvm.demo(SharedSegmentShowcase.class, "--child", name).inheritIO().start();
            while ((int) INT.getAcquire(seg, STATE) == 0) {
                if (!child.isAlive()) throw new IllegalStateException("the child exited with " + child.exitValue() + " before replying");
                Futex.await(seg, STATE, 0, 1, TimeUnit.SECONDS);
            }
            long micros = (System.nanoTime() - t0) / 1000;
            say("parent", "woken: the child (pid " + child.pid() + ") replied \"" + readText(seg) + "\"");
            say("parent", "round trip including the child JVM's start-up: " + micros / 1000 + " ms");
            if (!child.waitFor(30, TimeUnit.SECONDS)) child.destroyForcibly();
        } finally {
            SharedMemory.unlink(name);
            say("parent", "unlinked " + name + "; nothing is left in /dev/shm");
        }
    }

    private static void child(String name) {
        try (SharedMemory shm = SharedMemory.open(name)) {
            MemorySegment seg = shm.segment();
            say("child ", "opened " + name + " (" + shm.size() + " bytes) and read \"" + readText(seg) + "\"");
            writeText(seg, "hello back from process " + ProcessHandle.current().pid());
            INT.setRelease(seg, STATE, 1);
            Futex.wake(seg, STATE, 1);
            say("child ", "wrote the reply, set the word to 1 and woke the parent");
        }
    }

    private static void writeText(MemorySegment seg, String text) {
        byte[] b = text.getBytes(StandardCharsets.UTF_8);
        MemorySegment.copy(b, 0, seg, ValueLayout.JAVA_BYTE, TEXT, b.length);
        seg.set(ValueLayout.JAVA_INT, LENGTH, b.length);
    }

    private static String readText(MemorySegment seg) {
        int len = seg.get(ValueLayout.JAVA_INT, LENGTH);
        if (len < 0 || len > seg.byteSize() - TEXT) throw new IllegalStateException("corrupt length " + len);
        byte[] b = new byte[len];
        MemorySegment.copy(seg, ValueLayout.JAVA_BYTE, TEXT, b, 0, len);
        return new String(b, StandardCharsets.UTF_8);
    }

    private static void say(String who, String what) {
        System.out.println("[" + who + " " + ProcessHandle.current().pid() + "] " + what);
        System.out.flush();
    }
}
