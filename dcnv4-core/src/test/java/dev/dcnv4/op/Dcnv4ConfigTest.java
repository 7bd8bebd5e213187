package dev.dcnv4.op;

import dev.dcnv4.arrays.FloatArray;
import dev.dcnv4.arrays.HalfFloatArray;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class Dcnv4ConfigTest {

    private static Dcnv4Config.Builder base() {
        return Dcnv4Config.builder().groups(4).groupChannels(32);
    }

    @Test
    void derivedValuesFollowTheSemantics() {
        Dcnv4Config c = base().build();
        assertEquals(9, c.points());
        assertEquals(128, c.channels());
        assertEquals(112, c.paddedOffsetDim());                  // 108 -> 112
        assertEquals(96, base().removeCenter(true).build().paddedOffsetDim());
        assertEquals(192, Dcnv4Config.builder().groups(7).groupChannels(16).build().paddedOffsetDim());
        assertEquals(136, Dcnv4Config.builder().groups(5).groupChannels(16).build().paddedOffsetDim());
        assertEquals(32, Dcnv4Config.builder().groups(1).groupChannels(16).build().paddedOffsetDim());
        assertEquals(56, c.outputHeight(56));
        Dcnv4Config s2 = base().stride(2).pad(0).build();
        assertEquals(6, s2.outputHeight(13));
        assertEquals(4, s2.outputWidth(9));
        Dcnv4Config dil = base().dilation(3).kernel(2, 4).build();
        assertEquals(1, dil.halfH());                              // (3*1) >> 1
        assertEquals(4, dil.halfW());                              // (3*3) >> 1
    }

    @Test
    void messagesNameParameterExpectedAndActual() {
        var e = assertThrows(IllegalArgumentException.class, () -> base().stride(0).build());
        assertEquals("strideH: expected >= 1 but was 0", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> base().pad(-1, 0).build());
        assertEquals("padH: expected >= 0 but was -1", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Dcnv4Config.builder().groupChannels(8).build());
        assertTrue(e.getMessage().startsWith("groups:"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> base().offsetScale(Float.NaN).build());
        assertTrue(e.getMessage().contains("offsetScale") && e.getMessage().contains("NaN"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> base().kernel(1).removeCenter(true).build());
        assertTrue(e.getMessage().startsWith("removeCenter"), e.getMessage());
    }

    @Test
    void inputSmallerThanTheDilatedKernelIsRejected() {
        Dcnv4Config c = base().pad(0).dilation(2).build();        // extent 5
        var e = assertThrows(IllegalArgumentException.class, () -> Dcnv4Problem.of(c, 1, 4, 8));
        assertTrue(e.getMessage().contains("input height") && e.getMessage().contains("was 4"), e.getMessage());
        assertEquals(1, Dcnv4Problem.of(c, 1, 5, 5).outHeight());
        // 1x1 input with pad 1 works for a 3x3 kernel
        assertEquals(1, Dcnv4Problem.of(base().build(), 1, 1, 1).outWidth());
    }

    @Test
    void problemChecksArraysBeforeUse() {
        Dcnv4Problem p = Dcnv4Problem.of(Dcnv4Config.builder().groups(2).groupChannels(16).build(), 1, 4, 4);
        try (FloatArray in = FloatArray.allocate(p.inputSize()); FloatArray om = FloatArray.allocate(p.offsetMaskSize());
             FloatArray out = FloatArray.allocate(p.outputSize()); FloatArray bad = FloatArray.allocate(p.inputSize() - 1);
             HalfFloatArray half = HalfFloatArray.allocate(p.outputSize())) {
            p.checkForward(in, om, out);
            var e = assertThrows(IllegalArgumentException.class, () -> p.checkForward(bad, om, out));
            assertTrue(e.getMessage().startsWith("input: expected 512 elements") && e.getMessage().endsWith("was 511"),
                    e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> p.checkForward(in, om, half));
            assertEquals("output: expected dtype fp32 (the input's) but was fp16", e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> p.checkForward(in, null, out));
            assertTrue(e.getMessage().startsWith("offsetMask:"), e.getMessage());
        }
    }

    @Test
    void hugeProblemsAreRejectedWithTheSize() {
        Dcnv4Config c = base().build();
        var e = assertThrows(IllegalArgumentException.class, () -> Dcnv4Problem.of(c, 4096, 1024, 1024));
        assertTrue(e.getMessage().contains("split the batch"), e.getMessage());
    }
}
