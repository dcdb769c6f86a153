package dev.shmkit.internal.nativeaccess;

import dev.shmkit.os.InvalidArgumentException;
import dev.shmkit.os.ObjectExistsException;
import dev.shmkit.os.ObjectNotFoundException;
import dev.shmkit.os.OsException;
import dev.shmkit.os.PermissionDeniedException;
import dev.shmkit.os.ResourceLimitException;
import dev.shmkit.testkit.Names;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** errno names, the errno → exception mapping, message formats, and real failing calls through Libc. */
class ErrnoTest {

    // ------------------------------------------------------------------ names

    @Test
    void namesOfCommonErrnoValues() {
        assertEquals("EEXIST", Errno.name(Consts.EEXIST));
        assertEquals("ENOENT", Errno.name(Consts.ENOENT));
        assertEquals("EACCES", Errno.name(Consts.EACCES));
        assertEquals("EINVAL", Errno.name(Consts.EINVAL));
        assertEquals("ENAMETOOLONG", Errno.name(Consts.ENAMETOOLONG));
        assertEquals("EAGAIN", Errno.name(Consts.EAGAIN));
        assertEquals("EIDRM", Errno.name(Consts.EIDRM));
        assertEquals("ETIMEDOUT", Errno.name(Consts.ETIMEDOUT));
    }

    @Test
    void nameOfLinuxValuesAsNumbers() {
        assumeTrue(Consts.LINUX);
        assertEquals("EEXIST", Errno.name(17));
        assertEquals("ENOENT", Errno.name(2));
        assertEquals("EAGAIN", Errno.name(11));
        assertEquals("ENAMETOOLONG", Errno.name(36));
        // ENOTSUP and EOPNOTSUPP share 95 on Linux: the first in Errno's preference order wins.
        assertEquals("ENOTSUP", Errno.name((int) Consts.value("EOPNOTSUPP")));
    }

    @Test
    void unknownErrnoIsShownAsANumber() {
        assertEquals("errno 9999", Errno.name(9999));
        assertEquals("errno 0", Errno.name(0));
        assertEquals("errno -1", Errno.name(-1));
    }

    // ------------------------------------------------------------------ exception subclasses

    static Stream<Arguments> categories() {
        return Stream.of(
                Arguments.of("EEXIST", Consts.EEXIST, ObjectExistsException.class),
                Arguments.of("ENOENT", Consts.ENOENT, ObjectNotFoundException.class),
                Arguments.of("EIDRM", Consts.EIDRM, ObjectNotFoundException.class),
                Arguments.of("EACCES", Consts.EACCES, PermissionDeniedException.class),
                Arguments.of("EPERM", Consts.EPERM, PermissionDeniedException.class),
                Arguments.of("EINVAL", Consts.EINVAL, InvalidArgumentException.class),
                Arguments.of("ENAMETOOLONG", Consts.ENAMETOOLONG, InvalidArgumentException.class),
                Arguments.of("EMFILE", Consts.EMFILE, ResourceLimitException.class),
                Arguments.of("ENFILE", Consts.ENFILE, ResourceLimitException.class),
                Arguments.of("ENOMEM", Consts.ENOMEM, ResourceLimitException.class),
                Arguments.of("ENOSPC", Consts.ENOSPC, ResourceLimitException.class),
                Arguments.of("EFBIG", Consts.EFBIG, ResourceLimitException.class),
                Arguments.of("E2BIG", Consts.E2BIG, ResourceLimitException.class),
                Arguments.of("EINTR", Consts.EINTR, OsException.class),
                Arguments.of("EAGAIN", Consts.EAGAIN, OsException.class),
                Arguments.of("ETIMEDOUT", Consts.ETIMEDOUT, OsException.class),
                Arguments.of("ENOSYS", Consts.ENOSYS, OsException.class),
                Arguments.of("EBUSY", (int) Consts.value("EBUSY"), OsException.class),
                Arguments.of("errno 9999", 9999, OsException.class));
    }

    @ParameterizedTest(name = "{0} -> {2}")
    @MethodSource("categories")
    void exceptionSubclassFollowsErrno(String name, int errno, Class<? extends OsException> expected) {
        OsException e = Errno.exception("call", "\"/x\"", errno);
        assertSame(expected, e.getClass(), name);
        assertEquals("call", e.call());
        assertEquals("\"/x\"", e.object());
        assertEquals(errno, e.errno());
        assertEquals(name, e.errnoName());
        String description = Libc.strerror(errno);
        assertEquals("call(\"/x\"): " + name + (description.isEmpty() ? "" : " (" + description + ")"), e.getMessage());
    }

    // ------------------------------------------------------------------ message format

