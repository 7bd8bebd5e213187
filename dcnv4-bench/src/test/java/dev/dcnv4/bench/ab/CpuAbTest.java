package dev.dcnv4.bench.ab;

import dev.dcnv4.cpu.JavaDevice;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The A/B tool runs two copies of the current CPU backend, each through its own class loader. */
class CpuAbTest {
    @Test
    void timesTwoVersionsInOneJvm() throws Exception {
        String core = Path.of(JavaDevice.class.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        PrintStream old = System.out;
        int code;
        try (PrintStream out = new PrintStream(buf, true, StandardCharsets.UTF_8)) {
            System.setOut(out);
            code = new CommandLine(new CpuAb()).execute("--shape", "1,6,7,16", "--groups", "2", "--threads", "2",
                    "--backward", "--seconds", "0.2", "--warmup-seconds", "0.2", "a=" + core, "b=" + core);
        } finally {
            System.setOut(old);
        }
        String text = buf.toString(StandardCharsets.UTF_8);
        assertEquals(0, code, text);
        assertTrue(text.contains("a ") && text.contains("median = 1"), text);
        assertTrue(text.matches("(?s).*b +min .*median x [0-9.]+ of a.*"), text);
        assertTrue(text.contains("results of b: bit-identical to a"), text);
    }

    @Test
    void timesPrecisionsInterleavedAndComparesBitsWithinEach() throws Exception {
        String core = Path.of(JavaDevice.class.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        PrintStream old = System.out;
        int code;
        try (PrintStream out = new PrintStream(buf, true, StandardCharsets.UTF_8)) {
            System.setOut(out);
            code = new CommandLine(new CpuAb()).execute("--shape", "1,6,7,16", "--groups", "2", "--threads", "1",
                    "--dtype", "fp32,fp16", "--seconds", "0.2", "--warmup-seconds", "0.2", "a=" + core, "b=" + core);
        } finally {
            System.setOut(old);
        }
        String text = buf.toString(StandardCharsets.UTF_8);
        assertEquals(0, code, text);
        assertTrue(text.matches("(?s).*a/fp32 +min .*median = 1.*"), text);
        assertTrue(text.matches("(?s).*a/fp16 +min .*median x [0-9.]+ of a/fp32.*"), text);
        assertTrue(text.contains("results of b/fp32: bit-identical to a/fp32"), text);
        assertTrue(text.contains("results of b/fp16: bit-identical to a/fp16"), text);
        assertTrue(!text.contains("results of a/fp16"), "fp16 is not compared with fp32: " + text);
    }

    @Test
    void rejectsAMissingFolder() {
        int code = new CommandLine(new CpuAb()).execute("--seconds", "0.1", "x=/no/such/folder");
        assertEquals(2, code);
    }
}
