package dev.dcnv4.arrays;

import java.lang.foreign.MemorySegment;

/**
 * What the three array classes share: the memory (owned or a view), its segment and the element
 * count. Subclasses add only the element type's reads, writes and conversions.
 */
abstract sealed class OffHeapArray implements NativeArray permits FloatArray, HalfFloatArray, BFloat16Array {
    private final Memory memory;
    final MemorySegment segment;
    private final int size;

    OffHeapArray(Memory memory, int elementBytes) {
        this.memory = memory;
        this.segment = memory.segment();
        this.size = (int) (segment.byteSize() / elementBytes);
    }

    @Override
    public final int getSize() {
        return size;
    }

    @Override
    public final MemorySegment getSegment() {
        return segment;
    }

    @Override
    public final void close() {
        memory.close();
    }

    @Override
    public String toString() {
        return getClass().getSimpleName() + "[" + size + "]";
    }
}
