package dev.dcnv4.tornado.drivers.opencl;

import dev.dcnv4.arrays.DType;
import dev.dcnv4.arrays.NativeArray;
import dev.dcnv4.device.Dcnv4Device;
import dev.dcnv4.device.DeviceException;
import dev.dcnv4.device.DeviceInfo;
import dev.dcnv4.device.PreparedRun;
import dev.dcnv4.op.Dcnv4Data;
import dev.dcnv4.op.Dcnv4Problem;
import dev.dcnv4.op.Direction;
import dev.dcnv4.tornado.runtime.Backend;
import dev.dcnv4.tornado.runtime.DeviceBuffer;
import dev.dcnv4.tornado.runtime.HasBackend;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;

/**
 * One OpenCL device ({@code opencl:N}). The context, an in-order queue with profiling and the program
 * cache are created on first use and freed by {@link #close()}. Host-array calls copy in, run and copy
 * out; {@link #prepare} keeps the data resident and times runs with profiling events.
 *
 * <p>Backward: grad_input by fp32 atomics unless {@link #deterministicBackward(boolean)} switched this
 * device object to the deterministic gather (bit-identical run to run, slower; see dcnv4_backward.cl).
 * All methods are thread-safe; work from several threads is serialized on the device's one queue.
 */
public final class OpenClDevice implements Dcnv4Device, HasBackend {
    private final OpenCl cl;
    private final String id;
    private final MemorySegment platform;
    private final MemorySegment device;
    private final DeviceInfo info;
    private final int maxWorkGroupSize;
    private volatile boolean deterministic;
    private MemorySegment context;
    private MemorySegment queue;
    private OpenClProgramCache programs;
    private boolean closed;

    OpenClDevice(OpenCl cl, String id, MemorySegment platform, MemorySegment device) {
        this.cl = cl;
        this.id = id;
        this.platform = platform;
        this.device = device;
        String name = cl.deviceString(device, OpenCl.CL_DEVICE_NAME);
        long type = cl.deviceLong(device, OpenCl.CL_DEVICE_TYPE, 8);
        DeviceInfo.Kind kind = (type & OpenCl.CL_DEVICE_TYPE_GPU) != 0 ? DeviceInfo.Kind.OPENCL_GPU
                : (type & OpenCl.CL_DEVICE_TYPE_CPU) != 0 ? DeviceInfo.Kind.OPENCL_CPU : DeviceInfo.Kind.OPENCL_OTHER;
        String ext = cl.deviceString(device, OpenCl.CL_DEVICE_EXTENSIONS);
        String fp16 = ext.contains("cl_khr_fp16") ? "storage (vload_half) + cl_khr_fp16 arithmetic"
                : "storage (vload_half/vstore_half), fp32 arithmetic";
        String driver = cl.platformString(platform, OpenCl.CL_PLATFORM_NAME) + ", "
                + cl.deviceString(device, OpenCl.CL_DEVICE_VERSION) + ", driver "
                + cl.deviceString(device, OpenCl.CL_DRIVER_VERSION);
        this.info = new DeviceInfo(id, name, kind, cl.deviceLong(device, OpenCl.CL_DEVICE_GLOBAL_MEM_SIZE, 8),
                (int) cl.deviceLong(device, OpenCl.CL_DEVICE_MAX_COMPUTE_UNITS, 4), fp16, driver);
        this.maxWorkGroupSize = (int) Math.min(1024, cl.deviceLong(device, OpenCl.CL_DEVICE_MAX_WORK_GROUP_SIZE, 8));
    }

    @Override
    public String id() {
        return id;
    }

    @Override
    public String name() {
        return info.name();
    }

    @Override
    public DeviceInfo info() {
        return info;
    }

    OpenCl cl() {
        return cl;
    }

    int maxWorkGroupSize() {
        return maxWorkGroupSize;
    }

    /** Chooses the deterministic (gather) or the atomic grad_input for host-array and prepared backward calls. */
    public OpenClDevice deterministicBackward(boolean on) {
        this.deterministic = on;
        return this;
    }

    @Override
    public boolean deterministicBackward() {
        return deterministic;
    }

    synchronized MemorySegment context() {
        open();
        return context;
    }

    synchronized MemorySegment queue() {
        open();
        return queue;
    }

    synchronized OpenClProgramCache programs() {
        open();
        return programs;
    }

    private void open() {
        if (closed) {
            throw new DeviceException(id, "device used after close()");
        }
        if (context == null) {
            MemorySegment ctx = cl.createContext(device);
            try {
                queue = cl.createQueue(ctx, device);
            } catch (RuntimeException e) {
                cl.releaseContext(ctx);
                throw new DeviceException(id, "cannot create a command queue on " + name(), e);
            }
            context = ctx;
            programs = new OpenClProgramCache(cl, ctx, device, info.name() + "|" + info.driver());
        }
    }

