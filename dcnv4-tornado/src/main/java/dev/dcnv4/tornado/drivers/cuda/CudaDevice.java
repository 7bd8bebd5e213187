package dev.dcnv4.tornado.drivers.cuda;

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
import dev.dcnv4.tornado.runtime.HasBackend;

/**
 * An NVIDIA GPU through the CUDA driver API: kernels are CUDA C compiled by NVRTC for the device's
 * compute capability (cached, see {@link CudaModuleCache}), launched with configurations chosen by
 * the {@link LaunchTuner}. Host-array calls copy in, run and copy out; {@link #prepare} keeps the
 * data on the GPU and replays a captured {@link CudaGraph}, timed with CUDA events.
 *
 * <p>The backward's grad_input is accumulated with atomics by default (fast, last bits vary run to
 * run); {@code -Ddcnv4.cuda.deterministic=true} or {@link CudaDeviceProvider#open(int, boolean)} selects
 * the gather variant, bit-identical across runs.
 *
 * <p>Calls are serialised on the device (one stream); failures are {@link DeviceException}s naming
 * {@code cuda:N}, the library and the driver status.
 */
public final class CudaDevice implements Dcnv4Device, HasBackend {
    /** System property selecting the deterministic backward for devices opened by the provider. */
    public static final String DETERMINISTIC_PROPERTY = "dcnv4.cuda.deterministic";

    private final CudaContext ctx;
    private final String id;
    private final boolean deterministic;
    private final LaunchTuner tuner;
    private boolean closed;

    CudaDevice(CudaContext ctx, boolean deterministic, LaunchTuner tuner) {
        this.ctx = ctx;
        this.id = "cuda:" + ctx.ordinal();
        this.deterministic = deterministic;
        this.tuner = tuner;
    }

    @Override
    public String id() {
        return id;
    }

    @Override
    public String name() {
        return ctx.name() + " (CUDA " + ctx.driverVersionText() + ", sm_" + ctx.computeCapability() + ")";
    }

    @Override
    public DeviceInfo info() {
        return new DeviceInfo(id, ctx.name(), DeviceInfo.Kind.CUDA, ctx.totalMemory(), ctx.multiprocessors(),
                "storage (inline PTX cvt), fp32 arithmetic",
                "CUDA driver " + ctx.driverVersionText() + " (" + CudaLibraries.DRIVER + "), NVRTC "
                        + (Nvrtc.available() ? Nvrtc.version() + " (" + Nvrtc.libraryPath() + ")" : "unavailable"));
    }

    @Override
    public boolean deterministicBackward() {
        return deterministic;
    }

    /** The tuner this device consults (for the API switch {@link LaunchTuner#setEnabled}). */
    public LaunchTuner tuner() {
        return tuner;
    }

    /** A task-graph backend on this device (its own events; closing it leaves the device open). */
    @Override
    public Backend backend() {
        if (closed) {
            throw new DeviceException(id, "device is closed");
        }
        return new CudaBackend(this);
    }

    /** The context (device facts, stream). */
    CudaContext context() {
        return ctx;
    }

    @Override
    public synchronized void forward(Dcnv4Problem problem, NativeArray input, NativeArray offsetMask,
                                     NativeArray output) {
        problem.checkForward(input, offsetMask, output);
        try (CudaRun run = open(Direction.FORWARD, problem, input, offsetMask, null, output, null, null, false)) {
            run.run();
            run.fetchResults();
        } catch (DeviceException e) {
            throw named(e);
        }
    }

    @Override
    public synchronized void backward(Dcnv4Problem problem, NativeArray input, NativeArray offsetMask,
                                      NativeArray gradOutput, NativeArray gradInput, NativeArray gradOffsetMask) {
        problem.checkBackward(input, offsetMask, gradOutput, gradInput, gradOffsetMask);
        try (CudaRun run = open(Direction.BACKWARD, problem, input, offsetMask, gradOutput, null, gradInput,
                gradOffsetMask, false)) {
            run.run();
            run.fetchResults();
        } catch (DeviceException e) {
            throw named(e);
        }
    }

