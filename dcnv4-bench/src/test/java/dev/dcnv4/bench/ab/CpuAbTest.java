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
        String core = coreClasses();
        String text = runOk("--shape", "1,6,7,16", "--groups", "2", "--threads", "2",
                "--backward", "--seconds", "0.2", "--warmup-seconds", "0.2", "a=" + core, "b=" + core);
        assertTrue(text.contains("a ") && text.contains("median = 1"), text);
        assertTrue(text.matches("(?s).*b +min .*median x [0-9.]+ of a.*"), text);
        assertTrue(text.contains("results of b: grad_input bit-identical to a; grad_offset_mask bit-identical to a"), text);
        assertTrue(text.matches("(?s).*a +min .*calls, [0-9]+ B allocated per call.*"), text);
    }

    @Test
    void timesTrainingStepsWithBoth() throws Exception {
        String core = coreClasses();
        String text = runOk("--shape", "1,6,7,16", "--groups", "2", "--threads", "2", "--both",
                "--seconds", "0.2", "--warmup-seconds", "0.2", "a=" + core, "b=" + core);
        assertTrue(text.matches("(?s).*b +min .*median x [0-9.]+ of a.*"), text);
        assertTrue(text.contains("results of b: output and grad_input bit-identical to a; grad_offset_mask bit-identical to a"),
                text);
        assertEquals(2, new CommandLine(new CpuAb()).setErr(new java.io.PrintWriter(java.io.Writer.nullWriter()))
                .execute("--both", "--backward", "--seconds", "0.1", "a=" + core));
    }

    @Test
    void timesPrecisionsInterleavedAndComparesBitsWithinEach() throws Exception {
        String core = coreClasses();
        String text = runOk("--shape", "1,6,7,16", "--groups", "2", "--threads", "1",
                "--dtype", "fp32,fp16", "--seconds", "0.2", "--warmup-seconds", "0.2", "a=" + core, "b=" + core);
        assertTrue(text.matches("(?s).*a/fp32 +min .*median = 1.*"), text);
        assertTrue(text.matches("(?s).*a/fp16 +min .*median x [0-9.]+ of a/fp32.*"), text);
        assertTrue(text.contains("results of b/fp32: bit-identical to a/fp32"), text);
        assertTrue(text.contains("results of b/fp16: bit-identical to a/fp16"), text);
        assertTrue(!text.contains("results of a/fp16"), "fp16 is not compared with fp32: " + text);
    }

    @Test
    void profilesOneVersionByMethod(@org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
        Path jfr = dir.resolve("p.jfr");
        String text = runOk("--shape", "1,16,16,64", "--groups", "2", "--threads", "1", "--backward",
                "--seconds", "1", "--warmup-seconds", "0.3", "--profile", jfr.toString(), "a=" + coreClasses());
        assertTrue(java.nio.file.Files.size(jfr) > 0, "no recording written");
        // the backward's point pass must be among the methods sampled, with a share in percent
        assertTrue(text.matches("(?s).*profile: [1-9][0-9]* samples.*"), text);
        assertTrue(text.matches("(?s).*  +[0-9.]+%  BackwardKernel\\.[a-zA-Z]+  \\([0-9]+ samples\\).*"), text);
    }

    @Test
    void profileRefusesSeveralVersions() throws Exception {
        String core = coreClasses();
        int code = new CommandLine(new CpuAb()).setErr(new java.io.PrintWriter(java.io.Writer.nullWriter()))
                .execute("--profile", "x.jfr", "--seconds", "0.1", "a=" + core, "b=" + core);
        assertEquals(2, code);
    }

    /** The dcnv4-core classes on the test class path (loaded again by each version's class loader). */
    private static String coreClasses() throws Exception {
        return Path.of(JavaDevice.class.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
    }

    /** Runs cpu-ab with {@code args}, asserts exit code 0 and returns what it printed to standard output. */
    private static String runOk(String... args) {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        PrintStream old = System.out;
        int code;
        try (PrintStream out = new PrintStream(buf, true, StandardCharsets.UTF_8)) {
            System.setOut(out);
            code = new CommandLine(new CpuAb()).execute(args);
        } finally {
            System.setOut(old);
        }
        String text = buf.toString(StandardCharsets.UTF_8);
        assertEquals(0, code, text);
        return text;
    }

    @Test
    void evictsTheCachesBetweenCallsWhenAsked() throws Exception {
        String core = coreClasses();
        String text = runOk("--shape", "1,6,7,16", "--groups", "2", "--threads", "2", "--evict-mb", "1",
                "--seconds", "0.2", "--warmup-seconds", "0.1", "a=" + core);
        assertTrue(text.matches("(?s).*a +min .*median = 1.*"), text);
        assertEquals(2, new CommandLine(new CpuAb()).execute("--evict-mb", "-1", "a=" + core));
    }

    @Test
    void takesTheOffsetAmplitudeAndRejectsANegativeOne() throws Exception {
        String core = coreClasses();
        String text = runOk("--shape", "1,6,7,16", "--groups", "2", "--threads", "1", "--offset-amplitude", "0.05",
                "--backward", "--seconds", "0.2", "--warmup-seconds", "0.1", "a=" + core, "b=" + core);
        assertTrue(text.contains("results of b: grad_input bit-identical to a; grad_offset_mask bit-identical to a"), text);
        assertEquals(2, new CommandLine(new CpuAb()).execute("--offset-amplitude", "-1", "a=" + core));
    }

    @Test
    void rejectsAMissingFolder() {
        int code = new CommandLine(new CpuAb()).execute("--seconds", "0.1", "x=/no/such/folder");
        assertEquals(2, code);
    }
}
