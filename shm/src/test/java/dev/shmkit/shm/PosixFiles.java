package dev.shmkit.shm;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;

/** What the file system says of POSIX shared memory objects (Linux keeps them in /dev/shm). */
final class PosixFiles {
    private PosixFiles() {}

    /** The /dev/shm entry of a canonical object name such as {@code /shmkit-test-x}. */
    static Path devShm(String name) {
        return Path.of("/dev/shm", name.startsWith("/") ? name.substring(1) : name);
    }

    /** Permission bits as an int, e.g. 0600. */
    static int mode(Path p) {
        try {
            return toMode(Files.getPosixFilePermissions(p));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static int toMode(Set<PosixFilePermission> perms) {
        int m = 0;
        for (PosixFilePermission p : perms) {
            m |= switch (p) {
                case OWNER_READ -> 0400;
                case OWNER_WRITE -> 0200;
                case OWNER_EXECUTE -> 0100;
                case GROUP_READ -> 040;
                case GROUP_WRITE -> 020;
                case GROUP_EXECUTE -> 010;
                case OTHERS_READ -> 04;
                case OTHERS_WRITE -> 02;
                case OTHERS_EXECUTE -> 01;
            };
        }
        return m;
    }

    /** This process's umask, found by creating a file asking for 0777 in {@code dir}. */
    static int umask(Path dir) {
        try {
            Path probe = Files.createTempFile(dir, "umask", ".probe",
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxrwxrwx")));
            try {
                return 0777 & ~mode(probe);
            } finally {
                Files.delete(probe);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
