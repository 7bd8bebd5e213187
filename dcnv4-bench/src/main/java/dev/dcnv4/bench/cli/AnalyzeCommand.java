package dev.dcnv4.bench.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.dcnv4.analysis.Analyzer;
import dev.dcnv4.analysis.DevicePreset;
import dev.dcnv4.analysis.DevicePresets;
import dev.dcnv4.analysis.MeasuredResult;
import dev.dcnv4.analysis.ShapeAnalysis;
import dev.dcnv4.analysis.report.Report;
import dev.dcnv4.analysis.report.ReportWriter;
import dev.dcnv4.arrays.DType;
import dev.dcnv4.op.Dcnv4Config;
import dev.dcnv4.op.Dcnv4Problem;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * {@code dcnv4 analyze}: the roofline / memory-access-cost model of one shape (and of every shape
 * in a bench JSON), printed as a summary, written as JSON, and rendered as report.md/report.html.
 */
@Command(name = "analyze", mixinStandardHelpOptions = true,
        description = {"FLOPs, memory-access cost (MAC) and roofline bounds of DCNv4 (docs/dcnv4-semantics.md 7);",
                "with --bench-json, measured results against the roof; with --out, report.md and report.html."})
public final class AnalyzeCommand implements Callable<Integer> {

    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Option(names = "--shape", paramLabel = "N,H,W,C", description = "input shape; optional with --bench-json")
    String shape;

    @Option(names = "--groups", paramLabel = "G", description = "groups (required with --shape); D = C/G")
    Integer groups;

    @Option(names = "--kernel", paramLabel = "K", defaultValue = "3", description = "square kernel size (default ${DEFAULT-VALUE})")
    int kernel;

    @Option(names = "--stride", paramLabel = "S", defaultValue = "1", description = "stride (default ${DEFAULT-VALUE})")
    int stride;

    @Option(names = "--pad", paramLabel = "P", description = "padding (default (K-1)/2)")
    Integer pad;

    @Option(names = "--remove-center", description = "skip the centre tap (K = k*k - 1)")
    boolean removeCenter;

    @Option(names = "--dtype", defaultValue = "fp32", description = "fp32, fp16 or bf16 (default ${DEFAULT-VALUE})")
    String dtype;

    @Option(names = "--d-stride", paramLabel = "DS", defaultValue = "0",
            description = "forward d_stride for the group-reuse model (default: 128-bit, 16 / bytes)")
    int dStride;

    @Option(names = "--device-preset", defaultValue = "h100",
            description = "h100, h200, a100 or cpu (measured now) (default ${DEFAULT-VALUE})")
    String devicePreset;

    @Option(names = "--bandwidth", paramLabel = "GB/s",
            description = "measured memory bandwidth overriding the preset's (e.g. 3014 for the H100's copy)")
    Double bandwidth;

    @Option(names = "--bench-json", paramLabel = "FILE",
            description = "results of dcnv4 bench --json (repeatable: one file per device)")
    List<Path> benchJson = new ArrayList<>();

    @Option(names = "--save-results", paramLabel = "FILE",
            description = "also write the --bench-json files' results merged into one bench JSON")
    Path saveResults;

    @Option(names = "--json", paramLabel = "FILE", description = "write the analysis as JSON ('-' = stdout)")
    String json;

    @Option(names = "--out", paramLabel = "DIR", description = "write report.md, report.html and roofline.svg here")
    Path out;

