package dev.dcnv4.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;

/**
 * The forward's passes for groups without a point that has a corner outside the image (state 1), most
 * of the image: no border path in the point loop, so that the JIT keeps the loop's values in registers.
 * Two or four vectors of channels per pass (see {@link ForwardKernel}); the "All" forms take every group
 * of a position in one call when a group is exactly one pass. Same arithmetic, same order, as
 * {@link ForwardKernel}'s border passes. Void on purpose: a vector returned from a method that is not
 * inlined would be boxed.
 */
final class InteriorPasses {
    private static final VectorSpecies<Float> S = Lanes.SPECIES;
    private static final int LANES = S.length();
    private static final ByteOrder ORDER = ByteOrder.nativeOrder();

    private InteriorPasses() {
    }

    /**
     * {@link ForwardKernel#vectorPair} for a group without state-1 points (most of the image): no border path in
     * the loop, so that the JIT keeps the loop's values in registers.
     */
    static void interiorPair(MemorySegment in, SamplingGeometry geo, int from, int to, long co, long cs,
                                     long rs, MemorySegment out, float[] oa, long at) {
        FloatVector acc0 = FloatVector.zero(S), acc1 = acc0;
        int[] state = geo.state, c1 = geo.c1;
        float[] w1s = geo.w1, w2s = geo.w2, w3s = geo.w3, w4s = geo.w4, ms = geo.m;
        long rc = rs + cs, v = 4L * LANES;
        for (int p = from; p < to; p++) {
            if (state[p] == 0) {
                continue;
            }
            FloatVector w1 = FloatVector.broadcast(S, w1s[p]), w2 = FloatVector.broadcast(S, w2s[p]);
            FloatVector w3 = FloatVector.broadcast(S, w3s[p]), w4 = FloatVector.broadcast(S, w4s[p]);
            long o = 4L * c1[p] + co;
            FloatVector t = FloatVector.fromMemorySegment(S, in, o + cs, ORDER).mul(w2);
            FloatVector u = FloatVector.fromMemorySegment(S, in, o + cs + v, ORDER).mul(w2);
            t = FloatVector.fromMemorySegment(S, in, o, ORDER).fma(w1, t);
            u = FloatVector.fromMemorySegment(S, in, o + v, ORDER).fma(w1, u);
            t = FloatVector.fromMemorySegment(S, in, o + rs, ORDER).fma(w3, t);
            u = FloatVector.fromMemorySegment(S, in, o + rs + v, ORDER).fma(w3, u);
            t = FloatVector.fromMemorySegment(S, in, o + rc, ORDER).fma(w4, t);
            u = FloatVector.fromMemorySegment(S, in, o + rc + v, ORDER).fma(w4, u);
            FloatVector m = FloatVector.broadcast(S, ms[p]);
            acc0 = t.fma(m, acc0);
            acc1 = u.fma(m, acc1);
        }
        if (oa == null) {
            acc0.intoMemorySegment(out, at, ORDER);
            acc1.intoMemorySegment(out, at + 4L * LANES, ORDER);
        } else {
            acc0.intoArray(oa, (int) (at >> 2));
            acc1.intoArray(oa, (int) (at >> 2) + LANES);
        }
    }

