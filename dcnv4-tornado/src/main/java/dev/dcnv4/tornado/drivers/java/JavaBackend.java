package dev.dcnv4.tornado.drivers.java;

import dev.dcnv4.arrays.BFloat16Array;
import dev.dcnv4.arrays.DType;
import dev.dcnv4.arrays.FloatArray;
import dev.dcnv4.arrays.HalfFloatArray;
import dev.dcnv4.arrays.NativeArray;
import dev.dcnv4.device.Dcnv4Device;
import dev.dcnv4.kernels.KernelSource;
import dev.dcnv4.op.Dcnv4Problem;
import dev.dcnv4.tornado.runtime.Backend;
import dev.dcnv4.tornado.runtime.DeviceBuffer;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * Task-graph backend for host devices ({@code java}, {@code reference}): "device memory" is off-heap
 * host memory and the library tasks call the device's {@link Dcnv4Device#forward}/{@code backward}
 * on views of it. Times are wall-clock. Raw kernel source cannot run here (no emulated GPU threads:
 * they could not honour barriers), so {@link #launch} throws.
 */
public final class JavaBackend implements Backend {
    private final Dcnv4Device device;

    public JavaBackend(Dcnv4Device device) {
        this.device = device;
    }

    /** Host memory standing in for device memory. */
    private static final class HostBuffer implements DeviceBuffer {
        private final Arena arena = Arena.ofShared();
        private final MemorySegment segment;

        HostBuffer(long bytes) {
            segment = arena.allocate(Math.max(1, bytes), 64).asSlice(0, bytes);
        }

        @Override
        public long bytes() {
            return segment.byteSize();
        }

        @Override
        public synchronized void close() {
            if (arena.scope().isAlive()) {
                arena.close();
            }
        }
    }

    @Override
    public Dcnv4Device device() {
        return device;
    }

    @Override
    public DeviceBuffer allocate(long bytes) {
        return new HostBuffer(bytes);
    }

    @Override
    public long copyIn(DeviceBuffer dst, MemorySegment src) {
        long t0 = System.nanoTime();
        seg(dst).copyFrom(src);
        return System.nanoTime() - t0;
    }

    @Override
    public long copyOut(DeviceBuffer src, MemorySegment dst) {
        long t0 = System.nanoTime();
        dst.copyFrom(seg(src));
        return System.nanoTime() - t0;
    }

    @Override
    public long compile(Dcnv4Problem problem, DType dtype) {
        return 0;
    }

    @Override
    public long forward(Dcnv4Problem p, DType dtype, DeviceBuffer input, DeviceBuffer offsetMask, DeviceBuffer output) {
        long t0 = System.nanoTime();
        device.forward(p, view(dtype, input), view(dtype, offsetMask), view(dtype, output));
        return System.nanoTime() - t0;
    }

    @Override
    public long backward(Dcnv4Problem p, DType dtype, DeviceBuffer input, DeviceBuffer offsetMask,
                         DeviceBuffer gradOutput, DeviceBuffer gradInput, DeviceBuffer gradOffsetMask, DType gradType,
                         boolean deterministic) {
        if (deterministic && !device.deterministicBackward()) {
            throw new IllegalArgumentException("deterministic: device " + device.id()
                    + " has no deterministic backward; use another device or deterministic=false");
        }
        long t0 = System.nanoTime();
        device.backward(p, view(dtype, input), view(dtype, offsetMask), view(dtype, gradOutput),
                view(gradType, gradInput), view(gradType, gradOffsetMask));
        return System.nanoTime() - t0;
    }

    @Override
    public long launch(KernelSource source, String entry, long globalSize, long localSize, Object... args) {
        throw new UnsupportedOperationException("device " + device.id() + " runs Java code only: prebuilt kernel '"
                + entry + "' needs an OpenCL or CUDA device (--device opencl:N or cuda:N)");
    }

    private static MemorySegment seg(DeviceBuffer b) {
        if (b instanceof HostBuffer h) {
            return h.segment;
        }
        throw new IllegalArgumentException("buffer: expected a host buffer of the Java backend but was "
                + (b == null ? "null" : b.getClass().getSimpleName()));
    }

    private static NativeArray view(DType t, DeviceBuffer b) {
        MemorySegment s = seg(b);
        return switch (t) {
            case FP32 -> FloatArray.fromSegment(s);
            case FP16 -> HalfFloatArray.fromSegment(s);
            case BF16 -> BFloat16Array.fromSegment(s);
        };
    }

    @Override
    public void close() {
    }
}
