package dev.shmkit.ring;

import java.lang.foreign.MemorySegment;

/**
 * Receives records in place, without a copy: {@code buffer} is the ring's shared mapping and the
 * payload is the {@code length} bytes at {@code index}. The bytes are valid only until the
 * handler returns; copy what must outlive it.
 */
@FunctionalInterface
public interface MessageHandler {
    void onMessage(int typeId, MemorySegment buffer, long index, int length);
}
