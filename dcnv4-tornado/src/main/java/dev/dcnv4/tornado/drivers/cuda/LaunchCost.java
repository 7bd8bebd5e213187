package dev.dcnv4.tornado.drivers.cuda;

import dev.dcnv4.arrays.DType;
import dev.dcnv4.arrays.NativeArray;
import dev.dcnv4.op.Dcnv4Config;
import dev.dcnv4.op.Dcnv4Data;
import dev.dcnv4.op.Dcnv4Problem;
import dev.dcnv4.op.Direction;

import dev.dcnv4.tornado.api.DataTransferMode;
import dev.dcnv4.tornado.api.Dcnv4Library;
import dev.dcnv4.tornado.api.TaskGraph;
import dev.dcnv4.tornado.api.TornadoExecutionPlan;

import java.util.Locale;

/**
 * Host-side cost of one DCNv4 call at batch 1: the time the calling thread spends submitting a pass
 * (graph replay vs the same launches issued one by one), measured over batches of 100 submissions
 * with a stream synchronisation between batches that is not counted; plus the wall time of a whole
 * synchronous call: a prepared run's {@code run()} (events, graph launch, wait) and a
 * {@link TornadoExecutionPlan#withCudaGraph()} plan's {@code execute()}.
 *
 * <p>{@code java -cp dcnv4.jar dev.dcnv4.tornado.drivers.cuda.LaunchCost [calls]} prints it for the
 * paper's batch-1 shapes (scripts/gpu-check.sh runs this).
 */
public final class LaunchCost {
    /** Microseconds per call. */
    public record Result(double graphMicros, double directMicros, double syncCallMicros, double planCallMicros,
                         int calls) {
        @Override
        public String toString() {
            return String.format(Locale.ROOT, "submit: graph replay %.2f us, direct launches %.2f us; "
                    + "synchronous call: prepared graph %.2f us, execution plan withCudaGraph %.2f us; %d calls",
                    graphMicros, directMicros, syncCallMicros, planCallMicros, calls);
        }
    }

    private LaunchCost() {
    }

    public static Result measure(CudaDevice device, Dcnv4Data data, NativeArray output, int calls) {
        double graph, direct, sync;
        try (var prepared = device.prepare(Direction.FORWARD, data, output, null, null, true)) {
            CudaRun run = CudaDevice.unwrap(prepared);
            graph = submitMicros(run, calls);
            long t0 = System.nanoTime();
            for (int i = 0; i < calls; i++) {
                prepared.run();
            }
            sync = (System.nanoTime() - t0) / 1e3 / calls;
        }
        try (var prepared = device.prepare(Direction.FORWARD, data, output, null, null, false)) {
            direct = submitMicros(CudaDevice.unwrap(prepared), calls);
        }
        return new Result(graph, direct, sync, planMicros(device, data, output, calls), calls);
    }

    /** A whole {@code execute()} of a one-task plan replayed from a CUDA graph, inputs sent once. */
    private static double planMicros(CudaDevice device, Dcnv4Data data, NativeArray output, int calls) {
        var graph = new TaskGraph("fwd")
                .transferToDevice(DataTransferMode.FIRST_EXECUTION, data.input(), data.offsetMask())
                .libraryTask("dcnv4", Dcnv4Library.FORWARD, data.problem(), data.input(), data.offsetMask(), output)
                .snapshot();
        try (TornadoExecutionPlan plan = new TornadoExecutionPlan(graph).withDevice(device).withCudaGraph()) {
            for (int i = 0; i < 100; i++) {
                plan.execute();
            }
            long t0 = System.nanoTime();
            for (int i = 0; i < calls; i++) {
                plan.execute();
            }
            return (System.nanoTime() - t0) / 1e3 / calls;
        }
    }

    private static double submitMicros(CudaRun run, int calls) {
        run.context().makeCurrent();
        for (int i = 0; i < 100; i++) {
            run.submit();
        }
        run.synchronize();
        long spent = 0;
        int done = 0;
        while (done < calls) {
            int batch = Math.min(100, calls - done);
            long t0 = System.nanoTime();
            for (int i = 0; i < batch; i++) {
                run.submit();
            }
            spent += System.nanoTime() - t0;
            run.synchronize();
            done += batch;
        }
        return spent / 1e3 / calls;
    }

    public static void main(String[] args) {
        int calls = args.length > 0 ? Integer.parseInt(args[0]) : 5000;
        int[][] shapes = {{200, 320, 4}, {100, 160, 8}, {50, 80, 16}, {25, 40, 32}, {64, 64, 32}};
        String[] names = {"hr-s4", "hr-s8", "hr-s16", "hr-s32", "hr-iso"};
        try (CudaDevice device = CudaDeviceProvider.open(0, false)) {
            System.out.println("device " + device.id() + ": " + device.name());
            for (DType t : new DType[] {DType.FP16, DType.FP32}) {
                for (int i = 0; i < shapes.length; i++) {
                    Dcnv4Problem p = Dcnv4Problem.of(Dcnv4Config.builder().groups(shapes[i][2]).groupChannels(32)
                            .offsetScale(2f).build(), 1, shapes[i][0], shapes[i][1]);
                    try (Dcnv4Data data = Dcnv4Data.random(p, t, 1, 2f);
                         NativeArray out = NativeArray.allocate(t, p.outputSize())) {
                        System.out.println(names[i] + " " + t + " forward: " + measure(device, data, out, calls));
                    }
                }
            }
        }
    }
}
