package dev.shmkit.sync;

import dev.shmkit.shm.SharedMemory;
import dev.shmkit.testkit.Child;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A child JVM that operates on shared synchronization objects at its parent's command, one line
 * at a time, all in its main thread (so a lock it takes is held by that thread until it is told
 * to unlock). Objects are kept under keys the parent chooses.
 *
 * <p>Each command is answered by one line: {@code ok [result]}, or {@code ex Class: message} when
 * it threw. A command that may block first says {@code started}, so the parent knows it is about
 * to wait. {@code exit} closes everything and ends the process normally.
 *
 * <pre>
 * openLock K lock|rlock NAME          openAt K lock|rlock|event|sem|barrier SHM OFFSET
 * lock K / unlock K / holdCount K     tryLock K MS           -> true died=B recoveries=N | false
 * openCond K LOCKKEY SHM OFFSET       signal K / signalAll K
 * openEvent K NAME                    set K / clear K / isSet K / awaitEvent K MS (blocks)
 * openSem K NAME                      acquire K N MS (blocks) / release K N / permits K
 * openBarrier K NAME                  awaitBarrier K MS (blocks) / cycle K G MS (blocks) / reset K / isBroken K
 * createNamed K NAME V / openNamed K NAME / post K N / semWait K MS (blocks) / value K
 * close K / pid / ping X / exit
 * </pre>
 */
public final class SyncAgent {
    private static final Map<String, Object> objects = new HashMap<>();
    private static final Map<String, SharedMemory> segments = new HashMap<>();

    public static void main(String[] args) {
        Child.say("ready");
        while (true) {
            String line = Child.listen();
            String[] a = line.trim().split(" ");
            if (a[0].equals("exit")) {
                closeAll();
                Child.say("ok bye");
                return;
            }
            String reply;
            try {
                String r = run(a);
                reply = r == null || r.isEmpty() ? "ok" : "ok " + r;
            } catch (Throwable t) {
                reply = "ex " + t.getClass().getSimpleName() + ": " + String.valueOf(t.getMessage()).replace('\n', ' ');
            }
            Child.say(reply);
        }
    }

