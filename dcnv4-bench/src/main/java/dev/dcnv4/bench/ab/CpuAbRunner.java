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
    private final boolean backward, forward;

    /**
     * {@code shape} = N, H, W, C; offsets uniform in (-offsetAmplitude, offsetAmplitude) px (2 in
     * {@code dcnv4 bench}); grad_output uniform in (-gradOutputScale, gradOutputScale). A call is a
     * forward, a backward, or with {@code both} a forward then a backward (a training step).
     */
    public CpuAbRunner(int threads, String dtype, boolean backward, boolean both, int[] shape, int groups,
                       float gradOutputScale, float offsetAmplitude) {
        DType t = DType.valueOf(dtype.toUpperCase(java.util.Locale.ROOT));
        Dcnv4Config cfg = Dcnv4Config.builder().groups(groups).groupChannels(shape[3] / groups).offsetScale(1f).build();
        Dcnv4Problem p = Dcnv4Problem.of(cfg, shape[0], shape[1], shape[2]);
        this.backward = backward || both;
        this.forward = !backward || both;
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
        Runnable fwd = () -> device.forward(p, data.input(), data.offsetMask(), out);
        Runnable bwd = () -> device.backward(p, data.input(), data.offsetMask(), data.gradOutput(), gradIn, gradOm);
        call = both ? () -> {
            fwd.run();
            bwd.run();
        } : backward ? bwd : fwd;
    }

    @Override
    public void run() {
        call.run();
    }

    /**
     * Bytes of {@link #get()} before grad_offset_mask: the output and/or grad_input (all of it for a
     * forward).
     */
    @Override
    public int getAsInt() {
        return (int) ((forward ? out.getSegment().byteSize() : 0) + (backward ? gradIn.getSegment().byteSize() : 0));
    }

    /** The last call's results, as bytes: the output (forward), then grad_input and grad_offset_mask (backward). */
    @Override
    public byte[] get() {
        byte[] a = forward ? bytes(out) : new byte[0];
        if (!backward) {
            return a;
        }
        byte[] g = bytes(gradIn), b = bytes(gradOm);
        byte[] all = Arrays.copyOf(a, a.length + g.length + b.length);
        System.arraycopy(g, 0, all, a.length, g.length);
        System.arraycopy(b, 0, all, a.length + g.length, b.length);
        return all;
    }

    private static byte[] bytes(NativeArray a) {
        return a.getSegment().toArray(ValueLayout.JAVA_BYTE);
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
