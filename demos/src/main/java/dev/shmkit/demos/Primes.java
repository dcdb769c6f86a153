package dev.shmkit.demos;

import java.util.ArrayList;
import java.util.List;

/** CPU-bound work for the pool demos: counting primes by trial division, on purpose the slow way. */
public final class Primes {
    private Primes() {}

    /** The number of primes in {@code [from, to)}. */
    public static long count(long from, long to) {
        long n = 0;
        for (long x = Math.max(2, from); x < to; x++) if (isPrime(x)) n++;
        return n;
    }

    static boolean isPrime(long x) {
        if (x < 4) return x >= 2;
        if ((x & 1) == 0) return false;
        for (long d = 3; d * d <= x; d += 2) if (x % d == 0) return false;
        return true;
    }

    /** {@code [0, limit)} cut into {@code parts} ranges of about equal work (later numbers cost more, so later ranges are shorter). */
    public static List<long[]> ranges(long limit, int parts) {
        List<long[]> r = new ArrayList<>(parts);
        // The cost of testing x grows like sqrt(x): equal shares of the integral of sqrt.
        double total = Math.pow(limit, 1.5);
        long prev = 0;
        for (int i = 1; i <= parts; i++) {
            long next = i == parts ? limit : (long) Math.pow(total * i / parts, 1 / 1.5);
            r.add(new long[] {prev, next});
            prev = next;
        }
        return r;
    }
}
