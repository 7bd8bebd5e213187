package dev.dcnv4.arrays;

import java.util.Locale;

/**
 * Storage precisions. Arithmetic is always fp32 (fp64 in the reference); these only say how
 * numbers are stored in memory and transferred.
 *
 * <pre>
 *   fp32  s eeeeeeee mmmmmmmmmmmmmmmmmmmmmmm   (IEEE binary32)
 *   fp16  s eeeee mmmmmmmmmm                   (IEEE binary16; largest finite 65504)
 *   bf16  s eeeeeeee mmmmmmm                   (the upper 16 bits of binary32)
 * </pre>
 */
public enum DType {
    FP32(4, "fp32"),
    FP16(2, "fp16"),
    BF16(2, "bf16");

    private final int bytes;
    private final String label;

    DType(int bytes, String label) {
        this.bytes = bytes;
        this.label = label;
    }

    /** Bytes per stored element. */
    public int bytes() {
        return bytes;
    }

    /** Lower-case name used on the command line and in file names ("fp32", "fp16", "bf16"). */
    public String label() {
        return label;
    }

    /** Rounds a float to this storage type (nearest-even) and widens it back, exactly. */
    public float round(float value) {
        return switch (this) {
            case FP32 -> value;
            case FP16 -> Float.float16ToFloat(Float.floatToFloat16(value));
            case BF16 -> BFloat16.toFloat(BFloat16.fromFloat(value));
        };
    }

    /** Parses "fp32", "fp16", "bf16" (case-insensitive; also "float32", "half", "bfloat16"). */
    public static DType parse(String text) {
        String t = text.trim().toLowerCase(Locale.ROOT);
        return switch (t) {
            case "fp32", "float32", "float", "f32" -> FP32;
            case "fp16", "float16", "half", "f16" -> FP16;
            case "bf16", "bfloat16" -> BF16;
            default -> throw new IllegalArgumentException(
                    "dtype: expected one of fp32, fp16, bf16 but was '" + text + "'");
        };
    }

    @Override
    public String toString() {
        return label;
    }
}
