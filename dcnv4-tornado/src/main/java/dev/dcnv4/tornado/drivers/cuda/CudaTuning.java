package dev.dcnv4.tornado.drivers.cuda;

import dev.dcnv4.arrays.DType;
import dev.dcnv4.golden.GoldenChecker;
import dev.dcnv4.arrays.NativeArray;
import dev.dcnv4.op.Dcnv4Data;
import dev.dcnv4.op.Dcnv4Problem;
import dev.dcnv4.op.Dcnv4Reference;
import dev.dcnv4.op.Direction;

import java.util.Arrays;
import java.util.Locale;

/**
 * The tuner's view of a CUDA device for one problem ({@link LaunchTuner.Evaluator}).
 *
 * <p>Correctness is checked on tuning data: random inputs (fixed seed, offsets up to 4 pixels so
 * that samples fall outside the image too) for the same configuration and image size with a batch
 * of min(N, 2), so that blocks that would mix two images are exercised, compared with the fp64
 * {@link Dcnv4Reference} computed once. Error = max|actual - expected| / max|expected| per array,
 * with the golden protocol's tolerances (1e-5 fp32, 8e-4 fp16, 6e-3 bf16).
 *
 * <p>Speed is measured on the caller's full-size data: 3 warm-up runs, then the median of 10
 * runs timed with CUDA events.
 */
final class CudaTuning implements LaunchTuner.Evaluator {
    private static final long SEED = 0x7e57_da7aL;
    private static final float OFFSET_AMPLITUDE = 4f;

    private final CudaContext ctx;
    private final Direction direction;
    private final Dcnv4Problem full;
    private final DType dtype;
    private NativeArray input, offsetMask, gradOutput;
    private Dcnv4Data tuningData, timingData;
    private double[][] expected;

    /** Times on the caller's data ({@code input} etc.), or on random full-size data when {@code input} is null. */
    CudaTuning(CudaContext ctx, Direction direction, Dcnv4Problem full, DType dtype, NativeArray input,
               NativeArray offsetMask, NativeArray gradOutput) {
        this.ctx = ctx;
        this.direction = direction;
        this.full = full;
        this.dtype = dtype;
        this.input = input;
        this.offsetMask = offsetMask;
        this.gradOutput = gradOutput;
    }

    /** Tolerance on max|error| / max|expected| for results computed from {@code dtype} inputs. */
    static double tolerance(DType dtype) {
        return GoldenChecker.tolerance(dtype);
    }

    /** max|actual - expected| / max|expected| (absolute error when expected is all zeros). */
    static double relativeError(double[] expected, NativeArray actual) {
        return GoldenChecker.relativeError(actual.toFloatArray(), expected);
    }

    @Override
    public String validate(LaunchConfig candidate) {
        if (tuningData == null) {
            Dcnv4Problem small = Dcnv4Problem.of(full.config(), Math.min(full.batch(), 2), full.height(), full.width());
            tuningData = Dcnv4Data.random(small, dtype, SEED, OFFSET_AMPLITUDE);
            double[] in = tuningData.input().toDoubleArray(), om = tuningData.offsetMask().toDoubleArray();
            if (direction == Direction.FORWARD) {
                expected = new double[][] {Dcnv4Reference.forward(small, in, om)};
            } else {
                Dcnv4Reference.Gradients g = Dcnv4Reference.backward(small, in, om,
                        tuningData.gradOutput().toDoubleArray());
                expected = new double[][] {g.gradInput(), g.gradOffsetMask()};
            }
        }
        Dcnv4Problem small = tuningData.problem();
        NativeArray[] results = direction == Direction.FORWARD
                ? new NativeArray[] {NativeArray.allocate(dtype, small.outputSize())}
                : new NativeArray[] {NativeArray.allocate(DType.FP32, small.inputSize()),
                        NativeArray.allocate(DType.FP32, small.offsetMaskSize())};
        try (CudaRun run = direction == Direction.FORWARD
                ? new CudaRun(ctx, small, direction, candidate, tuningData.input(), tuningData.offsetMask(), null,
                        results[0], null, null, false)
                : new CudaRun(ctx, small, direction, candidate, tuningData.input(), tuningData.offsetMask(),
                        tuningData.gradOutput(), null, results[0], results[1], false)) {
            run.run();
            run.fetchResults();
            String[] names = direction == Direction.FORWARD ? new String[] {"output"}
                    : new String[] {"grad_input", "grad_offset_mask"};
            for (int i = 0; i < results.length; i++) {
                double err = relativeError(expected[i], results[i]);
                if (!(err <= tolerance(dtype))) {
                    return String.format(Locale.ROOT, "%s error %.3g > %.1g vs the fp64 reference", names[i], err,
                            tolerance(dtype));
                }
            }
            return null;
        } finally {
            for (NativeArray r : results) {
                r.close();
            }
        }
    }

    @Override
    public double millis(LaunchConfig candidate) {
        if (input == null) {
            timingData = Dcnv4Data.random(full, dtype, SEED + 1, OFFSET_AMPLITUDE);
            input = timingData.input();
            offsetMask = timingData.offsetMask();
            gradOutput = timingData.gradOutput();
        }
        // host targets only size the device buffers: timing runs never fetch results
        NativeArray out = direction == Direction.FORWARD ? NativeArray.allocate(dtype, full.outputSize()) : null;
        NativeArray gin = direction == Direction.BACKWARD ? NativeArray.allocate(DType.FP32, full.inputSize()) : null;
        NativeArray gom = direction == Direction.BACKWARD ? NativeArray.allocate(DType.FP32, full.offsetMaskSize())
                : null;
        try (CudaRun run = new CudaRun(ctx, full, direction, candidate, input, offsetMask, gradOutput, out, gin, gom,
                false)) {
            for (int i = 0; i < 3; i++) {
                run.run();
            }
            double[] ms = new double[10];
            for (int i = 0; i < ms.length; i++) {
                run.run();
                ms[i] = run.lastDeviceNanos() / 1e6;
            }
            Arrays.sort(ms);
            return ms[ms.length / 2];
        } finally {
            for (NativeArray a : new NativeArray[] {out, gin, gom}) {
                if (a != null) {
                    a.close();
                }
            }
        }
    }

    /** Frees the tuning and timing data. */
    void release() {
        for (Dcnv4Data d : new Dcnv4Data[] {tuningData, timingData}) {
            if (d != null) {
                d.close();
            }
        }
        tuningData = null;
        timingData = null;
    }
}
