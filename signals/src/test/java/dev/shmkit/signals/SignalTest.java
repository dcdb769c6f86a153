package dev.shmkit.signals;

import dev.shmkit.internal.nativeaccess.Consts;
import dev.shmkit.os.Platform;
import dev.shmkit.testkit.Programs;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** {@link Signal}: names, numbers per platform, default actions, what Java may handle; {@link ExitStatus}. */
class SignalTest {

    @Test
    void parsesWhatShellUsersWrite() {
        for (String s : List.of("USR1", "SIGUSR1", "usr1", "sigusr1", " SigUsr1 ", Integer.toString(Signal.USR1.number()))) {
            assertEquals(Signal.USR1, Signal.parse(s), s);
        }
        assertEquals(Signal.ABRT, Signal.parse("IOT"));
        assertEquals(Signal.CHLD, Signal.parse("SIGCLD"));
        assertEquals(Signal.IO, Signal.parse("poll"));
        assertEquals(Signal.KILL, Signal.parse("9"));
        for (String bad : List.of("", "SIG", "USR3", "SIGFOO", "-1", "1.5", "99", "0")) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Signal.parse(bad), bad);
            assertFalse(e.getMessage().isBlank());
        }
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Signal.parse("0")).getMessage().contains("kill -0"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Signal.parse("usr3")).getMessage().contains("'usr3'"));
    }

    @Test
    void numbersComeFromEachPlatformsTable() {
        Map<Signal, Integer> linux = Map.of(Signal.HUP, 1, Signal.USR1, 10, Signal.USR2, 12, Signal.CHLD, 17,
                Signal.CONT, 18, Signal.STOP, 19, Signal.BUS, 7, Signal.SYS, 31, Signal.TERM, 15, Signal.KILL, 9);
        Map<Signal, Integer> macos = Map.of(Signal.HUP, 1, Signal.USR1, 30, Signal.USR2, 31, Signal.CHLD, 20,
                Signal.CONT, 19, Signal.STOP, 17, Signal.BUS, 10, Signal.SYS, 12, Signal.TERM, 15, Signal.KILL, 9);
        linux.forEach((s, n) -> {
            assertEquals(n, s.numberOn(Platform.LINUX_X86_64), s + " linux x86_64");
            assertEquals(n, s.numberOn(Platform.LINUX_AARCH64), s + " linux aarch64");
        });
        macos.forEach((s, n) -> {
            assertEquals(n, s.numberOn(Platform.MACOS_AARCH64), s + " macos arm64");
            assertEquals(n, s.numberOn(Platform.MACOS_X86_64), s + " macos x86_64");
        });
        assertEquals(Signal.USR1.numberOn(Platform.current()), Signal.USR1.number());
        // Distinct numbers on every platform, and ofNumber is the inverse of number.
        for (Platform p : Platform.values()) {
            Set<Integer> seen = new HashSet<>();
            for (Signal s : Signal.values()) assertTrue(seen.add(s.numberOn(p)), p + " " + s);
        }
        for (Signal s : Signal.values()) assertEquals(s, Signal.ofNumber(s.number()).orElseThrow());
        List<Signal> ordered = Signal.byNumber();
        for (int i = 1; i < ordered.size(); i++) assertTrue(ordered.get(i - 1).number() < ordered.get(i).number());
    }

    @Test
    void numbersAgreeWithTheCHeadersOfThisMachine(@TempDir Path dir) {
        assumeTrue(Programs.available("cc"), "no C compiler");
        StringBuilder src = new StringBuilder("#include <signal.h>\n#include <stdio.h>\nint main(void) {\n");
        for (Signal s : Signal.values()) src.append("    printf(\"").append(s.name()).append("=%d\\n\", ").append(s.fullName()).append(");\n");
        src.append("    return 0;\n}\n");
        Path exe = Programs.compileC(dir, "signums", src.toString());
        Map<String, Integer> c = new TreeMap<>();
        for (String line : Programs.run(exe.toString()).assertSuccess().stdout().split("\n")) {
            String[] kv = line.split("=");
            c.put(kv[0], Integer.parseInt(kv[1]));
        }
        Map<String, Integer> java = new TreeMap<>();
        for (Signal s : Signal.values()) java.put(s.name(), s.number());
        assertEquals(c, java);
    }

    @Test
    void defaultActionsFollowSignal7() {
        assertEquals(Signal.Action.TERMINATE, Signal.TERM.defaultAction());
        assertEquals(Signal.Action.CORE, Signal.QUIT.defaultAction());
        assertEquals(Signal.Action.CORE, Signal.SEGV.defaultAction());
        assertEquals(Signal.Action.IGNORE, Signal.CHLD.defaultAction());
        assertEquals(Signal.Action.IGNORE, Signal.WINCH.defaultAction());
        assertEquals(Signal.Action.STOP, Signal.TSTP.defaultAction());
        assertEquals(Signal.Action.STOP, Signal.STOP.defaultAction());
        assertEquals(Signal.Action.CONTINUE, Signal.CONT.defaultAction());
        assertEquals(Consts.MACOS ? Signal.Action.IGNORE : Signal.Action.TERMINATE, Signal.IO.defaultAction());
        assertEquals("terminate", Signal.Action.TERMINATE.label());
    }

    @Test
    void theJvmsOwnSignalsAreNotHandleable() {
        List<Signal> refused = new ArrayList<>();
        for (Signal s : Signal.values()) if (!s.isHandleable()) refused.add(s);
        // USR2 is HotSpot's suspend/resume signal unless _JAVA_SR_SIGNUM moves it.
        Signal sr = Signal.ofNumber(Signal.suspendResumeSignal()).orElseThrow();
        List<Signal> expected = new ArrayList<>(List.of(Signal.QUIT, Signal.ILL, Signal.TRAP, Signal.ABRT, Signal.BUS,
                Signal.FPE, Signal.KILL, Signal.SEGV, Signal.PIPE, Signal.STOP, Signal.XFSZ));
        if (!expected.contains(sr)) expected.add(sr);
        assertEquals(Set.copyOf(expected), Set.copyOf(refused));
        assertTrue(Signal.KILL.whyNotHandleable().orElseThrow().contains("neither caught nor ignored"));
        assertTrue(Signal.QUIT.whyNotHandleable().orElseThrow().contains("thread dump"));
        assertTrue(Signal.USR1.isHandleable() && Signal.TERM.isHandleable() && Signal.INT.isHandleable());
        assertEquals("SIGUSR1", Signal.USR1.toString());
        assertEquals("USR1", Signal.USR1.shortName());
    }

    @Test
    void exitStatusFollowsTheShellConvention() {
        ExitStatus term = new ExitStatus(128 + Signal.TERM.number());
        assertEquals(Signal.TERM, term.signal().orElseThrow());
        assertTrue(term.killedBySignal());
        assertEquals("killed by SIGTERM (exit value 143)", term.toString());
        assertEquals(Signal.KILL, new ExitStatus(137).signal().orElseThrow());
        assertTrue(new ExitStatus(0).isSuccess());
        assertEquals("exited with status 3", new ExitStatus(3).toString());
        assertTrue(new ExitStatus(128).signal().isEmpty());
        assertTrue(new ExitStatus(255).signal().isEmpty());
    }
}
