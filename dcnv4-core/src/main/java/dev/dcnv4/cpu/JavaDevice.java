package dev.dcnv4.cpu;

import dev.dcnv4.arrays.DType;
import dev.dcnv4.arrays.NativeArray;
import dev.dcnv4.device.Dcnv4Device;
import dev.dcnv4.device.DeviceException;
import dev.dcnv4.device.DeviceInfo;
import dev.dcnv4.op.Dcnv4Problem;

import java.lang.foreign.MemorySegment;
import java.lang.ref.Cleaner;

/**
 * Device "java": DCNv4 on the CPU in pure Java, the library's CPU fallback (used only when chosen).
 *
 * <p>Work is split over output positions into contiguous chunks, a few per thread, handed out to
 * whichever thread is free ({@link TaskPool#runChunks}); the vector kernels are {@link ForwardKernel}
 * and {@link BackwardKernel}.
 * Results are computed in fp32 and rounded once into the caller's arrays. fp16/bf16 inputs are
 * widened exactly: in the forward by each task, row by row as its points first touch them, into its
 * own fp32 copy ({@link ForwardKernel.Task}); in the backward row by row into shared workspace copies
 * by whichever task first needs a row ({@link LazyRows}).
 * offset_mask is widened per position as the kernels read it.
 *
 * <p>The backward is deterministic: each chunk scatters grad_input into its own fp32 buffer (all
 * zero between calls) and the buffers are summed row by row in chunk order, so repeated calls with
 * the same thread count give bit-identical gradients whichever thread ran which chunk. The worker
 * threads spin briefly after each call before they park ({@link TaskPool#SPIN_NANOS}). The thread
 * count comes from the constructor, else {@code -Ddcnv4.threads}, else
 * {@link Runtime#availableProcessors()}. Calls on one instance are serialised.
 */
public final class JavaDevice implements Dcnv4Device {
    public static final String ID = "java";
    /** System property with the default thread count. */
    public static final String THREADS_PROPERTY = "dcnv4.threads";

    /** Position chunks per thread in the backward (see {@link #backward}). */
    private static final int BACKWARD_CHUNKS_PER_THREAD = 2;
    /**
     * Position chunks per thread in the forward. A thread that has finished its own run of chunks
     * takes the next chunks of the others' runs, so the call ends at most one chunk after the first
     * thread runs out of its own work; small chunks make that wait short. With 4 per thread the
     * threads spent 7.7% of their samples spinning or waiting at the end of the 1x56x56x128 forward
     * (2 threads, `cpu-ab --profile`); 16 per thread, interleaved against 4: median x0.956 fp32,
     * x0.958 fp16 (32 and 64: the same).
     */
    private static final int FORWARD_CHUNKS_PER_THREAD = 16;

    /** Closes the pool and frees the workspace of a device that was dropped without {@link #close}. */
    private static final Cleaner CLEANER = Cleaner.create(r -> {
        Thread t = new Thread(r, "dcnv4-java-cleaner");
        t.setDaemon(true);
        return t;
    });

    private final TaskPool pool;
    /** Per task slot: reusable geometry, row buffers and scratch (see {@link TaskState}). */
    private final TaskState[] states;
    private final Workspace workspace = new Workspace();
    private final Cleaner.Cleanable cleanable;

    /** What {@link #close} (or the cleaner) releases; holds no reference to the device. */
    private record Release(TaskPool pool, Workspace workspace) implements Runnable {
        @Override
        public void run() {
            pool.close();
            workspace.close();
        }
    }

    /** A device with the default thread count. */
    public JavaDevice() {
        this(defaultThreads());
    }

    /** A device running {@code threads} tasks per call (>= 1). */
    public JavaDevice(int threads) {
        if (threads < 1) {
            throw new IllegalArgumentException("threads: expected >= 1 but was " + threads);
        }
        pool = new TaskPool(threads);
        states = new TaskState[threads];
        for (int t = 0; t < threads; t++) {
            states[t] = new TaskState();
        }
        cleanable = CLEANER.register(this, new Release(pool, workspace));
    }

