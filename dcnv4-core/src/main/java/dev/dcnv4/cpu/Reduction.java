package dev.dcnv4.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;

/**
 * Combines the backward chunks' grad_input buffers row by row: each input row is the sum, in chunk
 * order {@code ((b_f + b_g) + b_h) + ...}, of the buffers of the chunks that touched that row, or
 * zeros when none did. A fixed order, hence bit-reproducible. Every element read is set back to zero
 * (while in cache), so the buffers are all zero for the next call without a separate memset.
 */
final class Reduction {
    private static final VectorSpecies<Float> S = ForwardKernel.S;
    private static final ByteOrder ORDER = ByteOrder.nativeOrder();

    private Reduction() {
    }

    /** Rows [fromRow, toRow) of {@code rowFloats} floats each into the fp32 segment {@code dst}. */
    static void sumRows(MemorySegment[] buffers, boolean[][] touched, int fromRow, int toRow, long rowFloats,
                        MemorySegment dst) {
        MemorySegment[] rowBuffers = new MemorySegment[buffers.length];
        for (int r = fromRow; r < toRow; r++) {
            long base = 4L * r * rowFloats;
            int n = 0;
            for (int c = 0; c < buffers.length; c++) {
                if (touched[c][r]) {
                    rowBuffers[n++] = buffers[c];    // the chunks that touched the row, in chunk order
                }
            }
            switch (n) {
                case 0 -> dst.asSlice(base, 4L * rowFloats).fill((byte) 0);
                case 1 -> {
                    MemorySegment.copy(rowBuffers[0], base, dst, base, 4L * rowFloats);
                    rowBuffers[0].asSlice(base, 4L * rowFloats).fill((byte) 0);
                }
                case 2 -> sum2(rowBuffers[0], rowBuffers[1], base, base + 4L * rowFloats, dst);
                default -> sumN(rowBuffers, n, base, base + 4L * rowFloats, dst);
            }
        }
    }

    /**
     * a + b over bytes [at, end) (the common case: a row shared by two neighbouring chunks). Kept apart
     * from {@link #sumN}, which computes the same: with one n-way loop for all the backward measured
     * 1-2% slower (interleaved, twice).
     */
    private static void sum2(MemorySegment a, MemorySegment b, long at, long end, MemorySegment dst) {
        long v = 4L * S.length();
        FloatVector z = FloatVector.zero(S);
        for (; at + v <= end; at += v) {
            FloatVector.fromMemorySegment(S, a, at, ORDER).add(FloatVector.fromMemorySegment(S, b, at, ORDER))
                    .intoMemorySegment(dst, at, ORDER);
            z.intoMemorySegment(a, at, ORDER);
            z.intoMemorySegment(b, at, ORDER);
        }
        for (; at < end; at += 4) {
            dst.set(Storage.F32, at, a.get(Storage.F32, at) + b.get(Storage.F32, at));
            a.set(Storage.F32, at, 0f);
            b.set(Storage.F32, at, 0f);
        }
    }

    /** ((b_0 + b_1) + b_2) + ... over bytes [at, end). */
    private static void sumN(MemorySegment[] b, int n, long at, long end, MemorySegment dst) {
        long v = 4L * S.length();
        FloatVector z = FloatVector.zero(S);
        for (; at + v <= end; at += v) {
            FloatVector s = FloatVector.fromMemorySegment(S, b[0], at, ORDER);
            z.intoMemorySegment(b[0], at, ORDER);
            for (int c = 1; c < n; c++) {
                s = s.add(FloatVector.fromMemorySegment(S, b[c], at, ORDER));
                z.intoMemorySegment(b[c], at, ORDER);
            }
            s.intoMemorySegment(dst, at, ORDER);
        }
        for (; at < end; at += 4) {
            float s = b[0].get(Storage.F32, at);
            b[0].set(Storage.F32, at, 0f);
            for (int c = 1; c < n; c++) {
                s += b[c].get(Storage.F32, at);
                b[c].set(Storage.F32, at, 0f);
            }
            dst.set(Storage.F32, at, s);
        }
    }
}
