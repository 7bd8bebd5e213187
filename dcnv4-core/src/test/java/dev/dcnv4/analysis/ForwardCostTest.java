package dev.dcnv4.analysis;

import dev.dcnv4.arrays.DType;
import dev.dcnv4.op.Dcnv4Config;
import dev.dcnv4.op.Dcnv4Problem;
import dev.dcnv4.op.Direction;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** Cost formulas of semantics section 7 against numbers worked out by hand. */
class ForwardCostTest {

    static Dcnv4Problem problem(int n, int h, int w, int c, int g, int k, int stride, boolean rc) {
        Dcnv4Config cfg = Dcnv4Config.builder().kernel(k).stride(stride).pad((k - 1) / 2).groups(g)
                .groupChannels(c / g).removeCenter(rc).build();
        return Dcnv4Problem.of(cfg, n, h, w);
    }

    @Test
    void paperShapeMatches36HWCAnd2HWCPlus27HWGAnd64HWC() {
        ForwardCost f = new ForwardCost(problem(1, 56, 56, 128, 8, 3, 1, false), DType.FP32);
        long hw = 56 * 56;
        assertEquals(36 * hw * 128, f.flopsPaper());
        assertEquals(14_450_688L, f.flopsPaper());
        assertEquals(2 * hw * 128 + 27 * hw * 8, f.macIdealElements());
        assertEquals(1_480_192L, f.macIdealElements());
        assertEquals(64 * hw * 128, f.macNoCacheElements());
        assertEquals(25_690_112L, f.macNoCacheElements());
        // D = 16: the paper's "~17x"
        assertEquals(17.36, (double) f.macNoCacheElements() / f.macIdealElements(), 0.01);
        // bytes: paper ideal unpadded (27*8 = 216 = P, no padding here) and padded agree
        assertEquals(216, f.p());
        assertEquals(4 * 1_480_192L, f.bytesIdealPaper());
        assertEquals(f.bytesIdealPaper(), f.bytesMin());
        assertEquals(4 * 25_690_112L, f.bytesNoCache());
    }

    @Test
    void workedExampleOfSection72() {
        // N=64, 56x56, C=128, G=4, D=32, K=9, P=112, fp16
        ForwardCost f = new ForwardCost(problem(64, 56, 56, 128, 4, 3, 1, false), DType.FP16);
        assertEquals(200_704L, f.q());
        assertEquals(112, f.p());
        assertEquals(924_844_032L, f.flopsPaper());
        assertEquals(0.925e9, f.flopsPaper(), 0.0005e9);
        assertEquals(147_718_144L, f.bytesMin());
        assertEquals(147.7e6, f.bytesMin(), 0.05e6);
        assertEquals(2074e6, f.bytesMax(8), 0.5e6);
        assertEquals(3288e6, f.bytesNoCache(), 0.5e6);
        assertEquals(f.bytesNoCache(), f.bytesMax(1), 0.0);
        assertEquals(1644e6, f.memoryInstructionsVector(1), 0.5e6);
        assertEquals(206e6, f.memoryInstructionsVector(8), 0.5e6);
        assertEquals(8, f.vectorDStride());
        // the paper's ideal ignores padding: 27*4 = 108 numbers per position instead of P = 112
        assertEquals(2L * (2 * 200_704L * 128 + 108 * 200_704L), f.bytesIdealPaper());
        assertEquals(2L * 4 * 200_704L, f.bytesMin() - f.bytesIdealPaper());
    }

    @Test
    void kernel5() {
        // 1,16,16,32 G=2 (D=16), 5x5 pad 2: K=25, Q=256, P=8*ceil(150/8)=152
        ForwardCost f = new ForwardCost(problem(1, 16, 16, 32, 2, 5, 1, false), DType.FP32);
        assertEquals(25, f.k());
        assertEquals(152, f.p());
        assertEquals(4L * 25 * 256 * 32, f.flopsPaper());
        assertEquals(256L * 32 * 2 + 75L * 2 * 256, f.macIdealElements());
        assertEquals(176L * 256 * 32, f.macNoCacheElements());
        assertEquals(4L * (256L * 32 * 2 + 256L * 152), f.bytesMin());
    }

    @Test
    void stride2UsesOutputPositionsForEverythingButTheInput() {
        ForwardCost f = new ForwardCost(problem(1, 56, 56, 128, 8, 3, 2, false), DType.FP32);
        assertEquals(784, f.q());
        assertEquals(3136, f.sIn());
        assertEquals(36L * 784 * 128, f.flopsPaper());
        assertEquals(3136L * 128 + 784L * 128 + 27L * 8 * 784, f.macIdealElements());
        assertEquals(64L * 784 * 128, f.macNoCacheElements());
    }

