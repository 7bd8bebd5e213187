package dev.dcnv4.cpu;

import dev.dcnv4.op.Dcnv4Config;
import dev.dcnv4.op.Dcnv4Problem;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The group-level reuse of DCNv4 on the CPU: for one (output position, group) it turns the group's
 * 3K offset_mask numbers into the K sampling points' bilinear data once, so that the kernels can
 * then apply them to all D channels of the group with vector instructions.
 *
 * <p>The K points are themselves processed {@code LANES} at a time with the Vector API (one vector
 * of points for a 3x3 kernel with 512-bit vectors). Per point k it leaves in arrays indexed by k:
 * {@link #state} (0 invalid, 1 valid with a corner outside the image, 2 all four corners inside),
 * the four corner element indices into the input (channel 0 of the group; -1 outside), the four
 * bilinear weights, the fractions lx/ly and complements hx/hy (for the backward) and the
 * modulation weight (after the softmax in softmax mode).
 *
 * <p>Arithmetic is binary32 in exactly the order of docs/dcnv4-semantics.md 2.1 and 2.4, lanewise:
 * the fused window origin {@code bx = fma(-halfw, s, p0x)}, then {@code x = fma(i*dw + offx, s, bx)},
 * the strict {@code > -1} test (NaN fails it), floor (truncate, then step down below zero), and four
 * separately rounded corner weights. One instance per thread.
 */
final class SamplingGeometry {
    private static final VectorSpecies<Float> S = Lanes.SPECIES;
    @SuppressWarnings("unchecked")
    private static final VectorSpecies<Integer> I = (VectorSpecies<Integer>) S.withLanes(int.class);
    private static final int LANES = S.length();

    /** K, the number of points (the arrays below are longer: padded to the vector length). */
    final int points;
    private final int kPoints, height, width, channels, groupChannels, outWidth;
    private final int halfW, halfH, padW, padH, strideW, strideH;
    private final float scale;
    private final boolean softmax;
    /** (float)(i*dw) and (float)(j*dh) of point k: kernel column i outer, row j inner, centre skipped. */
    private final float[] gridX, gridY;
    /** This call's offsets, de-interleaved from the (x, y) pairs. */
    private final float[] offX, offY;

    /** Per point k (arrays padded to a multiple of the vector length). */
    final int[] state, c1, c2, c3, c4;
    /**
     * Input row n*H + y0 of the upper corners (the lower corners are on the next row): the backward
     * zeroes its grad_input rows by it (filled in for the backward only).
     */
    final int[] row;
    final float[] w1, w2, w3, w4, lx, ly, hx, hy, m;

    /**
     * With {@code trackRows}: the first and last input row (n*H + y) that the valid points read, both
     * inclusive; {@code firstRow > lastRow} when no point is valid.
     */
    int firstRow, lastRow;
    /** Whether {@link #firstRow}/{@link #lastRow} are computed (the fp16/bf16 forward's lazy widening). */
    boolean trackRows;

    /** Whether lx/ly/hx/hy are filled in (the backward needs them, the forward does not). */
    private final boolean forBackward;

    SamplingGeometry(Dcnv4Problem problem, boolean forBackward) {
        this.forBackward = forBackward;
        Dcnv4Config c = problem.config();
        kPoints = c.points();
        points = kPoints;
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
        int padded = (kPoints + LANES - 1) / LANES * LANES;
        gridX = new float[padded];
        gridY = new float[padded];
        int k = 0;
        for (int i = 0; i < c.kernelW(); i++) {
            for (int j = 0; j < c.kernelH(); j++) {
                if (c.removeCenter() && i == c.kernelW() / 2 && j == c.kernelH() / 2) {
                    continue;
                }
                gridX[k] = (float) (i * c.dilationW());
                gridY[k] = (float) (j * c.dilationH());
                k++;
            }
        }
        offX = new float[padded];
        offY = new float[padded];
        state = new int[padded];
        c1 = new int[padded];
        c2 = new int[padded];
        c3 = new int[padded];
        c4 = new int[padded];
        row = new int[padded];
        w1 = new float[padded];
        w2 = new float[padded];
        w3 = new float[padded];
        w4 = new float[padded];
        lx = new float[padded];
        ly = new float[padded];
        hx = new float[padded];
        hy = new float[padded];
        m = new float[padded];
    }

    /**
     * Computes the points of group {@code g} at output position ({@code n}, {@code q}) from the group's
     * 3K numbers {@code om[base .. base+3K)} (2K offsets as (x, y) pairs, then K weights).
     */
    void compute(float[] om, int base, int n, int q, int g) {
        int kp = kPoints;
        int yo = q / outWidth, xo = q - yo * outWidth;
        for (int k = 0; k < kp; k++) {
            offX[k] = om[base + 2 * k];
            offY[k] = om[base + 2 * k + 1];
        }
        System.arraycopy(om, base + 2 * kp, m, 0, kp);
        if (softmax) {
            softmax(m, kp);
        }
        FloatVector bx = FloatVector.broadcast(S, Math.fma(-(float) halfW, scale, (float) (halfW - padW + xo * strideW)));
        FloatVector by = FloatVector.broadcast(S, Math.fma(-(float) halfH, scale, (float) (halfH - padH + yo * strideH)));
        FloatVector s = FloatVector.broadcast(S, scale), one = FloatVector.broadcast(S, 1f);
        int rowStride = width * channels;
        int imageBase = n * height * rowStride + g * groupChannels;
        IntVector minus1 = IntVector.broadcast(I, -1);
        int lo = Integer.MAX_VALUE, hi = Integer.MIN_VALUE;     // min/max of row over the valid points
        for (int k0 = 0; k0 < kp; k0 += LANES) {
            FloatVector x = FloatVector.fromArray(S, gridX, k0).add(FloatVector.fromArray(S, offX, k0)).fma(s, bx);
            FloatVector y = FloatVector.fromArray(S, gridY, k0).add(FloatVector.fromArray(S, offY, k0)).fma(s, by);
            VectorMask<Float> valid = x.compare(VectorOperators.GT, -1f).and(y.compare(VectorOperators.GT, -1f))
                    .and(x.compare(VectorOperators.LT, (float) width)).and(y.compare(VectorOperators.LT, (float) height))
                    .and(S.indexInRange(k0, kp));
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
                fx.intoArray(lx, k0);
                fy.intoArray(ly, k0);
                gx.intoArray(hx, k0);
                gy.intoArray(hy, k0);
            }
            IntVector rows = y0.add(n * height);
            if (forBackward) {
                rows.intoArray(row, k0);
            }
            gy.mul(gx).intoArray(w1, k0);
            gy.mul(fx).intoArray(w2, k0);
            fy.mul(gx).intoArray(w3, k0);
            fy.mul(fx).intoArray(w4, k0);
            VectorMask<Integer> ok = valid.cast(I);
            if (trackRows) {
                VectorMask<Integer> invalid = ok.not();
                lo = Math.min(lo, rows.blend(Integer.MAX_VALUE, invalid).reduceLanes(VectorOperators.MIN));
                hi = Math.max(hi, rows.blend(Integer.MIN_VALUE, invalid).reduceLanes(VectorOperators.MAX));
            }
            VectorMask<Integer> top = y0.compare(VectorOperators.GE, 0).and(ok);
            VectorMask<Integer> bottom = y0.compare(VectorOperators.LT, height - 1).and(ok);
            VectorMask<Integer> left = x0.compare(VectorOperators.GE, 0);
            VectorMask<Integer> right = x0.compare(VectorOperators.LT, width - 1);
            IntVector i1 = y0.mul(rowStride).add(x0.mul(channels)).add(imageBase);
            IntVector i3 = i1.add(rowStride);
            minus1.blend(i1, top.and(left)).intoArray(c1, k0);
            minus1.blend(i1.add(channels), top.and(right)).intoArray(c2, k0);
            minus1.blend(i3, bottom.and(left)).intoArray(c3, k0);
            minus1.blend(i3.add(channels), bottom.and(right)).intoArray(c4, k0);
            IntVector st = IntVector.zero(I).blend(1, ok).blend(2, top.and(bottom).and(left).and(right));
            st.intoArray(state, k0);
        }
        // rows read: the upper corners' row where y0 >= 0, the lower corners' (row + 1) where y0 + 1 < H
        firstRow = Math.max(lo, n * height);
        lastRow = Math.min(hi + 1, n * height + height - 1);
        if (lo > hi) {
            firstRow = 0;
            lastRow = -1;
        }
    }

    /** Section 2.5: max, then sequential sum of exp(m - max), then true division. */
    private static void softmax(float[] w, int kp) {
        float mx = Float.NEGATIVE_INFINITY;
        for (int k = 0; k < kp; k++) {
            mx = Math.max(mx, w[k]);
        }
        float sum = 0f;
        for (int k = 0; k < kp; k++) {
            float e = (float) Math.exp(w[k] - mx);
            w[k] = e;
            sum += e;
        }
        for (int k = 0; k < kp; k++) {
            w[k] = w[k] / sum;
        }
    }
}
