package dev.dcnv4.bench.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.dcnv4.arrays.DType;
import dev.dcnv4.bench.run.BenchRunner;
import dev.dcnv4.bench.run.BenchSpec;
import dev.dcnv4.bench.run.Suites;
import dev.dcnv4.device.Dcnv4Device;
import dev.dcnv4.device.Devices;
import dev.dcnv4.op.Direction;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * {@code dcnv4 bench}: times DCNv4 on one device, either one custom shape or a paper suite, prints
 * a line per case (progress on stderr for suites) and optionally writes the results as JSON.
 */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = {"Times DCNv4 forward (and backward) on a device after warm-up: min and median ms,",
                "GB/s of the ideal bytes (input + output + offset_mask once) and GFLOP/s (multiply-adds).",
                "Either --shape N,H,W,C --groups G, or --suite paper-std|paper-hr|all."})
public final class BenchCommand implements Callable<Integer> {

    @Option(names = "--shape", paramLabel = "N,H,W,C", description = "Input shape (channel-last).")
    String shape;

    @Option(names = "--groups", paramLabel = "G", description = "Groups G (C must be a multiple of G).")
    Integer groups;

    @Option(names = "--kernel", defaultValue = "3", description = "Square kernel size (default: ${DEFAULT-VALUE}).")
    int kernel;

    @Option(names = "--stride", defaultValue = "1", description = "Stride (default: ${DEFAULT-VALUE}).")
    int stride;

    @Option(names = "--dtype", defaultValue = "fp32", description = "fp32, fp16 or bf16 (default: ${DEFAULT-VALUE}).")
    String dtype;

    @Option(names = "--device", paramLabel = "ID",
            description = "Device id: java, reference, opencl[:N], cuda[:N] (default: -Ddcnv4.device or java).")
    String device;

    @Option(names = "--threads", paramLabel = "T", description = "Threads of device java (default: all processors).")
    Integer threads;

    @Option(names = "--backward", description = "Also time the backward (timed separately from the forward).")
    boolean backward;

    @Option(names = "--suite", paramLabel = "NAME",
            description = "paper-std, paper-hr or all: the paper's shapes, fp32 and fp16, forward and backward.")
    String suite;

    @Option(names = "--quick", description = "Suites: batch-64 shapes at batch 1 and few iterations.")
    boolean quick;

    @Option(names = "--json", paramLabel = "FILE", description = "Write {\"results\":[...]} to FILE.")
    Path json;

    @Option(names = "--warmup-seconds", paramLabel = "S", description = "Minimum warm-up time (default 0.5).")
    Double warmupSeconds;

    @Option(names = "--warmup-runs", paramLabel = "N", description = "Minimum warm-up runs (default 5).")
    Integer warmupRuns;

    @Option(names = "--seconds", paramLabel = "S", description = "Minimum measuring time (default 2).")
    Double seconds;

    @Option(names = "--runs", paramLabel = "N", description = "Minimum timed runs (default 10).")
    Integer runs;

    @Override
    public Integer call() throws IOException {
        List<BenchSpec> cases = cases();
        String id = device != null ? device : Devices.defaultId("java");
        if (threads != null) {
            if (threads < 1) {
                throw new IllegalArgumentException("--threads: expected >= 1 but was " + threads);
            }
            if (!id.trim().equalsIgnoreCase("java")) {
                throw new IllegalArgumentException("--threads: applies to device java only, but the device is " + id);
            }
            System.setProperty("dcnv4.threads", Integer.toString(threads));
        }
        BenchRunner.Settings s = settings();
        List<BenchRunner.Result> results = new ArrayList<>();
        try (Dcnv4Device dev = Devices.open(id)) {
            for (int i = 0; i < cases.size(); i++) {
                BenchSpec c = cases.get(i);
                if (suite != null) {
                    System.err.printf(Locale.ROOT, "[%d/%d] %s %s %s ... ", i + 1, cases.size(), c.name(),
                            c.dtype().label(), c.direction().label());
                    System.err.flush();
                }
                BenchRunner.Result r = BenchRunner.run(dev, c, s);
                if (suite != null) {
                    System.err.printf(Locale.ROOT, "%.3f ms%n", r.medianMs());
                }
                System.out.println(BenchRunner.line(r));
                results.add(r);
            }
        }
        if (json != null) {
            ObjectMapper m = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
            m.writeValue(json.toFile(), BenchRunner.json(results, m));
        }
        return 0;
    }

    private List<BenchSpec> cases() {
        if (suite != null) {
            if (shape != null || groups != null) {
                throw new IllegalArgumentException("--suite: give either --suite or --shape/--groups, not both");
            }
            return Suites.cases(suite, quick);
        }
        if (shape == null || groups == null) {
            throw new IllegalArgumentException("--shape N,H,W,C and --groups G are required without --suite");
        }
        String[] parts = shape.split(",");
        if (parts.length != 4) {
            throw new IllegalArgumentException("--shape: expected N,H,W,C but was '" + shape + "'");
        }
        int[] v = new int[4];
        for (int i = 0; i < 4; i++) {
            try {
                v[i] = Integer.parseInt(parts[i].trim());
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("--shape: expected four integers N,H,W,C but was '" + shape + "'");
            }
        }
        DType t = DType.parse(dtype);
        BenchSpec base = new BenchSpec("custom", v[0], v[1], v[2], v[3], groups, kernel, stride, t, Direction.FORWARD);
        base.problem();                                  // validates sizes before any timing
        return backward ? List.of(base, base.with(t, Direction.BACKWARD)) : List.of(base);
    }

    private BenchRunner.Settings settings() {
        BenchRunner.Settings d = quick ? BenchRunner.Settings.quick() : BenchRunner.Settings.defaults();
        int r = runs != null ? runs : d.runs();
        return new BenchRunner.Settings(warmupSeconds != null ? warmupSeconds : d.warmupSeconds(),
                warmupRuns != null ? warmupRuns : d.warmupRuns(), seconds != null ? seconds : d.seconds(), r,
                Math.max(r, d.maxRuns()));
    }
}