    /** {@code -Ddcnv4.threads} if set, else the number of available processors. */
    public static int defaultThreads() {
        String p = System.getProperty(THREADS_PROPERTY);
        if (p == null || p.isBlank()) {
            return Runtime.getRuntime().availableProcessors();
        }
        try {
            return Integer.parseInt(p.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(THREADS_PROPERTY + ": expected a thread count but was '" + p + "'");
        }
    }

    public int threads() {
        return pool.threads();
    }

    @Override
    public String id() {
        return ID;
    }

    @Override
    public String name() {
        return "Java CPU (" + pool.threads() + " threads, " + ForwardKernel.S.vectorBitSize() + "-bit Vector API)";
    }

    @Override
    public DeviceInfo info() {
        return new DeviceInfo(ID, name(), DeviceInfo.Kind.JAVA, Runtime.getRuntime().maxMemory(), pool.threads(),
                "storage (widened to fp32 at load, rounded once at store)",
                "Java " + Runtime.version() + ", jdk.incubator.vector " + ForwardKernel.LANES + " x fp32");
    }

    @Override
    public synchronized void forward(Dcnv4Problem problem, NativeArray input, NativeArray offsetMask,
                                     NativeArray output) {
        problem.checkForward(input, offsetMask, output);
        ensureOpen();
        int total = problem.batch() * problem.positions(), c = problem.config().channels();
        int chunks = pool.chunksFor(total, FORWARD_CHUNKS_PER_THREAD), tasks = Math.min(pool.threads(), chunks);
        // fp16/bf16: one workspace buffer per task for its lazily widened input copy and a staging row
        // (the backward's grad_input slots, free during a forward)
        long floats = (input.dtype() == DType.FP32 ? 0 : problem.inputSize()) + (long) c;
        boolean needBuffer = input.dtype() != DType.FP32 || output.dtype() != DType.FP32;
        MemorySegment[] buffers = new MemorySegment[tasks];
        for (int t = 0; t < tasks && needBuffer; t++) {
            buffers[t] = workspace.floats(forwardSlot(t), floats);
        }
        ForwardKernel kernel = new ForwardKernel(problem);
        pool.runChunks(chunks, t -> new ForwardKernel.Task(problem, input, output, buffers[t], states[t]), (task, k) ->
                kernel.run(TaskPool.start(total, chunks, k), TaskPool.start(total, chunks, k + 1), task, offsetMask,
                        output));
    }

    @Override
    public synchronized void backward(Dcnv4Problem problem, NativeArray input, NativeArray offsetMask,
                                      NativeArray gradOutput, NativeArray gradInput, NativeArray gradOffsetMask) {
        problem.checkBackward(input, offsetMask, gradOutput, gradInput, gradOffsetMask);
        ensureOpen();
        // offset_mask is read (and widened) per position by the kernel; fp16/bf16 input and grad_output
        // are widened row by row into shared fp32 copies by the tasks, each row as a task first needs it
        NativeArray om = offsetMask;
        int total = problem.batch() * problem.positions(), inSize = problem.inputSize();
        int rows = problem.batch() * problem.height(), c = problem.config().channels();
        long rowFloats = (long) problem.width() * c;
        boolean fp32 = input.dtype() == DType.FP32;
        LazyRows inRows = fp32 ? null : new LazyRows(input, workspace.floats(Workspace.INPUT, inSize), rows, (int) rowFloats);
        LazyRows goRows = fp32 ? null : new LazyRows(gradOutput, workspace.floats(Workspace.GRAD_OUTPUT, problem.outputSize()),
                problem.batch() * problem.outHeight(), problem.outWidth() * c);
        MemorySegment in = fp32 ? input.getSegment() : inRows.segment().asSlice(0, 4L * inSize);
        MemorySegment go = fp32 ? gradOutput.getSegment() : goRows.segment().asSlice(0, 4L * problem.outputSize());
        BackwardKernel kernel = new BackwardKernel(problem);
        boolean direct = gradInput.dtype() == DType.FP32;
        MemorySegment dst = direct ? gradInput.getSegment() : workspace.floats(Workspace.OUTPUT, inSize);
        int threads = pool.threads();
        if (threads == 1) {
            // one thread: it adds straight into the result (zeroed first), over all positions in order,
            // with no buffer to combine. (Splitting the groups between threads the same way measured
            // faster at the minimum but slower at the median and mean on the shared 2-core machine: a
            // static split waits for a thread that starts late, the position chunks below rebalance.)
            dst.asSlice(0, 4L * inSize).fill((byte) 0);
            TaskState.Backward reused = states[0].backward(problem);
            kernel.run(0, total, in, om, go, dst, null, gradOffsetMask, reused.geometry(), reused.rows(), inRows, goRows);
            if (!direct) {
                Storage.narrow(dst, 0, inSize, gradInput, states[0].scratch);
            }
            return;
        }
        // split by positions: one grad_input buffer per chunk, capped at about 512 MB in all, summed row by
        // row in chunk order. The buffers are kept all zero between calls: the reduction puts back a zero
        // in every element it reads, in cache, instead of a memset of every touched row before the scatter.
        // Two chunks per thread: each chunk's buffer also holds the rows around its own (points reach
        // past the chunk's rows), so fewer chunks sum fewer rows; one per thread balanced worse
        // (1x56x56x128, 2 threads, separate runs: median 1.33-1.41 ms with 4 per thread, 1.25-1.33 with 2)
        int chunks = (int) Math.min(pool.chunksFor(total, BACKWARD_CHUNKS_PER_THREAD),
                Math.max(threads, (512L << 20) / (4L * inSize)));
        MemorySegment[] partial = new MemorySegment[chunks];
        for (int k = 0; k < chunks; k++) {
            partial[k] = workspace.zeros(Workspace.PARTIAL + k, inSize);
        }
        boolean[][] touched = new boolean[chunks][rows];
        // then sum the chunks' rows in chunk order (fixed, so bit-reproducible), in parallel over rows,
        // in the same tasks once every chunk is done
        int rowChunks = pool.chunksFor(rows);
        pool.runChunksThen(chunks, (t, k) -> {
            int from = TaskPool.start(total, chunks, k), to = TaskPool.start(total, chunks, k + 1);
            TaskState.Backward reused = states[t].backward(problem);
            kernel.run(from, to, in, om, go, partial[k], touched[k], gradOffsetMask, reused.geometry(), reused.rows(),
                    inRows, goRows);
        }, rowChunks, (t, r) -> {
            int from = TaskPool.start(rows, rowChunks, r), to = TaskPool.start(rows, rowChunks, r + 1);
            Reduction.sumRows(partial, touched, from, to, rowFloats, dst);      // and re-zeroes what it read
            if (!direct) {
                Storage.narrow(dst, (int) (from * rowFloats), (int) (to * rowFloats), gradInput, states[t].scratch);
            }
        });
        for (int k = 0; k < chunks; k++) {
            workspace.clean(Workspace.PARTIAL + k);     // not reached after a failure: zeroed again next time
        }
    }

    /**
     * The workspace slot of forward task {@code t}'s buffer: past the backward's partial buffers (at
     * most {@code BACKWARD_CHUNKS_PER_THREAD * threads}), which stay zero between calls.
     */
    private int forwardSlot(int t) {
        return Workspace.PARTIAL + BACKWARD_CHUNKS_PER_THREAD * pool.threads() + t;
    }

    private void ensureOpen() {
        if (pool.isClosed()) {
            throw new DeviceException(ID, "device is closed (Java CPU backend, no native library); open a new one "
                    + "with Devices.open(\"java\")");
        }
    }

    @Override
    public boolean deterministicBackward() {
        return true;
    }

    @Override
    public synchronized void close() {
        cleanable.clean();                          // once: the cleaner does nothing afterwards
    }

    @Override
    public String toString() {
        return name();
    }
}
