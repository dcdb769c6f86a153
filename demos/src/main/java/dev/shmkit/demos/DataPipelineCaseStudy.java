package dev.shmkit.demos;

import dev.shmkit.process.ProcessPool;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.stream.IntStream;

/**
 * Course day 9, a case study: analysing a web server's access log in parallel. The log (generated
 * here, deterministic) is cut at line boundaries into chunks; each chunk goes to a worker as a
 * {@code MemorySegment}, which the worker parses in place in the shared-memory ring (no copy on
 * its side); each worker returns a small summary as a {@code long[]}; the parent merges them (map,
 * then reduce). The same analysis in one thread checks the result.
 *
 * <pre>bin/shmkit-java dev.shmkit.demos.DataPipelineCaseStudy [LINES [WORKERS]]</pre>
 */
public final class DataPipelineCaseStudy {
    private DataPipelineCaseStudy() {}

    static final String[] PATHS = {"/", "/login", "/logout", "/search", "/cart", "/checkout", "/api/items", "/api/items/detail",
            "/api/users", "/api/orders", "/api/orders/history", "/static/app.js", "/static/app.css", "/static/logo.png",
            "/help", "/about", "/admin", "/admin/reports", "/feed.xml", "/sitemap.xml"};
    static final int[] STATUSES = {200, 200, 200, 200, 200, 200, 304, 304, 301, 404, 403, 500, 503};
    /** Per path: requests, bytes, latency sum (0.1 ms), latency max (0.1 ms), server errors. */
    static final int FIELDS = 5;
    static final int STATUS_BASE = PATHS.length * FIELDS;
    static final int SUMMARY = STATUS_BASE + 600;

    public static void main(String[] args) throws Exception {
        int lines = args.length > 0 ? Integer.parseInt(args[0]) : 1_000_000;
        int workers = args.length > 1 ? Integer.parseInt(args[1]) : Math.max(2, Runtime.getRuntime().availableProcessors());

        long t = System.nanoTime();
        byte[] log = generate(lines, 42);
        System.out.printf(Locale.ROOT, "generated %,d log lines, %.1f MB, in %.2f s%n", lines, log.length / 1e6, (System.nanoTime() - t) / 1e9);
        System.out.println("  e.g. " + new String(log, 0, indexOf(log, (byte) '\n', 0), StandardCharsets.US_ASCII));

        MemorySegment all = MemorySegment.ofArray(log);
        // Chunks of about 256 KiB (and at least 8 per worker): each fits one ring record, and the work balances.
        List<MemorySegment> chunks = split(all, (int) Math.max(workers * 8L, all.byteSize() / (256 * 1024)));

        analyze(all); // warm up
        t = System.nanoTime();
        long[] serial = analyze(all);
        double oneThread = (System.nanoTime() - t) / 1e9;

        long[] merged;
        double parallel;
        try (ProcessPool pool = ProcessPool.builder().workers(workers).name("log-analysis").build()) {
            pool.awaitReady(Duration.ofSeconds(120));
            pool.map(DataPipelineCaseStudy::analyze, split(MemorySegment.ofArray(generate(50_000, 7)), workers * 4), 1); // warm-up
            t = System.nanoTime();
            List<long[]> partial = pool.map(DataPipelineCaseStudy::analyze, chunks, 1); // map
            merged = new long[SUMMARY];
            for (long[] p : partial) merge(merged, p); // reduce
            parallel = (System.nanoTime() - t) / 1e9;
        }
        if (!Arrays.equals(serial, merged)) throw new IllegalStateException("the parallel result differs from the serial one");

        System.out.printf(Locale.ROOT, "one thread, this process:   %.3f s  (%.0f MB/s)%n", oneThread, log.length / 1e6 / oneThread);
        System.out.printf(Locale.ROOT, "%d worker processes:         %.3f s  (%.0f MB/s), %d chunks, speed-up %.2fx; same result: yes%n",
                workers, parallel, log.length / 1e6 / parallel, chunks.size(), oneThread / parallel);
        report(merged);
    }

    /** Deterministic access log lines: {@code ip method path status bytes latency_ms}. */
    static byte[] generate(int lines, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        StringBuilder b = new StringBuilder(lines * 48);
        String[] methods = {"GET", "GET", "GET", "POST", "PUT", "DELETE"};
        for (int i = 0; i < lines; i++) {
            int p = (int) Math.min(PATHS.length - 1, Math.abs(r.nextGaussian()) * 5);
            int status = STATUSES[r.nextInt(STATUSES.length)];
            int latency = 5 + r.nextInt(40) + (p * 37 % 11) * 20 + (status >= 500 ? 900 : 0); // tenths of ms
            b.append("10.").append(r.nextInt(256)).append('.').append(r.nextInt(256)).append('.').append(r.nextInt(256))
                    .append(' ').append(methods[r.nextInt(methods.length)]).append(' ').append(PATHS[p])
                    .append(' ').append(status).append(' ').append(200 + r.nextInt(60_000))
                    .append(' ').append(latency / 10).append('.').append(latency % 10).append('\n');
        }
        return b.toString().getBytes(StandardCharsets.US_ASCII);
    }

