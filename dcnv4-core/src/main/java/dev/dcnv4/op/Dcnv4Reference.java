package dev.dcnv4.op;

/**
 * The reference implementation, the oracle every backend is tested against: scalar loops,
 * fp64 arithmetic throughout, written to read like docs/dcnv4-semantics.md (sections 2 and 3)
 * rather than to be fast.
 *
 * <p>Sampling positions use the exact formula
 * {@code x = xo*sw - pw + halfw + s*(i*dw - halfw + offx)} in double; the fp32 backends evaluate it
 * in float with the GPU's fused order, which differs by far less than the golden tolerances.
 * Point order: kernel column i (x) outer, kernel row j (y) inner, centre skipped with removeCenter.
 * A point is used only if {@code x > -1 && y > -1 && x < W && y < H}; out-of-range corners read 0.
 */
public final class Dcnv4Reference {
    private Dcnv4Reference() {
    }

    /** Gradients returned by {@link #backward}: grad_input (N,H,W,C), grad_offset_mask (N,Ho,Wo,P). */
    public record Gradients(double[] gradInput, double[] gradOffsetMask) {
    }

    /** Forward on the (exactly widened) values of {@code data}. */
    public static double[] forward(Dcnv4Data data) {
        return forward(data.problem(), data.input().toDoubleArray(), data.offsetMask().toDoubleArray());
    }

    /** Backward on the (exactly widened) values of {@code data}, including its grad_output. */
    public static Gradients backward(Dcnv4Data data) {
        return backward(data.problem(), data.input().toDoubleArray(), data.offsetMask().toDoubleArray(),
                data.gradOutput().toDoubleArray());
    }

    /** Forward: returns the output (N, H_out, W_out, C). */
    public static double[] forward(Dcnv4Problem p, double[] input, double[] offsetMask) {
        checkSizes(p, input, offsetMask, null);
        Dcnv4Config c = p.config();
        int kPts = c.points(), d = c.groupChannels();
        double[] out = new double[p.outputSize()];
        double[] weights = new double[kPts];
        double[] acc = new double[d];
        Sampler s = new Sampler(p);
        for (int n = 0; n < p.batch(); n++) {
            for (int yo = 0; yo < p.outHeight(); yo++) {
                for (int xo = 0; xo < p.outWidth(); xo++) {
                    for (int g = 0; g < c.groups(); g++) {
                        int om = s.offsetMaskBase(n, yo, xo, g);
                        loadWeights(c, offsetMask, om, weights);
                        java.util.Arrays.fill(acc, 0);
                        for (int k = 0; k < kPts; k++) {
                            if (!s.locate(yo, xo, k, offsetMask[om + 2 * k], offsetMask[om + 2 * k + 1])) {
                                continue;
                            }
                            for (int ch = 0; ch < d; ch++) {
                                acc[ch] += weights[k] * s.sample(input, n, g * d + ch);
                            }
                        }
                        int o = s.outputBase(n, yo, xo) + g * d;
                        System.arraycopy(acc, 0, out, o, d);
                    }
                }
            }
        }
        return out;
    }

