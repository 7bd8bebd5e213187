package dev.dcnv4.golden;

import dev.dcnv4.arrays.DType;
import dev.dcnv4.io.Npy;
import dev.dcnv4.io.NpyArray;
import dev.dcnv4.op.Dcnv4Problem;
import dev.dcnv4.op.Dcnv4Reference;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.Map;

/**
 * The arrays of one golden case, shape-checked against its parameters, and the expected results
 * per storage precision (goldens/README.md, "How to compare"):
 * fp32 is compared with {@code ref_*_fp64}; fp16/bf16 take the fp32 inputs rounded to that type
 * and are compared with the fp64 reference evaluated on those rounded inputs.
 */
final class CaseData {
    final GoldenCase golden;
    final double[] input, offsetMask, gradOutput;
    private final double[] refOutput, refGradInput, refGradOffsetMask;
    private final Map<DType, Expected> expected = new EnumMap<>(DType.class);

    /** Inputs (rounded to a storage type) and the results they should give. */
    record Expected(double[] input, double[] offsetMask, double[] gradOutput,
                    double[] output, double[] gradInput, double[] gradOffsetMask) {
    }

    /** A case whose files are missing, truncated or of the wrong shape. */
    static final class MalformedCaseException extends Exception {
        MalformedCaseException(String message) {
            super(message);
        }
    }

    CaseData(GoldenCase golden) throws MalformedCaseException {
        this.golden = golden;
        Dcnv4Problem p = golden.problem();
        int[] in = p.inputShape(), out = p.outputShape(), om = p.offsetMaskShape();
        input = load("input_fp32.npy", in, "channels must be G*D = " + p.config().groups() + "*"
                + p.config().groupChannels() + " = " + p.config().channels());
        offsetMask = load("offset_mask_fp32.npy", om, "last axis must be padded_offset_dim = 8*ceil(3KG/8) = "
                + p.config().paddedOffsetDim());
        gradOutput = load("grad_output_fp32.npy", out, "output shape (N, H_out, W_out, G*D)");
        refOutput = load("ref_output_fp64.npy", out, "output shape (N, H_out, W_out, G*D)");
        refGradInput = load("ref_grad_input_fp64.npy", in, "input shape (N, H, W, G*D)");
        refGradOffsetMask = load("ref_grad_offset_mask_fp64.npy", om, "offset_mask shape (N, H_out, W_out, P)");
    }

    private double[] load(String file, int[] shape, String rule) throws MalformedCaseException {
        NpyArray a = read(file);
        if (!Arrays.equals(a.shape(), shape)) {
            throw new MalformedCaseException(file + ": expected shape " + shapeString(shape) + " but was "
                    + a.shapeString() + " (" + rule + ")");
        }
        return a.data();
    }

    private NpyArray read(String file) throws MalformedCaseException {
        Path path = golden.folder().resolve(file);
        if (!Files.isRegularFile(path)) {
            throw new MalformedCaseException(file + ": missing (expected in " + golden.folder() + ")");
        }
        try {
            return Npy.read(path);
        } catch (IOException e) {
            String msg = e.getMessage();
            String prefix = path + ": ";
            throw new MalformedCaseException(file + ": " + (msg.startsWith(prefix) ? msg.substring(prefix.length()) : msg));
        }
    }

    /** An optional official result (e.g. "official_output_fp16.npy") of the given shape, or null if absent. */
    double[] official(String file, int[] shape) throws MalformedCaseException {
        if (!Files.isRegularFile(golden.folder().resolve(file))) {
            return null;
        }
        return load(file, shape, "same shape as the reference");
    }

    /** Inputs and expected results for storage type {@code dtype} (computed once per case and type). */
    Expected expected(DType dtype) {
        return expected.computeIfAbsent(dtype, t -> {
            if (t == DType.FP32) {
                return new Expected(input, offsetMask, gradOutput, refOutput, refGradInput, refGradOffsetMask);
            }
            double[] in = round(input, t), om = round(offsetMask, t), go = round(gradOutput, t);
            Dcnv4Problem p = golden.problem();
            double[] o = Dcnv4Reference.forward(p, in, om);
            Dcnv4Reference.Gradients g = Dcnv4Reference.backward(p, in, om, go);
            return new Expected(in, om, go, o, g.gradInput(), g.gradOffsetMask());
        });
    }

    private static double[] round(double[] values, DType t) {
        double[] r = new double[values.length];
        for (int i = 0; i < r.length; i++) {
            r[i] = t.round((float) values[i]);
        }
        return r;
    }

    static String shapeString(int[] shape) {
        StringBuilder sb = new StringBuilder("(");
        for (int i = 0; i < shape.length; i++) {
            sb.append(i == 0 ? "" : ", ").append(shape[i]);
        }
        return sb.append(")").toString();
    }
}
