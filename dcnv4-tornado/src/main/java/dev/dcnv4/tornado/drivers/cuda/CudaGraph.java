package dev.dcnv4.tornado.drivers.cuda;

import java.lang.foreign.MemorySegment;

/**
 * A prepared run's launch sequence (memsets and kernels, no host copies) captured once from the
 * stream into a CUDA graph and instantiated, so that each later call is a single
 * {@code cuGraphLaunch}: at batch 1, where a DCNv4 call is a few microseconds of GPU work, the
 * host-side cost per call is what matters.
 */
public final class CudaGraph implements AutoCloseable {
    private MemorySegment exec;

    private CudaGraph(MemorySegment exec) {
        this.exec = exec;
    }

    /**
     * Captures what {@code enqueue} submits to {@code stream} (the calling thread must not touch
     * other streams meanwhile) and instantiates it. The stream is left un-captured on every path.
     */
    public static CudaGraph capture(MemorySegment stream, Runnable enqueue) {
        return capture(stream, enqueue, Cuda.CU_STREAM_CAPTURE_MODE_THREAD_LOCAL);
    }

    /**
     * As {@link #capture(MemorySegment, Runnable)} in a given capture mode: RELAXED lets the captured
     * code allocate device memory (scratch that then lives as long as the graph).
     */
    public static CudaGraph capture(MemorySegment stream, Runnable enqueue, int mode) {
        Cuda.streamBeginCapture(stream, mode);
        MemorySegment graph;
        try {
            enqueue.run();
        } catch (RuntimeException | Error e) {
            try {
                MemorySegment partial = Cuda.streamEndCapture(stream);
                if (!partial.equals(MemorySegment.NULL)) {
                    Cuda.graphDestroy(partial);
                }
            } catch (RuntimeException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
        graph = Cuda.streamEndCapture(stream);
        try {
            return new CudaGraph(Cuda.graphInstantiate(graph));
        } finally {
            Cuda.graphDestroy(graph);   // the executable graph is independent of the template
        }
    }

    /** Enqueues one replay on {@code stream}; does not wait. */
    public void launch(MemorySegment stream) {
        Cuda.graphLaunch(exec, stream);
    }

    @Override
    public void close() {
        if (exec != null) {
            MemorySegment e = exec;
            exec = null;
            Cuda.graphExecDestroy(e);
        }
    }
}
