package dev.shmkit.shm;

import dev.shmkit.os.ObjectExistsException;
import dev.shmkit.testkit.Names;
import dev.shmkit.testkit.Programs;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * {@link SharedMemory} and a C program using {@code shm_open}/{@code mmap}, compiled by the test,
 * on the same objects in both directions.
 */
class SharedMemoryCInteropTest {

    /**
     * <pre>
     * shmc attach NAME REPLY_OFFSET REPLY   print size, mode, the string at 0 and the int at 64, write REPLY
     * shmc create NAME SIZE TEXT            create exclusively (0600), write TEXT at 0 and '~' in the last byte
     * shmc create0 NAME                     create exclusively (0600) and leave it at size 0
     * shmc open NAME                        print what shm_open's errno is, or "opened"
     * </pre>
     */
    private static final String SOURCE = """
            #include <errno.h>
            #include <fcntl.h>
            #include <stdint.h>
            #include <stdio.h>
            #include <stdlib.h>
            #include <string.h>
            #include <sys/mman.h>
            #include <sys/stat.h>
            #include <unistd.h>

            static int fail(const char *what) { perror(what); return 1; }

            int main(int argc, char **argv) {
                if (argc >= 5 && strcmp(argv[1], "attach") == 0) {
                    int fd = shm_open(argv[2], O_RDWR, 0);
                    if (fd < 0) return fail("shm_open");
                    struct stat st;
                    if (fstat(fd, &st) != 0) return fail("fstat");
                    unsigned char *p = mmap(NULL, st.st_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
                    if (p == MAP_FAILED) return fail("mmap");
                    close(fd);
                    int32_t v;
                    memcpy(&v, p + 64, sizeof v);
                    printf("size=%lld\\n", (long long) st.st_size);
                    printf("mode=%o\\n", (unsigned) (st.st_mode & 0777));
                    printf("text=%.*s\\n", 63, (char *) p);
                    printf("int=%x\\n", (unsigned) v);
                    long at = atol(argv[3]);
                    memcpy(p + at, argv[4], strlen(argv[4]));
                    munmap(p, st.st_size);
                    return 0;
                }
                if (argc >= 5 && strcmp(argv[1], "create") == 0) {
                    long size = atol(argv[3]);
                    int fd = shm_open(argv[2], O_RDWR | O_CREAT | O_EXCL, 0600);
                    if (fd < 0) return fail("shm_open");
                    if (ftruncate(fd, size) != 0) return fail("ftruncate");
                    char *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
                    if (p == MAP_FAILED) return fail("mmap");
                    close(fd);
                    memcpy(p, argv[4], strlen(argv[4]));
                    p[size - 1] = '~';
                    munmap(p, size);
                    printf("created\\n");
                    return 0;
                }
                if (argc >= 3 && strcmp(argv[1], "create0") == 0) {
                    int fd = shm_open(argv[2], O_RDWR | O_CREAT | O_EXCL, 0600);
                    if (fd < 0) return fail("shm_open");
                    close(fd);
                    printf("created\\n");
                    return 0;
                }
                if (argc >= 3 && strcmp(argv[1], "open") == 0) {
                    int fd = shm_open(argv[2], O_RDWR, 0);
                    if (fd < 0) { printf("errno=%s\\n", errno == ENOENT ? "ENOENT" : strerror(errno)); return 0; }
                    close(fd);
                    printf("opened\\n");
                    return 0;
                }
                fprintf(stderr, "usage\\n");
                return 2;
            }
            """;

    @TempDir
    static Path dir;
    private static Path shmc;

    @BeforeAll
    static void compile() {
        assumeTrue(Programs.available("cc"), "no C compiler (cc)");
        shmc = Programs.compileC(dir, "shmc", SOURCE);
    }

    private static List<String> lines(Programs.Result r) {
        return List.of(r.assertSuccess().stdout().strip().split("\n"));
    }

    private static String get(MemorySegment s, long offset, int length) {
        byte[] b = new byte[length];
        MemorySegment.copy(s, ValueLayout.JAVA_BYTE, offset, b, 0, length);
        return new String(b, StandardCharsets.UTF_8);
    }

