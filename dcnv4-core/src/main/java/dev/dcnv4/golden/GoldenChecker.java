package dev.dcnv4.golden;

import dev.dcnv4.arrays.DType;
import dev.dcnv4.arrays.NativeArray;
import dev.dcnv4.device.Dcnv4Device;
import dev.dcnv4.op.Dcnv4Problem;
import dev.dcnv4.op.Direction;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * Runs every case of a golden folder on one device and prints one line per case x dtype x
 * direction, then {@code N passed, M failed}. The protocol is goldens/README.md's:
 * error = max|actual - expected| / max|expected| over the whole array, tolerance 1e-5 (fp32),
 * 8e-4 (fp16), 6e-3 (bf16). Each line also shows the difference to the official CUDA kernel's
 * result where the folder has one.
 *
 * <p>With {@code repeat > 1} every run is checked, the forward must be bit-identical across runs,
 * and so must the backward on devices that declare a deterministic backward.
 *
 * <p>A broken case (bad parameters, missing/truncated/mis-shaped files, a device error) becomes a
 * single FAIL line naming the cause; the run continues with the next case.
 */
public final class GoldenChecker {

    /** Counts of the lines printed. */
    public record Summary(int passed, int failed) {
        public boolean ok() {
            return failed == 0 && passed > 0;
        }

        @Override
        public String toString() {
            return passed + " passed, " + failed + " failed";
        }
    }

    private GoldenChecker() {
    }

    /** Relative tolerance of the protocol for each storage type. */
    public static double tolerance(DType dtype) {
        return switch (dtype) {
            case FP32 -> 1e-5;
            case FP16 -> 8e-4;
            case BF16 -> 6e-3;
        };
    }

    /** Checks forward and backward. See {@link #check(Path, Dcnv4Device, List, List, int, PrintStream)}. */
    public static Summary check(Path folder, Dcnv4Device device, List<DType> dtypes, int repeat, PrintStream out)
            throws IOException {
        return check(folder, device, dtypes, List.of(Direction.FORWARD, Direction.BACKWARD), repeat, out);
    }

    /**
     * Checks every case of {@code folder} on {@code device}.
     *
     * @throws IOException when the folder itself is unusable (no or invalid cases.json)
     */
    public static Summary check(Path folder, Dcnv4Device device, List<DType> dtypes, List<Direction> directions,
                                int repeat, PrintStream out) throws IOException {
        if (repeat < 1) {
            throw new IllegalArgumentException("repeat: expected >= 1 but was " + repeat);
        }
        if (dtypes.isEmpty() || directions.isEmpty()) {
            throw new IllegalArgumentException("dtypes/directions: expected at least one of each but was "
                    + dtypes + " / " + directions);
        }
        GoldenCase.Suite suite = GoldenCase.load(folder);
        out.println("device " + device.id() + ": " + device.name());
        int passed = 0, failed = 0;
        for (Object entry : suite.entries()) {
            if (entry instanceof GoldenCase.Broken(String name, String cause)) {
                out.println("FAIL " + name + ": " + cause);
                failed++;
                continue;
            }
            GoldenCase gc = (GoldenCase) entry;
            CaseData data;
            try {
                data = new CaseData(gc);
            } catch (CaseData.MalformedCaseException e) {
                out.println("FAIL " + gc.name() + ": " + e.getMessage());
                failed++;
                continue;
            }
            for (DType dtype : dtypes) {
                for (Direction dir : directions) {
                    String line;
                    boolean ok;
                    try {
                        Result r = dir == Direction.FORWARD ? forward(data, device, dtype, repeat)
                                : backward(data, device, dtype, repeat);
                        ok = r.ok;
                        line = r.text;
                    } catch (RuntimeException | CaseData.MalformedCaseException e) {
                        ok = false;
                        line = e.getClass().getSimpleName() + ": " + e.getMessage();
                    }
                    out.printf(Locale.ROOT, "%s %-24s %-4s %-8s %s%n", ok ? "PASS" : "FAIL", gc.name(), dtype.label(),
                            dir.label(), line);
                    if (ok) {
                        passed++;
                    } else {
                        failed++;
                    }
                }
            }
        }
        out.println(passed + " passed, " + failed + " failed");
        return new Summary(passed, failed);
    }

    private record Result(boolean ok, String text) {
    }

    private static Result forward(CaseData data, Dcnv4Device device, DType dtype, int repeat)
            throws CaseData.MalformedCaseException {
        Dcnv4Problem p = data.golden.problem();
        CaseData.Expected e = data.expected(dtype);
        double tol = tolerance(dtype);
        double worst = 0;
        float[] first = null;
        boolean identical = true;
        try (NativeArray in = NativeArray.fromDoubles(dtype, e.input());
             NativeArray om = NativeArray.fromDoubles(dtype, e.offsetMask())) {
            for (int r = 0; r < repeat; r++) {
                try (NativeArray out = NativeArray.allocate(dtype, p.outputSize())) {
                    out.init(Float.NaN);                       // a device that writes nothing cannot pass
                    device.forward(p, in, om, out);
                    float[] got = out.toFloatArray();
                    worst = maxOf(worst, relativeError(got, e.output()));
                    if (first == null) {
                        first = got;
                    } else {
                        identical &= Arrays.equals(first, got);
                    }
                }
            }
        }
        StringBuilder text = new StringBuilder(String.format(Locale.ROOT, "err %.2e tol %.0e", worst, tol));
        appendOfficial(text, "output", first, data.official("official_output_" + dtype.label() + ".npy",
                p.outputShape()));
        boolean ok = worst <= tol && identical;
        appendRepeat(text, repeat, identical, "forward");
        return new Result(ok, text.toString());
    }

