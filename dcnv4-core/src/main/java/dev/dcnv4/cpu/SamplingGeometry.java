package dev.dcnv4.cpu;

import dev.dcnv4.op.Dcnv4Config;
import dev.dcnv4.op.Dcnv4Problem;

/**
 * The group-level reuse of DCNv4 on the CPU: for one (output position, group) it turns the group's
 * 3K offset_mask numbers into the K sampling points' bilinear data once, so that the kernels can
 * then apply them to all D channels of the group with vector instructions.
 *
 * <p>Per valid point (in point order, invalid points dropped) it holds the four corner element
 * indices into the input (channel 0 of the group; -1 for a corner outside the image), the four
 * bilinear weights, the fractions lx/ly and their complements hx/hy (the backward needs them), the
 * modulation weight (after the softmax in softmax mode) and whether all four corners are inside.
 *
 * <p>Arithmetic is binary32 in exactly the order of docs/dcnv4-semantics.md 2.1 and 2.4: the fused
 * window origin {@code bx = fma(-halfw, s, p0x)}, then {@code x = fma(i*dw + offx, s, bx)}, the strict
 * {@code > -1} test, floor, and four separately rounded corner weights. One instance per thread.
 */
final class SamplingGeometry {
    private final int kPoints, height, width, channels, groupChannels, outWidth;
    private final int halfW, halfH, padW, padH, strideW, strideH;
    private final float scale;
    private final boolean softmax;
    /** (float)(i*dw) and (float)(j*dh) of point k: kernel column i outer, row j inner, centre skipped. */
    private final float[] gridX, gridY;

    /** Number of valid points of the last {@link #compute} call. */
    int count;
    /** Index k (0..K-1) of each valid point; its slot in offset_mask. */
    final int[] point;
    final int[] c1, c2, c3, c4;
    final float[] w1, w2, w3, w4, lx, ly, hx, hy, m;
    final boolean[] interior;
    /** All K modulation weights of the last call (softmax-normalised in softmax mode). */
    final float[] weights;

    SamplingGeometry(Dcnv4Problem problem) {
        Dcnv4Config c = problem.config();
        kPoints = c.points();
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
        gridX = new float[kPoints];
        gridY = new float[kPoints];
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
        point = new int[kPoints];
        c1 = new int[kPoints];
        c2 = new int[kPoints];
        c3 = new int[kPoints];
        c4 = new int[kPoints];
        w1 = new float[kPoints];
        w2 = new float[kPoints];
        w3 = new float[kPoints];
        w4 = new float[kPoints];
        lx = new float[kPoints];
        ly = new float[kPoints];
        hx = new float[kPoints];
        hy = new float[kPoints];
        m = new float[kPoints];
        interior = new boolean[kPoints];
        weights = new float[kPoints];
    }

    /**
     * Computes the points of group {@code g} at output position ({@code n}, {@code q}) from the group's
     * 3K numbers {@code om[base .. base+3K)} (2K offsets as (x, y) pairs, then K weights).
     */
    void compute(float[] om, int base, int n, int q, int g) {
        int yo = q / outWidth, xo = q - yo * outWidth;
        int kp = kPoints;
        loadWeights(om, base + 2 * kp);
        float bx = Math.fma(-(float) halfW, scale, (float) (halfW - padW + xo * strideW));
        float by = Math.fma(-(float) halfH, scale, (float) (halfH - padH + yo * strideH));
        int imageBase = n * height * width * channels + g * groupChannels;
        int valid = 0;
        for (int k = 0; k < kp; k++) {
            float x = Math.fma(gridX[k] + om[base + 2 * k], scale, bx);
            float y = Math.fma(gridY[k] + om[base + 2 * k + 1], scale, by);
            if (!(y > -1f && x > -1f && y < height && x < width)) {
                continue;                        // strict test; NaN positions fail it and are skipped
            }
            int x0 = (int) Math.floor(x), y0 = (int) Math.floor(y);
            int x1 = x0 + 1, y1 = y0 + 1;
            float fx = x - x0, fy = y - y0;      // exact
            float gx = 1f - fx, gy = 1f - fy;
            point[valid] = k;
            lx[valid] = fx;
            ly[valid] = fy;
            hx[valid] = gx;
            hy[valid] = gy;
            w1[valid] = gy * gx;
            w2[valid] = gy * fx;
            w3[valid] = fy * gx;
            w4[valid] = fy * fx;
            m[valid] = weights[k];
            boolean top = y0 >= 0, bottom = y1 < height, left = x0 >= 0, right = x1 < width;
            int row0 = imageBase + y0 * width * channels, row1 = row0 + width * channels;
            c1[valid] = top && left ? row0 + x0 * channels : -1;
            c2[valid] = top && right ? row0 + x1 * channels : -1;
            c3[valid] = bottom && left ? row1 + x0 * channels : -1;
            c4[valid] = bottom && right ? row1 + x1 * channels : -1;
            interior[valid] = top && bottom && left && right;
            valid++;
        }
        count = valid;
    }

    /** The K weights; in softmax mode max, sequential sum of exp, true division (section 2.5). */
    private void loadWeights(float[] om, int from) {
        int kp = kPoints;
        System.arraycopy(om, from, weights, 0, kp);
        if (!softmax) {
            return;
        }
        float mx = Float.NEGATIVE_INFINITY;
        for (int k = 0; k < kp; k++) {
            mx = Math.max(mx, weights[k]);
        }
        float sum = 0f;
        for (int k = 0; k < kp; k++) {
            float e = (float) Math.exp(weights[k] - mx);
            weights[k] = e;
            sum += e;
        }
        for (int k = 0; k < kp; k++) {
            weights[k] = weights[k] / sum;
        }
    }
}
