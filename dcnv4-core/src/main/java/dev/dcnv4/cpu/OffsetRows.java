package dev.dcnv4.cpu;

import dev.dcnv4.arrays.DType;
import dev.dcnv4.arrays.NativeArray;

import java.lang.foreign.MemorySegment;

/**
 * Where {@link SamplingGeometry#compute} reads each position's offset_mask row from: one task's
 * view of offset_mask, which the geometry reads as fp32 through windows of whole vectors, up to
 * {@link SamplingGeometry#span} floats from the row start.
 *
 * <ul>
 *   <li>fp32: the caller's array itself (no copy), except the last rows, where the windows would run
 *       past the end of the array: those are copied into a padded slot of this task's scratch;</li>
 *   <li>fp16/bf16: each row is widened into one of two alternating scratch slots, one position ahead
 *       of the geometry, so that the widened numbers have left the store buffer when the geometry
 *       loads them (a load that straddles recent stores waits for them).</li>
 * </ul>
 * What a slot holds past the row does not matter: the geometry reads it only into lanes it then
 * discards. One instance per task.
 */
final class OffsetRows {
    private final NativeArray om;
    private final MemorySegment source, scratch;
    private final boolean wide;
    private final int offsetDim;
    /** Bytes per scratch slot, and the last row start (bytes) whose windows stay inside the source. */
    private final long slotBytes, lastDirect;
    /** The position widened ahead into its slot, or -1. */
    private int ahead = -1;
    /** The segment that holds the row of the last {@link #row} call. */
    MemorySegment segment;

    /**
     * @param span    floats the geometry reads from a row start, at most {@code offsetDim + 2*LANES}
     * @param scratch this task's {@link #scratchFloats} floats
     */
    OffsetRows(NativeArray om, int offsetDim, int span, MemorySegment scratch) {
        if (span > offsetDim + 2 * ForwardKernel.LANES || scratch.byteSize() < 4L * scratchFloats(offsetDim)) {
            throw new IllegalStateException("offset_mask scratch too small: span " + span + ", row " + offsetDim
                    + ", scratch " + scratch.byteSize() + " bytes");
        }
        this.om = om;
        this.offsetDim = offsetDim;
        this.scratch = scratch;
        source = om.getSegment();
        wide = om.dtype() != DType.FP32;
        slotBytes = 4L * (offsetDim + 2L * ForwardKernel.LANES);
        lastDirect = wide ? -1 : source.byteSize() - 4L * span;
    }

    /**
     * Scratch floats an instance needs for rows of {@code offsetDim} floats: two slots of the longest
     * span (a window starts at a number of the row and is two vectors long).
     */
    static long scratchFloats(int offsetDim) {
        return 2L * (offsetDim + 2L * ForwardKernel.LANES);
    }

    /**
     * Makes position {@code pos}'s row readable and returns its byte offset in {@link #segment};
     * {@code next} is the position the task computes after this one, or -1.
     */
    long row(int pos, int next) {
        long at = 4L * pos * offsetDim;
        if (!wide) {
            if (at <= lastDirect) {
                segment = source;
                return at;
            }
            MemorySegment.copy(source, at, scratch, 0, 4L * offsetDim);
            segment = scratch;
            return 0;
        }
        if (ahead != pos) {
            widen(pos);
        }
        if (next >= 0) {
            widen(next);
        }
        ahead = next;
        segment = scratch;
        return slot(pos);
    }

    private long slot(int pos) {
        return (pos & 1) * slotBytes;
    }

    private void widen(int pos) {
        int from = pos * offsetDim;
        long at = slot(pos);
        if (om.dtype() == DType.FP16) {
            Storage.widenHalf(source, from, scratch, at / 4, offsetDim);
        } else {
            Storage.widenBf16(source, from, scratch, at / 4, offsetDim);
        }
    }
}