    /**
     * Backward of {@code L = sum(output * gradOutput)}: grad_input by scatter, grad_offset_mask with
     * dL/doff = s * m * sum_c t_c dB_c/dpos and dL/dm = sum_c t_c B_c, then the softmax Jacobian in
     * softmax mode. Padding entries of grad_offset_mask are 0.
     */
    public static Gradients backward(Dcnv4Problem p, double[] input, double[] offsetMask, double[] gradOutput) {
        checkSizes(p, input, offsetMask, gradOutput);
        Dcnv4Config c = p.config();
        int kPts = c.points(), d = c.groupChannels();
        double scale = c.offsetScale();
        double[] gradIn = new double[p.inputSize()];
        double[] gradOm = new double[p.offsetMaskSize()];
        double[] weights = new double[kPts];
        double[] dWeight = new double[kPts];
        Sampler s = new Sampler(p);
        for (int n = 0; n < p.batch(); n++) {
            for (int yo = 0; yo < p.outHeight(); yo++) {
                for (int xo = 0; xo < p.outWidth(); xo++) {
                    for (int g = 0; g < c.groups(); g++) {
                        int om = s.offsetMaskBase(n, yo, xo, g);
                        int go = s.outputBase(n, yo, xo) + g * d;
                        loadWeights(c, offsetMask, om, weights);
                        java.util.Arrays.fill(dWeight, 0);
                        for (int k = 0; k < kPts; k++) {
                            if (!s.locate(yo, xo, k, offsetMask[om + 2 * k], offsetMask[om + 2 * k + 1])) {
                                continue;
                            }
                            double gx = 0, gy = 0, gz = 0;
                            for (int ch = 0; ch < d; ch++) {
                                int cc = g * d + ch;
                                double t = gradOutput[go + ch];
                                s.scatter(gradIn, n, cc, t * weights[k]);
                                gx += t * s.dSampleDx(input, n, cc);
                                gy += t * s.dSampleDy(input, n, cc);
                                gz += t * s.sample(input, n, cc);
                            }
                            gradOm[om + 2 * k] = scale * weights[k] * gx;
                            gradOm[om + 2 * k + 1] = scale * weights[k] * gy;
                            dWeight[k] = gz;
                        }
                        if (c.softmax()) {
                            // dL/dz_k = p_k * (dL/dp_k - sum_j p_j dL/dp_j)
                            double dot = 0;
                            for (int k = 0; k < kPts; k++) {
                                dot += weights[k] * dWeight[k];
                            }
                            for (int k = 0; k < kPts; k++) {
                                gradOm[om + 2 * kPts + k] = weights[k] * (dWeight[k] - dot);
                            }
                        } else {
                            System.arraycopy(dWeight, 0, gradOm, om + 2 * kPts, kPts);
                        }
                    }
                }
            }
        }
        return new Gradients(gradIn, gradOm);
    }

    /** The K modulation weights of one (position, group), softmax-normalised in softmax mode. */
    private static void loadWeights(Dcnv4Config c, double[] offsetMask, int om, double[] weights) {
        int kPts = c.points();
        for (int k = 0; k < kPts; k++) {
            weights[k] = offsetMask[om + 2 * kPts + k];
        }
        if (c.softmax()) {
            double max = Double.NEGATIVE_INFINITY;
            for (double w : weights) {
                max = Math.max(max, w);
            }
            double sum = 0;
            for (int k = 0; k < kPts; k++) {
                weights[k] = Math.exp(weights[k] - max);
                sum += weights[k];
            }
            for (int k = 0; k < kPts; k++) {
                weights[k] /= sum;
            }
        }
    }

    private static void checkSizes(Dcnv4Problem p, double[] input, double[] offsetMask, double[] gradOutput) {
        if (input.length != p.inputSize()) {
            throw new IllegalArgumentException("input: expected " + p.inputSize() + " elements but was " + input.length);
        }
        if (offsetMask.length != p.offsetMaskSize()) {
            throw new IllegalArgumentException("offsetMask: expected " + p.offsetMaskSize() + " elements but was "
                    + offsetMask.length);
        }
        if (gradOutput != null && gradOutput.length != p.outputSize()) {
            throw new IllegalArgumentException("gradOutput: expected " + p.outputSize() + " elements but was "
                    + gradOutput.length);
        }
    }

    /**
     * Geometry of one sampling point: {@link #locate} computes the position of point k and its
     * bilinear corners; the other methods then read or write one channel at those corners.
     */
    private static final class Sampler {
        private final Dcnv4Problem p;
        private final int h, w, cAll, pDim, wo, kh, kw;
        private final int[] ki, kj;        // kernel column / row of point k (the order of section 2.2)
        private final double scale;
        // state of the located point
        private int x0, y0;
        private double lx, ly, hx, hy;

