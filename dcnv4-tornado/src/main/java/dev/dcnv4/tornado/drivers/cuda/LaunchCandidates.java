package dev.dcnv4.tornado.drivers.cuda;

import dev.dcnv4.arrays.DType;
import dev.dcnv4.op.Dcnv4Problem;
import dev.dcnv4.op.Direction;

import java.util.ArrayList;
import java.util.List;

/**
 * The launch configurations worth trying for one problem, and the default used when tuning is off.
 * Rules (each a reason, not a table):
 * <ul>
 *   <li>{@code D % dStride == 0}, so a thread's channels never cross into the next group;</li>
 *   <li>{@code dStride * bytes <= 32}: at most two 128-bit accesses per corner (dcnv4-semantics.md 4.2);
 *       the backward keeps {@code dStride * 4 <= 16} because it holds fp32 partial sums per channel;</li>
 *   <li>{@code positionsPerBlock} divides Q = H_out*W_out (no block straddles two images) and is at most
 *       {@link #MAX_POSITIONS};</li>
 *   <li>threads per block at most the device's limit.</li>
 * </ul>
 */
public final class LaunchCandidates {
    /** Largest positions-per-block tried (the official search's bound too). */
    public static final int MAX_POSITIONS = 64;
    /** Threads per block the default aims for: enough warps per block without limiting occupancy. */
    public static final int DEFAULT_BLOCK_THREADS = 256;

    private LaunchCandidates() {
    }

    /** Channel strides allowed for this dtype and direction, ascending. */
    public static List<Integer> dStrides(int groupChannels, DType dtype, Direction direction) {
        int maxBytes = direction == Direction.FORWARD ? 32 : 16;
        int elemBytes = direction == Direction.FORWARD ? dtype.bytes() : 4;
        List<Integer> out = new ArrayList<>();
        for (int ds = 1; ds <= 16; ds *= 2) {
            if (groupChannels % ds == 0 && ds * elemBytes <= maxBytes) {
                out.add(ds);
            }
        }
        return out;
    }

    /** Divisors of {@code positions} up to {@link #MAX_POSITIONS}, ascending. */
    public static List<Integer> positionsPerBlock(int positions) {
        List<Integer> out = new ArrayList<>();
        for (int m = 1; m <= Math.min(MAX_POSITIONS, positions); m++) {
            if (positions % m == 0) {
                out.add(m);
            }
        }
        return out;
    }

    /**
     * Every candidate for the problem. Backward candidates come in atomic and deterministic pairs
     * unless {@code requireDeterministic}, which keeps only the deterministic ones.
     */
    public static List<LaunchConfig> all(Dcnv4Problem p, DType dtype, Direction direction, int maxBlockThreads,
                                         boolean requireDeterministic) {
        int g = p.config().groups(), d = p.config().groupChannels();
        List<LaunchConfig> out = new ArrayList<>();
        for (int ds : dStrides(d, dtype, direction)) {
            for (int m : positionsPerBlock(p.positions())) {
                if ((long) (d / ds) * g * m > maxBlockThreads) {
                    break;   // m ascending: every larger m is over the limit too
                }
                if (direction == Direction.FORWARD) {
                    out.add(new LaunchConfig(ds, m, false));
                } else {
                    if (!requireDeterministic) {
                        out.add(new LaunchConfig(ds, m, false));
                    }
                    out.add(new LaunchConfig(ds, m, true));
                }
            }
        }
        return out;
    }

    /**
     * The untuned choice. Forward: the widest stride that makes one 16-byte access (or the widest
     * allowed). Backward: the official launcher's stride (1 for D < 64, else 2), which reproduces its
     * grad_offset_mask bits. If one position's G*D/dStride threads exceed the device limit, the
     * smallest stride that fits. Then the largest straddle-free m whose block stays within
     * {@link #DEFAULT_BLOCK_THREADS} threads (or m = 1).
     */
    public static LaunchConfig defaultConfig(Dcnv4Problem p, DType dtype, Direction direction, int maxBlockThreads,
                                             boolean deterministic) {
        int g = p.config().groups(), d = p.config().groupChannels();
        List<Integer> strides = dStrides(d, dtype, direction);
        int ds = 1;
        if (direction == Direction.FORWARD) {
            for (int s : strides) {
                if (s * dtype.bytes() <= 16) {
                    ds = s;
                }
            }
        } else {
            ds = d >= 64 && d % 2 == 0 ? 2 : 1;
        }
        if ((long) (d / ds) * g > maxBlockThreads) {
            final int gg = g;
            ds = strides.stream().filter(s -> (long) (d / s) * gg <= maxBlockThreads).findFirst()
                    .orElseThrow(() -> new IllegalArgumentException("groups * groupChannels (" + gg + " * " + d
                            + ") needs more than the device's " + maxBlockThreads + " threads per block even with"
                            + " the widest channel stride " + strides.getLast()));
        }
        int best = 1;
        for (int m : positionsPerBlock(p.positions())) {
            if ((long) (d / ds) * g * m <= Math.min(DEFAULT_BLOCK_THREADS, maxBlockThreads)) {
                best = m;
            }
        }
        return new LaunchConfig(ds, best, direction == Direction.BACKWARD && deterministic);
    }
}
