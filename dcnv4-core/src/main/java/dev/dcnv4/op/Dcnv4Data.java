package dev.dcnv4.op;

import dev.dcnv4.arrays.DType;
import dev.dcnv4.arrays.NativeArray;

import java.util.SplittableRandom;

/**
 * A problem's three inputs (value, offset_mask, grad_output) as off-heap arrays of one dtype.
 * {@link #random} fills them deterministically from a seed, the way the tests and benchmarks do:
 * values in [0, 1), offsets uniform in (-amplitude, amplitude), weights in [-1, 1), padding entries of
 * offset_mask 0, grad_output in [-1, 1).
 */
public record Dcnv4Data(Dcnv4Problem problem, NativeArray input, NativeArray offsetMask, NativeArray gradOutput)
        implements AutoCloseable {

    /** Random data for {@code problem} in storage type {@code dtype}; same seed, same numbers. */
    public static Dcnv4Data random(Dcnv4Problem problem, DType dtype, long seed, float offsetAmplitude) {
        checkAmplitude(offsetAmplitude);                 // before any native memory is allocated
        SplittableRandom rnd = new SplittableRandom(seed);
        NativeArray in = null, om = null, go = null;
        try {
            in = NativeArray.allocate(dtype, problem.inputSize());
            om = NativeArray.allocate(dtype, problem.offsetMaskSize());
            go = NativeArray.allocate(dtype, problem.outputSize());
            for (int i = 0; i < in.getSize(); i++) {
                in.setFloat(i, (float) rnd.nextDouble());
            }
            fillOffsetMask(problem.config(), om, rnd, offsetAmplitude);
            for (int i = 0; i < go.getSize(); i++) {
                go.setFloat(i, (float) rnd.nextDouble(-1, 1));
            }
            return new Dcnv4Data(problem, in, om, go);
        } catch (RuntimeException | Error e) {
            for (NativeArray a : new NativeArray[] {in, om, go}) {
                if (a != null) {
                    a.close();
                }
            }
            throw e;
        }
    }

    /** Fills offset_mask: per (position, group) 2K offsets in (-amp, amp), K weights in [-1, 1), padding 0. */
    public static void fillOffsetMask(Dcnv4Config c, NativeArray om, SplittableRandom rnd, float amp) {
        checkAmplitude(amp);
        int pDim = c.paddedOffsetDim(), k = c.points(), used = 3 * k * c.groups();
        for (int base = 0; base < om.getSize(); base += pDim) {
            for (int e = 0; e < pDim; e++) {
                float v;
                if (e >= used) {
                    v = 0f;
                } else if (e % (3 * k) < 2 * k) {
                    v = amp == 0 ? 0f : (float) rnd.nextDouble(-amp, amp);
                } else {
                    v = (float) rnd.nextDouble(-1, 1);
                }
                om.setFloat(base + e, v);
            }
        }
    }

    private static void checkAmplitude(float amp) {
        if (!(amp >= 0 && Float.isFinite(amp))) {
            throw new IllegalArgumentException("offsetAmplitude: expected a finite number >= 0 but was " + amp);
        }
    }

    public DType dtype() {
        return input.dtype();
    }

    @Override
    public void close() {
        input.close();
        offsetMask.close();
        gradOutput.close();
    }
}
