package dev.dcnv4.tornado.drivers.cuda;

import dev.dcnv4.arrays.DType;
import dev.dcnv4.arrays.FloatArray;
import dev.dcnv4.kernels.KernelSource;
import dev.dcnv4.tornado.api.DataTransferMode;
import dev.dcnv4.tornado.api.Dcnv4Library;
import dev.dcnv4.tornado.api.Dcnv4Operator;
import dev.dcnv4.tornado.api.TaskGraph;
import dev.dcnv4.tornado.api.TornadoExecutionPlan;
import dev.dcnv4.tornado.runtime.Backend;
import dev.dcnv4.tornado.runtime.DeviceBuffer;
import dev.dcnv4.arrays.NativeArray;
import dev.dcnv4.device.PreparedRun;
import dev.dcnv4.golden.GoldenChecker;
import dev.dcnv4.op.Dcnv4Config;
import dev.dcnv4.op.Dcnv4Data;
import dev.dcnv4.op.Dcnv4Problem;
import dev.dcnv4.op.Dcnv4Reference;
import dev.dcnv4.op.Direction;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The CUDA backend on a real GPU: golden folder, random shapes against the fp64 reference, repeated
 * runs, graph replay, the deterministic backward. Skipped where there is no driver.
 */
class CudaGpuTest {
    static final String NO_GPU = "no CUDA driver (libcuda.so.1) on this machine";
    private static CudaDevice device;
    private static CudaDevice deterministic;

    private static String skipReason;

    @BeforeAll
    static void open() {
        if (!Cuda.available()) {
            skipReason = Cuda.unavailableReason();   // "no CUDA driver (libcuda.so.1) on this machine: ..."
            return;
        }
        try {
            if (CudaContext.deviceCount() == 0) {
                skipReason = "the CUDA driver reports no GPU";
                return;
            }
        } catch (CudaException e) {
            skipReason = "the CUDA driver is installed but unusable here: " + e.getMessage();
            return;
        }
        device = CudaDeviceProvider.open(0, false);
        deterministic = CudaDeviceProvider.open(0, true);
    }

    /** Each test is reported as skipped, with the reason, where there is no GPU. */
    @BeforeEach
    void needsGpu() {
        assumeTrue(skipReason == null, skipReason);
    }

    @AfterAll
    static void close() {
        if (device != null) {
            device.close();
        }
        if (deterministic != null) {
            deterministic.close();
        }
    }

    @Test
    void goldenFolderPassesForEveryDtypeThreeTimesInARow() throws Exception {
        Path goldens = Path.of(System.getProperty("dcnv4.goldens", "../shared/goldens"));
        assumeTrue(Files.isRegularFile(goldens.resolve("cases.json")), "golden folder not found at " + goldens);
        for (CudaDevice d : List.of(device, deterministic)) {
            ByteArrayOutputStream text = new ByteArrayOutputStream();
            GoldenChecker.Summary s = GoldenChecker.check(goldens, d, List.of(DType.values()), 3,
                    new PrintStream(text, true, StandardCharsets.UTF_8));
            System.out.print(text.toString(StandardCharsets.UTF_8));
            assertTrue(s.ok(), d.id() + (d.deterministicBackward() ? " (deterministic)" : "") + ": " + s);
        }
    }

    @Test
    void randomShapesMatchTheReference() {
        List<Dcnv4Config> configs = List.of(
                Dcnv4Config.builder().groups(4).groupChannels(32).offsetScale(2f).build(),
                Dcnv4Config.builder().groups(3).groupChannels(12).kernel(5).stride(2).pad(2).build(),
                Dcnv4Config.builder().groups(2).groupChannels(7).kernel(3).dilation(2).softmax(true).build(),
                Dcnv4Config.builder().groups(5).groupChannels(16).removeCenter(true).offsetScale(0.7f).build());
        for (Dcnv4Config c : configs) {
            for (DType t : DType.values()) {
                Dcnv4Problem p = Dcnv4Problem.of(c, 3, 11, 9);
                try (Dcnv4Data data = Dcnv4Data.random(p, t, 11, 3f);
                     NativeArray out = NativeArray.allocate(t, p.outputSize());
                     NativeArray gin = NativeArray.allocate(DType.FP32, p.inputSize());
                     NativeArray gom = NativeArray.allocate(DType.FP32, p.offsetMaskSize())) {
                    double[] in = data.input().toDoubleArray(), om = data.offsetMask().toDoubleArray();
                    double[] ref = Dcnv4Reference.forward(p, in, om);
                    Dcnv4Reference.Gradients g = Dcnv4Reference.backward(p, in, om, data.gradOutput().toDoubleArray());
                    for (int rep = 0; rep < 3; rep++) {
                        device.forward(p, data.input(), data.offsetMask(), out);
                        assertTrue(CudaTuning.relativeError(ref, out) <= CudaTuning.tolerance(t), c + " " + t);
                        device.backward(p, data.input(), data.offsetMask(), data.gradOutput(), gin, gom);
                        assertTrue(CudaTuning.relativeError(g.gradInput(), gin) <= CudaTuning.tolerance(t),
                                "grad_input " + c + " " + t);
                        assertTrue(CudaTuning.relativeError(g.gradOffsetMask(), gom) <= CudaTuning.tolerance(t),
                                "grad_offset_mask " + c + " " + t);
                    }
                }
            }
        }
    }

