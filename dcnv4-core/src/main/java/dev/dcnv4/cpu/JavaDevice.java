package dev.dcnv4.cpu;

import dev.dcnv4.arrays.DType;
import dev.dcnv4.arrays.NativeArray;
import dev.dcnv4.device.Dcnv4Device;
import dev.dcnv4.device.DeviceException;
import dev.dcnv4.device.DeviceInfo;
import dev.dcnv4.op.Dcnv4Problem;

import java.lang.foreign.MemorySegment;

/**
 * Device "java": DCNv4 on the CPU in pure Java, the library's CPU fallback (used only when chosen).
 *
 * <p>Work is split over output positions into one contiguous range per thread
 * ({@link TaskPool}); the vector kernels are {@link ForwardKernel} and {@link BackwardKernel}.
 * fp16/bf16 inputs are widened once per call into fp32 workspace buffers (exact), results are
 * computed in fp32 and rounded once into the caller's arrays.
 *
 * <p>The backward is deterministic: each task scatters grad_input into its own fp32 buffer and the
 * buffers are summed in task order, so repeated calls with the same thread count give bit-identical
 * gradients. The thread count comes from the constructor, else {@code -Ddcnv4.threads}, else
 * {@link Runtime#availableProcessors()}. Calls on one instance are serialised.
 */
public final class JavaDevice implements Dcnv4Device {
    public static final String ID = "java";
    /** System property with the default thread count. */
    public static final String THREADS_PROPERTY = "dcnv4.threads";

    private final TaskPool pool;
    private final Workspace workspace = new Workspace();

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
        MemorySegment in = widened(Workspace.INPUT, input);
        boolean direct = output.dtype() == DType.FP32;
        MemorySegment out = direct ? output.getSegment() : workspace.floats(Workspace.OUTPUT, output.getSize());
        ForwardKernel kernel = new ForwardKernel(problem);
        int total = problem.batch() * problem.positions(), c = problem.config().channels();
        int tasks = pool.tasksFor(total);
        int rowLen = 3 * problem.config().points() * problem.config().groups();
        pool.run(tasks, t -> {
            int from = TaskPool.start(total, tasks, t), to = TaskPool.start(total, tasks, t + 1);
            kernel.run(from, to, in, offsetMask, out, new SamplingGeometry(problem), new float[rowLen]);
            if (!direct) {
                Storage.narrow(out, from * c, to * c, output, new Storage.Scratch());
            }
        });
    }

    @Override
    public synchronized void backward(Dcnv4Problem problem, NativeArray input, NativeArray offsetMask,
                                      NativeArray gradOutput, NativeArray gradInput, NativeArray gradOffsetMask) {
        problem.checkBackward(input, offsetMask, gradOutput, gradInput, gradOffsetMask);
        ensureOpen();
        MemorySegment in = widened(Workspace.INPUT, input);
        MemorySegment go = widened(Workspace.GRAD_OUTPUT, gradOutput);
        int total = problem.batch() * problem.positions(), inSize = problem.inputSize();
        int tasks = pool.tasksFor(total);
        // task 0 scatters straight into an fp32 grad_input; the others into their own buffers
        boolean direct = gradInput.dtype() == DType.FP32;
        MemorySegment[] partial = new MemorySegment[tasks];
        for (int t = 0; t < tasks; t++) {
            partial[t] = t == 0 && direct ? gradInput.getSegment() : workspace.floats(Workspace.PARTIAL + t, inSize);
        }
        BackwardKernel kernel = new BackwardKernel(problem);
        int offsetDim = problem.config().paddedOffsetDim();
        pool.run(tasks, t -> {
            int from = TaskPool.start(total, tasks, t), to = TaskPool.start(total, tasks, t + 1);
            partial[t].asSlice(0, 4L * inSize).fill((byte) 0);
            kernel.run(from, to, in, offsetMask, go, partial[t], gradOffsetMask, new SamplingGeometry(problem),
                    new BackwardKernel.Rows(offsetDim));
        });
        // sum the task buffers in task order (fixed, so bit-reproducible), in parallel over elements
        int reducers = pool.tasksFor(inSize);
        pool.run(reducers, r -> {
            int from = TaskPool.start(inSize, reducers, r), to = TaskPool.start(inSize, reducers, r + 1);
            Reduction.sumInto(partial, from, to);
            if (!direct) {
                Storage.narrow(partial[0], from, to, gradInput, new Storage.Scratch());
            }
        });
    }

    /** The fp32 view of {@code a}: its own memory for fp32, else a workspace copy widened in parallel. */
    private MemorySegment widened(int slot, NativeArray a) {
        if (a.dtype() == DType.FP32) {
            return a.getSegment();
        }
        MemorySegment dst = workspace.floats(slot, a.getSize());
        int size = a.getSize(), tasks = pool.tasksFor(size);
        pool.run(tasks, t -> Storage.widen(a, TaskPool.start(size, tasks, t), TaskPool.start(size, tasks, t + 1),
                dst, new Storage.Scratch()));
        return dst;
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
        pool.close();
        workspace.close();
    }

    @Override
    public String toString() {
        return name();
    }
}
