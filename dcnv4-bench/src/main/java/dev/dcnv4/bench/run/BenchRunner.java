package dev.dcnv4.bench.run;

import dev.dcnv4.analysis.CostModel;
import dev.dcnv4.arrays.DType;
import dev.dcnv4.arrays.NativeArray;
import dev.dcnv4.device.Dcnv4Device;
import dev.dcnv4.device.DeviceInfo;
import dev.dcnv4.device.PreparedRun;
import dev.dcnv4.op.Dcnv4Data;
import dev.dcnv4.op.Dcnv4Problem;
import dev.dcnv4.op.Direction;
import org.apache.commons.math3.stat.descriptive.DescriptiveStatistics;

import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.Locale;

/**
 * Times one {@link BenchSpec} on a device: random inputs (seeded), {@link Dcnv4Device#prepare} once,
 * warm-up runs until the timings are stable, then timed runs; per run the device's own timer when it
 * has one ({@link PreparedRun#lastDeviceNanos()}), else wall-clock time around {@link PreparedRun#run()}.
 * Then, unless verification is off, the results are fetched and image 0 is checked against the fp64
 * reference ({@link Verifier}). Reports min and median milliseconds, GB/s of the ideal bytes and
 * GFLOP/s ({@link CostModel}: multiply-adds counted once, the paper's convention). Backward gradients
 * are fp32.
 *
 * <p>Warm-up: a JIT-compiled backend (device java, and the first calls of any device) is many times
 * slower in its first runs, and those runs must not be timed. The warm-up therefore runs at least
 * {@link Settings#warmupRuns()} runs and {@link Settings#warmupSeconds()}, and then on until the
 * median of the last {@value #WINDOW} runs is within {@value #STABLE_PERCENT}% of the median of the
 * {@value #WINDOW} before them, or until {@link Settings#warmupCapSeconds()} have passed.
 */
public final class BenchRunner {
    /** Offsets of the random inputs are uniform in (-2, 2) pixels; weights in [-1, 1). */
    public static final float OFFSET_AMPLITUDE = 2f;
    /** Seed of the random inputs (the verifier's cache key includes it). */
    static final long SEED = 1;
    /** Warm-up stability: windows of this many runs ... */
    static final int WINDOW = 5;
    /** ... whose medians differ by at most this many percent. */
    static final int STABLE_PERCENT = 15;
    /** Upper bound of the warm-up cap, seconds. */
    static final double MAX_WARMUP_CAP = 5;

    private BenchRunner() {
    }

    /**
     * Run counts: warm-up for at least {@code warmupRuns} runs and {@code warmupSeconds}, then until
     * stable (see the class comment); measure until at least {@code runs} runs and {@code seconds}
     * have passed, or {@code maxRuns} runs.
     */
    public record Settings(double warmupSeconds, int warmupRuns, double seconds, int runs, int maxRuns) {
        public Settings {
            if (warmupRuns < 0 || runs < 1 || maxRuns < runs || warmupSeconds < 0 || seconds < 0) {
                throw new IllegalArgumentException("bench settings: expected warm-up runs >= 0, 1 <= runs <= max runs"
                        + " and seconds >= 0 but were " + warmupRuns + ", " + runs + ", " + maxRuns + ", "
                        + warmupSeconds + " s, " + seconds + " s");
            }
        }

        public static Settings defaults() {
            return new Settings(0.5, 5, 2.0, 10, 100_000);
        }

        /** Few iterations, for CPU runs of whole suites. */
        public static Settings quick() {
            return new Settings(0.2, 1, 0.2, 3, 1000);
        }

        /**
         * The warm-up stops waiting for stable timings after this long: 10x the warm-up seconds, at
         * most {@value #MAX_WARMUP_CAP} s (2 s for the quick settings, 5 s for the defaults); the
         * minimum runs and seconds are done in any case.
         */
        public double warmupCapSeconds() {
            return Math.max(warmupSeconds, Math.min(10 * warmupSeconds, MAX_WARMUP_CAP));
        }
    }

    /**
     * One measured case. {@code threads} is null where the device has no thread count of its own;
     * {@code check} is null when verification was off.
     */
    public record Result(BenchSpec spec, String device, String deviceName, Integer threads, int runs, double medianMs,
                         double minMs, double gbps, double gflops, Warmup warmup, Verifier.Check check) {

        /** True unless verification found a wrong result. */
        public boolean passed() {
            return check == null || check.passed();
        }
    }

