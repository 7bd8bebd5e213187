package dev.dcnv4.tornado.drivers.cuda;

import dev.dcnv4.arrays.DType;
import dev.dcnv4.arrays.NativeArray;
import dev.dcnv4.device.Dcnv4Device;
import dev.dcnv4.kernels.KernelSource;
import dev.dcnv4.op.Dcnv4Config;
import dev.dcnv4.op.Dcnv4Data;
import dev.dcnv4.op.Dcnv4Problem;
import dev.dcnv4.op.Dcnv4Reference;
import dev.dcnv4.op.Direction;
import dev.dcnv4.tornado.OpenClTestSupport;
import dev.dcnv4.tornado.runtime.Backend;
import dev.dcnv4.tornado.runtime.Backends;
import dev.dcnv4.tornado.runtime.DeviceBuffer;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The CUDA backend's launch plans, executed step for step through the OpenCL backend on PoCL: the
 * kernel bodies are the same text, so this checks without a GPU that every kind of tuner candidate
 * (channel stride, positions per block, atomic or deterministic backward, fp32 or storage-dtype
 * gradients) maps to a grid and block that compute the right result. What it does not check is the
 * CUDA binding itself (that needs a GPU: CudaGpuTest).
 */
class PassPlanOnOpenClTest {

    /** Runs the plan through {@code be}; returns the output (forward) or both gradients (backward). */
    static NativeArray[] run(Backend be, Dcnv4Data data, Direction dir, LaunchConfig launch, DType gradType) {
        Dcnv4Problem p = data.problem();
        DType dtype = data.dtype();
        boolean store = gradType != DType.FP32;
        KernelSource src = Dcnv4Pass.source(KernelSource.Dialect.OPENCL, p, dtype, dir, launch);
        Map<PassPlan.Buf, DeviceBuffer> bufs = new EnumMap<>(PassPlan.Buf.class);
        List<DeviceBuffer> owned = new ArrayList<>();
        try (Arena arena = Arena.ofConfined()) {
            java.util.function.BiConsumer<PassPlan.Buf, Long> alloc = (b, bytes) -> {
                DeviceBuffer d = be.allocate(Math.max(bytes, 1));
                owned.add(d);
                bufs.put(b, d);
            };
            alloc.accept(PassPlan.Buf.INPUT, data.input().getNumBytes());
            be.copyIn(bufs.get(PassPlan.Buf.INPUT), data.input().getSegment());
            alloc.accept(PassPlan.Buf.OFFSET_MASK, data.offsetMask().getNumBytes());
            be.copyIn(bufs.get(PassPlan.Buf.OFFSET_MASK), data.offsetMask().getSegment());
            NativeArray[] results;
            if (dir == Direction.FORWARD) {
                results = new NativeArray[] {NativeArray.allocate(dtype, p.outputSize())};
                alloc.accept(PassPlan.Buf.OUTPUT, results[0].getNumBytes());
            } else {
                results = new NativeArray[] {NativeArray.allocate(gradType, p.inputSize()),
                        NativeArray.allocate(gradType, p.offsetMaskSize())};
                alloc.accept(PassPlan.Buf.GRAD_OUTPUT, data.gradOutput().getNumBytes());
                be.copyIn(bufs.get(PassPlan.Buf.GRAD_OUTPUT), data.gradOutput().getSegment());
                alloc.accept(PassPlan.Buf.GIN32, 4L * p.inputSize());
                alloc.accept(PassPlan.Buf.GOM32, 4L * p.offsetMaskSize());
                alloc.accept(PassPlan.Buf.RADIUS, 8L);
                if (store) {
                    alloc.accept(PassPlan.Buf.GIN, results[0].getNumBytes());
                    alloc.accept(PassPlan.Buf.GOM, results[1].getNumBytes());
                } else {
                    bufs.put(PassPlan.Buf.GIN, bufs.get(PassPlan.Buf.GIN32));
                    bufs.put(PassPlan.Buf.GOM, bufs.get(PassPlan.Buf.GOM32));
                }
            }
            for (PassPlan.Step s : PassPlan.steps(p, dir, launch, store, store)) {
                switch (s) {
                    case PassPlan.Zero z -> be.copyIn(bufs.get(z.buffer()), arena.allocate(z.bytes()));
                    case PassPlan.Launch l -> {
                        Object[] args = l.args().stream().map(a -> a instanceof PassPlan.Buf b ? bufs.get(b) : a)
                                .toArray();
                        be.launch(src, l.entry(), (long) l.blocks() * l.blockThreads(), l.blockThreads(), args);
                    }
                }
            }
            if (dir == Direction.FORWARD) {
                be.copyOut(bufs.get(PassPlan.Buf.OUTPUT), results[0].getSegment());
            } else {
                be.copyOut(bufs.get(PassPlan.Buf.GIN), results[0].getSegment());
                be.copyOut(bufs.get(PassPlan.Buf.GOM), results[1].getSegment());
            }
            return results;
        } finally {
            owned.forEach(DeviceBuffer::close);
        }
    }

