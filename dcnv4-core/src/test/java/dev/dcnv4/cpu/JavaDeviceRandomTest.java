package dev.dcnv4.cpu;

import dev.dcnv4.arrays.DType;
import dev.dcnv4.golden.GoldenChecker;
import dev.dcnv4.arrays.NativeArray;
import dev.dcnv4.op.Dcnv4Config;
import dev.dcnv4.op.Dcnv4Data;
import dev.dcnv4.op.Dcnv4Problem;
import dev.dcnv4.op.Dcnv4Reference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Hundreds of small random problems (kernel 1/3/5/7 and non-square, stride 1-3, dilation 1-2, pad
 * 0-3, remove_center, softmax, batch up to 3, D not a multiple of the vector width) on device
 * "java", forward and backward, against the fp64 reference evaluated on the same (rounded) inputs.
 * Error = max|actual - expected| / max|expected|, tolerances of goldens/README.md.
 */
class JavaDeviceRandomTest {
    /** Three threads (position chunks, per-chunk buffers) and one (the result accumulated directly). */
    private static JavaDevice device, single;

    @BeforeAll
    static void open() {
        device = new JavaDevice(3);
        single = new JavaDevice(1);
    }

    @AfterAll
    static void close() {
        device.close();
        single.close();
    }

    static double tolerance(DType t) {
        return GoldenChecker.tolerance(t);
    }

    static Dcnv4Problem randomProblem(SplittableRandom r) {
        int[] kernels = {1, 3, 5, 7};
        int kh = kernels[r.nextInt(4)], kw = r.nextInt(5) == 0 ? kernels[r.nextInt(4)] : kh;
        if (r.nextInt(10) == 0) {
            kh = 1 + r.nextInt(4);                 // even sizes too (2, 4)
            kw = 1 + r.nextInt(4);
        }
        boolean rc = kh * kw >= 2 && r.nextInt(4) == 0;
        int[] ds = {1, 2, 3, 5, 7, 8, 9, 12, 16, 17, 24, 32, 33};
        Dcnv4Config c = Dcnv4Config.builder().kernel(kh, kw).stride(1 + r.nextInt(3), 1 + r.nextInt(3))
                .pad(r.nextInt(4), r.nextInt(4)).dilation(1 + r.nextInt(2), 1 + r.nextInt(2))
                .groups(1 + r.nextInt(4)).groupChannels(ds[r.nextInt(ds.length)])
                .offsetScale(new float[] {0.5f, 0.7f, 1f, 2f}[r.nextInt(4)])
                .removeCenter(rc).softmax(r.nextInt(4) == 0).build();
        int h = Math.max(1, c.dilationH() * (c.kernelH() - 1) + 1 - 2 * c.padH()) + r.nextInt(7);
        int w = Math.max(1, c.dilationW() * (c.kernelW() - 1) + 1 - 2 * c.padW()) + r.nextInt(7);
        return Dcnv4Problem.of(c, 1 + r.nextInt(3), h, w);
    }

    @Test
    void randomProblemsMatchReference() {
        SplittableRandom r = new SplittableRandom(20261127);
        DType[] types = DType.values();
        int cases = 300;
        for (int i = 0; i < cases; i++) {
            Dcnv4Problem p = randomProblem(r);
            DType t = types[i % 3];
            DType gradType = r.nextBoolean() ? DType.FP32 : t;
            float amp = new float[] {0.5f, 2f, 6f}[r.nextInt(3)];
            try (Dcnv4Data data = Dcnv4Data.random(p, t, r.nextLong(), amp)) {
                JavaDevice dev = i % 4 == 3 ? single : device;
                check(dev, p, data, gradType, "case " + i + " " + p + " " + t + " grads " + gradType + " on " + dev.threads() + " threads");
            }
        }
    }

    /**
     * A larger input (4.7 MB, two images, larger than L2), whose rows are streamed in ahead of the
     * points across the image boundary; a 1-thread device too. The offsets are an integer plus a fraction in [0.3, 0.7], so that no sample lies near a pixel
     * boundary, where the fp32 and fp64 positions could floor differently and the offset gradient jumps
     * (with 300k samples on a 64-pixel image a few would otherwise land within an fp32 ulp of one).
     */
    @Test
    void largerInputMatchesReference() {
        Dcnv4Config c = Dcnv4Config.builder().groups(4).groupChannels(32).offsetScale(1f).build();
        Dcnv4Problem p = Dcnv4Problem.of(c, 2, 64, 72);
        SplittableRandom r = new SplittableRandom(77);
        int k = c.points(), width = c.paddedOffsetDim();
        for (DType t : new DType[] {DType.FP32, DType.FP16}) {
            try (Dcnv4Data data = Dcnv4Data.random(p, t, 77, 3f)) {
                for (int row = 0; row < p.batch() * p.positions(); row++) {
                    for (int g = 0; g < c.groups(); g++) {
                        for (int j = 0; j < 2 * k; j++) {
                            float off = r.nextInt(-3, 4) + 0.3f + 0.4f * (float) r.nextDouble();
                            data.offsetMask().setFloat(row * width + g * 3 * k + j, off);
                        }
                    }
                }
                check(device, p, data, DType.FP32, "large " + t);
                check(single, p, data, DType.FP32, "large " + t + " on 1 thread");
            }
        }
    }

    static void check(JavaDevice device, Dcnv4Problem p, Dcnv4Data data, DType gradType, String what) {
        DType t = data.dtype();
        double[] in = data.input().toDoubleArray(), om = data.offsetMask().toDoubleArray();
        double[] go = data.gradOutput().toDoubleArray();
        double[] refOut = Dcnv4Reference.forward(p, in, om);
        Dcnv4Reference.Gradients ref = Dcnv4Reference.backward(p, in, om, go);
        try (NativeArray out = NativeArray.allocate(t, p.outputSize());
             NativeArray gi = NativeArray.allocate(gradType, p.inputSize());
             NativeArray gom = NativeArray.allocate(gradType, p.offsetMaskSize())) {
            gom.init(Float.NaN);                    // everything, padding included, must be overwritten
            gi.init(Float.NaN);
            device.forward(p, data.input(), data.offsetMask(), out);
            device.backward(p, data.input(), data.offsetMask(), data.gradOutput(), gi, gom);
            assertClose(what + " output", out, refOut, tolerance(t));
            assertClose(what + " grad_input", gi, ref.gradInput(), tolerance(t));
            assertClose(what + " grad_offset_mask", gom, ref.gradOffsetMask(), tolerance(t));
        }
    }

    static void assertClose(String what, NativeArray actual, double[] expected, double tol) {
        double maxExp = 0, maxErr = 0;
        for (int i = 0; i < expected.length; i++) {
            maxExp = Math.max(maxExp, Math.abs(expected[i]));
            double a = actual.getFloat(i);
            if (Double.isNaN(a)) {
                fail(what + ": NaN at " + i);
            }
            maxErr = Math.max(maxErr, Math.abs(a - expected[i]));
        }
        double rel = maxExp == 0 ? maxErr : maxErr / maxExp;
        assertTrue(rel <= tol, what + ": relative max error " + rel + " > " + tol);
    }
}