    @Test
    void cReadsWhatShmkitWroteAndReplies() {
        String name = Names.unique("c-attach");
        try (SharedMemory m = SharedMemory.create(name, 5000, 0640)) {
            byte[] text = "shmkit says hi".getBytes(StandardCharsets.UTF_8);
            MemorySegment.copy(text, 0, m.segment(), ValueLayout.JAVA_BYTE, 0, text.length);
            m.segment().set(ValueLayout.JAVA_INT, 64, 0xcafebabe);

            List<String> out = lines(Programs.run(shmc.toString(), "attach", name, "4000", "C was here"));
            int expectedMode = 0640 & ~PosixFiles.umask(dir);
            assertEquals(List.of("size=5000", "mode=" + Integer.toOctalString(expectedMode), "text=shmkit says hi", "int=cafebabe"), out);
            assertEquals("C was here", get(m.segment(), 4000, 10));
        } finally {
            SharedMemory.unlink(name);
        }
    }

    @Test
    void shmkitOpensWhatCCreated() {
        String name = Names.unique("c-create");
        try {
            assertEquals(List.of("created"), lines(Programs.run(shmc.toString(), "create", name, "4097", "made in C")));
            assertTrue(SharedMemory.exists(name), "the object outlives the C process");
            assertEquals(0600, PosixFiles.mode(PosixFiles.devShm(name)));
            ObjectExistsException e = assertThrows(ObjectExistsException.class, () -> SharedMemory.create(name, 4097));
            assertEquals("EEXIST", e.errnoName());
            try (SharedMemory m = SharedMemory.open(name)) {
                assertFalse(m.created());
                assertEquals(4097, m.size());
                assertEquals("made in C", get(m.segment(), 0, 9));
                assertEquals('~', m.segment().get(ValueLayout.JAVA_BYTE, 4096));
                // shmkit's answer reaches the next C process through the object
                MemorySegment.copy("answer\0".getBytes(StandardCharsets.US_ASCII), 0, m.segment(), ValueLayout.JAVA_BYTE, 0, 7);
                m.segment().set(ValueLayout.JAVA_INT, 64, 42);
                List<String> out = lines(Programs.run(shmc.toString(), "attach", name, "200", "ack"));
                assertEquals("text=answer", out.get(2));
                assertEquals("int=2a", out.get(3));
                assertEquals("ack", get(m.segment(), 200, 3));
                // once shmkit unlinks, C cannot open the name
                assertTrue(SharedMemory.unlink(name));
                assertEquals(List.of("errno=ENOENT"), lines(Programs.run(shmc.toString(), "open", name)));
            }
        } finally {
            SharedMemory.unlink(name);
        }
    }

    @Test
    void anObjectNobodySizedMapsAsAnEmptySegment() {
        // POSIX has no atomic create-with-size: until its creator calls ftruncate an object has 0 bytes
        String name = Names.unique("c-empty");
        try {
            assertEquals(List.of("created"), lines(Programs.run(shmc.toString(), "create0", name)));
            try (SharedMemory m = SharedMemory.open(name);
                 SharedMemory r = SharedMemory.openReadOnly(name)) {
                assertEquals(0, m.size());
                assertEquals(0, m.segment().byteSize());
                assertEquals(0, r.segment().byteSize());
                assertThrows(IndexOutOfBoundsException.class, () -> m.segment().get(ValueLayout.JAVA_BYTE, 0));
                m.close();
                assertThrows(IllegalStateException.class, m::segment);
            }
        } finally {
            SharedMemory.unlink(name);
        }
    }

    @Test
    void cSeesTheSameNameWithoutTheSlash() {
        // shmkit normalizes "name" to "/name"; glibc does the same, so C's "/name" finds it
        String name = Names.unique("c-bare");
        try (SharedMemory m = SharedMemory.create(name.substring(1), 100)) {
            assertEquals(List.of("opened"), lines(Programs.run(shmc.toString(), "open", name)));
            assertEquals(List.of("opened"), lines(Programs.run(shmc.toString(), "open", name.substring(1))));
        } finally {
            SharedMemory.unlink(name);
        }
    }
}
