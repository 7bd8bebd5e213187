package dev.dcnv4.bench.jmh;

import dev.dcnv4.arrays.DType;
import dev.dcnv4.arrays.NativeArray;
import dev.dcnv4.cpu.JavaDevice;
import dev.dcnv4.op.Dcnv4Config;
import dev.dcnv4.op.Dcnv4Data;
import dev.dcnv4.op.Dcnv4Problem;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.util.concurrent.TimeUnit;

/**
 * JMH benchmarks of the Java CPU backend (device "java"): forward and backward on the paper's
 * first shape at batch 1 by default. Run from the shaded jar, e.g.
 * <pre>
 *   java --add-modules jdk.incubator.vector -cp dcnv4-bench/target/dcnv4.jar org.openjdk.jmh.Main \
 *        JavaCpuBenchmark -p dtype=fp32,fp16 -p threads=2
 * </pre>
 * The fork gets the Vector API module and native access itself.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
public class JavaCpuBenchmark {

    /** N,H,W,C. */
    @Param({"1,56,56,128"})
    public String shape;

    @Param({"4"})
    public int groups;

    @Param({"fp32", "fp16"})
    public String dtype;

    /** 0: all available processors. */
    @Param({"0"})
    public int threads;

    private JavaDevice device;
    private Dcnv4Data data;
    private NativeArray output, gradInput, gradOffsetMask;
    private Dcnv4Problem problem;

    @Setup(Level.Trial)
    public void setUp() {
        String[] s = shape.split(",");
        int n = Integer.parseInt(s[0]), h = Integer.parseInt(s[1]), w = Integer.parseInt(s[2]);
        int c = Integer.parseInt(s[3]);
        problem = Dcnv4Problem.of(Dcnv4Config.builder().groups(groups).groupChannels(c / groups).build(), n, h, w);
        DType t = DType.parse(dtype);
        device = threads > 0 ? new JavaDevice(threads) : new JavaDevice();
        data = Dcnv4Data.random(problem, t, 1, 2f);
        output = NativeArray.allocate(t, problem.outputSize());
        gradInput = NativeArray.allocate(DType.FP32, problem.inputSize());
        gradOffsetMask = NativeArray.allocate(DType.FP32, problem.offsetMaskSize());
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        device.close();
        data.close();
        output.close();
        gradInput.close();
        gradOffsetMask.close();
    }

    @Benchmark
    public NativeArray forward() {
        device.forward(problem, data.input(), data.offsetMask(), output);
        return output;
    }

    @Benchmark
    public NativeArray backward() {
        device.backward(problem, data.input(), data.offsetMask(), data.gradOutput(), gradInput, gradOffsetMask);
        return gradInput;
    }
}
