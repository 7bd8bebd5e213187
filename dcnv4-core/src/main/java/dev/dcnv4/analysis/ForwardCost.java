package dev.dcnv4.analysis;

import dev.dcnv4.arrays.DType;
import dev.dcnv4.op.Dcnv4Problem;

/**
 * Forward cost of one DCNv4 call: the formulas of docs/dcnv4-semantics.md section 7.2, as
 * functions of the problem (N, H, W, G, D, kernel, stride, remove_center), the storage dtype and
 * the GPU thread's channel chunk {@code ds} (d_stride).
 *
 * <p>Notation: {@code S_in = N*H_in*W_in} input pixels, {@code Q = N*H_out*W_out} output
 * positions over the batch, {@code K} sampling points, {@code C = G*D}, {@code P} the padded
 * offset_mask width, {@code b} bytes per stored element.
 *
 * <p>Two counting conventions live side by side and every method says which:
 * <ul>
 *   <li>the paper's: one multiply-add = one "FLOP"; memory access cost (MAC) in <em>elements</em>,
 *       with offsets/weights counted as {@code 3KG} per position (no padding);</li>
 *   <li>the machine's: bytes actually moved, with the offset_mask at its padded width {@code P}.</li>
 * </ul>
 *
 * @param problem sizes and operator parameters
 * @param dtype   storage precision of input, offset_mask and output
 */
public record ForwardCost(Dcnv4Problem problem, DType dtype) {

    public ForwardCost {
        if (problem == null || dtype == null) {
            throw new IllegalArgumentException("problem and dtype: expected non-null but were " + problem + ", " + dtype);
        }
    }

    /** The d_stride whose vector access is 128 bits: 16 / b (8 for fp16/bf16, 4 for fp32). */
    public int vectorDStride() {
        return 16 / dtype.bytes();
    }

    public long k() {
        return problem.config().points();
    }

    public long c() {
        return problem.config().channels();
    }

    public long g() {
        return problem.config().groups();
    }

    public long p() {
        return problem.config().paddedOffsetDim();
    }

    /** Q_all = N*H_out*W_out. */
    public long q() {
        return (long) problem.batch() * problem.positions();
    }

    /** S_in = N*H_in*W_in. */
    public long sIn() {
        return (long) problem.batch() * problem.height() * problem.width();
    }

    // ---- FLOPs -------------------------------------------------------------------------------

    /** F_paper = 4*K*Q*C multiply-adds: 4 bilinear corners per point per channel (36HWC for 3x3). */
    public long flopsPaper() {
        return 4 * k() * q() * c();
    }

    /** F_core = 9*K*Q*C flops as executed: per point and channel 1 multiply + 4 FMA (2 flops each). */
    public long flopsCore() {
        return 9 * k() * q() * c();
    }

    /** F_coeff(ds) = 14*K*Q*C/ds: positions, floor, fractions and 4 corner weights, once per thread. */
    public double flopsCoeff(int ds) {
        checkDs(ds);
        return 14.0 * k() * q() * c() / ds;
    }

    // ---- memory access cost in the paper's element convention ---------------------------------

    /** Ideal MAC in elements: input + output + 3K offset/weight numbers per group and position. */
    public long macIdealElements() {
        return sIn() * c() + q() * c() + 3 * k() * g() * q();
    }

    /**
     * No-cache MAC in elements, the DCNv3 one-thread-per-channel access count: per output
     * element 4K corner reads + 3K offset/weight reads + 1 write, (7K+1)*Q*C (64HWC for 3x3).
     */
    public long macNoCacheElements() {
        return (7 * k() + 1) * q() * c();
    }

    /**
     * DCNv4 group-reuse access count in elements: a thread handles ds channels of one group, so
     * the 3K offsets/weights are read once per ds channels: 4KQC + 3KQC/ds + QC. Equals
     * {@link #macNoCacheElements()} for ds = 1.
     */
    public double macGroupReuseElements(int ds) {
        checkDs(ds);
        return 4.0 * k() * q() * c() + 3.0 * k() * q() * c() / ds + q() * c();
    }

    // ---- bytes (what DRAM actually moves) -------------------------------------------------------

    /** B_min = b*(S_in*C + Q*C + Q*P): compulsory traffic with the padded offset_mask. */
    public long bytesMin() {
        return dtype.bytes() * (sIn() * c() + q() * c() + q() * p());
    }

    /** The paper's ideal MAC in bytes: {@link #macIdealElements()} * b (offset_mask unpadded). */
    public long bytesIdealPaper() {
        return dtype.bytes() * macIdealElements();
    }

    /** B_max(ds) = b*(4KQC + 3KQC/ds + QC): no cache reuse at all, DCNv4 thread layout. */
    public double bytesMax(int ds) {
        return dtype.bytes() * macGroupReuseElements(ds);
    }

    /** B_max(1) = b*(7K+1)*Q*C: the paper's no-cache DCNv3 traffic. */
    public long bytesNoCache() {
        return dtype.bytes() * macNoCacheElements();
    }

    /** Middle estimate B_min + (1 - hit)*(B_max(ds) - B_min) for an assumed cache hit rate. */
    public double bytesWithHitRate(int ds, double hit) {
        if (!(hit >= 0 && hit <= 1)) {
            throw new IllegalArgumentException("hit: expected a rate in [0, 1] but was " + hit);
        }
        return bytesMin() + (1 - hit) * (bytesMax(ds) - bytesMin());
    }

    // ---- memory instructions (issued per thread) ----------------------------------------------

    /** I_value = 4KQC/ds vector loads of ds*b bytes. */
    public double valueLoads(int ds) {
        checkDs(ds);
        return 4.0 * k() * q() * c() / ds;
    }

    /** I_offw = 3KQC/ds scalar loads (each thread re-reads its group's 3K numbers). */
    public double offsetWeightLoads(int ds) {
        checkDs(ds);
        return 3.0 * k() * q() * c() / ds;
    }

    /** I_out = QC/ds vector stores. */
    public double outputStores(int ds) {
        checkDs(ds);
        return (double) q() * c() / ds;
    }

    /** I_total(ds) = (7K+1)*Q*C/ds memory instructions with ds-wide vector loads and stores. */
    public double memoryInstructionsVector(int ds) {
        return valueLoads(ds) + offsetWeightLoads(ds) + outputStores(ds);
    }

    /**
     * Memory instructions with group reuse but without vector loads: every value element and
     * every output element is its own scalar access, 4KQC + 3KQC/ds + QC.
     */
    public double memoryInstructionsScalar(int ds) {
        return macGroupReuseElements(ds);
    }

    /** DCNv3: one thread per channel, all scalar: (7K+1)*Q*C instructions. */
    public long memoryInstructionsDcnv3() {
        return macNoCacheElements();
    }

    /**
     * Hardware accesses of at most 128 bits: a ds*b-byte vector access wider than 16 bytes is
     * split into ceil(ds*b/16) accesses (fp16 ds=16 = two 128-bit accesses).
     */
    public double accesses128(int ds) {
        int pieces = Math.max(1, (ds * dtype.bytes() + 15) / 16);
        return (valueLoads(ds) + outputStores(ds)) * pieces + offsetWeightLoads(ds);
    }

    private static void checkDs(int ds) {
        if (ds < 1) {
            throw new IllegalArgumentException("d_stride: expected >= 1 but was " + ds);
        }
    }
}
