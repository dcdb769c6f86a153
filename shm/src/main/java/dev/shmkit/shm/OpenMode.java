package dev.shmkit.shm;

/**
 * How a named object is obtained, after iceoryx2's creation modes. Whoever creates an object
 * does not thereby own its removal: unlinking is always an explicit call.
 */
public enum OpenMode {
    /** Create a new object; fail with {@link dev.shmkit.os.ObjectExistsException} if the name is taken. */
    CREATE_EXCLUSIVE,
    /** Open the object if it exists, otherwise create it. */
    OPEN_OR_CREATE,
    /** Open an existing object; fail with {@link dev.shmkit.os.ObjectNotFoundException} if there is none. */
    OPEN_EXISTING
}