    @Test
    void taskGraphBackendMatchesTheReferenceRepeatedly() {
        Dcnv4Problem p = Dcnv4Problem.of(Dcnv4Config.builder().groups(4).groupChannels(16).offsetScale(2f).build(),
                2, 10, 12);
        for (DType t : DType.values()) {
            try (Dcnv4Operator op = Dcnv4Operator.on(device);
                 Dcnv4Data data = Dcnv4Data.random(p, t, 21, 3f);
                 NativeArray out = NativeArray.allocate(t, p.outputSize());
                 NativeArray gin = NativeArray.allocate(t, p.inputSize());
                 NativeArray gom = NativeArray.allocate(t, p.offsetMaskSize())) {
                double[] in = data.input().toDoubleArray(), om = data.offsetMask().toDoubleArray();
                double[] ref = Dcnv4Reference.forward(p, in, om);
                Dcnv4Reference.Gradients g = Dcnv4Reference.backward(p, in, om, data.gradOutput().toDoubleArray());
                for (boolean det : new boolean[] {false, true, false}) {
                    op.deterministic(det);
                    op.forward(p, data.input(), data.offsetMask(), out);
                    assertTrue(CudaTuning.relativeError(ref, out) <= CudaTuning.tolerance(t), "forward " + t);
                    op.backward(p, data.input(), data.offsetMask(), data.gradOutput(), gin, gom);
                    assertTrue(CudaTuning.relativeError(g.gradInput(), gin) <= CudaTuning.tolerance(t),
                            "grad_input " + t + " deterministic=" + det);
                    assertTrue(CudaTuning.relativeError(g.gradOffsetMask(), gom) <= CudaTuning.tolerance(t),
                            "grad_offset_mask " + t + " deterministic=" + det);
                }
            }
        }
    }

    @Test
    void rawKernelsLaunchThroughTheBackend() {
        KernelSource src = KernelSource.raw(KernelSource.Dialect.CUDA, """
                extern "C" __global__ void scale(float *x, int n, float a) {
                    int i = blockIdx.x * blockDim.x + threadIdx.x;
                    if (i < n) x[i] = x[i] * a;
                }
                """, java.util.Map.of());
        try (Backend be = device.backend(); FloatArray host = FloatArray.allocate(1000)) {
            for (int i = 0; i < 1000; i++) {
                host.set(i, i);
            }
            try (DeviceBuffer buf = be.allocate(host.getNumBytes())) {
                be.copyIn(buf, host.getSegment());
                be.launch(src, "scale", 1000, 128, buf, 1000, 2f);
                be.copyOut(buf, host.getSegment());
            }
            for (int i = 0; i < 1000; i++) {
                assertEquals(2f * i, host.get(i));
            }
        }
    }

    @Test
    void graphReplayGivesTheSameBitsAsDirectCallsEveryTime() {
        Dcnv4Problem p = Dcnv4Problem.of(Dcnv4Config.builder().groups(4).groupChannels(32).build(), 1, 28, 28);
        try (Dcnv4Data data = Dcnv4Data.random(p, DType.FP16, 5, 2f);
             NativeArray direct = NativeArray.allocate(DType.FP16, p.outputSize());
             NativeArray replay = NativeArray.allocate(DType.FP16, p.outputSize())) {
            device.forward(p, data.input(), data.offsetMask(), direct);
            try (PreparedRun run = device.prepare(Direction.FORWARD, data, replay, null, null)) {
                assertTrue(CudaDevice.unwrap(run).captured());
                for (int i = 0; i < 5; i++) {
                    replay.clear();
                    run.run();
                    assertTrue(run.lastDeviceNanos() > 0);
                    run.fetchResults();
                    assertArrayEquals(direct.toFloatArray(), replay.toFloatArray(), "replay " + i);
                }
            }
        }
    }

