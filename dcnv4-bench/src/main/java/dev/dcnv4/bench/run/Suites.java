package dev.dcnv4.bench.run;

import dev.dcnv4.arrays.DType;
import dev.dcnv4.op.Direction;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The paper's operator-benchmark shapes (docs/performance-targets.md): a 224x224 image at batch 64
 * downsampled 4/8/16/32 times plus the isotropic 14x14x768 map (std-*), and an 800x1280 image at
 * batch 1 likewise plus the isotropic 64x64x1024 map (hr-*). D = 32 everywhere, 3x3, stride 1.
 */
public final class Suites {
    private Suites() {
    }

    public static final List<BenchSpec> PAPER_STD = List.of(
            shape("std-s4", 64, 56, 56, 128, 4),
            shape("std-s8", 64, 28, 28, 256, 8),
            shape("std-s16", 64, 14, 14, 512, 16),
            shape("std-s32", 64, 7, 7, 1024, 32),
            shape("std-iso", 64, 14, 14, 768, 24));

    public static final List<BenchSpec> PAPER_HR = List.of(
            shape("hr-s4", 1, 200, 320, 128, 4),
            shape("hr-s8", 1, 100, 160, 256, 8),
            shape("hr-s16", 1, 50, 80, 512, 16),
            shape("hr-s32", 1, 25, 40, 1024, 32),
            shape("hr-iso", 1, 64, 64, 1024, 32));

    private static BenchSpec shape(String name, int n, int h, int w, int c, int g) {
        return new BenchSpec(name, n, h, w, c, g, 3, 1, DType.FP32, Direction.FORWARD);
    }

    /**
     * The cases of suite {@code name} ("paper-std", "paper-hr", "all"): every shape in fp32 and fp16,
     * forward then backward. With {@code quick}, batch-64 shapes run at batch 1.
     */
    public static List<BenchSpec> cases(String name, boolean quick) {
        List<BenchSpec> shapes = switch (name.toLowerCase(Locale.ROOT)) {
            case "paper-std" -> PAPER_STD;
            case "paper-hr" -> PAPER_HR;
            case "all" -> {
                List<BenchSpec> all = new ArrayList<>(PAPER_STD);
                all.addAll(PAPER_HR);
                yield all;
            }
            default -> throw new IllegalArgumentException("--suite: expected paper-std, paper-hr or all but was '"
                    + name + "'");
        };
        List<BenchSpec> out = new ArrayList<>();
        for (BenchSpec s : shapes) {
            BenchSpec b = quick && s.batch() > 1 ? s.withBatch(1) : s;
            for (DType t : List.of(DType.FP32, DType.FP16)) {
                for (Direction d : Direction.values()) {
                    out.add(b.with(t, d));
                }
            }
        }
        return out;
    }
}
