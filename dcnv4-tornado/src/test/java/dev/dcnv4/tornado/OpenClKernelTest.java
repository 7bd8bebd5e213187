package dev.dcnv4.tornado;

import dev.dcnv4.arrays.DType;
import dev.dcnv4.arrays.NativeArray;
import dev.dcnv4.device.Dcnv4Device;
import dev.dcnv4.op.Dcnv4Config;
import dev.dcnv4.op.Dcnv4Data;
import dev.dcnv4.op.Dcnv4Problem;
import dev.dcnv4.op.Dcnv4Reference;
import dev.dcnv4.tornado.drivers.opencl.OpenClDevice;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.List;

import static dev.dcnv4.tornado.OpenClTestSupport.relError;
import static dev.dcnv4.tornado.OpenClTestSupport.tolerance;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The OpenCL kernels (on PoCL in CI) against the fp64 reference on varied shapes, several runs in a row. */
class OpenClKernelTest {

    /** Shapes covering tails (D % d_stride != 0), stride, dilation, remove_center, softmax, even kernels. */
    static List<Dcnv4Problem> problems() {
        return List.of(
                Dcnv4Problem.of(Dcnv4Config.builder().groups(2).groupChannels(16).offsetScale(2f).build(), 2, 6, 7),
                Dcnv4Problem.of(Dcnv4Config.builder().groups(3).groupChannels(12).stride(2).dilation(2, 3)
                        .offsetScale(0.7f).build(), 1, 9, 8),
                Dcnv4Problem.of(Dcnv4Config.builder().groups(1).groupChannels(5).kernel(2, 4).pad(0, 2)
                        .removeCenter(true).build(), 2, 5, 6),
                Dcnv4Problem.of(Dcnv4Config.builder().groups(2).groupChannels(8).softmax(true).offsetScale(0.5f).build(),
                        1, 5, 5),
                Dcnv4Problem.of(Dcnv4Config.builder().groups(1).groupChannels(66).kernel(3).build(), 1, 4, 3));
    }

    @ParameterizedTest
    @EnumSource(DType.class)
    void forwardAndBackwardMatchReference(DType dtype) {
        Dcnv4Device dev = OpenClTestSupport.device();
        long seed = 11;
        for (Dcnv4Problem p : problems()) {
            try (Dcnv4Data data = Dcnv4Data.random(p, dtype, seed++, 3f);
                 NativeArray out = NativeArray.allocate(dtype, p.outputSize());
                 NativeArray gin = NativeArray.allocate(DType.FP32, p.inputSize());
                 NativeArray gom = NativeArray.allocate(dtype, p.offsetMaskSize())) {
                double[] in = data.input().toDoubleArray(), om = data.offsetMask().toDoubleArray();
                double[] ref = Dcnv4Reference.forward(p, in, om);
                Dcnv4Reference.Gradients g = Dcnv4Reference.backward(p, in, om, data.gradOutput().toDoubleArray());
                for (int run = 0; run < 2; run++) {
                    dev.forward(p, data.input(), data.offsetMask(), out);
                    double e = relError(out.toFloatArray(), ref);
                    assertTrue(e <= tolerance(dtype), p + " " + dtype + " forward run " + run + ": error " + e);
                    dev.backward(p, data.input(), data.offsetMask(), data.gradOutput(), gin, gom);
                    double ei = relError(gin.toFloatArray(), g.gradInput());
                    double eo = relError(gom.toFloatArray(), g.gradOffsetMask());
                    // grad_input is fp32 here: the fp32 tolerance, scaled for the inputs' storage rounding
                    assertTrue(ei <= Math.max(1e-5, tolerance(dtype)), p + " " + dtype + " grad_input run " + run + ": " + ei);
                    assertTrue(eo <= Math.max(1e-5, tolerance(dtype)), p + " " + dtype + " grad_offset_mask run " + run + ": " + eo);
                }
                // both gradients in the storage dtype: converted on the device by dcnv4_store_f32
                try (NativeArray gin2 = NativeArray.allocate(dtype, p.inputSize())) {
                    dev.backward(p, data.input(), data.offsetMask(), data.gradOutput(), gin2, gom);
                    assertTrue(relError(gin2.toFloatArray(), g.gradInput()) <= Math.max(1e-5, tolerance(dtype)),
                            p + " " + dtype + " grad_input stored as " + dtype);
                }
            }
        }
    }

    @Test
    void deterministicBackwardIsBitIdenticalAndCorrect() {
        OpenClDevice dev = (OpenClDevice) OpenClTestSupport.device();
        Dcnv4Problem p = problems().get(1);
        try (Dcnv4Data data = Dcnv4Data.random(p, DType.FP32, 5, 4f);
             NativeArray gin = NativeArray.allocate(DType.FP32, p.inputSize());
             NativeArray gom = NativeArray.allocate(DType.FP32, p.offsetMaskSize())) {
            Dcnv4Reference.Gradients g = Dcnv4Reference.backward(data);
            dev.deterministicBackward(true);
            try {
                float[] first = null;
                for (int run = 0; run < 3; run++) {
                    dev.backward(p, data.input(), data.offsetMask(), data.gradOutput(), gin, gom);
                    float[] now = gin.toFloatArray();
                    assertTrue(relError(now, g.gradInput()) <= 1e-5, "deterministic grad_input vs reference");
                    assertTrue(relError(gom.toFloatArray(), g.gradOffsetMask()) <= 1e-5, "grad_offset_mask");
                    if (first == null) {
                        first = now;
                    } else {
                        assertArrayEquals(first, now, "deterministic backward must repeat bit for bit");
                    }
                }
            } finally {
                dev.deterministicBackward(false);
            }
        }
    }
}