    /** Cuts {@code log} into about {@code parts} slices that end at line ends. */
    static List<MemorySegment> split(MemorySegment log, int parts) {
        List<MemorySegment> out = new ArrayList<>(parts);
        long size = log.byteSize();
        long start = 0;
        for (int i = 1; i <= parts && start < size; i++) {
            long end = i == parts ? size : Math.max(start, size * i / parts);
            while (end < size && log.get(ValueLayout.JAVA_BYTE, end - 1) != '\n') end++;
            if (end > start) out.add(log.asSlice(start, end - start));
            start = end;
        }
        return out;
    }

    /**
     * The map step, run in the workers: one pass over the bytes, no strings. The chunk arrives as a
     * read-only view of the worker's ring (no copy on the way in); the parser takes it out in one
     * bulk copy, because plain array reads are what the JIT makes fastest.
     */
    static long[] analyze(MemorySegment chunk) {
        byte[] b = chunk.toArray(ValueLayout.JAVA_BYTE);
        long[] s = new long[SUMMARY];
        int n = b.length;
        int i = 0;
        while (i < n) {
            while (b[i] != ' ') i++; // ip
            i++;
            while (b[i] != ' ') i++; // method
            i++;
            int pathStart = i;
            while (b[i] != ' ') i++;
            int p = pathIndex(b, pathStart, i);
            i++;
            int status = 0;
            byte c;
            while ((c = b[i++]) != ' ') status = status * 10 + (c - '0');
            long bytes = 0;
            while ((c = b[i++]) != ' ') bytes = bytes * 10 + (c - '0');
            long latency = 0;
            while ((c = b[i++]) != '\n') if (c != '.') latency = latency * 10 + (c - '0');
            int f = p * FIELDS;
            s[f]++;
            s[f + 1] += bytes;
            s[f + 2] += latency;
            s[f + 3] = Math.max(s[f + 3], latency);
            if (status >= 500) s[f + 4]++;
            if (status < 600) s[STATUS_BASE + status]++;
        }
        return s;
    }

    private static final byte[][] PATH_BYTES = java.util.Arrays.stream(PATHS).map(p -> p.getBytes(StandardCharsets.US_ASCII)).toArray(byte[][]::new);

    private static int pathIndex(byte[] b, int from, int to) {
        for (int k = 0; k < PATH_BYTES.length; k++) {
            if (Arrays.equals(b, from, to, PATH_BYTES[k], 0, PATH_BYTES[k].length)) return k;
        }
        throw new IllegalStateException("unknown path at byte " + from);
    }

    /** The reduce step. */
    static void merge(long[] into, long[] part) {
        for (int k = 0; k < PATHS.length; k++) {
            int f = k * FIELDS;
            into[f] += part[f];
            into[f + 1] += part[f + 1];
            into[f + 2] += part[f + 2];
            into[f + 3] = Math.max(into[f + 3], part[f + 3]);
            into[f + 4] += part[f + 4];
        }
        for (int i = STATUS_BASE; i < SUMMARY; i++) into[i] += part[i];
    }

    private static void report(long[] s) {
        long requests = IntStream.range(0, PATHS.length).mapToLong(k -> s[k * FIELDS]).sum();
        System.out.printf(Locale.ROOT, "%n%,d requests; by status:", requests);
        for (int st = 0; st < 600; st++) if (s[STATUS_BASE + st] > 0) System.out.printf(Locale.ROOT, " %d=%,d", st, s[STATUS_BASE + st]);
        System.out.printf("%n%n%-22s %10s %10s %12s %10s %8s%n", "path", "requests", "MB", "avg latency", "max", "5xx");
        IntStream.range(0, PATHS.length).boxed().sorted(Comparator.comparingLong(k -> -s[k * FIELDS])).limit(10).forEach(k -> {
            int f = k * FIELDS;
            if (s[f] == 0) return;
            System.out.printf(Locale.ROOT, "%-22s %,10d %10.1f %9.1f ms %7.1f ms %7.2f%%%n", PATHS[k], s[f], s[f + 1] / 1e6,
                    s[f + 2] / 10.0 / s[f], s[f + 3] / 10.0, 100.0 * s[f + 4] / s[f]);
        });
    }

    private static int indexOf(byte[] b, byte v, int from) {
        for (int i = from; i < b.length; i++) if (b[i] == v) return i;
        return b.length;
    }
}
