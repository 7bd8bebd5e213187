package dev.dcnv4.tornado.drivers.cuda;

/**
 * How one DCNv4 kernel is launched (design.md section 5).
 *
 * <pre>
 *   block = (D/dStride, G, positionsPerBlock) threads      grid = N*Q / positionsPerBlock blocks
 *   thread (x, g, z): channels [x*dStride, (x+1)*dStride) of group g at the block's z-th position
 * </pre>
 *
 * A block covers {@code positionsPerBlock} consecutive output positions; candidates are only made
 * with {@code positionsPerBlock | Q} so that no block straddles two images (the official kernel's
 * wrong-result defect, dcnv4-semantics.md 4.6).
 *
 * @param dStride           channels per thread (vector width of the loads and stores)
 * @param positionsPerBlock output positions per block ("m" in the official code)
 * @param deterministic     backward only: gather/reduction variant instead of atomics for grad_input
 */
public record LaunchConfig(int dStride, int positionsPerBlock, boolean deterministic) {

    public LaunchConfig {
        if (dStride < 1 || Integer.bitCount(dStride) != 1) {
            throw new IllegalArgumentException("dStride: expected a power of two >= 1 but was " + dStride);
        }
        if (positionsPerBlock < 1) {
            throw new IllegalArgumentException("positionsPerBlock: expected >= 1 but was " + positionsPerBlock);
        }
    }

    /** Threads cooperating on one group at one position: D / dStride. */
    public int threadsPerGroup(int groupChannels) {
        return groupChannels / dStride;
    }

    /** Threads per block: (D/dStride) * G * positionsPerBlock. */
    public long blockThreads(int groups, int groupChannels) {
        return (long) threadsPerGroup(groupChannels) * groups * positionsPerBlock;
    }

    @Override
    public String toString() {
        return "ds=" + dStride + " m=" + positionsPerBlock + (deterministic ? " deterministic" : "");
    }
}