    @Override
    public Integer call() throws IOException {
        PrintWriter o = spec.commandLine().getOut();
        DevicePreset device = DevicePresets.byId(devicePreset);
        if (bandwidth != null) {
            if (!(bandwidth > 0)) {
                throw new IllegalArgumentException("--bandwidth: expected GB/s > 0 but was " + bandwidth);
            }
            device = device.withBandwidth(bandwidth * 1e9, "--bandwidth " + bandwidth + " GB/s");
        }
        List<Analyzer.Request> requests = new ArrayList<>();
        if (shape != null) {
            requests.add(new Analyzer.Request(problem(), DType.parse(dtype), dStride));
        } else if (benchJson.isEmpty()) {
            throw new IllegalArgumentException("--shape: expected N,H,W,C (or give --bench-json) but none was given");
        }
        List<MeasuredResult> results = new ArrayList<>();
        List<String> notes = new ArrayList<>();
        for (Path f : benchJson) {
            results.addAll(MeasuredResult.read(f));
            String note = MeasuredResult.readNote(f);
            if (note != null) {
                notes.add(note);
            }
        }
        if (saveResults != null) {
            MeasuredResult.merge(benchJson, saveResults);
        }
        List<ShapeAnalysis> analyses = Analyzer.analyze(requests, results, device);

        ObjectMapper mapper = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
        ObjectNode root = shape != null ? analyses.get(0).toJson(mapper) : mapper.createObjectNode();
        ArrayNode others = root.putArray("measured_shapes");
        for (int i = shape != null ? 1 : 0; i < analyses.size(); i++) {
            others.add(analyses.get(i).toJson(mapper));
        }
        ArrayNode sources = root.putArray("bench_json");
        benchJson.forEach(p -> sources.add(p.toString()));
        String text = mapper.writeValueAsString(root);
        if ("-".equals(json)) {
            o.println(text);
        } else if (json != null) {
            Path p = Path.of(json);
            if (p.toAbsolutePath().getParent() != null) {
                Files.createDirectories(p.toAbsolutePath().getParent());
            }
            Files.writeString(p, text + "\n");
        }
        if (!"-".equals(json)) {
            summary(o, analyses);
        }
        if (out != null) {
            String generated = "Generated " + ZonedDateTime.now().format(DateTimeFormatter.ISO_OFFSET_DATE_TIME)
                    + " by dcnv4 analyze; model device: " + device.name() + ".";
            String source = benchJson.isEmpty() ? null : saveResults != null ? saveResults.toString()
                    : String.join(", ", benchJson.stream().map(Path::toString).toList());
            Report report = new Report(device, analyses, requests.size(), source, notes.isEmpty() ? null : String.join(" ", notes),
                    generated);
            Path html = ReportWriter.write(report, out);
            if (!"-".equals(json)) {
                o.println("report: " + html.toAbsolutePath() + " and " + out.resolve("report.md").toAbsolutePath());
            }
        }
        o.flush();
        return 0;
    }

    private Dcnv4Problem problem() {
        String[] parts = shape.split(",");
        if (parts.length != 4) {
            throw new IllegalArgumentException("--shape: expected N,H,W,C but was " + shape);
        }
        int[] v = new int[4];
        for (int i = 0; i < 4; i++) {
            try {
                v[i] = Integer.parseInt(parts[i].trim());
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("--shape: expected four integers N,H,W,C but was " + shape);
            }
        }
        if (groups == null) {
            throw new IllegalArgumentException("--groups: expected G (a divisor of C=" + v[3] + ") but none was given");
        }
        if (groups < 1 || v[3] % groups != 0) {
            throw new IllegalArgumentException("--groups: expected a divisor of C=" + v[3] + " but was " + groups);
        }
        Dcnv4Config cfg = Dcnv4Config.builder().kernel(kernel).stride(stride)
                .pad(pad == null ? (kernel - 1) / 2 : pad).removeCenter(removeCenter)
                .groups(groups).groupChannels(v[3] / groups).build();
        return Dcnv4Problem.of(cfg, v[0], v[1], v[2]);
    }

    private static void summary(PrintWriter o, List<ShapeAnalysis> analyses) {
        for (ShapeAnalysis s : analyses) {
            var f = s.forward();
            int[] in = s.problem().inputShape();
            o.printf(Locale.ROOT, "shape %d,%d,%d,%d G=%d K=%d stride %d %s, roof %s%n", in[0], in[1], in[2], in[3],
                    s.problem().config().groups(), f.k(), s.problem().config().strideH(), s.dtype().label(),
                    s.device().name());
            o.printf(Locale.ROOT, "  flops %,d  MAC ideal %,d  no-cache %,d elements (%.1fx)%n", f.flopsPaper(),
                    f.macIdealElements(), f.macNoCacheElements(),
                    (double) f.macNoCacheElements() / f.macIdealElements());
            o.printf(Locale.ROOT, "  B_min %.3f MB  B_max(ds=%d) %.3f MB  B_max(1) %.3f MB%n", f.bytesMin() / 1e6,
                    s.ds(), f.bytesMax(s.ds()) / 1e6, f.bytesNoCache() / 1e6);
            o.printf(Locale.ROOT, "  bound %.4g ms (ideal) .. %.4g ms (no cache); %d measured%n",
                    s.device().boundSeconds(f.flopsPaper(), f.bytesMin(), s.dtype()) * 1e3,
                    s.device().boundSeconds(f.flopsPaper(), f.bytesNoCache(), s.dtype()) * 1e3, s.measured().size());
        }
    }
}
