package dev.dcnv4.tornado.drivers.cuda;

import dev.dcnv4.arrays.DType;
import dev.dcnv4.kernels.KernelSource;
import dev.dcnv4.op.Dcnv4Config;
import dev.dcnv4.op.Dcnv4Problem;
import dev.dcnv4.op.Direction;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The CUDA kernel specialisations that scripts/check-kernels.sh compiles offline with nvcc and
 * ptxas (registers, spills): forward and backward x fp32/fp16/bf16 x a few shapes, including the
 * paper's D = 32 and FlashInternImage's D = 16, the official backward strides, the widest forward
 * strides, softmax, remove_center, a 5x5 strided kernel and an odd D without vector loads.
 *
 * <p>{@code java -cp ... CudaKernelVariants DIR} writes one {@code NAME.cu} per variant (the same
 * text NVRTC compiles, with the defines as #define lines) and {@code DIR/variants.txt} listing
 * {@code NAME DIRECTION ENTRY...}: the entries whose spills matter for that variant.
 */
public final class CudaKernelVariants {

    /** One specialisation: the program, and which direction it was made for. */
    public record Variant(String name, String direction, KernelSource source) {
        public List<String> entries() {
            return direction.equals("forward") ? List.of(KernelSource.FORWARD)
                    : List.of(KernelSource.BACKWARD, KernelSource.BACKWARD_RADIUS, KernelSource.BACKWARD_GATHER,
                            KernelSource.STORE_F32);
        }
    }

    private CudaKernelVariants() {
    }

    private record Shape(String name, Dcnv4Config config, List<DType> dtypes, boolean widest) {
    }

    public static List<Variant> all() {
        List<DType> every = List.of(DType.values());
        List<Shape> shapes = List.of(
                new Shape("d32g4", Dcnv4Config.builder().groups(4).groupChannels(32).offsetScale(2f).build(), every,
                        true),
                new Shape("d16g4", Dcnv4Config.builder().groups(4).groupChannels(16).build(), every, false),
                new Shape("d64g2", Dcnv4Config.builder().groups(2).groupChannels(64).build(),
                        List.of(DType.FP32, DType.FP16), false),
                new Shape("d32g4-softmax", Dcnv4Config.builder().groups(4).groupChannels(32).softmax(true).build(),
                        List.of(DType.FP32), false),
                new Shape("d16g5-rc", Dcnv4Config.builder().groups(5).groupChannels(16).removeCenter(true).build(),
                        List.of(DType.FP16), false),
                new Shape("d8g2-k5s2", Dcnv4Config.builder().groups(2).groupChannels(8).kernel(5).stride(2).pad(2)
                        .build(), List.of(DType.FP32), false),
                new Shape("d7g3", Dcnv4Config.builder().groups(3).groupChannels(7).build(),
                        List.of(DType.FP32, DType.BF16), false));
        List<Variant> out = new ArrayList<>();
        for (Shape s : shapes) {
            // launch parameters as the runtime picks them with tuning off, for a 56x56 image
            Dcnv4Problem p = Dcnv4Problem.of(s.config(), 1, 56, 56);
            for (DType t : s.dtypes()) {
                LaunchConfig f = LaunchCandidates.defaultConfig(p, t, Direction.FORWARD, 1024, false);
                LaunchConfig b = LaunchCandidates.defaultConfig(p, t, Direction.BACKWARD, 1024, false);
                out.add(forward(s, t, f.dStride(), b));
                int wide = 32 / t.bytes();   // the widest forward stride the tuner may pick
                if (s.widest() && s.config().groupChannels() % wide == 0 && wide != f.dStride()) {
                    out.add(forward(s, t, wide, b));
                }
                out.add(backward(s, t, f.dStride(), b));
                if (s.widest()) {   // the widest backward stride the tuner may pick
                    out.add(backward(s, t, f.dStride(), new LaunchConfig(4, Math.max(1, b.positionsPerBlock() / 4),
                            false)));
                }
            }
        }
        return out;
    }

    private static Variant forward(Shape s, DType t, int ds, LaunchConfig b) {
        return new Variant("fwd-" + s.name() + "-" + t.label() + "-ds" + ds, "forward",
                KernelSource.dcnv4(KernelSource.Dialect.CUDA, s.config(), t, ds, b.dStride(),
                        b.positionsPerBlock() * s.config().groups()));
    }

    private static Variant backward(Shape s, DType t, int forwardDs, LaunchConfig b) {
        return new Variant("bwd-" + s.name() + "-" + t.label() + "-bds" + b.dStride() + "-bpg"
                + b.positionsPerBlock() * s.config().groups(), "backward",
                KernelSource.dcnv4(KernelSource.Dialect.CUDA, s.config(), t, forwardDs, b.dStride(),
                        b.positionsPerBlock() * s.config().groups()));
    }

    public static void main(String[] args) throws IOException {
        if (args.length != 1) {
            System.err.println("usage: CudaKernelVariants OUTPUT_DIR");
            System.exit(2);
        }
        Path dir = Path.of(args[0]);
        Files.createDirectories(dir);
        StringBuilder list = new StringBuilder();
        for (Variant v : all()) {
            Files.writeString(dir.resolve(v.name() + ".cu"), v.source().textWithDefines());
            list.append(v.name()).append(' ').append(v.direction());
            v.entries().forEach(e -> list.append(' ').append(e));
            list.append('\n');
        }
        Files.writeString(dir.resolve("variants.txt"), list.toString());
    }
}
