package dev.dcnv4.tornado;

import dev.dcnv4.arrays.DType;
import dev.dcnv4.arrays.FloatArray;
import dev.dcnv4.arrays.NativeArray;
import dev.dcnv4.device.Dcnv4Device;
import dev.dcnv4.kernels.KernelSource;
import dev.dcnv4.op.Dcnv4Config;
import dev.dcnv4.op.Dcnv4Data;
import dev.dcnv4.op.Dcnv4Problem;
import dev.dcnv4.op.Dcnv4Reference;
import dev.dcnv4.tornado.api.DataTransferMode;
import dev.dcnv4.tornado.api.Dcnv4Library;
import dev.dcnv4.tornado.api.Dcnv4Operator;
import dev.dcnv4.tornado.api.TaskGraph;
import dev.dcnv4.tornado.api.TornadoExecutionPlan;
import dev.dcnv4.tornado.api.TornadoExecutionResult;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static dev.dcnv4.tornado.OpenClTestSupport.relError;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Task graphs and plans on the OpenCL device (and the Java backend where no GPU code is needed). */
class TaskGraphTest {
    private static final Dcnv4Problem P = Dcnv4Problem.of(
            Dcnv4Config.builder().groups(2).groupChannels(8).offsetScale(1.5f).build(), 2, 5, 6);

    @Test
    void forwardGraphMatchesReferenceAndProfiles() {
        Dcnv4Device dev = OpenClTestSupport.device();
        try (Dcnv4Data d = Dcnv4Data.random(P, DType.FP32, 1, 2f); FloatArray out = FloatArray.allocate(P.outputSize())) {
            TaskGraph tg = new TaskGraph("fwd")
                    .transferToDevice(DataTransferMode.FIRST_EXECUTION, d.offsetMask())
                    .transferToDevice(DataTransferMode.EVERY_EXECUTION, d.input())
                    .libraryTask("dcnv4", Dcnv4Library.FORWARD, P, d.input(), d.offsetMask(), out)
                    .transferToHost(DataTransferMode.EVERY_EXECUTION, out);
            try (TornadoExecutionPlan plan = new TornadoExecutionPlan(tg.snapshot()).withDevice(dev)
                    .withPreCompilation().withProfiler().withWarmUpIterations(2)) {
                TornadoExecutionResult r = plan.execute();
                assertEquals(dev.id(), r.device().id());
                double[] ref = Dcnv4Reference.forward(d);
                assertTrue(relError(out.toFloatArray(), ref) <= 1e-5);
                var prof = r.profiler();
                assertTrue(prof.kernelNanos() > 0 && prof.kernelBytes() > 0, prof.toString());
                assertEquals(d.input().getNumBytes(), prof.bytesCopiedIn(), "FIRST_EXECUTION input not re-sent: " + prof);
                assertEquals(out.getNumBytes(), prof.bytesCopiedOut());
            }
        }
    }

    /** Graph 1 computes the forward and persists it; graph 2 consumes it as the next layer's input. */
    @Test
    void chainedGraphsThroughPersistAndConsume() {
        Dcnv4Device dev = OpenClTestSupport.device();
        // stride 1, pad 1, 3x3: output has the input's shape, so it can feed a second DCNv4 directly
        try (Dcnv4Data d = Dcnv4Data.random(P, DType.FP16, 2, 2f);
             NativeArray mid = NativeArray.allocate(DType.FP16, P.outputSize());
             NativeArray out = NativeArray.allocate(DType.FP16, P.outputSize())) {
            TaskGraph first = new TaskGraph("layer1")
                    .transferToDevice(DataTransferMode.EVERY_EXECUTION, d.input(), d.offsetMask())
                    .libraryTask("l1", Dcnv4Library.FORWARD, P, d.input(), d.offsetMask(), mid)
                    .persistOnDevice(mid);
            TaskGraph second = new TaskGraph("layer2")
                    .consumeFromDevice("layer1", mid, d.offsetMask())
                    .libraryTask("l2", Dcnv4Library.FORWARD, P, mid, d.offsetMask(), out)
                    .transferToHost(DataTransferMode.EVERY_EXECUTION, out);
            assertThrows(IllegalArgumentException.class, () -> new TornadoExecutionPlan(first.snapshot(), second.snapshot()),
                    "offsetMask was not persisted by layer1");
            first.persistOnDevice(d.offsetMask());
            try (TornadoExecutionPlan plan = new TornadoExecutionPlan(first.snapshot(), second.snapshot()).withDevice(dev)) {
                plan.execute();
                // mid never came back to the host: it is still all zeros there
                assertTrue(java.util.Arrays.equals(new float[mid.getSize()], mid.toFloatArray()));
                double[] om = d.offsetMask().toDoubleArray();
                double[] l1 = Dcnv4Reference.forward(P, d.input().toDoubleArray(), om);
                double[] l1h = new double[l1.length];
                for (int i = 0; i < l1.length; i++) {
                    l1h[i] = DType.FP16.round((float) l1[i]);
                }
                double[] l2 = Dcnv4Reference.forward(P, l1h, om);
                assertTrue(relError(out.toFloatArray(), l2) <= 8e-4);
            }
        }
    }

