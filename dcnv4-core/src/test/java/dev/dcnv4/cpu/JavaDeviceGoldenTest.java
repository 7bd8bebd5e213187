package dev.dcnv4.cpu;

import dev.dcnv4.arrays.DType;
import dev.dcnv4.arrays.NativeArray;
import dev.dcnv4.golden.GoldenCase;
import dev.dcnv4.golden.GoldenChecker;
import dev.dcnv4.io.Npy;
import dev.dcnv4.io.NpyArray;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Device "java" on the golden folder: the whole protocol (fp32/fp16/bf16, forward and backward,
 * three repeats, bit-identical backward), and the forward bit for bit against the official CUDA
 * kernel's fp32 and fp16 outputs where the folder has them (docs/dcnv4-semantics.md 2.6).
 */
class JavaDeviceGoldenTest {

    private static Path goldens() {
        String p = System.getProperty("dcnv4.goldens");
        Path dir = p == null ? null : Path.of(p);
        Assumptions.assumeTrue(dir != null && Files.isRegularFile(dir.resolve("cases.json")),
                "golden folder not found (system property dcnv4.goldens = " + p + ")");
        return dir;
    }

    @Test
    void goldenFolderPassesWithThreeRepeats() throws IOException {
        Path dir = goldens();
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        GoldenChecker.Summary s;
        try (JavaDevice dev = new JavaDevice(2); PrintStream out = new PrintStream(buf, true, StandardCharsets.UTF_8)) {
            s = GoldenChecker.check(dir, dev, List.of(DType.values()), 3, out);
        }
        String text = buf.toString(StandardCharsets.UTF_8);
        assertTrue(s.ok(), text);
        assertEquals(0, s.failed(), text);
    }

    @Test
    void forwardIsBitExactWithOfficialKernel() throws IOException {
        Path dir = goldens();
        int compared = 0;
        try (JavaDevice dev = new JavaDevice(2)) {
            for (Object e : GoldenCase.load(dir).entries()) {
                if (!(e instanceof GoldenCase gc)) {
                    continue;
                }
                for (DType t : List.of(DType.FP32, DType.FP16)) {
                    Path official = gc.folder().resolve("official_output_" + t.label() + ".npy");
                    if (!Files.isRegularFile(official)) {
                        continue;
                    }
                    NpyArray expected = Npy.read(official);
                    try (NativeArray in = Npy.read(gc.folder().resolve("input_" + t.label() + ".npy")).toNativeArray(t);
                         NativeArray om = Npy.read(gc.folder().resolve("offset_mask_" + t.label() + ".npy"))
                                 .toNativeArray(t);
                         NativeArray out = NativeArray.allocate(t, gc.problem().outputSize());
                         NativeArray exp = expected.toNativeArray(t)) {
                        dev.forward(gc.problem(), in, om, out);
                        int mismatches = 0, first = -1;
                        for (int i = 0; i < out.getSize(); i++) {
                            if (Float.floatToRawIntBits(out.getFloat(i)) != Float.floatToRawIntBits(exp.getFloat(i))) {
                                mismatches++;
                                first = first < 0 ? i : first;
                            }
                        }
                        boolean softmax = gc.problem().config().softmax();
                        if (!softmax) {          // softmax uses exp: not reproducible bit for bit (2.5)
                            assertEquals(0, mismatches, gc.name() + " " + t + ": " + mismatches
                                    + " outputs differ from the official kernel, first at " + first
                                    + (first < 0 ? "" : " (" + out.getFloat(first) + " vs " + exp.getFloat(first) + ")"));
                            compared++;
                        }
                    }
                }
            }
        }
        assertTrue(compared > 0, "no official_output files found to compare with");
    }
}
