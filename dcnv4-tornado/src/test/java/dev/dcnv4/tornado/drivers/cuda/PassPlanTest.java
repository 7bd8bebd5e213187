package dev.dcnv4.tornado.drivers.cuda;

import dev.dcnv4.kernels.KernelSource;
import dev.dcnv4.op.Dcnv4Config;
import dev.dcnv4.op.Dcnv4Problem;
import dev.dcnv4.op.Direction;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;

class PassPlanTest {
    // std-s4 at batch 2: Q = 3136, G = 4, D = 32
    static final Dcnv4Problem P = Dcnv4Problem.of(Dcnv4Config.builder().groups(4).groupChannels(32).build(), 2, 56, 56);

    private static List<String> entries(List<PassPlan.Step> steps) {
        return steps.stream().map(s -> s instanceof PassPlan.Launch l ? l.entry()
                : "zero " + ((PassPlan.Zero) s).buffer()).toList();
    }

    @Test
    void forwardIsOneLaunchCoveringEveryPositionGroupAndChannelChunk() {
        LaunchConfig c = new LaunchConfig(8, 16, false);
        List<PassPlan.Step> s = PassPlan.steps(P, Direction.FORWARD, c, false, false);
        PassPlan.Launch l = assertInstanceOf(PassPlan.Launch.class, s.getFirst());
        assertEquals(1, s.size());
        assertEquals(KernelSource.FORWARD, l.entry());
        assertEquals(4 * 4 * 16, l.blockThreads());                 // (D/ds) * G * m
        assertEquals(2 * 3136 / 16, l.blocks());                     // N*Q/m
        assertEquals(2L * 3136 * 4 * (32 / 8), (long) l.blocks() * l.blockThreads());   // work items of the kernel
        assertEquals(List.of(PassPlan.Buf.INPUT, PassPlan.Buf.OFFSET_MASK, PassPlan.Buf.OUTPUT, 2, 56, 56, 56, 56, 1f),
                l.args());
    }

    @Test
    void backwardSequencesForEachVariant() {
        assertEquals(List.of("zero GIN32", "zero GOM32", KernelSource.BACKWARD),
                entries(PassPlan.steps(P, Direction.BACKWARD, new LaunchConfig(1, 2, false), false, false)));
        assertEquals(List.of("zero GIN32", "zero GOM32", KernelSource.BACKWARD, "zero RADIUS",
                        KernelSource.BACKWARD_RADIUS, KernelSource.BACKWARD_GATHER, KernelSource.STORE_F32,
                        KernelSource.STORE_F32),
                entries(PassPlan.steps(P, Direction.BACKWARD, new LaunchConfig(1, 2, true), true, true)));
        assertEquals(List.of("zero GIN32", "zero GOM32", KernelSource.BACKWARD, KernelSource.STORE_F32),
                entries(PassPlan.steps(P, Direction.BACKWARD, new LaunchConfig(2, 2, false), false, true)));
    }

    @Test
    void backwardBlockHoldsBpgPairsOfLanes() {
        LaunchConfig c = new LaunchConfig(2, 4, true);
        List<PassPlan.Step> s = PassPlan.steps(P, Direction.BACKWARD, c, false, false);
        PassPlan.Launch main = (PassPlan.Launch) s.get(2);
        assertEquals(4 * 4 * 16, main.blockThreads());      // BPG = m*G = 16 pairs, D/ds = 16 lanes each
        assertEquals(2 * 3136 / 4, main.blocks());
        assertEquals(0, main.args().getLast());              // gin_atomic off in the deterministic variant
        PassPlan.Launch gather = (PassPlan.Launch) s.get(5);
        assertEquals((2L * 56 * 56 * 4 * 16 + 255) / 256, gather.blocks());   // N*H*W*G*(D/ds) items
    }

    @Test
    void aBlockThatWouldStraddleTheLaunchIsRejected() {
        assertThrows(IllegalArgumentException.class,
                () -> PassPlan.steps(P, Direction.FORWARD, new LaunchConfig(8, 5, false), false, false));
    }
}
