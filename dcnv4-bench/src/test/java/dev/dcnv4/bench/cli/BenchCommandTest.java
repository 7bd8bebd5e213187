package dev.dcnv4.bench.cli;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** `dcnv4 bench` on a tiny shape with one run: exit status, and the JSON's required fields. */
class BenchCommandTest {

    @Test
    void writesRequiredJsonFields(@TempDir Path dir) throws Exception {
        Path json = dir.resolve("bench.json");
        int rc = Dcnv4Command.commandLine().execute("bench", "--shape", "2,6,5,24", "--groups", "3", "--dtype", "fp16",
                "--device", "java", "--threads", "2", "--backward", "--warmup-runs", "1", "--warmup-seconds", "0",
                "--runs", "1", "--seconds", "0", "--json", json.toString());
        assertEquals(0, rc);
        JsonNode root = new ObjectMapper().enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
                .readTree(json.toFile());
        String raw = Files.readString(json);
        assertFalse(Pattern.compile("\\d[eE][-+]?\\d").matcher(raw).find(), "plain notation only: " + raw);
        JsonNode results = root.get("results");
        assertEquals(2, results.size());
        List<String> directions = List.of("forward", "backward");
        for (int i = 0; i < 2; i++) {
            JsonNode r = results.get(i);
            assertEquals("java", r.get("device").asText());
            assertEquals("[2,6,5,24]", r.get("shape").toString());
            assertEquals(3, r.get("groups").asInt());
            assertEquals("fp16", r.get("dtype").asText());
            assertEquals(directions.get(i), r.get("direction").asText());
            for (String f : List.of("median_ms", "min_ms", "gbps", "gflops")) {
                assertTrue(r.get(f).isNumber() && r.get(f).asDouble() > 0, f + " in " + r);
            }
            assertTrue(r.get("min_ms").asDouble() <= r.get("median_ms").asDouble());
            assertEquals("custom", r.get("name").asText());
            assertEquals(2, r.get("threads").asInt());
            assertEquals(3, r.get("kernel").asInt());
            assertEquals(1, r.get("stride").asInt());
            assertTrue(r.get("verified").asBoolean(), r.toString());
            assertTrue(r.get("max_rel_err").asDouble() <= 8e-4, r.toString());
            assertTrue(r.get("warmup_runs").asInt() >= 1, r.toString());
            assertTrue(r.get("warmup_stable").isBoolean(), r.toString());
            // written rounded: at most 4 significant digits
            for (String f : List.of("median_ms", "min_ms", "gbps", "gflops")) {
                String digits = r.get(f).decimalValue().unscaledValue().abs().toString();
                assertTrue(digits.length() <= 4, f + " in " + r);
            }
        }
    }

    @Test
    void rejectsMissingShape() {
        StringWriter err = new StringWriter();
        var cl = Dcnv4Command.commandLine();
        cl.setErr(new PrintWriter(err));
        assertEquals(2, cl.execute("bench", "--groups", "4", "--device", "java"));
        assertTrue(err.toString().contains("--shape"), err.toString());
    }
}
