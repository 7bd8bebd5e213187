package dev.dcnv4.tornado.drivers.cuda;

import dev.dcnv4.arrays.DType;
import dev.dcnv4.kernels.KernelSource;
import dev.dcnv4.op.Dcnv4Problem;
import dev.dcnv4.op.Direction;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.List;

/**
 * One DCNv4 pass as a fixed sequence of driver calls on given device pointers: the kernels
 * compiled for the launch configuration, their argument blocks built once (in the caller's arena),
 * and {@link #enqueue} to submit the sequence to a stream (or into a graph being captured).
 *
 * <pre>
 * forward:   dcnv4_forward                block (D/ds)*G*m threads, N*Q/m blocks
 * backward:  memset gin32, gom32 = 0
 *            dcnv4_backward (gin_atomic)  block BPG*(D/ds) threads with BPG = m*G, N*Q/m blocks
 *            [deterministic: memset radius; dcnv4_backward_radius; dcnv4_backward_gather]
 *            [fp16/bf16 gradients: dcnv4_store_f32 gin32 -> gin, gom32 -> gom]
 * </pre>
 */
final class Dcnv4Pass {
    private static final int FLAT_BLOCK = 256;
    static final List<String> ENTRIES = List.of(KernelSource.FORWARD, KernelSource.BACKWARD,
            KernelSource.BACKWARD_RADIUS, KernelSource.BACKWARD_GATHER, KernelSource.STORE_F32);

    private final Dcnv4Problem problem;
    private final Direction direction;
    private final LaunchConfig launch;
    private MemorySegment fMain, fRadius, fGather, fStore;
    private KernelArgs aMain, aRadius, aGather, aStoreIn, aStoreOm;
    private long gin32, gom32, radius;

    private Dcnv4Pass(Dcnv4Problem problem, Direction direction, LaunchConfig launch) {
        this.problem = problem;
        this.direction = direction;
        this.launch = launch;
    }

    /** The program holding the kernels of {@code direction} with {@code launch}'s specialisations. */
    static KernelSource source(Dcnv4Problem problem, DType dtype, Direction direction, LaunchConfig launch) {
        var c = problem.config();
        int d = c.groupChannels();
        if (direction == Direction.FORWARD) {
            int bds = KernelSource.officialBackwardDStride(d);
            return KernelSource.dcnv4(KernelSource.Dialect.CUDA, c, dtype, launch.dStride(), bds,
                    KernelSource.defaultBackwardPairs(d, bds));
        }
        return KernelSource.dcnv4(KernelSource.Dialect.CUDA, c, dtype, KernelSource.defaultForwardDStride(d, dtype),
                launch.dStride(), launch.positionsPerBlock() * c.groups());
    }

    static Dcnv4Pass forward(CudaContext ctx, Arena arena, Dcnv4Problem p, DType dtype, LaunchConfig launch,
                             long input, long offsetMask, long output) {
        Dcnv4Pass pass = new Dcnv4Pass(p, Direction.FORWARD, launch);
        CudaContext.Program prog = ctx.program(source(p, dtype, Direction.FORWARD, launch), ENTRIES);
        pass.fMain = prog.function(KernelSource.FORWARD);
        pass.aMain = common(new KernelArgs(arena, 9).pointer(input).pointer(offsetMask).pointer(output), p);
        return pass;
    }

