package dev.shmkit.os;

import dev.shmkit.internal.nativeaccess.Consts;
import dev.shmkit.testkit.ChildJvm;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Locale;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

class PlatformTest {

    private static boolean jvmIsLinuxX86_64() {
        String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
        String arch = System.getProperty("os.arch", "").toLowerCase(Locale.ROOT);
        return os.startsWith("linux") && (arch.equals("amd64") || arch.equals("x86_64"));
    }

    @Test
    void currentIsLinuxX86_64Here() {
        assumeTrue(jvmIsLinuxX86_64(), "this test describes the CI machine, Linux x86_64");
        assertTrue(Platform.isSupported());
        Platform p = Platform.current();
        assertSame(Platform.LINUX_X86_64, p);
        assertEquals("linux-x86_64", p.id());
        assertEquals("linux", p.os());
        assertEquals("x86_64", p.arch());
        assertTrue(p.testedInCi());
        assertTrue(p.isLinux());
        assertFalse(p.isMacOS());
        assertSame(p, Platform.current(), "stable across calls");
    }

    @Test
    void constsFollowTheCurrentPlatform() {
        assumeTrue(Platform.isSupported());
        assertSame(Platform.current(), Consts.PLATFORM);
        assertTrue(Consts.SUPPORTED);
        assertEquals(Platform.current().isLinux(), Consts.LINUX);
        assertEquals(Platform.current().isMacOS(), Consts.MACOS);
        Consts.requireSupported(); // does not throw
    }

    @Test
    void idsAndAttributesOfEveryPlatform() {
        assertEquals("linux-aarch64", Platform.LINUX_AARCH64.id());
        assertEquals("macos-aarch64", Platform.MACOS_AARCH64.id());
        assertEquals("macos-x86_64", Platform.MACOS_X86_64.id());
        assertEquals(List.of(Platform.LINUX_X86_64),
                java.util.Arrays.stream(Platform.values()).filter(Platform::testedInCi).toList(),
                "only Linux x86_64 is tested in CI");
        assertTrue(Platform.LINUX_AARCH64.isLinux());
        assertTrue(Platform.MACOS_AARCH64.isMacOS());
        assertTrue(Platform.MACOS_X86_64.isMacOS());
        assertFalse(Platform.MACOS_X86_64.isLinux());
        assertEquals("aarch64", Platform.MACOS_AARCH64.arch());
    }

    /** Reports, in a JVM that claims another platform, what shmkit makes of it. */
    public static final class UnsupportedPlatformMain {
        public static void main(String[] args) {
            System.out.println("supported=" + Platform.isSupported());
            try {
                Platform.current();
                System.out.println("current=ok");
            } catch (UnsupportedPlatformException e) {
                System.out.println("current=" + e.getMessage());
            }
            System.out.println("consts.SUPPORTED=" + Consts.SUPPORTED + " O_CREAT=" + Consts.O_CREAT);
            try {
                Consts.requireSupported();
                System.out.println("requireSupported=ok");
            } catch (UnsupportedPlatformException e) {
                System.out.println("requireSupported=refused");
            }
        }
    }

    @Test
    void anUnknownPlatformIsRefusedClearly() {
        try (ChildJvm child = ChildJvm.start(UnsupportedPlatformMain.class,
                List.of("-Dos.name=Plan9", "-Dos.arch=sparc"))) {
            assertEquals("supported=false", child.readLine());
            String current = child.readLine();
            assertTrue(current.startsWith("current=shmkit does not support Plan9 on sparc"), current);
            assertEquals("consts.SUPPORTED=false O_CREAT=0", child.readLine());
            assertEquals("requireSupported=refused", child.readLine());
            assertEquals(0, child.waitFor(Duration.ofSeconds(30)), child.stderr());
        }
    }
}
