package dev.dcnv4.tornado.drivers.cuda;

import dev.dcnv4.arrays.DType;
import dev.dcnv4.device.Dcnv4Device;
import dev.dcnv4.kernels.KernelSource;
import dev.dcnv4.op.Dcnv4Problem;
import dev.dcnv4.op.Direction;
import dev.dcnv4.tornado.runtime.Backend;
import dev.dcnv4.tornado.runtime.DeviceBuffer;
import dev.dcnv4.tornado.runtime.GraphCapture;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.List;

/**
 * The task-graph runtime's view of a {@link CudaDevice}: device buffers, copies, the DCNv4 passes
 * and raw kernels on the device's stream. Each operation holds the device's lock, finishes before it
 * returns and reports the GPU time between two CUDA events around it.
 */
public final class CudaBackend implements Backend, GraphCapture {
    private final CudaDevice device;
    private final CudaContext ctx;
    private MemorySegment start, end;
    /** Non-null while a graph is being recorded: scratch allocated meanwhile lives as long as the graph. */
    private DeviceMemory captureScratch;

    CudaBackend(CudaDevice device) {
        this.device = device;
        this.ctx = device.context();
    }

    /** Device memory from cuMemAlloc; freed by {@link #close()}. */
    static final class CudaBuffer implements DeviceBuffer {
        private final CudaContext ctx;
        private final long bytes;
        private long pointer;

        CudaBuffer(CudaContext ctx, long pointer, long bytes) {
            this.ctx = ctx;
            this.pointer = pointer;
            this.bytes = bytes;
        }

        @Override
        public long bytes() {
            return bytes;
        }

        long pointer() {
            if (pointer == 0) {
                throw new IllegalStateException("device buffer of " + bytes + " bytes used after close()");
            }
            return pointer;
        }

        @Override
        public void close() {
            if (pointer != 0) {
                long p = pointer;
                pointer = 0;
                ctx.makeCurrent();
                Cuda.memFree(p);
            }
        }
    }

    private static long ptr(DeviceBuffer b) {
        if (b instanceof CudaBuffer cb) {
            return cb.pointer();
        }
        throw new IllegalArgumentException("buffer: expected a CUDA device buffer but was " + b.getClass().getName());
    }

    @Override
    public Dcnv4Device device() {
        return device;
    }

    @Override
    public DeviceBuffer allocate(long bytes) {
        synchronized (device) {
            ctx.makeCurrent();
            return new CudaBuffer(ctx, Cuda.memAlloc(bytes), bytes);
        }
    }

    @Override
    public long copyIn(DeviceBuffer dst, MemorySegment src) {
        synchronized (device) {
            noTransferWhileCapturing();
            return timed(() -> Cuda.memcpyHtoDAsync(ptr(dst), src, src.byteSize(), ctx.stream()));
        }
    }

    @Override
    public long copyOut(DeviceBuffer src, MemorySegment dst) {
        synchronized (device) {
            noTransferWhileCapturing();
            return timed(() -> Cuda.memcpyDtoHAsync(dst, ptr(src), dst.byteSize(), ctx.stream()));
        }
    }

    @Override
    public long compile(Dcnv4Problem problem, DType dtype) {
        synchronized (device) {
            long t0 = System.nanoTime();
            int before = CudaModuleCache.standard().compilations();
            for (Direction d : Direction.values()) {
                LaunchConfig launch = device.launchConfig(d, problem, dtype, device.deterministicBackward(), null,
                        null, null);
                ctx.program(Dcnv4Pass.source(problem, dtype, d, launch), Dcnv4Pass.ENTRIES);
            }
            return CudaModuleCache.standard().compilations() == before ? 0 : System.nanoTime() - t0;
        }
    }

    @Override
    public long forward(Dcnv4Problem problem, DType dtype, DeviceBuffer input, DeviceBuffer offsetMask,
                        DeviceBuffer output) {
        synchronized (device) {
            LaunchConfig launch = device.launchConfig(Direction.FORWARD, problem, dtype, false, null, null, null);
            try (Arena arena = Arena.ofConfined()) {
                Dcnv4Pass pass = Dcnv4Pass.forward(ctx, arena, problem, dtype, launch, ptr(input), ptr(offsetMask),
                        ptr(output));
                return timed(() -> pass.enqueue(ctx.stream()));
            }
        }
    }

