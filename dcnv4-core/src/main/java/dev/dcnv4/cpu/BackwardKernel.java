package dev.dcnv4.cpu;

import dev.dcnv4.arrays.NativeArray;
import dev.dcnv4.op.Dcnv4Config;
import dev.dcnv4.op.Dcnv4Problem;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * The backward pass over a contiguous range of output positions (one task's share).
 *
 * <p>Per position the geometry of all G*K points is computed once ({@link SamplingGeometry}); then
 * per valid point the group's D channels are walked {@link ForwardKernel#LANES} at a time, with the
 * upstream gradient {@code t_c} of each channel:
 * <ul>
 *   <li>grad_input: every in-range corner gets {@code (t*m)*w} added into this chunk's own fp32
 *       buffer ({@code partial}), whose rows are zeroed when first touched and flagged in
 *       {@code touched}; the caller sums the chunks' rows in chunk order, so the result depends
 *       neither on thread timing nor on the thread count, and repeated runs are bit-identical;</li>
 *   <li>grad_offset_mask: only the four corner sums {@code S_j = sum_c t_c * v_j,c} are accumulated
 *       per channel (four fused multiply-adds), because every gradient of the point is linear in them
 *       (docs/dcnv4-semantics.md 3.2):
 *       <pre>
 *   dL/dx = m * (hy*(S2 - S1) + ly*(S4 - S3))      dL/doffx = s * dL/dx   (m*s rounded first)
 *   dL/dy = m * (hx*(S3 - S1) + lx*(S4 - S2))      dL/doffy = s * dL/dy
 *   dL/dm = w1*S1 + w2*S2 + w3*S3 + w4*S4
 *       </pre>
 *       (the official kernel forms the per-channel derivatives first and needs 15 operations per
 *       channel; the rounding errors of the two are of the same order, eps * sum|t*v|). The lanes
 *       of each S_j are summed by a fixed pairwise tree (never {@code reduceLanes}, whose order is
 *       unspecified), then the scalar tail channels are added in order. The combination above runs
 *       once per position over all points as vectors. Softmax mode applies the Jacobian
 *       {@code g_k - p_k * sum_j g_j} with {@code g_k = p_k * dL/dp_k}.</li>
 * </ul>
 * Each (position) row of grad_offset_mask is written once; invalid points and padding entries as 0.
 */
final class BackwardKernel {
    private static final VectorSpecies<Float> S = ForwardKernel.S;
    @SuppressWarnings("unchecked")
    private static final VectorSpecies<Integer> I = (VectorSpecies<Integer>) S.withLanes(int.class);
    private static final int LANES = ForwardKernel.LANES;
    private static final ByteOrder ORDER = ByteOrder.nativeOrder();

    /**
     * Where a point's four corner sums sit in its 16-float block of {@link Rows#sums}: the packed
     * 16-lane tree leaves S1 in lane 0, S3 in lane 4, S2 in lane 8 and S4 in lane 12.
     */
    private static final int AT1 = 0, AT2 = 8, AT3 = 4, AT4 = 12, BLOCK = 16;

    /** The packed tree: lane i takes lane (i + 8) mod 16; rotations by 4, 2, 1 within 8-, 4-, 2-lane blocks. */
    private static final VectorShuffle<Float> ROT8 = rotation(Math.min(8, LANES / 2)),
            IN8 = blockRotation(8), IN4 = blockRotation(4), IN2 = blockRotation(2);
    /** Lanes 8-15; lanes 4-7 and 12-15. */
    private static final VectorMask<Float> HIGH8 = VectorMask.fromLong(S, 0xFF00L), Z4 = VectorMask.fromLong(S, 0xF0F0L);
    /** Rotations for the plain tree of narrower vectors (lane i takes lane i + step). */
    private static final VectorShuffle<Float> ROT4 = rotation(4 % LANES), ROT2 = rotation(2 % LANES),
            ROT1 = rotation(1);

    private final int positions, width, channels, groups, groupChannels, kPoints, offsetDim;
    private final float scale;
    private final boolean softmax;
    /** Floats per input row, W*C. */
    private final long rowFloats;

    BackwardKernel(Dcnv4Problem problem) {
        rowFloats = (long) problem.width() * problem.config().channels();
        Dcnv4Config c = problem.config();
        positions = problem.positions();
        width = problem.width();
        channels = c.channels();
        groups = c.groups();
        groupChannels = c.groupChannels();
        kPoints = c.points();
        offsetDim = c.paddedOffsetDim();
        scale = c.offsetScale();
        softmax = c.softmax();
    }

    private static VectorShuffle<Float> blockRotation(int block) {
        int b = Math.min(block, LANES);
        return VectorShuffle.fromOp(S, i -> (i & -b) | ((i + b / 2) & (b - 1)));
    }

    private static VectorShuffle<Float> rotation(int step) {
        return VectorShuffle.fromOp(S, i -> (i + step) % LANES);
    }

    /** Per-task scratch: the offset_mask row in, its gradient row out, the points' corner sums. */
    static final class Rows {
        final float[] om, gom, sums;
        final short[] halves;
        /** Per lane p: where point p's S1..S4 sit in {@link #sums}. */
        final int[] at1, at2, at3, at4;

        Rows(int offsetDim, int points) {
            om = new float[offsetDim];
            gom = new float[offsetDim];
            halves = new short[offsetDim];
            int padded = (points + LANES - 1) / LANES * LANES;
            sums = new float[BLOCK * padded];
            at1 = new int[padded];
            at2 = new int[padded];
            at3 = new int[padded];
            at4 = new int[padded];
            for (int p = 0; p < padded; p++) {
                at1[p] = BLOCK * p + AT1;
                at2[p] = BLOCK * p + AT2;
                at3[p] = BLOCK * p + AT3;
                at4[p] = BLOCK * p + AT4;
            }
        }
    }

    /**
     * Positions [from, to): gradients of sum(output * gradOut).
     *
     * @param in      fp32 input
     * @param gradOut fp32 grad_output
     * @param partial this task's fp32 grad_input buffer, input-sized; a row is zeroed here when
     *                {@code touched} says this chunk has not written it yet
     * @param gradOm  grad_offset_mask (fp32 or storage precision), rows [from, to) written
     */
    void run(int from, int to, MemorySegment in, NativeArray om, MemorySegment gradOut, MemorySegment partial,
             boolean[] touched, NativeArray gradOm, SamplingGeometry geo, Rows rows) {
        int d = groupChannels;
        long cs = 4L * channels, rs = cs * width;
        for (int pos = from; pos < to; pos++) {
            int n = pos / positions, q = pos - n * positions;
            Storage.read(om, pos * offsetDim, rows.om, offsetDim, rows.halves);
            geo.compute(rows.om, n, q);
            for (int r = geo.firstRow; r <= geo.lastRow; r++) {
                if (!touched[r]) {
                    partial.asSlice(4L * r * rowFloats, 4L * rowFloats).fill((byte) 0);
                    touched[r] = true;
                }
            }
            for (int g = 0; g < groups; g++) {
                long goBase = 4L * ((long) pos * channels + (long) g * d);
                for (int p = g * kPoints, end = p + kPoints; p < end; p++) {
                    if (geo.state[p] != 0) {
                        point(in, gradOut, partial, geo, p, goBase, cs, rs, rows.sums);
                    }
                }
            }
            gradients(geo, rows);
            Storage.write(rows.gom, gradOm, pos * offsetDim, offsetDim);
        }
    }

    /**
     * One valid point p: scatter {@code (t*m)*w_j} into grad_input and accumulate the corner sums
     * S1..S4 over the group's channels into {@code sums[16p ..]} (see {@link #AT1}). All vector work
     * stays inside this method (a vector passed to or returned from a call that is not inlined is
     * boxed); channels past the last full vector go through {@link #scalarTail}.
     */
    private void point(MemorySegment in, MemorySegment gradOut, MemorySegment partial, SamplingGeometry geo, int p,
                       long goBase, long cs, long rs, float[] sums) {
        int d = groupChannels, vecEnd = d - d % LANES;
        FloatVector w1 = FloatVector.broadcast(S, geo.w1[p]), w2 = FloatVector.broadcast(S, geo.w2[p]);
        FloatVector w3 = FloatVector.broadcast(S, geo.w3[p]), w4 = FloatVector.broadcast(S, geo.w4[p]);
        FloatVector vm = FloatVector.broadcast(S, geo.m[p]), z = FloatVector.zero(S);
        FloatVector s1 = z, s2 = z, s3 = z, s4 = z;
        if (geo.state[p] == 2) {
            // all four corners inside: the others are cs bytes right and rs bytes below the first
            long o1 = 4L * geo.c1[p], o2 = o1 + cs, o3 = o1 + rs, o4 = o3 + cs;
            for (int c = 0; c < vecEnd; c += LANES) {
                long co = 4L * c;
                FloatVector t = FloatVector.fromMemorySegment(S, gradOut, goBase + co, ORDER);
                FloatVector v1 = FloatVector.fromMemorySegment(S, in, o1 + co, ORDER);
                FloatVector v2 = FloatVector.fromMemorySegment(S, in, o2 + co, ORDER);
                FloatVector v3 = FloatVector.fromMemorySegment(S, in, o3 + co, ORDER);
                FloatVector v4 = FloatVector.fromMemorySegment(S, in, o4 + co, ORDER);
                s1 = t.fma(v1, s1);
                s2 = t.fma(v2, s2);
                s3 = t.fma(v3, s3);
                s4 = t.fma(v4, s4);
                FloatVector tm = t.mul(vm);
                tm.fma(w1, FloatVector.fromMemorySegment(S, partial, o1 + co, ORDER)).intoMemorySegment(partial, o1 + co, ORDER);
                tm.fma(w2, FloatVector.fromMemorySegment(S, partial, o2 + co, ORDER)).intoMemorySegment(partial, o2 + co, ORDER);
                tm.fma(w3, FloatVector.fromMemorySegment(S, partial, o3 + co, ORDER)).intoMemorySegment(partial, o3 + co, ORDER);
                tm.fma(w4, FloatVector.fromMemorySegment(S, partial, o4 + co, ORDER)).intoMemorySegment(partial, o4 + co, ORDER);
            }
        } else {
            int i1 = geo.c1[p], i2 = geo.c2[p], i3 = geo.c3[p], i4 = geo.c4[p];
            long o1 = 4L * i1, o2 = 4L * i2, o3 = 4L * i3, o4 = 4L * i4;
            for (int c = 0; c < vecEnd; c += LANES) {
                long co = 4L * c;
                FloatVector t = FloatVector.fromMemorySegment(S, gradOut, goBase + co, ORDER);
                FloatVector tm = t.mul(vm);
                if (i1 >= 0) {
                    s1 = t.fma(FloatVector.fromMemorySegment(S, in, o1 + co, ORDER), s1);
                    tm.fma(w1, FloatVector.fromMemorySegment(S, partial, o1 + co, ORDER)).intoMemorySegment(partial, o1 + co, ORDER);
                }
                if (i2 >= 0) {
                    s2 = t.fma(FloatVector.fromMemorySegment(S, in, o2 + co, ORDER), s2);
                    tm.fma(w2, FloatVector.fromMemorySegment(S, partial, o2 + co, ORDER)).intoMemorySegment(partial, o2 + co, ORDER);
                }
                if (i3 >= 0) {
                    s3 = t.fma(FloatVector.fromMemorySegment(S, in, o3 + co, ORDER), s3);
                    tm.fma(w3, FloatVector.fromMemorySegment(S, partial, o3 + co, ORDER)).intoMemorySegment(partial, o3 + co, ORDER);
                }
                if (i4 >= 0) {
                    s4 = t.fma(FloatVector.fromMemorySegment(S, in, o4 + co, ORDER), s4);
                    tm.fma(w4, FloatVector.fromMemorySegment(S, partial, o4 + co, ORDER)).intoMemorySegment(partial, o4 + co, ORDER);
                }
            }
        }
        int at = BLOCK * p;
        if (LANES == 16) {
            // the pairwise tree with the four sums packed into one vector as lanes free up: after the
            // first step S1 | S2 and S3 | S4 share vectors (8 lanes each), after the second all four
            // share one (4 lanes each: S1 0-3, S3 4-7, S2 8-11, S4 12-15); 8 shuffles, 8 adds, 3 blends
            FloatVector a = s1.add(s1.rearrange(ROT8)).blend(s2.add(s2.rearrange(ROT8)), HIGH8);
            FloatVector b = s3.add(s3.rearrange(ROT8)).blend(s4.add(s4.rearrange(ROT8)), HIGH8);
            a = a.add(a.rearrange(IN8));
            b = b.add(b.rearrange(IN8));
            FloatVector r = a.blend(b, Z4);
            r = r.add(r.rearrange(IN4));
            r = r.add(r.rearrange(IN2));
            r.intoArray(sums, at);
        } else {
            if (LANES >= 8) {
                s1 = s1.add(s1.rearrange(ROT4));
                s2 = s2.add(s2.rearrange(ROT4));
                s3 = s3.add(s3.rearrange(ROT4));
                s4 = s4.add(s4.rearrange(ROT4));
            }
            if (LANES >= 4) {
                s1 = s1.add(s1.rearrange(ROT2));
                s2 = s2.add(s2.rearrange(ROT2));
                s3 = s3.add(s3.rearrange(ROT2));
                s4 = s4.add(s4.rearrange(ROT2));
            }
            s1 = s1.add(s1.rearrange(ROT1));
            s2 = s2.add(s2.rearrange(ROT1));
            s3 = s3.add(s3.rearrange(ROT1));
            s4 = s4.add(s4.rearrange(ROT1));
            sums[at + AT1] = s1.lane(0);
            sums[at + AT2] = s2.lane(0);
            sums[at + AT3] = s3.lane(0);
            sums[at + AT4] = s4.lane(0);
        }
        if (vecEnd < d) {
            scalarTail(in, gradOut, partial, geo, p, vecEnd, d, goBase, sums, at);
        }
    }

    /** Channels [from, d) one at a time, same order as the vector path; adds to the point's sums. */
    private static void scalarTail(MemorySegment in, MemorySegment gradOut, MemorySegment partial,
                                   SamplingGeometry geo, int p, int from, int d, long goBase, float[] sums, int at) {
        int i1 = geo.c1[p], i2 = geo.c2[p], i3 = geo.c3[p], i4 = geo.c4[p];
        float w1 = geo.w1[p], w2 = geo.w2[p], w3 = geo.w3[p], w4 = geo.w4[p], m = geo.m[p];
        float s1 = sums[at + AT1], s2 = sums[at + AT2], s3 = sums[at + AT3], s4 = sums[at + AT4];
        for (int c = from; c < d; c++) {
            float t = gradOut.get(Storage.F32, goBase + 4L * c);
            s1 = Math.fma(t, value(in, i1, c), s1);
            s2 = Math.fma(t, value(in, i2, c), s2);
            s3 = Math.fma(t, value(in, i3, c), s3);
            s4 = Math.fma(t, value(in, i4, c), s4);
            float tm = t * m;
            add(partial, i1, c, tm * w1);
            add(partial, i2, c, tm * w2);
            add(partial, i3, c, tm * w3);
            add(partial, i4, c, tm * w4);
        }
        sums[at + AT1] = s1;
        sums[at + AT2] = s2;
        sums[at + AT3] = s3;
        sums[at + AT4] = s4;
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

    /**
     * The position's grad_offset_mask row from the points' corner sums, all points as vectors
     * (invalid points and padding give exact zeros), then the softmax Jacobian per group.
     */
    private void gradients(SamplingGeometry geo, Rows rows) {
        float[] gom = rows.gom, sums = rows.sums;
        Arrays.fill(gom, 0f);
        FloatVector s = FloatVector.broadcast(S, scale), z = FloatVector.zero(S);
        for (int p0 = 0, count = geo.count; p0 < count; p0 += LANES) {
            VectorMask<Float> valid = IntVector.fromArray(I, geo.state, p0).compare(VectorOperators.NE, 0).cast(S);
            VectorMask<Float> lanes = S.indexInRange(p0, count);
            FloatVector s1 = FloatVector.fromArray(S, sums, 0, rows.at1, p0);
            FloatVector s2 = FloatVector.fromArray(S, sums, 0, rows.at2, p0);
            FloatVector s3 = FloatVector.fromArray(S, sums, 0, rows.at3, p0);
            FloatVector s4 = FloatVector.fromArray(S, sums, 0, rows.at4, p0);
            FloatVector ms = FloatVector.fromArray(S, geo.m, p0).mul(s);
            FloatVector hx = FloatVector.fromArray(S, geo.hx, p0), hy = FloatVector.fromArray(S, geo.hy, p0);
            FloatVector lx = FloatVector.fromArray(S, geo.lx, p0), ly = FloatVector.fromArray(S, geo.ly, p0);
            FloatVector gx = s4.sub(s3).fma(ly, s2.sub(s1).mul(hy)).mul(ms);
            FloatVector gy = s4.sub(s2).fma(lx, s3.sub(s1).mul(hx)).mul(ms);
            FloatVector gz = s2.mul(FloatVector.fromArray(S, geo.w2, p0));
            gz = s1.fma(FloatVector.fromArray(S, geo.w1, p0), gz);
            gz = s3.fma(FloatVector.fromArray(S, geo.w3, p0), gz);
            gz = s4.fma(FloatVector.fromArray(S, geo.w4, p0), gz);
            z.blend(gx, valid).intoArray(gom, 0, geo.slotX, p0, lanes);
            z.blend(gy, valid).intoArray(gom, 0, geo.slotY, p0, lanes);
            z.blend(gz, valid).intoArray(gom, 0, geo.slotM, p0, lanes);
        }
        if (softmax) {
            for (int g = 0; g < groups; g++) {
                softmaxJacobian(gom, g * 3 * kPoints + 2 * kPoints, geo.m, g * kPoints);
            }
        }
    }

    /**
     * In place on the K weight gradients at {@code from}: z_k = g_k - p_k * sum_j g_j with
     * g_k = p_k * dL/dp_k; {@code p[pFrom ..]} are the group's softmax weights.
     */
    private void softmaxJacobian(float[] gom, int from, float[] p, int pFrom) {
        float sum = 0f;
        for (int k = 0; k < kPoints; k++) {
            float g = gom[from + k] * p[pFrom + k];
            gom[from + k] = g;
            sum += g;
        }
        for (int k = 0; k < kPoints; k++) {
            gom[from + k] = gom[from + k] - p[pFrom + k] * sum;
        }
    }
}
