package dev.dcnv4.arrays;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Off-heap bfloat16 array: the upper 16 bits of binary32. Reads widen by a 16-bit shift,
 * writes round to nearest-even ({@link BFloat16}).
 */
public final class BFloat16Array extends OffHeapArray {
    private static final ValueLayout.OfShort LAYOUT = ValueLayout.JAVA_SHORT_UNALIGNED;

    private BFloat16Array(Memory memory) {
        super(memory, 2);
    }

    /** A zero-filled array that owns its memory. */
    public static BFloat16Array allocate(int size) {
        return new BFloat16Array(Memory.allocate("BFloat16Array", size, 2));
    }

    /** An owning array holding {@code values} rounded to bf16. */
    public static BFloat16Array fromFloats(float... values) {
        BFloat16Array a = allocate(values.length);
        for (int i = 0; i < values.length; i++) {
            a.setFloat(i, values[i]);
        }
        return a;
    }

    /** A view of {@code segment} (not freed by {@link #close()}). */
    public static BFloat16Array fromSegment(MemorySegment segment) {
        Memory m = Memory.view("BFloat16Array", segment, 2);
        return new BFloat16Array(m);
    }

    /** The raw 16 bits of element {@code index}. */
    public short getBits(int index) {
        return segment.getAtIndex(LAYOUT, index);
    }

    /** Stores raw 16 bits. */
    public void setBits(int index, short bits) {
        segment.setAtIndex(LAYOUT, index, bits);
    }

    @Override
    public float getFloat(int index) {
        return BFloat16.toFloat(segment.getAtIndex(LAYOUT, index));
    }

    @Override
    public void setFloat(int index, float value) {
        segment.setAtIndex(LAYOUT, index, BFloat16.fromFloat(value));
    }

    @Override
    public DType dtype() {
        return DType.BF16;
    }
}
