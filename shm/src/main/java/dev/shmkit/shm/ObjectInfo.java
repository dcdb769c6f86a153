package dev.shmkit.shm;

/**
 * What {@code fstat} reports of a POSIX shared memory object.
 *
 * @param name        its canonical name, with the leading slash
 * @param size        its size in bytes
 * @param permissions its mode bits, e.g. {@code 0600}
 * @param uid         the owner's user id
 * @param gid         the owner's group id
 */
public record ObjectInfo(String name, long size, int permissions, int uid, int gid) {}
