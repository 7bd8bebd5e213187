package dev.dcnv4.tornado.runtime;

import dev.dcnv4.analysis.CostModel;
import dev.dcnv4.arrays.NativeArray;
import dev.dcnv4.op.Direction;
import dev.dcnv4.tornado.api.DataTransferMode;
import dev.dcnv4.tornado.api.Dcnv4Library;
import dev.dcnv4.tornado.api.ImmutableTaskGraph;
import dev.dcnv4.tornado.api.TornadoProfilerResult;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Runs the graphs of one plan on one {@link Backend}. Each array gets one device buffer, allocated on
 * first use and kept until {@link #close()}; so a 1000-times executed plan allocates nothing after its
 * first execution (apart from per-call scratch the backend frees itself). Arrays persisted by one graph
 * are simply read by a later graph's tasks from the same buffer. Not thread-safe: the owning plan
 * serializes calls.
 */
public final class PlanExecutor implements AutoCloseable {
    private final Backend backend;
    private final List<ImmutableTaskGraph> graphs;
    private final Map<NativeArray, DeviceBuffer> buffers = new IdentityHashMap<>();
    private final Set<NativeArray> sentOnDemand = Collections.newSetFromMap(new IdentityHashMap<>());
    private boolean executedOnce;
    private GraphCapture.Captured captured;
    private long allocations;

    public PlanExecutor(Backend backend, List<ImmutableTaskGraph> graphs) {
        this.backend = backend;
        this.graphs = List.copyOf(graphs);
        PlanValidation.check(this.graphs);
    }

    public Backend backend() {
        return backend;
    }

    /** Device buffers allocated so far (stays constant once every array has its buffer). */
    public long allocations() {
        return allocations;
    }

    /** Compiles every library and prebuilt kernel of the plan; returns compile nanoseconds. */
    public long precompile() {
        long ns = 0;
        for (ImmutableTaskGraph g : graphs) {
            for (TaskSpec s : g.steps()) {
                if (s instanceof TaskSpec.Library l) {
                    ns += backend.compile(l.problem(), l.arrays().get(0).dtype());
                }
            }
        }
        return ns;
    }

    /** Copies arrays to the device now (for UNDER_DEMAND inputs, or to refresh any array). */
    public long transferToDevice(NativeArray... arrays) {
        long ns = 0;
        for (NativeArray a : arrays) {
            ns += backend.copyIn(buffer(a), a.getSegment());
            sentOnDemand.add(a);
        }
        return ns;
    }

    /** Copies arrays back to the host now (UNDER_DEMAND outputs). */
    public long transferToHost(NativeArray... arrays) {
        long ns = 0;
        for (NativeArray a : arrays) {
            DeviceBuffer b = buffers.get(a);
            if (b == null) {
                throw new IllegalArgumentException("transferToHost: " + a + " has no device copy in this plan");
            }
            ns += backend.copyOut(b, a.getSegment());
        }
        return ns;
    }

    /** One execution of all graphs in order. */
    public TornadoProfilerResult execute() {
        long t0 = System.nanoTime();
        long kernel = 0, in = 0, out = 0, compile = 0, bytesIn = 0, bytesOut = 0, kernelBytes = 0;
        for (ImmutableTaskGraph g : graphs) {
            for (TaskSpec s : g.steps()) {
                switch (s) {
                    case TaskSpec.Transfer t -> {
                        boolean now = t.mode() == DataTransferMode.EVERY_EXECUTION
                                || (t.mode() == DataTransferMode.FIRST_EXECUTION && !executedOnce);
                        for (NativeArray a : t.arrays()) {
                            if (t.toDevice() && t.mode() == DataTransferMode.UNDER_DEMAND && !sentOnDemand.contains(a)) {
                                throw new IllegalStateException("graph " + g.name() + ": " + a + " is UNDER_DEMAND but was "
                                        + "never sent; call plan.transferToDevice(array) before execute()");
                            }
                            if (now && t.toDevice()) {
                                in += backend.copyIn(buffer(a), a.getSegment());
                                bytesIn += a.getNumBytes();
                            } else if (now) {
                                out += backend.copyOut(buffer(a), a.getSegment());
                                bytesOut += a.getNumBytes();
                            }
                        }
                    }
                    case TaskSpec.Library l -> {
                        compile += backend.compile(l.problem(), l.arrays().get(0).dtype());
                        kernel += runKernel(s);
                        kernelBytes += kernelBytes(l);
                    }
                    case TaskSpec.Prebuilt p -> kernel += runKernel(p);
                    case TaskSpec.Persist ignored -> {
                    }
                    case TaskSpec.Consume ignored -> {
                    }
                }
            }
        }
        executedOnce = true;
        return new TornadoProfilerResult(System.nanoTime() - t0, kernel, in, out, compile, bytesIn, bytesOut, kernelBytes);
    }

    /** Runs one library or prebuilt task on the backend; returns its device nanoseconds. */
    private long runKernel(TaskSpec s) {
        return switch (s) {
            case TaskSpec.Library l -> {
                List<NativeArray> a = l.arrays();
                if (l.op() == Dcnv4Library.FORWARD) {
                    yield backend.forward(l.problem(), a.get(0).dtype(), buffer(a.get(0)), buffer(a.get(1)),
                            buffer(a.get(2)));
                }
                yield backend.backward(l.problem(), a.get(0).dtype(), buffer(a.get(0)), buffer(a.get(1)),
                        buffer(a.get(2)), buffer(a.get(3)), buffer(a.get(4)), a.get(3).dtype(),
                        l.op() == Dcnv4Library.BACKWARD_DETERMINISTIC);
            }
            case TaskSpec.Prebuilt p -> {
                List<Object> args = new ArrayList<>();
                for (Object o : p.args()) {
                    args.add(o instanceof NativeArray na ? buffer(na) : o);
                }
                yield backend.launch(p.source(), p.entry(), p.globalSize(), p.localSize(), args.toArray());
            }
            default -> 0;
        };
    }

    private static long kernelBytes(TaskSpec.Library l) {
        CostModel cost = new CostModel(l.problem(), l.arrays().get(0).dtype());
        return cost.idealBytes(l.op() == Dcnv4Library.FORWARD ? Direction.FORWARD : Direction.BACKWARD);
    }

    /**
     * One execution with the kernel tasks replayed from a device graph (CUDA graphs), so that the
     * device work of a call is one launch. The first call runs {@link #execute()} normally (buffers,
     * compilation, launch tuning, first transfers); the second records the kernel tasks once; every
     * call after that replays them. EVERY_EXECUTION transfers still run on each call: to-device ones
     * before the replay, to-host ones after it. Needs a single graph whose steps are ordered transfers
     * to the device, then kernels, then transfers to the host.
     *
     * @throws UnsupportedOperationException when the backend cannot capture (only CUDA can)
     * @throws IllegalStateException         when the plan's shape does not allow one replay per call
     */
    public TornadoProfilerResult executeWithGraph() {
        if (!(backend instanceof GraphCapture gc)) {
            throw new UnsupportedOperationException("device " + backend.device().id()
                    + " cannot capture device graphs (CUDA devices only); run without withCudaGraph()");
        }
        checkReplayable();
        if (!executedOnce) {
            return execute();
        }
        List<TaskSpec> steps = graphs.getFirst().steps();
        if (captured == null) {
            captured = gc.capture(() -> steps.forEach(this::runKernel));
        }
        long t0 = System.nanoTime();
        long in = 0, out = 0, bytesIn = 0, bytesOut = 0, kernelBytes = 0;
        for (TaskSpec s : steps) {
            if (s instanceof TaskSpec.Transfer t && t.toDevice() && t.mode() == DataTransferMode.EVERY_EXECUTION) {
                for (NativeArray a : t.arrays()) {
                    in += backend.copyIn(buffer(a), a.getSegment());
                    bytesIn += a.getNumBytes();
                }
            } else if (s instanceof TaskSpec.Library l) {
                kernelBytes += kernelBytes(l);
            }
        }
        long kernel = captured.replay();
        for (TaskSpec s : steps) {
            if (s instanceof TaskSpec.Transfer t && !t.toDevice() && t.mode() == DataTransferMode.EVERY_EXECUTION) {
                for (NativeArray a : t.arrays()) {
                    out += backend.copyOut(buffer(a), a.getSegment());
                    bytesOut += a.getNumBytes();
                }
            }
        }
        return new TornadoProfilerResult(System.nanoTime() - t0, kernel, in, out, 0, bytesIn, bytesOut, kernelBytes);
    }

    private void checkReplayable() {
        if (graphs.size() != 1) {
            throw new IllegalStateException("a device-graph replay needs a plan of one task graph but this plan has "
                    + graphs.size());
        }
        int phase = 0;   // 0: transfers in, 1: kernels, 2: transfers out
        for (TaskSpec s : graphs.getFirst().steps()) {
            int p = switch (s) {
                case TaskSpec.Transfer t -> t.toDevice() ? 0 : 2;
                case TaskSpec.Library l -> 1;
                case TaskSpec.Prebuilt b -> 1;
                default -> phase;
            };
            if (p < phase) {
                throw new IllegalStateException("a device-graph replay needs the graph's steps in the order: transfers "
                        + "to the device, kernels, transfers to the host; graph " + graphs.getFirst().name()
                        + " has " + s + " after a later phase");
            }
            phase = p;
        }
    }

    private DeviceBuffer buffer(NativeArray a) {
        DeviceBuffer b = buffers.get(a);
        if (b == null) {
            b = backend.allocate(a.getNumBytes());
            buffers.put(a, b);
            allocations++;
        }
        return b;
    }

    @Override
    public void close() {
        if (captured != null) {
            captured.close();
            captured = null;
        }
        buffers.values().forEach(DeviceBuffer::close);
        buffers.clear();
        backend.close();
    }
}
