package dev.dcnv4.tornado.drivers.cuda;

import dev.dcnv4.arrays.DType;
import dev.dcnv4.kernels.KernelSource;
import dev.dcnv4.op.Dcnv4Problem;
import dev.dcnv4.op.Direction;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * A {@link PassPlan} bound to CUDA device pointers: kernels looked up and argument blocks built once
 * (in the caller's arena), so {@link #enqueue} only issues driver calls; it submits the sequence to a
 * stream, or into a graph being captured.
 */
final class Dcnv4Pass {
    static final List<String> ENTRIES = List.of(KernelSource.FORWARD, KernelSource.BACKWARD,
            KernelSource.BACKWARD_RADIUS, KernelSource.BACKWARD_GATHER, KernelSource.STORE_F32);

    /** A step ready to issue: a memset (function null) or a launch. */
    private record Bound(MemorySegment function, int blocks, int block, KernelArgs args, long zeroPointer,
                         long zeroBytes) {
    }

    private final List<Bound> steps = new ArrayList<>();

    /** The program holding the kernels of {@code direction} with {@code launch}'s specialisations. */
    static KernelSource source(KernelSource.Dialect dialect, Dcnv4Problem problem, DType dtype, Direction direction,
                               LaunchConfig launch) {
        var c = problem.config();
        int d = c.groupChannels();
        if (direction == Direction.FORWARD) {
            int bds = KernelSource.officialBackwardDStride(d);
            return KernelSource.dcnv4(dialect, c, dtype, launch.dStride(), bds, KernelSource.defaultBackwardPairs(d, bds));
        }
        return KernelSource.dcnv4(dialect, c, dtype, KernelSource.defaultForwardDStride(d, dtype), launch.dStride(),
                launch.positionsPerBlock() * c.groups());
    }

    static KernelSource source(Dcnv4Problem problem, DType dtype, Direction direction, LaunchConfig launch) {
        return source(KernelSource.Dialect.CUDA, problem, dtype, direction, launch);
    }

    private Dcnv4Pass(CudaContext ctx, Arena arena, Dcnv4Problem p, DType dtype, Direction direction,
                      LaunchConfig launch, Map<PassPlan.Buf, Long> pointers, boolean storeIn, boolean storeOm) {
        CudaContext.Program prog = ctx.program(source(p, dtype, direction, launch), ENTRIES);
        for (PassPlan.Step s : PassPlan.steps(p, direction, launch, storeIn, storeOm)) {
            switch (s) {
                case PassPlan.Zero z -> steps.add(new Bound(null, 0, 0, null, pointer(pointers, z.buffer()),
                        z.bytes()));
                case PassPlan.Launch l -> {
                    KernelArgs a = new KernelArgs(arena, l.args().size());
                    for (Object arg : l.args()) {
                        switch (arg) {
                            case PassPlan.Buf b -> a.pointer(pointer(pointers, b));
                            case Integer i -> a.i32(i);
                            case Float f -> a.f32(f);
                            default -> throw new IllegalStateException("unexpected kernel argument " + arg);
                        }
                    }
                    steps.add(new Bound(prog.function(l.entry()), l.blocks(), l.blockThreads(), a, 0, 0));
                }
            }
        }
    }

    private static long pointer(Map<PassPlan.Buf, Long> pointers, PassPlan.Buf b) {
        Long p = pointers.get(b);
        if (p == null || p == 0) {
            throw new IllegalStateException("no device buffer bound for " + b);
        }
        return p;
    }

    static Dcnv4Pass forward(CudaContext ctx, Arena arena, Dcnv4Problem p, DType dtype, LaunchConfig launch,
                             long input, long offsetMask, long output) {
        Map<PassPlan.Buf, Long> m = new EnumMap<>(PassPlan.Buf.class);
        m.put(PassPlan.Buf.INPUT, input);
        m.put(PassPlan.Buf.OFFSET_MASK, offsetMask);
        m.put(PassPlan.Buf.OUTPUT, output);
        return new Dcnv4Pass(ctx, arena, p, dtype, Direction.FORWARD, launch, m, false, false);
    }

    /**
     * @param gin32   fp32 grad_input accumulator; the result itself when {@code gradIn == gin32}
     * @param gradIn  where grad_input ends up: gin32 for an fp32 gradient, else a storage-dtype buffer
     *                (likewise gradOm and gom32, independently)
     * @param radius  8 bytes of scratch for the deterministic variant (0 otherwise)
     */
    static Dcnv4Pass backward(CudaContext ctx, Arena arena, Dcnv4Problem p, DType dtype, LaunchConfig launch,
                              long input, long offsetMask, long gradOutput, long gin32, long gom32, long gradIn,
                              long gradOm, long radius) {
        Map<PassPlan.Buf, Long> m = new EnumMap<>(PassPlan.Buf.class);
        m.put(PassPlan.Buf.INPUT, input);
        m.put(PassPlan.Buf.OFFSET_MASK, offsetMask);
        m.put(PassPlan.Buf.GRAD_OUTPUT, gradOutput);
        m.put(PassPlan.Buf.GIN32, gin32);
        m.put(PassPlan.Buf.GOM32, gom32);
        m.put(PassPlan.Buf.GIN, gradIn);
        m.put(PassPlan.Buf.GOM, gradOm);
        m.put(PassPlan.Buf.RADIUS, radius);
        return new Dcnv4Pass(ctx, arena, p, dtype, Direction.BACKWARD, launch, m, gradIn != gin32, gradOm != gom32);
    }

    /** Submits the sequence to {@code stream}; does not wait. */
    void enqueue(MemorySegment stream) {
        for (Bound b : steps) {
            if (b.function() == null) {
                Cuda.memsetD8Async(b.zeroPointer(), (byte) 0, b.zeroBytes(), stream);
            } else {
                Cuda.launchKernel(b.function(), b.blocks(), 1, 1, b.block(), 1, 1, 0, stream, b.args().segment());
            }
        }
    }
}
