package dev.dcnv4.bench.run;

import dev.dcnv4.op.Dcnv4Config;
import dev.dcnv4.op.Dcnv4Problem;

/**
 * Where the offset gradient may legitimately differ from the fp64 reference by a jump.
 *
 * <p>The bilinear sample is continuous in the position, but its derivative is not: it jumps where
 * x (or y) crosses an integer, the cell boundary (dcnv4-semantics.md 3.2: right-derivative of the
 * cell at floor(x)), including -1 and W where the point becomes invalid. The reference computes the
 * position {@code xo*sw - pw + halfw + s*(i*dw - halfw + offx)} in double; the backends compute it in
 * float (dcnv4-semantics.md 2.1). A position a few fp32 ulps from an integer can therefore land on the
 * other side of it in fp32, and the backend's d/d offx is then the derivative of the neighbouring
 * cell: a genuine difference of up to the size of the gradient, not an error. Small golden cases
 * never hit this by chance; a random hr-s4 image (64,000 positions x 36 points per group) does.
 *
 * <p>{@link #accept} replaces exactly those entries of the device's grad_offset_mask (the x or y
 * offset gradient of a point whose exact position lies within {@value #ULPS} fp32 ulps of an integer,
 * but not on it) by the reference's value, so the comparison skips them, and counts them. Positions
 * exactly on an integer are compared: both sides use the same convention there. The output,
 * grad_input and the weight gradients are continuous in the position and always compared in full.
 */
final class PositionKinks {
    /** fp32 ulps of the position's magnitude within which the fp32 position may round across. */
    static final int ULPS = 2;

    private PositionKinks() {
    }

    /**
     * Copies {@code expected} into {@code actual} at the offset gradients of near-integer positions
     * of the batch-1 problem {@code p}; returns how many entries were replaced.
     */
    static int accept(Dcnv4Problem p, double[] offsetMask, float[] actual, double[] expected) {
        Dcnv4Config c = p.config();
        int kPts = c.points(), pDim = c.paddedOffsetDim();
        int[] ki = new int[kPts], kj = new int[kPts];
        for (int i = 0, k = 0; i < c.kernelW(); i++) {          // point order: column i outer, row j inner
            for (int j = 0; j < c.kernelH(); j++) {
                if (c.removeCenter() && i == c.kernelW() / 2 && j == c.kernelH() / 2) {
                    continue;
                }
                ki[k] = i;
                kj[k++] = j;
            }
        }
        double s = c.offsetScale();
        int replaced = 0;
        for (int yo = 0; yo < p.outHeight(); yo++) {
            for (int xo = 0; xo < p.outWidth(); xo++) {
                for (int g = 0; g < c.groups(); g++) {
                    int om = (yo * p.outWidth() + xo) * pDim + g * 3 * kPts;
                    for (int k = 0; k < kPts; k++) {
                        double tx = s * (ki[k] * c.dilationW() - c.halfW() + offsetMask[om + 2 * k]);
                        double ty = s * (kj[k] * c.dilationH() - c.halfH() + offsetMask[om + 2 * k + 1]);
                        double x = (double) xo * c.strideW() - c.padW() + c.halfW() + tx;
                        double y = (double) yo * c.strideH() - c.padH() + c.halfH() + ty;
                        replaced += accept(x, tx, actual, expected, om + 2 * k);
                        replaced += accept(y, ty, actual, expected, om + 2 * k + 1);
                    }
                }
            }
        }
        return replaced;
    }

    private static int accept(double pos, double term, float[] actual, double[] expected, int at) {
        double dist = Math.abs(pos - Math.rint(pos));
        double tol = ULPS * Math.ulp((float) (Math.abs(pos) + Math.abs(term) + 1));
        if (dist == 0 || dist > tol || Double.isNaN(pos)) {
            return 0;
        }
        actual[at] = (float) expected[at];
        return 1;
    }
}
