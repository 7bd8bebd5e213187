package dev.dcnv4.io;

import dev.dcnv4.arrays.DType;
import dev.dcnv4.arrays.NativeArray;

import java.util.Arrays;

/**
 * Contents of a .npy file: its shape, element type and values widened to double (exact for
 * float64, float32 and float16).
 */
public record NpyArray(int[] shape, NpyType type, double[] data) {

    public NpyArray {
        shape = shape.clone();
        long n = 1;
        for (int s : shape) {
            n *= s;
        }
        if (n != data.length) {
            throw new IllegalArgumentException("data: expected " + n + " elements for shape " + Arrays.toString(shape)
                    + " but was " + data.length);
        }
    }

    /** Element types this library reads and writes (little endian). */
    public enum NpyType {
        FLOAT64("<f8", 8), FLOAT32("<f4", 4), FLOAT16("<f2", 2);

        private final String descr;
        private final int bytes;

        NpyType(String descr, int bytes) {
            this.descr = descr;
            this.bytes = bytes;
        }

        public String descr() {
            return descr;
        }

        public int bytes() {
            return bytes;
        }

        /** The .npy type that stores {@code dtype} exactly (bf16 has none: it is written as float32). */
        public static NpyType of(DType dtype) {
            return switch (dtype) {
                case FP32, BF16 -> FLOAT32;
                case FP16 -> FLOAT16;
            };
        }
    }

    @Override
    public int[] shape() {
        return shape.clone();
    }

    public int size() {
        return data.length;
    }

    /** A new off-heap array of {@code dtype} holding these values rounded (via float) to it. */
    public NativeArray toNativeArray(DType dtype) {
        return NativeArray.fromDoubles(dtype, data);
    }

    /** Shape as "(2, 8, 8, 32)". */
    public String shapeString() {
        return shapeString(shape);
    }

    static String shapeString(int[] shape) {
        StringBuilder sb = new StringBuilder("(");
        for (int i = 0; i < shape.length; i++) {
            sb.append(i == 0 ? "" : ", ").append(shape[i]);
        }
        return sb.append(shape.length == 1 ? ",)" : ")").toString();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof NpyArray(int[] s, NpyType t, double[] d)
                && Arrays.equals(shape, s) && type == t && Arrays.equals(data, d);
    }

    @Override
    public int hashCode() {
        return 31 * (31 * Arrays.hashCode(shape) + type.hashCode()) + Arrays.hashCode(data);
    }

    @Override
    public String toString() {
        return "NpyArray" + shapeString() + " " + type.descr();
    }
}