    @Test
    void underDemandTransfersHappenOnlyWhenAsked() {
        Dcnv4Device dev = OpenClTestSupport.device();
        try (Dcnv4Data d = Dcnv4Data.random(P, DType.FP32, 3, 2f); FloatArray out = FloatArray.allocate(P.outputSize())) {
            TaskGraph tg = new TaskGraph("ud")
                    .transferToDevice(DataTransferMode.UNDER_DEMAND, d.input(), d.offsetMask())
                    .libraryTask("f", Dcnv4Library.FORWARD, P, d.input(), d.offsetMask(), out)
                    .transferToHost(DataTransferMode.UNDER_DEMAND, out);
            try (TornadoExecutionPlan plan = new TornadoExecutionPlan(tg.snapshot()).withDevice(dev).withProfiler()) {
                assertThrows(IllegalStateException.class, plan::execute, "inputs never sent");
                plan.transferToDevice(d.input(), d.offsetMask());
                TornadoExecutionResult r = plan.execute();
                assertEquals(0, r.profiler().bytesCopiedIn());
                assertEquals(0, r.profiler().bytesCopiedOut());
                assertTrue(java.util.Arrays.equals(new float[out.getSize()], out.toFloatArray()), "not copied back yet");
                r.transferToHost(out);
                double[] ref = Dcnv4Reference.forward(d);
                assertTrue(relError(out.toFloatArray(), ref) <= 1e-5);
            }
        }
    }

