package dev.dcnv4.arrays;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Off-heap IEEE binary16 array. Elements are stored as their 16 raw bits; reads widen exactly
 * ({@link Float#float16ToFloat}), writes round to nearest-even ({@link Float#floatToFloat16}).
 */
public final class HalfFloatArray extends OffHeapArray {
    private static final ValueLayout.OfShort LAYOUT = ValueLayout.JAVA_SHORT_UNALIGNED;

    private HalfFloatArray(Memory memory) {
        super(memory, 2);
    }

    /** A zero-filled array that owns its memory. */
    public static HalfFloatArray allocate(int size) {
        return new HalfFloatArray(Memory.allocate("HalfFloatArray", size, 2));
    }

    /** An owning array holding {@code values} rounded to fp16. */
    public static HalfFloatArray fromFloats(float... values) {
        HalfFloatArray a = allocate(values.length);
        for (int i = 0; i < values.length; i++) {
            a.setFloat(i, values[i]);
        }
        return a;
    }

    /** A view of {@code segment} (not freed by {@link #close()}). */
    public static HalfFloatArray fromSegment(MemorySegment segment) {
        Memory m = Memory.view("HalfFloatArray", segment, 2);
        return new HalfFloatArray(m);
    }

    /** The raw 16 bits of element {@code index}. */
    public short getHalfBits(int index) {
        return segment.getAtIndex(LAYOUT, index);
    }

    /** Stores raw 16 bits. */
    public void setHalfBits(int index, short bits) {
        segment.setAtIndex(LAYOUT, index, bits);
    }

    @Override
    public float getFloat(int index) {
        return Float.float16ToFloat(segment.getAtIndex(LAYOUT, index));
    }

    @Override
    public void setFloat(int index, float value) {
        segment.setAtIndex(LAYOUT, index, Float.floatToFloat16(value));
    }

    @Override
    public DType dtype() {
        return DType.FP16;
    }
}