    /**
     * {@link #interiorPair} for channels [co/4, co/4 + 4*LANES): four accumulators share each point's
     * weights. The two halves are written out: as the two-step int loop of {@link ForwardKernel#vectorQuad} this
     * method measured x1.15-1.18 slower (AVX2 VM, two instances each, same bits), while vectorQuad
     * written out measured the same as its loop.
     */
    static void interiorQuad(MemorySegment in, SamplingGeometry geo, int from, int to, long co, long cs,
                                     long rs, MemorySegment out, float[] oa, long at) {
        FloatVector acc0 = FloatVector.zero(S), acc1 = acc0, acc2 = acc0, acc3 = acc0;
        int[] state = geo.state, c1 = geo.c1;
        float[] w1s = geo.w1, w2s = geo.w2, w3s = geo.w3, w4s = geo.w4, ms = geo.m;
        long rc = rs + cs, v = 4L * LANES;
        for (int p = from; p < to; p++) {
            if (state[p] == 0) {
                continue;
            }
            FloatVector w1 = FloatVector.broadcast(S, w1s[p]), w2 = FloatVector.broadcast(S, w2s[p]);
            FloatVector w3 = FloatVector.broadcast(S, w3s[p]), w4 = FloatVector.broadcast(S, w4s[p]);
            FloatVector m = FloatVector.broadcast(S, ms[p]);
            long o = 4L * c1[p] + co;
            FloatVector t = FloatVector.fromMemorySegment(S, in, o + cs, ORDER).mul(w2);
            FloatVector u = FloatVector.fromMemorySegment(S, in, o + cs + v, ORDER).mul(w2);
            t = FloatVector.fromMemorySegment(S, in, o, ORDER).fma(w1, t);
            u = FloatVector.fromMemorySegment(S, in, o + v, ORDER).fma(w1, u);
            t = FloatVector.fromMemorySegment(S, in, o + rs, ORDER).fma(w3, t);
            u = FloatVector.fromMemorySegment(S, in, o + rs + v, ORDER).fma(w3, u);
            t = FloatVector.fromMemorySegment(S, in, o + rc, ORDER).fma(w4, t);
            u = FloatVector.fromMemorySegment(S, in, o + rc + v, ORDER).fma(w4, u);
            acc0 = t.fma(m, acc0);
            acc1 = u.fma(m, acc1);
            o += 2 * v;
            t = FloatVector.fromMemorySegment(S, in, o + cs, ORDER).mul(w2);
            u = FloatVector.fromMemorySegment(S, in, o + cs + v, ORDER).mul(w2);
            t = FloatVector.fromMemorySegment(S, in, o, ORDER).fma(w1, t);
            u = FloatVector.fromMemorySegment(S, in, o + v, ORDER).fma(w1, u);
            t = FloatVector.fromMemorySegment(S, in, o + rs, ORDER).fma(w3, t);
            u = FloatVector.fromMemorySegment(S, in, o + rs + v, ORDER).fma(w3, u);
            t = FloatVector.fromMemorySegment(S, in, o + rc, ORDER).fma(w4, t);
            u = FloatVector.fromMemorySegment(S, in, o + rc + v, ORDER).fma(w4, u);
            acc2 = t.fma(m, acc2);
            acc3 = u.fma(m, acc3);
        }
        if (oa == null) {
            acc0.intoMemorySegment(out, at, ORDER);
            acc1.intoMemorySegment(out, at + v, ORDER);
            acc2.intoMemorySegment(out, at + 2 * v, ORDER);
            acc3.intoMemorySegment(out, at + 3 * v, ORDER);
        } else {
            int i = (int) (at >> 2);
            acc0.intoArray(oa, i);
            acc1.intoArray(oa, i + LANES);
            acc2.intoArray(oa, i + 2 * LANES);
            acc3.intoArray(oa, i + 3 * LANES);
        }
    }

    /**
     * {@link #interiorPair} for every group of a position without state-1 points when D = 2*LANES (see
     * interiorQuadAll): 1x56x56x64 (D = 16) on the AVX2 VM, two instances each, 1 thread x0.935, 2 threads
     * x0.93-0.96, fp16 x0.93; same bits. (D = 32 with 512-bit vectors takes it too, unmeasured there.)
     * Apart from {@link #interiorPair} for the reason given at {@link #interiorQuadAll}.
     */
    static void interiorPairAll(MemorySegment in, SamplingGeometry geo, int groups, int kPoints, long cs,
                                        long rs, MemorySegment out, float[] oa, long posBase) {
        int[] state = geo.state, c1 = geo.c1;
        float[] w1s = geo.w1, w2s = geo.w2, w3s = geo.w3, w4s = geo.w4, ms = geo.m;
        long rc = rs + cs, v = 4L * LANES;
        for (int g = 0, from = 0; g < groups; g++, from += kPoints) {
            FloatVector acc0 = FloatVector.zero(S), acc1 = acc0;
            for (int p = from, to = from + kPoints; p < to; p++) {
                if (state[p] == 0) {
                    continue;
                }
                FloatVector w1 = FloatVector.broadcast(S, w1s[p]), w2 = FloatVector.broadcast(S, w2s[p]);
                FloatVector w3 = FloatVector.broadcast(S, w3s[p]), w4 = FloatVector.broadcast(S, w4s[p]);
                long o = 4L * c1[p];
                FloatVector t = FloatVector.fromMemorySegment(S, in, o + cs, ORDER).mul(w2);
                FloatVector u = FloatVector.fromMemorySegment(S, in, o + cs + v, ORDER).mul(w2);
                t = FloatVector.fromMemorySegment(S, in, o, ORDER).fma(w1, t);
                u = FloatVector.fromMemorySegment(S, in, o + v, ORDER).fma(w1, u);
                t = FloatVector.fromMemorySegment(S, in, o + rs, ORDER).fma(w3, t);
                u = FloatVector.fromMemorySegment(S, in, o + rs + v, ORDER).fma(w3, u);
                t = FloatVector.fromMemorySegment(S, in, o + rc, ORDER).fma(w4, t);
                u = FloatVector.fromMemorySegment(S, in, o + rc + v, ORDER).fma(w4, u);
                FloatVector m = FloatVector.broadcast(S, ms[p]);
                acc0 = t.fma(m, acc0);
                acc1 = u.fma(m, acc1);
            }
            long at = posBase + 2 * v * g;                 // the group's D = 2*LANES channels
            if (oa == null) {
                acc0.intoMemorySegment(out, at, ORDER);
                acc1.intoMemorySegment(out, at + v, ORDER);
            } else {
                int i = (int) (at >> 2);
                acc0.intoArray(oa, i);
                acc1.intoArray(oa, i + LANES);
            }
        }
    }

