package dev.dcnv4.cpu;

import dev.dcnv4.op.Dcnv4Config;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import java.util.Arrays;

import static dev.dcnv4.cpu.BackwardKernel.AT1;
import static dev.dcnv4.cpu.BackwardKernel.AT2;
import static dev.dcnv4.cpu.BackwardKernel.AT3;
import static dev.dcnv4.cpu.BackwardKernel.AT4;
import static dev.dcnv4.cpu.BackwardKernel.BLOCK;

/**
 * The backward's last step per position: the grad_offset_mask row from the points' four corner sums
 * S1..S4, which {@link BackwardKernel}'s passes leave in each point's {@code BLOCK}-float block of
 * {@link BackwardKernel.Rows#sums} (lanes AT1..AT4): per point
 * <pre>
 *   dL/doffx = s*m * (hy*(S2 - S1) + ly*(S4 - S3))
 *   dL/doffy = s*m * (hx*(S3 - S1) + lx*(S4 - S2))
 *   dL/dm    = w1*S1 + w2*S2 + w3*S3 + w4*S4
 * </pre>
 * LANES points at a time, then the row's layout and, in softmax mode, the Jacobian.
 */
final class PointGradients {
    private static final VectorSpecies<Float> S = Lanes.SPECIES;
    private static final VectorSpecies<Integer> I = S.withLanes(int.class);
    private static final int LANES = S.length();

    /**
     * 16 lanes: two-vector permutations that transpose the blocks of 16 points into the vectors
     * S1..S4 of those points, instead of four gathers (which cost 7.5% of the 1 thread backward).
     * Each level pairs two vectors and packs their sums sorted by sum, then point:
     * <pre>
     *   T1: blocks of points (a, b)           -> S1a S1b S2a S2b S3a S3b S4a S4b  (lanes 8-15 unused)
     *   T2: two of those (4 points)           -> S1 x4, S2 x4, S3 x4, S4 x4
     *   T3: two of those (8 points), twice     -> S1 x8, S2 x8  and  S3 x8, S4 x8
     *   T4: two of those (16 points), twice    -> S1 x16 and S2 x16 (S3, S4 alike)
     * </pre>
     * 20 permutations and 16 plain loads per 16 points; the same values as the gathers, so the same bits.
     */
    private static final int[] T1 = new int[LANES], T2 = new int[LANES], T3_LO = new int[LANES], T3_HI = new int[LANES],
            T4_LO = new int[LANES], T4_HI = new int[LANES];

    static {
        if (LANES == 16) {
            int[] lane = {AT1, AT2, AT3, AT4};                 // where the tree leaves S1..S4 in a block
            for (int j = 0; j < 4; j++) {
                T1[2 * j] = lane[j];
                T1[2 * j + 1] = LANES + lane[j];
                for (int k = 0; k < 4; k++) {
                    T2[4 * j + k] = (k < 2 ? 0 : LANES) + 2 * j + (k & 1);
                }
            }
            for (int k = 0; k < LANES; k++) {
                int j = k / 8, q = k % 8;                      // output sum (within the pair of sums), point
                T3_LO[k] = (q < 4 ? 0 : LANES) + 4 * j + (q & 3);
                T3_HI[k] = T3_LO[k] + 8;
                T4_LO[k] = k < 8 ? k : LANES + k - 8;
                T4_HI[k] = T4_LO[k] + 8;
            }
        }
    }

    /**
     * 8 lanes (AVX2): the same transposition in three levels, 12 permutations and 8 plain loads per 8
     * points instead of four 8-lane gathers:
     * <pre>
     *   U_A: blocks of points (a, b)              -> S1a S2a S3a S4a S1b S2b S3b S4b
     *   U_B0, U_B1: two of those (4 points)       -> S1 x4, S2 x4  and  S3 x4, S4 x4
     *   U_LO, U_HI: two of those (8 points)       -> S1 x8 and S2 x8 (S3, S4 alike)
     * </pre>
     */
    private static final int[] U_A = new int[LANES], U_B0 = new int[LANES], U_B1 = new int[LANES],
            U_LO = new int[LANES], U_HI = new int[LANES];

    static {
        if (LANES == 8) {
            int[] lane = {AT1, AT2, AT3, AT4};
            for (int k = 0; k < 8; k++) {
                U_A[k] = (k < 4 ? 0 : LANES) + lane[k & 3];
                U_B0[k] = 4 * (k & 3) + (k < 4 ? 0 : 1);       // S1 then S2 of points 0-3 (a01 ++ a23)
                U_B1[k] = U_B0[k] + 2;                            // S3 then S4
                U_LO[k] = k < 4 ? k : LANES + k - 4;              // points 0-3 of b ++ points 4-7 of c
                U_HI[k] = U_LO[k] + 4;
            }
        }
    }

    /** Gather map: lane i reads the block of point p0 + i (BLOCK floats apart). */
    private static final int[] GATHER = new int[LANES];
    /** Two-vector permutation interleaving the lower LANES/2 lanes of x and of y: x0, y0, x1, y1, ... */
    private static final int[] INTERLEAVE = new int[LANES];

