package dev.dcnv4.bench.cli;

import dev.dcnv4.arrays.DType;
import dev.dcnv4.bench.run.BenchJson;
import dev.dcnv4.bench.run.BenchRunner;
import dev.dcnv4.bench.run.BenchSpec;
import dev.dcnv4.bench.run.Suites;
import dev.dcnv4.bench.run.Verifier;
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
                "each result verified against the fp64 reference (a wrong one is a FAIL, exit status 1),",
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

    @Option(names = "--warmup-seconds", paramLabel = "S", description = {
            "Minimum warm-up time (default 0.5, quick 0.2); after it the warm-up goes on until",
            "the median of the last 5 runs is within 15%% of the 5 before, for at most 10x S (max 5 s)."})
    Double warmupSeconds;

    @Option(names = "--warmup-runs", paramLabel = "N", description = "Minimum warm-up runs (default 5).")
    Integer warmupRuns;

    @Option(names = "--seconds", paramLabel = "S", description = "Minimum measuring time (default 2).")
    Double seconds;

    @Option(names = "--runs", paramLabel = "N", description = "Minimum timed runs (default 10).")
    Integer runs;

    @Option(names = "--no-verify",
            description = {"Skip the check of every timed result against the fp64 reference (image 0 of the batch);",
                    "for huge shapes where the reference would take too long. The JSON says \"verified\": false."})
    boolean noVerify;

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
        try (Dcnv4Device dev = Devices.open(id)) {
            return bench(dev, cases, settings(), !noVerify, suite != null, json);
        }
    }

    /**
     * Times and verifies {@code cases} on {@code dev}: a line per case on stdout; a case whose result
     * is wrong, or that throws, is a FAIL line (with the error) and gets no timing in the JSON. The
     * other cases still run and are written. Returns 0, or 1 when any case failed.
     */
    static int bench(Dcnv4Device dev, List<BenchSpec> cases, BenchRunner.Settings s, boolean verify,
                     boolean progress, Path json) throws IOException {
        Verifier verifier = verify ? new Verifier() : null;
        List<BenchRunner.Result> results = new ArrayList<>();
        int failed = 0;
        long start = System.nanoTime();
        try {
            double w = BenchRunner.warmCodePaths(dev, cases, s);
            if (progress) {
                System.err.printf(Locale.ROOT, "code paths warmed up on small problems in %.1f s%n", w);
            }
        } catch (RuntimeException e) {
            // the case that uses this path will fail with the same cause and say so
            System.err.println("warm-up on a small problem failed: " + e);
        }
        for (int i = 0; i < cases.size(); i++) {
            BenchSpec c = cases.get(i);
            if (progress) {
                System.err.printf(Locale.ROOT, "[%d/%d] %s %s %s ... ", i + 1, cases.size(), c.name(),
                        c.dtype().label(), c.direction().label());
                System.err.flush();
            }
            BenchRunner.Result r;
            try {
                r = BenchRunner.run(dev, c, s, verifier);
            } catch (RuntimeException e) {
                failed++;
                fail(progress, c, e.getClass().getSimpleName() + ": " + e.getMessage());
                continue;
            }
            if (!r.passed()) {
                failed++;
                fail(progress, c, String.format(Locale.ROOT, "wrong result: max relative error %.2e > tolerance "
                        + "%.0e against the fp64 reference (image 0); timing %.3f ms discarded",
                        r.check().maxRelErr(), r.check().tolerance(), r.medianMs()));
                continue;
            }
            if (progress) {
                System.err.printf(Locale.ROOT, "%.3f ms%n", r.medianMs());
            }
            System.out.println(BenchRunner.line(r));
            results.add(r);
        }
        if (progress || failed > 0) {
            System.err.printf(Locale.ROOT, "%d case(s) timed%s, %d failed, %.1f s%s%n", results.size(),
                    verify ? " and verified" : " (NOT verified: --no-verify)", failed,
                    (System.nanoTime() - start) / 1e9, verify ? String.format(Locale.ROOT,
                            " (%.1f s of it in the fp64 reference)", verifier.referenceSeconds()) : "");
        }
        if (json != null) {
            BenchJson.write(results, json);
        }
        return failed == 0 ? 0 : 1;
    }

    private static void fail(boolean progress, BenchSpec c, String why) {
        if (progress) {
            System.err.println("FAIL");
        }
        System.out.printf(Locale.ROOT, "FAIL %-8s %-16s G%-3d k%d s%d %s %-8s %s%n", c.name(), c.shapeText(),
                c.groups(), c.kernel(), c.stride(), c.dtype().label(), c.direction().label(), why);
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