    @Test
    void messageFormatMatchesTheDocumentedExample() {
        assumeTrue(Consts.LINUX, "glibc's strerror text");
        String object = Errno.quote("/jobs") + ", " + Libc.openFlags(Consts.O_RDWR | Consts.O_CREAT | Consts.O_EXCL)
                + ", " + Libc.octal(0600);
        assertEquals("\"/jobs\", O_RDWR|O_CREAT|O_EXCL, 0600", object);
        OsException e = Errno.exception("shm_open", object, Consts.EEXIST);
        assertEquals("File exists", Libc.strerror(Consts.EEXIST));
        assertEquals("shm_open(\"/jobs\", O_RDWR|O_CREAT|O_EXCL, 0600): EEXIST (File exists)", e.getMessage());
        assertTrue(e instanceof ObjectExistsException);
    }

    @Test
    void messageWithoutObjectOrDescription() {
        OsException noObject = Errno.exception("getpid", null, Consts.EINVAL, "bad");
        assertEquals("getpid(): EINVAL (bad)", noObject.getMessage());
        assertNull(noObject.object());
        assertEquals("close(3): EINTR", Errno.exception("close", "3", Consts.EINTR, "").getMessage());
        assertEquals("close(3): EINTR", Errno.exception("close", "3", Consts.EINTR, null).getMessage());
    }

    @Test
    void invalidUsesShmkitsOwnDescription() {
        InvalidArgumentException e = Errno.invalid("shm_open", Errno.quote("no-slash"), Consts.EINVAL,
                "a name must start with '/'");
        assertEquals("shm_open(\"no-slash\"): EINVAL (a name must start with '/')", e.getMessage());
        InvalidArgumentException tooLong = Errno.invalid("shm_open", "\"/x\"", Consts.ENAMETOOLONG, "too long");
        assertEquals(Consts.ENAMETOOLONG, tooLong.errno());
    }

    @Test
    void strerrorOfKnownAndUnknownValues() {
        assumeTrue(Consts.LINUX, "glibc's strerror text");
        assertEquals("No such file or directory", Libc.strerror(Consts.ENOENT));
        assertEquals("Invalid argument", Libc.strerror(Consts.EINVAL));
        assertEquals("Unknown error 9999", Libc.strerror(9999));
    }

    // ------------------------------------------------------------------ quote

    @Test
    void quoteEscapesQuotesBackslashesAndControlCharacters() {
        assertEquals("\"/jobs\"", Errno.quote("/jobs"));
        assertEquals("\"\"", Errno.quote(""));
        assertEquals("\"a\\\"b\"", Errno.quote("a\"b"));
        assertEquals("\"a\\\\b\"", Errno.quote("a\\b"));
        assertEquals("\"a\\x0ab\"", Errno.quote("a\nb"));
        assertEquals("\"\\x00\\x1b\\x7f\"", Errno.quote("\0\u001b\u007f"));
        assertEquals("\"tab\\x09\"", Errno.quote("tab\t"));
        assertEquals("\"/café-é\"", Errno.quote("/café-é"), "printable non-ASCII is kept");
    }

    @Test
    void quoteTruncatesVeryLongNames() {
        String q = Errno.quote("/" + "x".repeat(1000));
        assertEquals(1 + 300 + 3 + 1, q.length(), q);
        assertTrue(q.endsWith("...\""), q);
        assertEquals(302, Errno.quote("y".repeat(300)).length(), "exactly 300 characters are not truncated");
    }

    // ------------------------------------------------------------------ real failing calls

    @Test
    void shmOpenOfAMissingNameIsObjectNotFound() {
        String name = Names.unique("missing");
        ObjectNotFoundException e = assertThrows(ObjectNotFoundException.class,
                () -> Libc.shmOpen(name, Consts.O_RDWR, 0600));
        assertEquals("shm_open", e.call());
        assertEquals(Consts.ENOENT, e.errno());
        assertEquals("ENOENT", e.errnoName());
        assertTrue(e.getMessage().startsWith("shm_open(\"/"), e.getMessage());
        assertTrue(e.getMessage().contains(name), e.getMessage());
        if (Consts.LINUX) {
            // Without O_CREAT the mode is not part of the call, so it is not in the message.
            assertEquals("shm_open(\"" + name + "\", O_RDWR): ENOENT (No such file or directory)", e.getMessage());
        }
        assertTrue(e.getMessage().contains("ENOENT (" + Libc.strerror(Consts.ENOENT) + ")"), e.getMessage());
    }

