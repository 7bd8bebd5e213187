package dev.dcnv4.bench.run;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.math.BigDecimal;
import java.math.MathContext;
import java.math.RoundingMode;
import java.nio.file.Path;
import java.util.List;

/**
 * The bench's JSON file: {"results":[...]}, the fields docs/report.md and the analyzer read first
 * (device, shape, groups, dtype, direction, median_ms, min_ms, gbps, gflops), then name, device_name,
 * threads, kernel, stride, runs, warmup_runs, warmup_stable
 * (false: the warm-up cap ended it before the times settled), verified, max_rel_err and, where there were any,
 * kinks_skipped (offset-gradient entries at cell boundaries left out of the check, see {@link PositionKinks}).
 *
 * <p>Numbers are rounded here, once, to what a measurement supports: times to 4 significant digits
 * but never finer than 1 ns (6 decimals of a millisecond), rates to 4 significant digits, the
 * verification error to 2. The report quotes the file's digits verbatim, so what people read is
 * exactly what the file holds.
 */
public final class BenchJson {
    private BenchJson() {
    }

    /** Writes {@code results} (indented, plain decimal notation) to {@code file}. */
    public static void write(List<BenchRunner.Result> results, Path file) throws IOException {
        ObjectMapper m = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT)
                .enable(JsonGenerator.Feature.WRITE_BIGDECIMAL_AS_PLAIN);
        m.writeValue(file.toFile(), json(results, m));
    }

    public static ObjectNode json(List<BenchRunner.Result> results, ObjectMapper mapper) {
        ObjectNode root = mapper.createObjectNode();
        ArrayNode arr = root.putArray("results");
        for (BenchRunner.Result r : results) {
            BenchSpec s = r.spec();
            ObjectNode o = arr.addObject();
            o.put("device", r.device());
            ArrayNode shape = o.putArray("shape");
            shape.add(s.batch()).add(s.height()).add(s.width()).add(s.channels());
            o.put("groups", s.groups());
            o.put("dtype", s.dtype().label());
            o.put("direction", s.direction().label());
            o.put("median_ms", round(r.medianMs(), 4, 6));
            o.put("min_ms", round(r.minMs(), 4, 6));
            o.put("gbps", round(r.gbps(), 4, Integer.MAX_VALUE));
            o.put("gflops", round(r.gflops(), 4, Integer.MAX_VALUE));
            o.put("name", s.name());
            o.put("device_name", r.deviceName());
            if (r.threads() != null) {
                o.put("threads", r.threads());
            }
            o.put("kernel", s.kernel());
            o.put("stride", s.stride());
            o.put("runs", r.runs());
            o.put("warmup_runs", r.warmup().runs());
            o.put("warmup_stable", r.warmup().stable());
            o.put("verified", r.check() != null);
            if (r.check() != null) {
                o.put("max_rel_err", round(r.check().maxRelErr(), 2, Integer.MAX_VALUE));
                if (r.check().kinks() > 0) {
                    o.put("kinks_skipped", r.check().kinks());
                }
            }
        }
        return root;
    }

    /**
     * {@code v} to {@code digits} significant digits and at most {@code maxScale} decimals, without
     * trailing zeros (2.4375 -> 2.438, 1234.5678 -> 1235, 0.00001234 ms at scale 6 -> 0.000012).
     */
    public static BigDecimal round(double v, int digits, int maxScale) {
        if (!Double.isFinite(v)) {
            throw new IllegalArgumentException("bench JSON: expected a finite number but was " + v);
        }
        BigDecimal b = new BigDecimal(v).round(new MathContext(digits, RoundingMode.HALF_EVEN));
        if (b.scale() > maxScale) {
            b = b.setScale(maxScale, RoundingMode.HALF_EVEN);
        }
        b = b.stripTrailingZeros();
        return b.scale() < 0 ? b.setScale(0) : b;
    }
}
