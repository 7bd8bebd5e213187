package dev.dcnv4.bench.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class AnalyzeCommandTest {

    record Run(int code, String out, String err) {
    }

    static Run run(String... args) {
        CommandLine cl = Dcnv4Command.commandLine();
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        cl.setOut(new PrintWriter(out));
        cl.setErr(new PrintWriter(err));
        int code = cl.execute(args);
        return new Run(code, out.toString(), err.toString());
    }

    @Test
    void paperShapeJson(@TempDir Path dir) throws Exception {
        Path json = dir.resolve("a.json");
        Run r = run("analyze", "--shape", "1,56,56,128", "--groups", "8", "--dtype", "fp32", "--json", json.toString());
        assertEquals(0, r.code(), r.err());
        JsonNode n = new ObjectMapper().readTree(json.toFile());
        long hwc = 56L * 56 * 128;
        assertEquals(36 * hwc, n.get("flops").asLong());
        assertEquals(2 * hwc + 27L * 56 * 56 * 8, n.get("mac_ideal_elements").asLong());
        assertEquals(64 * hwc, n.get("mac_nocache_elements").asLong());
        assertEquals(17.36, n.get("nocache_over_ideal").asDouble(), 0.01);
        assertEquals(4 * (2 * hwc + 27L * 56 * 56 * 8), n.get("bytes_min").asLong());
        assertEquals(4 * 64 * hwc, n.get("bytes_nocache").asLong());
        assertEquals(36.0 * hwc / (4 * (2 * hwc + 27.0 * 56 * 56 * 8)), n.at("/intensity/ideal").asDouble(), 1e-12);
        assertEquals("h100", n.at("/device/id").asText());
        double bound = Math.max(36.0 * hwc / 33.45e12, 4.0 * (2 * hwc + 27.0 * 56 * 56 * 8) / 3.35e12) * 1e3;
        assertEquals(bound, n.at("/bound_ms/ideal").asDouble(), 1e-12);
        assertTrue(n.at("/bound_ms/nocache").asDouble() > n.at("/bound_ms/ideal").asDouble());
        assertTrue(n.has("backward"));
        assertTrue(r.out().contains("flops 14,450,688"), r.out());
    }

    @Test
    void optionsReachTheModel() throws Exception {
        Run r = run("analyze", "--shape", "2,32,32,64", "--groups", "4", "--kernel", "5", "--stride", "2",
                "--remove-center", "--dtype", "fp16", "--d-stride", "8", "--device-preset", "a100",
                "--bandwidth", "1800", "--json", "-");
        assertEquals(0, r.code(), r.err());
        JsonNode n = new ObjectMapper().readTree(r.out());
        assertEquals(24, n.get("points").asInt());          // 5x5 - centre
        assertEquals(2 * 16 * 16, n.get("positions").asLong());   // (32+4-5)/2+1 = 16
        assertEquals(4L * 24 * 512 * 64, n.get("flops").asLong());
        assertEquals(8, n.get("d_stride").asInt());
        assertEquals(2, n.get("bytes_per_element").asInt());
        assertEquals(1800.0, n.at("/device/bandwidth_gbps").asDouble(), 1e-9);
        assertTrue(n.at("/device/bandwidth_measured").asBoolean());
    }

    @Test
    void benchJsonAndReport(@TempDir Path dir) throws Exception {
        Path sample = Path.of(getClass().getResource("/sample-bench.json").toURI());
        Path json = dir.resolve("analysis.json");
        Run r = run("analyze", "--shape", "64,56,56,128", "--groups", "4", "--dtype", "fp16",
                "--bench-json", sample.toString(), "--json", json.toString(), "--out", dir.toString());
        assertEquals(0, r.code(), r.err());
        JsonNode n = new ObjectMapper().readTree(json.toFile());
        assertEquals(1, n.get("measured").size());
        assertEquals("0.0875", n.at("/measured/0/median_ms").asText());
        assertEquals(3, n.get("measured_shapes").size());
        assertTrue(Files.exists(dir.resolve("report.html")));
        assertTrue(Files.exists(dir.resolve("report.md")));
        assertTrue(r.out().contains("report.html"), r.out());
    }

    @Test
    void severalBenchFilesAreMergedVerbatim(@TempDir Path dir) throws Exception {
        Path sample = Path.of(getClass().getResource("/sample-bench.json").toURI());
        Path second = dir.resolve("opencl.json");
        Files.writeString(second, "{\"results\":[{\"device\":\"opencl:0\",\"shape\":[1,14,14,512],\"groups\":16,"
                + "\"dtype\":\"fp32\",\"direction\":\"forward\",\"median_ms\":0.31250,\"gbps\":12.0}]}");
        Path merged = dir.resolve("results.json");
        Run r = run("analyze", "--bench-json", sample.toString(), "--bench-json", second.toString(),
                "--save-results", merged.toString(), "--device-preset", "a100", "--json", dir.resolve("a.json").toString());
        assertEquals(0, r.code(), r.err());
        JsonNode m = new ObjectMapper().readTree(merged.toFile());
        assertEquals(6, m.get("results").size());
        assertTrue(m.get("note").asText().startsWith("SAMPLE DATA"));
        assertTrue(Files.readString(merged).contains("0.31250"), "digits kept as written");
        JsonNode a = new ObjectMapper().readTree(dir.resolve("a.json").toFile());
        assertEquals(5, a.get("measured_shapes").size());
        assertEquals(2, a.get("bench_json").size());
    }

    @Test
    void userErrorsAreReportedWithoutStackTraces() {
        Run r = run("analyze", "--shape", "1,56,56,130", "--groups", "8");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("--groups: expected a divisor of C=130"), r.err());
        Run noShape = run("analyze");
        assertEquals(2, noShape.code());
        assertTrue(noShape.err().contains("--shape"), noShape.err());
        Run badPreset = run("analyze", "--shape", "1,8,8,16", "--groups", "1", "--device-preset", "tpu");
        assertEquals(2, badPreset.code());
        assertTrue(badPreset.err().contains("h100"), badPreset.err());
    }
}
