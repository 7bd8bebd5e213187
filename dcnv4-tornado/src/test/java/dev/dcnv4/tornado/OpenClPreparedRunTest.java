package dev.dcnv4.tornado;

import dev.dcnv4.arrays.DType;
import dev.dcnv4.arrays.NativeArray;
import dev.dcnv4.device.Dcnv4Device;
import dev.dcnv4.device.PreparedRun;
import dev.dcnv4.op.Dcnv4Config;
import dev.dcnv4.op.Dcnv4Data;
import dev.dcnv4.op.Dcnv4Problem;
import dev.dcnv4.op.Dcnv4Reference;
import dev.dcnv4.op.Direction;
import org.junit.jupiter.api.Test;

import static dev.dcnv4.tornado.OpenClTestSupport.relError;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Device-resident prepared runs (what `dcnv4 bench --device opencl` times): event-timed and correct. */
class OpenClPreparedRunTest {

    @Test
    void preparedForwardAndBackwardAreTimedByEventsAndCorrect() {
        Dcnv4Device dev = OpenClTestSupport.device();
        Dcnv4Problem p = Dcnv4Problem.of(Dcnv4Config.builder().groups(4).groupChannels(16).offsetScale(2f).build(), 1, 8, 8);
        try (Dcnv4Data d = Dcnv4Data.random(p, DType.FP16, 9, 2f);
             NativeArray out = NativeArray.allocate(DType.FP16, p.outputSize());
             NativeArray gin = NativeArray.allocate(DType.FP16, p.inputSize());
             NativeArray gom = NativeArray.allocate(DType.FP16, p.offsetMaskSize())) {
            double[] in = d.input().toDoubleArray(), om = d.offsetMask().toDoubleArray();
            try (PreparedRun fwd = dev.prepare(Direction.FORWARD, d, out, null, null)) {
                for (int i = 0; i < 3; i++) {
                    fwd.run();
                    assertTrue(fwd.lastDeviceNanos() > 0, "event time " + fwd.lastDeviceNanos());
                }
                fwd.fetchResults();
                assertTrue(relError(out.toFloatArray(), Dcnv4Reference.forward(p, in, om)) <= 8e-4);
            }
            try (PreparedRun bwd = dev.prepare(Direction.BACKWARD, d, null, gin, gom)) {
                bwd.run();
                bwd.run();
                assertTrue(bwd.lastDeviceNanos() > 0);
                bwd.fetchResults();
                var g = Dcnv4Reference.backward(p, in, om, d.gradOutput().toDoubleArray());
                assertTrue(relError(gin.toFloatArray(), g.gradInput()) <= 8e-4);
                assertTrue(relError(gom.toFloatArray(), g.gradOffsetMask()) <= 8e-4);
            }
        }
    }
}
