package dev.dcnv4.analysis;

import dev.dcnv4.arrays.DType;
import dev.dcnv4.op.Dcnv4Problem;
import dev.dcnv4.op.Direction;

/**
 * Operation and byte counts of one DCNv4 call (docs/dcnv4-semantics.md section 7). FLOPs follow
 * the paper's convention (one multiply-add = one operation): 4 bilinear corners per sampling
 * point per channel, {@code 4*K*Q*C}, i.e. 36HWC for a 3x3 kernel at stride 1.
 *
 * <p>Ideal bytes count every tensor touched exactly once (infinite cache): the compulsory traffic
 * and the denominator of "GB/s" in benchmark results.
 */
public record CostModel(Dcnv4Problem problem, DType dtype) {

    /** Output positions over the batch, Q_all = N*H_out*W_out. */
    public long positions() {
        return (long) problem.batch() * problem.positions();
    }

    /** Forward multiply-adds, 4*K*Q_all*C (the paper's 36HWC for 3x3). */
    public long forwardFlops() {
        return 4L * problem.config().points() * positions() * problem.config().channels();
    }

    /**
     * Backward multiply-adds in the same convention: per sampling point and channel, 4 corner
     * gradient contributions to grad_input, 4 to the position derivative and 4 for the weight
     * gradient's bilinear value, 12*K*Q_all*C.
     */
    public long backwardFlops() {
        return 3 * forwardFlops();
    }

    public long flops(Direction direction) {
        return direction == Direction.FORWARD ? forwardFlops() : backwardFlops();
    }

    /** Compulsory forward traffic: b*(input + output + offset_mask). */
    public long forwardIdealBytes() {
        long b = dtype.bytes();
        return b * ((long) problem.inputSize() + problem.outputSize() + problem.offsetMaskSize());
    }

    /**
     * Compulsory backward traffic: read input, offset_mask and grad_output in storage precision,
     * write both gradients once in fp32.
     */
    public long backwardIdealBytes() {
        long b = dtype.bytes();
        long reads = b * ((long) problem.inputSize() + problem.offsetMaskSize() + problem.outputSize());
        long writes = 4L * ((long) problem.inputSize() + problem.offsetMaskSize());
        return reads + writes;
    }

    public long idealBytes(Direction direction) {
        return direction == Direction.FORWARD ? forwardIdealBytes() : backwardIdealBytes();
    }
}