    @Test
    void shmOpenExclusiveOfAnExistingNameIsObjectExists() {
        String name = Names.unique("exists");
        int fd = Libc.shmOpen(name, Consts.O_RDWR | Consts.O_CREAT | Consts.O_EXCL, 0600);
        try {
            ObjectExistsException e = assertThrows(ObjectExistsException.class,
                    () -> Libc.shmOpen(name, Consts.O_RDWR | Consts.O_CREAT | Consts.O_EXCL, 0600));
            assertEquals("shm_open(" + Errno.quote(name) + ", O_RDWR|O_CREAT|O_EXCL, 0600): EEXIST ("
                    + Libc.strerror(Consts.EEXIST) + ")", e.getMessage());
        } finally {
            Libc.close(fd);
            assertTrue(Libc.shmUnlink(name));
        }
        assertFalse(Files.exists(Path.of("/dev/shm", name.substring(1))));
    }

    @Test
    void shmUnlinkOfAMissingNameReturnsFalse() {
        assertFalse(Libc.shmUnlink(Names.unique("never-created")));
    }

    @Test
    void shmOpenOfAnInvalidNameIsInvalidArgument() {
        assumeTrue(Consts.LINUX, "glibc refuses a name with an inner slash with EINVAL");
        InvalidArgumentException e = assertThrows(InvalidArgumentException.class,
                () -> Libc.shmOpen("/a/b", Consts.O_RDONLY, 0));
        assertTrue(e.getMessage().startsWith("shm_open(\"/a/b\", O_RDONLY): EINVAL"), e.getMessage());
    }

    @Test
    void shmgetWithAHugeSizeIsInvalidArgument() throws Exception {
        assumeTrue(Consts.LINUX, "Linux checks size > SHMMAX with EINVAL");
        long size = -1L; // SIZE_MAX as size_t, more than any SHMMAX except "unlimited"
        Path shmmaxFile = Path.of("/proc/sys/kernel/shmmax");
        if (Files.isReadable(shmmaxFile)) {
            String shmmax = Files.readString(shmmaxFile).trim();
            assumeTrue(Long.compareUnsigned(size, Long.parseUnsignedLong(shmmax)) > 0, "SHMMAX is " + shmmax);
        }
        int flags = Consts.IPC_CREAT | 0600;
        try {
            int id = Libc.shmget(Consts.IPC_PRIVATE, size, flags);
            Libc.shmRemove(id);
            fail("shmget of " + Long.toUnsignedString(size) + " bytes succeeded");
        } catch (InvalidArgumentException e) {
            assertEquals("shmget", e.call());
            assertEquals(Consts.EINVAL, e.errno());
            assertEquals("shmget(0x00000000, " + Long.toUnsignedString(size) + ", IPC_CREAT|0600): EINVAL (Invalid argument)", e.getMessage());
        }
    }

    @Test
    void shmRemoveOfAMissingIdReturnsFalse() {
        assumeTrue(Consts.LINUX);
        // An id nobody has: Linux answers EINVAL, which shmRemove reports as "already gone".
        assertFalse(Libc.shmRemove(Integer.MAX_VALUE));
    }

    // ------------------------------------------------------------------ flag formatting

    @Test
    void openFlagsFormatting() {
        assertEquals("O_RDONLY", Libc.openFlags(Consts.O_RDONLY));
        assertEquals("O_WRONLY", Libc.openFlags(Consts.O_WRONLY));
        assertEquals("O_RDWR", Libc.openFlags(Consts.O_RDWR));
        assertEquals("O_RDWR|O_CREAT|O_EXCL", Libc.openFlags(Consts.O_RDWR | Consts.O_CREAT | Consts.O_EXCL));
        assertEquals("O_RDWR|O_CREAT|O_EXCL", Libc.openFlags(Consts.O_EXCL | Consts.O_CREAT | Consts.O_RDWR), "order is fixed");
        assertEquals("O_WRONLY|O_CREAT|O_TRUNC|O_NONBLOCK",
                Libc.openFlags(Consts.O_WRONLY | Consts.O_CREAT | Consts.O_TRUNC | Consts.O_NONBLOCK));
        assertEquals("O_RDONLY", Libc.openFlags(Consts.O_RDONLY | Consts.O_CLOEXEC), "O_CLOEXEC is not shown");
    }

    @Test
    void ipcFlagsFormatting() {
        assertEquals("IPC_CREAT|IPC_EXCL|0600", Libc.ipcFlags(Consts.IPC_CREAT | Consts.IPC_EXCL | 0600));
        assertEquals("IPC_CREAT|0644", Libc.ipcFlags(Consts.IPC_CREAT | 0644));
        assertEquals("0600", Libc.ipcFlags(0600));
        assertEquals("0644", Libc.ipcFlags(0644 | Consts.IPC_NOWAIT), "only creation flags and permission bits are shown");
    }

    @Test
    void octalAndHexKeyFormatting() {
        assertEquals("0600", Libc.octal(0600));
        assertEquals("0755", Libc.octal(0755));
        assertEquals("0x00000000", Libc.hexKey(0));
        assertEquals("0x5a00beef", Libc.hexKey(0x5a00beef));
        assertEquals("0xffffffff", Libc.hexKey(-1));
    }
}
