package dev.shmkit.shm;

import dev.shmkit.testkit.Child;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;
import java.nio.charset.StandardCharsets;

/**
 * A child JVM that drives shmkit on a parent test's instructions, one command per stdin line,
 * one answer per stdout line: {@code ok [result]} or {@code error <ExceptionClass> <message>}.
 * Tests synchronize on these lines, never on sleeps.
 *
 * <p>It holds at most one POSIX object and one System V segment at a time; {@code read},
 * {@code write}, {@code getInt}, {@code setInt}, {@code await} and {@code wake...} act on the
 * segment of whichever was opened last.
 *
 * <pre>
 * create NAME SIZE | open NAME | openReadOnly NAME | openOrCreate NAME SIZE   -> ok SIZE CREATED
 * sysvOpen KEY                                                               -> ok ID SIZE
 * sysvAttach ID                                                              -> ok KEY SIZE
 * stat                                    (System V)  -> ok ATTACHCOUNT LASTPID CREATORPID
 * write OFFSET TEXT                       (UTF-8 bytes of the rest of the line) -> ok
 * read OFFSET LENGTH                      -> ok TEXT
 * getInt OFFSET | setInt OFFSET VALUE     (acquire / release) -> ok [VALUE]
 * await OFFSET EXPECTED   -> "waiting" just before the first Futex.await, then, once the word
 *                            differs: ok VALUE WOKEN (how many awaits returned true)
 * wakeWhenSleeping OFFSET VALUE -> spins Futex.wake(1) until it wakes someone (a sleeper is
 *                            queued), then sets the word to VALUE and wakes one: ok WOKEN
 * close | sysvDetach | unlink NAME | exists NAME | pid | exit
 * </pre>
 */
public final class ShmPeer {
    private ShmPeer() {}

    static final VarHandle INT = ValueLayout.JAVA_INT.varHandle();

    private static SharedMemory shm;
    private static SysVSharedMemory sysv;
    private static MemorySegment seg;

    public static void main(String[] args) {
        Child.say("started " + ProcessHandle.current().pid());
        while (true) {
            String line = Child.listen();
            String[] w = line.split(" ", 3);
            try {
                String answer = handle(w, line);
                if (answer == null) return;
                Child.say(answer.isEmpty() ? "ok" : "ok " + answer);
            } catch (RuntimeException e) {
                String message = String.valueOf(e.getMessage()).replace('\n', ' ');
                Child.say("error " + e.getClass().getSimpleName() + " " + message);
            }
        }
    }

    private static String handle(String[] w, String line) {
        switch (w[0]) {
            case "create" -> { return posix(SharedMemory.create(w[1], Long.parseLong(w[2]))); }
            case "open" -> { return posix(SharedMemory.open(w[1])); }
            case "openReadOnly" -> { return posix(SharedMemory.openReadOnly(w[1])); }
            case "openOrCreate" -> { return posix(SharedMemory.openOrCreate(w[1], Long.parseLong(w[2]))); }
            case "sysvOpen" -> {
                sysv = SysVSharedMemory.open(SysVSharedMemory.parseKey(w[1]));
                seg = sysv.segment();
                return sysv.id() + " " + sysv.size();
            }
            case "sysvAttach" -> {
                sysv = SysVSharedMemory.attachById(Integer.parseInt(w[1]));
                seg = sysv.segment();
                return String.format("0x%08x", sysv.key()) + " " + sysv.size();
            }
            case "stat" -> {
                SysVStat s = sysv.stat();
                return s.attachCount() + " " + s.lastPid() + " " + s.creatorPid();
            }
            case "write" -> {
                byte[] b = (w.length > 2 ? w[2] : "").getBytes(StandardCharsets.UTF_8);
                MemorySegment.copy(b, 0, seg, ValueLayout.JAVA_BYTE, Long.parseLong(w[1]), b.length);
                return "";
            }
            case "read" -> {
                byte[] b = new byte[Integer.parseInt(w[2])];
                MemorySegment.copy(seg, ValueLayout.JAVA_BYTE, Long.parseLong(w[1]), b, 0, b.length);
                return new String(b, StandardCharsets.UTF_8);
            }
            case "getInt" -> { return Integer.toString((int) INT.getAcquire(seg, Long.parseLong(w[1]))); }
            case "setInt" -> {
                INT.setRelease(seg, Long.parseLong(w[1]), Integer.parseInt(w[2]));
                return "";
            }
            case "await" -> {
                long offset = Long.parseLong(w[1]);
                int expected = Integer.parseInt(w[2]);
                int woken = 0;
                Child.say("waiting");
                int value;
                while ((value = (int) INT.getAcquire(seg, offset)) == expected) {
                    if (Futex.await(seg, offset, expected)) woken++;
                }
                return value + " " + woken;
            }
            case "wakeWhenSleeping" -> {
                long offset = Long.parseLong(w[1]);
                long deadline = System.nanoTime() + 60_000_000_000L;
                while (Futex.wake(seg, offset, 1) == 0) {
                    if (System.nanoTime() - deadline > 0) throw new IllegalStateException("nobody slept on the word within 60 s");
                    Thread.onSpinWait();
                }
                INT.setRelease(seg, offset, Integer.parseInt(w[2]));
                return Integer.toString(Futex.wake(seg, offset, 1));
            }
            case "close" -> {
                shm.close();
                return "";
            }
            case "sysvDetach" -> {
                sysv.detach();
                return "";
            }
            case "unlink" -> { return Boolean.toString(SharedMemory.unlink(w[1])); }
            case "exists" -> { return Boolean.toString(SharedMemory.exists(w[1])); }
            case "pid" -> { return Long.toString(ProcessHandle.current().pid()); }
            case "exit" -> {
                Child.say("bye");
                return null;
            }
            default -> throw new IllegalArgumentException("unknown command: " + line);
        }
    }

    private static String posix(SharedMemory m) {
        shm = m;
        seg = m.segment();
        return m.size() + " " + m.created();
    }
}