    private static Result backward(CaseData data, Dcnv4Device device, DType dtype, int repeat)
            throws CaseData.MalformedCaseException {
        Dcnv4Problem p = data.golden.problem();
        CaseData.Expected e = data.expected(dtype);
        double tol = tolerance(dtype);
        double worstIn = 0, worstOm = 0;
        float[] firstIn = null, firstOm = null;
        boolean identical = true;
        try (NativeArray in = NativeArray.fromDoubles(dtype, e.input());
             NativeArray om = NativeArray.fromDoubles(dtype, e.offsetMask());
             NativeArray go = NativeArray.fromDoubles(dtype, e.gradOutput())) {
            for (int r = 0; r < repeat; r++) {
                try (NativeArray gin = NativeArray.allocate(dtype, p.inputSize());
                     NativeArray gom = NativeArray.allocate(dtype, p.offsetMaskSize())) {
                    gin.init(Float.NaN);
                    gom.init(Float.NaN);
                    device.backward(p, in, om, go, gin, gom);
                    float[] a = gin.toFloatArray(), b = gom.toFloatArray();
                    worstIn = maxOf(worstIn, relativeError(a, e.gradInput()));
                    worstOm = maxOf(worstOm, relativeError(b, e.gradOffsetMask()));
                    if (firstIn == null) {
                        firstIn = a;
                        firstOm = b;
                    } else {
                        identical &= Arrays.equals(firstIn, a) && Arrays.equals(firstOm, b);
                    }
                }
            }
        }
        StringBuilder text = new StringBuilder(String.format(Locale.ROOT,
                "err grad_input %.2e grad_offset_mask %.2e tol %.0e", worstIn, worstOm, tol));
        appendOfficial(text, "grad_input", firstIn, data.official("official_grad_input_" + dtype.label() + ".npy",
                p.inputShape()));
        appendOfficial(text, "grad_offset_mask", firstOm, data.official("official_grad_offset_mask_"
                + dtype.label() + ".npy", p.offsetMaskShape()));
        boolean mustRepeatExactly = device.deterministicBackward();
        boolean ok = worstIn <= tol && worstOm <= tol && (identical || !mustRepeatExactly);
        if (mustRepeatExactly || identical) {
            appendRepeat(text, repeat, identical, "deterministic backward");
        } else {
            text.append(" x").append(repeat).append(" (atomics: runs differ in the last bits)");
        }
        return new Result(ok, text.toString());
    }

    private static void appendOfficial(StringBuilder text, String what, float[] got, double[] official) {
        if (official == null || got == null) {
            return;
        }
        boolean exact = true;
        for (int i = 0; i < got.length; i++) {
            if (Float.floatToIntBits(got[i]) != Float.floatToIntBits((float) official[i])) {
                exact = false;
                break;
            }
        }
        text.append(String.format(Locale.ROOT, " | vs official %s %.2e%s", what, relativeError(got, official),
                exact ? " (bit-exact)" : ""));
    }

    private static void appendRepeat(StringBuilder text, int repeat, boolean identical, String what) {
        if (repeat > 1) {
            text.append(" x").append(repeat).append(identical ? " (bit-identical)" : " (" + what
                    + " NOT bit-identical across runs)");
        }
    }

    /** NaN-propagating max: a NaN error stays NaN so that it fails every comparison. */
    private static double maxOf(double a, double b) {
        return Double.isNaN(a) || Double.isNaN(b) ? Double.NaN : Math.max(a, b);
    }

    /**
     * max|actual - expected| / max|expected|; absolute when expected is all zero; NaN when a value
     * is NaN where the expected one is not, or infinite where the expected one is finite.
     */
    public static double relativeError(float[] actual, double[] expected) {
        if (actual.length != expected.length) {
            throw new IllegalArgumentException("actual: expected " + expected.length + " elements but was "
                    + actual.length);
        }
        double maxDiff = 0, maxRef = 0;
        for (int i = 0; i < actual.length; i++) {
            double a = actual[i], e = expected[i];
            if (Double.isNaN(e) && Double.isNaN(a) || a == e) {
                maxRef = Double.isFinite(e) ? Math.max(maxRef, Math.abs(e)) : maxRef;
                continue;
            }
            double d = Math.abs(a - e);
            if (Double.isNaN(d) || Double.isInfinite(d)) {
                return Double.NaN;
            }
            maxDiff = Math.max(maxDiff, d);
            maxRef = Math.max(maxRef, Math.abs(e));
        }
        return maxRef == 0 ? maxDiff : maxDiff / maxRef;
    }
}