    private static String run(String[] a) throws Exception {
        return switch (a[0]) {
            case "ping" -> "pong " + a[1];
            case "pid" -> Long.toString(ProcessHandle.current().pid());
            case "close" -> {
                Object o = objects.remove(a[1]);
                if (o instanceof AutoCloseable c) c.close();
                yield "";
            }

            case "openLock" -> put(a[1], a[2].equals("rlock") ? SharedReentrantLock.open(a[3]) : SharedLock.open(a[3]));
            case "openAt" -> {
                MemorySegment s = segment(a[3]);
                long off = Long.parseLong(a[4]);
                yield put(a[1], switch (a[2]) {
                    case "lock" -> SharedLock.open(s, off);
                    case "rlock" -> SharedReentrantLock.open(s, off);
                    case "event" -> SharedEvent.open(s, off);
                    case "sem" -> SharedSemaphore.open(s, off);
                    case "barrier" -> SharedBarrier.open(s, off);
                    default -> throw new IllegalArgumentException("kind " + a[2]);
                });
            }
            case "lock" -> {
                SharedLock l = get(a[1]);
                l.lock();
                yield l instanceof SharedReentrantLock r ? "holds=" + r.getHoldCount() : "";
            }
            case "tryLock" -> {
                SharedLock l = get(a[1]);
                boolean ok = l.tryLock(Long.parseLong(a[2]), TimeUnit.MILLISECONDS);
                yield ok ? "true died=" + l.ownerDied() + " recoveries=" + l.recoveries() : "false";
            }
            case "unlock" -> {
                SharedLock l = get(a[1]);
                l.unlock();
                yield "";
            }
            case "holdCount" -> Integer.toString(((SharedReentrantLock) get(a[1])).getHoldCount());

            case "openCond" -> put(a[1], SharedCondition.open(segment(a[3]), Long.parseLong(a[4]), get(a[2])));
            case "signal" -> {
                ((SharedCondition) get(a[1])).signal();
                yield "";
            }
            case "signalAll" -> {
                ((SharedCondition) get(a[1])).signalAll();
                yield "";
            }

            case "openEvent" -> put(a[1], SharedEvent.open(a[2]));
            case "set" -> {
                ((SharedEvent) get(a[1])).set();
                yield "";
            }
            case "clear" -> {
                ((SharedEvent) get(a[1])).clear();
                yield "";
            }
            case "isSet" -> Boolean.toString(((SharedEvent) get(a[1])).isSet());
            case "awaitEvent" -> {
                SharedEvent e = get(a[1]);
                Child.say("started");
                long t0 = System.nanoTime();
                boolean set = e.await(Long.parseLong(a[2]), TimeUnit.MILLISECONDS);
                yield set + " elapsed=" + TestSupport.millisSince(t0);
            }

            case "openSem" -> put(a[1], SharedSemaphore.open(a[2]));
            case "acquire" -> {
                SharedSemaphore s = get(a[1]);
                int n = Integer.parseInt(a[2]);
                long ms = Long.parseLong(a[3]);
                Child.say("started");
                long t0 = System.nanoTime();
                boolean ok = s.tryAcquire(n, ms, TimeUnit.MILLISECONDS);
                yield ok + " elapsed=" + TestSupport.millisSince(t0);
            }
            case "release" -> {
                ((SharedSemaphore) get(a[1])).release(Integer.parseInt(a[2]));
                yield "";
            }
            case "permits" -> {
                SharedSemaphore s = get(a[1]);
                yield "available=" + s.availablePermits() + " held=" + s.heldByThisProcess() + " reclaimed=" + s.reclaimedPermits();
            }

            case "openBarrier" -> put(a[1], SharedBarrier.open(a[2]));
            case "awaitBarrier" -> {
                SharedBarrier b = get(a[1]);
                long ms = Long.parseLong(a[2]);
                Child.say("started");
                yield "index=" + b.await(ms, TimeUnit.MILLISECONDS);
            }
            case "cycle" -> {
                SharedBarrier b = get(a[1]);
                int generations = Integer.parseInt(a[2]);
                long ms = Long.parseLong(a[3]);
                Child.say("started");
                for (int g = 0; g < generations; g++) Child.say("gen " + g + " " + b.await(ms, TimeUnit.MILLISECONDS));
                yield "";
            }
            case "reset" -> {
                ((SharedBarrier) get(a[1])).reset();
                yield "";
            }
            case "isBroken" -> Boolean.toString(((SharedBarrier) get(a[1])).isBroken());

            case "createNamed" -> put(a[1], NamedSemaphore.create(a[2], Integer.parseInt(a[3])));
            case "openNamed" -> put(a[1], NamedSemaphore.open(a[2]));
            case "post" -> {
                ((NamedSemaphore) get(a[1])).release(Integer.parseInt(a[2]));
                yield "";
            }
            case "semWait" -> {
                NamedSemaphore s = get(a[1]);
                long ms = Long.parseLong(a[2]);
                Child.say("started");
                long t0 = System.nanoTime();
                boolean ok = s.tryAcquire(ms, TimeUnit.MILLISECONDS);
                yield ok + " elapsed=" + TestSupport.millisSince(t0);
            }
            case "value" -> Integer.toString(((NamedSemaphore) get(a[1])).value());

            default -> throw new IllegalArgumentException("unknown command " + a[0]);
        };
    }

    private static String put(String key, Object o) throws Exception {
        Object old = objects.put(key, o);
        if (old instanceof AutoCloseable c) c.close();
        return "";
    }

    @SuppressWarnings("unchecked")
    private static <T> T get(String key) {
        Object o = objects.get(key);
        if (o == null) throw new IllegalArgumentException("no object " + key);
        return (T) o;
    }

    private static MemorySegment segment(String name) {
        return segments.computeIfAbsent(name, SharedMemory::open).segment();
    }

    private static void closeAll() {
        List<Object> all = new ArrayList<>(objects.values());
        objects.clear();
        for (Object o : all) {
            try {
                if (o instanceof AutoCloseable c) c.close();
            } catch (Exception ignored) {
                // exiting anyway
            }
        }
        segments.values().forEach(SharedMemory::close);
        segments.clear();
    }
}
