package dev.shmkit.internal.nativeaccess;

import dev.shmkit.os.Platform;
import dev.shmkit.testkit.Programs;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The constants tables: the jextract output agrees with the gcc probe, every platform's table
 * has every name Consts and Errno read at start-up, and the hand-made tables are the platforms'
 * own. A last test compiles a C program against the real headers of this machine and compares
 * it with what Java uses.
 */
class PlatformTableTest {

    private static final Path NATIVEACCESS_SOURCES =
            Path.of("native-bindings", "src", "main", "java", "dev", "shmkit", "internal", "nativeaccess");

    private static boolean onLinuxX86_64() {
        return Platform.isSupported() && Platform.current() == Platform.LINUX_X86_64;
    }

    // ------------------------------------------------------------------ jextract vs probe.sh

    @Test
    void generatedLinuxX86_64TableEqualsTheGccProbe() {
        assumeTrue(onLinuxX86_64(), "the generated bindings are for Linux x86_64");
        Map<String, Long> generated = PlatformTable.load(Platform.LINUX_X86_64);
        Map<String, Long> probed = PlatformTable.loadProperties("linux-x86_64.properties");

        assertTrue(generated.size() >= 140, "generated table suspiciously small: " + generated.size());
        List<Executable> checks = new ArrayList<>();
        for (String key : new TreeSet<>(generated.keySet())) {
            checks.add(() -> {
                assertTrue(probed.containsKey(key), "linux-x86_64.properties lacks " + key + " (generated value " + generated.get(key) + ")");
                assertEquals(probed.get(key), generated.get(key), "jextract and the gcc probe disagree on " + key);
            });
        }
        assertAll("generated table vs linux-x86_64.properties", checks);
    }

    // ------------------------------------------------------------------ every platform has what start-up reads

    /** The source of a main class of this package, found through shmkit.repo.root (set by surefire). */
    private static String mainSource(String fileName) throws IOException {
        List<Path> candidates = new ArrayList<>();
        String root = System.getProperty("shmkit.repo.root");
        if (root != null && !root.isBlank()) candidates.add(Path.of(root).resolve(NATIVEACCESS_SOURCES));
        // Run elsewhere (an IDE): the working directory is the module or the repository.
        Path cwd = Path.of("").toAbsolutePath();
        candidates.add(cwd.resolve(NATIVEACCESS_SOURCES.subpath(1, NATIVEACCESS_SOURCES.getNameCount())));
        candidates.add(cwd.resolve(NATIVEACCESS_SOURCES));
        for (Path dir : candidates) {
            Path file = dir.resolve(fileName);
            if (Files.isRegularFile(file)) return Files.readString(file);
        }
        throw new AssertionError("cannot find " + fileName + " (shmkit.repo.root=" + root + "); looked in " + candidates);
    }

    /** The names Consts reads with value("...") or i("...") (a missing one throws at class initialization). */
    static Set<String> keysConstsRequires() throws IOException {
        Matcher m = Pattern.compile("(?<![A-Za-z0-9_.])(?:value|i)\\(\"([A-Za-z0-9_]+)\"\\)").matcher(mainSource("Consts.java"));
        Set<String> keys = new TreeSet<>();
        while (m.find()) keys.add(m.group(1));
        return keys;
    }

    /** Errno's NAMES list: Errno's static initializer calls Consts.value on each of them. */
    static Set<String> keysErrnoRequires() throws IOException {
        String src = mainSource("Errno.java");
        Matcher list = Pattern.compile("NAMES\\s*=\\s*List\\.of\\(([^)]*)\\)").matcher(src);
        assertTrue(list.find(), "Errno.java has no NAMES = List.of(...)");
        Matcher names = Pattern.compile("\"([A-Z0-9_]+)\"").matcher(list.group(1));
        Set<String> keys = new TreeSet<>();
        while (names.find()) keys.add(names.group(1));
        return keys;
    }

