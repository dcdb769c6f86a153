package dev.shmkit.demos;

import dev.shmkit.objects.SharedList;
import dev.shmkit.objects.SharedMap;
import dev.shmkit.objects.StoreStats;
import dev.shmkit.queue.Codec;
import dev.shmkit.shm.SharedMemory;
import dev.shmkit.sync.SharedLock;

import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Course: {@code multiprocessing.Manager} dicts and lists, without the manager's server process:
 * the map and the list live in shared memory and every process reads and writes them directly.
 *
 * <ol>
 *   <li>The Python documentation's Manager example: a child fills a shared dict and reverses a
 *       shared list; the parent prints both.</li>
 *   <li>Word counting by several worker processes merging into one shared map
 *       ({@code counts.merge(word, 1L, Long::sum)} is atomic across processes).</li>
 *   <li>A worker is killed with SIGKILL while it holds the map's lock, in the middle of its
 *       updates: the other workers take the lock over, the map repairs itself and stays
 *       consistent, and every update the survivors made is there.</li>
 * </ol>
 *
 * <pre>bin/shmkit-java dev.shmkit.demos.SharedMapDemo [workers]</pre>
 */
public final class SharedMapDemo {
    static final String TEXT = """
            it was the best of times it was the worst of times it was the age of wisdom it was the age of
            foolishness it was the epoch of belief it was the epoch of incredulity it was the season of light
            it was the season of darkness it was the spring of hope it was the winter of despair""";

    public static void main(String[] args) throws Exception {
        if (args.length > 0 && args[0].startsWith("--")) {
            child(args);
            return;
        }
        int workers = args.length > 0 ? Integer.parseInt(args[0]) : 3;
        String tag = "/shmkit-demo-" + ProcessHandle.current().pid();

        System.out.println("1. A shared dict and list, changed by a child process");
        try (SharedMap<String, String> d = SharedMap.create(tag + "-dict", Codec.string(), Codec.string(), 100, 4096);
             SharedList<Integer> l = SharedList.create(tag + "-list", Codec.ints(), 100, 4096)) {
            for (int i = 0; i < 10; i++) l.add(i);
            run(List.of(Jvm.demo(SharedMapDemo.class, "--fill", d.name(), l.name())));
            System.out.println("   parent: d = " + new TreeMap<>(d));
            System.out.println("   parent: l = " + l);
        } finally {
            SharedMemory.unlink(tag + "-dict");
            SharedMemory.unlink(tag + "-list");
        }

        System.out.println();
        String[] words = TEXT.split("\\s+");
        System.out.printf("2. %d worker processes count %d words into one shared map%n", workers, words.length);
        try (SharedMap<String, Long> counts = SharedMap.create(tag + "-counts", Codec.string(), Codec.longs(), 1000, 64 * 1024)) {
            List<ProcessBuilder> procs = new ArrayList<>();
            for (int i = 0; i < workers; i++) {
                procs.add(Jvm.demo(SharedMapDemo.class, "--count", counts.name(), Integer.toString(i), Integer.toString(workers)));
            }
            run(procs);
            List<Map.Entry<String, Long>> top = new ArrayList<>(counts.entrySet());
            top.sort(Map.Entry.<String, Long>comparingByValue(Comparator.reverseOrder()).thenComparing(Map.Entry.comparingByKey()));
            long total = counts.values().stream().mapToLong(Long::longValue).sum();
            System.out.println("   most frequent: " + top.subList(0, 5));
            System.out.printf("   %d distinct words, %d counted (expected %d)%n", counts.size(), total, words.length);
        } finally {
            SharedMemory.unlink(tag + "-counts");
        }

        System.out.println();
        System.out.println("3. A worker killed with SIGKILL while it holds the map's lock");
        try (SharedMap<String, Long> m = SharedMap.create(tag + "-robust", Codec.string(), Codec.longs(), 10_000, 1 << 20)) {
            Process victim = Jvm.demo(SharedMapDemo.class, "--hog", m.name()).inheritIO().start();
            {
                SharedLock lock = m.lock(); // to see who holds it
                long deadline = System.nanoTime() + 30_000_000_000L;
                while (!(m.containsKey("hog-started") && lock.ownerPid() == victim.pid()) && System.nanoTime() < deadline) {
                    Thread.onSpinWait();
                }
                List<ProcessBuilder> survivors = new ArrayList<>();
                for (int i = 0; i < workers; i++) survivors.add(Jvm.demo(SharedMapDemo.class, "--write", m.name(), Integer.toString(i)));
                victim.destroyForcibly();
                System.out.println("   killed worker " + victim.pid() + " (it held the lock: " + (lock.ownerPid() == victim.pid()) + ")");
                victim.waitFor();
                run(survivors);
            }
            int missing = 0;
            for (int i = 0; i < workers; i++) {
                for (long k = 0; k < 1000; k++) if (!Long.valueOf(k).equals(m.get("w" + i + "-" + k))) missing++;
            }
            StoreStats s = m.stats();
            System.out.printf("   survivors' entries missing or wrong: %d of %d%n", missing, workers * 1000);
            System.out.printf("   map: %d entries, size() = %d, snapshot = %d, repairs after a dead writer: %d%n",
                    s.size(), m.size(), m.snapshot().size(), s.repairs());
        } finally {
            SharedMemory.unlink(tag + "-robust");
        }
    }

    private static void run(List<ProcessBuilder> builders) throws Exception {
        List<Process> procs = new ArrayList<>();
        for (ProcessBuilder b : builders) procs.add(b.inheritIO().start());
        for (Process p : procs) {
            if (p.waitFor() != 0) throw new IllegalStateException("a child process failed with exit status " + p.exitValue());
        }
    }

    /** One line in one write, so lines of concurrent children do not interleave. */
    private static void say(String line) {
        System.out.print(line + System.lineSeparator());
        System.out.flush();
    }

    private static void child(String[] args) {
        switch (args[0]) {
            case "--fill" -> {
                try (SharedMap<String, String> d = SharedMap.open(args[1], Codec.string(), Codec.string());
                     SharedList<Integer> l = SharedList.open(args[2], Codec.ints())) {
                    d.put("1", "'1'");
                    d.put("2", "2");
                    d.put("0.25", "None");
                    l.sort(Collections.reverseOrder()); // one atomic update of the whole list
                    say("   child " + ProcessHandle.current().pid() + ": filled d and reversed l");
                }
            }
            case "--count" -> {
                int id = Integer.parseInt(args[2]);
                int workers = Integer.parseInt(args[3]);
                String[] words = TEXT.split("\\s+");
                try (SharedMap<String, Long> counts = SharedMap.open(args[1], Codec.string(), Codec.longs())) {
                    for (int i = id; i < words.length; i += workers) counts.merge(words[i], 1L, Long::sum);
                }
            }
            case "--hog" -> {
                try (SharedMap<String, Long> m = SharedMap.open(args[1], Codec.string(), Codec.longs())) {
                    m.put("hog-started", 1L);
                    for (long i = 0; ; i++) {
                        long first = i * 64;
                        m.atomically(map -> {
                            for (long j = first; j < first + 64; j++) map.put("hog-" + (j % 500), j);
                            return null;
                        });
                    }
                }
            }
            case "--write" -> {
                try (SharedMap<String, Long> m = SharedMap.open(args[1], Codec.string(), Codec.longs())) {
                    for (long k = 0; k < 1000; k++) m.put("w" + args[2] + "-" + k, k);
                }
            }
            default -> throw new IllegalArgumentException(args[0]);
        }
    }
}
