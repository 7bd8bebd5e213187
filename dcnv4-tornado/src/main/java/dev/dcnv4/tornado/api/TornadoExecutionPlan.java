package dev.dcnv4.tornado.api;

import dev.dcnv4.arrays.NativeArray;
import dev.dcnv4.device.Dcnv4Device;
import dev.dcnv4.device.Devices;
import dev.dcnv4.tornado.runtime.Backends;
import dev.dcnv4.tornado.runtime.PlanExecutor;

import java.util.List;

/**
 * Binds frozen task graphs to a device and runs them. Graphs run in the order given; an array
 * persisted by one graph ({@link TaskGraph#persistOnDevice}) is consumed by a later one without a copy.
 * Device buffers are allocated on the first {@link #execute()} and kept until {@link #close()}.
 *
 * <p>The device must be chosen: {@link #withDevice(String)} ({@code opencl}, {@code opencl:1},
 * {@code cuda:0}, {@code java}, ...) or {@code -Ddcnv4.device}; with neither, {@code execute()} throws.
 * A device failure is a {@code DeviceException}; nothing re-runs elsewhere.
 *
 * <p><b>Threads.</b> A plan may be handed between threads but runs one call at a time:
 * {@code execute}, the transfers, {@code withPreCompilation} and {@code close} are synchronized on the
 * plan, so concurrent calls on one plan serialize (each result is complete and consistent, but they
 * share the plan's arrays). For parallel work give each thread its own plan and arrays; plans on the
 * same device object share that device's queue and are serialized there, plans on separate device
 * objects (each {@code withDevice(String)} opens its own) run independently.
 */
public final class TornadoExecutionPlan implements AutoCloseable {
    private final List<ImmutableTaskGraph> graphs;
    private Dcnv4Device device;
    private boolean ownsDevice;
    private PlanExecutor executor;
    private boolean profiler;
    private boolean cudaGraph;
    private int warmUp;
    private long pendingCompileNanos;
    private boolean closed;

    public TornadoExecutionPlan(ImmutableTaskGraph... graphs) {
        if (graphs == null || graphs.length == 0) {
            throw new IllegalArgumentException("graphs: expected at least one ImmutableTaskGraph");
        }
        this.graphs = List.of(graphs);
        // fail early on consumers without producers, before any device is opened
        dev.dcnv4.tornado.runtime.PlanValidation.check(this.graphs);
    }

    /** Runs on the device with this id (opened now, closed with the plan). */
    public synchronized TornadoExecutionPlan withDevice(String id) {
        return bind(Devices.open(id), true);
    }

    /** Runs on an already open device (the caller keeps ownership). */
    public synchronized TornadoExecutionPlan withDevice(Dcnv4Device dev) {
        if (dev == null) {
            throw new IllegalArgumentException("device: expected a device but was null");
        }
        return bind(dev, false);
    }

    private TornadoExecutionPlan bind(Dcnv4Device dev, boolean owns) {
        checkOpen();
        if (executor != null) {
            executor.close();
            executor = null;
        }
        if (ownsDevice && device != null) {
            device.close();
        }
        device = dev;
        ownsDevice = owns;
        return this;
    }

    /** Compiles every kernel now instead of on the first execute; its time shows in the first profile. */
    public synchronized TornadoExecutionPlan withPreCompilation() {
        pendingCompileNanos += executor().precompile();
        return this;
    }

    /**
     * Replays the device work from a CUDA graph: after the first execution each {@link #execute()}
     * costs one graph launch (plus its EVERY_EXECUTION transfers). CUDA devices only; the plan must be
     * one task graph ordered transfers in, kernels, transfers out (see {@link PlanExecutor#executeWithGraph()}).
     */
    public synchronized TornadoExecutionPlan withCudaGraph() {
        cudaGraph = true;
        return this;
    }

    /** Makes {@link TornadoExecutionResult#profiler()} available. */
    public synchronized TornadoExecutionPlan withProfiler() {
        profiler = true;
        return this;
    }

    /** Runs the graphs {@code n} extra times before the first measured execute. */
    public synchronized TornadoExecutionPlan withWarmUpIterations(int n) {
        if (n < 0) {
            throw new IllegalArgumentException("warmUpIterations: expected >= 0 but was " + n);
        }
        warmUp = n;
        return this;
    }

    /** Sends arrays to the device now (UNDER_DEMAND inputs, or refreshing any input). */
    public synchronized void transferToDevice(NativeArray... arrays) {
        executor().transferToDevice(arrays);
    }

    /** Runs every graph once. */
    public synchronized TornadoExecutionResult execute() {
        PlanExecutor ex = executor();
        for (; warmUp > 0; warmUp--) {
            if (cudaGraph) {
                ex.executeWithGraph();
            } else {
                ex.execute();
            }
        }
        var p = cudaGraph ? ex.executeWithGraph() : ex.execute();
        if (pendingCompileNanos > 0) {
            p = new TornadoProfilerResult(p.totalNanos(), p.kernelNanos(), p.copyInNanos(), p.copyOutNanos(),
                    p.compileNanos() + pendingCompileNanos, p.bytesCopiedIn(), p.bytesCopiedOut(), p.kernelBytes());
            pendingCompileNanos = 0;
        }
        return new TornadoExecutionResult(this, device, profiler ? p : null);
    }

    synchronized void transferToHost(NativeArray... arrays) {
        executor().transferToHost(arrays);
    }

    /** Device buffers allocated by this plan so far (for leak checks). */
    public synchronized long deviceAllocations() {
        return executor == null ? 0 : executor.allocations();
    }

    private PlanExecutor executor() {
        checkOpen();
        if (executor == null) {
            if (device == null) {
                String id = Devices.defaultId(null);
                if (id == null) {
                    throw new IllegalStateException("no device selected: call withDevice(\"opencl\" | \"cuda:0\" | "
                            + "\"java\" ...) or set -D" + Devices.DEVICE_PROPERTY + "=ID (see `dcnv4 devices`)");
                }
                bind(Devices.open(id), true);
            }
            executor = new PlanExecutor(Backends.forDevice(device), graphs);
        }
        return executor;
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("execution plan used after close()");
        }
    }

    /** Frees device buffers (and the device when the plan opened it). Idempotent. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            if (executor != null) {
                executor.close();
            }
        } finally {
            if (ownsDevice && device != null) {
                device.close();
            }
        }
    }
}
