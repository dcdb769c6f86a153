package dev.shmkit.process;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * The shmkit processes running on this machine, for {@code shmkit ps}: pool workers and child
 * processes (recognized by shmkit's child entry point on their command line, which also carries
 * their role, pool or child name and slot), the processes that own them (their parents), and,
 * when asked, every other process that maps a POSIX shared memory object. Nothing is registered
 * anywhere, so nothing is left behind when a process dies: the list is read from {@code /proc}
 * (Linux), including each process's shared memory mappings from {@code /proc/PID/maps}, where
 * objects whose names were already removed appear as {@code (deleted)}. On systems without
 * {@code /proc} the processes come from {@link ProcessHandle} and no segments are known.
 */
public final class ShmkitProcesses {
    private ShmkitProcesses() {}

    /** A POSIX shared memory object a process maps. */
    public record Segment(String name, long bytes, boolean unlinked) {}

    /**
     * One process.
     *
     * @param role     {@code worker}, {@code child}, {@code pool} (owns workers), {@code parent}
     *                 (owns child processes) or {@code other} (maps shared memory, with {@code all})
     * @param name     the pool or child name ({@code pool#slot} for a worker), or the command's name
     * @param uptime   how long it has run, when known
     * @param segments the POSIX shared memory objects it maps (Linux only)
     */
    public record Entry(long pid, long parentPid, String role, String name, Optional<Duration> uptime, List<Segment> segments) {}

    /** shmkit's workers and children and their parents; with {@code all}, also every process that maps shared memory. */
    public static List<Entry> list(boolean all) {
        Map<Long, Entry> found = new TreeMap<>();
        Map<Long, List<String>> owners = new LinkedHashMap<>();
        boolean proc = Files.isDirectory(Path.of("/proc/self"));
        List<ProcessHandle> handles = ProcessHandle.allProcesses().toList();
        for (ProcessHandle h : handles) {
            long pid = h.pid();
            List<String> args = proc ? cmdline(pid) : h.info().arguments().map(Arrays::asList).orElse(List.of());
            int at = args.indexOf(Wire.MAIN_CLASS);
            if (at < 0) {
                for (int i = 0; i < args.size(); i++) if (args.get(i).endsWith("/" + Wire.MAIN_CLASS)) at = i;
            }
            if (at < 0 || args.size() < at + 3) continue;
            String role = args.get(at + 2);
            String name = args.size() > at + 3 ? args.get(at + 3) : "?";
            if (role.equals("worker") && args.size() > at + 4) name = name + "#" + args.get(at + 4);
            long ppid = h.parent().map(ProcessHandle::pid).orElse(0L);
            found.put(pid, new Entry(pid, ppid, role.equals("worker") ? "worker" : "child", name, uptime(h), segments(pid, proc)));
            owners.computeIfAbsent(ppid, k -> new ArrayList<>()).add(role.equals("worker") ? args.get(at + 3) : "");
        }
        for (Map.Entry<Long, List<String>> o : owners.entrySet()) {
            long pid = o.getKey();
            if (pid <= 0 || found.containsKey(pid)) continue;
            Optional<ProcessHandle> h = ProcessHandle.of(pid);
            if (h.isEmpty()) continue;
            List<String> pools = o.getValue().stream().filter(s -> !s.isEmpty()).distinct().toList();
            String role = pools.isEmpty() ? "parent" : "pool";
            String name = pools.isEmpty() ? command(h.get()) : String.join(",", pools);
            found.put(pid, new Entry(pid, h.get().parent().map(ProcessHandle::pid).orElse(0L), role, name, uptime(h.get()), segments(pid, proc)));
        }
        if (all && proc) {
            for (ProcessHandle h : handles) {
                if (found.containsKey(h.pid())) continue;
                List<Segment> s = segments(h.pid(), true);
                if (s.isEmpty()) continue;
                found.put(h.pid(), new Entry(h.pid(), h.parent().map(ProcessHandle::pid).orElse(0L), "other", command(h), uptime(h), s));
            }
        }
        return List.copyOf(found.values());
    }

    private static String command(ProcessHandle h) {
        return h.info().command().map(c -> Path.of(c).getFileName().toString()).orElse("?");
    }

    private static Optional<Duration> uptime(ProcessHandle h) {
        Optional<Duration> fromProc = procUptime(h.pid());
        if (fromProc.isPresent()) return fromProc;
        return h.info().startInstant().map(s -> Duration.between(s, Instant.now())).filter(d -> !d.isNegative());
    }

    /** Linux: the system's uptime minus the process's start time (field 22 of /proc/PID/stat, in USER_HZ = 100 ticks a second). */
    private static Optional<Duration> procUptime(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"), StandardCharsets.US_ASCII);
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            long startTicks = Long.parseLong(f[19]);
            String up = Files.readString(Path.of("/proc/uptime"), StandardCharsets.US_ASCII).trim().split(" ")[0];
            long upMillis = Math.round(Double.parseDouble(up) * 1000);
            long d = upMillis - startTicks * 10;
            return d < 0 ? Optional.empty() : Optional.of(Duration.ofMillis(d));
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }

    private static List<String> cmdline(long pid) {
        try {
            byte[] b = Files.readAllBytes(Path.of("/proc", Long.toString(pid), "cmdline"));
            if (b.length == 0) return List.of();
            String s = new String(b, StandardCharsets.UTF_8);
            if (s.endsWith("\0")) s = s.substring(0, s.length() - 1);
            return List.of(s.split("\0", -1));
        } catch (IOException | RuntimeException e) {
            return List.of();
        }
    }

    /** The POSIX shared memory objects {@code pid} maps, from {@code /proc/PID/maps}. */
    static List<Segment> segments(long pid, boolean proc) {
        if (!proc) return List.of();
        Map<String, long[]> sizes = new LinkedHashMap<>();
        Map<String, Boolean> deleted = new LinkedHashMap<>();
        try {
            for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "maps"), StandardCharsets.UTF_8)) {
                int at = line.indexOf(" /dev/shm/");
                if (at < 0) continue;
                String file = line.substring(at + " /dev/shm/".length()).trim();
                boolean gone = file.endsWith(" (deleted)");
                if (gone) file = file.substring(0, file.length() - " (deleted)".length());
                if (file.startsWith("sem.")) continue; // named semaphores are not shared memory objects
                String range = line.substring(0, line.indexOf(' '));
                int dash = range.indexOf('-');
                long len = Long.parseUnsignedLong(range.substring(dash + 1), 16) - Long.parseUnsignedLong(range.substring(0, dash), 16);
                String name = "/" + file;
                sizes.computeIfAbsent(name, k -> new long[1])[0] += len;
                deleted.put(name, gone);
            }
        } catch (IOException | RuntimeException e) {
            return List.of();
        }
        List<Segment> l = new ArrayList<>();
        for (Map.Entry<String, long[]> e : sizes.entrySet()) l.add(new Segment(e.getKey(), e.getValue()[0], deleted.get(e.getKey())));
        return l;
    }
}
