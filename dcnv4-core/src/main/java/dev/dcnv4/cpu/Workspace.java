package dev.dcnv4.cpu;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;

/**
 * The CPU device's reusable off-heap fp32 buffers: widened copies of fp16/bf16 inputs, the fp32
 * output staged before rounding, and one grad_input buffer per backward task. Each buffer grows on
 * demand and is kept for the next call, so steady-state calls allocate nothing large.
 * Not thread-safe: {@link JavaDevice} serialises its calls.
 */
final class Workspace implements AutoCloseable {
    /**
     * Named slots; {@code OFFSETS} holds every task's offset_mask row scratch ({@link OffsetRows}), the
     * backward's partial grad_input buffers use {@code PARTIAL + chunk}, the fp16/bf16 forward's
     * per-task widened inputs {@code PARTIAL + task}.
     */
    static final int INPUT = 0, GRAD_OUTPUT = 1, OUTPUT = 2, OFFSETS = 3, PARTIAL = 4;

    private final List<Arena> arenas = new ArrayList<>();
    private final List<MemorySegment> buffers = new ArrayList<>();

    /** A buffer of at least {@code floats} fp32 elements for {@code slot}; contents are undefined. */
    MemorySegment floats(int slot, long floats) {
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
    }
}
