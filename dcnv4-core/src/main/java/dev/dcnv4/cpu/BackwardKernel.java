package dev.dcnv4.cpu;

import dev.dcnv4.arrays.NativeArray;
import dev.dcnv4.op.Dcnv4Config;
import dev.dcnv4.op.Dcnv4Problem;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorShuffle;
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
 *   <li>grad_input: every in-range corner gets {@code (t*m)*w} added into this chunk's own fp32
 *       buffer ({@code partial}), whose rows are zeroed when first touched and flagged in
 *       {@code touched}; the caller sums the chunks' rows in chunk order, so the result depends
 *       neither on thread timing nor on the thread count, and repeated runs are bit-identical;</li>
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

    /** Lane rotations for the lane-sum tree: lane i takes lane (i + step) mod LANES. */
    private static final VectorShuffle<Float> ROT8 = rotation(8), ROT4 = rotation(4), ROT2 = rotation(2),
            ROT1 = rotation(1);

    private final int positions, channels, groups, groupChannels, kPoints, offsetDim;
    private final float scale;
    private final boolean softmax;
    /** Floats per input row, W*C. */
    private final long rowFloats;

    BackwardKernel(Dcnv4Problem problem) {
        rowFloats = (long) problem.width() * problem.config().channels();
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

    /** The packed 16-lane tree ({@link #point}): rotations by 4, 2, 1 within 8-, 4-, 2-lane blocks. */
    private static final VectorShuffle<Float> IN8 = blockRotation(8), IN4 = blockRotation(4), IN2 = blockRotation(2);
    /** Lanes 8-15, and lanes 4-7. */
    private static final VectorMask<Float> HIGH8 = VectorMask.fromLong(S, 0xFF00L), Z4 = VectorMask.fromLong(S, 0xF0L);

    private static VectorShuffle<Float> blockRotation(int block) {
        return VectorShuffle.fromOp(S, i -> (i & -block) | ((i + block / 2) & (block - 1)));
    }

    private static VectorShuffle<Float> rotation(int step) {
        return VectorShuffle.fromOp(S, i -> (i + step) % LANES);
    }

    /**
     * Zeroes the rows of {@code partial} that point k scatters into, the first time this chunk touches
     * them: a chunk's buffer is only ever read where {@code touched} says it was written.
     */
    private void touch(MemorySegment partial, boolean[] touched, SamplingGeometry geo, int k) {
        int r = geo.row[k];
        if ((geo.c1[k] >= 0 || geo.c2[k] >= 0) && !touched[r]) {
            partial.asSlice(4L * r * rowFloats, 4L * rowFloats).fill((byte) 0);
            touched[r] = true;
        }
        if ((geo.c3[k] >= 0 || geo.c4[k] >= 0) && !touched[r + 1]) {
            partial.asSlice(4L * (r + 1) * rowFloats, 4L * rowFloats).fill((byte) 0);
            touched[r + 1] = true;
        }
    }

    /** Per-task scratch: the offset_mask row in, its gradient row out, and a lane buffer. */
    static final class Rows {
        final float[] om, gom, sums = new float[3];
        final short[] halves;

        Rows(int offsetDim) {
            om = new float[offsetDim];
            gom = new float[offsetDim];
            halves = new short[offsetDim];
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
             boolean[] touched, NativeArray gradOm, SamplingGeometry geo, Rows rows) {
        int k3 = 3 * kPoints, d = groupChannels;
        float[] gom = rows.gom;
        for (int pos = from; pos < to; pos++) {
            int n = pos / positions, q = pos - n * positions;
            Storage.read(om, pos * offsetDim, rows.om, offsetDim, rows.halves);
            Arrays.fill(gom, 0f);
            for (int g = 0; g < groups; g++) {
                geo.compute(rows.om, g * k3, n, q, g);
                long goBase = 4L * ((long) pos * channels + (long) g * d);
                int slot = g * k3;
                for (int k = 0; k < kPoints; k++) {
                    if (geo.state[k] == 0) {
                        continue;                // invalid: all three gradient slots stay 0
                    }
                    touch(partial, touched, geo, k);
                    point(in, gradOut, partial, geo, k, goBase, gom, slot, rows.sums);
                }
                if (softmax) {
                    softmaxJacobian(gom, slot + 2 * kPoints, geo.m);
                }
            }
            Storage.write(gom, gradOm, pos * offsetDim, offsetDim);
        }
    }

    /**
     * One valid point k: scatter into grad_input, reduce the three offset_mask gradients over D.
     * Per channel, docs/dcnv4-semantics.md 3.3's order:
     * <pre>
     *   gy = -hx*v1; gx = -hy*v1; gy = fma(-lx, v2, gy); gx = fma(hy, v2, gx); gy = fma(hx, v3, gy);
     *   gx = fma(-ly, v3, gx); gy = fma(lx, v4, gy); gx = fma(ly, v4, gx)
     *   val = fma(w4, v4, fma(w3, v3, fma(w1, v1, w2*v2)))
     *   sum_x = fma(t, gx, sum_x) ...;  grad_input[corner] += (t*m) * w_corner
     * </pre>
     * All vector work stays inside this method (a vector passed to or returned from a call that is not
     * inlined is boxed on the heap); channels past the last full vector go through {@link #scalarTail}.
     */
    private void point(MemorySegment in, MemorySegment gradOut, MemorySegment partial, SamplingGeometry geo, int k,
                       long goBase, float[] gom, int slot, float[] sums) {
        int d = groupChannels, vecEnd = d - d % LANES;
        int i1 = geo.c1[k], i2 = geo.c2[k], i3 = geo.c3[k], i4 = geo.c4[k];
        long o1 = 4L * i1, o2 = 4L * i2, o3 = 4L * i3, o4 = 4L * i4;
        float lx = geo.lx[k], ly = geo.ly[k], hx = geo.hx[k], hy = geo.hy[k], m = geo.m[k];
        FloatVector w1 = FloatVector.broadcast(S, geo.w1[k]), w2 = FloatVector.broadcast(S, geo.w2[k]);
        FloatVector w3 = FloatVector.broadcast(S, geo.w3[k]), w4 = FloatVector.broadcast(S, geo.w4[k]);
        FloatVector nhx = FloatVector.broadcast(S, -hx), nhy = FloatVector.broadcast(S, -hy);
        FloatVector nlx = FloatVector.broadcast(S, -lx), vhy = FloatVector.broadcast(S, hy);
        FloatVector vhx = FloatVector.broadcast(S, hx), nly = FloatVector.broadcast(S, -ly);
        FloatVector vlx = FloatVector.broadcast(S, lx), vly = FloatVector.broadcast(S, ly);
        FloatVector vm = FloatVector.broadcast(S, m), z = FloatVector.zero(S);
        FloatVector ax = z, ay = z, az = z;
        for (int c = 0; c < vecEnd; c += LANES) {
            long co = 4L * c;
            FloatVector t = FloatVector.fromMemorySegment(S, gradOut, goBase + co, ORDER);
            FloatVector v1 = i1 < 0 ? z : FloatVector.fromMemorySegment(S, in, o1 + co, ORDER);
            FloatVector v2 = i2 < 0 ? z : FloatVector.fromMemorySegment(S, in, o2 + co, ORDER);
            FloatVector v3 = i3 < 0 ? z : FloatVector.fromMemorySegment(S, in, o3 + co, ORDER);
            FloatVector v4 = i4 < 0 ? z : FloatVector.fromMemorySegment(S, in, o4 + co, ORDER);
            FloatVector gy = v1.mul(nhx);
            FloatVector gx = v1.mul(nhy);
            gy = v2.fma(nlx, gy);
            gx = v2.fma(vhy, gx);
            gy = v3.fma(vhx, gy);
            gx = v3.fma(nly, gx);
            gy = v4.fma(vlx, gy);
            gx = v4.fma(vly, gx);
            FloatVector val = v2.mul(w2);
            val = v1.fma(w1, val);
            val = v3.fma(w3, val);
            val = v4.fma(w4, val);
            ax = t.fma(gx, ax);
            ay = t.fma(gy, ay);
            az = t.fma(val, az);
            FloatVector tm = t.mul(vm);
            if (i1 >= 0) {
                tm.fma(w1, FloatVector.fromMemorySegment(S, partial, o1 + co, ORDER)).intoMemorySegment(partial, o1 + co, ORDER);
            }
            if (i2 >= 0) {
                tm.fma(w2, FloatVector.fromMemorySegment(S, partial, o2 + co, ORDER)).intoMemorySegment(partial, o2 + co, ORDER);
            }
            if (i3 >= 0) {
                tm.fma(w3, FloatVector.fromMemorySegment(S, partial, o3 + co, ORDER)).intoMemorySegment(partial, o3 + co, ORDER);
            }
            if (i4 >= 0) {
                tm.fma(w4, FloatVector.fromMemorySegment(S, partial, o4 + co, ORDER)).intoMemorySegment(partial, o4 + co, ORDER);
            }
        }
        // lanes summed by a fixed pairwise tree of explicit vector adds (lane i + lane i+step), the same
        // in every JIT tier; reduceLanes is avoided because its order is unspecified
        // (constant shuffles, one guarded step per power of two: a list of shuffles cost 40% of the pass)
        if (LANES == 16) {
            // the same tree with the three sums packed into one vector as lanes free up: x in lanes
            // 0-7, y in 8-15 after the first step, z joins in lanes 4-7 after the second; shuffles
            // rotate within 8-, then 4-, then 2-lane blocks. Every add pairs the same two partial sums
            // as the unpacked tree below (float addition is commutative), so the sums are bit-identical,
            // with 7 shuffles and 7 adds instead of 12 and 12
            FloatVector xy = ax.add(ax.rearrange(ROT8)).blend(ay.add(ay.rearrange(ROT8)), HIGH8);
            FloatVector zz = az.add(az.rearrange(ROT8));
            xy = xy.add(xy.rearrange(IN8));                       // x 0-3 (again 4-7), y 8-11
            zz = zz.add(zz.rearrange(IN8));                       // z 0-3 and 4-7
            FloatVector r = xy.blend(zz, Z4);                     // x 0-3, z 4-7, y 8-11
            r = r.add(r.rearrange(IN4));                          // x 0-1, z 4-5, y 8-9
            r = r.add(r.rearrange(IN2));                          // x 0, z 4, y 8
            sums[0] = r.lane(0);
            sums[1] = r.lane(8);
            sums[2] = r.lane(4);
        } else {
            if (LANES >= 8) {
                ax = ax.add(ax.rearrange(ROT4));
                ay = ay.add(ay.rearrange(ROT4));
                az = az.add(az.rearrange(ROT4));
            }
            if (LANES >= 4) {
                ax = ax.add(ax.rearrange(ROT2));
                ay = ay.add(ay.rearrange(ROT2));
                az = az.add(az.rearrange(ROT2));
            }
            ax = ax.add(ax.rearrange(ROT1));
            ay = ay.add(ay.rearrange(ROT1));
            az = az.add(az.rearrange(ROT1));
            sums[0] = ax.lane(0);
            sums[1] = ay.lane(0);
            sums[2] = az.lane(0);
        }
        if (vecEnd < d) {
            scalarTail(in, gradOut, partial, geo, k, vecEnd, d, goBase, sums);
        }
        float ms = m * scale;
        gom[slot + 2 * k] = ms * sums[0];
        gom[slot + 2 * k + 1] = ms * sums[1];
        gom[slot + 2 * kPoints + k] = sums[2];
    }

    /** Channels [from, d) one at a time, same order as the vector path; adds to sums[0..2]. */
    private static void scalarTail(MemorySegment in, MemorySegment gradOut, MemorySegment partial,
                                   SamplingGeometry geo, int k, int from, int d, long goBase, float[] sums) {
        int i1 = geo.c1[k], i2 = geo.c2[k], i3 = geo.c3[k], i4 = geo.c4[k];
        float w1 = geo.w1[k], w2 = geo.w2[k], w3 = geo.w3[k], w4 = geo.w4[k], m = geo.m[k];
        float lx = geo.lx[k], ly = geo.ly[k], hx = geo.hx[k], hy = geo.hy[k];
        float sx = sums[0], sy = sums[1], sz = sums[2];
        for (int c = from; c < d; c++) {
            float t = gradOut.get(Storage.F32, goBase + 4L * c);
            float v1 = value(in, i1, c), v2 = value(in, i2, c), v3 = value(in, i3, c), v4 = value(in, i4, c);
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
            add(partial, i1, c, tm * w1);
            add(partial, i2, c, tm * w2);
            add(partial, i3, c, tm * w3);
            add(partial, i4, c, tm * w4);
        }
        sums[0] = sx;
        sums[1] = sy;
        sums[2] = sz;
    }

    private static float value(MemorySegment in, int index, int c) {
        return index < 0 ? 0f : in.get(Storage.F32, 4L * (index + c));
    }

    private static void add(MemorySegment partial, int index, int c, float x) {
        if (index >= 0) {
            long at = 4L * (index + c);
            partial.set(Storage.F32, at, partial.get(Storage.F32, at) + x);
        }
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
