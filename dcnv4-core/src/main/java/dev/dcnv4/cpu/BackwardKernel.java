package dev.dcnv4.cpu;

import dev.dcnv4.arrays.NativeArray;
import dev.dcnv4.op.Dcnv4Config;
import dev.dcnv4.op.Dcnv4Problem;
import jdk.incubator.vector.FloatVector;
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
                for (int v = 0, cnt = geo.count; v < cnt; v++) {
                    point(in, gradOut, partial, geo, v, goBase, gom, slot, rows.lanes);
                }
                if (softmax) {
                    softmaxJacobian(gom, slot + 2 * kPoints, geo.weights);
                }
            }
            Storage.write(gom, gradOm, pos * offsetDim, offsetDim);
        }
    }

    /** One valid point: scatter into grad_input, reduce the three offset_mask gradients over D. */
    private void point(MemorySegment in, MemorySegment gradOut, MemorySegment partial, SamplingGeometry geo, int v,
                       long goBase, float[] gom, int slot, float[] lanes) {
        int d = groupChannels, vecEnd = d - d % LANES;
        int i1 = geo.c1[v], i2 = geo.c2[v], i3 = geo.c3[v], i4 = geo.c4[v];
        float w1 = geo.w1[v], w2 = geo.w2[v], w3 = geo.w3[v], w4 = geo.w4[v];
        float lx = geo.lx[v], ly = geo.ly[v], hx = geo.hx[v], hy = geo.hy[v], m = geo.m[v];
        FloatVector ax = FloatVector.zero(S), ay = ax, az = ax;
        FloatVector vw1 = FloatVector.broadcast(S, w1), vw3 = FloatVector.broadcast(S, w3);
        FloatVector vw4 = FloatVector.broadcast(S, w4);
        for (int c = 0; c < vecEnd; c += LANES) {
            long co = 4L * c;
            FloatVector t = FloatVector.fromMemorySegment(S, gradOut, goBase + co, ORDER);
            FloatVector v1 = ForwardKernel.corner(in, i1, co), v2 = ForwardKernel.corner(in, i2, co);
            FloatVector v3 = ForwardKernel.corner(in, i3, co), v4 = ForwardKernel.corner(in, i4, co);
            FloatVector gy = v1.mul(-hx);
            FloatVector gx = v1.mul(-hy);
            gy = v2.fma(FloatVector.broadcast(S, -lx), gy);
            gx = v2.fma(FloatVector.broadcast(S, hy), gx);
            gy = v3.fma(FloatVector.broadcast(S, hx), gy);
            gx = v3.fma(FloatVector.broadcast(S, -ly), gx);
            gy = v4.fma(FloatVector.broadcast(S, lx), gy);
            gx = v4.fma(FloatVector.broadcast(S, ly), gx);
            FloatVector val = v2.mul(w2);
            val = v1.fma(vw1, val);
            val = v3.fma(vw3, val);
            val = v4.fma(vw4, val);
            ax = t.fma(gx, ax);
            ay = t.fma(gy, ay);
            az = t.fma(val, az);
            FloatVector tm = t.mul(m);
            scatter(partial, i1, co, tm, vw1);
            scatter(partial, i2, co, tm, FloatVector.broadcast(S, w2));
            scatter(partial, i3, co, tm, vw3);
            scatter(partial, i4, co, tm, vw4);
        }
        float sx = sumLanes(ax, lanes), sy = sumLanes(ay, lanes), sz = sumLanes(az, lanes);
        for (int c = vecEnd; c < d; c++) {
            float t = gradOut.get(Storage.F32, goBase + 4L * c);
            float v1 = ForwardKernel.value(in, i1, c), v2 = ForwardKernel.value(in, i2, c);
            float v3 = ForwardKernel.value(in, i3, c), v4 = ForwardKernel.value(in, i4, c);
            float gy = -hx * v1, gx = -hy * v1;
            gy = Math.fma(-lx, v2, gy);
            gx = Math.fma(hy, v2, gx);
            gy = Math.fma(hx, v3, gy);
            gx = Math.fma(-ly, v3, gx);
            gy = Math.fma(lx, v4, gy);
            gx = Math.fma(ly, v4, gx);
            float val = Math.fma(w4, v4, Math.fma(w3, v3, Math.fma(w1, v1, w2 * v2)));
            sx = Math.fma(t, gx, sx);
            sy = Math.fma(t, gy, sy);
            sz = Math.fma(t, val, sz);
            float tm = t * m;
            scatterScalar(partial, i1, c, tm * w1);
            scatterScalar(partial, i2, c, tm * w2);
            scatterScalar(partial, i3, c, tm * w3);
            scatterScalar(partial, i4, c, tm * w4);
        }
        int k = geo.point[v];
        float ms = m * scale;
        gom[slot + 2 * k] = ms * sx;
        gom[slot + 2 * k + 1] = ms * sy;
        gom[slot + 2 * kPoints + k] = sz;
    }

    private static void scatter(MemorySegment partial, int index, long co, FloatVector tm, FloatVector w) {
        if (index >= 0) {
            long at = 4L * index + co;
            tm.fma(w, FloatVector.fromMemorySegment(S, partial, at, ORDER)).intoMemorySegment(partial, at, ORDER);
        }
    }

    private static void scatterScalar(MemorySegment partial, int index, int c, float add) {
        if (index >= 0) {
            long at = 4L * (index + c);
            partial.set(Storage.F32, at, partial.get(Storage.F32, at) + add);
        }
    }

    /** Lanes summed left to right: a fixed order, so the result is the same in every JIT tier. */
    private static float sumLanes(FloatVector v, float[] lanes) {
        v.intoArray(lanes, 0);
        float s = 0f;
        for (float x : lanes) {
            s += x;
        }
        return s;
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
