package dev.dcnv4.op;

import dev.dcnv4.arrays.DType;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The random inputs the tests and benchmarks use. */
class Dcnv4DataTest {
    private static final Dcnv4Problem P = Dcnv4Problem.of(
            Dcnv4Config.builder().groups(2).groupChannels(8).offsetScale(1f).build(), 1, 5, 6);

    @Test
    void offsetsStayWithinTheAmplitudeAndZeroGivesNone() {
        Dcnv4Config c = P.config();
        int k = c.points(), pDim = c.paddedOffsetDim();
        for (float amp : new float[] {0f, 0.05f, 2f}) {
            try (Dcnv4Data d = Dcnv4Data.random(P, DType.FP32, 1, amp)) {
                float max = 0;
                for (int i = 0; i < d.offsetMask().getSize(); i++) {
                    int e = i % pDim;
                    if (e < 3 * k * c.groups() && e % (3 * k) < 2 * k) {
                        max = Math.max(max, Math.abs(d.offsetMask().getFloat(i)));
                    }
                }
                assertTrue(amp == 0 ? max == 0 : max < amp && max > amp / 2, "amplitude " + amp + ": max |offset| " + max);
            }
        }
    }

    @Test
    void rejectsANegativeOrNonFiniteAmplitudeByName() {
        for (float amp : new float[] {-1f, Float.NaN, Float.POSITIVE_INFINITY}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> Dcnv4Data.random(P, DType.FP32, 1, amp));
            assertEquals("offsetAmplitude: expected a finite number >= 0 but was " + amp, e.getMessage());
        }
    }
}
