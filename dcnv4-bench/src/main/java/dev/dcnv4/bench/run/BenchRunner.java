package dev.dcnv4.bench.run;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
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

import java.util.List;
import java.util.Locale;

/**
 * Times one {@link BenchSpec} on a device: random inputs (seeded), {@link Dcnv4Device#prepare} once,
 * warm-up runs, then timed runs; per run the device's own timer when it has one
 * ({@link PreparedRun#lastDeviceNanos()}), else wall-clock time around {@link PreparedRun#run()}.
 * Reports min and median milliseconds, GB/s of the ideal bytes and GFLOP/s ({@link CostModel}:
 * multiply-adds counted once, the paper's convention). Backward gradients are fp32.
 */
public final class BenchRunner {
    /** Offsets of the random inputs are uniform in (-2, 2) pixels; weights in [-1, 1). */
    static final float OFFSET_AMPLITUDE = 2f;

    private BenchRunner() {
    }

    /**
     * Run counts: warm-up until at least {@code warmupRuns} runs and {@code warmupSeconds} have passed;
     * measure until at least {@code runs} runs and {@code seconds} have passed, or {@code maxRuns} runs.
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
            return new Settings(0.05, 1, 0.2, 3, 1000);
        }
    }

    /** One measured case. {@code threads} is null where the device has no thread count of its own. */
    public record Result(BenchSpec spec, String device, String deviceName, Integer threads, int runs, double medianMs,
                         double minMs, double gbps, double gflops) {
    }

    public static Result run(Dcnv4Device device, BenchSpec spec, Settings settings) {
        Dcnv4Problem p = spec.problem();
        DType t = spec.dtype();
        Direction dir = spec.direction();
        DescriptiveStatistics ms = new DescriptiveStatistics();
        try (Dcnv4Data data = Dcnv4Data.random(p, t, 1, OFFSET_AMPLITUDE);
             NativeArray out = NativeArray.allocate(t, dir == Direction.FORWARD ? p.outputSize() : 0);
             NativeArray gi = NativeArray.allocate(DType.FP32, dir == Direction.BACKWARD ? p.inputSize() : 0);
             NativeArray gom = NativeArray.allocate(DType.FP32, dir == Direction.BACKWARD ? p.offsetMaskSize() : 0);
             PreparedRun run = device.prepare(dir, data, dir == Direction.FORWARD ? out : null,
                     dir == Direction.BACKWARD ? gi : null, dir == Direction.BACKWARD ? gom : null)) {
            long start = System.nanoTime();
            for (int i = 0; i < settings.warmupRuns() || seconds(start) < settings.warmupSeconds(); i++) {
                run.run();
            }
            start = System.nanoTime();
            while (ms.getN() < settings.maxRuns()
                    && (ms.getN() < settings.runs() || seconds(start) < settings.seconds())) {
                long t0 = System.nanoTime();
                run.run();
                long wall = System.nanoTime() - t0;
                long dev = run.lastDeviceNanos();
                ms.addValue((dev >= 0 ? dev : wall) / 1e6);
            }
        }
        CostModel cost = new CostModel(p, t);
        double median = ms.getPercentile(50), seconds = median / 1e3;
        DeviceInfo info = device.info();
        Integer threads = info.kind() == DeviceInfo.Kind.JAVA ? info.computeUnits() : null;
        return new Result(spec, device.id(), device.name(), threads, (int) ms.getN(), median, ms.getMin(),
                cost.idealBytes(dir) / seconds / 1e9, cost.flops(dir) / seconds / 1e9);
    }

    private static double seconds(long start) {
        return (System.nanoTime() - start) / 1e9;
    }

    /** One line for people: "std-s4 64,56,56,128 G4 fp16 forward: median 1.234 ms, min ..., GB/s, GFLOP/s". */
    public static String line(Result r) {
        BenchSpec s = r.spec();
        return String.format(Locale.ROOT, "%-8s %-16s G%-3d k%d s%d %s %-8s median %9.3f ms  min %9.3f ms  "
                        + "%8.2f GB/s  %8.2f GFLOP/s  (%d runs, %s)", s.name(), s.shapeText(), s.groups(), s.kernel(),
                s.stride(), s.dtype().label(), s.direction().label(), r.medianMs(), r.minMs(), r.gbps(), r.gflops(),
                r.runs(), r.deviceName());
    }

    /** {"results":[...]}: the required fields first, then name, device_name, threads, kernel, stride, runs. */
    public static ObjectNode json(List<Result> results, ObjectMapper mapper) {
        ObjectNode root = mapper.createObjectNode();
        ArrayNode arr = root.putArray("results");
        for (Result r : results) {
            BenchSpec s = r.spec();
            ObjectNode o = arr.addObject();
            o.put("device", r.device());
            ArrayNode shape = o.putArray("shape");
            shape.add(s.batch()).add(s.height()).add(s.width()).add(s.channels());
            o.put("groups", s.groups());
            o.put("dtype", s.dtype().label());
            o.put("direction", s.direction().label());
            o.put("median_ms", r.medianMs());
            o.put("min_ms", r.minMs());
            o.put("gbps", r.gbps());
            o.put("gflops", r.gflops());
            o.put("name", s.name());
            o.put("device_name", r.deviceName());
            if (r.threads() != null) {
                o.put("threads", r.threads());
            }
            o.put("kernel", s.kernel());
            o.put("stride", s.stride());
            o.put("runs", r.runs());
        }
        return root;
    }
}
