package dev.dcnv4.tornado.api;

import dev.dcnv4.arrays.NativeArray;
import dev.dcnv4.device.Dcnv4Device;

/** What one {@link TornadoExecutionPlan#execute()} did: where it ran, how long it took. */
public final class TornadoExecutionResult {
    private final TornadoExecutionPlan plan;
    private final Dcnv4Device device;
    private final TornadoProfilerResult profiler;

    TornadoExecutionResult(TornadoExecutionPlan plan, Dcnv4Device device, TornadoProfilerResult profiler) {
        this.plan = plan;
        this.device = device;
        this.profiler = profiler;
    }

    /** The device that ran the graphs (never a silent substitute). */
    public Dcnv4Device device() {
        return device;
    }

    /** The profile of this execution. @throws IllegalStateException unless the plan was built withProfiler() */
    public TornadoProfilerResult profiler() {
        if (profiler == null) {
            throw new IllegalStateException("no profile: build the plan with withProfiler()");
        }
        return profiler;
    }

    /** Copies UNDER_DEMAND (or any) device arrays of the plan back to the host now. */
    public TornadoExecutionResult transferToHost(NativeArray... arrays) {
        plan.transferToHost(arrays);
        return this;
    }
}
