package dev.dcnv4.analysis;

import dev.dcnv4.arrays.DType;
import dev.dcnv4.op.Dcnv4Problem;

/**
 * Backward cost of one DCNv4 call, docs/dcnv4-semantics.md section 7.2 "Backward", for the
 * official kernel's structure (atomic scatter into fp32 gradient buffers, zero-initialised, cast
 * to fp16 afterwards when b = 2). {@code ds} is the backward d_stride; {@code a = 4} bytes per
 * fp32 gradient element.
 *
 * @param problem sizes and operator parameters
 * @param dtype   storage precision of input, offset_mask and grad_output
 */
public record BackwardCost(Dcnv4Problem problem, DType dtype) {

    private static final int A = 4;

    private ForwardCost fwd() {
        return new ForwardCost(problem, dtype);
    }

    /**
     * F_bwd ~ 41KQC + 14KQC/ds + 3KQ*G*(D/ds) flops: per point and channel 4 corners x
     * (2 mul + atomic add + 2 FMA) plus the weight's bilinear value, coefficients once per thread,
     * and the partial sums of the offset/weight reductions.
     */
    public double flops(int ds) {
        ForwardCost f = fwd();
        long kqc = f.k() * f.q() * f.c();
        long d = problem.config().groupChannels();
        return 41.0 * kqc + 14.0 * kqc / ds + 3.0 * f.k() * f.q() * f.g() * ((double) d / ds);
    }

    /** Paper-convention multiply-adds of the backward, 3 * F_paper (as {@link CostModel#backwardFlops()}). */
    public long flopsPaper() {
        return 3 * fwd().flopsPaper();
    }

    /**
     * B_min: reads b*(S_in*C + Q*C + Q*P), fp32 gradient writes a*(S_in*C + Q*P), their
     * zero-initialisation a*(S_in*C + Q*P), and for b = 2 the fp32 -> fp16 cast pass.
     */
    public long bytesMin() {
        ForwardCost f = fwd();
        long grads = f.sIn() * f.c() + f.q() * f.p();
        long bytes = dtype.bytes() * (f.sIn() * f.c() + f.q() * f.c() + f.q() * f.p()) + 2L * A * grads;
        if (dtype.bytes() == 2) {
            bytes += (A + dtype.bytes()) * grads;
        }
        return bytes;
    }

    /**
     * B_max(ds) = b*(4KQC + QC + 3KQC/ds) + 2a*4KQC + a*3KQG: no-cache reads, each atomic
     * read-modify-write counted as 8 bytes, offset/weight gradient stores.
     */
    public double bytesMax(int ds) {
        ForwardCost f = fwd();
        double kqc = (double) f.k() * f.q() * f.c();
        return dtype.bytes() * (4 * kqc + (double) f.q() * f.c() + 3 * kqc / ds)
                + 2.0 * A * 4 * kqc + (double) A * 3 * f.k() * f.q() * f.g();
    }

    /** Scalar fp32 atomicAdds into grad_input, 4KQC (the usual bottleneck: contention). */
    public long atomics() {
        ForwardCost f = fwd();
        return 4 * f.k() * f.q() * f.c();
    }
}