        Sampler(Dcnv4Problem p) {
            this.p = p;
            Dcnv4Config c = p.config();
            h = p.height();
            w = p.width();
            cAll = c.channels();
            pDim = c.paddedOffsetDim();
            wo = p.outWidth();
            kh = c.kernelH();
            kw = c.kernelW();
            scale = c.offsetScale();
            ki = new int[c.points()];
            kj = new int[c.points()];
            int k = 0;
            for (int i = 0; i < kw; i++) {
                for (int j = 0; j < kh; j++) {
                    if (c.removeCenter() && i == kw / 2 && j == kh / 2) {
                        continue;
                    }
                    ki[k] = i;
                    kj[k] = j;
                    k++;
                }
            }
        }

        int offsetMaskBase(int n, int yo, int xo, int g) {
            return ((n * p.outHeight() + yo) * wo + xo) * pDim + g * 3 * ki.length;
        }

        int outputBase(int n, int yo, int xo) {
            return ((n * p.outHeight() + yo) * wo + xo) * cAll;
        }

        /** Positions point k; false when the point is invalid (skipped entirely). */
        boolean locate(int yo, int xo, int k, double offX, double offY) {
            Dcnv4Config c = p.config();
            int halfW = c.halfW(), halfH = c.halfH();
            double x = (double) xo * c.strideW() - c.padW() + halfW + scale * (ki[k] * c.dilationW() - halfW + offX);
            double y = (double) yo * c.strideH() - c.padH() + halfH + scale * (kj[k] * c.dilationH() - halfH + offY);
            if (!(x > -1 && y > -1 && x < w && y < h)) {      // NaN fails too
                return false;
            }
            double fx = Math.floor(x), fy = Math.floor(y);
            x0 = (int) fx;
            y0 = (int) fy;
            lx = x - fx;
            ly = y - fy;
            hx = 1 - lx;
            hy = 1 - ly;
            return true;
        }

        private double v(double[] input, int n, int yy, int xx, int ch) {
            if (yy < 0 || yy >= h || xx < 0 || xx >= w) {
                return 0;
            }
            return input[((n * h + yy) * w + xx) * cAll + ch];
        }

        double sample(double[] input, int n, int ch) {
            return hy * hx * v(input, n, y0, x0, ch) + hy * lx * v(input, n, y0, x0 + 1, ch)
                    + ly * hx * v(input, n, y0 + 1, x0, ch) + ly * lx * v(input, n, y0 + 1, x0 + 1, ch);
        }

        /** dB/dx = hy*(v2 - v1) + ly*(v4 - v3): the derivative of the cell at floor(x) (right derivative). */
        double dSampleDx(double[] input, int n, int ch) {
            return hy * (v(input, n, y0, x0 + 1, ch) - v(input, n, y0, x0, ch))
                    + ly * (v(input, n, y0 + 1, x0 + 1, ch) - v(input, n, y0 + 1, x0, ch));
        }

        /** dB/dy = hx*(v3 - v1) + lx*(v4 - v2). */
        double dSampleDy(double[] input, int n, int ch) {
            return hx * (v(input, n, y0 + 1, x0, ch) - v(input, n, y0, x0, ch))
                    + lx * (v(input, n, y0 + 1, x0 + 1, ch) - v(input, n, y0, x0 + 1, ch));
        }

        /** Adds {@code g * w_corner} to each in-range corner of channel ch. */
        void scatter(double[] grad, int n, int ch, double g) {
            add(grad, n, y0, x0, ch, g * hy * hx);
            add(grad, n, y0, x0 + 1, ch, g * hy * lx);
            add(grad, n, y0 + 1, x0, ch, g * ly * hx);
            add(grad, n, y0 + 1, x0 + 1, ch, g * ly * lx);
        }

        private void add(double[] grad, int n, int yy, int xx, int ch, double value) {
            if (yy >= 0 && yy < h && xx >= 0 && xx < w) {
                grad[((n * h + yy) * w + xx) * cAll + ch] += value;
            }
        }
    }
}
