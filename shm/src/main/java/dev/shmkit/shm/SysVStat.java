package dev.shmkit.shm;

import java.time.Instant;

/**
 * What {@code shmctl(IPC_STAT)} reports of a System V shared memory segment.
 *
 * @param key         the key it was created with ({@code 0} for IPC_PRIVATE)
 * @param id          its identifier
 * @param size        its size in bytes
 * @param attachCount how many attachments exist now, across all processes
 * @param creatorPid  the process that created it
 * @param lastPid     the process that last attached or detached it
 * @param permissions its mode bits, e.g. {@code 0600}
 * @param uid         the owner's user id
 * @param gid         the owner's group id
 * @param lastAttach  when it was last attached, or {@link Instant#EPOCH} if never
 * @param lastDetach  when it was last detached, or {@link Instant#EPOCH} if never
 * @param lastChange  when it was created or last changed
 */
public record SysVStat(int key, int id, long size, long attachCount, int creatorPid, int lastPid,
                       int permissions, int uid, int gid, Instant lastAttach, Instant lastDetach,
                       Instant lastChange) {}