    /**
     * @param gin32   fp32 grad_input scratch (or the result when gradIn == gin32)
     * @param gradIn  where grad_input ends up: gin32 itself for fp32 gradients, else a storage-dtype buffer
     * @param radius  8 bytes of scratch for the deterministic variant (ignored otherwise)
     */
    static Dcnv4Pass backward(CudaContext ctx, Arena arena, Dcnv4Problem p, DType dtype, LaunchConfig launch,
                              long input, long offsetMask, long gradOutput, long gin32, long gom32, long gradIn,
                              long gradOm, long radius) {
        Dcnv4Pass pass = new Dcnv4Pass(p, Direction.BACKWARD, launch);
        CudaContext.Program prog = ctx.program(source(p, dtype, Direction.BACKWARD, launch), ENTRIES);
        pass.gin32 = gin32;
        pass.gom32 = gom32;
        pass.radius = radius;
        pass.fMain = prog.function(KernelSource.BACKWARD);
        pass.aMain = common(new KernelArgs(arena, 12).pointer(input).pointer(offsetMask).pointer(gradOutput)
                .pointer(gin32).pointer(gom32), p).i32(launch.deterministic() ? 0 : 1);
        if (launch.deterministic()) {
            pass.fRadius = prog.function(KernelSource.BACKWARD_RADIUS);
            pass.fGather = prog.function(KernelSource.BACKWARD_GATHER);
            pass.aRadius = common(new KernelArgs(arena, 8).pointer(offsetMask).pointer(radius), p);
            pass.aGather = common(new KernelArgs(arena, 10).pointer(offsetMask).pointer(gradOutput).pointer(radius)
                    .pointer(gin32), p);
        }
        pass.fStore = prog.function(KernelSource.STORE_F32);
        if (gradIn != gin32) {
            pass.aStoreIn = new KernelArgs(arena, 3).pointer(gin32).pointer(gradIn).i32(p.inputSize());
        }
        if (gradOm != gom32) {
            pass.aStoreOm = new KernelArgs(arena, 3).pointer(gom32).pointer(gradOm).i32(p.offsetMaskSize());
        }
        return pass;
    }

    /** The arguments every entry ends with: N, H, W, HO, WO, offset_scale. */
    private static KernelArgs common(KernelArgs a, Dcnv4Problem p) {
        return a.i32(p.batch()).i32(p.height()).i32(p.width()).i32(p.outHeight()).i32(p.outWidth())
                .f32(p.config().offsetScale());
    }

    /** Submits the sequence to {@code stream}; does not wait. */
    void enqueue(MemorySegment stream) {
        var c = problem.config();
        int blocks = problem.batch() * problem.positions() / launch.positionsPerBlock();
        int block = (int) launch.blockThreads(c.groups(), c.groupChannels());
        if (direction == Direction.FORWARD) {
            Cuda.launchKernel(fMain, blocks, 1, 1, block, 1, 1, 0, stream, aMain.segment());
            return;
        }
        Cuda.memsetD8Async(gin32, (byte) 0, 4L * problem.inputSize(), stream);
        Cuda.memsetD8Async(gom32, (byte) 0, 4L * problem.offsetMaskSize(), stream);
        Cuda.launchKernel(fMain, blocks, 1, 1, block, 1, 1, 0, stream, aMain.segment());
        if (launch.deterministic()) {
            Cuda.memsetD8Async(radius, (byte) 0, 8, stream);
            long pairs = (long) problem.batch() * problem.positions() * c.groups();
            Cuda.launchKernel(fRadius, blocksFor(pairs), 1, 1, FLAT_BLOCK, 1, 1, 0, stream, aRadius.segment());
            long items = (long) problem.inputSize() / c.groupChannels() * launch.threadsPerGroup(c.groupChannels());
            Cuda.launchKernel(fGather, blocksFor(items), 1, 1, FLAT_BLOCK, 1, 1, 0, stream, aGather.segment());
        }
        if (aStoreIn != null) {
            Cuda.launchKernel(fStore, blocksFor(problem.inputSize()), 1, 1, FLAT_BLOCK, 1, 1, 0, stream,
                    aStoreIn.segment());
        }
        if (aStoreOm != null) {
            Cuda.launchKernel(fStore, blocksFor(problem.offsetMaskSize()), 1, 1, FLAT_BLOCK, 1, 1, 0, stream,
                    aStoreOm.segment());
        }
    }

    private static int blocksFor(long items) {
        return (int) ((items + FLAT_BLOCK - 1) / FLAT_BLOCK);
    }
}
