package dev.shmkit.demos;

import dev.shmkit.testkit.ChildJvm;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The process and pool demos run as users run them (small sizes) and say what they promise. */
class ProcessDemosTest {
    private static final Duration WAIT = Duration.ofMinutes(3);

    /** Runs a demo to the end and returns everything it printed. */
    private static String run(Class<?> demo, String... args) {
        try (ChildJvm jvm = ChildJvm.start(demo, args)) {
            StringBuilder out = new StringBuilder();
            while (true) {
                String line;
                try {
                    line = jvm.readLine(WAIT);
                } catch (AssertionError end) {
                    if (String.valueOf(end.getMessage()).contains("ended its output")) break;
                    throw end;
                }
                out.append(line).append('\n');
            }
            assertEquals(0, jvm.waitFor(WAIT), out + jvm.stderr());
            return out.toString();
        }
    }

    @Test
    void processBasics() {
        String out = run(ProcessBasicsDemo.class);
        assertTrue(out.matches("(?s).*joined child-1: \"I am child 1, pid \\d+, parent \\d+\", exit code 0.*"), out);
        assertTrue(out.contains("java.lang.NumberFormatException: For input string: \"forty-two\""), out);
        assertTrue(out.contains("ProcessBasicsDemo.parse(ProcessBasicsDemo.java:"), out);
        assertTrue(out.contains("killed by SIGTERM (exit value 143)"), out);
        assertTrue(out.contains("killed by SIGKILL (exit value 137)"), out);
        assertTrue(out.contains("pool of 2 workers"), out);
    }

    @Test
    void speedupTableAndChart() throws Exception {
        Path chart = Files.createTempFile("shmkit-speedup", ".png");
        try {
            String out = run(SpeedupDemo.class, "200000", "2", chart.toString());
            assertTrue(out.contains("counting the primes below 200,000"), out);
            assertTrue(out.contains("(17,984 primes)"), out);
            assertTrue(out.matches("(?s).*\\n      1 .*\\n      2 .*"), out);
            byte[] png = Files.readAllBytes(chart);
            assertTrue(png.length > 1000 && png[1] == 'P' && png[2] == 'N' && png[3] == 'G', "a PNG was written");
        } finally {
            Files.deleteIfExists(chart);
        }
    }

    @Test
    void poolVersusThreads() {
        String out = run(PoolVsThreadsDemo.class, "200000");
        assertTrue(out.contains("thread pool: its JVM exited with status 70; results it returned: none, all 8 lost"), out);
        assertTrue(out.contains("process pool: task 3 failed: worker"), out);
        assertTrue(out.contains("process pool: 7 of 8 results"), out);
        assertTrue(out.contains("the pool goes on: [2, 4, 6]"), out);
    }

    @Test
    void mapVersusApplyAsync() {
        String out = run(MapVsApplyAsyncDemo.class, "2000");
        assertTrue(out.contains("2,000 tasks"), out);
        assertTrue(out.contains("applyAsync, a future per task"), out);
        assertTrue(out.contains("imapUnordered"), out);
    }

    @Test
    void dataPipelineCaseStudy() {
        String out = run(DataPipelineCaseStudy.class, "40000", "2");
        assertTrue(out.contains("generated 40,000 log lines"), out);
        assertTrue(out.contains("same result: yes"), out);
        assertTrue(out.contains("40,000 requests"), out);
    }
}
