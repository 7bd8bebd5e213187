package dev.dcnv4.cpu;

import dev.dcnv4.op.Dcnv4Config;
import dev.dcnv4.op.Dcnv4Problem;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The group-level reuse of DCNv4 on the CPU: for one output position it turns the 3K offset_mask
 * numbers of every group into the bilinear data of the group's K sampling points, once, so that the
 * kernels can then apply them to all D channels of the group with vector instructions.
 *
 * <p>All G*K points of the position are computed together, {@code LANES} at a time: point
 * {@code p = g*K + k} (group g, point k of section 2.2's order) sits in lane {@code p % LANES}, and
 * its offsets and weight are gathered from the position's offset_mask row (x at {@code g*3K + 2k},
 * y next to it, weight at {@code g*3K + 2K + k}), so 36 points (G = 4, 3x3) take three 16-lane
 * vectors instead of four vectors with 9 of 16 lanes used. Per point p it leaves, in arrays indexed
 * by p: {@link #state} (0 invalid, 1 valid with a corner outside the image, 2 all four corners
 * inside), the corner element indices into the input (channel 0 of the group), the four bilinear
 * weights, the modulation weight (after the softmax in softmax mode) and, for the backward,
 * lx/ly/hx/hy. The corners are given two ways: for the backward, c1..c4 with -1 for a corner outside
 * the image; for the forward, only {@link #c1} = the top-left corner's index whether inside or not
 * (the others are +C, +W*C, +W*C+C) and {@link #corners}, one bit per corner inside (1 top-left,
 * 2 top-right, 4 bottom-left, 8 bottom-right; filled in for state-1 points only), so that the
 * forward's border path needs no more registers than its main path.
 *
 * <p>Arithmetic is binary32 in exactly the order of docs/dcnv4-semantics.md 2.1 and 2.4, lanewise:
 * the fused window origin {@code bx = fma(-halfw, s, p0x)}, then {@code x = fma(i*dw + offx, s, bx)},
 * the strict {@code > -1} test (NaN fails it), floor (truncate, then step down below zero), and four
 * separately rounded corner weights. One instance per thread.
 */
final class SamplingGeometry {
    private static final VectorSpecies<Float> S = Lanes.SPECIES;
    private static final VectorSpecies<Integer> I = S.withLanes(int.class);
    private static final int LANES = S.length();

    /** K (points per group) and G*K (points per position); the arrays below are padded to LANES. */
    final int kPoints, count;
    private final int padded, groups, height, width, channels, groupChannels, outWidth;
    private final int halfW, halfH, padW, padH, strideW, strideH;
    private final float scale;
    private final boolean softmax;
    /** Lane permutations taking the x's (the y's) of LANES/2 interleaved (x, y) pairs to the lower lanes. */
    private static final int[] X_FIRST = new int[LANES], Y_FIRST = new int[LANES];

    static {
        for (int i = 0; i < LANES; i++) {
            X_FIRST[i] = (2 * i) % LANES + (i >= LANES / 2 ? 1 : 0);
            Y_FIRST[i] = (2 * i + 1) % LANES - (i >= LANES / 2 ? 1 : 0);
        }
    }

    /**
     * The length of the fp32 offset_mask row that {@link #compute} reads: the padded row plus a vector
     * of slack (whole vectors are loaded; the slack stays zero).
     */
    static int rowLength(Dcnv4Config c) {
        return c.paddedOffsetDim() + LANES;
    }

    /** Per lane p: (float)(i*dw), (float)(j*dh) of its point; element offset g*D of its group. */
    private final float[] gridX, gridY;
    private final int[] groupBase;

    /** This call's offsets in lane order. */
    private final float[] offX, offY;

    /** Per block of LANES points: bit i set where point (block*LANES + i) has state 1. */
    private final long[] border;

    /** Whether any point of the position has state 1: {@link #anyBorder}'s answer for most positions. */
    private boolean borderPoints;

    /** Per point p (c2..c4: the backward only; corners: the forward only). */
    final int[] state, c1, c2, c3, c4, corners;
    final float[] w1, w2, w3, w4, m;
    /** Backward only: the fractions and their complements. */
    final float[] lx, ly, hx, hy;

    /**
     * The first and last input row (n*H + y) that the valid points read, both inclusive;
     * {@code firstRow > lastRow} when no point is valid.
     */
    int firstRow, lastRow;

    /** Whether lx/ly/hx/hy are filled in (the backward needs them, the forward does not). */
    private final boolean forBackward;

    SamplingGeometry(Dcnv4Problem problem, boolean forBackward) {
        this.forBackward = forBackward;
        Dcnv4Config c = problem.config();
        kPoints = c.points();
        groups = c.groups();
        count = kPoints * groups;
        height = problem.height();
        width = problem.width();
        channels = c.channels();
        groupChannels = c.groupChannels();
        outWidth = problem.outWidth();
        halfW = c.halfW();
        halfH = c.halfH();
        padW = c.padW();
        padH = c.padH();
        strideW = c.strideW();
        strideH = c.strideH();
        scale = c.offsetScale();
        softmax = c.softmax();
        padded = (count + LANES - 1) / LANES * LANES + LANES;     // + a vector: the de-interleave spills past the last point
        gridX = new float[padded];
        gridY = new float[padded];
        // the padding lanes' x is NaN, so they fail the validity test (NaN > -1 is false) without a
        // lane-count mask in the loop
        java.util.Arrays.fill(gridX, count, padded, Float.NaN);
        groupBase = new int[padded];
        for (int g = 0; g < c.groups(); g++) {
            int k = 0;
            for (int i = 0; i < c.kernelW(); i++) {
                for (int j = 0; j < c.kernelH(); j++) {
                    if (c.removeCenter() && i == c.kernelW() / 2 && j == c.kernelH() / 2) {
                        continue;
                    }
                    int p = g * kPoints + k;
                    gridX[p] = (float) (i * c.dilationW());
                    gridY[p] = (float) (j * c.dilationH());
                    groupBase[p] = g * groupChannels;
                    k++;
                }
            }
        }
        offX = new float[padded];
        offY = new float[padded];
        border = new long[padded / LANES];
        state = new int[padded];
        c1 = new int[padded];
        int corner = forBackward ? padded : 0;
        c2 = new int[corner];
        c3 = new int[corner];
        c4 = new int[corner];
        corners = new int[forBackward ? 0 : padded];
        w1 = new float[padded];
        w2 = new float[padded];
        w3 = new float[padded];
        w4 = new float[padded];
        m = new float[padded];
        int back = forBackward ? padded : 0;
        lx = new float[back];
        ly = new float[back];
        hx = new float[back];
        hy = new float[back];
    }

    /**
     * Computes every point of output position ({@code n}, {@code q}) from the position's offset_mask
     * row {@code om} (fp32, {@link #rowLength} long).
     */
    void compute(float[] om, int n, int q) {
        int yo = q / outWidth, xo = q - yo * outWidth;
        FloatVector bx = FloatVector.broadcast(S, Math.fma(-(float) halfW, scale, (float) (halfW - padW + xo * strideW)));
        FloatVector by = FloatVector.broadcast(S, Math.fma(-(float) halfH, scale, (float) (halfH - padH + yo * strideH)));
        FloatVector s = FloatVector.broadcast(S, scale), one = FloatVector.broadcast(S, 1f);
        int rowStride = width * channels, imageRow = n * height;
        int imageBase = imageRow * rowStride;
        IntVector minus1 = IntVector.broadcast(I, -1);
        // the arrays in locals: C2 does not trust instance final fields, and would reload each array
        // and check its length again on every pass of the loops below
        float[] offX = this.offX, offY = this.offY, gridX = this.gridX, gridY = this.gridY, m = this.m;
        float[] w1 = this.w1, w2 = this.w2, w3 = this.w3, w4 = this.w4, lx = this.lx, ly = this.ly, hx = this.hx, hy = this.hy;
        int[] groupBase = this.groupBase, c1 = this.c1, c2 = this.c2, c3 = this.c3, c4 = this.c4;
        int[] state = this.state, corners = this.corners;
        long[] border = this.border;
        int groups = this.groups, kPoints = this.kPoints, count = this.count, width = this.width, height = this.height;
        int channels = this.channels;
        boolean forBackward = this.forBackward;
        // de-interleave the offsets into lane order: a vector of LANES/2 (x, y) pairs permuted so that
        // the x's (then the y's) come first, stored whole at the points' place; the upper lanes spill
        // into the next points' slots, which the next store overwrites (arrays have LANES of slack).
        // Scalar copies cost twice as much, 16-lane gathers four times.
        IntVector xFirst = IntVector.fromArray(I, X_FIRST, 0), yFirst = IntVector.fromArray(I, Y_FIRST, 0);
        for (int g = 0, p = 0, b = 0; g < groups; g++, b += 3 * kPoints, p += kPoints) {
            for (int k0 = 0; k0 < kPoints; k0 += LANES / 2) {
                IntVector pairs = FloatVector.fromArray(S, om, b + 2 * k0).reinterpretAsInts();
                xFirst.selectFrom(pairs).reinterpretAsFloats().intoArray(offX, p + k0);
                yFirst.selectFrom(pairs).reinterpretAsFloats().intoArray(offY, p + k0);
            }
            for (int k0 = 0; k0 < kPoints; k0 += LANES) {
                FloatVector.fromArray(S, om, b + 2 * kPoints + k0).intoArray(m, p + k0);
            }
        }
        // lanewise min/max of y0 over the valid points, reduced once after the loop
        IntVector loV = IntVector.broadcast(I, Integer.MAX_VALUE), hiV = IntVector.broadcast(I, Integer.MIN_VALUE);
        long borders = 0;
        for (int p0 = 0; p0 < count; p0 += LANES) {
            FloatVector x = FloatVector.fromArray(S, gridX, p0).add(FloatVector.fromArray(S, offX, p0)).fma(s, bx);
            FloatVector y = FloatVector.fromArray(S, gridY, p0).add(FloatVector.fromArray(S, offY, p0)).fma(s, by);
            VectorMask<Float> valid = x.compare(VectorOperators.GT, -1f).and(y.compare(VectorOperators.GT, -1f))
                    .and(x.compare(VectorOperators.LT, (float) width)).and(y.compare(VectorOperators.LT, (float) height));
            // floor of a number > -1: truncate toward zero, then step down where that rounded up
            IntVector xt = (IntVector) x.convert(VectorOperators.F2I, 0);
            IntVector yt = (IntVector) y.convert(VectorOperators.F2I, 0);
            FloatVector xtf = (FloatVector) xt.convert(VectorOperators.I2F, 0);
            FloatVector ytf = (FloatVector) yt.convert(VectorOperators.I2F, 0);
            VectorMask<Float> xDown = x.compare(VectorOperators.LT, xtf), yDown = y.compare(VectorOperators.LT, ytf);
            IntVector x0 = xt.sub(1, xDown.cast(I)), y0 = yt.sub(1, yDown.cast(I));
            FloatVector fx = x.sub(xtf.sub(1f, xDown)), fy = y.sub(ytf.sub(1f, yDown));     // exact
            FloatVector gx = one.sub(fx), gy = one.sub(fy);
            if (forBackward) {
                fx.intoArray(lx, p0);
                fy.intoArray(ly, p0);
                gx.intoArray(hx, p0);
                gy.intoArray(hy, p0);
            }
            gy.mul(gx).intoArray(w1, p0);
            gy.mul(fx).intoArray(w2, p0);
            fy.mul(gx).intoArray(w3, p0);
            fy.mul(fx).intoArray(w4, p0);
            VectorMask<Integer> ok = valid.cast(I);
            VectorMask<Integer> invalid = ok.not();
            loV = loV.min(y0.blend(Integer.MAX_VALUE, invalid));
            hiV = hiV.max(y0.blend(Integer.MIN_VALUE, invalid));
            VectorMask<Integer> top = y0.compare(VectorOperators.GE, 0).and(ok);
            VectorMask<Integer> bottom = y0.compare(VectorOperators.LT, height - 1).and(ok);
            VectorMask<Integer> left = x0.compare(VectorOperators.GE, 0);
            VectorMask<Integer> right = x0.compare(VectorOperators.LT, width - 1);
            IntVector i1 = y0.mul(rowStride).add(x0.mul(channels)).add(IntVector.fromArray(I, groupBase, p0))
                    .add(imageBase);
            IntVector i3 = i1.add(rowStride);
            if (forBackward) {
                minus1.blend(i1, top.and(left)).intoArray(c1, p0);
                minus1.blend(i1.add(channels), top.and(right)).intoArray(c2, p0);
                minus1.blend(i3, bottom.and(left)).intoArray(c3, p0);
                minus1.blend(i3.add(channels), bottom.and(right)).intoArray(c4, p0);
            } else {
                i1.intoArray(c1, p0);
            }
            VectorMask<Integer> inside = top.and(bottom).and(left).and(right);      // all four corners
            IntVector.zero(I).blend(1, ok).blend(2, inside).intoArray(state, p0);
            long bits = ok.andNot(inside).toLong();
            border[p0 / LANES] = bits;
            borders |= bits;
            if (!forBackward && bits != 0) {
                // the forward's border path: which corners are inside (read for state-1 points only;
                // most blocks have none, and skip this)
                IntVector none = IntVector.zero(I);
                none.blend(1, top.and(left)).or(none.blend(2, top.and(right)))
                        .or(none.blend(4, bottom.and(left))).or(none.blend(8, bottom.and(right))).intoArray(corners, p0);
            }
        }
        borderPoints = borders != 0;
        if (softmax) {
            for (int p = 0; p < count; p += kPoints) {
                softmax(m, p, kPoints);
            }
        }
        int lo = loV.reduceLanes(VectorOperators.MIN), hi = hiV.reduceLanes(VectorOperators.MAX);
        // rows read: the upper corners' row where y0 >= 0, the lower corners' (y0 + 1) where y0 + 1 < H
        if (lo > hi) {
            firstRow = 0;
            lastRow = -1;
        } else {
            firstRow = imageRow + Math.max(lo, 0);
            lastRow = imageRow + Math.min(hi + 1, height - 1);
        }
    }

    /** Whether any point of the position has a corner outside the image (state 1). */
    boolean anyBorder() {
        return borderPoints;
    }

    /** Whether any of points [from, to) has a corner outside the image (state 1). */
    boolean anyBorder(int from, int to) {
        if (!borderPoints) {
            return false;
        }
        for (int b = from / LANES, last = (to - 1) / LANES; b <= last; b++) {
            long bits = border[b];
            if (b == from / LANES) {
                bits &= -1L << (from % LANES);
            }
            if (b == last && to % LANES != 0) {
                bits &= (1L << (to % LANES)) - 1;
            }
            if (bits != 0) {
                return true;
            }
        }
        return false;
    }

    /** Section 2.5 on w[from .. from+kp): max, then sequential sum of exp(m - max), then true division. */
    private static void softmax(float[] w, int from, int kp) {
        float mx = Float.NEGATIVE_INFINITY;
        for (int k = from; k < from + kp; k++) {
            mx = Math.max(mx, w[k]);
        }
        float sum = 0f;
        for (int k = from; k < from + kp; k++) {
            float e = (float) Math.exp(w[k] - mx);
            w[k] = e;
            sum += e;
        }
        for (int k = from; k < from + kp; k++) {
            w[k] = w[k] / sum;
        }
    }
}
