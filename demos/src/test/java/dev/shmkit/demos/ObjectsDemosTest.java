package dev.shmkit.demos;

import dev.shmkit.testkit.ChildJvm;
import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertTrue;

/** The shared-objects demos run as users run them, and show what they promise. */
class ObjectsDemosTest {
    private static String run(Class<?> demo, String... args) {
        try (ChildJvm child = ChildJvm.start(demo, args)) {
            StringBuilder out = new StringBuilder();
            try {
                while (true) out.append(child.readLine(Duration.ofMinutes(2))).append('\n');
            } catch (AssertionError endOfOutput) {
                if (!endOfOutput.getMessage().contains("child ended its output")) throw endOfOutput;
            }
            int status = child.waitFor();
            assertTrue(status == 0, "exit status " + status + "\n" + out + child.stderr());
            return out.toString();
        }
    }

    @Test
    void valueArrayDemo() {
        String out = run(ValueArrayDemo.class, "2", "20000");
        assertTrue(out.contains("parent: num = 0.0, arr = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]"), out);
        assertTrue(out.contains("parent, after the child: num = 3.1415927, arr = [0, -1, -2, -3, -4, -5, -6, -7, -8, -9]"), out);
        assertTrue(out.matches("(?s).*v\\.lock\\(\\); v\\.set\\(v\\.get\\(\\) \\+ 1\\); v\\.unlock\\(\\):\\s+counter =\\s+40,000\\s+lost updates = 0 .*"), out);
        assertTrue(out.matches("(?s).*v\\.incrementAndGet\\(\\), atomic:\\s+counter =\\s+40,000\\s+lost updates = 0 .*"), out);
        assertTrue(out.contains("v.set(v.get() + 1), no lock:"), out);
        assertTrue(out.contains("sum of i*i for i < 1,000,000 = 333332833333500000 (expected 333332833333500000)"), out);
    }

    @Test
    void sharedMapDemo() {
        String out = run(SharedMapDemo.class, "2");
        assertTrue(out.contains("parent: d = {0.25=None, 1='1', 2=2}"), out);
        assertTrue(out.contains("parent: l = [9, 8, 7, 6, 5, 4, 3, 2, 1, 0]"), out);
        assertTrue(out.contains("most frequent: [it=10, of=10, the=10, was=10, age=2]"), out);
        assertTrue(out.contains("counted (expected 60)"), out);
        assertTrue(out.matches("(?s).*distinct words, 60 counted.*"), out);
        assertTrue(out.contains("survivors' entries missing or wrong: 0 of 2000"), out);
        assertTrue(out.matches("(?s).*map: (\\d+) entries, size\\(\\) = \\1, snapshot = \\1, repairs after a dead writer: [01]\n.*"), out);
    }
}
