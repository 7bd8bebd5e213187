package dev.dcnv4.arrays;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/** Off-heap binary32 array. */
public final class FloatArray extends OffHeapArray {
    private static final ValueLayout.OfFloat LAYOUT = ValueLayout.JAVA_FLOAT_UNALIGNED;

    private FloatArray(Memory memory) {
        super(memory, 4);
    }

    /** A zero-filled array that owns its memory. */
    public static FloatArray allocate(int size) {
        return new FloatArray(Memory.allocate("FloatArray", size, 4));
    }

    /** An owning copy of {@code values}. */
    public static FloatArray fromArray(float... values) {
        FloatArray a = allocate(values.length);
        MemorySegment.copy(values, 0, a.segment, LAYOUT, 0, values.length);
        return a;
    }

    /** A view of {@code segment} (not freed by {@link #close()}). */
    public static FloatArray fromSegment(MemorySegment segment) {
        Memory m = Memory.view("FloatArray", segment, 4);
        return new FloatArray(m);
    }

    public float get(int index) {
        return segment.getAtIndex(LAYOUT, index);
    }

    public void set(int index, float value) {
        segment.setAtIndex(LAYOUT, index, value);
    }

    @Override
    public float getFloat(int index) {
        return get(index);
    }

    @Override
    public void setFloat(int index, float value) {
        set(index, value);
    }

    @Override
    public float[] toFloatArray() {
        float[] out = new float[getSize()];
        MemorySegment.copy(segment, LAYOUT, 0, out, 0, out.length);
        return out;
    }

    @Override
    public DType dtype() {
        return DType.FP32;
    }
}
