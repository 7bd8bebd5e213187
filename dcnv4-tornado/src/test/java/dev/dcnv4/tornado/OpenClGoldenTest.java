package dev.dcnv4.tornado;

import dev.dcnv4.arrays.DType;
import dev.dcnv4.arrays.NativeArray;
import dev.dcnv4.device.Dcnv4Device;
import dev.dcnv4.golden.GoldenCase;
import dev.dcnv4.golden.GoldenChecker;
import dev.dcnv4.io.Npy;
import dev.dcnv4.op.Dcnv4Problem;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The golden folder on the OpenCL device: the checker's protocol, and the official forward bits. */
class OpenClGoldenTest {

    private static Path goldens() {
        String p = System.getProperty("dcnv4.goldens");
        Path dir = p == null ? null : Path.of(p);
        Assumptions.assumeTrue(dir != null && Files.isRegularFile(dir.resolve("cases.json")),
                "golden folder not found (system property dcnv4.goldens = " + p + ")");
        return dir;
    }

    @Test
    void goldenFolderPassesInEveryDtypeTwiceInARow() throws Exception {
        Dcnv4Device dev = OpenClTestSupport.device();
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        GoldenChecker.Summary s;
        try (PrintStream out = new PrintStream(buf, true, StandardCharsets.UTF_8)) {
            s = GoldenChecker.check(goldens(), dev, List.of(DType.values()), 2, out);
        }
        String log = buf.toString(StandardCharsets.UTF_8);
        assertEquals(0, s.failed(), log);
        assertTrue(s.passed() > 0, log);
    }

    /**
     * Semantics 2.6: with the canonical fma order the fp32 and fp16 forward equals the official CUDA
     * kernel's output bit for bit. PoCL evaluates fma() exactly (it maps to the CPU's FMA instruction).
     */
    @Test
    void forwardEqualsOfficialOutputBitForBit() throws Exception {
        Dcnv4Device dev = OpenClTestSupport.device();
        Path root = goldens();
        int compared = 0;
        for (Object e : GoldenCase.load(root).entries()) {
            if (!(e instanceof GoldenCase c)) {
                continue;
            }
            for (DType t : List.of(DType.FP32, DType.FP16)) {
                Path official = c.folder().resolve("official_output_" + t.label() + ".npy");
                if (!Files.isRegularFile(official)) {
                    continue;
                }
                Dcnv4Problem p = c.problem();
                try (NativeArray in = Npy.read(c.folder().resolve("input_" + t.label() + ".npy")).toNativeArray(t);
                     NativeArray om = Npy.read(c.folder().resolve("offset_mask_" + t.label() + ".npy")).toNativeArray(t);
                     NativeArray want = Npy.read(official).toNativeArray(t);
                     NativeArray out = NativeArray.allocate(t, p.outputSize())) {
                    dev.forward(p, in, om, out);
                    int diff = 0;
                    for (int i = 0; i < out.getSize(); i++) {
                        if (Float.floatToRawIntBits(out.getFloat(i)) != Float.floatToRawIntBits(want.getFloat(i))) {
                            diff++;
                        }
                    }
                    if (!c.problem().config().softmax()) {   // softmax uses exp(): tolerance-tested only (2.5)
                        assertEquals(0, diff, c.name() + " " + t + ": outputs differing from the official bits");
                        compared++;
                    }
                }
            }
        }
        Assumptions.assumeTrue(compared > 0, "no official_output_*.npy in the golden folder");
    }
}
