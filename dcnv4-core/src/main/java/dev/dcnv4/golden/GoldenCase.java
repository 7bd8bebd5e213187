package dev.dcnv4.golden;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.dcnv4.op.Dcnv4Config;
import dev.dcnv4.op.Dcnv4Problem;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * One entry of a golden folder's cases.json (format: ../shared/goldens/README.md). The arrays live
 * in {@code folder/name/}. Only the parameters are read here; {@link #problem()} validates them.
 *
 * @param name    case name = sub-folder name
 * @param folder  the case's folder
 * @param problem sizes and operator parameters
 * @param json    the raw entry (for optional fields such as "note" or "official_files")
 */
public record GoldenCase(String name, Path folder, Dcnv4Problem problem, JsonNode json) {

    /**
     * An entry that could not be turned into a case: its name (or "#index") and why. The checker
     * prints these as FAIL lines.
     */
    public record Broken(String name, String cause) {
    }

    /** Cases and broken entries of one golden folder, in file order. */
    public record Suite(List<Object> entries) {
    }

    /** Reads {@code folder/cases.json}. */
    public static Suite load(Path folder) throws IOException {
        Path file = folder.resolve("cases.json");
        if (!Files.isRegularFile(file)) {
            throw new IOException(folder + ": no cases.json (expected a golden folder in the format of "
                    + "shared/goldens/README.md)");
        }
        JsonNode root;
        try {
            root = new ObjectMapper().readTree(file.toFile());
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IOException(file + ": not valid JSON: " + e.getOriginalMessage()
                    + (e.getLocation() != null ? " at line " + e.getLocation().getLineNr() : ""), e);
        }
        JsonNode cases = root == null ? null : root.get("cases");
        if (cases == null || !cases.isArray()) {
            throw new IOException(file + ": expected an object with a \"cases\" array");
        }
        List<Object> entries = new ArrayList<>();
        int index = 0;
        for (JsonNode c : cases) {
            String name = c.hasNonNull("name") ? c.get("name").asText() : "#" + index;
            try {
                entries.add(parse(folder, name, c));
            } catch (IllegalArgumentException e) {
                entries.add(new Broken(name, e.getMessage()));
            }
            index++;
        }
        return new Suite(entries);
    }

    private static GoldenCase parse(Path folder, String name, JsonNode c) {
        if (!c.hasNonNull("name")) {
            throw new IllegalArgumentException("cases.json entry has no \"name\"");
        }
        if (name.contains("/") || name.contains("\\") || name.equals("..")) {
            throw new IllegalArgumentException("name: expected a plain folder name but was '" + name + "'");
        }
        int k = intField(c, "k");
        Dcnv4Config cfg = Dcnv4Config.builder()
                .kernel(k).stride(intField(c, "s")).pad(intField(c, "p")).dilation(intField(c, "d"))
                .groups(intField(c, "G")).groupChannels(intField(c, "D"))
                .offsetScale((float) doubleField(c, "scale"))
                .removeCenter(intField(c, "rc") != 0).softmax(intField(c, "sm") != 0)
                .build();
        Dcnv4Problem p = Dcnv4Problem.of(cfg, intField(c, "N"), intField(c, "H"), intField(c, "W"));
        expectIfPresent(c, "K", cfg.points(), "k*k - rc");
        expectIfPresent(c, "H_out", p.outHeight(), "(H + 2p - (d(k-1)+1))/s + 1");
        expectIfPresent(c, "W_out", p.outWidth(), "(W + 2p - (d(k-1)+1))/s + 1");
        expectIfPresent(c, "padded_offset_dim", cfg.paddedOffsetDim(), "8*ceil(3KG/8)");
        return new GoldenCase(name, folder.resolve(name), p, c);
    }

    private static int intField(JsonNode c, String field) {
        JsonNode v = c.get(field);
        if (v == null || !v.canConvertToInt() || !v.isIntegralNumber() && !v.isBoolean()) {
            if (v != null && v.isBoolean()) {
                return v.asBoolean() ? 1 : 0;
            }
            throw new IllegalArgumentException("cases.json field \"" + field + "\": expected an integer but was "
                    + (v == null ? "missing" : v.toString()));
        }
        return v.asInt();
    }

    private static double doubleField(JsonNode c, String field) {
        JsonNode v = c.get(field);
        if (v == null || !v.isNumber()) {
            throw new IllegalArgumentException("cases.json field \"" + field + "\": expected a number but was "
                    + (v == null ? "missing" : v.toString()));
        }
        return v.asDouble();
    }

    private static void expectIfPresent(JsonNode c, String field, int derived, String formula) {
        if (c.has(field) && c.get(field).asInt() != derived) {
            throw new IllegalArgumentException("cases.json field \"" + field + "\": expected " + derived + " ("
                    + formula + ") but was " + c.get(field));
        }
    }

    /** The case's optional "note". */
    public String note() {
        return json.hasNonNull("note") ? json.get("note").asText() : null;
    }
}
