package dev.shmkit.benchmarks;

import dev.shmkit.cli.RingBench;
import dev.shmkit.cli.RingBench.Role;
import dev.shmkit.cli.RingBench.Scenario;
import dev.shmkit.shm.SharedMemory;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.ringbuffer.ManyToOneRingBuffer;
import org.agrona.concurrent.ringbuffer.OneToOneRingBuffer;
import org.agrona.concurrent.ringbuffer.RingBuffer;
import org.agrona.concurrent.ringbuffer.RingBufferDescriptor;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Cross-process benchmarks of shmkit's rings side by side with Agrona 2.6.0's ring buffers over
 * the same kind of shared mapping: every figure of issue 10 §2 in one run. The harness itself is
 * {@link RingBench} (cli module; {@code shmkit bench rings} runs its shmkit-only part); this class
 * adds the scenarios that need Agrona, which the cli module must not depend on. A plain
 * {@code main}; every scenario runs in fresh JVMs started with {@code java -cp <this class path> dev.shmkit.benchmarks.CrossProcessRing role ...}.
 *
 * <pre>
 * java --enable-native-access=ALL-UNNAMED -cp benchmarks/target/benchmarks.jar dev.shmkit.benchmarks.CrossProcessRing
 *      [--only REGEX] [--seconds S] [--rtt-iterations N] [--wake-iterations N] [--idle-seconds S] [--warmup S]
 *      [--capacity BYTES] [--repeat N] [--no-pin] [--no-python] [--no-c] [--producer2-cpu N] [--root DIR] [--list]
 * </pre>
 *
 * Agrona uses {@code tryClaim}/{@code commit} (its zero-copy API, like shmkit's) unless the name
 * says {@code -write} ({@code RingBuffer.write} copying from a small buffer); its consumer is
 * {@code read(handler, MAX)}. Its buffers are {@code UnsafeBuffer}s wrapping the address of a
 * shmkit {@code SharedMemory} mapping; bounds checks stay on (Agrona's default). The
 * {@code shmkit-*-fullfence-*} scenarios are RingBench's own (SharedRing with
 * {@code -Ddev.shmkit.ring.fence=full}); they replaced the {@code proto-*} scenarios of the deleted
 * {@code ringproto} prototype, which ring protocol v2 folded into SharedRing.
 */
public final class CrossProcessRing {
    private CrossProcessRing() {}

    public static void main(String[] args) throws Exception {
        if (args.length > 0 && args[0].equals("role")) {
            RingBench.role(Arrays.copyOfRange(args, 1, args.length), EXTENSION);
            return;
        }
        RingBench.Options o;
        try {
            o = RingBench.Options.parse(args);
        } catch (IllegalArgumentException e) {
            System.err.println("CrossProcessRing: " + e.getMessage());
            System.err.println("usage: CrossProcessRing " + RingBench.Options.USAGE);
            System.exit(2);
            return;
        }
        PrintWriter out = new PrintWriter(System.out, true);
        int failures = RingBench.run(o.list && o.only == null ? RingBench.scenarios() : RingBench.select(RingBench.scenarios(), o), o, EXTENSION, CrossProcessRing::command, out, true);
        out.flush();
        System.exit(failures == 0 ? 0 : 1);
    }

    /** A role JVM: this JDK, this class path. */
    static List<String> command(List<String> jvmOptions) {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.add("--enable-native-access=ALL-UNNAMED");
        cmd.addAll(jvmOptions);
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), CrossProcessRing.class.getName(), "role"));
        return cmd;
    }

    static final RingBench.Extension EXTENSION = new RingBench.Extension() {
        @Override
        public boolean handles(String kind) {
            return kind.startsWith("agrona-");
        }

        @Override
        public void create(Scenario sc, String ab, String ba, long capacity, List<AutoCloseable> resources) {
            resources.add(SharedMemory.create(ab, capacity + RingBufferDescriptor.TRAILER_LENGTH));
            if (sc.kind().endsWith("-rtt")) resources.add(SharedMemory.create(ba, capacity + RingBufferDescriptor.TRAILER_LENGTH));
        }

        @Override
        public List<String> jvmOptions(Scenario sc) {
            return List.of("--sun-misc-unsafe-memory-access=allow",
                    "--add-opens", "java.base/jdk.internal.misc=ALL-UNNAMED",
                    "--add-exports", "java.base/jdk.internal.misc=ALL-UNNAMED",
                    "--add-opens", "java.base/java.nio=ALL-UNNAMED",
                    "--add-opens", "java.base/sun.nio.ch=ALL-UNNAMED");
        }

        @Override
        public void run(Role r, String ab, String ba) {
            boolean isA = r.isA();
            switch (r.kind) {
                case "agrona-rtt" -> {
                    try (SharedMemory o = SharedMemory.open(isA ? ab : ba); SharedMemory i = SharedMemory.open(isA ? ba : ab)) {
                        AgronaRtt t = new AgronaRtt(new OneToOneRingBuffer(wrap(o)), new OneToOneRingBuffer(wrap(i)));
                        r.ready();
                        if (isA) r.pairedPinger(t);
                        else r.pairedPonger(t);
                    }
                }
                case "agrona-tput" -> {
                    try (SharedMemory shm = SharedMemory.open(ab)) {
                        RingBuffer ring = r.variant.startsWith("m2o") ? new ManyToOneRingBuffer(wrap(shm)) : new OneToOneRingBuffer(wrap(shm));
                        if (isA) {
                            AgronaProducer p = new AgronaProducer(ring, r.size, r.variant.endsWith("-write"));
                            r.ready();
                            r.produce(p);
                        } else {
                            AgronaConsumer c = new AgronaConsumer(ring);
                            r.ready();
                            r.consume(c);
                        }
                    }
                }
                default -> throw new IllegalArgumentException(r.kind);
            }
        }
    };

    static UnsafeBuffer wrap(SharedMemory shm) {
        return new UnsafeBuffer(shm.segment().address(), (int) shm.size());
    }

    /** Agrona's busy-polling ping-pong: tryClaim/commit out, read(handler, 1) in. */
    static final class AgronaRtt implements Role.PingPong, org.agrona.concurrent.MessageHandler {
        final RingBuffer out, in;
        final UnsafeBuffer outBuf;
        boolean echoing;
        long got;

        AgronaRtt(RingBuffer out, RingBuffer in) {
            this.out = out;
            this.in = in;
            this.outBuf = (UnsafeBuffer) out.buffer();
        }

        @Override
        public void roundTrip(long v) {
            send(v);
            echoing = false;
            while (in.read(this, 1) == 0) Thread.onSpinWait();
            if (got != v) throw new IllegalStateException("echo " + got + " for " + v);
        }

        void send(long v) {
            int index;
            while ((index = out.tryClaim(RingBench.TYPE, 8)) < 0) Thread.onSpinWait();
            outBuf.putLong(index, v);
            out.commit(index);
        }

        @Override
        public boolean echo() {
            echoing = true;
            return in.read(this, 1) != 0;
        }

        @Override
        public void onMessage(int msgTypeId, org.agrona.MutableDirectBuffer buffer, int index, int length) {
            long v = buffer.getLong(index);
            if (echoing) send(v);
            else got = v;
        }
    }

    /** tryClaim, the payload written in place (putBytes above 8 bytes, then the sequence number), commit; or write() from a small buffer. */
    static final class AgronaProducer implements Role.Producer {
        final RingBuffer ring;
        final UnsafeBuffer buf;
        final int size;
        final boolean write;
        final UnsafeBuffer src;
        long seq;

        AgronaProducer(RingBuffer ring, int size, boolean write) {
            this.ring = ring;
            this.buf = (UnsafeBuffer) ring.buffer();
            this.size = size;
            this.write = write;
            this.src = new UnsafeBuffer(java.nio.ByteBuffer.allocateDirect(Math.max(8, size)));
        }

        @Override
        public boolean produce(int n, Role role) {
            for (int i = 0; i < n; i++) {
                if (write) {
                    src.putLong(0, seq);
                    while (!ring.write(RingBench.TYPE, src, 0, size)) {
                        if (role.stopped()) return false;
                        Thread.onSpinWait();
                    }
                    seq++;
                    continue;
                }
                int index;
                while ((index = ring.tryClaim(RingBench.TYPE, size)) < 0) {
                    if (role.stopped()) return false;
                    Thread.onSpinWait();
                }
                if (size > 8) buf.putBytes(index, src, 0, size);
                buf.putLong(index, seq++);
                ring.commit(index);
            }
            return !role.stopped();
        }
    }

    /** read(handler, Integer.MAX_VALUE), the handler reading the first 8 bytes of each message. */
    static final class AgronaConsumer implements Role.Consumer, org.agrona.concurrent.MessageHandler {
        final RingBuffer ring;
        long sum;

        AgronaConsumer(RingBuffer ring) {
            this.ring = ring;
        }

        @Override
        public int consume() {
            return ring.read(this, Integer.MAX_VALUE);
        }

        @Override
        public void onMessage(int msgTypeId, org.agrona.MutableDirectBuffer buffer, int index, int length) {
            sum += buffer.getLong(index);
        }

        @Override
        public long checksum() {
            return sum;
        }
    }
}