    @Override
    public Backend backend() {
        return new OpenClBackend(this);
    }

    @Override
    public void forward(Dcnv4Problem problem, NativeArray input, NativeArray offsetMask, NativeArray output) {
        problem.checkForward(input, offsetMask, output);
        try (PreparedRun run = resident(problem, Direction.FORWARD, input, offsetMask, null, output, null, null)) {
            run.run();
            run.fetchResults();
        }
    }

    @Override
    public void backward(Dcnv4Problem problem, NativeArray input, NativeArray offsetMask, NativeArray gradOutput,
                         NativeArray gradInput, NativeArray gradOffsetMask) {
        problem.checkBackward(input, offsetMask, gradOutput, gradInput, gradOffsetMask);
        try (PreparedRun run = resident(problem, Direction.BACKWARD, input, offsetMask, gradOutput, null, gradInput,
                gradOffsetMask)) {
            run.run();
            run.fetchResults();
        }
    }

    @Override
    public PreparedRun prepare(Direction direction, Dcnv4Data data, NativeArray output, NativeArray gradInput,
                               NativeArray gradOffsetMask) {
        Dcnv4Problem p = data.problem();
        if (direction == Direction.FORWARD) {
            p.checkForward(data.input(), data.offsetMask(), output);
        } else {
            p.checkBackward(data.input(), data.offsetMask(), data.gradOutput(), gradInput, gradOffsetMask);
        }
        return resident(p, direction, data.input(), data.offsetMask(), data.gradOutput(), output, gradInput,
                gradOffsetMask);
    }

    /** Copies the inputs to device buffers once; run() launches, fetchResults() copies the results back. */
    private PreparedRun resident(Dcnv4Problem p, Direction dir, NativeArray in, NativeArray om, NativeArray gout,
                                 NativeArray out, NativeArray gin, NativeArray gom) {
        Backend be = backend();
        List<DeviceBuffer> owned = new ArrayList<>();
        try {
            DType dt = in.dtype();
            be.compile(p, dt);
            DeviceBuffer bin = upload(be, owned, in);
            DeviceBuffer bom = upload(be, owned, om);
            boolean fwd = dir == Direction.FORWARD;
            DeviceBuffer bgo = fwd ? null : upload(be, owned, gout);
            DeviceBuffer bout = fwd ? alloc(be, owned, out.getNumBytes()) : null;
            // gradients: the kernels write fp32 or the storage dtype; both arrays must agree, else convert on the host
            DType gradType = fwd ? null : (gin.dtype() == gom.dtype() ? gin.dtype() : DType.FP32);
            DeviceBuffer bgin = fwd ? null : alloc(be, owned, (long) gin.getSize() * gradType.bytes());
            DeviceBuffer bgom = fwd ? null : alloc(be, owned, (long) gom.getSize() * gradType.bytes());
            boolean det = deterministic;
            return new PreparedRun() {
                private long last = -1;

                @Override
                public void run() {
                    last = fwd ? be.forward(p, dt, bin, bom, bout)
                            : be.backward(p, dt, bin, bom, bgo, bgin, bgom, gradType, det);
                }

                @Override
                public long lastDeviceNanos() {
                    return last;
                }

                @Override
                public void fetchResults() {
                    if (fwd) {
                        be.copyOut(bout, out.getSegment());
                    } else {
                        download(be, bgin, gradType, gin);
                        download(be, bgom, gradType, gom);
                    }
                }

                @Override
                public void close() {
                    owned.forEach(DeviceBuffer::close);
                    owned.clear();
                }
            };
        } catch (RuntimeException | Error e) {
            owned.forEach(DeviceBuffer::close);
            throw e;
        }
    }

    private static DeviceBuffer alloc(Backend be, List<DeviceBuffer> owned, long bytes) {
        DeviceBuffer b = be.allocate(bytes);
        owned.add(b);
        return b;
    }

    private static DeviceBuffer upload(Backend be, List<DeviceBuffer> owned, NativeArray a) {
        DeviceBuffer b = alloc(be, owned, a.getNumBytes());
        be.copyIn(b, a.getSegment());
        return b;
    }

    private static void download(Backend be, DeviceBuffer b, DType type, NativeArray target) {
        if (type == target.dtype()) {
            be.copyOut(b, target.getSegment());
            return;
        }
        try (NativeArray tmp = NativeArray.allocate(type, target.getSize())) {
            be.copyOut(b, tmp.getSegment());
            target.copyFrom(tmp);
        }
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (context != null) {
            programs.close();
            cl.releaseQueue(queue);
            cl.releaseContext(context);
            context = null;
        }
    }

    @Override
    public String toString() {
        return id + " (" + info.name() + ")";
    }
}