    @Test
    void removeCenter() {
        ForwardCost f = new ForwardCost(problem(1, 56, 56, 128, 8, 3, 1, true), DType.FP32);
        assertEquals(8, f.k());
        assertEquals(192, f.p());
        assertEquals(32L * 3136 * 128, f.flopsPaper());
        assertEquals(2L * 3136 * 128 + 24L * 8 * 3136, f.macIdealElements());
        assertEquals(57L * 3136 * 128, f.macNoCacheElements());
    }

    @Test
    void fp16HalvesTheBytesNotTheCounts() {
        Dcnv4Problem p = problem(2, 28, 28, 256, 8, 3, 1, false);
        ForwardCost f32 = new ForwardCost(p, DType.FP32);
        ForwardCost f16 = new ForwardCost(p, DType.FP16);
        assertEquals(f32.flopsPaper(), f16.flopsPaper());
        assertEquals(f32.macIdealElements(), f16.macIdealElements());
        assertEquals(f32.bytesMin(), 2 * f16.bytesMin());
        assertEquals(f32.bytesMax(4), 2 * f16.bytesMax(4), 1e-6);
        // 128-bit access: ds 4 for fp32, 8 for fp16; fp16 ds=16 is split into two 128-bit accesses
        assertEquals(4, f32.vectorDStride());
        assertEquals(f16.valueLoads(16) * 2 + f16.outputStores(16) * 2 + f16.offsetWeightLoads(16),
                f16.accesses128(16), 1e-6);
        assertEquals(f16.memoryInstructionsVector(8), f16.accesses128(8), 1e-6);
    }

    @Test
    void groupReuseInstructionsShrinkWithDStride() {
        ForwardCost f = new ForwardCost(problem(1, 56, 56, 128, 4, 3, 1, false), DType.FP32);
        long qc = 3136L * 128;
        assertEquals(64.0 * qc, f.memoryInstructionsScalar(1), 1e-6);
        assertEquals(36.0 * qc + 27.0 * qc / 4 + qc, f.memoryInstructionsScalar(4), 1e-6);
        assertEquals(64.0 * qc / 4, f.memoryInstructionsVector(4), 1e-6);
        assertEquals(f.memoryInstructionsDcnv3(), f.macNoCacheElements());
        assertEquals(14.0 * 9 * qc / 4, f.flopsCoeff(4), 1e-6);
        assertEquals(9L * 9 * qc, f.flopsCore());
        assertThrows(IllegalArgumentException.class, () -> f.bytesMax(0));
        assertThrows(IllegalArgumentException.class, () -> f.bytesWithHitRate(4, 1.5));
        assertEquals(f.bytesMin(), f.bytesWithHitRate(4, 1.0), 1e-6);
        assertEquals(f.bytesMax(4), f.bytesWithHitRate(4, 0.0), 1e-6);
    }

    @Test
    void costModelAgreesWithForwardCost() {
        Dcnv4Problem p = problem(64, 56, 56, 128, 4, 3, 1, false);
        CostModel m = new CostModel(p, DType.FP16);
        ForwardCost f = new ForwardCost(p, DType.FP16);
        assertEquals(f.flopsPaper(), m.forwardFlops());
        assertEquals(f.flopsPaper(), m.flops(Direction.FORWARD));
        assertEquals(f.bytesMin(), m.forwardIdealBytes());
        assertEquals(f.q(), m.positions());
    }

    @Test
    void backwardFormulas() {
        // worked numbers for 1,8,8,32 G=2 D=16 K=9, fp16, ds=1: Q=S=64, P=56
        Dcnv4Problem p = problem(1, 8, 8, 32, 2, 3, 1, false);
        BackwardCost b = new BackwardCost(p, DType.FP16);
        long kqc = 9L * 64 * 32;
        assertEquals(4 * kqc, b.atomics());
        assertEquals(3 * 4 * kqc, b.flopsPaper());
        assertEquals(41.0 * kqc + 14.0 * kqc + 3.0 * 9 * 64 * 2 * 16, b.flops(1), 1e-6);
        long grads = 64L * 32 + 64L * 56;
        long reads = 2L * (64 * 32 + 64 * 32 + 64 * 56);
        assertEquals(reads + 8 * grads + 6 * grads, b.bytesMin());
        assertEquals(2.0 * (4 * kqc + 64 * 32 + 3 * kqc) + 8.0 * 4 * kqc + 4.0 * 3 * 9 * 64 * 2, b.bytesMax(1), 1e-6);
        // fp32: no cast pass
        BackwardCost b32 = new BackwardCost(p, DType.FP32);
        assertEquals(4L * (64 * 32 + 64 * 32 + 64 * 56) + 8 * grads, b32.bytesMin());
    }
}
