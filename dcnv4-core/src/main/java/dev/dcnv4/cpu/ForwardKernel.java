package dev.dcnv4.cpu;

import dev.dcnv4.arrays.NativeArray;
import dev.dcnv4.op.Dcnv4Config;
import dev.dcnv4.op.Dcnv4Problem;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;

/**
 * The forward pass over a contiguous range of output positions (one task's share).
 *
 * <p>Per (position, group) {@link SamplingGeometry} reads the 3K offsets and weights once and
 * computes the K points' corner indices and bilinear weights once; the D channels of the group are
 * then processed {@link #LANES} at a time with the Vector API, with a scalar tail for D not a
 * multiple of the vector width. Every channel follows the canonical order of
 * docs/dcnv4-semantics.md 2.6 with fused multiply-adds ({@code FloatVector.fma} is lanewise
 * {@code Math.fma}), so fp32 results are bit-identical to the official CUDA kernel's:
 *
 * <pre>
 *   t = w2*v2;  t = fma(w1, v1, t);  t = fma(w3, v3, t);  t = fma(w4, v4, t);  acc = fma(m, t, acc)
 * </pre>
 *
 * Input and output are fp32 segments (the caller's own arrays for fp32 storage, the workspace's
 * widened copies for fp16/bf16). Corners outside the image read as zero vectors.
 */
final class ForwardKernel {
    static final VectorSpecies<Float> S = Lanes.SPECIES;
    static final int LANES = S.length();
    private static final ByteOrder ORDER = ByteOrder.nativeOrder();

    private final int positions, channels, groups, groupChannels, kPoints, offsetDim;

    ForwardKernel(Dcnv4Problem problem) {
        Dcnv4Config c = problem.config();
        positions = problem.positions();
        channels = c.channels();
        groups = c.groups();
        groupChannels = c.groupChannels();
        kPoints = c.points();
        offsetDim = c.paddedOffsetDim();
    }

    /**
     * Computes output positions [from, to) (flat over batch and H_out*W_out).
     *
     * @param in    fp32 input (N, H, W, C)
     * @param om    offset_mask in its storage precision
     * @param out   fp32 output (N, H_out, W_out, C)
     * @param geo   this task's geometry scratch
     * @param omRow this task's buffer of at least 3*K*G floats
     */
    void run(int from, int to, MemorySegment in, NativeArray om, MemorySegment out, SamplingGeometry geo,
             float[] omRow) {
        int k3 = 3 * kPoints, d = groupChannels, vecEnd = d - d % LANES;
        for (int pos = from; pos < to; pos++) {
            int n = pos / positions, q = pos - n * positions;
            Storage.read(om, pos * offsetDim, omRow, k3 * groups);
            for (int g = 0; g < groups; g++) {
                geo.compute(omRow, g * k3, n, q, g);
                long outBase = 4L * ((long) pos * channels + (long) g * d);
                for (int c = 0; c < vecEnd; c += LANES) {
                    vectorChunk(in, geo, 4L * c).intoMemorySegment(out, outBase + 4L * c, ORDER);
                }
                for (int c = vecEnd; c < d; c++) {
                    out.set(Storage.F32, outBase + 4L * c, scalarChannel(in, geo, c));
                }
            }
        }
    }

    /** LANES channels starting at byte offset {@code co} within the group, all valid points. */
    private static FloatVector vectorChunk(MemorySegment in, SamplingGeometry geo, long co) {
        FloatVector acc = FloatVector.zero(S);
        int[] c1 = geo.c1, c2 = geo.c2, c3 = geo.c3, c4 = geo.c4;
        for (int v = 0, cnt = geo.count; v < cnt; v++) {
            FloatVector v1, v2, v3, v4;
            if (geo.interior[v]) {
                v1 = FloatVector.fromMemorySegment(S, in, 4L * c1[v] + co, ORDER);
                v2 = FloatVector.fromMemorySegment(S, in, 4L * c2[v] + co, ORDER);
                v3 = FloatVector.fromMemorySegment(S, in, 4L * c3[v] + co, ORDER);
                v4 = FloatVector.fromMemorySegment(S, in, 4L * c4[v] + co, ORDER);
            } else {
                v1 = corner(in, c1[v], co);
                v2 = corner(in, c2[v], co);
                v3 = corner(in, c3[v], co);
                v4 = corner(in, c4[v], co);
            }
            FloatVector t = v2.mul(geo.w2[v]);
            t = v1.fma(FloatVector.broadcast(S, geo.w1[v]), t);
            t = v3.fma(FloatVector.broadcast(S, geo.w3[v]), t);
            t = v4.fma(FloatVector.broadcast(S, geo.w4[v]), t);
            acc = t.fma(FloatVector.broadcast(S, geo.m[v]), acc);
        }
        return acc;
    }

    /** A corner's vector, or zeros for a corner outside the image (index -1). */
    static FloatVector corner(MemorySegment in, int index, long co) {
        return index < 0 ? FloatVector.zero(S) : FloatVector.fromMemorySegment(S, in, 4L * index + co, ORDER);
    }

    /** One channel {@code c} of the group, same order as the vector path. */
    private static float scalarChannel(MemorySegment in, SamplingGeometry geo, int c) {
        float acc = 0f;
        for (int v = 0, cnt = geo.count; v < cnt; v++) {
            float v1 = value(in, geo.c1[v], c), v2 = value(in, geo.c2[v], c);
            float v3 = value(in, geo.c3[v], c), v4 = value(in, geo.c4[v], c);
            float t = geo.w2[v] * v2;
            t = Math.fma(geo.w1[v], v1, t);
            t = Math.fma(geo.w3[v], v3, t);
            t = Math.fma(geo.w4[v], v4, t);
            acc = Math.fma(geo.m[v], t, acc);
        }
        return acc;
    }

    static float value(MemorySegment in, int index, int c) {
        return index < 0 ? 0f : in.get(Storage.F32, 4L * (index + c));
    }
}
