package dev.dcnv4.cpu;

import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntConsumer;
import java.util.function.IntFunction;

/**
 * The CPU device's threads: {@code threads - 1} daemon workers plus the calling thread. Work is
 * split into contiguous index ranges ({@link #start}) whose boundaries depend only on the sizes and
 * the thread count, never on timing; ranges are either one per thread ({@link #run}) or handed out
 * dynamically ({@link #runChunks}), in which case results must depend only on the range.
 */
final class TaskPool implements AutoCloseable {
    private static final AtomicInteger POOLS = new AtomicInteger();

    /** How long the calling thread spins for the other tasks before it parks. */
    private static final long SPIN_NANOS = 50_000L;

    private final int threads;
    private final ExecutorService workers;
    private volatile boolean closed;

    TaskPool(int threads) {
        this.threads = threads;
        int id = POOLS.incrementAndGet();
        AtomicInteger n = new AtomicInteger();
        workers = threads == 1 ? null : Executors.newFixedThreadPool(threads - 1, r -> {
            Thread t = new Thread(r, "dcnv4-java-" + id + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
    }

    int threads() {
        return threads;
    }

    boolean isClosed() {
        return closed;
    }

    /** Tasks for {@code items} units of work: the thread count, or fewer when there is less work. */
    int tasksFor(int items) {
        return Math.max(1, Math.min(threads, items));
    }

    /** First index of task {@code t} when {@code total} items are split into {@code tasks} ranges. */
    static int start(int total, int tasks, int t) {
        return (int) ((long) total * t / tasks);
    }

    /**
     * Runs {@code body} for task ids 0..tasks-1 (task 0 on the calling thread) and waits for all;
     * the first failure is rethrown after every task has finished.
     */
    void run(int tasks, IntConsumer body) {
        if (tasks == 1 || workers == null) {
            for (int t = 0; t < tasks; t++) {
                body.accept(t);
            }
            return;
        }
        @SuppressWarnings("unchecked")
        Future<?>[] futures = new Future<?>[tasks];
        for (int t = 1; t < tasks; t++) {
            int task = t;
            futures[t] = workers.submit(() -> body.accept(task));
        }
        Throwable failure = null;
        try {
            body.accept(0);
        } catch (RuntimeException | Error e) {
            failure = e;
        }
        for (int t = 1; t < tasks; t++) {
            // the other tasks usually finish within microseconds of this one (chunks are handed out
            // dynamically): spin briefly before parking, since a park/unpark round trip costs tens of
            // microseconds, a noticeable share of a sub-millisecond call
            long spinUntil = System.nanoTime() + SPIN_NANOS;
            while (!futures[t].isDone() && System.nanoTime() < spinUntil) {
                Thread.onSpinWait();
            }
            try {
                futures[t].get();
            } catch (ExecutionException e) {
                failure = failure == null ? e.getCause() : failure;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                failure = failure == null ? e : failure;
            }
        }
        if (failure instanceof RuntimeException re) {
            throw re;
        }
        if (failure instanceof Error err) {
            throw err;
        }
        if (failure != null) {
            throw new IllegalStateException("dcnv4 java task failed", failure);
        }
    }

    /**
     * Runs {@code body} for chunk ids 0..chunks-1 on all threads (the caller's included) and waits for
     * all. The chunks are split into one run of consecutive ids per task; a task takes its own run in
     * order, then helps the others by taking the next chunks of their runs. So a thread usually works
     * on neighbouring output rows (their input rows stay in its cache, and the fp16 forward widens
     * each input row once per thread), yet every thread stays busy when the machine is shared and one
     * thread gets less CPU than the others. Which thread runs a chunk varies from call to call, so a
     * chunk's result must depend only on the chunk id.
     */
    void runChunks(int chunks, IntConsumer body) {
        runChunks(chunks, t -> null, (state, c) -> body.accept(c));
    }

    /** A chunk body with per-task state (see {@link #runChunks(int, IntFunction, ChunkBody)}). */
    interface ChunkBody<T> {
        void run(T state, int chunk);
    }

    /**
     * Like {@link #runChunks(int, IntConsumer)}, but each task first makes its own state with
     * {@code perTask} (called once per task, on the thread that runs it) and passes it to every chunk
     * it runs: per-thread scratch that stays warm in that core's cache across chunks. Results must
     * still depend only on the chunk id, never on the state's history.
     */
    <T> void runChunks(int chunks, IntFunction<T> perTask, ChunkBody<T> body) {
        Runs runs = new Runs(chunks, Math.min(threads, chunks));
        run(runs.tasks, t -> {
            T state = perTask.apply(t);
            runs.drain(t, c -> body.run(state, c));
        });
    }

    /**
     * {@link #runChunks(int, IntConsumer)}, then {@code after} for part ids 0..parts-1, in the same
     * tasks: a task that has no chunk left waits (spinning) until every chunk has finished, then takes
     * parts. One hand-over to the workers instead of two; a task that starts late finds the chunks
     * taken by the others and goes straight to the parts. A failing chunk stops the parts.
     */
    void runChunksThen(int chunks, IntConsumer body, int parts, IntConsumer after) {
        Runs runs = new Runs(chunks, Math.min(threads, Math.max(chunks, parts)));
        AtomicInteger done = new AtomicInteger(), nextPart = new AtomicInteger();
        AtomicBoolean failed = new AtomicBoolean();
        run(runs.tasks, t -> {
            runs.drain(t, c -> {
                try {
                    body.accept(c);
                } catch (RuntimeException | Error e) {
                    failed.set(true);                // the others stop waiting; run() rethrows this
                    throw e;
                } finally {
                    done.incrementAndGet();
                }
            });
            for (long spins = 0; done.get() < chunks && !failed.get(); spins++) {
                if (spins < 20_000) {
                    Thread.onSpinWait();
                } else {
                    Thread.yield();
                }
            }
            for (int p = nextPart.getAndIncrement(); p < parts && !failed.get(); p = nextPart.getAndIncrement()) {
                after.accept(p);
            }
        });
    }

    /** Chunk ids split into one run of consecutive ids per task, each with its next-id counter. */
    private static final class Runs {
        final int chunks, tasks;
        final AtomicInteger[] next;

        Runs(int chunks, int tasks) {
            this.chunks = chunks;
            this.tasks = tasks;
            next = new AtomicInteger[tasks];
            for (int t = 0; t < tasks; t++) {
                next[t] = new AtomicInteger(start(chunks, tasks, t));
            }
        }

        /** Task t's own run first, then the remaining chunks of the others' runs in turn. */
        void drain(int t, IntConsumer body) {
            for (int i = 0; i < tasks; i++) {
                int r = (t + i) % tasks, end = start(chunks, tasks, r + 1);
                for (int c = next[r].getAndIncrement(); c < end; c = next[r].getAndIncrement()) {
                    body.accept(c);
                }
            }
        }
    }

    /** Chunks for {@code items} units of work: {@code perThread} per thread, fewer when there is less work. */
    int chunksFor(int items, int perThread) {
        return Math.max(1, Math.min(items, threads == 1 ? 1 : perThread * threads));
    }

    /** Chunks for {@code items} units of work: four per thread, fewer when there is less work. */
    int chunksFor(int items) {
        return chunksFor(items, 4);
    }

    @Override
    public void close() {
        closed = true;
        if (workers != null) {
            workers.shutdownNow();
        }
    }
}
