package dev.dcnv4.analysis;

import com.fasterxml.jackson.core.StreamWriteFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.cfg.JsonNodeFeature;
import dev.dcnv4.arrays.DType;
import dev.dcnv4.op.Dcnv4Config;
import dev.dcnv4.op.Dcnv4Problem;
import dev.dcnv4.op.Direction;

import java.io.IOException;
import java.math.BigDecimal;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * One timed result from {@code dcnv4 bench --json}:
 * <pre>
 * {"results":[{"device":"java","device_name":"...","name":"std-s4","shape":[N,H,W,C],"groups":G,
 *   "kernel":3,"stride":1,"dtype":"fp32","direction":"forward","median_ms":x,"min_ms":x,
 *   "gbps":x,"gflops":x}, ...]}
 * </pre>
 * Numbers are kept as the decimals written in the file ({@link BigDecimal}), so that a report
 * can quote them exactly; {@code kernel} defaults to 3 and {@code stride} to 1, unknown fields
 * are ignored.
 */
public record MeasuredResult(String device, String deviceName, String name, int[] shape, int groups, int kernel,
                             int stride, DType dtype, Direction direction, BigDecimal medianMs, BigDecimal minMs,
                             BigDecimal gbps, BigDecimal gflops) {

    private static final ObjectMapper MAPPER = new ObjectMapper()
            .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
            .configure(JsonNodeFeature.STRIP_TRAILING_BIGDECIMAL_ZEROES, false);

    public MeasuredResult {
        if (shape == null || shape.length != 4) {
            throw new IllegalArgumentException("shape: expected [N,H,W,C] but was " + Arrays.toString(shape));
        }
        if (groups < 1 || shape[3] % groups != 0) {
            throw new IllegalArgumentException("groups: expected a divisor of C=" + shape[3] + " but was " + groups);
        }
        if (medianMs == null || medianMs.signum() <= 0) {
            throw new IllegalArgumentException("median_ms: expected a positive time but was " + medianMs);
        }
    }

    /** Reads every entry of {@code file}'s "results" array. */
    public static List<MeasuredResult> read(Path file) throws IOException {
        JsonNode root = MAPPER.readTree(file.toFile());
        JsonNode results = root == null ? null : root.get("results");
        if (results == null || !results.isArray()) {
            throw new IllegalArgumentException(file + ": expected an object with a \"results\" array");
        }
        List<MeasuredResult> out = new ArrayList<>();
        int i = 0;
        for (JsonNode r : results) {
            try {
                out.add(parse(r));
            } catch (RuntimeException e) {
                throw new IllegalArgumentException(file + ": results[" + i + "]: " + e.getMessage(), e);
            }
            i++;
        }
        return out;
    }

    /**
     * Writes the "results" of several bench files as one bench file, entries copied unchanged
     * (numbers keep their written digits); their notes, if any, are joined into one "note".
     */
    public static void merge(List<Path> files, Path out) throws IOException {
        var root = MAPPER.createObjectNode();
        var all = MAPPER.createArrayNode();
        List<String> notes = new ArrayList<>();
        for (Path f : files) {
            JsonNode r = MAPPER.readTree(f.toFile());
            if (r == null || !r.path("results").isArray()) {
                throw new IllegalArgumentException(f + ": expected an object with a \"results\" array");
            }
            r.get("results").forEach(all::add);
            if (r.hasNonNull("note")) {
                notes.add(r.get("note").asText());
            }
        }
        if (!notes.isEmpty()) {
            root.put("note", String.join(" ", notes));
        }
        root.set("results", all);
        if (out.toAbsolutePath().getParent() != null) {
            java.nio.file.Files.createDirectories(out.toAbsolutePath().getParent());
        }
        // plain notation, as the bench writes them (BigDecimal's toString would turn 7.5e-7 into "7.5E-7")
        MAPPER.writerWithDefaultPrettyPrinter().with(StreamWriteFeature.WRITE_BIGDECIMAL_AS_PLAIN)
                .writeValue(out.toFile(), root);
    }

    /** The bench file's optional top-level "note" (a sample file says so there), or null. */
    public static String readNote(Path file) throws IOException {
        JsonNode root = MAPPER.readTree(file.toFile());
        JsonNode n = root == null ? null : root.get("note");
        return n == null || n.isNull() ? null : n.asText();
    }

    static MeasuredResult parse(JsonNode r) {
        JsonNode s = required(r, "shape");
        int[] shape = new int[s.size()];
        for (int i = 0; i < shape.length; i++) {
            shape[i] = s.get(i).asInt();
        }
        String dir = required(r, "direction").asText().toLowerCase(Locale.ROOT);
        Direction direction = switch (dir) {
            case "forward" -> Direction.FORWARD;
            case "backward" -> Direction.BACKWARD;
            default -> throw new IllegalArgumentException("direction: expected forward or backward but was " + dir);
        };
        return new MeasuredResult(required(r, "device").asText(), text(r, "device_name"), text(r, "name"), shape,
                required(r, "groups").asInt(), r.path("kernel").asInt(3), r.path("stride").asInt(1),
                DType.parse(required(r, "dtype").asText()), direction, decimal(required(r, "median_ms")),
                decimal(r.get("min_ms")), decimal(r.get("gbps")), decimal(r.get("gflops")));
    }

    private static JsonNode required(JsonNode r, String field) {
        JsonNode n = r.get(field);
        if (n == null || n.isNull()) {
            throw new IllegalArgumentException("missing field \"" + field + "\"");
        }
        return n;
    }

    private static String text(JsonNode r, String field) {
        JsonNode n = r.get(field);
        return n == null || n.isNull() ? null : n.asText();
    }

    private static BigDecimal decimal(JsonNode n) {
        return n == null || n.isNull() ? null : n.decimalValue();
    }

    /** The operator problem this result timed: D = C/G, pad = kernel/2 (the official module's default). */
    public Dcnv4Problem problem() {
        Dcnv4Config cfg = Dcnv4Config.builder().kernel(kernel).stride(stride).pad((kernel - 1) / 2)
                .groups(groups).groupChannels(shape[3] / groups).build();
        return Dcnv4Problem.of(cfg, shape[0], shape[1], shape[2]);
    }

    /** "N,H,W,C G=g k3 s1": the key results of one shape are grouped by (with the dtype). */
    public String shapeLabel() {
        return shape[0] + "," + shape[1] + "," + shape[2] + "," + shape[3] + " G=" + groups
                + (kernel != 3 ? " k" + kernel : "") + (stride != 1 ? " s" + stride : "");
    }

    /** A number as written in the JSON (plain notation), or "-" when absent. */
    public static String plain(BigDecimal d) {
        return d == null ? "-" : d.toPlainString();
    }
}
