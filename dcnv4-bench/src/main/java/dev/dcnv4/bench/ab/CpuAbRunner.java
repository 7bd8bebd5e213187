package dev.dcnv4.bench.ab;

import dev.dcnv4.arrays.DType;
import dev.dcnv4.arrays.NativeArray;
import dev.dcnv4.cpu.JavaDevice;
import dev.dcnv4.op.Dcnv4Config;
import dev.dcnv4.op.Dcnv4Data;
import dev.dcnv4.op.Dcnv4Problem;

import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import java.util.function.IntSupplier;
import java.util.function.Supplier;

/**
 * One version's side of {@link CpuAb}: a device "java" with its data, one call per {@link #run()}.
 * {@link CpuAb} loads this class once per version, through a class loader that sees that version's
 * dcnv4-core classes, so it must use only API that every version has: the configuration builder,
 * {@code Dcnv4Problem.of}, {@code Dcnv4Data.random}, {@code NativeArray.allocate} and the device.
 */
public final class CpuAbRunner implements Runnable, Supplier<byte[]>, IntSupplier, AutoCloseable {
    private final JavaDevice device;
    private final Dcnv4Data data;
    private final NativeArray out, gradIn, gradOm;
    private final Runnable call;
    private final boolean backward;

    /**
     * {@code shape} = N, H, W, C; offsets uniform in (-offsetAmplitude, offsetAmplitude) px (2 in
     * {@code dcnv4 bench}); grad_output uniform in (-gradOutputScale, gradOutputScale).
     */
    public CpuAbRunner(int threads, String dtype, boolean backward, int[] shape, int groups, float gradOutputScale,
                       float offsetAmplitude) {
        DType t = DType.valueOf(dtype.toUpperCase(java.util.Locale.ROOT));
        Dcnv4Config cfg = Dcnv4Config.builder().groups(groups).groupChannels(shape[3] / groups).offsetScale(1f).build();
        Dcnv4Problem p = Dcnv4Problem.of(cfg, shape[0], shape[1], shape[2]);
        this.backward = backward;
        device = new JavaDevice(threads);
        data = Dcnv4Data.random(p, t, 1, offsetAmplitude);
        if (gradOutputScale != 1f) {
            NativeArray go = data.gradOutput();
            for (int i = 0; i < go.getSize(); i++) {
                go.setFloat(i, go.getFloat(i) * gradOutputScale);
            }
        }
        out = NativeArray.allocate(t, p.outputSize());
        gradIn = NativeArray.allocate(t, p.inputSize());
        gradOm = NativeArray.allocate(t, p.offsetMaskSize());
        call = backward ? () -> device.backward(p, data.input(), data.offsetMask(), data.gradOutput(), gradIn, gradOm)
                : () -> device.forward(p, data.input(), data.offsetMask(), out);
    }

    @Override
    public void run() {
        call.run();
    }

    /** Bytes of {@link #get()} that are the first result: the output, or grad_input. */
    @Override
    public int getAsInt() {
        return (int) (backward ? gradIn : out).getSegment().byteSize();
    }

    /** The last call's results, as bytes: the output, or grad_input then grad_offset_mask. */
    @Override
    public byte[] get() {
        byte[] a = (backward ? gradIn : out).getSegment().toArray(ValueLayout.JAVA_BYTE);
        if (!backward) {
            return a;
        }
        byte[] b = gradOm.getSegment().toArray(ValueLayout.JAVA_BYTE);
        byte[] both = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, both, a.length, b.length);
        return both;
    }

    @Override
    public void close() {
        out.close();
        gradIn.close();
        gradOm.close();
        data.close();
        device.close();
    }
}
