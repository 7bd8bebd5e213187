package dev.dcnv4.cpu;

import dev.dcnv4.arrays.BFloat16;
import dev.dcnv4.arrays.DType;
import dev.dcnv4.arrays.NativeArray;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Conversions between the storage precisions and the fp32 the kernels compute in. fp16/bf16 are
 * widened exactly and rounded once, to nearest-even, on the way out:
 *
 * <pre>
 *   fp16  s eeeee mmmmmmmmmm     -> Float.float16ToFloat / Float.floatToFloat16
 *   bf16  s eeeeeeee mmmmmmm     -> the upper half of a binary32 (shift by 16 / BFloat16.fromFloat)
 * </pre>
 *
 * The bulk methods go through small heap buffers so that HotSpot can vectorize the conversion loops
 * (vcvtph2ps / vcvtps2ph on x86); {@link Scratch} holds those buffers, one per task.
 */
final class Storage {
    static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED;
    static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED;
    /** Elements per bulk-conversion chunk. */
    static final int CHUNK = 2048;

    private Storage() {
    }

    /** Per-task conversion buffers, reused across calls. */
    static final class Scratch {
        final short[] halves = new short[CHUNK];
        final float[] floats = new float[CHUNK];
    }

    /** Widens elements [from, to) of {@code src} into the fp32 segment {@code dst} (same indices). */
    static void widen(NativeArray src, int from, int to, MemorySegment dst, Scratch s) {
        MemorySegment in = src.getSegment();
        DType t = src.dtype();
        if (t == DType.FP32) {
            MemorySegment.copy(in, 4L * from, dst, 4L * from, 4L * (to - from));
            return;
        }
        short[] h = s.halves;
        float[] f = s.floats;
        for (int i = from; i < to; i += CHUNK) {
            int len = Math.min(CHUNK, to - i);
            MemorySegment.copy(in, I16, 2L * i, h, 0, len);
            if (t == DType.FP16) {
                for (int j = 0; j < len; j++) {
                    f[j] = Float.float16ToFloat(h[j]);
                }
            } else {
                for (int j = 0; j < len; j++) {
                    f[j] = Float.intBitsToFloat(h[j] << 16);
                }
            }
            MemorySegment.copy(f, 0, dst, F32, 4L * i, len);
        }
    }

    /** Rounds elements [from, to) of the fp32 segment {@code src} into {@code dst} (same indices). */
    static void narrow(MemorySegment src, int from, int to, NativeArray dst, Scratch s) {
        MemorySegment out = dst.getSegment();
        DType t = dst.dtype();
        if (t == DType.FP32) {
            MemorySegment.copy(src, 4L * from, out, 4L * from, 4L * (to - from));
            return;
        }
        short[] h = s.halves;
        float[] f = s.floats;
        for (int i = from; i < to; i += CHUNK) {
            int len = Math.min(CHUNK, to - i);
            MemorySegment.copy(src, F32, 4L * i, f, 0, len);
            if (t == DType.FP16) {
                for (int j = 0; j < len; j++) {
                    h[j] = Float.floatToFloat16(f[j]);
                }
            } else {
                for (int j = 0; j < len; j++) {
                    h[j] = BFloat16.fromFloat(f[j]);
                }
            }
            MemorySegment.copy(h, 0, out, I16, 2L * i, len);
        }
    }

    /** Reads {@code len} elements starting at {@code from} into {@code dst[0..len)}, widened. */
    static void read(NativeArray src, int from, float[] dst, int len) {
        MemorySegment in = src.getSegment();
        switch (src.dtype()) {
            case FP32 -> MemorySegment.copy(in, F32, 4L * from, dst, 0, len);
            case FP16 -> {
                for (int j = 0; j < len; j++) {
                    dst[j] = Float.float16ToFloat(in.get(I16, 2L * (from + j)));
                }
            }
            case BF16 -> {
                for (int j = 0; j < len; j++) {
                    dst[j] = BFloat16.toFloat(in.get(I16, 2L * (from + j)));
                }
            }
        }
    }

    /** Writes {@code src[0..len)} to elements {@code from..from+len} of {@code dst}, rounded once. */
    static void write(float[] src, NativeArray dst, int from, int len) {
        MemorySegment out = dst.getSegment();
        switch (dst.dtype()) {
            case FP32 -> MemorySegment.copy(src, 0, out, F32, 4L * from, len);
            case FP16 -> {
                for (int j = 0; j < len; j++) {
                    out.set(I16, 2L * (from + j), Float.floatToFloat16(src[j]));
                }
            }
            case BF16 -> {
                for (int j = 0; j < len; j++) {
                    out.set(I16, 2L * (from + j), BFloat16.fromFloat(src[j]));
                }
            }
        }
    }
}
