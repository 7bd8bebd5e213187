package dev.dcnv4.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;

/**
 * Combines the backward chunks' grad_input buffers row by row: each input row is the sum, in chunk
 * order {@code ((b_f + b_g) + b_h) + ...}, of the buffers of the chunks that touched that row, or
 * zeros when none did. A fixed order, hence bit-reproducible.
 */
final class Reduction {
    private static final VectorSpecies<Float> S = ForwardKernel.S;
    private static final ByteOrder ORDER = ByteOrder.nativeOrder();

    private Reduction() {
    }

    /** Rows [fromRow, toRow) of {@code rowFloats} floats each into the fp32 segment {@code dst}. */
    static void sumRows(MemorySegment[] buffers, boolean[][] touched, int fromRow, int toRow, long rowFloats,
                        MemorySegment dst) {
        int lanes = S.length();
        for (int r = fromRow; r < toRow; r++) {
            long base = 4L * r * rowFloats, end = base + 4L * rowFloats;
            int first = -1;
            for (int c = 0; c < buffers.length && first < 0; c++) {
                first = touched[c][r] ? c : -1;
            }
            if (first < 0) {
                dst.asSlice(base, 4L * rowFloats).fill((byte) 0);
                continue;
            }
            long at = base;
            for (; at + 4L * lanes <= end; at += 4L * lanes) {
                FloatVector s = FloatVector.fromMemorySegment(S, buffers[first], at, ORDER);
                for (int c = first + 1; c < buffers.length; c++) {
                    if (touched[c][r]) {
                        s = s.add(FloatVector.fromMemorySegment(S, buffers[c], at, ORDER));
                    }
                }
                s.intoMemorySegment(dst, at, ORDER);
            }
            for (; at < end; at += 4) {
                float s = buffers[first].get(Storage.F32, at);
                for (int c = first + 1; c < buffers.length; c++) {
                    if (touched[c][r]) {
                        s += buffers[c].get(Storage.F32, at);
                    }
                }
                dst.set(Storage.F32, at, s);
            }
        }
    }
}
