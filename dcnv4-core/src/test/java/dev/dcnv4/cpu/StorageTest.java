package dev.dcnv4.cpu;

import dev.dcnv4.arrays.BFloat16;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The vectorised conversions bit for bit: fp16 against Float.floatToFloat16 / float16ToFloat, bf16
 * against BFloat16 (the scalar definition), on special values, random bit patterns and every lane
 * position of the scalar tails.
 */
class StorageTest {

    @Test
    void halfConversionsMatchTheJdk() {
        int n = 1 << 20;
        SplittableRandom r = new SplittableRandom(5);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment f = arena.allocate(4L * n), h = arena.allocate(2L * n), back = arena.allocate(4L * n);
            float[] special = {0f, -0f, 65504f, 65519.99f, 65520f, -65520f, 65536f, 1e9f, Float.POSITIVE_INFINITY,
                    Float.NEGATIVE_INFINITY, 5.96e-8f, 2.98e-8f, 2.9802326e-8f, 6.1035156e-5f, 6.1e-5f, 1e-10f,
                    Float.MIN_VALUE, 1.0009766f, 1.0004883f, 1.0014648f, 2049f, 2051f};
            for (int i = 0; i < n; i++) {
                float v;
                if (i < special.length) {
                    v = special[i];
                } else if (i % 3 == 0) {
                    v = Float.intBitsToFloat(r.nextInt());     // any bit pattern
                } else {
                    v = (float) (r.nextDouble(-1, 1) * Math.pow(2, r.nextInt(-30, 18)));
                }
                if (Float.isNaN(v)) {
                    v = 1f;                                    // NaN payloads differ by design
                }
                f.setAtIndex(Storage.F32, i, v);
            }
            Storage.narrowHalf(f, 0, n, h);
            for (int i = 0; i < n; i++) {
                float v = f.getAtIndex(Storage.F32, i);
                assertEquals(Float.floatToFloat16(v), h.getAtIndex(Storage.I16, i), "narrow " + v + " at " + i);
            }
            Storage.widenHalf(h, 0, n, back);
            for (int i = 0; i < n; i++) {
                short bits = h.getAtIndex(Storage.I16, i);
                assertEquals(Float.floatToRawIntBits(Float.float16ToFloat(bits)),
                        Float.floatToRawIntBits(back.getAtIndex(Storage.F32, i)), "widen " + bits);
            }
            // NaN stays NaN both ways
            f.setAtIndex(Storage.F32, 0, Float.NaN);
            Storage.narrowHalf(f, 0, 16, h);
            assertTrue(Float.isNaN(Float.float16ToFloat(h.getAtIndex(Storage.I16, 0))));
        }
    }

    @Test
    void bfloat16ConversionsMatchTheScalarDefinition() {
        int n = (1 << 20) + 7;                               // odd length: the scalar tail runs too
        SplittableRandom r = new SplittableRandom(6);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment f = arena.allocate(4L * n), h = arena.allocate(2L * n), back = arena.allocate(4L * n);
            float[] special = {0f, -0f, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.NaN, -Float.NaN,
                    Float.intBitsToFloat(0x7f800001), Float.intBitsToFloat(0xffc00001), Float.MAX_VALUE,
                    Float.intBitsToFloat(0x7f7f8000), Float.intBitsToFloat(0x3f808000), Float.intBitsToFloat(0x3f818000),
                    Float.MIN_VALUE, 1e-40f};
            for (int i = 0; i < n; i++) {
                float v = i < special.length ? special[i] : i % 2 == 0 ? Float.intBitsToFloat(r.nextInt())
                        : (float) r.nextDouble(-10, 10);
                f.setAtIndex(Storage.F32, i, v);
            }
            Storage.narrowBf16(f, 0, h, 0, n);
            for (int i = 0; i < n; i++) {
                float v = f.getAtIndex(Storage.F32, i);
                assertEquals(BFloat16.fromFloat(v), h.getAtIndex(Storage.I16, i), "narrow " + Float.floatToRawIntBits(v));
            }
            Storage.widenBf16(h, 0, n, back);
            float[] row = new float[n];
            try (dev.dcnv4.arrays.BFloat16Array a = dev.dcnv4.arrays.BFloat16Array.allocate(n)) {
                MemorySegment.copy(h, 0, a.getSegment(), 0, 2L * n);
                Storage.read(a, 0, row, n);
            }
            for (int i = 0; i < n; i++) {
                short bits = h.getAtIndex(Storage.I16, i);
                int expected = Float.floatToRawIntBits(BFloat16.toFloat(bits));
                assertEquals(expected, Float.floatToRawIntBits(back.getAtIndex(Storage.F32, i)), "widen " + bits);
                assertEquals(expected, Float.floatToRawIntBits(row[i]), "read " + bits);
            }
        }
    }
}
