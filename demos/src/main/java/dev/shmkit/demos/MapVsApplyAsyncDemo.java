package dev.shmkit.demos;

import dev.shmkit.process.ProcessPool;
import dev.shmkit.process.ResultIterator;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.stream.IntStream;

/**
 * Course day 9: the ways to hand work to a pool. {@code map} blocks and returns every result in
 * input order, sending many inputs per record; {@code applyAsync} returns a
 * {@code CompletableFuture} per task with callbacks, one task at a time; {@code imap} and
 * {@code imapUnordered} stream results as they come.
 *
 * <pre>bin/shmkit-java dev.shmkit.demos.MapVsApplyAsyncDemo [TASKS]</pre>
 */
public final class MapVsApplyAsyncDemo {
    private MapVsApplyAsyncDemo() {}

    public static void main(String[] args) throws Exception {
        int tasks = args.length > 0 ? Integer.parseInt(args[0]) : 20_000;
        List<Integer> inputs = IntStream.range(0, tasks).boxed().toList();
        try (ProcessPool pool = ProcessPool.builder().workers(2).name("map-vs-apply").build()) {
            pool.awaitReady(Duration.ofSeconds(120));
            for (int round = 0; round < 2; round++) { // the first round warms up the JIT
                boolean show = round == 1;
                long t = System.nanoTime();
                List<Integer> squares = pool.map(x -> x * x, inputs);
                double map = (System.nanoTime() - t) / 1e9;

                t = System.nanoTime();
                List<Integer> squares1 = pool.map(x -> x * x, inputs, 1);
                double map1 = (System.nanoTime() - t) / 1e9;

                t = System.nanoTime();
                ConcurrentLinkedQueue<Integer> completionOrder = new ConcurrentLinkedQueue<>();
                List<CompletableFuture<Integer>> futures = new ArrayList<>(tasks);
                for (int x : inputs) {
                    futures.add(pool.applyAsync((Integer v) -> v * v, x, r -> completionOrder.add(r), e -> { }));
                }
                CompletableFuture.allOf(futures.toArray(CompletableFuture[]::new)).join();
                double apply = (System.nanoTime() - t) / 1e9;

                t = System.nanoTime();
                long sum = 0;
                try (ResultIterator<Integer> it = pool.imapUnordered(x -> x * x, inputs, 64)) {
                    while (it.hasNext()) sum += it.next();
                }
                double unordered = (System.nanoTime() - t) / 1e9;

                if (!show) continue;
                if (!squares.equals(squares1) || squares.get(tasks - 1) != (tasks - 1) * (tasks - 1)) throw new IllegalStateException("wrong results");
                long expected = squares.stream().mapToLong(Integer::longValue).sum();
                if (sum != expected) throw new IllegalStateException("imapUnordered lost results");
                System.out.printf(Locale.ROOT, "%,d tasks (x -> x * x) on 2 workers:%n", tasks);
                row("map, chunks chosen by the pool", map, tasks, "results in input order");
                row("map, chunk size 1", map1, tasks, "results in input order");
                row("applyAsync, a future per task", apply, tasks, "first callbacks: " + first(completionOrder, 8));
                row("imapUnordered, chunk size 64", unordered, tasks, "a lazy stream, completion order");
            }
        }
        System.out.println("map amortizes the per-task cost over chunks and one future; applyAsync pays a closure"
                + " registration, a future and a callback per task, and its callbacks run as results arrive.");
    }

    private static void row(String what, double seconds, int tasks, String note) {
        System.out.printf(Locale.ROOT, "  %-32s %8.3f s  %,12.0f tasks/s   %s%n", what, seconds, tasks / seconds, note);
    }

    private static String first(ConcurrentLinkedQueue<Integer> q, int n) {
        return q.stream().limit(n).map(String::valueOf).reduce((a, b) -> a + " " + b).orElse("") + " ...";
    }
}
