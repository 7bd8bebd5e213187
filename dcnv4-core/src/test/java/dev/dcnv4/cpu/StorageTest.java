package dev.dcnv4.cpu;

import dev.dcnv4.arrays.BFloat16;
import dev.dcnv4.arrays.FloatArray;
import dev.dcnv4.arrays.HalfFloatArray;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The conversions bit for bit: fp16 against Float.floatToFloat16 / float16ToFloat (NaN payloads
 * included), bf16 against BFloat16 (the scalar definition), on special values, random bit patterns,
 * every fp16 pattern for the row reads, and the tails and chunk edges.
 */
class StorageTest {

    @Test
    void halfConversionsMatchTheJdk() {
        // lengths around the vector width and the heap chunk, so that every tail and chunk edge runs
        int n = 3 * Storage.CHUNK + 7;
        SplittableRandom r = new SplittableRandom(5);
        Storage.Scratch scratch = new Storage.Scratch();
        try (Arena arena = Arena.ofConfined(); FloatArray f = FloatArray.allocate(n);
             HalfFloatArray h = HalfFloatArray.allocate(n)) {
            MemorySegment back = arena.allocate(4L * n);
            float[] special = {0f, -0f, 65504f, 65519.99f, 65520f, -65520f, 65536f, 1e9f, Float.POSITIVE_INFINITY,
                    Float.NEGATIVE_INFINITY, 5.96e-8f, 2.98e-8f, 2.9802326e-8f, 6.1035156e-5f, 6.1e-5f, 1e-10f,
                    Float.MIN_VALUE, 1.0009766f, 1.0004883f, 1.0014648f, 2049f, 2051f, Float.NaN,
                    Float.intBitsToFloat(0x7fc01234), Float.intBitsToFloat(0xff800001)};
            for (int i = 0; i < n; i++) {
                float v;
                if (i < special.length) {
                    v = special[i];
                } else if (i % 3 == 0) {
                    v = Float.intBitsToFloat(r.nextInt());     // any bit pattern, NaNs included
                } else {
                    v = (float) (r.nextDouble(-1, 1) * Math.pow(2, r.nextInt(-30, 18)));
                }
                f.setFloat(i, v);
            }
            for (int[] range : new int[][] {{0, n}, {3, 3 + Storage.CHUNK + 1}, {5, 6}}) {
                h.getSegment().fill((byte) 0);
                Storage.narrow(f.getSegment(), range[0], range[1], h, scratch);
                for (int i = 0; i < n; i++) {
                    float v = f.getFloat(i);
                    short expected = i >= range[0] && i < range[1] ? Float.floatToFloat16(v) : 0;
                    assertEquals(expected, h.getSegment().getAtIndex(Storage.I16, i), "narrow " + v + " at " + i);
                }
            }
            Storage.narrow(f.getSegment(), 0, n, h, scratch);
            Storage.widen(h, 0, n, back, scratch);
            for (int i = 0; i < n; i++) {
                short bits = h.getSegment().getAtIndex(Storage.I16, i);
                assertEquals(Float.floatToRawIntBits(Float.float16ToFloat(bits)),
                        Float.floatToRawIntBits(back.getAtIndex(Storage.F32, i)), "widen " + bits);
            }
        }
    }

    @Test
    void halfRowReadsEveryBitPatternExactly() {
        int n = 1 << 16;
        try (HalfFloatArray h = HalfFloatArray.allocate(n + 5)) {
            for (int i = 0; i < n + 5; i++) {
                h.getSegment().setAtIndex(Storage.I16, i, (short) (i * 7919));     // all 65536 patterns, shuffled
            }
            for (int from : new int[] {0, 1, 5}) {
                float[] row = new float[n];
                Storage.read(h, from, row, n);
                for (int i = 0; i < n; i++) {
                    short bits = (short) ((i + from) * 7919);
                    assertEquals(Float.floatToRawIntBits(Float.float16ToFloat(bits)), Float.floatToRawIntBits(row[i]),
                            "read " + Integer.toHexString(bits & 0xffff) + " from " + from);
                }
            }
        }
    }

    /**
     * Patterns in order: whole vectors of normal halves (the short path), and vectors that straddle
     * the subnormal/normal boundaries (0x03ff/0x0400, 0x83ff/0x8400) and inf/NaN (0x7bff/0x7c00).
     */
    @Test
    void halfRowReadsOrderedPatternsExactly() {
        int n = 1 << 16;
        try (HalfFloatArray h = HalfFloatArray.allocate(n)) {
            for (int i = 0; i < n; i++) {
                h.getSegment().setAtIndex(Storage.I16, i, (short) i);
            }
            for (int from : new int[] {0, 3, 0x03f8, 0x7bf5}) {
                int len = n - from;
                float[] row = new float[len];
                Storage.read(h, from, row, len);
                for (int i = 0; i < len; i++) {
                    short bits = (short) (i + from);
                    assertEquals(Float.floatToRawIntBits(Float.float16ToFloat(bits)), Float.floatToRawIntBits(row[i]),
                            "read " + Integer.toHexString(bits & 0xffff) + " from " + from);
                }
            }
        }
    }

    @Test
    void halfRowWritesRoundAsTheJdk() {
        int n = Storage.CHUNK + 33;
        SplittableRandom r = new SplittableRandom(9);
        float[] row = new float[n];
        for (int i = 0; i < n; i++) {
            row[i] = i % 2 == 0 ? Float.intBitsToFloat(r.nextInt()) : (float) r.nextDouble(-70000, 70000);
        }
        try (HalfFloatArray h = HalfFloatArray.allocate(n + 3)) {
            Storage.write(row, h, 3, n, new Storage.Scratch());
            for (int i = 0; i < n; i++) {
                assertEquals(Float.floatToFloat16(row[i]), h.getSegment().getAtIndex(Storage.I16, i + 3), "write " + row[i]);
            }
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
