package dev.shmkit.demos;

import dev.shmkit.testkit.ChildJvm;
import dev.shmkit.testkit.Programs;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** The demos run as users run them, and say what they promise. */
class DemosTest {
    private static final Path ROOT = Path.of(System.getProperty("shmkit.repo.root", "..")).toAbsolutePath().normalize();

    @Test
    void showcaseTwoProcessesShareASegment() {
        try (ChildJvm showcase = ChildJvm.start(SharedSegmentShowcase.class)) {
            String created = showcase.readLine();
            assertTrue(created.contains("creating POSIX shared memory /shmkit-showcase-" + showcase.pid()), created);
            String all = String.join("\n", created, showcase.readLine(), showcase.readLine(), showcase.readLine(),
                    showcase.readLine(), showcase.readLine(), showcase.readLine());
            assertTrue(all.contains("read \"hello from process " + showcase.pid() + "\""), all);
            assertTrue(all.contains("replied \"hello back from process "), all);
            assertTrue(all.contains("unlinked /shmkit-showcase-" + showcase.pid()), all);
            showcase.assertSuccess();
        }
    }

    @Test
    void raceConditionDemoLosesUpdatesOnlyWithoutTheLock() {
        try (ChildJvm demo = ChildJvm.start(RaceConditionDemo.class, "2", "50000")) {
            StringBuilder all = new StringBuilder();
            for (int i = 0; i < 4; i++) all.append(demo.readLine()).append('\n');
            demo.assertSuccess();
            String out = all.toString();
            assertTrue(out.contains("with SharedLock: counter =     100,000   lost updates = 0"), out);
            assertTrue(out.contains("without a lock:"), out);
        }
    }

    @Test
    void producerConsumerDemoDeliversEveryItem() {
        try (ChildJvm demo = ChildJvm.start(ProducerConsumerDemo.class, "12")) {
            String line;
            do {
                line = demo.readLine();
            } while (!line.contains("received"));
            // 1 + 4 + 9 + ... + 144
            assertTrue(line.contains("received 12 items, sum 650"), line);
            demo.assertSuccess();
        }
    }

    @Test
    void lockRunShellDemo() {
        Path launcher = ROOT.resolve("bin/shmkit");
        assumeTrue(Files.isExecutable(launcher), "bin/shmkit is produced by 'make build'");
        Programs.Result r = Programs.run(List.of("bash", ROOT.resolve("demos/shell/lock-run.sh").toString()), null,
                Duration.ofMinutes(3));
        assertEquals(0, r.exitCode(), r.stdout() + r.stderr());
        assertTrue(r.stdout().contains("counter = 12 (expected 12)"), r.stdout());
        assertTrue(r.stdout().contains("recoveries: 1"), r.stdout());
        assertTrue(r.stdout().trim().endsWith("lock-run: done"), r.stdout());
    }

    @Test
    void shellDemoRunsCleanly() throws Exception {
        Path launcher = ROOT.resolve("bin/shmkit");
        assumeTrue(Files.isExecutable(launcher), "bin/shmkit is produced by 'make build'");
        Programs.Result r = Programs.run(List.of("bash", ROOT.resolve("demos/shell/shm-basics.sh").toString()), null,
                Duration.ofMinutes(2));
        assertEquals(0, r.exitCode(), r.stdout() + r.stderr());
        assertTrue(r.stdout().contains("hello, shared memory"), r.stdout());
        assertTrue(r.stdout().contains("System V says hi"), r.stdout());
        assertTrue(r.stdout().trim().endsWith("shm-basics: done"), r.stdout());
    }
}
