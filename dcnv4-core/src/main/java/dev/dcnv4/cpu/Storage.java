package dev.dcnv4.cpu;

import dev.dcnv4.arrays.BFloat16;
import dev.dcnv4.arrays.DType;
import dev.dcnv4.arrays.NativeArray;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

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
    private static final VectorSpecies<Float> FLOATS = Lanes.SPECIES;
    @SuppressWarnings("unchecked")
    private static final VectorSpecies<Integer> INTS = (VectorSpecies<Integer>) FLOATS.withLanes(int.class);
    private static final VectorSpecies<Short> HALF_IN =
            VectorSpecies.of(short.class, VectorShape.forBitSize(FLOATS.vectorBitSize() / 2));
    private static final ByteOrder ORDER = ByteOrder.nativeOrder();

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
        } else if (t == DType.FP16) {
            widenHalf(in, from, to, dst);
        } else {
            widenBf16(in, from, to, dst);
        }
    }

    /** bf16 to fp32: each 16-bit pattern shifted into the upper half (exact, NaN and inf included). */
    static void widenBf16(MemorySegment in, int from, int to, MemorySegment dst) {
        widenBf16(in, from, dst, from, to - from);
    }

    /** bf16 elements [from, from + len) of {@code in} into fp32 elements [dstFrom, dstFrom + len) of {@code dst}. */
    static void widenBf16(MemorySegment in, long from, MemorySegment dst, long dstFrom, int len) {
        int lanes = HALF_IN.length(), i = 0;
        long s0 = 2L * from, d0 = 4L * dstFrom;
        for (; i + lanes <= len; i += lanes) {
            ((IntVector) ShortVector.fromMemorySegment(HALF_IN, in, s0 + 2L * i, ORDER).convertShape(VectorOperators.S2I, INTS, 0))
                    .lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().intoMemorySegment(dst, d0 + 4L * i, ORDER);
        }
        for (; i < len; i++) {
            dst.set(F32, d0 + 4L * i, Float.intBitsToFloat(in.get(I16, s0 + 2L * i) << 16));
        }
    }

    /** One int per 64-byte line of {@code in}'s bytes [at, at + bytes), read in order: brings them into the cache. */
    static int touch(MemorySegment in, long at, long bytes) {
        int x = 0;
        for (long end = at + bytes; at < end; at += 64) {
            x |= in.get(ValueLayout.JAVA_INT_UNALIGNED, at);
        }
        return x;
    }

    /**
     * fp16 to fp32 with integer vector operations (the Vector API has no half-precision conversion):
     * magnitude bits shifted into place and scaled by 2^112 (exact for normal and subnormal halves),
     * exponent 31 (inf/NaN) mapped to 255, sign copied; then a scalar tail.
     */
    static void widenHalf(MemorySegment in, int from, int to, MemorySegment dst) {
        int lanes = HALF_IN.length(), i = from;
        for (; i + lanes <= to; i += lanes) {
            IntVector h = (IntVector) ShortVector.fromMemorySegment(HALF_IN, in, 2L * i, ORDER)
                    .convertShape(VectorOperators.S2I, INTS, 0);
            IntVector mag = h.and(0x7fff).lanewise(VectorOperators.LSHL, 13);
            IntVector bits = mag.reinterpretAsFloats().mul(0x1p112f).reinterpretAsInts();
            bits = bits.blend(mag.or(0x7f800000), mag.compare(VectorOperators.GE, 0x7c00 << 13));
            bits.or(h.and(0x8000).lanewise(VectorOperators.LSHL, 16)).reinterpretAsFloats()
                    .intoMemorySegment(dst, 4L * i, ORDER);
        }
        for (; i < to; i++) {
            dst.set(F32, 4L * i, Float.float16ToFloat(in.get(I16, 2L * i)));
        }
    }

    /**
     * Rounds fp32 elements [srcFrom, srcFrom + len) of {@code src} into elements [dstFrom, dstFrom + len)
     * of {@code dst}.
     */
    static void narrow(MemorySegment src, long srcFrom, NativeArray dst, int dstFrom, int len) {
        MemorySegment out = dst.getSegment();
        switch (dst.dtype()) {
            case FP32 -> MemorySegment.copy(src, 4L * srcFrom, out, 4L * dstFrom, 4L * len);
            case FP16 -> narrowHalf(src, srcFrom, out, dstFrom, len);
            case BF16 -> narrowBf16(src, srcFrom, out, dstFrom, len);
        }
    }

    /**
     * fp32 to bf16, round to nearest-even: {@code (bits + 0x7fff + bit16) >>> 16}; NaN keeps its sign
     * and top payload bits and is made quiet (bit 6), as {@link BFloat16#fromFloat}; scalar tail.
     */
    static void narrowBf16(MemorySegment src, long srcFrom, MemorySegment out, long dstFrom, int len) {
        int lanes = FLOATS.length(), i = 0;
        long s0 = 4L * srcFrom, d0 = 2L * dstFrom;
        for (; i + lanes <= len; i += lanes) {
            IntVector x = FloatVector.fromMemorySegment(FLOATS, src, s0 + 4L * i, ORDER).reinterpretAsInts();
            IntVector rounded = x.add(x.lanewise(VectorOperators.LSHR, 16).and(1).add(0x7fff))
                    .lanewise(VectorOperators.LSHR, 16);
            IntVector nan = x.lanewise(VectorOperators.LSHR, 16).or(0x0040);
            IntVector h = rounded.blend(nan, x.and(0x7fffffff).compare(VectorOperators.GT, 0x7f800000));
            h.convertShape(VectorOperators.I2S, HALF_IN, 0).intoMemorySegment(out, d0 + 2L * i, ORDER);
        }
        for (; i < len; i++) {
            out.set(I16, d0 + 2L * i, BFloat16.fromFloat(src.get(F32, s0 + 4L * i)));
        }
    }

    /** {@link #widenHalf(MemorySegment, int, int, MemorySegment)} of {@code len} halves from {@code from} into {@code dst[0..len)}. */
    static void widenHalf(MemorySegment in, long from, float[] dst, int len) {
        int lanes = HALF_IN.length(), i = 0;
        long b0 = 2L * from;
        for (; i + lanes <= len; i += lanes) {
            IntVector h = (IntVector) ShortVector.fromMemorySegment(HALF_IN, in, b0 + 2L * i, ORDER)
                    .convertShape(VectorOperators.S2I, INTS, 0);
            IntVector mag = h.and(0x7fff).lanewise(VectorOperators.LSHL, 13);
            IntVector bits = mag.reinterpretAsFloats().mul(0x1p112f).reinterpretAsInts();
            bits = bits.blend(mag.or(0x7f800000), mag.compare(VectorOperators.GE, 0x7c00 << 13));
            bits.or(h.and(0x8000).lanewise(VectorOperators.LSHL, 16)).reinterpretAsFloats().intoArray(dst, i);
        }
        for (; i < len; i++) {
            dst[i] = Float.float16ToFloat(in.get(I16, b0 + 2L * i));
        }
    }

    /** Rounds elements [from, to) of the fp32 segment {@code src} into {@code dst} (same indices). */
    static void narrow(MemorySegment src, int from, int to, NativeArray dst, Scratch s) {
        MemorySegment out = dst.getSegment();
        DType t = dst.dtype();
        if (t == DType.FP32) {
            MemorySegment.copy(src, 4L * from, out, 4L * from, 4L * (to - from));
        } else if (t == DType.FP16) {
            narrowHalf(src, from, to, out);
        } else {
            narrowBf16(src, from, out, from, to - from);
        }
    }

    /**
     * fp32 to fp16, round to nearest-even, with integer vector operations (magic-number rounding):
     * <pre>
     *   |x| >= 2^16 (or inf/NaN):  0x7c00, NaN 0x7e00          (65520 <= |x| < 2^16 overflow below)
     *   |x| <  2^-14 (subnormal):  bits(|x| + 0.5f) - bits(0.5f)  (the FPU's own RNE does the rounding)
     *   otherwise:                 (bits + 0xc8000fff + odd(bit 13)) >> 13   (rebias, add half-ulp - 1
     *                                                                         + tie-to-even bit, truncate)
     * </pre>
     * then the sign; equal to {@link Float#floatToFloat16} except NaN payloads (always the quiet
     * 0x7e00 here). A scalar tail handles the last elements.
     */
    static void narrowHalf(MemorySegment src, int from, int to, MemorySegment out) {
        narrowHalf(src, from, out, from, to - from);
    }

    /**
     * As {@link #narrowHalf(MemorySegment, int, int, MemorySegment)}, from fp32 elements
     * [srcFrom, srcFrom + len) of {@code src} to fp16 elements [dstFrom, dstFrom + len) of {@code out}.
     */
    static void narrowHalf(MemorySegment src, long srcFrom, MemorySegment out, long dstFrom, int len) {
        int lanes = FLOATS.length(), i = 0;
        long s0 = 4L * srcFrom, d0 = 2L * dstFrom;
        for (; i + lanes <= len; i += lanes) {
            IntVector x = FloatVector.fromMemorySegment(FLOATS, src, s0 + 4L * i, ORDER).reinterpretAsInts();
            IntVector sign = x.and(0x80000000);
            IntVector a = x.and(0x7fffffff);
            IntVector sub = a.reinterpretAsFloats().add(0.5f).reinterpretAsInts().sub(0x3f000000);
            IntVector norm = a.add(0xc8000fff).add(a.lanewise(VectorOperators.LSHR, 13).and(1))
                    .lanewise(VectorOperators.LSHR, 13);
            IntVector h = norm.blend(sub, a.compare(VectorOperators.LT, 0x38800000));
            h = h.blend(IntVector.broadcast(INTS, 0x7c00), a.compare(VectorOperators.GE, 0x47800000));
            h = h.blend(IntVector.broadcast(INTS, 0x7e00), a.compare(VectorOperators.GT, 0x7f800000));
            h = h.or(sign.lanewise(VectorOperators.LSHR, 16));
            h.convertShape(VectorOperators.I2S, HALF_IN, 0).intoMemorySegment(out, d0 + 2L * i, ORDER);
        }
        for (; i < len; i++) {
            out.set(I16, d0 + 2L * i, Float.floatToFloat16(src.get(F32, s0 + 4L * i)));
        }
    }

    /**
     * Reads {@code len} elements starting at {@code from} into {@code dst[0..len)}, widened with the
     * vector conversions.
     */
    static void read(NativeArray src, int from, float[] dst, int len) {
        MemorySegment in = src.getSegment();
        DType t = src.dtype();
        if (t == DType.FP32) {
            MemorySegment.copy(in, F32, 4L * from, dst, 0, len);
            return;
        }
        if (t == DType.FP16) {
            widenHalf(in, from, dst, len);
            return;
        }
        widenBf16(in, from, MemorySegment.ofArray(dst), 0, len);
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
