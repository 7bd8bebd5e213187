package dev.dcnv4.arrays;

import java.lang.foreign.MemorySegment;

/**
 * An off-heap array of numbers in one storage precision, the unit of data handed to every
 * backend (CPU, OpenCL, CUDA). Named after TornadoVM's native arrays.
 *
 * <p>{@link #getFloat(int)} and {@link #setFloat(int, float)} work for every precision: they
 * widen exactly on read and round to nearest-even on write, and never allocate.
 *
 * <p>An array either owns its memory (allocated by a factory such as {@link FloatArray#allocate})
 * and frees it on {@link #close()}, or views a caller's {@link MemorySegment} and frees nothing.
 */
public sealed interface NativeArray extends AutoCloseable permits OffHeapArray {

    /** Number of elements. */
    int getSize();

    /** Storage precision. */
    DType dtype();

    /** The memory, {@code getSize() * dtype().bytes()} bytes, native byte order. */
    MemorySegment getSegment();

    /** Element {@code index} widened to float (exact). */
    float getFloat(int index);

    /** Stores {@code value} rounded to this array's precision (nearest-even). */
    void setFloat(int index, float value);

    /** Size in bytes. */
    default long getNumBytes() {
        return (long) getSize() * dtype().bytes();
    }

    /** Sets every element to zero. */
    default void clear() {
        getSegment().fill((byte) 0);
    }

    /** Sets every element to {@code value} (rounded to this precision). */
    default void init(float value) {
        for (int i = 0, n = getSize(); i < n; i++) {
            setFloat(i, value);
        }
    }

    /** Copies all elements into a new heap array, widened to float. */
    default float[] toFloatArray() {
        float[] out = new float[getSize()];
        for (int i = 0; i < out.length; i++) {
            out[i] = getFloat(i);
        }
        return out;
    }

    /** Copies all elements into a new heap array, widened to double. */
    default double[] toDoubleArray() {
        double[] out = new double[getSize()];
        for (int i = 0; i < out.length; i++) {
            out[i] = getFloat(i);
        }
        return out;
    }

    /** Copies {@code src} into this array element by element, rounding to this precision. */
    default void copyFrom(NativeArray src) {
        if (src.getSize() != getSize()) {
            throw new IllegalArgumentException("copyFrom: expected " + getSize()
                    + " elements but the source has " + src.getSize());
        }
        if (src.dtype() == dtype()) {
            getSegment().copyFrom(src.getSegment());
            return;
        }
        for (int i = 0, n = getSize(); i < n; i++) {
            setFloat(i, src.getFloat(i));
        }
    }

    /** A new owning array of {@code dtype} with this array's values rounded to it. */
    default NativeArray convertTo(DType target) {
        NativeArray out = allocate(target, getSize());
        out.copyFrom(this);
        return out;
    }

    /** Frees owned memory; a view frees nothing. Idempotent; throws nothing checked. */
    @Override
    void close();

    /** A new zero-filled owning array of {@code dtype} with {@code size} elements. */
    static NativeArray allocate(DType dtype, int size) {
        return switch (dtype) {
            case FP32 -> FloatArray.allocate(size);
            case FP16 -> HalfFloatArray.allocate(size);
            case BF16 -> BFloat16Array.allocate(size);
        };
    }

    /** A new owning array of {@code dtype} holding {@code values} rounded to it. */
    static NativeArray fromFloats(DType dtype, float[] values) {
        NativeArray a = allocate(dtype, values.length);
        for (int i = 0; i < values.length; i++) {
            a.setFloat(i, values[i]);
        }
        return a;
    }

    /** A new owning array of {@code dtype} holding {@code values} rounded (via float) to it. */
    static NativeArray fromDoubles(DType dtype, double[] values) {
        NativeArray a = allocate(dtype, values.length);
        for (int i = 0; i < values.length; i++) {
            a.setFloat(i, (float) values[i]);
        }
        return a;
    }
}
