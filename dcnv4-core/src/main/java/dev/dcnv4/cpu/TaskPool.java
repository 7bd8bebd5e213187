package dev.dcnv4.cpu;

import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntConsumer;

/**
 * The CPU device's threads: {@code threads - 1} daemon workers plus the calling thread. A call is
 * split into at most {@code threads} tasks over contiguous index ranges ({@link #start}); the split
 * depends only on the sizes and the thread count, never on timing, which is what makes the
 * backward's task-ordered reduction reproducible.
 */
final class TaskPool implements AutoCloseable {
    private static final AtomicInteger POOLS = new AtomicInteger();

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

    @Override
    public void close() {
        closed = true;
        if (workers != null) {
            workers.shutdownNow();
        }
    }
}
