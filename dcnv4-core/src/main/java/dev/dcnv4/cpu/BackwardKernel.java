package dev.dcnv4.cpu;

import dev.dcnv4.arrays.NativeArray;
import dev.dcnv4.op.Dcnv4Config;
import dev.dcnv4.op.Dcnv4Problem;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * The backward pass over a contiguous range of output positions (one task's share).
 *
 * <p>Per (position, group) the geometry is computed once ({@link SamplingGeometry}); then per valid
 * point the group's D channels are walked {@link ForwardKernel#LANES} at a time:
 * <ul>
 *   <li>grad_input: every in-range corner gets {@code (t*m)*w} added into this task's own fp32
 *       buffer ({@code partial}); the caller sums the tasks' buffers in task order, so the result
 *       does not depend on thread timing and repeated runs are bit-identical;</li>
 *   <li>grad_offset_mask: the per-channel position derivatives and sampled values
 *       (docs/dcnv4-semantics.md 3.3 order) are accumulated as {@code fma(t, g, acc)} lanewise, then
 *       the lanes are summed left to right (never {@code reduceLanes}, whose order is unspecified),
 *       then the scalar tail; {@code dL/doff = (m*s) * sum}, {@code dL/dm = sum}. Softmax mode applies
 *       the Jacobian {@code g_k - p_k * sum_j g_j} with {@code g_k = p_k * dL/dp_k}.</li>
 * </ul>
 * Each (position) row of grad_offset_mask is written once, padding entries as 0.
 */
final class BackwardKernel {
    private static final VectorSpecies<Float> S = ForwardKernel.S;
    private static final int LANES = ForwardKernel.LANES;
    private static final ByteOrder ORDER = ByteOrder.nativeOrder();

    private final int positions, channels, groups, groupChannels, kPoints, offsetDim;
    private final float scale;
    private final boolean softmax;

    BackwardKernel(Dcnv4Problem problem) {
        Dcnv4Config c = problem.config();
        positions = problem.positions();
        channels = c.channels();
        groups = c.groups();
        groupChannels = c.groupChannels();
        kPoints = c.points();
        offsetDim = c.paddedOffsetDim();
        scale = c.offsetScale();
        softmax = c.softmax();
    }

    /** Per-task scratch: the offset_mask row in, its gradient row out, and a lane buffer. */
    static final class Rows {
        final float[] om, gom, lanes = new float[LANES];

        Rows(int offsetDim) {
            om = new float[offsetDim];
            gom = new float[offsetDim];
        }
    }

    /**
     * Positions [from, to): gradients of sum(output * gradOut).
     *
     * @param in      fp32 input
     * @param gradOut fp32 grad_output
     * @param partial this task's fp32 grad_input buffer (zeroed by the caller), input-sized
     * @param gradOm  grad_offset_mask (fp32 or storage precision), rows [from, to) written
     */
    void run(int from, int to, MemorySegment in, NativeArray om, MemorySegment gradOut, MemorySegment partial,
             NativeArray gradOm, SamplingGeometry geo, Rows rows) {
        int k3 = 3 * kPoints, d = groupChannels;
        float[] gom = rows.gom;
        for (int pos = from; pos < to; pos++) {
            int n = pos / positions, q = pos - n * positions;
            Storage.read(om, pos * offsetDim, rows.om, k3 * groups);
            Arrays.fill(gom, 0f);
            for (int g = 0; g < groups; g++) {
                geo.compute(rows.om, g * k3, n, q, g);
                long goBase = 4L * ((long) pos * channels + (long) g * d);
                int slot = g * k3;
                for (int k = 0; k < kPoints; k++) {
                    if (geo.state[k] == 0) {
                        continue;                // invalid: all three gradient slots stay 0
                    }
                    point(in, gradOut, partial, geo, k, goBase, gom, slot, rows.lanes);
                }
                if (softmax) {
                    softmaxJacobian(gom, slot + 2 * kPoints, geo.m);
                }
            }
            Storage.write(gom, gradOm, pos * offsetDim, offsetDim);
        }
    }

    /** One valid point: scatter into grad_input, reduce the three offset_mask gradients over D. */
    private void point(MemorySegment in, MemorySegment gradOut, MemorySegment partial, SamplingGeometry geo, int v,
                       long goBase, float[] gom, int slot, float[] lanes) {
        int d = groupChannels;
        int i1 = geo.c1[v], i2 = geo.c2[v], i3 = geo.c3[v], i4 = geo.c4[v];
        float w1 = geo.w1[v], w2 = geo.w2[v], w3 = geo.w3[v], w4 = geo.w4[v];
        float lx = geo.lx[v], ly = geo.ly[v], hx = geo.hx[v], hy = geo.hy[v], m = geo.m[v];
        FloatVector ax = FloatVector.zero(S), ay = ax, az = ax;
        FloatVector vw1 = FloatVector.broadcast(S, w1), vw3 = FloatVector.broadcast(S, w3);
        FloatVector vw4 = FloatVector.broadcast(S, w4);
        long o1 = 4L * i1, o2 = 4L * i2, o3 = 4L * i3, o4 = 4L * i4;
        FloatVector vw2 = FloatVector.broadcast(S, w2), vm = FloatVector.broadcast(S, m);
        FloatVector nhx = FloatVector.broadcast(S, -hx), nhy = FloatVector.broadcast(S, -hy);
        FloatVector nlx = FloatVector.broadcast(S, -lx), vhy = FloatVector.broadcast(S, hy);
        FloatVector vhx = FloatVector.broadcast(S, hx), nly = FloatVector.broadcast(S, -ly);
        FloatVector vlx = FloatVector.broadcast(S, lx), vly = FloatVector.broadcast(S, ly);
        FloatVector z = FloatVector.zero(S);
        // all vector work stays in this method: a vector passed to or returned from a call that is
        // not inlined would be boxed on the heap
        // channels LANES at a time; the last chunk is masked when D is not a multiple of LANES
        // (masked-off lanes load as 0 and are not stored, so they add nothing to the sums)
        for (int c = 0; c < d; c += LANES) {
            long co = 4L * c;
            VectorMask<Float> mask = S.indexInRange(c, d);
            FloatVector t = FloatVector.fromMemorySegment(S, gradOut, goBase + co, ORDER, mask);
            FloatVector v1 = i1 < 0 ? z : FloatVector.fromMemorySegment(S, in, o1 + co, ORDER, mask);
            FloatVector v2 = i2 < 0 ? z : FloatVector.fromMemorySegment(S, in, o2 + co, ORDER, mask);
            FloatVector v3 = i3 < 0 ? z : FloatVector.fromMemorySegment(S, in, o3 + co, ORDER, mask);
            FloatVector v4 = i4 < 0 ? z : FloatVector.fromMemorySegment(S, in, o4 + co, ORDER, mask);
            FloatVector gy = v1.mul(nhx);
            FloatVector gx = v1.mul(nhy);
            gy = v2.fma(nlx, gy);
            gx = v2.fma(vhy, gx);
            gy = v3.fma(vhx, gy);
            gx = v3.fma(nly, gx);
            gy = v4.fma(vlx, gy);
            gx = v4.fma(vly, gx);
            FloatVector val = v2.mul(vw2);
            val = v1.fma(vw1, val);
            val = v3.fma(vw3, val);
            val = v4.fma(vw4, val);
            ax = t.fma(gx, ax);
            ay = t.fma(gy, ay);
            az = t.fma(val, az);
            FloatVector tm = t.mul(vm);
            if (i1 >= 0) {
                tm.fma(vw1, FloatVector.fromMemorySegment(S, partial, o1 + co, ORDER, mask))
                        .intoMemorySegment(partial, o1 + co, ORDER, mask);
            }
            if (i2 >= 0) {
                tm.fma(vw2, FloatVector.fromMemorySegment(S, partial, o2 + co, ORDER, mask))
                        .intoMemorySegment(partial, o2 + co, ORDER, mask);
            }
            if (i3 >= 0) {
                tm.fma(vw3, FloatVector.fromMemorySegment(S, partial, o3 + co, ORDER, mask))
                        .intoMemorySegment(partial, o3 + co, ORDER, mask);
            }
            if (i4 >= 0) {
                tm.fma(vw4, FloatVector.fromMemorySegment(S, partial, o4 + co, ORDER, mask))
                        .intoMemorySegment(partial, o4 + co, ORDER, mask);
            }
        }
        // lanes summed left to right: a fixed order, the same in every JIT tier (reduceLanes' is unspecified)
        float sx = 0f, sy = 0f, sz = 0f;
        {
            ax.intoArray(lanes, 0);
            for (float x : lanes) {
                sx += x;
            }
            ay.intoArray(lanes, 0);
            for (float x : lanes) {
                sy += x;
            }
            az.intoArray(lanes, 0);
            for (float x : lanes) {
                sz += x;
            }
        }
        int k = v;
        float ms = m * scale;
        gom[slot + 2 * k] = ms * sx;
        gom[slot + 2 * k + 1] = ms * sy;
        gom[slot + 2 * kPoints + k] = sz;
    }

    /** In place on the K weight gradients at {@code from}: z_k = g_k - p_k * sum_j g_j, g_k = p_k * dL/dp_k. */
    private void softmaxJacobian(float[] gom, int from, float[] p) {
        float sum = 0f;
        for (int k = 0; k < kPoints; k++) {
            float g = gom[from + k] * p[k];
            gom[from + k] = g;
            sum += g;
        }
        for (int k = 0; k < kPoints; k++) {
            gom[from + k] = gom[from + k] - p[k] * sum;
        }
    }
}
