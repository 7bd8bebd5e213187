package dev.dcnv4.tornado.drivers.cuda;

import dev.dcnv4.arrays.DType;
import dev.dcnv4.arrays.NativeArray;
import dev.dcnv4.device.PreparedRun;
import dev.dcnv4.kernels.KernelSource;
import dev.dcnv4.op.Dcnv4Problem;
import dev.dcnv4.op.Direction;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * One DCNv4 pass resident on the GPU: device buffers filled once from the host arrays, kernel
 * argument blocks built once, and the launch sequence either issued directly or replayed from a
 * {@link CudaGraph}. {@link #run()} brackets the work with CUDA events and waits for the end event.
 *
 * <pre>
 * forward:   dcnv4_forward                block (D/ds)*G*m threads, N*Q/m blocks
 * backward:  memset gin32, gom32 = 0
 *            dcnv4_backward (gin_atomic)  block BPG*(D/ds) threads with BPG = m*G, N*Q/m blocks
 *            [deterministic: memset radius; dcnv4_backward_radius; dcnv4_backward_gather]
 *            [fp16/bf16 gradients: dcnv4_store_f32 gin32 -> gin, gom32 -> gom]
 * </pre>
 */
final class CudaRun implements PreparedRun {
    private static final int FLAT_BLOCK = 256;

    private final CudaContext ctx;
    private final Dcnv4Problem problem;
    private final Direction direction;
    private final LaunchConfig launch;
    private final Arena arena = Arena.ofShared();
    private final DeviceMemory memory = new DeviceMemory();
    private final NativeArray hostOut, hostGradIn, hostGradOm;
    private long dOut, dGin32, dGom32, dGin, dGom, dRadius;
    private MemorySegment fMain, fRadius, fGather, fStore;
    private KernelArgs aMain, aRadius, aGather, aStoreIn, aStoreOm;
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
        this.problem = problem;
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
            setUp(input, offsetMask, gradOutput);
            if (useGraph) {
                graph = CudaGraph.capture(ctx.stream(), this::enqueue);
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

    private void setUp(NativeArray input, NativeArray offsetMask, NativeArray gradOutput) {
        var c = problem.config();
        DType dtype = input.dtype();
        KernelSource src = direction == Direction.FORWARD
                ? KernelSource.dcnv4(KernelSource.Dialect.CUDA, c, dtype, launch.dStride(),
                        KernelSource.officialBackwardDStride(c.groupChannels()),
                        KernelSource.defaultBackwardPairs(c.groupChannels(),
                                KernelSource.officialBackwardDStride(c.groupChannels())))
                : KernelSource.dcnv4(KernelSource.Dialect.CUDA, c, dtype,
                        KernelSource.defaultForwardDStride(c.groupChannels(), dtype), launch.dStride(),
                        launch.positionsPerBlock() * c.groups());
        CudaContext.Program prog = ctx.program(src, java.util.List.of(KernelSource.FORWARD, KernelSource.BACKWARD,
                KernelSource.BACKWARD_RADIUS, KernelSource.BACKWARD_GATHER, KernelSource.STORE_F32));
        long dIn = upload(input);
        long dOm = upload(offsetMask);
        int n = problem.batch(), h = problem.height(), w = problem.width();
        int ho = problem.outHeight(), wo = problem.outWidth();
        float s = c.offsetScale();
        if (direction == Direction.FORWARD) {
            dOut = memory.allocate(hostOut.getNumBytes());
            fMain = prog.function(KernelSource.FORWARD);
            aMain = new KernelArgs(arena, 9).pointer(dIn).pointer(dOm).pointer(dOut)
                    .i32(n).i32(h).i32(w).i32(ho).i32(wo).f32(s);
        } else {
            long dGout = upload(gradOutput);
            dGin32 = memory.allocate(4L * problem.inputSize());
            dGom32 = memory.allocate(4L * problem.offsetMaskSize());
            fMain = prog.function(KernelSource.BACKWARD);
            aMain = new KernelArgs(arena, 12).pointer(dIn).pointer(dOm).pointer(dGout).pointer(dGin32)
                    .pointer(dGom32).i32(n).i32(h).i32(w).i32(ho).i32(wo).f32(s).i32(launch.deterministic() ? 0 : 1);
            if (launch.deterministic()) {
                dRadius = memory.allocate(8);
                fRadius = prog.function(KernelSource.BACKWARD_RADIUS);
                fGather = prog.function(KernelSource.BACKWARD_GATHER);
                aRadius = new KernelArgs(arena, 8).pointer(dOm).pointer(dRadius)
                        .i32(n).i32(h).i32(w).i32(ho).i32(wo).f32(s);
                aGather = new KernelArgs(arena, 10).pointer(dOm).pointer(dGout).pointer(dRadius).pointer(dGin32)
                        .i32(n).i32(h).i32(w).i32(ho).i32(wo).f32(s);
            }
            fStore = prog.function(KernelSource.STORE_F32);
            dGin = dGin32;
            dGom = dGom32;
            if (hostGradIn.dtype() != DType.FP32) {
                dGin = memory.allocate(hostGradIn.getNumBytes());
                aStoreIn = new KernelArgs(arena, 3).pointer(dGin32).pointer(dGin).i32(problem.inputSize());
            }
            if (hostGradOm.dtype() != DType.FP32) {
                dGom = memory.allocate(hostGradOm.getNumBytes());
                aStoreOm = new KernelArgs(arena, 3).pointer(dGom32).pointer(dGom).i32(problem.offsetMaskSize());
            }
        }
        Cuda.streamSynchronize(ctx.stream());
    }

    private long upload(NativeArray host) {
        long d = memory.allocate(host.getNumBytes());
        Cuda.memcpyHtoDAsync(d, host.getSegment(), host.getNumBytes(), ctx.stream());
        return d;
    }

    /** Submits the launch sequence to the stream (also what a graph captures). */
    private void enqueue() {
        var c = problem.config();
        MemorySegment st = ctx.stream();
        int m = launch.positionsPerBlock();
        int blocks = problem.batch() * problem.positions() / m;
        int block = (int) launch.blockThreads(c.groups(), c.groupChannels());
        if (direction == Direction.FORWARD) {
            Cuda.launchKernel(fMain, blocks, 1, 1, block, 1, 1, 0, st, aMain.segment());
            return;
        }
        Cuda.memsetD8Async(dGin32, (byte) 0, 4L * problem.inputSize(), st);
        Cuda.memsetD8Async(dGom32, (byte) 0, 4L * problem.offsetMaskSize(), st);
        Cuda.launchKernel(fMain, blocks, 1, 1, block, 1, 1, 0, st, aMain.segment());
        if (launch.deterministic()) {
            Cuda.memsetD8Async(dRadius, (byte) 0, 8, st);
            int pairs = problem.batch() * problem.positions() * c.groups();
            Cuda.launchKernel(fRadius, ceilDiv(pairs, FLAT_BLOCK), 1, 1, FLAT_BLOCK, 1, 1, 0, st, aRadius.segment());
            long items = (long) problem.inputSize() / c.groupChannels() * launch.threadsPerGroup(c.groupChannels());
            Cuda.launchKernel(fGather, (int) ceilDiv(items, FLAT_BLOCK), 1, 1, FLAT_BLOCK, 1, 1, 0, st,
                    aGather.segment());
        }
        if (aStoreIn != null) {
            Cuda.launchKernel(fStore, ceilDiv(problem.inputSize(), FLAT_BLOCK), 1, 1, FLAT_BLOCK, 1, 1, 0, st,
                    aStoreIn.segment());
        }
        if (aStoreOm != null) {
            Cuda.launchKernel(fStore, ceilDiv(problem.offsetMaskSize(), FLAT_BLOCK), 1, 1, FLAT_BLOCK, 1, 1, 0, st,
                    aStoreOm.segment());
        }
    }

    private static int ceilDiv(long a, int b) {
        return (int) ((a + b - 1) / b);
    }

    /** Issues one pass (a graph replay when captured) without waiting: for host-side cost measurements. */
    void submit() {
        if (graph != null) {
            graph.launch(ctx.stream());
        } else {
            enqueue();
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
