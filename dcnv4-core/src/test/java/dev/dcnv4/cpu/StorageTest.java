package dev.dcnv4.cpu;

import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The vectorised fp16 conversions against Float.floatToFloat16 / float16ToFloat, bit for bit. */
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
}
