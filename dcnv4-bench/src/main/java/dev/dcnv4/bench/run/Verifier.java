package dev.dcnv4.bench.run;

import dev.dcnv4.arrays.DType;
import dev.dcnv4.arrays.NativeArray;
import dev.dcnv4.golden.GoldenChecker;
import dev.dcnv4.op.Dcnv4Data;
import dev.dcnv4.op.Dcnv4Problem;
import dev.dcnv4.op.Dcnv4Reference;
import dev.dcnv4.op.Direction;

/**
 * Checks a timed result against the fp64 {@link Dcnv4Reference}, so that no speed is reported for a
 * wrong result. Only the first image (batch element 0) is compared: it is computed from image 0's
 * slices of the very arrays the device read (the same rounded fp16/fp32 values, widened exactly), on
 * the batch-1 sub-problem; the output, grad_input and grad_offset_mask of image 0 depend on image 0
 * alone, so this is an exact check of that image at 1/N of the reference's cost. The error and the
 * tolerances are the golden protocol's ({@link GoldenChecker#relativeError}, {@link
 * GoldenChecker#tolerance}): max|actual - expected| / max|expected| per array, with the tolerance
 * widened for images wider than 63 px by the fp32 rounding of the sampling position ({@link
 * #tolerance}), and except for the offset
 * gradients of the few points that sit within a few fp32 ulps of a cell boundary, where the gradient
 * jumps and fp32 and fp64 positions may fall on different sides ({@link PositionKinks}).
 *
 * <p>The reference results of the last (shape, dtype, seed) are kept, so the forward and the backward
 * of one suite shape share the extracted inputs and each reference pass runs once; a new key drops
 * them (one hr-s4 image is a few hundred MB of doubles, so only one entry is kept). Not thread-safe:
 * one per bench run.
 */
public final class Verifier {

    /**
     * Outcome of one check; a NaN error (a NaN or infinity where the reference is finite) fails.
     * {@code kinks}: offset-gradient entries left out of the comparison ({@link PositionKinks}).
     */
    public record Check(double maxRelErr, double tolerance, int kinks) {
        public boolean passed() {
            return maxRelErr <= tolerance;
        }
    }

    /** What the random inputs were made from: {@code spec} with direction FORWARD, and the seed. */
    private record Key(BenchSpec spec, long seed, float amplitude) {
    }

    private Key key;
    private Dcnv4Problem image;                    // the batch-1 sub-problem
    private double[] input, offsetMask, gradOutput;
    private double[] output;                       // reference results, computed on first use
    private Dcnv4Reference.Gradients gradients;
    private double referenceSeconds;

    /** Seconds spent in reference evaluations so far (the cost of verifying, reported by the bench). */
    public double referenceSeconds() {
        return referenceSeconds;
    }

    /**
     * Compares image 0 of the device's results with the reference on the same data. {@code out} is
     * read for a forward spec, {@code gradInput} and {@code gradOffsetMask} for a backward spec.
     */
    public Check check(BenchSpec spec, Dcnv4Data data, long seed, float amplitude, NativeArray out,
                       NativeArray gradInput, NativeArray gradOffsetMask) {
        load(new Key(spec.with(spec.dtype(), Direction.FORWARD), seed, amplitude), data);
        double tol = tolerance(spec.dtype(), image);
        if (spec.direction() == Direction.FORWARD) {
            if (output == null) {
                long t0 = System.nanoTime();
                output = Dcnv4Reference.forward(image, input, offsetMask);
                referenceSeconds += (System.nanoTime() - t0) / 1e9;
            }
            return new Check(GoldenChecker.relativeError(head(out, image.outputSize()), output), tol, 0);
        }
        if (gradients == null) {
            long t0 = System.nanoTime();
            gradients = Dcnv4Reference.backward(image, input, offsetMask, gradOutput);
            referenceSeconds += (System.nanoTime() - t0) / 1e9;
        }
        double ein = GoldenChecker.relativeError(head(gradInput, image.inputSize()), gradients.gradInput());
        float[] gom = head(gradOffsetMask, image.offsetMaskSize());
        int skipped = PositionKinks.accept(image, offsetMask, gom, gradients.gradOffsetMask());
        double eom = GoldenChecker.relativeError(gom, gradients.gradOffsetMask());
        return new Check(Double.isNaN(ein) || Double.isNaN(eom) ? Double.NaN : Math.max(ein, eom), tol, skipped);
    }

    /**
     * The golden tolerance of {@code dtype}, or 2 fp32 ulps of the largest coordinate, whichever is
     * larger. The reference places samples exactly (double); the backends compute the position in fp32
     * (dcnv4-semantics.md 2.1), which carries up to half an ulp of the coordinate: 1.5e-5 px at x = 320.
     * That moves the bilinear weights by as much, so the output and grad_input of a wide image differ
     * from the exact values by ~1e-5 of their maximum even when every operation follows the spec (java
     * and OpenCL both show 1.45e-5 on hr-s4, 200x320). The golden cases are at most a few dozen pixels
     * wide, where the protocol's 1e-5 is the larger term; the wider tolerance applies from 64 px on
     * (1.5e-5 up to 127 px, 3.1e-5 up to 255, 6.1e-5 up to 511).
     */
    static double tolerance(DType dtype, Dcnv4Problem p) {
        double coordinate = Math.max(p.height(), p.width());
        return Math.max(GoldenChecker.tolerance(dtype), 2 * Math.ulp((float) coordinate));
    }

    private void load(Key k, Dcnv4Data data) {
        if (k.equals(key)) {
            return;
        }
        key = null;                                  // drop the old entry before allocating the new one
        output = null;
        gradients = null;
        Dcnv4Problem p = data.problem();
        image = Dcnv4Problem.of(p.config(), 1, p.height(), p.width());
        input = headDoubles(data.input(), image.inputSize());
        offsetMask = headDoubles(data.offsetMask(), image.offsetMaskSize());
        gradOutput = headDoubles(data.gradOutput(), image.outputSize());
        key = k;
    }

    /** The first {@code n} elements (image 0 of an N-first array), widened exactly to double. */
    private static double[] headDoubles(NativeArray a, int n) {
        double[] d = new double[n];
        for (int i = 0; i < n; i++) {
            d[i] = a.getFloat(i);
        }
        return d;
    }

    private static float[] head(NativeArray a, int n) {
        if (a == null || a.getSize() < n) {
            throw new IllegalArgumentException("verify: expected a result array of at least " + n
                    + " elements but was " + (a == null ? "none" : a.getSize()));
        }
        float[] f = new float[n];
        for (int i = 0; i < n; i++) {
            f[i] = a.getFloat(i);
        }
        return f;
    }
}
