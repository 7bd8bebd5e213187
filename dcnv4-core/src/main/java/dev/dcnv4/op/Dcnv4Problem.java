package dev.dcnv4.op;

import dev.dcnv4.arrays.DType;
import dev.dcnv4.arrays.NativeArray;

/**
 * One call's sizes: a configuration plus batch N and input height/width. Knows every tensor's
 * element count and checks caller-supplied arrays against them before any backend touches memory.
 *
 * <pre>
 *   input / grad_input           (N, H,     W,     C)      C = G*D
 *   offset_mask / its gradient   (N, H_out, W_out, P)      P = config.paddedOffsetDim()
 *   output / grad_output         (N, H_out, W_out, C)
 * </pre>
 */
public record Dcnv4Problem(Dcnv4Config config, int batch, int height, int width) {

    public Dcnv4Problem {
        if (config == null) {
            throw new IllegalArgumentException("config: expected a Dcnv4Config but was null");
        }
        if (batch < 1) {
            throw new IllegalArgumentException("batch: expected >= 1 but was " + batch);
        }
        if (height < 1) {
            throw new IllegalArgumentException("height: expected >= 1 but was " + height);
        }
        if (width < 1) {
            throw new IllegalArgumentException("width: expected >= 1 but was " + width);
        }
        int ho = config.outputHeight(height);
        int wo = config.outputWidth(width);
        long c = config.channels();
        long biggest = Math.max(Math.max((long) batch * height * width * c, (long) batch * ho * wo * c),
                (long) batch * ho * wo * config.paddedOffsetDim());
        if (biggest > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("tensor size: expected at most " + Integer.MAX_VALUE
                    + " elements per tensor but N=" + batch + ", H=" + height + ", W=" + width + ", " + config
                    + " needs " + biggest + "; split the batch");
        }
    }

    public static Dcnv4Problem of(Dcnv4Config config, int batch, int height, int width) {
        return new Dcnv4Problem(config, batch, height, width);
    }

    public int outHeight() {
        return config.outputHeight(height);
    }

    public int outWidth() {
        return config.outputWidth(width);
    }

    /** Output positions per image, H_out*W_out. */
    public int positions() {
        return outHeight() * outWidth();
    }

    public int inputSize() {
        return batch * height * width * config.channels();
    }

    public int outputSize() {
        return batch * positions() * config.channels();
    }

    public int offsetMaskSize() {
        return batch * positions() * config.paddedOffsetDim();
    }

    public int[] inputShape() {
        return new int[] {batch, height, width, config.channels()};
    }

    public int[] outputShape() {
        return new int[] {batch, outHeight(), outWidth(), config.channels()};
    }

    public int[] offsetMaskShape() {
        return new int[] {batch, outHeight(), outWidth(), config.paddedOffsetDim()};
    }

    /** Checks the forward's arrays: sizes, and input/offsetMask/output of one dtype. */
    public void checkForward(NativeArray input, NativeArray offsetMask, NativeArray output) {
        check("input", input, inputSize(), "N*H*W*C");
        check("offsetMask", offsetMask, offsetMaskSize(), "N*H_out*W_out*P");
        check("output", output, outputSize(), "N*H_out*W_out*C");
        sameType("offsetMask", offsetMask, input.dtype());
        sameType("output", output, input.dtype());
    }

    /**
     * Checks the backward's arrays. Gradients may be fp32 or the storage dtype; they are
     * computed in fp32 and rounded once into the given arrays (which are overwritten).
     */
    public void checkBackward(NativeArray input, NativeArray offsetMask, NativeArray gradOutput,
                              NativeArray gradInput, NativeArray gradOffsetMask) {
        check("input", input, inputSize(), "N*H*W*C");
        check("offsetMask", offsetMask, offsetMaskSize(), "N*H_out*W_out*P");
        check("gradOutput", gradOutput, outputSize(), "N*H_out*W_out*C");
        check("gradInput", gradInput, inputSize(), "N*H*W*C");
        check("gradOffsetMask", gradOffsetMask, offsetMaskSize(), "N*H_out*W_out*P");
        sameType("offsetMask", offsetMask, input.dtype());
        sameType("gradOutput", gradOutput, input.dtype());
        for (var g : new Object[][] {{"gradInput", gradInput}, {"gradOffsetMask", gradOffsetMask}}) {
            DType t = ((NativeArray) g[1]).dtype();
            if (t != DType.FP32 && t != input.dtype()) {
                throw new IllegalArgumentException(g[0] + ": expected dtype fp32 or " + input.dtype()
                        + " but was " + t);
            }
        }
    }

    private void check(String name, NativeArray a, int expected, String formula) {
        if (a == null) {
            throw new IllegalArgumentException(name + ": expected an array of " + expected + " elements but was null");
        }
        if (a.getSize() != expected) {
            throw new IllegalArgumentException(name + ": expected " + expected + " elements (" + formula + " for "
                    + this + ") but was " + a.getSize());
        }
    }

    private static void sameType(String name, NativeArray a, DType expected) {
        if (a.dtype() != expected) {
            throw new IllegalArgumentException(name + ": expected dtype " + expected + " (the input's) but was "
                    + a.dtype());
        }
    }

    @Override
    public String toString() {
        return "N=" + batch + " H=" + height + " W=" + width + " " + config;
    }
}
