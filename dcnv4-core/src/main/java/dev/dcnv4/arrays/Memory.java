package dev.dcnv4.arrays;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/** Owning allocation shared by the array classes: one shared arena per array, 64-byte aligned. */
final class Memory {
    /** Alignment of owned arrays: a cache line, and enough for any 128-bit vector access. */
    static final long ALIGNMENT = 64;

    private final Arena arena;
    private final MemorySegment segment;

    private Memory(Arena arena, MemorySegment segment) {
        this.arena = arena;
        this.segment = segment;
    }

    static Memory allocate(String what, int size, int elementBytes) {
        if (size < 0) {
            throw new IllegalArgumentException(what + ": size must be >= 0 but was " + size);
        }
        Arena arena = Arena.ofShared();
        try {
            MemorySegment s = arena.allocate(Math.max(1L, (long) size * elementBytes), ALIGNMENT)
                    .asSlice(0, (long) size * elementBytes);
            return new Memory(arena, s);
        } catch (RuntimeException | OutOfMemoryError e) {
            arena.close();
            throw e;
        }
    }

    static Memory view(String what, MemorySegment segment, int elementBytes) {
        if (segment.byteSize() % elementBytes != 0 || segment.byteSize() / elementBytes > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(what + ": segment size must be a multiple of " + elementBytes
                    + " bytes and at most " + Integer.MAX_VALUE + " elements but was " + segment.byteSize() + " bytes");
        }
        return new Memory(null, segment);
    }

    MemorySegment segment() {
        return segment;
    }

    synchronized void close() {
        if (arena != null && arena.scope().isAlive()) {
            arena.close();
        }
    }
}
