package dev.dcnv4.tornado.drivers.cuda;

import dev.dcnv4.kernels.KernelSource;
import dev.dcnv4.op.Dcnv4Problem;
import dev.dcnv4.op.Direction;

import java.util.ArrayList;
import java.util.List;

/**
 * The steps of one DCNv4 pass for a launch configuration, independent of any driver: which buffers
 * are zeroed and which kernels run with which grid, block and arguments. {@link Dcnv4Pass} binds it to
 * CUDA device pointers; tests run the very same steps through the OpenCL backend on PoCL (the kernel
 * bodies are shared), which checks the launch geometry of every tuner candidate without a GPU.
 *
 * <pre>
 * forward:   dcnv4_forward                block (D/ds)*G*m threads, N*Q/m blocks
 * backward:  zero GIN32, GOM32
 *            dcnv4_backward (gin_atomic)  block BPG*(D/ds) threads with BPG = m*G, N*Q/m blocks
 *            [deterministic: zero RADIUS; dcnv4_backward_radius; dcnv4_backward_gather]
 *            [fp16/bf16 gradients: dcnv4_store_f32 GIN32 -> GIN, GOM32 -> GOM]
 * </pre>
 */
public final class PassPlan {
    /** Threads per block of the element-wise kernels (radius, gather, store). */
    public static final int FLAT_BLOCK = 256;

    /** Buffers a pass refers to. GIN/GOM are the results; GIN32/GOM32 fp32 accumulators (may be the same). */
    public enum Buf { INPUT, OFFSET_MASK, OUTPUT, GRAD_OUTPUT, GIN32, GOM32, GIN, GOM, RADIUS }

    /** One step. */
    public sealed interface Step permits Zero, Launch {
    }

    /** Set {@code bytes} bytes of {@code buffer} to zero. */
    public record Zero(Buf buffer, long bytes) implements Step {
    }

    /** Run {@code entry} on {@code blocks} blocks of {@code blockThreads}; args are {@link Buf}, Integer or Float. */
    public record Launch(String entry, int blocks, int blockThreads, List<Object> args) implements Step {
    }

    private PassPlan() {
    }

    /**
     * The steps for {@code direction}. {@code storeGradInput} / {@code storeGradOffsetMask}: that gradient
     * is wanted in the storage dtype, so its fp32 accumulator is converted into GIN / GOM at the end.
     */
    public static List<Step> steps(Dcnv4Problem p, Direction direction, LaunchConfig launch, boolean storeGradInput,
                                   boolean storeGradOffsetMask) {
        var c = p.config();
        int blocks = p.batch() * p.positions() / launch.positionsPerBlock();
        int block = (int) launch.blockThreads(c.groups(), c.groupChannels());
        if (p.batch() * p.positions() % launch.positionsPerBlock() != 0) {
            throw new IllegalArgumentException("positionsPerBlock: expected a divisor of N*H_out*W_out ("
                    + p.batch() * p.positions() + ") but was " + launch.positionsPerBlock());
        }
        List<Step> steps = new ArrayList<>();
        if (direction == Direction.FORWARD) {
            steps.add(new Launch(KernelSource.FORWARD, blocks, block,
                    shape(p, Buf.INPUT, Buf.OFFSET_MASK, Buf.OUTPUT)));
            return steps;
        }
        steps.add(new Zero(Buf.GIN32, 4L * p.inputSize()));
        steps.add(new Zero(Buf.GOM32, 4L * p.offsetMaskSize()));
        List<Object> a = shape(p, Buf.INPUT, Buf.OFFSET_MASK, Buf.GRAD_OUTPUT, Buf.GIN32, Buf.GOM32);
        a.add(launch.deterministic() ? 0 : 1);
        steps.add(new Launch(KernelSource.BACKWARD, blocks, block, a));
        if (launch.deterministic()) {
            steps.add(new Zero(Buf.RADIUS, 8));
            long pairs = (long) p.batch() * p.positions() * c.groups();
            steps.add(new Launch(KernelSource.BACKWARD_RADIUS, flatBlocks(pairs), FLAT_BLOCK,
                    shape(p, Buf.OFFSET_MASK, Buf.RADIUS)));
            long items = (long) p.inputSize() / c.groupChannels() * launch.threadsPerGroup(c.groupChannels());
            steps.add(new Launch(KernelSource.BACKWARD_GATHER, flatBlocks(items), FLAT_BLOCK,
                    shape(p, Buf.OFFSET_MASK, Buf.GRAD_OUTPUT, Buf.RADIUS, Buf.GIN32)));
        }
        if (storeGradInput) {
            steps.add(new Launch(KernelSource.STORE_F32, flatBlocks(p.inputSize()), FLAT_BLOCK,
                    new ArrayList<>(List.of(Buf.GIN32, Buf.GIN, p.inputSize()))));
        }
        if (storeGradOffsetMask) {
            steps.add(new Launch(KernelSource.STORE_F32, flatBlocks(p.offsetMaskSize()), FLAT_BLOCK,
                    new ArrayList<>(List.of(Buf.GOM32, Buf.GOM, p.offsetMaskSize()))));
        }
        return steps;
    }

    /** Buffers, then the (N, H, W, HO, WO, offset_scale) every DCNv4 entry ends with. */
    private static List<Object> shape(Dcnv4Problem p, Buf... buffers) {
        List<Object> a = new ArrayList<>(List.of((Object[]) buffers));
        a.add(p.batch());
        a.add(p.height());
        a.add(p.width());
        a.add(p.outHeight());
        a.add(p.outWidth());
        a.add(p.config().offsetScale());
        return a;
    }

    private static int flatBlocks(long items) {
        long b = (items + FLAT_BLOCK - 1) / FLAT_BLOCK;
        if (b > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("work items: " + items + " need more than 2^31-1 blocks");
        }
        return (int) b;
    }
}
