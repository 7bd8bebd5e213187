package dev.dcnv4.cpu;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;

/**
 * The CPU device's reusable off-heap fp32 buffers: widened copies of fp16/bf16 inputs, the fp32
 * output staged before rounding, and one grad_input buffer per backward task. Each buffer grows on
 * demand and is kept for the next call, so steady-state calls allocate nothing large.
 * Not thread-safe: {@link JavaDevice} serialises its calls.
 */
final class Workspace implements AutoCloseable {
    /**
     * Named slots; slots from {@code PARTIAL} on are numbered by the caller: the backward's partial
     * grad_input buffers and the fp16/bf16 forward's per-task widened inputs (see {@link JavaDevice}).
     */
    static final int INPUT = 0, GRAD_OUTPUT = 1, OUTPUT = 2, PARTIAL = 3;

    private final List<Arena> arenas = new ArrayList<>();
    private final List<MemorySegment> buffers = new ArrayList<>();
    /** Slots known to be all zero (fresh memory is, {@link #clean} after a caller restored it). */
    private final BitSet zero = new BitSet();

    /** A buffer of at least {@code floats} fp32 elements for {@code slot}; contents are undefined. */
    MemorySegment floats(int slot, long floats) {
        MemorySegment s = buffer(slot, floats);
        zero.clear(slot);                        // the caller may write anything
        return s;
    }

    /**
     * A buffer of at least {@code floats} fp32 elements for {@code slot}, all zero: zeroed here unless
     * the last user {@link #clean}ed it. Until {@code clean(slot)} it counts as written.
     */
    MemorySegment zeros(int slot, long floats) {
        MemorySegment s = buffer(slot, floats);
        if (!zero.get(slot)) {
            s.fill((byte) 0);
        }
        zero.clear(slot);
        return s;
    }

    /** Declares that {@code slot}'s buffer is all zero again (its user put back every zero it changed). */
    void clean(int slot) {
        zero.set(slot);
    }

    private MemorySegment buffer(int slot, long floats) {
        while (buffers.size() <= slot) {
            arenas.add(null);
            buffers.add(null);
        }
        long bytes = 4L * floats;
        MemorySegment s = buffers.get(slot);
        if (s == null || s.byteSize() < bytes) {
            Arena old = arenas.get(slot);
            if (old != null) {
                old.close();
                arenas.set(slot, null);
                buffers.set(slot, null);
            }
            Arena arena = Arena.ofShared();
            try {
                s = arena.allocate(Math.max(bytes, 64), 64);
            } catch (RuntimeException | OutOfMemoryError e) {
                arena.close();
                throw e;
            }
            arenas.set(slot, arena);
            buffers.set(slot, s);
            zero.set(slot);                      // Arena.allocate zeroes the memory
        }
        return s;
    }

    /** Bytes currently held. */
    long bytes() {
        long sum = 0;
        for (MemorySegment s : buffers) {
            sum += s == null ? 0 : s.byteSize();
        }
        return sum;
    }

    @Override
    public void close() {
        for (Arena a : arenas) {
            if (a != null) {
                a.close();
            }
        }
        arenas.clear();
        buffers.clear();
        zero.clear();
    }
}
