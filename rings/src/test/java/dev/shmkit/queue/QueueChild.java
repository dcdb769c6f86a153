package dev.shmkit.queue;

import dev.shmkit.testkit.Child;

import java.io.EOFException;
import java.lang.foreign.MemorySegment;
import java.util.Base64;
import java.util.BitSet;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The child JVM of the queue and pipe tests: {@code main(mode, args...)} plays one part and
 * reports by lines on stdout ({@link Child#say}); the parent starts it with
 * {@link dev.shmkit.testkit.ChildJvm}.
 */
public final class QueueChild {
    private QueueChild() {}

    /** A message of the producers x consumers test: a sequence number, variable padding and a checksum over both. */
    public record Msg(int producer, long seq, String pad, long check) {
        static Msg of(int producer, long seq) {
            String pad = "abcdefghijklmnopqrstuvwxyz".substring(0, (int) (seq * 7 % 27));
            return new Msg(producer, seq, pad, checksum(producer, seq, pad));
        }

        static long checksum(int producer, long seq, String pad) {
            long h = seq * 0x9E3779B97F4A7C15L ^ ((long) producer << 48);
            return h ^ pad.hashCode() * 0xC2B2AE3D27D4EB4FL;
        }

        boolean valid() {
            return check == checksum(producer, seq, pad) && pad.length() == (int) (seq * 7 % 27);
        }
    }

    static final Codec<Msg> MSG = Codec.record(Msg.class);

    public static void main(String[] args) throws Exception {
        switch (args[0]) {
            case "produce" -> produce(args[1], Integer.parseInt(args[2]), Long.parseLong(args[3]));
            case "consume" -> consume(args[1]);
            case "put-strings" -> putStrings(args[1], Integer.parseInt(args[2]));
            case "die-while-encoding" -> dieWhileEncoding(args[1]);
            case "die-while-decoding" -> dieWhileDecoding(args[1]);
            case "join-worker" -> joinWorker(args[1]);
            case "pipe-echo" -> pipeEcho(args[1]);
            case "pipe-send-close" -> pipeSendClose(args[1], Integer.parseInt(args[2]));
            case "pipe-send-wait" -> pipeSendWait(args[1], Integer.parseInt(args[2]));
            case "pipe-recv-all" -> pipeRecvAll(args[1]);
            default -> throw new IllegalArgumentException(args[0]);
        }
    }

    private static void produce(String name, int producer, long count) throws InterruptedException {
        try (SharedQueue<Msg> q = SharedQueue.open(name, MSG)) {
            Child.say("ready");
            Child.await("go");
            for (long seq = 0; seq < count; seq++) q.put(Msg.of(producer, seq));
            Child.say("done");
        }
    }

    /** Takes until a message from producer -1; checks order and checksums; reports one bit set per producer. */
    private static void consume(String name) throws InterruptedException {
        try (SharedQueue<Msg> q = SharedQueue.open(name, MSG)) {
            Child.say("ready");
            Map<Integer, BitSet> seen = new HashMap<>();
            Map<Integer, Long> last = new HashMap<>();
            long taken = 0;
            while (true) {
                Msg m = q.take();
                if (m.producer() < 0) break;
                taken++;
                if (!m.valid()) throw new AssertionError("checksum mismatch in " + m);
                long prev = last.getOrDefault(m.producer(), -1L);
                if (m.seq() <= prev) throw new AssertionError("producer " + m.producer() + ": seq " + m.seq() + " after " + prev);
                last.put(m.producer(), m.seq());
                seen.computeIfAbsent(m.producer(), p -> new BitSet()).set((int) m.seq());
            }
            for (var e : seen.entrySet()) {
                Child.say("seen " + e.getKey() + " " + Base64.getEncoder().encodeToString(e.getValue().toByteArray()));
            }
            Child.say("done " + taken);
        }
    }

    private static void putStrings(String name, int n) throws InterruptedException {
        try (SharedQueue<String> q = SharedQueue.open(name, Codec.string())) {
            for (int i = 0; i < n; i++) q.put("s" + i);
            Child.say("put " + n + " size " + q.size());
            Child.await("exit");
        }
    }

    /** Puts one element, then starts a second whose encoding never finishes: the parent kills this process. */
    private static void dieWhileEncoding(String name) throws InterruptedException {
        Codec<String> stuck = new Codec<>() {
            @Override
            public int size(String value) {
                return Codec.string().size(value);
            }

            @Override
            public void encode(String value, MemorySegment target, long offset) {
                if (value.equals("never")) {
                    Child.say("encoding");
                    while (true) java.util.concurrent.locks.LockSupport.park();
                }
                Codec.string().encode(value, target, offset);
            }

            @Override
            public String decode(MemorySegment source, long offset, int length) {
                return Codec.string().decode(source, offset, length);
            }

            @Override
            public String name() {
                return "string";
            }
        };
        try (SharedQueue<String> q = SharedQueue.open(name, stuck)) {
            q.put("first");
            q.put("never");
        }
    }

    /** Takes an element with a codec whose decoding never finishes: the parent kills this process meanwhile. */
    private static void dieWhileDecoding(String name) throws InterruptedException {
        Codec<String> stuck = new Codec<>() {
            @Override
            public int size(String value) {
                return Codec.string().size(value);
            }

            @Override
            public void encode(String value, MemorySegment target, long offset) {
                Codec.string().encode(value, target, offset);
            }

            @Override
            public String decode(MemorySegment source, long offset, int length) {
                Child.say("decoding");
                while (true) java.util.concurrent.locks.LockSupport.park();
            }
        };
        try (SharedQueue<String> q = SharedQueue.open(name, stuck)) {
            q.take();
        }
    }

    /** Takes numbers, adds them up and marks each done, until -1 (also marked done); reports the sum. */
    private static void joinWorker(String name) throws InterruptedException {
        try (JoinableQueue<Integer> q = JoinableQueue.open(name, Codec.ints())) {
            Child.say("ready");
            long sum = 0;
            int n = 0;
            while (true) {
                int v = q.take();
                if (v < 0) {
                    q.taskDone();
                    break;
                }
                sum += v;
                n++;
                q.taskDone();
            }
            Child.say("sum " + sum + " " + n);
        }
    }

    /** Echoes every message back upper-cased (strings) until end of stream, then reports the count. */
    private static void pipeEcho(String name) throws Exception {
        try (Pipe p = Pipe.open(name)) {
            Child.say("ready");
            int n = 0;
            try {
                while (true) {
                    byte[] m = p.recv();
                    n++;
                    if (m.length > 0 && m[0] == '#') { // binary: send back reversed
                        byte[] r = new byte[m.length];
                        for (int i = 0; i < m.length; i++) r[i] = m[m.length - 1 - i];
                        p.send(r);
                    } else {
                        p.send(new String(m, java.nio.charset.StandardCharsets.UTF_8).toUpperCase(java.util.Locale.ROOT), Codec.string());
                    }
                }
            } catch (EOFException e) {
                Child.say("eof " + n);
            }
        }
    }

    private static void pipeSendClose(String name, int n) throws Exception {
        Pipe p = Pipe.open(name);
        for (int i = 0; i < n; i++) p.send((long) i, Codec.longs());
        p.close();
        Child.say("closed");
    }

    /** Sends n messages, reports, then blocks until killed. */
    private static void pipeSendWait(String name, int n) throws Exception {
        Pipe p = Pipe.open(name);
        for (int i = 0; i < n; i++) p.send((long) i, Codec.longs());
        Child.say("sent");
        while (true) Thread.sleep(1000);
    }

    private static void pipeRecvAll(String name) throws Exception {
        try (Pipe p = Pipe.open(name)) {
            Child.say("ready");
            long n = 0;
            long sum = 0;
            try {
                while (true) {
                    byte[] m = p.recv(30, TimeUnit.SECONDS);
                    if (m == null) throw new AssertionError("nothing within 30 s");
                    n++;
                    sum += m.length;
                }
            } catch (EOFException e) {
                Child.say("eof " + n + " " + sum);
            }
        }
    }
}
