package dev.shmkit.ring;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.HashMap;
import java.util.Map;

/**
 * Self-checking test messages: {@code [int producer][long seq][int length][filler...][int checksum]}.
 * The filler bytes are a function of producer, sequence and position, and the checksum covers
 * everything before it, so a torn, stale or misplaced record is always detected.
 */
final class RingMessages {
    private RingMessages() {}

    /** Smallest message: the fixed fields and the checksum. */
    static final int MIN = 20;
    /** The type id of data messages; {@link #POISON} tells a consumer to stop. */
    static final int DATA = 7;
    static final int POISON = 9;

    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED;
    private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG_UNALIGNED;

    /** A length in [min, max] that varies with the sequence number (and differs between producers). */
    static int length(int producer, long seq, int min, int max) {
        if (max <= min) return min;
        long h = (seq * 0x9E3779B97F4A7C15L) ^ (producer * 0xC2B2AE3D27D4EB4FL);
        return min + (int) Long.remainderUnsigned(h ^ (h >>> 29), max - min + 1);
    }

    private static byte filler(int producer, long seq, int i) {
        return (byte) (seq * 31 + producer * 7 + i * 13);
    }

    /** Writes message {@code seq} of {@code producer}, {@code length >= MIN} bytes, at {@code index}. */
    static void write(MemorySegment buf, long index, int producer, long seq, int length) {
        if (length < MIN) throw new IllegalArgumentException("length " + length);
        buf.set(INT, index, producer);
        buf.set(LONG, index + 4, seq);
        buf.set(INT, index + 12, length);
        for (int i = 16; i < length - 4; i++) buf.set(ValueLayout.JAVA_BYTE, index + i, filler(producer, seq, i));
        buf.set(INT, index + length - 4, checksum(buf, index, length - 4));
    }

    /** Writes only the first half of a message: what a producer killed mid-write leaves. */
    static void writeHalf(MemorySegment buf, long index, int producer, long seq, int length) {
        buf.set(INT, index, producer);
        buf.set(LONG, index + 4, seq);
        for (int i = 16; i < length / 2; i++) buf.set(ValueLayout.JAVA_BYTE, index + i, filler(producer, seq, i));
    }

    static int checksum(MemorySegment buf, long index, int n) {
        int h = 0x811C9DC5;
        for (int i = 0; i < n; i++) h = (h ^ buf.get(ValueLayout.JAVA_BYTE, index + i)) * 0x01000193;
        return h;
    }

    static int producer(MemorySegment buf, long index) {
        return buf.get(INT, index);
    }

    static long seq(MemorySegment buf, long index) {
        return buf.get(LONG, index + 4);
    }

    /** Fails unless the {@code length} bytes at {@code index} are one intact message; returns its producer. */
    static int verify(MemorySegment buf, long index, int length) {
        if (length < MIN) throw new AssertionError("record of " + length + " bytes is too short for a message");
        int producer = buf.get(INT, index);
        long seq = buf.get(LONG, index + 4);
        int len = buf.get(INT, index + 12);
        if (len != length) throw new AssertionError("producer " + producer + " seq " + seq + ": length field " + len + " but record of " + length);
        int sum = buf.get(INT, index + length - 4);
        if (sum != checksum(buf, index, length - 4)) throw new AssertionError("producer " + producer + " seq " + seq + ": bad checksum (torn record)");
        for (int i = 16; i < length - 4; i++) {
            if (buf.get(ValueLayout.JAVA_BYTE, index + i) != filler(producer, seq, i)) {
                throw new AssertionError("producer " + producer + " seq " + seq + ": bad byte " + i);
            }
        }
        return producer;
    }

    /**
     * What one consumer saw of each producer: count, sum and sum of squares of the sequence
     * numbers (mod 2^64), and whether they came strictly in order. Union over consumers with
     * {@link #merge}; {@link #check} proves exactly 0..n-1 arrived once each.
     */
    static final class Tally {
        final Map<Integer, long[]> byProducer = new HashMap<>(); // count, sum, sumsq, last, disorder

        void add(int producer, long seq) {
            long[] t = byProducer.computeIfAbsent(producer, p -> new long[] {0, 0, 0, -1, 0});
            t[0]++;
            t[1] += seq;
            t[2] += seq * seq;
            if (seq <= t[3]) t[4]++;
            t[3] = seq;
        }

        /** Verifies the message at {@code index} and counts it. */
        void accept(MemorySegment buf, long index, int length) {
            int p = verify(buf, index, length);
            add(p, seq(buf, index));
        }

        long count(int producer) {
            long[] t = byProducer.get(producer);
            return t == null ? 0 : t[0];
        }

        long total() {
            long n = 0;
            for (long[] t : byProducer.values()) n += t[0];
            return n;
        }

        /** One line per producer: {@code tally P count sum sumsq disorder}. */
        String[] lines() {
            return byProducer.entrySet().stream()
                    .map(e -> "tally " + e.getKey() + " " + e.getValue()[0] + " " + e.getValue()[1] + " " + e.getValue()[2] + " " + e.getValue()[4])
                    .toArray(String[]::new);
        }

        /** Adds a line printed by {@link #lines()} in another process. */
        void merge(String line) {
            String[] f = line.split(" ");
            long[] t = byProducer.computeIfAbsent(Integer.parseInt(f[1]), p -> new long[] {0, 0, 0, -1, 0});
            t[0] += Long.parseLong(f[2]);
            t[1] += Long.parseLong(f[3]);
            t[2] += Long.parseLong(f[4]);
            t[4] += Long.parseLong(f[5]);
        }

        /** Fails unless {@code producer}'s messages 0..n-1 each arrived exactly once, in order per consumer. */
        void check(int producer, long n) {
            long[] t = byProducer.get(producer);
            if (t == null) throw new AssertionError("nothing from producer " + producer);
            long sum = 0, sumsq = 0;
            for (long i = 0; i < n; i++) {
                sum += i;
                sumsq += i * i;
            }
            if (t[0] != n) throw new AssertionError("producer " + producer + ": " + t[0] + " messages, expected " + n + " (lost or duplicated)");
            if (t[1] != sum || t[2] != sumsq) throw new AssertionError("producer " + producer + ": wrong set of sequence numbers (lost and duplicated)");
            if (t[4] != 0) throw new AssertionError("producer " + producer + ": " + t[4] + " messages out of order");
        }
    }
}
