package dev.shmkit.objects;

/**
 * A look at a {@link SharedMap}'s or {@link SharedList}'s storage, read without the lock (so the
 * figures may be a moment apart).
 *
 * @param kind         {@code map} or {@code list}
 * @param size         live entries or elements
 * @param capacity     the most entries or elements it can hold
 * @param dataBytes    bytes of records a space can hold
 * @param usedBytes    bytes allocated in the active space (live records plus garbage)
 * @param garbageBytes allocated bytes no entry refers to any more: replaced or removed entries,
 *                     and space leaked by a writer that died; a compaction reclaims them
 * @param epoch        compactions and rebuilds so far (the active space is {@code epoch & 1})
 * @param repairs      repair passes run because a writer died holding the lock
 * @param dropped      invalid records those repairs removed (0 unless memory was corrupted)
 * @param byteSize     bytes the whole object occupies (both spaces, header and lock included)
 */
public record StoreStats(String kind, long size, long capacity, long dataBytes, long usedBytes, long garbageBytes,
                         long epoch, long repairs, long dropped, long byteSize) {
}
