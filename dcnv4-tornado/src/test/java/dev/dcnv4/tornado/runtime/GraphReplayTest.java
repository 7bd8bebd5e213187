package dev.dcnv4.tornado.runtime;

import dev.dcnv4.arrays.DType;
import dev.dcnv4.arrays.NativeArray;
import dev.dcnv4.device.Dcnv4Device;
import dev.dcnv4.device.ReferenceDevice;
import dev.dcnv4.kernels.KernelSource;
import dev.dcnv4.op.Dcnv4Config;
import dev.dcnv4.op.Dcnv4Data;
import dev.dcnv4.op.Dcnv4Problem;
import dev.dcnv4.op.Dcnv4Reference;
import dev.dcnv4.tornado.api.DataTransferMode;
import dev.dcnv4.tornado.api.Dcnv4Library;
import dev.dcnv4.tornado.api.TaskGraph;
import dev.dcnv4.tornado.api.TornadoExecutionPlan;
import dev.dcnv4.tornado.drivers.java.JavaBackend;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The executor's device-graph replay (used by CUDA graphs) against a host backend that "captures"
 * by recording the kernel calls and "replays" by running them again: checks the call sequence
 * (first run normal, second records once, later ones replay) and that results stay right.
 * The CUDA capture itself is checked on a GPU (CudaGpuTest).
 */
class GraphReplayTest {

    /** JavaBackend plus a recording capture. */
    static final class RecordingBackend implements Backend, GraphCapture {
        final JavaBackend inner;
        final List<String> log = new ArrayList<>();
        boolean recording;

        RecordingBackend(Dcnv4Device d) {
            inner = new JavaBackend(d);
        }

        @Override
        public Captured capture(Runnable work) {
            log.add("capture");
            recording = true;
            try {
                work.run();   // the host backend just runs; a GPU backend would record
            } finally {
                recording = false;
            }
            return new Captured() {
                @Override
                public long replay() {
                    log.add("replay");
                    work.run();
                    return 1;
                }

                @Override
                public void close() {
                    log.add("close");
                }
            };
        }

        @Override
        public Dcnv4Device device() {
            return inner.device();
        }

        @Override
        public DeviceBuffer allocate(long bytes) {
            return inner.allocate(bytes);
        }

        @Override
        public long copyIn(DeviceBuffer dst, MemorySegment src) {
            assertTrue(!recording, "no transfer inside a capture");
            log.add("in");
            return inner.copyIn(dst, src);
        }

        @Override
        public long copyOut(DeviceBuffer src, MemorySegment dst) {
            assertTrue(!recording, "no transfer inside a capture");
            log.add("out");
            return inner.copyOut(src, dst);
        }

        @Override
        public long compile(Dcnv4Problem problem, DType dtype) {
            return inner.compile(problem, dtype);
        }

        @Override
        public long forward(Dcnv4Problem p, DType t, DeviceBuffer in, DeviceBuffer om, DeviceBuffer out) {
            log.add(recording ? "record-forward" : "forward");
            return inner.forward(p, t, in, om, out);
        }

        @Override
        public long backward(Dcnv4Problem p, DType t, DeviceBuffer in, DeviceBuffer om, DeviceBuffer go,
                             DeviceBuffer gi, DeviceBuffer gom, DType gt, boolean det) {
            return inner.backward(p, t, in, om, go, gi, gom, gt, det);
        }

        @Override
        public long launch(KernelSource source, String entry, long globalSize, long localSize, Object... args) {
            return inner.launch(source, entry, globalSize, localSize, args);
        }

        @Override
        public void close() {
            inner.close();
        }
    }

    @Test
    void firstRunNormalSecondRecordsLaterOnesReplayWithFreshInputs() {
        Dcnv4Problem p = Dcnv4Problem.of(Dcnv4Config.builder().groups(2).groupChannels(4).build(), 1, 5, 5);
        try (Dcnv4Data data = Dcnv4Data.random(p, DType.FP32, 3, 2f);
             NativeArray out = NativeArray.allocate(DType.FP32, p.outputSize())) {
            var g = new TaskGraph("g")
                    .transferToDevice(DataTransferMode.FIRST_EXECUTION, data.offsetMask())
                    .transferToDevice(DataTransferMode.EVERY_EXECUTION, data.input())
                    .libraryTask("fwd", Dcnv4Library.FORWARD, p, data.input(), data.offsetMask(), out)
                    .transferToHost(DataTransferMode.EVERY_EXECUTION, out)
                    .snapshot();
            RecordingBackend be = new RecordingBackend(new ReferenceDevice());
            try (PlanExecutor ex = new PlanExecutor(be, List.of(g))) {
                for (int call = 0; call < 4; call++) {
                    data.input().setFloat(0, call * 0.25f);   // fresh input every call must be used
                    out.clear();
                    ex.executeWithGraph();
                    double[] ref = Dcnv4Reference.forward(data);
                    for (int i = 0; i < ref.length; i++) {
                        assertEquals(ref[i], out.getFloat(i), 1e-5, "call " + call + " element " + i);
                    }
                }
            }
            assertEquals(List.of("in", "in", "forward", "out",            // first call: normal
                    "capture", "record-forward", "in", "replay", "forward", "out",   // record once, replay
                    "in", "replay", "forward", "out",
                    "in", "replay", "forward", "out",
                    "close"), be.log);
        }
    }

    @Test
    void aBackendWithoutCaptureSaysSoAndAWronglyOrderedGraphIsRejected() {
        Dcnv4Problem p = Dcnv4Problem.of(Dcnv4Config.builder().groups(1).groupChannels(4).build(), 1, 3, 3);
        try (Dcnv4Data data = Dcnv4Data.random(p, DType.FP32, 1, 1f);
             NativeArray out = NativeArray.allocate(DType.FP32, p.outputSize())) {
            var ok = new TaskGraph("ok")
                    .transferToDevice(DataTransferMode.EVERY_EXECUTION, data.input(), data.offsetMask())
                    .libraryTask("fwd", Dcnv4Library.FORWARD, p, data.input(), data.offsetMask(), out)
                    .transferToHost(DataTransferMode.EVERY_EXECUTION, out).snapshot();
            try (TornadoExecutionPlan plan = new TornadoExecutionPlan(ok).withDevice(new ReferenceDevice())
                    .withCudaGraph()) {
                UnsupportedOperationException e = assertThrows(UnsupportedOperationException.class, plan::execute);
                assertTrue(e.getMessage().contains("reference"), e.getMessage());
            }
            var bad = new TaskGraph("bad")
                    .transferToDevice(DataTransferMode.EVERY_EXECUTION, data.input(), data.offsetMask())
                    .libraryTask("fwd", Dcnv4Library.FORWARD, p, data.input(), data.offsetMask(), out)
                    .transferToHost(DataTransferMode.EVERY_EXECUTION, out)
                    .transferToDevice(DataTransferMode.EVERY_EXECUTION, data.input()).snapshot();
            try (PlanExecutor ex = new PlanExecutor(new RecordingBackend(new ReferenceDevice()), List.of(bad))) {
                IllegalStateException e = assertThrows(IllegalStateException.class, ex::executeWithGraph);
                assertTrue(e.getMessage().contains("order"), e.getMessage());
            }
        }
    }
}
