package dev.shmkit.process;

import dev.shmkit.ring.RingKind;
import dev.shmkit.ring.SharedRing;
import dev.shmkit.shm.SharedMemory;

import java.io.File;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Starts child JVMs: the command line (same class path and module path as this JVM unless told
 * otherwise, native access granted, shmkit's child entry point), the shared memory object each
 * child gets, and the optional start-up cache.
 *
 * <h2>Start-up cache</h2>
 * With a cache directory, children use a JDK 25 AOT cache ({@code -XX:AOTCache}, JEP 483/514/515:
 * classes loaded and linked ahead of time, plus method profiles) named after a hash of everything
 * it depends on (java version, class path, module path, JVM options). When the file does not exist
 * yet, the first child started records it ({@code -XX:AOTCacheOutput}) and writes it when it exits
 * normally; later children start faster. The JVM only caches classes from JAR files, so the cache
 * is not used when the class path has directories (as in a build's test run).
 */
final class Launcher {
    private Launcher() {}

    private static final AtomicInteger SEQUENCE = new AtomicInteger();
    private static final long PID = ProcessHandle.current().pid();
    /** Objects created for children that have not mapped them yet; removed at exit if still there. */
    private static final java.util.Set<String> UNTAKEN = java.util.concurrent.ConcurrentHashMap.newKeySet();

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> UNTAKEN.forEach(Launcher::unlinkAll), "shmkit-unlink"));
    }

    /** The child has mapped its objects (and removed their names). */
    static void taken(String segment) {
        UNTAKEN.remove(segment);
    }

    /** Everything about how children are started. */
    record Spec(List<String> jvmOptions, ProcessBuilder.Redirect stdout, ProcessBuilder.Redirect stderr,
                Map<String, String> environment, Path directory, String classPath, String modulePath, Path cacheDirectory) {
        Spec {
            jvmOptions = List.copyOf(jvmOptions);
        }
    }

    /** A started child and what the parent holds of it. */
    record Spawned(Process process, SharedMemory shm, String segmentName, SharedRing tasks, SharedRing results,
                   ControlPipe.Writer control, long startNanos, Path trainingFile, Path cacheFile, List<String> command) {
        MemorySegment ctl() {
            return shm.segment();
        }

        /** Unmaps this side's view of the child's objects and removes any name the child did not remove. */
        void release() {
            control.close();
            if (tasks != null) tasks.close();
            results.close();
            for (int attempt = 0; ; attempt++) {
                try {
                    shm.close();
                    break;
                } catch (IllegalStateException busy) {
                    // another thread rang the doorbell at this very instant; it is done in microseconds
                    if (attempt > 100) break;
                    Thread.onSpinWait();
                }
            }
            unlinkAll(segmentName);
            UNTAKEN.remove(segmentName);
        }
    }

    static String nextSegmentName(char role) {
        return "/shmkit-" + role + PID + "-" + SEQUENCE.incrementAndGet();
    }

    /**
     * Creates the child's shared memory object (control area and rings), starts the JVM and sends
     * it the set-up message. On failure nothing is left behind.
     */
    static Spawned spawn(Spec spec, char role, String name, int slot, long taskCapacity, long resultCapacity,
                         Setup setup, boolean mayTrain) throws IOException {
        List<String> cacheOptions = new ArrayList<>();
        Path cache = cacheFile(spec);
        if (cache != null) {
            if (!Files.isRegularFile(cache)) promoteFinishedTraining(cache);
            if (Files.isRegularFile(cache)) cacheOptions.add("-XX:AOTCache=" + cache);
            else if (mayTrain && claimTraining(cache)) trainInBackground(spec, cache);
        }
        return spawn(spec, role, name, slot, taskCapacity, resultCapacity, setup, cacheOptions, spec.stdout(), spec.stderr(), null);
    }

    private static Spawned spawn(Spec spec, char role, String name, int slot, long taskCapacity, long resultCapacity, Setup setup,
                                 List<String> cacheOptions, ProcessBuilder.Redirect stdout, ProcessBuilder.Redirect stderr,
                                 Path training) throws IOException {
        String seg = nextSegmentName(role);
        SharedMemory shm = null;
        SharedRing tasks = null;
        SharedRing results = null;
        Process process = null;
        try {
            UNTAKEN.add(seg);
            shm = SharedMemory.create(seg, Wire.CTL_LENGTH);
            Wire.initialize(shm.segment());
            if (taskCapacity > 0) tasks = SharedRing.create(Wire.taskRingName(seg), taskCapacity, RingKind.SPSC);
            results = SharedRing.create(Wire.resultRingName(seg), resultCapacity, RingKind.SPSC);
            List<String> cmd = command(spec, cacheOptions, seg, role == 'w' ? "worker" : "child", name, slot);
            ProcessBuilder pb = new ProcessBuilder(cmd);
            pb.redirectInput(ProcessBuilder.Redirect.PIPE);
            pb.redirectOutput(stdout);
            pb.redirectError(stderr);
            if (spec.directory() != null) pb.directory(spec.directory().toFile());
            if (spec.environment() != null) pb.environment().putAll(spec.environment());
            long start = System.nanoTime();
            process = pb.start();
            ControlPipe.Writer control = new ControlPipe.Writer(process.getOutputStream());
            control.send(Wire.P_SETUP, setup::writeTo);
            return new Spawned(process, shm, seg, tasks, results, control, start, training, training == null ? null : cacheFile(spec),
                    List.copyOf(cmd));
        } catch (IOException | RuntimeException | Error e) {
            if (process != null) process.destroyForcibly();
            if (tasks != null) tasks.close();
            if (results != null) results.close();
            if (shm != null) shm.close();
            unlinkAll(seg);
            UNTAKEN.remove(seg);
            throw e;
        }
    }

    /**
     * Records the AOT cache in a separate worker JVM that starts, gets ready, reads a stop record
     * and exits (the JVM writes the cache as it exits). Its output is discarded, so the JVM's
     * messages about the cache never mix with the real workers' output.
     */
    private static void trainInBackground(Spec spec, Path cache) {
        Path training = cache.resolveSibling(cache.getFileName() + ".tmp-" + PID + "-" + SEQUENCE.incrementAndGet());
        // Not a daemon: it stops by itself (a stop record waits in its ring), and if this JVM exits first the
        // recording still completes; the next pool then moves it into place (promoteFinishedTraining).
        Setup setup = new Setup(true, false, 0, List.of(), "ADAPTIVE", null, (byte) 0, null, null, List.of());
        try {
            Spawned s = spawn(spec, 'w', "aot-training", 0, 64 * 1024, 64 * 1024, setup,
                    List.of("-XX:AOTCacheOutput=" + training), ProcessBuilder.Redirect.DISCARD, ProcessBuilder.Redirect.DISCARD, training);
            long i = s.tasks().tryClaim(Wire.T_STOP, 0);
            s.tasks().commit(i);
            Thread.ofVirtual().name("shmkit-aot-training").start(() -> {
                try {
                    int status = s.process().waitFor();
                    s.release();
                    finishTraining(s, status == 0);
                } catch (InterruptedException e) {
                    s.process().destroyForcibly();
                }
            });
        } catch (IOException | RuntimeException e) {
            TRAINING.remove(cache);
        }
    }

    /** Removes the names of a child's objects (the child removes them itself once it has mapped them). */
    static void unlinkAll(String segment) {
        for (String n : List.of(segment, Wire.taskRingName(segment), Wire.resultRingName(segment))) {
            try {
                SharedMemory.unlink(n);
            } catch (RuntimeException ignored) {
                // gone already
            }
        }
    }

    /** The command line that runs shmkit's child entry point in a JVM like this one. */
    static List<String> command(Spec spec, List<String> extraOptions, String segment, String role, String name, int slot) {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        String cp = spec.classPath() != null ? spec.classPath() : System.getProperty("java.class.path", "");
        String mp = spec.modulePath() != null ? spec.modulePath() : System.getProperty("jdk.module.path");
        boolean modular = Launcher.class.getModule().isNamed() && mp != null && !mp.isEmpty();
        cmd.addAll(defaultOptions());
        cmd.add("--enable-native-access=" + (modular ? (cp.isEmpty() ? "dev.shmkit.bindings" : "dev.shmkit.bindings,ALL-UNNAMED") : "ALL-UNNAMED"));
        cmd.addAll(extraOptions);
        cmd.addAll(spec.jvmOptions());
        if (modular) {
            cmd.add("-p");
            cmd.add(mp);
            cmd.add("--add-modules");
            cmd.add("ALL-MODULE-PATH");
            if (!cp.isEmpty()) {
                cmd.add("-cp");
                cmd.add(cp);
            }
            cmd.add("-m");
            cmd.add(Launcher.class.getModule().getName() + "/" + Wire.MAIN_CLASS);
        } else {
            cmd.add("-cp");
            cmd.add(cp);
            cmd.add(Wire.MAIN_CLASS);
        }
        cmd.add(segment);
        cmd.add(role);
        cmd.add(name);
        cmd.add(Integer.toString(slot));
        return cmd;
    }

    /**
     * Options every child gets before the caller's: the serial collector (a worker runs one task at
     * a time; it starts fewer threads and less memory than G1). The JDK's class-data sharing is on
     * by default ({@code -Xshare:auto} may not be given together with {@code -XX:AOTCacheOutput}).
     */
    static List<String> defaultOptions() {
        return List.of("-XX:+UseSerialGC");
    }

    // ------------------------------------------------------------------ start-up cache

    /** The cache file for this spec, or null when there is no cache directory or the class path has directories. */
    static Path cacheFile(Spec spec) {
        if (spec.cacheDirectory() == null) return null;
        String cp = spec.classPath() != null ? spec.classPath() : System.getProperty("java.class.path", "");
        String mp = spec.modulePath() != null ? spec.modulePath() : System.getProperty("jdk.module.path", "");
        for (String e : cp.split(File.pathSeparator)) {
            if (!e.isEmpty() && Files.isDirectory(Path.of(e))) return null; // the JVM caches classes from JARs only
        }
        for (String e : mp.split(File.pathSeparator)) {
            // a module path directory of JARs is fine; an exploded module is not
            if (!e.isEmpty() && Files.isRegularFile(Path.of(e, "module-info.class"))) return null;
        }
        String key = String.join("\n", System.getProperty("java.vm.version"), System.getProperty("java.home"), cp, mp,
                String.join(" ", defaultOptions()), String.join(" ", spec.jvmOptions()), jarStamps(cp + File.pathSeparator + mp));
        try {
            byte[] h = MessageDigest.getInstance("SHA-256").digest(key.getBytes(StandardCharsets.UTF_8));
            return spec.cacheDirectory().resolve("shmkit-child-" + HexFormat.of().formatHex(h, 0, 8) + ".aot");
        } catch (NoSuchAlgorithmException e) {
            return null;
        }
    }

    private static String jarStamps(String path) {
        StringBuilder b = new StringBuilder();
        for (String e : path.split(File.pathSeparator)) {
            if (e.isEmpty()) continue;
            try {
                Path p = Path.of(e);
                if (Files.isDirectory(p)) {
                    try (var s = Files.list(p)) {
                        s.sorted().forEach(f -> b.append(f).append(stamp(f)).append('\n'));
                    }
                } else {
                    b.append(p).append(stamp(p)).append('\n');
                }
            } catch (IOException | RuntimeException ignored) {
                b.append(e).append('?');
            }
        }
        return b.toString();
    }

    private static String stamp(Path p) {
        try {
            return ":" + Files.size(p) + ":" + Files.getLastModifiedTime(p).toMillis();
        } catch (IOException e) {
            return ":?";
        }
    }

    private static final java.util.Set<Path> TRAINING = java.util.concurrent.ConcurrentHashMap.newKeySet();
    private static final java.util.Set<Path> TRIED = java.util.concurrent.ConcurrentHashMap.newKeySet();

    /** One child per cache file records it, once per JVM: a recording that fails is not tried again. */
    private static boolean claimTraining(Path cache) {
        if (!TRIED.add(cache)) return false;
        try {
            Files.createDirectories(cache.getParent());
        } catch (IOException e) {
            return false;
        }
        return TRAINING.add(cache);
    }

    /**
     * A recording whose parent exited before it finished: the JVM removes its {@code .config} file
     * once the cache is complete, so a temporary cache without one is whole and can be moved into
     * place. Leftovers of failed recordings older than ten minutes are removed.
     */
    private static void promoteFinishedTraining(Path cache) {
        String prefix = cache.getFileName() + ".tmp-";
        try (var files = Files.list(cache.getParent())) {
            for (Path p : files.toList()) {
                String n = p.getFileName().toString();
                if (!n.startsWith(prefix)) continue;
                if (n.endsWith(".config")) {
                    if (Files.getLastModifiedTime(p).toMillis() < System.currentTimeMillis() - 600_000) Files.deleteIfExists(p);
                    continue;
                }
                if (Files.exists(p.resolveSibling(n + ".config"))) continue; // still being written
                if (Files.size(p) > 0 && !Files.exists(cache)) {
                    Files.move(p, cache, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
                } else {
                    Files.deleteIfExists(p);
                }
            }
        } catch (IOException | RuntimeException ignored) {
            // no cache this time
        }
    }

    /** After the recording child exited: move its cache into place (or drop a failed recording). */
    static void finishTraining(Spawned s, boolean exitedNormally) {
        if (s.trainingFile() == null) return;
        try {
            if (exitedNormally && Files.isRegularFile(s.trainingFile()) && Files.size(s.trainingFile()) > 0) {
                Files.move(s.trainingFile(), s.cacheFile(), java.nio.file.StandardCopyOption.ATOMIC_MOVE,
                        java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException | RuntimeException ignored) {
            // a cache is an optimization: without one, children start the ordinary way
        } finally {
            try {
                Files.deleteIfExists(s.trainingFile());
            } catch (IOException ignored) {
                // nothing more to do
            }
            TRAINING.remove(s.cacheFile());
        }
    }
}