    /** Times {@code spec} and verifies it with {@code verifier}; {@code verifier} null: no verification. */
    public static Result run(Dcnv4Device device, BenchSpec spec, Settings settings, Verifier verifier) {
        Dcnv4Problem p = spec.problem();
        DType t = spec.dtype();
        Direction dir = spec.direction();
        boolean fwd = dir == Direction.FORWARD;
        DescriptiveStatistics ms = new DescriptiveStatistics();
        Warmup warmup;
        Verifier.Check check = null;
        try (Dcnv4Data data = Dcnv4Data.random(p, t, SEED, OFFSET_AMPLITUDE);
             NativeArray out = NativeArray.allocate(t, fwd ? p.outputSize() : 0);
             NativeArray gi = NativeArray.allocate(DType.FP32, fwd ? 0 : p.inputSize());
             NativeArray gom = NativeArray.allocate(DType.FP32, fwd ? 0 : p.offsetMaskSize());
             PreparedRun run = device.prepare(dir, data, fwd ? out : null, fwd ? null : gi, fwd ? null : gom)) {
            warmup = warmUp(run, settings);
            long start = System.nanoTime();
            while (ms.getN() < settings.maxRuns()
                    && (ms.getN() < settings.runs() || seconds(start) < settings.seconds())) {
                ms.addValue(timeOnce(run));
            }
            if (verifier != null) {
                run.fetchResults();
                check = verifier.check(spec, data, SEED, OFFSET_AMPLITUDE, fwd ? out : null, fwd ? null : gi,
                        fwd ? null : gom);
            }
        }
        CostModel cost = new CostModel(p, t);
        double median = ms.getPercentile(50), seconds = median / 1e3;
        DeviceInfo info = device.info();
        Integer threads = info.kind() == DeviceInfo.Kind.JAVA ? info.computeUnits() : null;
        return new Result(spec, device.id(), device.name(), threads, (int) ms.getN(), median, ms.getMin(),
                cost.idealBytes(dir) / seconds / 1e9, cost.flops(dir) / seconds / 1e9, warmup, check);
    }

    /**
     * Warms the code paths the cases will use before any is timed: per distinct (dtype, direction,
     * channels per group, kernel, stride) one small problem (1 x 16 x 16, 4 groups) runs through
     * {@link #warmUp}. A JIT-compiled backend otherwise spends the warm-up of the first case of each
     * kind compiling (device java's first fp16 forward: several seconds of 100x slower runs, longer
     * than any per-case cap); on the small problem the same methods get hot within a fraction of a
     * second. Returns the seconds spent.
     */
    public static double warmCodePaths(Dcnv4Device device, List<BenchSpec> cases, Settings settings) {
        long start = System.nanoTime();
        Set<BenchSpec> done = new LinkedHashSet<>();
        for (BenchSpec c : cases) {
            BenchSpec small = new BenchSpec("warm-up", 1, 16, 16, 4 * (c.channels() / c.groups()), 4, c.kernel(),
                    c.stride(), c.dtype(), c.direction());
            if (done.add(small)) {
                run(device, small, settings, null);
            }
        }
        return seconds(start);
    }

    /** One run, in milliseconds: the device's own time if it has a timer, else wall-clock. */
    private static double timeOnce(PreparedRun run) {
        long t0 = System.nanoTime();
        run.run();
        long wall = System.nanoTime() - t0;
        long dev = run.lastDeviceNanos();
        return (dev >= 0 ? dev : wall) / 1e6;
    }

    /** How the warm-up ended: its run count, and false when the cap stopped it before times settled. */
    public record Warmup(int runs, boolean stable) {
    }

    /** Warm-up runs (see the class comment). */
    static Warmup warmUp(PreparedRun run, Settings s) {
        double[] times = new double[64];
        int n = 0;
        long start = System.nanoTime();
        while (true) {
            double elapsed = seconds(start);
            if (n >= s.warmupRuns() && elapsed >= s.warmupSeconds()) {
                boolean stable = stable(times, n);
                if (stable || elapsed >= s.warmupCapSeconds()) {
                    return new Warmup(n, stable);
                }
            }
            if (n == times.length) {
                times = Arrays.copyOf(times, 2 * n);
            }
            times[n++] = timeOnce(run);
        }
    }

    /** True when the median of the last WINDOW runs is within STABLE_PERCENT of the WINDOW before. */
    static boolean stable(double[] times, int n) {
        if (n < 2 * WINDOW) {
            return false;
        }
        double last = median(times, n - WINDOW, n), before = median(times, n - 2 * WINDOW, n - WINDOW);
        return Math.abs(last - before) <= STABLE_PERCENT / 100.0 * before;
    }

    private static double median(double[] a, int from, int to) {
        double[] w = Arrays.copyOfRange(a, from, to);
        Arrays.sort(w);
        int m = w.length / 2;
        return w.length % 2 == 1 ? w[m] : (w[m - 1] + w[m]) / 2;
    }

    private static double seconds(long start) {
        return (System.nanoTime() - start) / 1e9;
    }

    /** One line for people: "std-s4 64,56,56,128 G4 fp16 forward: median 1.234 ms, min ..., GB/s, GFLOP/s". */
    public static String line(Result r) {
        BenchSpec s = r.spec();
        String verified = r.check() == null ? "not verified"
                : String.format(Locale.ROOT, "err %.1e%s%s", r.check().maxRelErr(),
                r.check().kinks() > 0 ? " (" + r.check().kinks() + " kinks skipped)" : "", r.passed() ? "" : " FAIL");
        return String.format(Locale.ROOT, "%-8s %-16s G%-3d k%d s%d %s %-8s median %9.3f ms  min %9.3f ms  "
                        + "%8.2f GB/s  %8.2f GFLOP/s  (%d runs after %s warm-up, %s, %s)", s.name(), s.shapeText(),
                s.groups(), s.kernel(), s.stride(), s.dtype().label(), s.direction().label(), r.medianMs(), r.minMs(),
                r.gbps(), r.gflops(), r.runs(), r.warmup().runs() + (r.warmup().stable() ? "" : " NOT STABLE"),
                verified, r.deviceName());
    }
}