    /** Per (stride, variant) the smallest and the largest m, so that both ends of the geometry are exercised. */
    static List<LaunchConfig> sample(List<LaunchConfig> all) {
        Map<String, List<LaunchConfig>> kinds = new java.util.LinkedHashMap<>();
        for (LaunchConfig c : all) {
            kinds.computeIfAbsent(c.dStride() + "/" + c.deterministic(), k -> new ArrayList<>()).add(c);
        }
        List<LaunchConfig> out = new ArrayList<>();
        for (List<LaunchConfig> k : kinds.values()) {
            out.add(k.getFirst());
            if (k.size() > 1) {
                out.add(k.getLast());
            }
        }
        return out;
    }

    @Test
    void everyKindOfCandidateComputesTheReferenceResult() {
        Dcnv4Device device = OpenClTestSupport.device();
        // Q = 5*6 = 30 positions per image, two images: m in {1, 2, 3, 5, 6, 10, 15, 30}
        Dcnv4Problem p = Dcnv4Problem.of(Dcnv4Config.builder().groups(3).groupChannels(16).offsetScale(1.5f).build(),
                2, 5, 6);
        try (Backend be = Backends.forDevice(device)) {
            for (DType t : List.of(DType.FP32, DType.FP16)) {
                // every kind of candidate in fp32; in fp16 (PoCL compiles are slow) the defaults
                try (Dcnv4Data data = Dcnv4Data.random(p, t, 77, 3f)) {
                    double[] in = data.input().toDoubleArray(), om = data.offsetMask().toDoubleArray();
                    double[] ref = Dcnv4Reference.forward(p, in, om);
                    Dcnv4Reference.Gradients g = Dcnv4Reference.backward(p, in, om, data.gradOutput().toDoubleArray());
                    List<LaunchConfig> fwd = t == DType.FP32
                            ? sample(LaunchCandidates.all(p, t, Direction.FORWARD, 1024, false))
                            : List.of(LaunchCandidates.defaultConfig(p, t, Direction.FORWARD, 1024, false));
                    assertTrue(t != DType.FP32 || fwd.size() >= 6, fwd.toString());
                    for (LaunchConfig c : fwd) {
                        NativeArray[] r = run(be, data, Direction.FORWARD, c, DType.FP32);
                        try {
                            assertTrue(CudaTuning.relativeError(ref, r[0]) <= CudaTuning.tolerance(t), t + " " + c);
                        } finally {
                            r[0].close();
                        }
                    }
                    List<LaunchConfig> bwd = t == DType.FP32
                            ? sample(LaunchCandidates.all(p, t, Direction.BACKWARD, 1024, false))
                            : List.of(LaunchCandidates.defaultConfig(p, t, Direction.BACKWARD, 1024, false),
                                    LaunchCandidates.defaultConfig(p, t, Direction.BACKWARD, 1024, true));
                    assertTrue(bwd.stream().anyMatch(LaunchConfig::deterministic));
                    for (LaunchConfig c : bwd) {
                        DType gradType = c.deterministic() ? t : DType.FP32;   // both storage paths
                        NativeArray[] r = run(be, data, Direction.BACKWARD, c, gradType);
                        try {
                            assertTrue(CudaTuning.relativeError(g.gradInput(), r[0]) <= CudaTuning.tolerance(t),
                                    "grad_input " + t + " " + c);
                            assertTrue(CudaTuning.relativeError(g.gradOffsetMask(), r[1]) <= CudaTuning.tolerance(t),
                                    "grad_offset_mask " + t + " " + c);
                        } finally {
                            r[0].close();
                            r[1].close();
                        }
                    }
                }
            }
        }
    }

    @Test
    void tunerSelectsACorrectConfigurationOnARealDevice() {
        Dcnv4Device device = OpenClTestSupport.device();
        Dcnv4Problem p = Dcnv4Problem.of(Dcnv4Config.builder().groups(2).groupChannels(8).build(), 2, 4, 4);
        try (Backend be = Backends.forDevice(device); Dcnv4Data data = Dcnv4Data.random(p, DType.FP32, 5, 2f)) {
            double[] ref = Dcnv4Reference.forward(data);
            List<LaunchConfig> cands = sample(LaunchCandidates.all(p, DType.FP32, Direction.FORWARD, 1024, false));
            LaunchTuner.Result r = LaunchTuner.select(cands, new LaunchTuner.Evaluator() {
                @Override
                public String validate(LaunchConfig c) {
                    NativeArray[] out = run(be, data, Direction.FORWARD, c, DType.FP32);
                    try {
                        double err = CudaTuning.relativeError(ref, out[0]);
                        return err <= CudaTuning.tolerance(DType.FP32) ? null : "error " + err;
                    } finally {
                        out[0].close();
                    }
                }

                @Override
                public double millis(LaunchConfig c) {
                    long t0 = System.nanoTime();
                    run(be, data, Direction.FORWARD, c, DType.FP32)[0].close();
                    return (System.nanoTime() - t0) / 1e6;
                }
            });
            assertEquals(List.of(), r.rejected());
            assertTrue(cands.contains(r.choice()));
        }
    }
}