    /** Device-resident run replayed from a CUDA graph (one launch per call), timed with CUDA events. */
    @Override
    public synchronized PreparedRun prepare(Direction direction, Dcnv4Data data, NativeArray output,
                                            NativeArray gradInput, NativeArray gradOffsetMask) {
        return prepare(direction, data, output, gradInput, gradOffsetMask, true);
    }

    /** As {@link #prepare(Direction, Dcnv4Data, NativeArray, NativeArray, NativeArray)}, graph capture optional. */
    public synchronized PreparedRun prepare(Direction direction, Dcnv4Data data, NativeArray output,
                                            NativeArray gradInput, NativeArray gradOffsetMask, boolean graph) {
        Dcnv4Problem p = data.problem();
        if (direction == Direction.FORWARD) {
            p.checkForward(data.input(), data.offsetMask(), output);
        } else {
            p.checkBackward(data.input(), data.offsetMask(), data.gradOutput(), gradInput, gradOffsetMask);
        }
        try {
            CudaRun run = open(direction, p, data.input(), data.offsetMask(), data.gradOutput(), output, gradInput,
                    gradOffsetMask, graph);
            return new SerializedRun(run);
        } catch (DeviceException e) {
            throw named(e);
        }
    }

    /** The launch configuration this device uses for a problem (tuning it now if needed). */
    public synchronized LaunchConfig launchConfig(Direction direction, Dcnv4Problem problem, NativeArray input,
                                                  NativeArray offsetMask, NativeArray gradOutput) {
        return launchConfig(direction, problem, input.dtype(), deterministic, input, offsetMask, gradOutput);
    }

    /**
     * The launch configuration for data already on the device (task graphs): tuning, when it runs,
     * times random data of the problem's size.
     */
    synchronized LaunchConfig launchConfig(Direction direction, Dcnv4Problem problem, DType dtype,
                                           boolean deterministicBackward, NativeArray input, NativeArray offsetMask,
                                           NativeArray gradOutput) {
        CudaTuning tuning = new CudaTuning(ctx, direction, problem, dtype, input, offsetMask, gradOutput);
        try {
            return tuner.choose(ctx.name(), problem, dtype, direction, deterministicBackward && direction
                    == Direction.BACKWARD, ctx.maxBlockThreads(), tuning);
        } finally {
            tuning.release();
        }
    }

    private CudaRun open(Direction direction, Dcnv4Problem p, NativeArray input, NativeArray offsetMask,
                         NativeArray gradOutput, NativeArray output, NativeArray gradInput, NativeArray gradOffsetMask,
                         boolean graph) {
        if (closed) {
            throw new DeviceException(id, "device is closed");
        }
        LaunchConfig launch = launchConfig(direction, p, input, offsetMask, gradOutput);
        return new CudaRun(ctx, p, direction, launch, input, offsetMask, gradOutput, output, gradInput,
                gradOffsetMask, graph);
    }

    /** Re-labels a binding error ("cuda: ...") with this device's id. */
    private DeviceException named(DeviceException e) {
        if (e.device().equals(id)) {
            return e;
        }
        String msg = e.getMessage().startsWith(e.device() + ": ") ? e.getMessage().substring(e.device().length() + 2)
                : e.getMessage();
        DeviceException d = new DeviceException(id, msg);
        d.initCause(e);
        return d;
    }

    /** Runs a prepared pass under the device's lock, so prepared runs and direct calls never interleave. */
    private final class SerializedRun implements PreparedRun {
        private final CudaRun run;

        SerializedRun(CudaRun run) {
            this.run = run;
        }

        @Override
        public void run() {
            synchronized (CudaDevice.this) {
                run.run();
            }
        }

        @Override
        public long lastDeviceNanos() {
            return run.lastDeviceNanos();
        }

        @Override
        public void fetchResults() {
            synchronized (CudaDevice.this) {
                run.fetchResults();
            }
        }

        @Override
        public void close() {
            synchronized (CudaDevice.this) {
                run.close();
            }
        }

        CudaRun inner() {
            return run;
        }
    }

    /** The underlying run of a prepared run from this device (for host-cost measurements). */
    static CudaRun unwrap(PreparedRun run) {
        return ((SerializedRun) run).inner();
    }

    @Override
    public synchronized void close() {
        if (!closed) {
            closed = true;
            ctx.close();
        }
    }
}
