package dev.shmkit.testkit;

import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;

/**
 * Fails a test class that leaves named objects behind: entries of /dev/shm and /dev/mqueue,
 * and System V shared memory, message queues and semaphore sets (from /proc/sysvipc), that
 * exist after the class and did not before it. Registered for every test class through
 * JUnit's extension auto-detection ({@code junit-platform.properties} in each module).
 */
public final class LeakCheck implements BeforeAllCallback, AfterAllCallback {
    private static final ExtensionContext.Namespace NS = ExtensionContext.Namespace.create(LeakCheck.class);

    /** Everything named right now, one line each ({@code shm:/name}, {@code sysv-shm:key:id}, ...). */
    public static Set<String> snapshot() {
        Set<String> names = new TreeSet<>();
        list(Path.of("/dev/shm"), "posix:", names);
        list(Path.of("/dev/mqueue"), "mqueue:", names);
        sysv("shm", names);
        sysv("msg", names);
        sysv("sem", names);
        return names;
    }

    private static void list(Path dir, String prefix, Set<String> names) {
        if (!Files.isDirectory(dir)) return;
        try (Stream<Path> s = Files.list(dir)) {
            s.forEach(p -> names.add(prefix + p.getFileName()));
        } catch (IOException ignored) {
            // unreadable: nothing to compare
        }
    }

    private static void sysv(String kind, Set<String> names) {
        Path p = Path.of("/proc/sysvipc", kind);
        if (!Files.isReadable(p)) return;
        try {
            List<String> lines = Files.readAllLines(p);
            for (String line : lines.subList(Math.min(1, lines.size()), lines.size())) {
                String[] f = line.trim().split("\\s+");
                if (f.length > 1) names.add("sysv-" + kind + ":key=" + f[0] + ":id=" + f[1]);
            }
        } catch (IOException ignored) {
            // unreadable: nothing to compare
        }
    }

    @Override
    public void beforeAll(ExtensionContext context) {
        context.getStore(NS).put("before", snapshot());
    }

    @Override
    public void afterAll(ExtensionContext context) {
        @SuppressWarnings("unchecked")
        Set<String> before = (Set<String>) context.getStore(NS).get("before", Set.class);
        if (before == null) return;
        Set<String> left = new TreeSet<>(snapshot());
        left.removeAll(before);
        if (!left.isEmpty()) {
            throw new AssertionError(context.getDisplayName() + " left named objects behind: " + left);
        }
    }
}