    @Override
    public long backward(Dcnv4Problem problem, DType dtype, DeviceBuffer input, DeviceBuffer offsetMask,
                         DeviceBuffer gradOutput, DeviceBuffer gradInput, DeviceBuffer gradOffsetMask, DType gradType,
                         boolean deterministic) {
        synchronized (device) {
            LaunchConfig launch = device.launchConfig(Direction.BACKWARD, problem, dtype, deterministic, null, null,
                    null);
            ctx.makeCurrent();
            DeviceMemory perCall = new DeviceMemory();
            DeviceMemory scratch = captureScratch != null ? captureScratch : perCall;
            try (Arena arena = Arena.ofConfined(); perCall) {
                long gin = ptr(gradInput), gom = ptr(gradOffsetMask);
                long gin32 = gradType == DType.FP32 ? gin : scratch.allocate(4L * problem.inputSize());
                long gom32 = gradType == DType.FP32 ? gom : scratch.allocate(4L * problem.offsetMaskSize());
                long radius = launch.deterministic() ? scratch.allocate(8) : 0;
                Dcnv4Pass pass = Dcnv4Pass.backward(ctx, arena, problem, dtype, launch, ptr(input), ptr(offsetMask),
                        ptr(gradOutput), gin32, gom32, gin, gom, radius);
                return timed(() -> pass.enqueue(ctx.stream()));
            }
        }
    }

    @Override
    public long launch(KernelSource source, String entry, long globalSize, long localSize, Object... args) {
        if (source.dialect() != KernelSource.Dialect.CUDA) {
            throw new IllegalArgumentException("source: expected CUDA C for device " + device.id() + " but was "
                    + source.dialect());
        }
        if (globalSize < 1 || localSize < 0) {
            throw new IllegalArgumentException("globalSize/localSize: expected >= 1 and >= 0 but were " + globalSize
                    + ", " + localSize);
        }
        synchronized (device) {
            MemorySegment f = ctx.program(source, List.of(entry)).function(entry);
            int block = (int) (localSize > 0 ? localSize : Math.min(256, globalSize));
            long blocks = (globalSize + block - 1) / block;
            if (blocks > Integer.MAX_VALUE) {
                throw new IllegalArgumentException("globalSize: " + globalSize + " needs more than 2^31-1 blocks of "
                        + block);
            }
            try (Arena arena = Arena.ofConfined()) {
                KernelArgs a = new KernelArgs(arena, Math.max(1, args.length));
                for (int i = 0; i < args.length; i++) {
                    switch (args[i]) {
                        case DeviceBuffer b -> a.pointer(ptr(b));
                        case Integer v -> a.i32(v);
                        case Float v -> a.f32(v);
                        case null, default -> throw new IllegalArgumentException("args[" + i
                                + "]: expected a DeviceBuffer, Integer or Float but was " + args[i]);
                    }
                }
                return timed(() -> Cuda.launchKernel(f, (int) blocks, 1, 1, block, 1, 1, 0, ctx.stream(),
                        a.segment()));
            }
        }
    }

    private void noTransferWhileCapturing() {
        if (captureScratch != null) {
            throw new IllegalStateException("host transfers cannot be recorded into a CUDA graph");
        }
    }

    @Override
    public Captured capture(Runnable work) {
        synchronized (device) {
            ctx.makeCurrent();
            DeviceMemory scratch = new DeviceMemory();
            captureScratch = scratch;
            CudaGraph graph;
            try {
                graph = CudaGraph.capture(ctx.stream(), work, Cuda.CU_STREAM_CAPTURE_MODE_RELAXED);
            } catch (RuntimeException | Error e) {
                try {
                    scratch.close();
                } catch (RuntimeException suppressed) {
                    e.addSuppressed(suppressed);
                }
                throw e;
            } finally {
                captureScratch = null;
            }
            return new Captured() {
                @Override
                public long replay() {
                    synchronized (device) {
                        return timed(() -> graph.launch(ctx.stream()));
                    }
                }

                @Override
                public void close() {
                    synchronized (device) {
                        ctx.makeCurrent();
                        try {
                            Cuda.streamSynchronize(ctx.stream());
                            graph.close();
                        } finally {
                            scratch.close();
                        }
                    }
                }
            };
        }
    }

    /**
     * Runs {@code work} on the stream between two events, waits, returns the GPU nanoseconds; while a
     * graph is being recorded it only submits (nothing runs, 0 is returned).
     */
    private long timed(Runnable work) {
        ctx.makeCurrent();
        if (captureScratch != null) {
            work.run();
            return 0;
        }
        if (start == null) {
            start = Cuda.eventCreate(Cuda.CU_EVENT_DEFAULT);
            end = Cuda.eventCreate(Cuda.CU_EVENT_DEFAULT);
        }
        Cuda.eventRecord(start, ctx.stream());
        work.run();
        Cuda.eventRecord(end, ctx.stream());
        Cuda.eventSynchronize(end);
        return Math.round(Cuda.eventElapsedMillis(start, end) * 1e6);
    }

    @Override
    public void close() {
        synchronized (device) {
            if (start != null) {
                ctx.makeCurrent();
                Cuda.eventDestroy(start);
                Cuda.eventDestroy(end);
                start = null;
                end = null;
            }
        }
    }
}
