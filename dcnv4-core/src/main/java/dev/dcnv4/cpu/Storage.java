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
 * fp16 goes through small heap buffers ({@link Scratch}, one per task) wherever rows are long: HotSpot
 * vectorizes {@link Float#float16ToFloat} / {@link Float#floatToFloat16} loops over arrays into the
 * hardware conversions (vcvtph2ps / vcvtps2ph on x86), which beat integer vector code and take
 * subnormal halves at full speed. Short offset_mask rows use integer vector code ({@link
 * #widenHalf(MemorySegment, long, float[], int)}). bf16 is a shift either way.
 */
final class Storage {
    static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED;
    static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED;
    /** Elements per bulk-conversion chunk. */
    static final int CHUNK = 2048;
    private static final VectorSpecies<Float> FLOATS = Lanes.SPECIES;
    private static final VectorSpecies<Integer> INTS = FLOATS.withLanes(int.class);
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
            widenHalf(in, from, dst, from, to - from, s);
        } else {
            widenBf16(in, from, to, dst);
        }
    }

    /**
     * fp16 elements [from, from + len) of {@code in} into fp32 elements [dstFrom, dstFrom + len) of
     * {@code dst}, through {@code s}'s heap buffers: HotSpot vectorizes {@link Float#float16ToFloat}
     * over arrays (vcvtph2ps on x86; exact, subnormals at full speed), not over memory segments.
     */
    static void widenHalf(MemorySegment in, long from, MemorySegment dst, long dstFrom, int len, Scratch s) {
        short[] h = s.halves;
        float[] f = s.floats;
        for (int done = 0; done < len; ) {
            int n = Math.min(CHUNK, len - done);
            MemorySegment.copy(in, I16, 2L * (from + done), h, 0, n);
            halvesToFloats(h, f, n);
            MemorySegment.copy(f, 0, dst, F32, 4L * (dstFrom + done), n);
            done += n;
        }
    }

    /** {@code f[i] = float16ToFloat(h[i])} for i in [0, n): a loop HotSpot vectorizes. */
    static void halvesToFloats(short[] h, float[] f, int n) {
        for (int i = 0; i < n; i++) {
            f[i] = Float.float16ToFloat(h[i]);
        }
    }

    /** {@code h[i] = floatToFloat16(f[at + i])} for i in [0, n), round to nearest-even: vectorized. */
    static void floatsToHalves(float[] f, int at, short[] h, int n) {
        for (int i = 0; i < n; i++) {
            h[i] = Float.floatToFloat16(f[at + i]);
        }
    }

    /** fp32 elements [srcFrom, srcFrom + len) of {@code src} rounded into fp16 elements [dstFrom, ...) of {@code out}. */
    static void narrowHalf(MemorySegment src, long srcFrom, MemorySegment out, long dstFrom, int len, Scratch s) {
        short[] h = s.halves;
        float[] f = s.floats;
        for (int done = 0; done < len; ) {
            int n = Math.min(CHUNK, len - done);
            MemorySegment.copy(src, F32, 4L * (srcFrom + done), f, 0, n);
            floatsToHalves(f, 0, h, n);
            MemorySegment.copy(h, 0, out, I16, 2L * (dstFrom + done), n);
            done += n;
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

    /**
     * Writes 0 into one int per 64-byte line of {@code zeros}' bytes [at, at + bytes), which the caller
     * knows to be all zero already: the stores change nothing but take the lines into this core's cache
     * for writing (a store's request for ownership) in order, ahead of read-modify-writes in random order.
     */
    static void claim(MemorySegment zeros, long at, long bytes) {
        for (long end = at + bytes; at < end; at += 64) {
            zeros.set(ValueLayout.JAVA_INT_UNALIGNED, at, 0);
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

    /**
     * fp16 to fp32 with integer vector operations (the Vector API has no half-precision conversion),
     * {@code len} halves from element {@code from} into {@code dst[0..len)}: used for the short
     * offset_mask rows, where the array route below measured slower. Exact, and free of denormal
     * arithmetic (a subnormal fp32 operand costs a microcode assist of ~100 cycles on x86):
     * <pre>
     *   e = (h & 0x7fff) << 13                   exponent and mantissa in binary32 position
     *   normal:        e + (112 << 23)           rebias 15 -> 127
     *   inf / NaN:     e + (224 << 23)           exponent 31 -> 255, payload kept, NaN made quiet
     *   zero/subnormal: (float) (h & 0x3ff) * 2^-24   an exact int, scaled by a normal power of two
     * </pre>
     * then the sign; a scalar tail. A vector whose halves are all normal (offsets and weights almost
     * always are) takes a short path: the sign-extended half shifted left by 13 has the sign in bit 31,
     * copies of it in bits 30..28 and the exponent and mantissa in bits 27..13, so
     * {@code ((h << 13) & 0x8fffe000) + (112 << 23)} is the binary32 (the rebiased exponent fits in
     * 8 bits, no carry into the sign); 4 operations plus a lane test instead of 17.
     */
    static void widenHalf(MemorySegment in, long from, float[] dst, int len) {
        int lanes = HALF_IN.length(), i = 0;
        long b0 = 2L * from;
        for (; i + lanes <= len; i += lanes) {
            IntVector h = (IntVector) ShortVector.fromMemorySegment(HALF_IN, in, b0 + 2L * i, ORDER)
                    .convertShape(VectorOperators.S2I, INTS, 0);
            // normal: exponent field in [1, 30], i.e. (h & 0x7c00) - 0x0400 < 0x7800 unsigned
            if (h.and(0x7c00).sub(0x0400).compare(VectorOperators.ULT, 0x7800).allTrue()) {
                h.lanewise(VectorOperators.LSHL, 13).and(0x8fffe000).add(112 << 23).reinterpretAsFloats().intoArray(dst, i);
                continue;
            }
            IntVector mag = h.and(0x7fff);
            IntVector e = mag.lanewise(VectorOperators.LSHL, 13);
            IntVector sub = ((FloatVector) mag.convert(VectorOperators.I2F, 0)).mul(0x1p-24f).reinterpretAsInts();
            IntVector inf = e.add(224 << 23);
            IntVector special = inf.blend(inf.or(0x00400000), mag.compare(VectorOperators.GT, 0x7c00));
            IntVector bits = e.add(112 << 23).blend(special, mag.compare(VectorOperators.GE, 0x7c00))
                    .blend(sub, mag.compare(VectorOperators.LT, 0x0400));
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
            narrowHalf(src, from, out, from, to - from, s);
        } else {
            narrowBf16(src, from, out, from, to - from);
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
    static void write(float[] src, NativeArray dst, int from, int len, Scratch s) {
        MemorySegment out = dst.getSegment();
        switch (dst.dtype()) {
            case FP32 -> MemorySegment.copy(src, 0, out, F32, 4L * from, len);
            case FP16 -> {
                for (int done = 0; done < len; ) {
                    int n = Math.min(CHUNK, len - done);
                    floatsToHalves(src, done, s.halves, n);
                    MemorySegment.copy(s.halves, 0, out, I16, 2L * (from + done), n);
                    done += n;
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