    @Test
    void readingAnArrayNeverSentIsRejectedAtSnapshot() {
        try (Dcnv4Data d = Dcnv4Data.random(P, DType.FP32, 3, 2f); FloatArray out = FloatArray.allocate(P.outputSize())) {
            TaskGraph tg = new TaskGraph("bad").transferToDevice(DataTransferMode.EVERY_EXECUTION, d.input())
                    .libraryTask("f", Dcnv4Library.FORWARD, P, d.input(), d.offsetMask(), out);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, tg::snapshot);
            assertTrue(e.getMessage().contains("argument 1"), e.getMessage());
        }
    }

    /** 1000 executions: no new device buffers after the first, and no growth of the process's memory. */
    @Test
    void thousandExecutionsDoNotGrowNativeMemory() throws Exception {
        Dcnv4Device dev = OpenClTestSupport.device();
        Dcnv4Problem small = Dcnv4Problem.of(Dcnv4Config.builder().groups(1).groupChannels(8).build(), 1, 4, 4);
        try (Dcnv4Data d = Dcnv4Data.random(small, DType.FP16, 4, 1f);
             NativeArray out = NativeArray.allocate(DType.FP16, small.outputSize());
             NativeArray gin = NativeArray.allocate(DType.FP16, small.inputSize());
             NativeArray gom = NativeArray.allocate(DType.FP16, small.offsetMaskSize())) {
            TaskGraph tg = new TaskGraph("loop")
                    .transferToDevice(DataTransferMode.EVERY_EXECUTION, d.input(), d.offsetMask(), d.gradOutput())
                    .libraryTask("f", Dcnv4Library.FORWARD, small, d.input(), d.offsetMask(), out)
                    .libraryTask("b", Dcnv4Library.BACKWARD, small, d.input(), d.offsetMask(), d.gradOutput(), gin, gom)
                    .transferToHost(DataTransferMode.EVERY_EXECUTION, out, gin, gom);
            try (TornadoExecutionPlan plan = new TornadoExecutionPlan(tg.snapshot()).withDevice(dev)) {
                for (int i = 0; i < 100; i++) {
                    plan.execute();
                }
                long allocs = plan.deviceAllocations();
                long before = rssKb();
                for (int i = 0; i < 1000; i++) {
                    plan.execute();
                }
                long after = rssKb();
                assertEquals(allocs, plan.deviceAllocations(), "device buffers allocated after the first execution");
                assertTrue(after - before < 16 * 1024, "resident memory grew by " + (after - before) + " KiB over 1000 runs");
            }
        }
    }

    private static long rssKb() throws Exception {
        System.gc();
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        }
        return 0;
    }

    /**
     * The documented threading rule: one plan per thread runs in parallel safely; several threads on
     * one plan are serialized by the plan and every result stays correct.
     */
    @Test
    void plansFromSeveralThreads() throws Exception {
        Dcnv4Device dev = OpenClTestSupport.device();
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try (Dcnv4Data d = Dcnv4Data.random(P, DType.FP32, 6, 2f)) {
            double[] ref = Dcnv4Reference.forward(d);
            List<Future<Double>> errors = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                errors.add(pool.submit(() -> {
                    try (FloatArray out = FloatArray.allocate(P.outputSize());
                         TornadoExecutionPlan plan = new TornadoExecutionPlan(new TaskGraph("t")
                                 .transferToDevice(DataTransferMode.FIRST_EXECUTION, d.input(), d.offsetMask())
                                 .libraryTask("f", Dcnv4Library.FORWARD, P, d.input(), d.offsetMask(), out)
                                 .transferToHost(DataTransferMode.EVERY_EXECUTION, out).snapshot()).withDevice(dev)) {
                        double worst = 0;
                        for (int i = 0; i < 20; i++) {
                            out.clear();
                            plan.execute();
                            worst = Math.max(worst, relError(out.toFloatArray(), ref));
                        }
                        return worst;
                    }
                }));
            }
            for (Future<Double> f : errors) {
                assertTrue(f.get() <= 1e-5, "error " + f.get());
            }
            // one shared plan, many threads: serialized, results complete
            try (FloatArray out = FloatArray.allocate(P.outputSize());
                 TornadoExecutionPlan shared = new TornadoExecutionPlan(new TaskGraph("s")
                         .transferToDevice(DataTransferMode.EVERY_EXECUTION, d.input(), d.offsetMask())
                         .libraryTask("f", Dcnv4Library.FORWARD, P, d.input(), d.offsetMask(), out)
                         .transferToHost(DataTransferMode.EVERY_EXECUTION, out).snapshot()).withDevice(dev)) {
                List<Future<?>> runs = new ArrayList<>();
                for (int t = 0; t < 4; t++) {
                    runs.add(pool.submit(() -> {
                        for (int i = 0; i < 20; i++) {
                            shared.execute();
                        }
                    }));
                }
                for (Future<?> f : runs) {
                    f.get();
                }
                assertTrue(relError(out.toFloatArray(), ref) <= 1e-5);
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void prebuiltTaskRunsRawKernel() {
        Dcnv4Device dev = OpenClTestSupport.device();
        KernelSource src = KernelSource.raw(KernelSource.Dialect.OPENCL,
                "__kernel void scale(__global float *a, float f, int n) { int i = get_global_id(0); if (i < n) a[i] *= f; }",
                Map.of());
        try (FloatArray a = FloatArray.fromArray(1f, 2f, 3f, 4f, 5f)) {
            TaskGraph tg = new TaskGraph("raw").transferToDevice(DataTransferMode.EVERY_EXECUTION, a)
                    .prebuiltTask("scale", src, "scale", 5, 0, a, 3f, 5)
                    .transferToHost(DataTransferMode.EVERY_EXECUTION, a);
            try (TornadoExecutionPlan plan = new TornadoExecutionPlan(tg.snapshot()).withDevice(dev)) {
                plan.execute();
                assertArrayEquals(new float[] {3, 6, 9, 12, 15}, a.toFloatArray());
            }
        }
    }

    @Test
    void operatorFacadeOnOpenClAndJavaBackendGraph() {
        Dcnv4Device dev = OpenClTestSupport.device();
        try (Dcnv4Data d = Dcnv4Data.random(P, DType.BF16, 7, 2f);
             NativeArray out = NativeArray.allocate(DType.BF16, P.outputSize());
             FloatArray gin = FloatArray.allocate(P.inputSize());
             FloatArray gom = FloatArray.allocate(P.offsetMaskSize());
             Dcnv4Operator op = Dcnv4Operator.on(dev)) {
            op.forward(P, d.input(), d.offsetMask(), out);
            double[] in = d.input().toDoubleArray(), om = d.offsetMask().toDoubleArray();
            assertTrue(relError(out.toFloatArray(), Dcnv4Reference.forward(P, in, om)) <= 6e-3);
            op.deterministic(true).backward(P, d.input(), d.offsetMask(), d.gradOutput(), gin, gom);
            var g = Dcnv4Reference.backward(P, in, om, d.gradOutput().toDoubleArray());
            assertTrue(relError(gin.toFloatArray(), g.gradInput()) <= 1e-5);
            assertTrue(relError(gom.toFloatArray(), g.gradOffsetMask()) <= 1e-5);
        }
        // the same graph API over a host device (Java backend): the Java CPU device
        try (Dcnv4Data d = Dcnv4Data.random(P, DType.FP32, 8, 2f); FloatArray out = FloatArray.allocate(P.outputSize());
             TornadoExecutionPlan plan = new TornadoExecutionPlan(new TaskGraph("host")
                     .transferToDevice(DataTransferMode.EVERY_EXECUTION, d.input(), d.offsetMask())
                     .libraryTask("f", Dcnv4Library.FORWARD, P, d.input(), d.offsetMask(), out)
                     .transferToHost(DataTransferMode.EVERY_EXECUTION, out).snapshot()).withDevice("java")) {
            assertEquals("java", plan.execute().device().id());
            assertTrue(relError(out.toFloatArray(),
                    Dcnv4Reference.forward(d)) <= 1e-5);
        }
    }
}
