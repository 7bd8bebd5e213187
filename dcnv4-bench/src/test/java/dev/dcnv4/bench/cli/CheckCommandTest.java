package dev.dcnv4.bench.cli;

import dev.dcnv4.io.Npy;
import dev.dcnv4.io.NpyArray;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CheckCommandTest {
    private static final Pattern LINE = Pattern.compile(
            "(PASS|FAIL) \\S+ +(fp32|fp16|bf16) (forward |backward) err .* tol \\de-\\d\\d.*");

    @TempDir
    Path tmp;

    record Run(int exit, String out, String err) {
    }

    static Run run(String... args) {
        PrintStream oldOut = System.out, oldErr = System.err;
        var out = new ByteArrayOutputStream();
        var err = new ByteArrayOutputStream();
        try (PrintStream o = new PrintStream(out, true, StandardCharsets.UTF_8);
             PrintStream e = new PrintStream(err, true, StandardCharsets.UTF_8)) {
            System.setOut(o);
            System.setErr(e);
            var cl = Dcnv4Command.commandLine();
            cl.setErr(new java.io.PrintWriter(e, true));
            int code = cl.execute(args);
            return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(oldOut);
            System.setErr(oldErr);
        }
    }

    static Path goldens() {
        Path dir = Path.of(System.getProperty("dcnv4.goldens", "../shared/goldens")).toAbsolutePath().normalize();
        Assumptions.assumeTrue(Files.isRegularFile(dir.resolve("cases.json")), "golden folder not found at " + dir);
        return dir;
    }

    @Test
    void referencePassesTheShippedGoldensWithOneLinePerCheck() {
        Run r = run("check", "--goldens", goldens().toString(), "--device", "reference", "--dtype", "fp32",
                "--direction", "forward");
        assertEquals(0, r.exit(), r.out() + r.err());
        List<String> lines = r.out().lines().toList();
        assertTrue(lines.getFirst().startsWith("device reference:"), lines.getFirst());
        assertEquals("10 passed, 0 failed", lines.getLast());
        lines.subList(1, lines.size() - 1).forEach(l -> assertTrue(LINE.matcher(l).matches(), l));
        assertTrue(r.out().contains("vs official output"), "official differences are reported");
    }

    /** A folder with one good case and three broken ones. */
    private Path brokenFolder() throws IOException {
        Path src = goldens().resolve("basic");
        Path dir = tmp.resolve("goldens");
        for (String name : List.of("good", "bad_channels", "truncated", "bad_width")) {
            Path d = Files.createDirectories(dir.resolve(name));
            try (Stream<Path> files = Files.list(src)) {
                for (Path f : files.toList()) {
                    Files.copy(f, d.resolve(f.getFileName()));
                }
            }
        }
        // input with 48 channels where G*D = 32
        Npy.write(dir.resolve("bad_channels/input_fp32.npy"), new int[] {2, 8, 8, 48}, NpyArray.NpyType.FLOAT32,
                new double[2 * 8 * 8 * 48]);
        // a .npy cut short
        Path t = dir.resolve("truncated/offset_mask_fp32.npy");
        byte[] b = Files.readAllBytes(t);
        Files.write(t, Arrays.copyOf(b, b.length / 2));
        // offset_mask of width 48 where padded_offset_dim = 56
        Npy.write(dir.resolve("bad_width/offset_mask_fp32.npy"), new int[] {2, 8, 8, 48}, NpyArray.NpyType.FLOAT32,
                new double[2 * 8 * 8 * 48]);
        String basic = "\"N\": 2, \"H\": 8, \"W\": 8, \"G\": 2, \"D\": 16, \"k\": 3, \"s\": 1, \"p\": 1, \"d\": 1,"
                + " \"scale\": 1.0, \"rc\": 0, \"sm\": 0";
        StringBuilder json = new StringBuilder("{\"cases\": [");
        for (String name : List.of("good", "bad_channels", "truncated", "bad_width")) {
            json.append(name.equals("good") ? "" : ",").append("{\"name\": \"").append(name).append("\", ")
                    .append(basic).append("}");
        }
        json.append(", {\"name\": \"bad_params\", \"N\": 1, \"H\": 8, \"W\": 8, \"G\": 0, \"D\": 16, \"k\": 3,"
                + " \"s\": 1, \"p\": 1, \"d\": 1, \"scale\": 1.0, \"rc\": 0, \"sm\": 0}]}");
        Files.writeString(dir.resolve("cases.json"), json);
        return dir;
    }

    @Test
    void brokenCasesFailWithTheirCauseAndNoStackTrace() throws IOException {
        Run r = run("check", "--goldens", brokenFolder().toString(), "--device", "reference", "--dtype", "fp32");
        assertEquals(1, r.exit());
        String out = r.out();
        assertTrue(out.contains("PASS good                     fp32 forward"), out);
        assertTrue(out.contains("PASS good                     fp32 backward"), out);
        assertTrue(out.matches("(?s).*FAIL bad_channels: input_fp32.npy: expected shape \\(2, 8, 8, 32\\) but was "
                + "\\(2, 8, 8, 48\\) \\(channels must be G\\*D = 2\\*16 = 32\\).*"), out);
        assertTrue(out.matches("(?s).*FAIL truncated: offset_mask_fp32.npy: truncated .npy file.*"), out);
        assertTrue(out.matches("(?s).*FAIL bad_width: offset_mask_fp32.npy: expected shape \\(2, 8, 8, 56\\) but was "
                + "\\(2, 8, 8, 48\\).*padded_offset_dim.*"), out);
        assertTrue(out.contains("FAIL bad_params: groups: expected >= 1 but was 0"), out);
        assertTrue(out.strip().endsWith("2 passed, 4 failed"), out);
        assertFalse((out + r.err()).contains("\tat "), "no stack trace");
    }

    @Test
    void usageAndDeviceErrorsExitWithTwoAndAMessage() {
        Run r = run("check", "--goldens", goldens().toString(), "--device", "nosuchdevice");
        assertEquals(2, r.exit());
        assertTrue(r.err().contains("device: expected one of") && r.err().contains("nosuchdevice"), r.err());
        r = run("check", "--goldens", tmp.resolve("nothing").toString(), "--device", "reference");
        assertEquals(2, r.exit());
        assertTrue(r.err().contains("no cases.json"), r.err());
        r = run("check", "--goldens", goldens().toString(), "--dtype", "int8");
        assertEquals(2, r.exit());
        assertTrue(r.err().contains("dtype: expected one of fp32, fp16, bf16 but was 'int8'"), r.err());
        assertFalse(r.err().contains("\tat "), "no stack trace");
    }
}