    @Test
    void executionPlanWithCudaGraphReplaysTheSameBits() {
        Dcnv4Problem p = Dcnv4Problem.of(Dcnv4Config.builder().groups(4).groupChannels(16).build(), 1, 20, 24);
        try (Dcnv4Data data = Dcnv4Data.random(p, DType.FP16, 8, 2f);
             NativeArray direct = NativeArray.allocate(DType.FP16, p.outputSize());
             NativeArray viaPlan = NativeArray.allocate(DType.FP16, p.outputSize());
             NativeArray gin = NativeArray.allocate(DType.FP32, p.inputSize());
             NativeArray gom = NativeArray.allocate(DType.FP32, p.offsetMaskSize());
             NativeArray gin2 = NativeArray.allocate(DType.FP32, p.inputSize());
             NativeArray gom2 = NativeArray.allocate(DType.FP32, p.offsetMaskSize())) {
            device.forward(p, data.input(), data.offsetMask(), direct);
            deterministic.backward(p, data.input(), data.offsetMask(), data.gradOutput(), gin, gom);
            var g = new TaskGraph("g")
                    .transferToDevice(DataTransferMode.EVERY_EXECUTION, data.input(), data.offsetMask(), data.gradOutput())
                    .libraryTask("f", Dcnv4Library.FORWARD, p, data.input(), data.offsetMask(), viaPlan)
                    .libraryTask("b", Dcnv4Library.BACKWARD_DETERMINISTIC, p, data.input(), data.offsetMask(),
                            data.gradOutput(), gin2, gom2)
                    .transferToHost(DataTransferMode.EVERY_EXECUTION, viaPlan, gin2, gom2).snapshot();
            try (TornadoExecutionPlan plan = new TornadoExecutionPlan(g).withDevice(device).withCudaGraph()) {
                for (int i = 0; i < 4; i++) {   // normal, record + replay, replay, replay
                    viaPlan.clear();
                    gin2.clear();
                    plan.execute();
                    assertArrayEquals(direct.toFloatArray(), viaPlan.toFloatArray(), "call " + i);
                    assertArrayEquals(gin.toFloatArray(), gin2.toFloatArray(), "call " + i);
                    assertArrayEquals(gom.toFloatArray(), gom2.toFloatArray(), "call " + i);
                }
            }
        }
    }

    @Test
    void deterministicBackwardIsBitIdenticalAcrossRuns() {
        Dcnv4Problem p = Dcnv4Problem.of(Dcnv4Config.builder().groups(4).groupChannels(16).build(), 2, 14, 14);
        try (Dcnv4Data data = Dcnv4Data.random(p, DType.FP32, 9, 2f);
             NativeArray gin = NativeArray.allocate(DType.FP32, p.inputSize());
             NativeArray gom = NativeArray.allocate(DType.FP32, p.offsetMaskSize())) {
            deterministic.backward(p, data.input(), data.offsetMask(), data.gradOutput(), gin, gom);
            float[] a = gin.toFloatArray(), b = gom.toFloatArray();
            for (int i = 0; i < 3; i++) {
                deterministic.backward(p, data.input(), data.offsetMask(), data.gradOutput(), gin, gom);
                assertArrayEquals(a, gin.toFloatArray());
                assertArrayEquals(b, gom.toFloatArray());
            }
        }
    }

    @Test
    void hostCostPerGraphReplayIsMeasured() {
        Dcnv4Problem p = Dcnv4Problem.of(Dcnv4Config.builder().groups(32).groupChannels(32).build(), 1, 25, 40);
        try (Dcnv4Data data = Dcnv4Data.random(p, DType.FP16, 3, 2f);
             NativeArray out = NativeArray.allocate(DType.FP16, p.outputSize())) {
            LaunchCost.Result r = LaunchCost.measure(device, data, out, 2000);
            System.out.println("host cost per call, hr-s32 fp16 forward: " + r);
            assertTrue(r.graphMicros() > 0 && r.directMicros() > 0 && r.planCallMicros() > 0);
        }
    }

    @Test
    void specialisationsAreCompiledOncePerProcess() {
        int before = CudaModuleCache.standard().compilations();
        Dcnv4Problem p = Dcnv4Problem.of(Dcnv4Config.builder().groups(2).groupChannels(8).build(), 1, 6, 6);
        try (Dcnv4Data data = Dcnv4Data.random(p, DType.FP32, 1, 1f);
             NativeArray out = NativeArray.allocate(DType.FP32, p.outputSize())) {
            device.forward(p, data.input(), data.offsetMask(), out);
            int after = CudaModuleCache.standard().compilations();
            device.forward(p, data.input(), data.offsetMask(), out);
            assertEquals(after, CudaModuleCache.standard().compilations());
            assertTrue(after >= before);
        }
    }
}