    private static Map<Platform, Map<String, Long>> allTables() {
        Map<Platform, Map<String, Long>> tables = new EnumMap<>(Platform.class);
        for (Platform p : Platform.values()) {
            if (p == Platform.LINUX_X86_64 && !onLinuxX86_64()) continue; // generated code: see the first test
            tables.put(p, PlatformTable.load(p));
        }
        return tables;
    }

    @Test
    void parsedConstsKeysAreTheOnesConstsReallyUses() throws IOException {
        Set<String> keys = keysConstsRequires();
        // The parse found the whole list, not a fragment: spot checks from each header group.
        assertTrue(keys.size() >= 60, "only " + keys.size() + " keys parsed from Consts.java: " + keys);
        assertTrue(keys.containsAll(List.of("O_RDONLY", "O_CLOEXEC", "MAP_FAILED", "IPC_PRIVATE", "SIZEOF_SHMID_DS",
                "OFFSETOF_SHM_NATTCH", "SIZEOF_STAT", "OFFSETOF_TV_NSEC", "NAME_MAX", "EPERM", "ETIMEDOUT")), keys.toString());
        // valueOrZero keys are optional and must not be collected.
        assertFalse(keys.contains("SYS_futex"), keys.toString());
        assertFalse(keys.contains("FUTEX_WAIT"), keys.toString());
        // Each parsed key really is in the running table, and Consts holds its value.
        Map<String, Long> running = PlatformTable.load(Platform.current());
        for (String k : keys) assertEquals(running.get(k), (Long) Consts.value(k), k);
    }

    @Test
    void parsedConstsKeysCoverEveryNumericFieldOfConsts() throws Exception {
        // Consts names each field after its header name: the numeric fields are exactly the parsed
        // required keys plus the optional (valueOrZero) ones, and each holds the running table's value.
        Matcher optional = Pattern.compile("valueOrZero\\(\"([A-Za-z0-9_]+)\"\\)").matcher(mainSource("Consts.java"));
        Set<String> optionalKeys = new TreeSet<>();
        while (optional.find()) optionalKeys.add(optional.group(1));

        Map<String, Long> running = PlatformTable.load(Platform.current());
        Set<String> fields = new TreeSet<>();
        for (java.lang.reflect.Field f : Consts.class.getFields()) {
            int mod = f.getModifiers();
            if (!java.lang.reflect.Modifier.isStatic(mod) || !java.lang.reflect.Modifier.isFinal(mod)) continue;
            if (f.getType() != int.class && f.getType() != long.class) continue;
            fields.add(f.getName());
            long v = ((Number) f.get(null)).longValue();
            long expected = f.getType() == int.class ? (int) (long) running.getOrDefault(f.getName(), 0L)
                    : running.getOrDefault(f.getName(), 0L);
            assertEquals(expected, v, "Consts." + f.getName());
        }
        Set<String> required = keysConstsRequires();
        Set<String> expectedFields = new TreeSet<>(required);
        expectedFields.addAll(optionalKeys);
        assertEquals(expectedFields, fields);
        assertEquals(Set.of("SYS_futex", "FUTEX_WAIT", "FUTEX_WAKE", "SYS_membarrier", "MEMBARRIER_CMD_GLOBAL_EXPEDITED",
                "MEMBARRIER_CMD_REGISTER_GLOBAL_EXPEDITED"), optionalKeys);
    }

    @Test
    void everyPlatformTableHasEveryConstantReadAtStartUp() throws IOException {
        Set<String> required = new TreeSet<>(keysConstsRequires());
        required.addAll(keysErrnoRequires());
        Map<Platform, Map<String, Long>> tables = allTables();
        assertTrue(tables.keySet().containsAll(List.of(Platform.LINUX_AARCH64, Platform.MACOS_AARCH64, Platform.MACOS_X86_64)));

        List<Executable> checks = new ArrayList<>();
        tables.forEach((platform, table) -> checks.add(() -> {
            Set<String> missing = new TreeSet<>(required);
            missing.removeAll(table.keySet());
            assertTrue(missing.isEmpty(), platform.id() + " (" + platform + ") lacks " + missing);
        }));
        assertAll("constants read by Consts and Errno at class initialization", checks);
    }