    static {
        for (int i = 0; i < LANES; i++) {
            GATHER[i] = BLOCK * i;
            INTERLEAVE[i] = i / 2 + (i % 2 == 1 ? LANES : 0);
        }
    }

    private final int groups, kPoints, offsetDim;
    private final float scale;
    private final boolean softmax;

    PointGradients(Dcnv4Config c) {
        groups = c.groups();
        kPoints = c.points();
        offsetDim = c.paddedOffsetDim();
        scale = c.offsetScale();
        softmax = c.softmax();
    }

    /**
     * The position's grad_offset_mask row from the points' corner sums: LANES points at a time, their
     * four sums taken from the points' blocks (lanes AT1..AT4 of each; permutations with 16 lanes, see
     * {@link #T1}, else gathers), the three gradients
     * computed lanewise (the same operations as one point at a time, so the same bits; invalid points
     * give exact zeros) into point order, then interleaved per group into the row's layout
     * (x, y pairs, then the K weights) by two-vector permutations; then the softmax Jacobian.
     */
    void write(SamplingGeometry geo, BackwardKernel.Rows rows) {
        float[] gom = rows.gom, sums = rows.sums, gx = rows.gx, gy = rows.gy, gm = rows.gm;
        FloatVector zero = FloatVector.zero(S), s = FloatVector.broadcast(S, scale);
        IntVector t1 = IntVector.fromArray(I, T1, 0), t2 = IntVector.fromArray(I, T2, 0);
        IntVector t3lo = IntVector.fromArray(I, T3_LO, 0), t3hi = IntVector.fromArray(I, T3_HI, 0);
        IntVector t4lo = IntVector.fromArray(I, T4_LO, 0), t4hi = IntVector.fromArray(I, T4_HI, 0);
        IntVector uA = IntVector.fromArray(I, U_A, 0), uB0 = IntVector.fromArray(I, U_B0, 0);
        IntVector uB1 = IntVector.fromArray(I, U_B1, 0), uLo = IntVector.fromArray(I, U_LO, 0), uHi = IntVector.fromArray(I, U_HI, 0);
        for (int p0 = 0, count = geo.count; p0 < count; p0 += LANES) {
            int at = BLOCK * p0;
            FloatVector s1, s2, s3, s4;
            if (LANES == 16) {
                // see T1: points 0-3, 4-7, 8-11, 12-15 to S1..S4 of each four, then of eight, then of 16
                // (written out: a helper for the loads was not inlined, "callee uses too much stack")
                IntVector v0 = FloatVector.fromArray(S, sums, at).reinterpretAsInts();
                IntVector v1 = FloatVector.fromArray(S, sums, at + 1 * BLOCK).reinterpretAsInts();
                IntVector v2 = FloatVector.fromArray(S, sums, at + 2 * BLOCK).reinterpretAsInts();
                IntVector v3 = FloatVector.fromArray(S, sums, at + 3 * BLOCK).reinterpretAsInts();
                IntVector y0 = t2.selectFrom(t1.selectFrom(v0, v1), t1.selectFrom(v2, v3));
                IntVector v4 = FloatVector.fromArray(S, sums, at + 4 * BLOCK).reinterpretAsInts();
                IntVector v5 = FloatVector.fromArray(S, sums, at + 5 * BLOCK).reinterpretAsInts();
                IntVector v6 = FloatVector.fromArray(S, sums, at + 6 * BLOCK).reinterpretAsInts();
                IntVector v7 = FloatVector.fromArray(S, sums, at + 7 * BLOCK).reinterpretAsInts();
                IntVector y1 = t2.selectFrom(t1.selectFrom(v4, v5), t1.selectFrom(v6, v7));
                IntVector v8 = FloatVector.fromArray(S, sums, at + 8 * BLOCK).reinterpretAsInts();
                IntVector v9 = FloatVector.fromArray(S, sums, at + 9 * BLOCK).reinterpretAsInts();
                IntVector v10 = FloatVector.fromArray(S, sums, at + 10 * BLOCK).reinterpretAsInts();
                IntVector v11 = FloatVector.fromArray(S, sums, at + 11 * BLOCK).reinterpretAsInts();
                IntVector y2 = t2.selectFrom(t1.selectFrom(v8, v9), t1.selectFrom(v10, v11));
                IntVector v12 = FloatVector.fromArray(S, sums, at + 12 * BLOCK).reinterpretAsInts();
                IntVector v13 = FloatVector.fromArray(S, sums, at + 13 * BLOCK).reinterpretAsInts();
                IntVector v14 = FloatVector.fromArray(S, sums, at + 14 * BLOCK).reinterpretAsInts();
                IntVector v15 = FloatVector.fromArray(S, sums, at + 15 * BLOCK).reinterpretAsInts();
                IntVector y3 = t2.selectFrom(t1.selectFrom(v12, v13), t1.selectFrom(v14, v15));
                IntVector lo0 = t3lo.selectFrom(y0, y1), hi0 = t3hi.selectFrom(y0, y1);
                IntVector lo1 = t3lo.selectFrom(y2, y3), hi1 = t3hi.selectFrom(y2, y3);
                s1 = t4lo.selectFrom(lo0, lo1).reinterpretAsFloats();
                s2 = t4hi.selectFrom(lo0, lo1).reinterpretAsFloats();
                s3 = t4lo.selectFrom(hi0, hi1).reinterpretAsFloats();
                s4 = t4hi.selectFrom(hi0, hi1).reinterpretAsFloats();
            } else if (LANES == 8) {
                // see U_A (written out for the same reason as above)
                IntVector v0 = FloatVector.fromArray(S, sums, at).reinterpretAsInts();
                IntVector v1 = FloatVector.fromArray(S, sums, at + BLOCK).reinterpretAsInts();
                IntVector v2 = FloatVector.fromArray(S, sums, at + 2 * BLOCK).reinterpretAsInts();
                IntVector v3 = FloatVector.fromArray(S, sums, at + 3 * BLOCK).reinterpretAsInts();
                IntVector a01 = uA.selectFrom(v0, v1), a23 = uA.selectFrom(v2, v3);
                IntVector v4 = FloatVector.fromArray(S, sums, at + 4 * BLOCK).reinterpretAsInts();
                IntVector v5 = FloatVector.fromArray(S, sums, at + 5 * BLOCK).reinterpretAsInts();
                IntVector v6 = FloatVector.fromArray(S, sums, at + 6 * BLOCK).reinterpretAsInts();
                IntVector v7 = FloatVector.fromArray(S, sums, at + 7 * BLOCK).reinterpretAsInts();
                IntVector a45 = uA.selectFrom(v4, v5), a67 = uA.selectFrom(v6, v7);
                IntVector b0 = uB0.selectFrom(a01, a23), b1 = uB1.selectFrom(a01, a23);
                IntVector c0 = uB0.selectFrom(a45, a67), c1 = uB1.selectFrom(a45, a67);
                s1 = uLo.selectFrom(b0, c0).reinterpretAsFloats();
                s2 = uHi.selectFrom(b0, c0).reinterpretAsFloats();
                s3 = uLo.selectFrom(b1, c1).reinterpretAsFloats();
                s4 = uHi.selectFrom(b1, c1).reinterpretAsFloats();
            } else {
                s1 = FloatVector.fromArray(S, sums, at + AT1, GATHER, 0);
                s2 = FloatVector.fromArray(S, sums, at + AT2, GATHER, 0);
                s3 = FloatVector.fromArray(S, sums, at + AT3, GATHER, 0);
                s4 = FloatVector.fromArray(S, sums, at + AT4, GATHER, 0);
            }
            VectorMask<Float> invalid = IntVector.fromArray(I, geo.state, p0).compare(VectorOperators.EQ, 0).cast(S);
            FloatVector ms = FloatVector.fromArray(S, geo.m, p0).mul(s);
            s4.sub(s3).fma(FloatVector.fromArray(S, geo.ly, p0), s2.sub(s1).mul(FloatVector.fromArray(S, geo.hy, p0)))
                    .mul(ms).blend(zero, invalid).intoArray(gx, p0);
            s4.sub(s2).fma(FloatVector.fromArray(S, geo.lx, p0), s3.sub(s1).mul(FloatVector.fromArray(S, geo.hx, p0)))
                    .mul(ms).blend(zero, invalid).intoArray(gy, p0);
            s4.fma(FloatVector.fromArray(S, geo.w4, p0), s3.fma(FloatVector.fromArray(S, geo.w3, p0),
                    s1.fma(FloatVector.fromArray(S, geo.w1, p0), s2.mul(FloatVector.fromArray(S, geo.w2, p0)))))
                    .blend(zero, invalid).intoArray(gm, p0);
        }
        // row layout per group g (b = g*3K): x_k at b+2k, y_k at b+2k+1, weight k at b+2K+k. Groups in
        // order, x/y before weights: each whole-vector store's spill past its part is overwritten by
        // the next store (the row has a vector of slack); then the padding entries are zeroed.
        IntVector interleave = IntVector.fromArray(I, INTERLEAVE, 0);
        for (int g = 0; g < groups; g++) {
            int b = 3 * kPoints * g, p = kPoints * g;
            for (int c = 0; c < 2 * kPoints; c += LANES) {
                // the next LANES numbers x_k, y_k, x_k+1, ... from points k = p + c/2 onwards
                IntVector vx = FloatVector.fromArray(S, gx, p + c / 2).reinterpretAsInts();
                IntVector vy = FloatVector.fromArray(S, gy, p + c / 2).reinterpretAsInts();
                interleave.selectFrom(vx, vy).reinterpretAsFloats().intoArray(gom, b + c);
            }
            for (int k = 0; k < kPoints; k += LANES) {
                FloatVector.fromArray(S, gm, p + k).intoArray(gom, b + 2 * kPoints + k);
            }
        }
        Arrays.fill(gom, 3 * kPoints * groups, offsetDim, 0f);
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
