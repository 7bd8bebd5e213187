package dev.dcnv4.bench.run;

import dev.dcnv4.op.Dcnv4Config;
import dev.dcnv4.op.Dcnv4Problem;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Only offset gradients of positions a few fp32 ulps off an integer are left out of the check. */
class PositionKinksTest {

    @Test
    void replacesOnlyNearIntegerPositions() {
        // one group, 3x3, D=4, a 1x3x3 image: positions (xo, yo) = (1, 1) is om base 4 * P
        Dcnv4Config c = Dcnv4Config.builder().kernel(3).stride(1).pad(1).groups(1).groupChannels(4).build();
        Dcnv4Problem p = Dcnv4Problem.of(c, 1, 3, 3);
        int pDim = c.paddedOffsetDim(), base = 4 * pDim;
        double[] om = new double[p.offsetMaskSize()];
        for (int i = 0; i < om.length; i++) {
            om[i] = 0.25;                                 // every point a quarter pixel off: compared
        }
        // point k=8 (column 2, row 2): x = 1 - 1 + 1 + (2 - 1 + offx) = 2 + offx
        om[base + 16] = -1 + Math.ulp(1f);                // x = 1 + 1.2e-7: fp32 may round it to 1
        om[base + 17] = -1;                               // y exactly 1: same convention, compared
        float[] actual = new float[om.length];
        double[] expected = new double[om.length];
        java.util.Arrays.fill(expected, 3.0);
        assertEquals(1, PositionKinks.accept(p, om, actual, expected));
        assertEquals(3f, actual[base + 16]);
        assertEquals(0f, actual[base + 17]);
        assertEquals(0f, actual[base + 15]);
    }

    @Test
    void toleranceIsTheGoldenOneUpTo63PixelsThenTwoUlpsOfTheCoordinate() {
        Dcnv4Config c = Dcnv4Config.builder().kernel(3).stride(1).pad(1).groups(4).groupChannels(32).build();
        assertEquals(1e-5, Verifier.tolerance(dev.dcnv4.arrays.DType.FP32, Dcnv4Problem.of(c, 64, 56, 56)));
        assertEquals(8e-4, Verifier.tolerance(dev.dcnv4.arrays.DType.FP16, Dcnv4Problem.of(c, 1, 200, 320)));
        assertEquals(0x1p-14, Verifier.tolerance(dev.dcnv4.arrays.DType.FP32, Dcnv4Problem.of(c, 1, 200, 320)));
        assertEquals(0x1p-16, Verifier.tolerance(dev.dcnv4.arrays.DType.FP32, Dcnv4Problem.of(c, 1, 64, 64)));
    }
}