    @Test
    void optionalWaitWakeConstantsArePresentOnThePlatformThatUsesThem() {
        // WaitWake reads these with valueOrZero: a missing one would silently become 0.
        Map<Platform, Map<String, Long>> tables = allTables();
        tables.forEach((platform, table) -> {
            List<String> needed = platform.isLinux()
                    ? List.of("SYS_futex", "FUTEX_WAIT", "FUTEX_WAKE", "SYS_membarrier", "MEMBARRIER_CMD_GLOBAL_EXPEDITED",
                            "MEMBARRIER_CMD_REGISTER_GLOBAL_EXPEDITED")
                    : List.of("UL_COMPARE_AND_WAIT_SHARED", "ULF_WAKE_ALL", "ULF_NO_ERRNO");
            for (String k : needed) assertNotNull(table.get(k), platform + " lacks " + k);
        });
        assertEquals(Map.of(), filterKeys(tables.get(Platform.MACOS_AARCH64), Set.of("SYS_futex", "FUTEX_WAIT", "FUTEX_WAKE")),
                "macOS has no futex");
    }

    private static Map<String, Long> filterKeys(Map<String, Long> table, Set<String> keys) {
        Map<String, Long> m = new TreeMap<>();
        table.forEach((k, v) -> { if (keys.contains(k)) m.put(k, v); });
        return m;
    }

    // ------------------------------------------------------------------ Linux aarch64 vs x86_64

    @Test
    void linuxAarch64DiffersFromX86_64OnlyInSysFutexAndStructStat() {
        assumeTrue(onLinuxX86_64(), "the generated bindings are for Linux x86_64");
        Map<String, Long> x86 = PlatformTable.load(Platform.LINUX_X86_64);
        Map<String, Long> arm = PlatformTable.load(Platform.LINUX_AARCH64);

        Set<String> shared = new TreeSet<>(x86.keySet());
        shared.retainAll(arm.keySet());
        assertEquals(x86.keySet(), shared, "every generated key is in the aarch64 table too");

        Map<String, String> differing = new LinkedHashMap<>();
        for (String k : shared) {
            if (!x86.get(k).equals(arm.get(k))) differing.put(k, "x86_64=" + x86.get(k) + " aarch64=" + arm.get(k));
        }
        assertEquals(Set.of("SYS_futex", "SYS_membarrier", "SIZEOF_STAT", "OFFSETOF_ST_MODE", "OFFSETOF_ST_UID", "OFFSETOF_ST_GID"),
                differing.keySet(), differing.toString());

        // asm-generic values for aarch64 (the x86_64 ones come from the generated code).
        assertEquals(98L, arm.get("SYS_futex"));
        assertEquals(283L, arm.get("SYS_membarrier"));
        assertEquals(128L, arm.get("SIZEOF_STAT"));
        assertEquals(16L, arm.get("OFFSETOF_ST_MODE"));
        assertEquals(24L, arm.get("OFFSETOF_ST_UID"));
        assertEquals(28L, arm.get("OFFSETOF_ST_GID"));
        assertEquals(48L, arm.get("OFFSETOF_ST_SIZE"));
        assertEquals(202L, x86.get("SYS_futex"));
        assertEquals(144L, x86.get("SIZEOF_STAT"));
    }

    // ------------------------------------------------------------------ macOS

