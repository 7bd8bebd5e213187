package dev.dcnv4.tornado.drivers.cuda;

import dev.dcnv4.arrays.DType;
import dev.dcnv4.arrays.NativeArray;
import dev.dcnv4.device.PreparedRun;
import dev.dcnv4.op.Dcnv4Problem;
import dev.dcnv4.op.Direction;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * One DCNv4 pass resident on the GPU: device buffers filled once from the host arrays, the
 * {@link Dcnv4Pass} launch sequence built once, issued directly or replayed from a
 * {@link CudaGraph}. {@link #run()} brackets the work with CUDA events and waits for the end event.
 */
final class CudaRun implements PreparedRun {
    private final CudaContext ctx;
    private final Direction direction;
    private final LaunchConfig launch;
    private final Arena arena = Arena.ofShared();
    private final DeviceMemory memory = new DeviceMemory();
    private final NativeArray hostOut, hostGradIn, hostGradOm;
    private long dOut, dGin, dGom;
    private Dcnv4Pass pass;
    private final MemorySegment start, end;
    private CudaGraph graph;
    private long lastNanos = -1;

    /**
     * @param gradOutput  backward only
     * @param output      forward result target (null for the backward)
     * @param gradInput   backward targets (null for the forward); fp32 or the input's dtype
     */
    CudaRun(CudaContext ctx, Dcnv4Problem problem, Direction direction, LaunchConfig launch, NativeArray input,
            NativeArray offsetMask, NativeArray gradOutput, NativeArray output, NativeArray gradInput,
            NativeArray gradOffsetMask, boolean useGraph) {
        this.ctx = ctx;
        this.direction = direction;
        this.launch = launch;
        this.hostOut = output;
        this.hostGradIn = gradInput;
        this.hostGradOm = gradOffsetMask;
        MemorySegment s = null, e = null;
        try {
            ctx.makeCurrent();
            s = Cuda.eventCreate(Cuda.CU_EVENT_DEFAULT);
            e = Cuda.eventCreate(Cuda.CU_EVENT_DEFAULT);
            setUp(problem, input, offsetMask, gradOutput);
            if (useGraph) {
                graph = CudaGraph.capture(ctx.stream(), () -> pass.enqueue(ctx.stream()));
            }
        } catch (RuntimeException | Error ex) {
            this.start = s;
            this.end = e;
            closeQuietly(ex);
            throw ex;
        }
        this.start = s;
        this.end = e;
    }

    private void setUp(Dcnv4Problem problem, NativeArray input, NativeArray offsetMask, NativeArray gradOutput) {
        DType dtype = input.dtype();
        long dIn = upload(input);
        long dOm = upload(offsetMask);
        if (direction == Direction.FORWARD) {
            dOut = memory.allocate(hostOut.getNumBytes());
            pass = Dcnv4Pass.forward(ctx, arena, problem, dtype, launch, dIn, dOm, dOut);
        } else {
            long dGout = upload(gradOutput);
            long gin32 = memory.allocate(4L * problem.inputSize());
            long gom32 = memory.allocate(4L * problem.offsetMaskSize());
            dGin = hostGradIn.dtype() == DType.FP32 ? gin32 : memory.allocate(hostGradIn.getNumBytes());
            dGom = hostGradOm.dtype() == DType.FP32 ? gom32 : memory.allocate(hostGradOm.getNumBytes());
            long radius = launch.deterministic() ? memory.allocate(8) : 0;
            pass = Dcnv4Pass.backward(ctx, arena, problem, dtype, launch, dIn, dOm, dGout, gin32, gom32, dGin, dGom,
                    radius);
        }
        Cuda.streamSynchronize(ctx.stream());
    }

    private long upload(NativeArray host) {
        long d = memory.allocate(host.getNumBytes());
        Cuda.memcpyHtoDAsync(d, host.getSegment(), host.getNumBytes(), ctx.stream());
        return d;
    }

    /** Issues one pass (a graph replay when captured) without waiting: for host-side cost measurements. */
    void submit() {
        if (graph != null) {
            graph.launch(ctx.stream());
        } else {
            pass.enqueue(ctx.stream());
        }
    }

    /** Waits for everything submitted so far. */
    void synchronize() {
        Cuda.streamSynchronize(ctx.stream());
    }

    @Override
    public void run() {
        ctx.makeCurrent();
        Cuda.eventRecord(start, ctx.stream());
        submit();
        Cuda.eventRecord(end, ctx.stream());
        Cuda.eventSynchronize(end);
        lastNanos = Math.round(Cuda.eventElapsedMillis(start, end) * 1e6);
    }

    @Override
    public long lastDeviceNanos() {
        return lastNanos;
    }

    @Override
    public void fetchResults() {
        ctx.makeCurrent();
        MemorySegment st = ctx.stream();
        if (direction == Direction.FORWARD) {
            Cuda.memcpyDtoHAsync(hostOut.getSegment(), dOut, hostOut.getNumBytes(), st);
        } else {
            Cuda.memcpyDtoHAsync(hostGradIn.getSegment(), dGin, hostGradIn.getNumBytes(), st);
            Cuda.memcpyDtoHAsync(hostGradOm.getSegment(), dGom, hostGradOm.getNumBytes(), st);
        }
        Cuda.streamSynchronize(st);
    }

    CudaContext context() {
        return ctx;
    }

    LaunchConfig launch() {
        return launch;
    }

    boolean captured() {
        return graph != null;
    }

    @Override
    public void close() {
        closeQuietly(null);
    }

    private void closeQuietly(Throwable primary) {
        RuntimeException failure = null;
        try {
            ctx.makeCurrent();
            Cuda.streamSynchronize(ctx.stream());
        } catch (RuntimeException e) {
            failure = e;
        }
        Runnable[] steps = {
            () -> { if (graph != null) { graph.close(); graph = null; } },
            () -> { if (start != null) { Cuda.eventDestroy(start); } },
            () -> { if (end != null) { Cuda.eventDestroy(end); } },
            memory::close,
        };
        for (Runnable step : steps) {
            try {
                step.run();
            } catch (RuntimeException e) {
                if (failure == null) {
                    failure = e;
                } else {
                    failure.addSuppressed(e);
                }
            }
        }
        if (arena.scope().isAlive()) {
            arena.close();
        }
        if (failure != null) {
            if (primary != null) {
                primary.addSuppressed(failure);
            } else {
                throw failure;
            }
        }
    }
}
