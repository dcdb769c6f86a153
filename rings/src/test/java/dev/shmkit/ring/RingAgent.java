package dev.shmkit.ring;

import dev.shmkit.os.ProcessId;
import dev.shmkit.queue.Codec;
import dev.shmkit.queue.SharedQueue;
import dev.shmkit.shm.SharedMemory;
import dev.shmkit.testkit.Child;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A child JVM that runs ring and queue commands read from stdin, one reply line each: {@code ok ...}
 * or {@code error ExceptionClass: message} ({@code error Sub extends IllegalStateException: ...} for a subclass). The regression tests drive several of them to put a
 * ring in the state a defect needs, across real processes. It prints {@code agent PID} first.
 *
 * <p>Commands (H is a handle name chosen by the test; several handles may be open at once):
 * <ul>
 * <li>{@code open H NAME}: {@link SharedRing#open(String)}</li>
 * <li>{@code ringat H NAME OFFSET}: the ring placed at OFFSET of the named segment (e.g. a queue's ring)</li>
 * <li>{@code qopen H NAME}: a {@code SharedQueue<String>}</li>
 * <li>{@code send H PRODUCER FROM COUNT LEN}: claims (10 s at most), writes and commits self-checking
 *     messages FROM..FROM+COUNT-1 ({@link RingMessages}); {@code ok sent COUNT}</li>
 * <li>{@code badoffer H}: {@code offer(type, 8-byte segment, 0, 64)}, whose copy must fail;
 *     {@code ok threw CLASS} or {@code ok returned BOOLEAN}</li>
 * <li>{@code half H TYPE PRODUCER SEQ LEN}: claims a record and writes half of it, never commits</li>
 * <li>{@code read H MAX} / {@code poll H MAX MILLIS}: consumes, verifying each message;
 *     {@code ok N producer:seq,...} (a torn message shows as {@code torn})</li>
 * <li>{@code qoffer H TEXT}, {@code qpoll H}: the queue's non-blocking offer and poll</li>
 * <li>{@code close H}, {@code state H} (participants and counters), {@code exit}</li>
 * </ul>
 */
final class RingAgent {
    private RingAgent() {}

    public static void main(String[] args) {
        Map<String, SharedRing> rings = new HashMap<>();
        Map<String, SharedQueue<String>> queues = new HashMap<>();
        List<AutoCloseable> keep = new ArrayList<>();
        Child.say("agent " + ProcessId.current().pid());
        while (true) {
            String line = Child.listen();
            String[] a = line.split(" ");
            String reply;
            try {
                reply = switch (a[0]) {
                    case "open" -> {
                        rings.put(a[1], SharedRing.open(a[2]));
                        yield "ok";
                    }
                    case "ringat" -> {
                        SharedMemory shm = SharedMemory.open(a[2]);
                        keep.add(shm);
                        rings.put(a[1], SharedRing.open(shm.segment(), Long.parseLong(a[3])));
                        yield "ok";
                    }
                    case "qopen" -> {
                        queues.put(a[1], SharedQueue.open(a[2], Codec.string()));
                        yield "ok";
                    }
                    case "send" -> {
                        SharedRing r = rings.get(a[1]);
                        int producer = Integer.parseInt(a[2]);
                        long from = Long.parseLong(a[3]);
                        long count = Long.parseLong(a[4]);
                        int len = Integer.parseInt(a[5]);
                        for (long seq = from; seq < from + count; seq++) {
                            long index = r.claim(RingMessages.DATA, len, 10, TimeUnit.SECONDS);
                            if (index < 0) throw new IllegalStateException("no room for message " + seq + " within 10 s");
                            RingMessages.write(r.buffer(), index, producer, seq, len);
                            r.commit(index);
                        }
                        yield "ok sent " + count;
                    }
                    case "badoffer" -> {
                        SharedRing r = rings.get(a[1]);
                        try {
                            yield "ok returned " + r.offer(RingMessages.DATA, MemorySegment.ofArray(new byte[8]), 0, 64);
                        } catch (RuntimeException e) {
                            yield "ok threw " + e.getClass().getSimpleName();
                        }
                    }
                    case "half" -> {
                        SharedRing r = rings.get(a[1]);
                        int len = Integer.parseInt(a[5]);
                        long index = r.claim(Integer.parseInt(a[2]), len, 10, TimeUnit.SECONDS);
                        if (index < 0) throw new IllegalStateException("no room within 10 s");
                        RingMessages.writeHalf(r.buffer(), index, Integer.parseInt(a[3]), Long.parseLong(a[4]), len);
                        yield "ok claimed";
                    }
                    case "read" -> consume(rings.get(a[1]), Integer.parseInt(a[2]), -1);
                    case "poll" -> consume(rings.get(a[1]), Integer.parseInt(a[2]), Long.parseLong(a[3]));
                    case "qoffer" -> "ok " + queues.get(a[1]).offer(a[2]);
                    case "qpoll" -> "ok " + queues.get(a[1]).poll();
                    case "close" -> {
                        SharedRing r = rings.remove(a[1]);
                        if (r != null) r.close();
                        SharedQueue<String> q = queues.remove(a[1]);
                        if (q != null) q.close();
                        yield "ok";
                    }
                    case "state" -> {
                        SharedRing r = rings.get(a[1]);
                        int[] live = r.liveParticipants();
                        yield "ok producers " + live[0] + " consumers " + live[1] + " recovered " + r.recoveredRecords()
                                + " used " + r.used();
                    }
                    case "exit" -> {
                        for (SharedRing r : rings.values()) r.close();
                        for (SharedQueue<String> q : queues.values()) q.close();
                        for (AutoCloseable c : keep) c.close();
                        Child.say("ok");
                        System.exit(0);
                        yield "unreachable";
                    }
                    default -> "error unknown command " + a[0];
                };
            } catch (Throwable t) {
                String cls = t.getClass().getSimpleName();
                if (t instanceof IllegalStateException && t.getClass() != IllegalStateException.class) cls += " extends IllegalStateException";
                reply = "error " + cls + ": " + String.valueOf(t.getMessage()).replace('\n', ' ');
            }
            Child.say(reply);
        }
    }

    private static String consume(SharedRing r, int max, long millis) throws InterruptedException {
        StringBuilder seen = new StringBuilder();
        int[] n = {0};
        MessageHandler h = (type, buf, index, len) -> {
            n[0]++;
            if (seen.length() > 0) seen.append(',');
            try {
                int p = RingMessages.verify(buf, index, len);
                seen.append(p).append(':').append(RingMessages.seq(buf, index));
            } catch (AssertionError e) {
                seen.append("torn");
            }
        };
        if (millis < 0) r.read(h, max);
        else r.poll(h, max, millis, TimeUnit.MILLISECONDS);
        return "ok " + n[0] + " " + seen;
    }
}
