package dev.dcnv4.cpu;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
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

    /**
     * How long an idle worker (and the caller waiting for the workers) spins before it parks. Waking
     * a parked thread costs tens of microseconds here (a futex round trip, through the hypervisor on a
     * virtual machine), a noticeable share of a sub-millisecond call; calls that follow each other
     * closely (a forward, then its backward; a benchmark) find the workers still spinning. OpenMP
     * runtimes do the same, for far longer (200 ms by default in LLVM's and Intel's).
     */
    static final long SPIN_NANOS = 200_000L;

    private final int threads;
    private final Worker[] workers;
    /** Workers still running the current call's tasks. */
    private final AtomicInteger pending = new AtomicInteger();
    private volatile boolean closed;

    TaskPool(int threads) {
        this.threads = threads;
        int id = POOLS.incrementAndGet();
        workers = new Worker[threads - 1];
        for (int i = 0; i < workers.length; i++) {
            workers[i] = new Worker("dcnv4-java-" + id + "-" + (i + 1));
        }
    }

    /**
     * A worker thread: waits (spinning, then parked) for the caller to publish a task by bumping
     * {@code generation}, runs it, and counts down {@link #pending}. The volatile writes of
     * {@code generation} (caller) and {@code parked} (worker), each followed by a read of the other,
     * make sure that a worker about to park either sees the new task or is unparked.
     */
    private final class Worker implements Runnable {
        final Thread thread;
        volatile int generation;
        volatile boolean parked;
        IntConsumer body;
        int task;
        Throwable failure;

        Worker(String name) {
            thread = new Thread(this, name);
            thread.setDaemon(true);
            thread.start();
        }

        void start(IntConsumer body, int task) {
            this.body = body;
            this.task = task;
            failure = null;
            generation++;                        // publishes body and task (volatile write)
            if (parked) {
                LockSupport.unpark(thread);
            }
        }

        @Override
        public void run() {
            int seen = 0;
            while (true) {
                long spinUntil = System.nanoTime() + SPIN_NANOS;
                while (generation == seen && !closed) {
                    if (System.nanoTime() < spinUntil) {
                        Thread.onSpinWait();
                    } else {
                        parked = true;
                        if (generation == seen && !closed) {
                            LockSupport.park(this);
                        }
                        parked = false;
                    }
                }
                if (closed) {
                    return;
                }
                seen = generation;
                try {
                    body.accept(task);
                } catch (Throwable e) {
                    failure = e;
                } finally {
                    body = null;
                    pending.decrementAndGet();
                }
            }
        }
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
     * Runs {@code body} for task ids 0..tasks-1 (task 0 on the calling thread, task t on worker t) and
     * waits for all; the first failure is rethrown after every task has finished. Not reentrant: one
     * call at a time (the device serialises its calls).
     */
    void run(int tasks, IntConsumer body) {
        if (tasks == 1 || workers.length == 0) {
            for (int t = 0; t < tasks; t++) {
                body.accept(t);
            }
            return;
        }
        if (tasks > threads) {
            throw new IllegalArgumentException("tasks: expected at most " + threads + " but was " + tasks);
        }
        pending.set(tasks - 1);
        for (int t = 1; t < tasks; t++) {
            workers[t - 1].start(body, t);
        }
        Throwable failure = null;
        try {
            body.accept(0);
        } catch (RuntimeException | Error e) {
            failure = e;
        }
        await(() -> pending.get() == 0);
        for (int t = 1; t < tasks && failure == null; t++) {
            failure = workers[t - 1].failure;
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

    /** Work item {@code item} run by task {@code task} (0..tasks-1: a slot for per-task state). */
    interface TaskItem {
        void run(int task, int item);
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
    void runChunksThen(int chunks, TaskItem body, int parts, TaskItem after) {
        Runs runs = new Runs(chunks, Math.min(threads, Math.max(chunks, parts)));
        AtomicInteger done = new AtomicInteger(), nextPart = new AtomicInteger();
        AtomicBoolean failed = new AtomicBoolean();
        run(runs.tasks, t -> {
            runs.drain(t, c -> {
                try {
                    body.run(t, c);
                } catch (RuntimeException | Error e) {
                    failed.set(true);                // the others stop waiting; run() rethrows this
                    throw e;
                } finally {
                    done.incrementAndGet();
                }
            });
            await(() -> done.get() >= chunks || failed.get());
            for (int p = nextPart.getAndIncrement(); p < parts && !failed.get(); p = nextPart.getAndIncrement()) {
                after.run(t, p);
            }
        });
    }

    /**
     * Waits until {@code done} holds: spinning for up to {@link #SPIN_NANOS} (the other tasks usually
     * finish within microseconds), then parking 20 us at a time. A task's wait for another task, so no
     * one unparks it.
     */
    private static void await(BooleanSupplier done) {
        long spinUntil = System.nanoTime() + SPIN_NANOS;
        while (!done.getAsBoolean()) {
            if (System.nanoTime() < spinUntil) {
                Thread.onSpinWait();
            } else {
                LockSupport.parkNanos(20_000L);
            }
        }
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
        for (Worker w : workers) {
            LockSupport.unpark(w.thread);
        }
    }
}
