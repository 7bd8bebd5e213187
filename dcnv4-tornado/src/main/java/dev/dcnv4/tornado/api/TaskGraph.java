package dev.dcnv4.tornado.api;

import dev.dcnv4.arrays.NativeArray;
import dev.dcnv4.kernels.KernelSource;
import dev.dcnv4.op.Dcnv4Problem;
import dev.dcnv4.tornado.runtime.TaskSpec;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;

/**
 * A mutable description of device work, TornadoVM style: transfers, tasks, persistence. Freeze it
 * with {@link #snapshot()} and run it with a {@link TornadoExecutionPlan}.
 *
 * <pre>{@code
 * TaskGraph tg = new TaskGraph("fwd")
 *     .transferToDevice(DataTransferMode.FIRST_EXECUTION, offsetMask)
 *     .transferToDevice(DataTransferMode.EVERY_EXECUTION, input)
 *     .libraryTask("dcnv4", Dcnv4Library.FORWARD, problem, input, offsetMask, output)
 *     .transferToHost(DataTransferMode.EVERY_EXECUTION, output);
 * try (TornadoExecutionPlan plan = new TornadoExecutionPlan(tg.snapshot()).withDevice("opencl")) {
 *     TornadoExecutionResult r = plan.execute();
 * }
 * }</pre>
 *
 * Arrays are identified by object identity. Every array a task reads must be sent to the device,
 * consumed from an earlier graph, or written by an earlier task of this graph; {@link #snapshot()}
 * checks that and throws {@link IllegalArgumentException} naming the array otherwise.
 */
public final class TaskGraph {
    private final String name;
    private final List<TaskSpec> steps = new ArrayList<>();

    public TaskGraph(String name) {
        if (name == null || name.isBlank()) {
            throw new IllegalArgumentException("name: expected a non-empty task-graph name but was '" + name + "'");
        }
        this.name = name;
    }

    public String name() {
        return name;
    }

    public TaskGraph transferToDevice(DataTransferMode mode, NativeArray... arrays) {
        steps.add(new TaskSpec.Transfer(true, mode(mode), arrays("transferToDevice", arrays)));
        return this;
    }

    public TaskGraph transferToHost(DataTransferMode mode, NativeArray... arrays) {
        steps.add(new TaskSpec.Transfer(false, mode(mode), arrays("transferToHost", arrays)));
        return this;
    }

    /**
     * A DCNv4 library task. Arrays: forward (input, offsetMask, output); backward (input, offsetMask,
     * gradOutput, gradInput, gradOffsetMask) with both gradients fp32 or both the input's dtype.
     */
    public TaskGraph libraryTask(String taskName, Dcnv4Library op, Dcnv4Problem problem, NativeArray... arrays) {
        if (op == null || problem == null) {
            throw new IllegalArgumentException("libraryTask " + taskName + ": expected an op and a problem but got "
                    + op + ", " + problem);
        }
        List<NativeArray> list = arrays("libraryTask " + taskName, arrays);
        if (list.size() != op.arity()) {
            throw new IllegalArgumentException("libraryTask " + taskName + ": expected " + op.arity() + " arrays for "
                    + op + " but got " + list.size());
        }
        if (op == Dcnv4Library.FORWARD) {
            problem.checkForward(list.get(0), list.get(1), list.get(2));
        } else {
            problem.checkBackward(list.get(0), list.get(1), list.get(2), list.get(3), list.get(4));
            if (list.get(3).dtype() != list.get(4).dtype()) {
                throw new IllegalArgumentException("libraryTask " + taskName + ": expected gradInput and gradOffsetMask "
                        + "of one dtype but were " + list.get(3).dtype() + " and " + list.get(4).dtype());
            }
        }
        steps.add(new TaskSpec.Library(taskName, op, problem, list));
        return this;
    }

    /**
     * A raw kernel: entry {@code entry} of {@code source} over {@code globalSize} work-items
     * ({@code localSize} 0 = driver's choice). Arguments: {@link NativeArray} (passed as its device
     * buffer), {@link Integer} or {@link Float}, in the kernel's parameter order.
     */
    public TaskGraph prebuiltTask(String taskName, KernelSource source, String entry, long globalSize, long localSize,
                                  Object... args) {
        if (source == null || entry == null || globalSize < 1 || localSize < 0) {
            throw new IllegalArgumentException("prebuiltTask " + taskName + ": expected source, entry, globalSize >= 1, "
                    + "localSize >= 0 but got " + source + ", " + entry + ", " + globalSize + ", " + localSize);
        }
        for (Object a : args) {
            if (!(a instanceof NativeArray || a instanceof Integer || a instanceof Float)) {
                throw new IllegalArgumentException("prebuiltTask " + taskName
                        + ": expected NativeArray, Integer or Float arguments but got " + a);
            }
        }
        steps.add(new TaskSpec.Prebuilt(taskName, source, entry, globalSize, localSize, List.of(args)));
        return this;
    }

    /** Keeps {@code arrays} on the device after this graph for a later graph of the same plan. */
    public TaskGraph persistOnDevice(NativeArray... arrays) {
        steps.add(new TaskSpec.Persist(arrays("persistOnDevice", arrays)));
        return this;
    }

    /** Uses {@code arrays} as graph {@code producer} (earlier in the same plan) left them on the device. */
    public TaskGraph consumeFromDevice(String producer, NativeArray... arrays) {
        steps.add(new TaskSpec.Consume(producer, arrays("consumeFromDevice", arrays)));
        return this;
    }

    /** Freezes a copy of this graph; later changes to this builder do not affect it. */
    public ImmutableTaskGraph snapshot() {
        Set<NativeArray> available = Collections.newSetFromMap(new IdentityHashMap<>());
        for (TaskSpec s : steps) {
            switch (s) {
                case TaskSpec.Transfer t when t.toDevice() -> available.addAll(t.arrays());
                case TaskSpec.Consume c -> available.addAll(c.arrays());
                case TaskSpec.Library l -> {
                    for (int i = 0; i < l.op().reads(); i++) {
                        if (!available.contains(l.arrays().get(i))) {
                            throw new IllegalArgumentException("task " + l.name() + " of graph " + name + ": argument " + i
                                    + " (" + l.arrays().get(i) + ") is read but never transferred to the device, consumed "
                                    + "from an earlier graph, or written by an earlier task");
                        }
                    }
                    available.addAll(l.arrays());
                }
                case TaskSpec.Prebuilt p -> p.args().stream().filter(a -> a instanceof NativeArray)
                        .forEach(a -> available.add((NativeArray) a));
                default -> {
                }
            }
        }
        return new ImmutableTaskGraph(name, List.copyOf(steps));
    }

    private static DataTransferMode mode(DataTransferMode m) {
        if (m == null) {
            throw new IllegalArgumentException("mode: expected a DataTransferMode but was null");
        }
        return m;
    }

    private static List<NativeArray> arrays(String what, NativeArray[] arrays) {
        if (arrays == null || arrays.length == 0 || Arrays.stream(arrays).anyMatch(a -> a == null)) {
            throw new IllegalArgumentException(what + ": expected one or more non-null arrays but got "
                    + Arrays.toString(arrays));
        }
        return List.of(arrays);
    }
}
