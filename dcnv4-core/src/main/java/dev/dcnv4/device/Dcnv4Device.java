package dev.dcnv4.device;

import dev.dcnv4.arrays.NativeArray;
import dev.dcnv4.op.Dcnv4Data;
import dev.dcnv4.op.Dcnv4Problem;
import dev.dcnv4.op.Direction;

/**
 * A place that runs DCNv4: the fp64 reference, the Java CPU backend, an OpenCL device or a CUDA
 * GPU. Obtained from {@link Devices}; every result a user sees names {@link #id()}.
 *
 * <p>Contract for implementations:
 * <ul>
 *   <li>arguments are validated with {@link Dcnv4Problem#checkForward} / {@link Dcnv4Problem#checkBackward}
 *       before any native memory is touched;</li>
 *   <li>a failure is a {@link DeviceException} naming this device, the native library and the cause,
 *       never a silent re-run elsewhere;</li>
 *   <li>arrays are host (off-heap) arrays; device transfers, if any, happen inside the call.</li>
 * </ul>
 */
public interface Dcnv4Device extends AutoCloseable {

    /** Stable id used for selection: "reference", "java", "opencl:0", "cuda:0". */
    String id();

    /** Human-readable name, e.g. "NVIDIA H100 80GB HBM3 (CUDA 13.0)". */
    String name();

    /** Static facts for `dcnv4 devices`. */
    DeviceInfo info();

    /** output = DCNv4(input, offsetMask); output is overwritten. */
    void forward(Dcnv4Problem problem, NativeArray input, NativeArray offsetMask, NativeArray output);

    /**
     * Gradients of sum(output * gradOutput) with respect to input and offsetMask; both gradient
     * arrays are overwritten (padding entries of gradOffsetMask become exactly 0).
     */
    void backward(Dcnv4Problem problem, NativeArray input, NativeArray offsetMask, NativeArray gradOutput,
                  NativeArray gradInput, NativeArray gradOffsetMask);

    /**
     * Sets up {@code direction} on {@code data} for repeated timed runs. The default runs the host-array
     * methods above each time (right for CPU devices); GPU devices override it to keep the data in
     * device memory and time with device events. Results land in {@code output} (forward) or
     * {@code gradInput}/{@code gradOffsetMask} (backward) after {@link PreparedRun#fetchResults()}.
     */
    default PreparedRun prepare(Direction direction, Dcnv4Data data, NativeArray output, NativeArray gradInput,
                                NativeArray gradOffsetMask) {
        Dcnv4Problem p = data.problem();
        if (direction == Direction.FORWARD) {
            p.checkForward(data.input(), data.offsetMask(), output);
            return () -> forward(p, data.input(), data.offsetMask(), output);
        }
        p.checkBackward(data.input(), data.offsetMask(), data.gradOutput(), gradInput, gradOffsetMask);
        return () -> backward(p, data.input(), data.offsetMask(), data.gradOutput(), gradInput, gradOffsetMask);
    }

    /** True when repeated backward calls on the same data give bit-identical gradients. */
    boolean deterministicBackward();

    /** Releases native resources; idempotent, throws nothing checked. */
    @Override
    default void close() {
    }
}
