package dev.dcnv4.arrays;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class NativeArrayTest {

    @Test
    void halfRoundsToNearestEvenAndWidensExactly() {
        try (HalfFloatArray h = HalfFloatArray.allocate(4)) {
            h.setFloat(0, 1f + 0x1p-11f);          // tie between 1 and 1+2^-10: even -> 1
            h.setFloat(1, 1f + 3 * 0x1p-11f);      // tie: even -> 1 + 2^-9
            h.setFloat(2, 65520f);                 // rounds to infinity
            h.setFloat(3, 0x1p-24f);               // smallest subnormal
            assertEquals(1f, h.getFloat(0));
            assertEquals(1f + 0x1p-9f, h.getFloat(1));
            assertEquals(Float.POSITIVE_INFINITY, h.getFloat(2));
            assertEquals(0x1p-24f, h.getFloat(3));
            assertEquals((short) 0x3c00, h.getHalfBits(0));
        }
    }

    @Test
    void bfloat16RoundsToNearestEvenKeepsNaN() {
        float tieDown = Float.intBitsToFloat(0x3f808000);   // 1.00390625: tie, lower half even
        float tieUp = Float.intBitsToFloat(0x3f818000);
        assertEquals(Float.intBitsToFloat(0x3f800000), BFloat16.toFloat(BFloat16.fromFloat(tieDown)));
        assertEquals(Float.intBitsToFloat(0x3f820000), BFloat16.toFloat(BFloat16.fromFloat(tieUp)));
        assertTrue(Float.isNaN(BFloat16.toFloat(BFloat16.fromFloat(Float.NaN))));
        assertEquals(Float.NEGATIVE_INFINITY, BFloat16.toFloat(BFloat16.fromFloat(Float.NEGATIVE_INFINITY)));
        try (BFloat16Array b = BFloat16Array.allocate(1)) {
            b.setFloat(0, 3.14159f);
            assertEquals(BFloat16.toFloat(BFloat16.fromFloat(3.14159f)), b.getFloat(0));
            assertEquals(DType.BF16.round(3.14159f), b.getFloat(0));
        }
    }

    @Test
    void conversionsBetweenPrecisions() {
        try (FloatArray f = FloatArray.fromArray(0.1f, -2.5f, 1e-3f, 70000f);
             NativeArray h = f.convertTo(DType.FP16); NativeArray b = h.convertTo(DType.BF16)) {
            assertEquals(DType.FP16, h.dtype());
            for (int i = 0; i < 4; i++) {
                assertEquals(DType.FP16.round(f.get(i)), h.getFloat(i));
                assertEquals(DType.BF16.round(h.getFloat(i)), b.getFloat(i));
            }
            assertEquals(8, h.getNumBytes());
        }
    }

    @Test
    void viewsDoNotFreeTheCallersMemoryAndSizesAreChecked() {
        try (var arena = java.lang.foreign.Arena.ofConfined()) {
            var seg = arena.allocate(16);
            FloatArray view = FloatArray.fromSegment(seg);
            view.set(3, 7f);
            view.close();
            assertEquals(7f, seg.getAtIndex(java.lang.foreign.ValueLayout.JAVA_FLOAT, 3));
            assertThrows(IllegalArgumentException.class, () -> HalfFloatArray.fromSegment(arena.allocate(3)));
        }
        assertThrows(IllegalArgumentException.class, () -> FloatArray.allocate(-1));
        FloatArray a = FloatArray.allocate(2);
        a.close();
        a.close();                                   // idempotent
        assertThrows(IllegalStateException.class, () -> a.get(0));
    }

    @Test
    void dtypeParsing() {
        assertEquals(DType.BF16, DType.parse("BF16"));
        assertEquals(DType.FP16, DType.parse("half"));
        var e = assertThrows(IllegalArgumentException.class, () -> DType.parse("int8"));
        assertEquals("dtype: expected one of fp32, fp16, bf16 but was 'int8'", e.getMessage());
    }
}
