package dev.dcnv4.io;

import dev.dcnv4.arrays.DType;
import dev.dcnv4.arrays.NativeArray;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class NpyTest {
    @TempDir
    Path dir;

    @Test
    void roundTripsEveryTypeAndShape() throws IOException {
        double[] values = {0, -1.5, 3.25, 1e-3, 65504, Double.NaN};
        for (NpyArray.NpyType t : NpyArray.NpyType.values()) {
            for (int[] shape : new int[][] {{6}, {2, 3}, {1, 2, 1, 3}}) {
                Path f = dir.resolve(t + "-" + shape.length + ".npy");
                Npy.write(f, shape, t, values);
                NpyArray a = Npy.read(f);
                assertArrayEquals(shape, a.shape());
                assertEquals(t, a.type());
                for (int i = 0; i < values.length; i++) {
                    double expect = switch (t) {
                        case FLOAT64 -> values[i];
                        case FLOAT32 -> (float) values[i];
                        case FLOAT16 -> DType.FP16.round((float) values[i]);
                    };
                    assertEquals(expect, a.data()[i], 0.0, t + " element " + i);
                }
                assertEquals(0, (Files.size(f) - values.length * t.bytes()) % 64, "header aligned to 64 bytes");
            }
        }
    }

    @Test
    void readsScalarsAndEmptyArraysAndNativeArrays() throws IOException {
        Path f = dir.resolve("scalar.npy");
        Npy.write(f, new int[0], NpyArray.NpyType.FLOAT32, new double[] {2.5});
        assertEquals(2.5, Npy.read(f).data()[0]);
        try (NativeArray h = NativeArray.fromFloats(DType.FP16, new float[] {1, 2, 3, 4})) {
            Path g = dir.resolve("half.npy");
            Npy.write(g, new int[] {2, 2}, h);
            NpyArray a = Npy.read(g);
            assertEquals(NpyArray.NpyType.FLOAT16, a.type());
            assertArrayEquals(new double[] {1, 2, 3, 4}, a.data());
            try (NativeArray back = a.toNativeArray(DType.FP32)) {
                assertArrayEquals(new float[] {1, 2, 3, 4}, back.toFloatArray());
            }
        }
    }

    @Test
    void readsTheShippedGoldens() throws IOException {
        Path input = Path.of(System.getProperty("dcnv4.goldens", "../shared/goldens"), "basic", "input_fp32.npy");
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.exists(input), "goldens not found at " + input);
        NpyArray a = Npy.read(input);
        assertArrayEquals(new int[] {2, 8, 8, 32}, a.shape());
        assertEquals(NpyArray.NpyType.FLOAT32, a.type());
    }

    @Test
    void truncatedFilesAreReportedWithSizes() throws IOException {
        Path good = dir.resolve("good.npy");
        Npy.write(good, new int[] {4, 4}, NpyArray.NpyType.FLOAT32, new double[16]);
        byte[] bytes = Files.readAllBytes(good);
        Path cut = dir.resolve("cut.npy");
        Files.write(cut, Arrays.copyOf(bytes, bytes.length - 5));
        IOException e = assertThrows(IOException.class, () -> Npy.read(cut));
        assertTrue(e.getMessage().contains("truncated") && e.getMessage().contains("needs 64 data bytes"), e.getMessage());
        Files.write(cut, Arrays.copyOf(bytes, 30));
        e = assertThrows(IOException.class, () -> Npy.read(cut));
        assertTrue(e.getMessage().contains("truncated"), e.getMessage());
        Files.write(cut, Arrays.copyOf(bytes, 4));
        e = assertThrows(IOException.class, () -> Npy.read(cut));
        assertTrue(e.getMessage().contains("truncated"), e.getMessage());
    }

    @Test
    void unsupportedFilesAreReportedClearly() throws IOException {
        assertMessage(header("{'descr': '<i4', 'fortran_order': False, 'shape': (2,), }"), "unsupported .npy dtype '<i4'");
        assertMessage(header("{'descr': '>f4', 'fortran_order': False, 'shape': (2,), }"), "unsupported .npy dtype '>f4'");
        assertMessage(header("{'descr': '<f4', 'fortran_order': True, 'shape': (2,), }"), "fortran_order is True");
        assertMessage("hello world, not numpy".getBytes(StandardCharsets.US_ASCII), "not a .npy file");
        assertThrows(IOException.class, () -> Npy.read(dir.resolve("missing.npy")));
    }

    private void assertMessage(byte[] content, String expected) throws IOException {
        Path f = dir.resolve("bad.npy");
        Files.write(f, content);
        IOException e = assertThrows(IOException.class, () -> Npy.read(f));
        assertTrue(e.getMessage().contains(expected), e.getMessage());
    }

    private static byte[] header(String dict) {
        byte[] d = (dict + "\n").getBytes(StandardCharsets.ISO_8859_1);
        byte[] out = new byte[10 + d.length + 8];
        byte[] magic = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, (byte) d.length, 0};
        System.arraycopy(magic, 0, out, 0, 10);
        System.arraycopy(d, 0, out, 10, d.length);
        return out;
    }
}
