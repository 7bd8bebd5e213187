package dev.dcnv4.cpu;

import dev.dcnv4.arrays.NativeArray;

import java.lang.foreign.MemorySegment;
import java.util.concurrent.atomic.AtomicIntegerArray;

/**
 * An fp16/bf16 array widened into one shared fp32 copy row by row, on first use, by whichever task
 * needs a row first; the other tasks wait for a row that is being widened (only rows around chunk
 * boundaries are wanted by two tasks). The backward uses it for the input and grad_output: each row is
 * then converted on the core that is about to read it, while it is in that core's cache, and there is
 * no separate conversion pass with its hand-over between threads.
 *
 * <p>A row's state: 0 not started, 1 being widened, 2 done (its floats are visible to a task that
 * reads 2: the volatile write/read of the state orders them), 3 failed (the widening task threw).
 */
final class LazyRows {
    private static final int FREE = 0, BUSY = 1, DONE = 2, FAILED = 3;
    private final NativeArray source;
    private final MemorySegment wide;
    private final int rowElements;
    private final AtomicIntegerArray state;

    /**
     * @param wide at least {@code rows * rowElements} floats, {@code source}'s fp32 copy
     */
    LazyRows(NativeArray source, MemorySegment wide, int rows, int rowElements) {
        if ((long) rows * rowElements != source.getSize()) {
            throw new IllegalArgumentException("rows * rowElements: expected " + source.getSize() + " (the array's size) but was "
                    + (long) rows * rowElements);
        }
        this.source = source;
        this.wide = wide;
        this.rowElements = rowElements;
        state = new AtomicIntegerArray(rows);
    }

    /** The fp32 copy (rows not yet {@link #ensure}d hold stale data). */
    MemorySegment segment() {
        return wide;
    }

    /** Makes rows [from, to] (inclusive) of the copy valid: widens those no task has started, waits for the others. */
    void ensure(int from, int to, Storage.Scratch scratch) {
        for (int r = from; r <= to; r++) {
            int s = state.get(r);
            if (s == DONE) {
                continue;
            }
            if (s == FREE && state.compareAndSet(r, FREE, BUSY)) {
                boolean ok = false;
                try {
                    int at = r * rowElements;
                    Storage.widen(source, at, at + rowElements, wide, scratch);
                    ok = true;
                } finally {
                    state.set(r, ok ? DONE : FAILED);
                }
                continue;
            }
            while ((s = state.get(r)) == BUSY) {
                Thread.onSpinWait();
            }
            if (s == FAILED) {
                throw new IllegalStateException("row " + r + " of a " + source.dtype() + " array: widening it failed in another task");
            }
        }
    }
}