    @Test
    void macosTableIsMacOSs() {
        for (Platform p : List.of(Platform.MACOS_AARCH64, Platform.MACOS_X86_64)) {
            Map<String, Long> mac = PlatformTable.load(p);
            assertAll(p.toString(),
                    () -> assertEquals(0x200L, mac.get("O_CREAT"), "O_CREAT"),
                    () -> assertEquals(0x800L, mac.get("O_EXCL"), "O_EXCL"),
                    () -> assertEquals(35L, mac.get("EAGAIN"), "EAGAIN"),
                    () -> assertEquals(30L, mac.get("SIGUSR1"), "SIGUSR1"),
                    () -> assertEquals(2L, mac.get("SIZEOF_ST_MODE"), "SIZEOF_ST_MODE"),
                    () -> assertEquals(96L, mac.get("OFFSETOF_ST_SIZE"), "OFFSETOF_ST_SIZE"),
                    () -> assertEquals(144L, mac.get("SIZEOF_STAT"), "SIZEOF_STAT (64-bit inode struct stat)"),
                    () -> assertEquals(2L, mac.get("SIZEOF_SHM_PERM_MODE"), "SIZEOF_SHM_PERM_MODE"),
                    () -> assertEquals(63L, mac.get("ENAMETOOLONG"), "ENAMETOOLONG"),
                    () -> assertEquals(-1L, mac.get("SEM_FAILED"), "SEM_FAILED"));
        }
        // The file says no value differs between the two processors, so both loads are equal.
        assertEquals(PlatformTable.load(Platform.MACOS_AARCH64), PlatformTable.load(Platform.MACOS_X86_64));
    }

