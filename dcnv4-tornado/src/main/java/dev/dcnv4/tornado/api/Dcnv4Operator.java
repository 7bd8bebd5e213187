package dev.dcnv4.tornado.api;

import dev.dcnv4.arrays.NativeArray;
import dev.dcnv4.device.Dcnv4Device;
import dev.dcnv4.device.Devices;
import dev.dcnv4.op.Dcnv4Problem;
import dev.dcnv4.tornado.runtime.Backend;
import dev.dcnv4.tornado.runtime.Backends;
import dev.dcnv4.tornado.runtime.DeviceBuffer;

import java.util.ArrayList;
import java.util.List;

/**
 * One-call DCNv4 for users who want no task graph: bound to one device, each call copies the host
 * arrays in, runs, copies the results out and frees the device memory.
 *
 * <pre>{@code
 * try (Dcnv4Operator op = Dcnv4Operator.on("opencl")) {
 *     op.forward(problem, input, offsetMask, output);
 * }
 * }</pre>
 *
 * Thread-safe (calls are serialized on the device).
 */
public final class Dcnv4Operator implements AutoCloseable {
    private final Dcnv4Device device;
    private final boolean ownsDevice;
    private final Backend backend;
    private volatile boolean deterministic;

    private Dcnv4Operator(Dcnv4Device device, boolean owns) {
        this.device = device;
        this.ownsDevice = owns;
        this.backend = Backends.forDevice(device);
    }

    /** Opens the device with this id (see {@link Devices#open}); closed with the operator. */
    public static Dcnv4Operator on(String deviceId) {
        return new Dcnv4Operator(Devices.open(deviceId), true);
    }

    /** Uses an open device; the caller keeps ownership. */
    public static Dcnv4Operator on(Dcnv4Device device) {
        if (device == null) {
            throw new IllegalArgumentException("device: expected a device but was null");
        }
        return new Dcnv4Operator(device, false);
    }

    /** Deterministic (bit-reproducible) grad_input in {@link #backward}. */
    public Dcnv4Operator deterministic(boolean on) {
        deterministic = on;
        return this;
    }

    public Dcnv4Device device() {
        return device;
    }

    public void forward(Dcnv4Problem p, NativeArray input, NativeArray offsetMask, NativeArray output) {
        p.checkForward(input, offsetMask, output);
        List<DeviceBuffer> owned = new ArrayList<>();
        try {
            DeviceBuffer out = alloc(owned, output.getNumBytes());
            backend.forward(p, input.dtype(), upload(owned, input), upload(owned, offsetMask), out);
            backend.copyOut(out, output.getSegment());
        } finally {
            owned.forEach(DeviceBuffer::close);
        }
    }

    /** Gradients into gradInput / gradOffsetMask (both fp32 or both the input's dtype). */
    public void backward(Dcnv4Problem p, NativeArray input, NativeArray offsetMask, NativeArray gradOutput,
                         NativeArray gradInput, NativeArray gradOffsetMask) {
        p.checkBackward(input, offsetMask, gradOutput, gradInput, gradOffsetMask);
        if (gradInput.dtype() != gradOffsetMask.dtype()) {
            throw new IllegalArgumentException("gradOffsetMask: expected the dtype of gradInput (" + gradInput.dtype()
                    + ") but was " + gradOffsetMask.dtype());
        }
        List<DeviceBuffer> owned = new ArrayList<>();
        try {
            DeviceBuffer gin = alloc(owned, gradInput.getNumBytes());
            DeviceBuffer gom = alloc(owned, gradOffsetMask.getNumBytes());
            backend.backward(p, input.dtype(), upload(owned, input), upload(owned, offsetMask),
                    upload(owned, gradOutput), gin, gom, gradInput.dtype(), deterministic);
            backend.copyOut(gin, gradInput.getSegment());
            backend.copyOut(gom, gradOffsetMask.getSegment());
        } finally {
            owned.forEach(DeviceBuffer::close);
        }
    }

    private DeviceBuffer alloc(List<DeviceBuffer> owned, long bytes) {
        DeviceBuffer b = backend.allocate(bytes);
        owned.add(b);
        return b;
    }

    private DeviceBuffer upload(List<DeviceBuffer> owned, NativeArray a) {
        DeviceBuffer b = alloc(owned, a.getNumBytes());
        backend.copyIn(b, a.getSegment());
        return b;
    }

    @Override
    public void close() {
        backend.close();
        if (ownsDevice) {
            device.close();
        }
    }
}
