package dev.shmkit.cli;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.regex.Pattern;

import static dev.shmkit.cli.CliTest.shmkit;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code shmkit bench rings|ring-rtt|ring-tput} (RingBench): real (short) cross-process runs print
 * one {@code name metric value unit} line per figure ({@code rings} also the ratio block); bad
 * options are usage errors. The figures themselves are not checked: this machine may be busy.
 */
class BenchCliTest {
    private static final Pattern FIGURE = Pattern.compile("^(\\S+) (rtt_p50|rtt_p99|msgs_per_s|MB_per_s) (\\d+(\\.\\d+)?) (ns|msg/s|MB/s)$");
    private static final Pattern RATIO = Pattern.compile("^ratio (\\S+) (-|\\d+\\.\\d+) (-|[<>]=\\d+(\\.\\d+)?) (MET|MISSED|info|n/a)$");

    private static List<String> figures(String out) {
        return out.lines().filter(l -> !l.startsWith("#") && !l.startsWith("ratio ")).toList();
    }

    private static void assertFigure(List<String> lines, String name, String metric, String unit) {
        assertTrue(lines.stream().anyMatch(l -> {
            var m = FIGURE.matcher(l);
            return m.matches() && m.group(1).equals(name) && m.group(2).equals(metric) && m.group(5).equals(unit)
                    && Double.parseDouble(m.group(3)) > 0;
        }), name + " " + metric + " missing from " + lines);
    }

    @Test
    void ringRtt() {
        CliTest.Outcome o = shmkit("bench", "ring-rtt", "--iterations", "3000", "--warmup", "0.2", "--no-pin", "--capacity", "64K");
        assertEquals(0, o.status(), o.out() + o.err());
        List<String> lines = figures(o.out());
        for (String l : lines) assertTrue(FIGURE.matcher(l).matches(), "not a figure line: '" + l + "' in\n" + o.out());
        assertFigure(lines, "raw-pingpong", "rtt_p50", "ns");
        assertFigure(lines, "raw-pingpong", "rtt_p99", "ns");
        assertFigure(lines, "ring-spsc-8B", "rtt_p50", "ns");
        assertFigure(lines, "ring-spsc-8B", "rtt_p99", "ns");
        assertFigure(lines, "ring-spsc-8B-raw-paired", "rtt_p50", "ns");
        assertFigure(lines, "ring-spsc-8B-raw-paired", "rtt_p99", "ns");
        assertEquals(6, lines.size(), o.out());
    }

    @Test
    void ringTput() {
        CliTest.Outcome o = shmkit("bench", "ring-tput", "--size", "64", "--seconds", "0.5", "--warmup", "0.2", "--no-pin");
        assertEquals(0, o.status(), o.out() + o.err());
        List<String> lines = figures(o.out());
        assertFigure(lines, "ring-spsc-64B", "msgs_per_s", "msg/s");
        assertFigure(lines, "ring-spsc-64B", "MB_per_s", "MB/s");
        assertEquals(2, lines.size(), o.out());
    }

    @Test
    void ringTputOtherKindsAndBatches() {
        CliTest.Outcome o = shmkit("bench", "ring-tput", "--kind", "mpmc", "--batch", "32", "--seconds", "0.5", "--warmup", "0.2", "--no-pin");
        assertEquals(0, o.status(), o.out() + o.err());
        assertFigure(figures(o.out()), "ring-mpmc-8B-batch32", "msgs_per_s", "msg/s");
        o = shmkit("bench", "ring-rtt", "--size", "100", "--iterations", "2000", "--warmup", "0.1", "--no-baseline", "--no-pin");
        assertEquals(0, o.status(), o.out() + o.err());
        List<String> lines = figures(o.out());
        assertFigure(lines, "ring-spsc-100B", "rtt_p99", "ns");
        assertEquals(4, lines.size(), o.out()); // the ring's and the paired raw ping-pong's
        o = shmkit("bench", "ring-tput", "--kind", "mpsc", "--producers", "2", "--seconds", "0.3", "--warmup", "0.1", "--no-pin");
        assertEquals(0, o.status(), o.out() + o.err());
        assertFigure(figures(o.out()), "ring-mpsc-8B-2p", "msgs_per_s", "msg/s");
    }

    @Test
    void ringsRunsTheHarnessAndPrintsTheRatios() {
        CliTest.Outcome list = shmkit("bench", "rings", "--list");
        assertEquals(0, list.status(), list.err());
        for (String name : List.of("shmkit-spsc-8B-rtt", "shmkit-spsc-64B-tput", "shmkit-mpsc-8B-2p-tput", "c-futex-pingpong",
                "shmkit-spsc-8B-blocking-rtt", "shmkit-spsc-idle-cpu", "python-mp-queue-int", "agrona-oneToOne-8B-tput",
                "shmkit-spsc-8B-fullfence-rtt", "shmkit-spsc-8B-fullfence-tput", "shmkit-spsc-64B-fullfence-tput")) {
            assertTrue(list.out().lines().anyMatch(l -> l.startsWith(name)), name + " missing from\n" + list.out());
        }
        CliTest.Outcome o = shmkit("bench", "rings", "--only", "^shmkit-spsc-64B-tput$|^shmkit-mpmc-64B-tput$", "--seconds", "0.2",
                "--warmup", "0.1", "--no-pin");
        assertEquals(0, o.status(), o.out() + o.err());
        assertFigure(figures(o.out()), "shmkit-spsc-64B-tput", "msgs_per_s", "msg/s");
        assertFigure(figures(o.out()), "shmkit-mpmc-64B-tput", "msgs_per_s", "msg/s");
        List<String> ratios = o.out().lines().filter(l -> l.startsWith("ratio ")).toList();
        for (String l : ratios) assertTrue(RATIO.matcher(l).matches(), "not a ratio line: '" + l + "'");
        assertTrue(ratios.stream().anyMatch(l -> l.startsWith("ratio mpmc-64B/spsc-64B ") && !l.endsWith(" n/a")), o.out());
        assertTrue(ratios.stream().anyMatch(l -> l.equals("ratio spsc-8B/agrona-tryClaim - >=1.5 n/a")), o.out()); // Agrona: CrossProcessRing only
        assertTrue(ratios.stream().anyMatch(l -> l.equals("ratio asymmetric/full-fence-spsc-64B-tput - - n/a")), o.out()); // not run here
        assertTrue(o.out().contains("# shmkit-spsc-64B-tput: SharedRing fence: "), o.out());
    }

    @Test
    void usageErrors() {
        for (String[] args : new String[][] {
                {"bench", "ring-tput", "--size", "4"},
                {"bench", "ring-tput", "--kind", "lifo"},
                {"bench", "ring-tput", "--capacity", "1000"},
                {"bench", "ring-tput", "--size", "200K"},
                {"bench", "ring-tput", "--batch", "100000"},
                {"bench", "ring-rtt", "--iterations", "0"},
                {"bench", "ring-rtt", "--bogus"},
                {"bench", "ring-tput", "--producers", "2"},
                {"bench", "rings", "--only", "("},
                {"bench", "rings", "--seconds", "0"},
        }) {
            CliTest.Outcome o = shmkit(args);
            assertEquals(2, o.status(), String.join(" ", args) + ": " + o.err());
            assertTrue(o.err().startsWith("shmkit bench "), o.err());
        }
        CliTest.Outcome help = shmkit("bench", "--help");
        assertEquals(0, help.status());
        assertTrue(help.out().contains("rings") && help.out().contains("ring-rtt") && help.out().contains("ring-tput") && !help.out().contains("peer"), help.out());
    }
}