    /**
     * {@link #interiorQuad} for every group of a position without state-1 points when D = 4*LANES:
     * one call per position instead of one per group (AVX2 VM, two instances each: 1 thread x0.96-0.97,
     * 2 threads x0.96-0.98; same bits). Kept apart from {@link #interiorQuad} on purpose: that method
     * generalised to this one's group loop (one group per call there) measured x1.03-1.08 slower at
     * D = 64 (1x56x56x256, three instances each), where groups take two passes per call.
     */
    static void interiorQuadAll(MemorySegment in, SamplingGeometry geo, int groups, int kPoints, long cs,
                                        long rs, MemorySegment out, float[] oa, long posBase) {
        int[] state = geo.state, c1 = geo.c1;
        float[] w1s = geo.w1, w2s = geo.w2, w3s = geo.w3, w4s = geo.w4, ms = geo.m;
        long rc = rs + cs, v = 4L * LANES;
        for (int g = 0, from = 0; g < groups; g++, from += kPoints) {
            FloatVector acc0 = FloatVector.zero(S), acc1 = acc0, acc2 = acc0, acc3 = acc0;
            for (int p = from, to = from + kPoints; p < to; p++) {
                if (state[p] == 0) {
                    continue;
                }
                FloatVector w1 = FloatVector.broadcast(S, w1s[p]), w2 = FloatVector.broadcast(S, w2s[p]);
                FloatVector w3 = FloatVector.broadcast(S, w3s[p]), w4 = FloatVector.broadcast(S, w4s[p]);
                FloatVector m = FloatVector.broadcast(S, ms[p]);
                long o = 4L * c1[p];
                FloatVector t = FloatVector.fromMemorySegment(S, in, o + cs, ORDER).mul(w2);
                FloatVector u = FloatVector.fromMemorySegment(S, in, o + cs + v, ORDER).mul(w2);
                t = FloatVector.fromMemorySegment(S, in, o, ORDER).fma(w1, t);
                u = FloatVector.fromMemorySegment(S, in, o + v, ORDER).fma(w1, u);
                t = FloatVector.fromMemorySegment(S, in, o + rs, ORDER).fma(w3, t);
                u = FloatVector.fromMemorySegment(S, in, o + rs + v, ORDER).fma(w3, u);
                t = FloatVector.fromMemorySegment(S, in, o + rc, ORDER).fma(w4, t);
                u = FloatVector.fromMemorySegment(S, in, o + rc + v, ORDER).fma(w4, u);
                acc0 = t.fma(m, acc0);
                acc1 = u.fma(m, acc1);
                o += 2 * v;
                t = FloatVector.fromMemorySegment(S, in, o + cs, ORDER).mul(w2);
                u = FloatVector.fromMemorySegment(S, in, o + cs + v, ORDER).mul(w2);
                t = FloatVector.fromMemorySegment(S, in, o, ORDER).fma(w1, t);
                u = FloatVector.fromMemorySegment(S, in, o + v, ORDER).fma(w1, u);
                t = FloatVector.fromMemorySegment(S, in, o + rs, ORDER).fma(w3, t);
                u = FloatVector.fromMemorySegment(S, in, o + rs + v, ORDER).fma(w3, u);
                t = FloatVector.fromMemorySegment(S, in, o + rc, ORDER).fma(w4, t);
                u = FloatVector.fromMemorySegment(S, in, o + rc + v, ORDER).fma(w4, u);
                acc2 = t.fma(m, acc2);
                acc3 = u.fma(m, acc3);
            }
            long at = posBase + 4 * v * g;                 // the group's D = 4*LANES channels
            if (oa == null) {
                acc0.intoMemorySegment(out, at, ORDER);
                acc1.intoMemorySegment(out, at + v, ORDER);
                acc2.intoMemorySegment(out, at + 2 * v, ORDER);
                acc3.intoMemorySegment(out, at + 3 * v, ORDER);
            } else {
                int i = (int) (at >> 2);
                acc0.intoArray(oa, i);
                acc1.intoArray(oa, i + LANES);
                acc2.intoArray(oa, i + 2 * LANES);
                acc3.intoArray(oa, i + 3 * LANES);
            }
        }
    }
}
