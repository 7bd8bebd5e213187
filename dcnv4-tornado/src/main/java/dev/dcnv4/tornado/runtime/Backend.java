package dev.dcnv4.tornado.runtime;

import dev.dcnv4.arrays.DType;
import dev.dcnv4.device.Dcnv4Device;
import dev.dcnv4.kernels.KernelSource;
import dev.dcnv4.op.Dcnv4Problem;

import java.lang.foreign.MemorySegment;

/**
 * The backend SPI the task-graph executor drives: device memory, copies, the DCNv4 library kernels
 * and raw (prebuilt) kernels. Every method that does device work returns the device time it took in
 * nanoseconds (profiling events / GPU events; wall-clock for host backends) and has finished when it
 * returns, so results are visible to the next call.
 *
 * <p>To add a backend (e.g. CUDA): implement this interface over your device, and let your
 * {@link Dcnv4Device} implement {@link HasBackend} so that {@link Backends#forDevice} finds it. Devices
 * that do not implement {@link HasBackend} run through {@code JavaBackend} on host memory.
 *
 * <p>Threading: a backend may be shared by several plans; implementations serialize their work (one
 * queue / stream per device), so calls from several threads are safe but not concurrent.
 */
public interface Backend extends AutoCloseable {

    /** The device this backend runs on (its id is what results report). */
    Dcnv4Device device();

    /** Allocates {@code bytes} of device memory (contents undefined). */
    DeviceBuffer allocate(long bytes);

    /** Copies {@code src.byteSize()} bytes host -> device. */
    long copyIn(DeviceBuffer dst, MemorySegment src);

    /** Copies {@code dst.byteSize()} bytes device -> host. */
    long copyOut(DeviceBuffer src, MemorySegment dst);

    /** Compiles (or fetches from the cache) what {@code problem} in {@code dtype} needs; returns compile ns (0 if cached). */
    long compile(Dcnv4Problem problem, DType dtype);

    /** output = DCNv4(input, offsetMask) on device buffers of storage {@code dtype}. */
    long forward(Dcnv4Problem problem, DType dtype, DeviceBuffer input, DeviceBuffer offsetMask, DeviceBuffer output);

    /**
     * Both gradients on device buffers. {@code gradInput}/{@code gradOffsetMask} hold {@code gradType}
     * elements (fp32 or the storage dtype) and are overwritten.
     */
    long backward(Dcnv4Problem problem, DType dtype, DeviceBuffer input, DeviceBuffer offsetMask,
                  DeviceBuffer gradOutput, DeviceBuffer gradInput, DeviceBuffer gradOffsetMask, DType gradType,
                  boolean deterministic);

    /**
     * Runs entry {@code entry} of {@code source} (compiled and cached like the library kernels) over a
     * 1-D range. Arguments are {@link DeviceBuffer}, {@link Integer} or {@link Float}.
     *
     * @throws UnsupportedOperationException when this backend cannot run kernel source (the Java backend)
     */
    long launch(KernelSource source, String entry, long globalSize, long localSize, Object... args);

    /** Frees what this backend allocated for itself; does not close the device. */
    @Override
    void close();
}
