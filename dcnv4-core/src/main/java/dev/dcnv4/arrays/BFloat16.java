package dev.dcnv4.arrays;

/**
 * bfloat16 conversions. A bf16 is the upper half of a binary32: widening is a 16-bit shift,
 * narrowing rounds the discarded lower half to nearest, ties to even. NaN stays NaN (quiet).
 */
public final class BFloat16 {
    private BFloat16() {
    }

    /** Rounds to nearest-even and returns the 16 bits as a short. */
    public static short fromFloat(float value) {
        int bits = Float.floatToRawIntBits(value);
        if ((bits & 0x7fffffff) > 0x7f800000) {          // NaN: keep sign and top payload, force quiet
            return (short) ((bits >>> 16) | 0x0040);
        }
        int rounding = 0x7fff + ((bits >>> 16) & 1);
        return (short) ((bits + rounding) >>> 16);
    }

    /** Widens 16 stored bits exactly. */
    public static float toFloat(short bits) {
        return Float.intBitsToFloat((bits & 0xffff) << 16);
    }
}