    @Test
    void loadPropertiesOfAMissingTableFailsClearly() {
        IllegalStateException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalStateException.class,
                () -> PlatformTable.loadProperties("solaris-sparc.properties"));
        assertTrue(e.getMessage().contains("solaris-sparc.properties"), e.getMessage());
    }

    // ------------------------------------------------------------------ real headers vs what Java uses

    @Test
    void cProgramCompiledAgainstRealHeadersAgreesWithConsts(@TempDir Path dir) {
        assumeTrue(Programs.available("cc"), "no C compiler (cc) on PATH");
        assumeTrue(Consts.LINUX, "the probe uses Linux headers (SYS_futex, struct shmid_ds)");
        String source = """
                #define _GNU_SOURCE
                #include <fcntl.h>
                #include <errno.h>
                #include <stddef.h>
                #include <stdio.h>
                #include <sys/ipc.h>
                #include <sys/shm.h>
                #include <sys/stat.h>
                #include <sys/syscall.h>
                int main(void) {
                    printf("O_CREAT=%ld\\n", (long) O_CREAT);
                    printf("O_EXCL=%ld\\n", (long) O_EXCL);
                    printf("EEXIST=%ld\\n", (long) EEXIST);
                    printf("SIZEOF_STAT=%ld\\n", (long) sizeof(struct stat));
                    printf("OFFSETOF_SHM_SEGSZ=%ld\\n", (long) offsetof(struct shmid_ds, shm_segsz));
                    printf("SYS_futex=%ld\\n", (long) SYS_futex);
                    return 0;
                }
                """;
        Path exe = Programs.compileC(dir, "consts_probe", source);
        String out = Programs.run(exe.toString()).assertSuccess().stdout();
        Map<String, Long> c = parseProperties(out);

        Map<String, Long> java = new LinkedHashMap<>();
        java.put("O_CREAT", (long) Consts.O_CREAT);
        java.put("O_EXCL", (long) Consts.O_EXCL);
        java.put("EEXIST", (long) Consts.EEXIST);
        java.put("SIZEOF_STAT", Consts.SIZEOF_STAT);
        java.put("OFFSETOF_SHM_SEGSZ", Consts.OFFSETOF_SHM_SEGSZ);
        java.put("SYS_futex", Consts.SYS_futex);
        assertEquals(java, c, "C (real headers) vs Consts");
    }

    /**
     * probe.c (the program behind the .properties tables) built with -DPROBE_MAIN on this machine:
     * every value it prints that the running table also has must agree with the running table.
     */
    @Test
    void probeProgramOnThisMachineAgreesWithTheRunningTable(@TempDir Path dir) throws IOException {
        assumeTrue(Programs.available("cc"), "no C compiler (cc) on PATH");
        assumeTrue(Consts.LINUX, "probe.c is for Linux");
        String root = System.getProperty("shmkit.repo.root");
        assumeTrue(root != null, "shmkit.repo.root not set");
        Path probe = Path.of(root, "native-bindings", "platform", "probe.c");
        assumeTrue(Files.isRegularFile(probe), "no " + probe);

        Path exe = Programs.compileC(dir, "probe", Files.readString(probe), "-D_GNU_SOURCE", "-DPROBE_MAIN");
        Map<String, Long> real = parseProperties(Programs.run(exe.toString()).assertSuccess().stdout());
        Map<String, Long> running = PlatformTable.load(Platform.current());

        assertTrue(real.size() >= 150, "probe printed only " + real.size() + " values");
        Map<String, String> disagreements = new TreeMap<>();
        Set<String> compared = new LinkedHashSet<>();
        for (var e : running.entrySet()) {
            Long r = real.get(e.getKey());
            if (r == null) continue;
            compared.add(e.getKey());
            if (!r.equals(e.getValue())) disagreements.put(e.getKey(), "headers=" + r + " java=" + e.getValue());
        }
        assertTrue(compared.size() >= 140, "compared only " + compared.size());
        assertEquals(Map.of(), disagreements, "real headers vs the running table");
    }

    // ------------------------------------------------------------------ the offsets read real structures

    @Test
    void fstatThroughTheTableOffsetsReadsTheRealObject() {
        String name = dev.shmkit.testkit.Names.unique("fstat");
        int fd = Libc.shmOpen(name, Consts.O_RDWR | Consts.O_CREAT | Consts.O_EXCL, 0600);
        try {
            Libc.ftruncate(fd, 12345, Errno.quote(name));
            Libc.FileStat st = Libc.fstat(fd, Errno.quote(name));
            assertEquals(12345, st.size(), "st_size at OFFSETOF_ST_SIZE");
            assertEquals(0600, st.permissions(), "st_mode at OFFSETOF_ST_MODE");
            assertEquals(Consts.valueOrZero("S_IFREG"), st.mode() & Consts.valueOrZero("S_IFMT"), "a regular file");
            assertEquals(Libc.getuid(), st.uid(), "st_uid at OFFSETOF_ST_UID");
        } finally {
            Libc.close(fd);
            assertTrue(Libc.shmUnlink(name));
        }
    }

    @Test
    void shmctlStatThroughTheTableOffsetsReadsTheRealSegment() {
        int id = Libc.shmget(Consts.IPC_PRIVATE, 8192, Consts.IPC_CREAT | Consts.IPC_EXCL | 0640);
        try {
            Libc.ShmStat st = Libc.shmStat(id);
            assertEquals(Consts.IPC_PRIVATE, st.key(), "shm_perm.__key");
            assertEquals(8192, st.size(), "shm_segsz");
            assertEquals(0640, st.mode(), "shm_perm.mode");
            assertEquals(Libc.getuid(), st.uid(), "shm_perm.uid");
            assertEquals(Libc.getuid(), st.cuid(), "shm_perm.cuid");
            assertEquals(Libc.getpid(), st.creatorPid(), "shm_cpid");
            assertEquals(ProcessHandle.current().pid(), Libc.getpid());
            assertEquals(0, st.attachCount(), "shm_nattch");
            assertEquals(0, st.attachTime(), "never attached");
            assertTrue(st.changeTime() > 0, "shm_ctime set at creation");
        } finally {
            assertTrue(Libc.shmRemove(id));
        }
        assertFalse(Libc.shmRemove(id), "already removed");
    }

    private static Map<String, Long> parseProperties(String text) {
        Map<String, Long> m = new LinkedHashMap<>();
        for (String line : text.split("\n")) {
            if (line.isBlank()) continue;
            int eq = line.indexOf('=');
            assertTrue(eq > 0, "unexpected line: " + line);
            m.put(line.substring(0, eq), Long.parseLong(line.substring(eq + 1).trim()));
        }
        return m;
    }
}
