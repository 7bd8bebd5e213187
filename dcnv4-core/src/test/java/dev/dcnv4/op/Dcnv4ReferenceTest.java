package dev.dcnv4.op;

import dev.dcnv4.arrays.DType;
import dev.dcnv4.device.ReferenceDevice;
import dev.dcnv4.golden.GoldenChecker;
import dev.dcnv4.golden.Goldens;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class Dcnv4ReferenceTest {

    @Test
    void referencePassesEveryGoldenCaseInEveryPrecision() throws Exception {
        var bytes = new ByteArrayOutputStream();
        GoldenChecker.Summary s;
        try (PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8)) {
            s = GoldenChecker.check(Goldens.folder(), new ReferenceDevice(), List.of(DType.values()), 2, out);
        }
        String text = bytes.toString(StandardCharsets.UTF_8);
        assertEquals(0, s.failed(), text);
        assertTrue(s.passed() >= 60, text);              // 10 cases x 3 dtypes x 2 directions
    }

    /** Random problem with offsets small enough to stay mostly inside, large enough to cross cells. */
    private static double[][] randomInputs(Dcnv4Problem p, long seed, double amp) {
        SplittableRandom r = new SplittableRandom(seed);
        double[] in = r.doubles(p.inputSize(), -1, 1).toArray();
        double[] om = new double[p.offsetMaskSize()];
        Dcnv4Config c = p.config();
        int k = c.points(), used = 3 * k * c.groups();
        for (int i = 0; i < om.length; i++) {
            int e = i % c.paddedOffsetDim();
            om[i] = e >= used ? 0 : e % (3 * k) < 2 * k ? r.nextDouble(-amp, amp) : r.nextDouble(-1.5, 1.5);
        }
        double[] go = r.doubles(p.outputSize(), -1, 1).toArray();
        return new double[][] {in, om, go};
    }

    private static double loss(Dcnv4Problem p, double[] in, double[] om, double[] go) {
        double[] out = Dcnv4Reference.forward(p, in, om);
        double s = 0;
        for (int i = 0; i < out.length; i++) {
            s += out[i] * go[i];
        }
        return s;
    }

    @ParameterizedTest
    @ValueSource(strings = {"k3", "k3-stride2-rc", "k2x4-dil2-scale0.7", "k5-softmax", "k1-batch3"})
    void gradientsMatchCentralFiniteDifferences(String variant) {
        Dcnv4Config.Builder b = Dcnv4Config.builder().groups(2).groupChannels(3);
        int batch = 1;
        switch (variant) {
            case "k3-stride2-rc" -> b.stride(2).removeCenter(true);
            case "k2x4-dil2-scale0.7" -> b.kernel(2, 4).dilation(2).offsetScale(0.7f).pad(2);
            case "k5-softmax" -> b.kernel(5).pad(2).softmax(true).offsetScale(0.5f);
            case "k1-batch3" -> b.kernel(1).pad(0);
            default -> { }
        }
        if (variant.equals("k1-batch3")) {
            batch = 3;
        }
        Dcnv4Problem p = Dcnv4Problem.of(b.build(), batch, 5, 6);
        double[][] x = randomInputs(p, variant.hashCode(), 2.0);
        Dcnv4Reference.Gradients g = Dcnv4Reference.backward(p, x[0], x[1], x[2]);
        double h = 1e-6;
        SplittableRandom pick = new SplittableRandom(7);
        // every offset_mask entry of the first position(s) and a sample of input entries
        int checked = 0;
        for (int i = 0; i < Math.min(x[1].length, 3 * p.config().paddedOffsetDim()); i++) {
            double fd = centralDifference(p, x, 1, i, h);
            assertEquals(fd, g.gradOffsetMask()[i], 1e-6 * Math.max(1, Math.abs(fd)), "offset_mask[" + i + "]");
            checked++;
        }
        for (int n = 0; n < 40; n++) {
            int i = pick.nextInt(x[0].length);
            double fd = centralDifference(p, x, 0, i, h);
            assertEquals(fd, g.gradInput()[i], 1e-6 * Math.max(1, Math.abs(fd)), "input[" + i + "]");
        }
        assertTrue(checked > 0);
    }

    private static double centralDifference(Dcnv4Problem p, double[][] x, int which, int i, double h) {
        double keep = x[which][i];
        x[which][i] = keep + h;
        double up = loss(p, x[0], x[1], x[2]);
        x[which][i] = keep - h;
        double down = loss(p, x[0], x[1], x[2]);
        x[which][i] = keep;
        return (up - down) / (2 * h);
    }

    @Test
    void paddingEntriesAreNeverReadAndGetZeroGradient() {
        Dcnv4Problem p = Dcnv4Problem.of(Dcnv4Config.builder().groups(1).groupChannels(4).build(), 1, 4, 4);
        double[][] x = randomInputs(p, 3, 1.0);
        double[] clean = Dcnv4Reference.forward(p, x[0], x[1]);
        int used = 27, pDim = p.config().paddedOffsetDim();
        for (int i = 0; i < x[1].length; i++) {
            if (i % pDim >= used) {
                x[1][i] = Double.NaN;
            }
        }
        assertArrayEqualsExactly(clean, Dcnv4Reference.forward(p, x[0], x[1]));
        double[] gom = Dcnv4Reference.backward(p, x[0], x[1], x[2]).gradOffsetMask();
        for (int i = 0; i < gom.length; i++) {
            if (i % pDim >= used) {
                assertEquals(0.0, gom[i], "padding entry " + i);
            }
        }
    }

    @Test
    void boundaryRulesStrictValidityFloorAndNaN() {
        // 1x1 kernel, pad 0, one group of one channel on a 1x3 image: the sample position is xo + offx
        Dcnv4Problem p = Dcnv4Problem.of(Dcnv4Config.builder().kernel(1).pad(0).groups(1).groupChannels(1).build(),
                1, 1, 3);
        double[] in = {10, 20, 30};
        // per position: offx, offy, weight (P = 8)
        double[] om = new double[3 * 8];
        om[0] = -1.0; om[2] = 1;            // x = -1 exactly: invalid, contributes nothing
        om[8] = -1.5; om[10] = 1;           // x = -0.5: floor -> -1, left corner is padding: 0.5*10
        om[16] = Double.NaN; om[18] = 1;    // NaN offset: point skipped
        double[] out = Dcnv4Reference.forward(p, in, om);
        assertEquals(0.0, out[0]);
        assertEquals(5.0, out[1], 1e-12);
        assertEquals(0.0, out[2]);
        om[18] = Double.NaN; om[16] = 0;    // NaN weight of a valid point poisons the output
        assertTrue(Double.isNaN(Dcnv4Reference.forward(p, in, om)[2]));
        // at x = W-1 exactly only the left corner carries weight; dB/dx is the right-derivative (v2 - v1 = 0 - 30)
        double[] om2 = new double[3 * 8];
        om2[16] = 0; om2[18] = 2;
        Dcnv4Reference.Gradients g = Dcnv4Reference.backward(p, in, om2, new double[] {0, 0, 1});
        assertEquals(2 * -30.0, g.gradOffsetMask()[16], 1e-12);
        assertEquals(30.0, g.gradOffsetMask()[18], 1e-12);
        assertEquals(2.0, g.gradInput()[2], 1e-12);
    }

    @Test
    void zeroWeightsGiveZeroOutput() {
        Dcnv4Problem p = Dcnv4Problem.of(Dcnv4Config.builder().groups(2).groupChannels(8).build(), 2, 5, 5);
        double[][] x = randomInputs(p, 11, 3.0);
        Dcnv4Config c = p.config();
        for (int i = 0; i < x[1].length; i++) {
            if (i % c.paddedOffsetDim() % (3 * c.points()) >= 2 * c.points()) {
                x[1][i] = 0;
            }
        }
        for (double v : Dcnv4Reference.forward(p, x[0], x[1])) {
            assertEquals(0.0, v);
        }
    }

    private static void assertArrayEqualsExactly(double[] a, double[] b) {
        assertEquals(a.length, b.length);
        for (int i = 0; i < a.length; i++) {
            assertEquals(Double.doubleToLongBits(a[i]), Double.doubleToLongBits(b[i]), "index " + i);
        }
    }
}
