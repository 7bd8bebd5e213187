package dev.dcnv4.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;

/**
 * Sums the backward tasks' grad_input buffers element by element in task order,
 * {@code ((b0 + b1) + b2) + ...}, into {@code b0}: a fixed order, hence bit-reproducible.
 */
final class Reduction {
    private static final VectorSpecies<Float> S = ForwardKernel.S;
    private static final ByteOrder ORDER = ByteOrder.nativeOrder();

    private Reduction() {
    }

    static void sumInto(MemorySegment[] buffers, int from, int to) {
        if (buffers.length == 1) {
            return;
        }
        MemorySegment dst = buffers[0];
        int lanes = S.length(), i = from;
        for (; i + lanes <= to; i += lanes) {
            long at = 4L * i;
            FloatVector s = FloatVector.fromMemorySegment(S, dst, at, ORDER);
            for (int b = 1; b < buffers.length; b++) {
                s = s.add(FloatVector.fromMemorySegment(S, buffers[b], at, ORDER));
            }
            s.intoMemorySegment(dst, at, ORDER);
        }
        for (; i < to; i++) {
            long at = 4L * i;
            float s = dst.get(Storage.F32, at);
            for (int b = 1; b < buffers.length; b++) {
                s += buffers[b].get(Storage.F32, at);
            }
            dst.set(Storage.F32, at, s);
        }
    }
}
