package dev.dcnv4.device;

import dev.dcnv4.arrays.NativeArray;
import dev.dcnv4.op.Dcnv4Problem;
import dev.dcnv4.op.Dcnv4Reference;

/**
 * Device "reference": {@link Dcnv4Reference} (fp64, scalar) behind the device interface. Inputs
 * are widened exactly, results rounded once into the caller's arrays. Slow; it is the oracle.
 */
public final class ReferenceDevice implements Dcnv4Device {
    public static final String ID = "reference";

    @Override
    public String id() {
        return ID;
    }

    @Override
    public String name() {
        return "fp64 scalar reference (Java)";
    }

    @Override
    public DeviceInfo info() {
        return new DeviceInfo(ID, name(), DeviceInfo.Kind.REFERENCE, Runtime.getRuntime().maxMemory(), 1,
                "storage (fp64 arithmetic)", "Java " + Runtime.version());
    }

    @Override
    public void forward(Dcnv4Problem problem, NativeArray input, NativeArray offsetMask, NativeArray output) {
        problem.checkForward(input, offsetMask, output);
        double[] out = Dcnv4Reference.forward(problem, input.toDoubleArray(), offsetMask.toDoubleArray());
        store(out, output);
    }

    @Override
    public void backward(Dcnv4Problem problem, NativeArray input, NativeArray offsetMask, NativeArray gradOutput,
                         NativeArray gradInput, NativeArray gradOffsetMask) {
        problem.checkBackward(input, offsetMask, gradOutput, gradInput, gradOffsetMask);
        Dcnv4Reference.Gradients g = Dcnv4Reference.backward(problem, input.toDoubleArray(),
                offsetMask.toDoubleArray(), gradOutput.toDoubleArray());
        store(g.gradInput(), gradInput);
        store(g.gradOffsetMask(), gradOffsetMask);
    }

    private static void store(double[] values, NativeArray target) {
        for (int i = 0; i < values.length; i++) {
            target.setFloat(i, (float) values[i]);
        }
    }

    @Override
    public boolean deterministicBackward() {
        return true;
    }
}
