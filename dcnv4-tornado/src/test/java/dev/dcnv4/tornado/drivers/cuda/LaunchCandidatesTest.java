package dev.dcnv4.tornado.drivers.cuda;

import dev.dcnv4.arrays.DType;
import dev.dcnv4.op.Dcnv4Config;
import dev.dcnv4.op.Dcnv4Problem;
import dev.dcnv4.op.Direction;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class LaunchCandidatesTest {

    /** The paper's operator-benchmark shapes (performance-targets.md), D = 32. */
    static final List<Dcnv4Problem> PAPER = List.of(
            problem(64, 56, 56, 4, 32), problem(64, 28, 28, 8, 32), problem(64, 14, 14, 16, 32),
            problem(64, 7, 7, 32, 32), problem(64, 14, 14, 24, 32), problem(1, 200, 320, 4, 32),
            problem(1, 100, 160, 8, 32), problem(1, 50, 80, 16, 32), problem(1, 25, 40, 32, 32),
            problem(1, 64, 64, 32, 32));

    static Dcnv4Problem problem(int n, int h, int w, int g, int d) {
        return Dcnv4Problem.of(Dcnv4Config.builder().groups(g).groupChannels(d).offsetScale(2f).build(), n, h, w);
    }

    @Test
    void everyCandidateRespectsTheRules() {
        for (Dcnv4Problem p : PAPER) {
            for (DType t : DType.values()) {
                for (Direction dir : Direction.values()) {
                    List<LaunchConfig> all = LaunchCandidates.all(p, t, dir, 1024, false);
                    assertFalse(all.isEmpty(), p + " " + t + " " + dir);
                    for (LaunchConfig c : all) {
                        int d = p.config().groupChannels();
                        assertEquals(0, p.positions() % c.positionsPerBlock(), "block straddles images: " + c);
                        assertEquals(0, d % c.dStride(), c.toString());
                        assertTrue(c.blockThreads(p.config().groups(), d) <= 1024, c.toString());
                        assertTrue(c.positionsPerBlock() <= LaunchCandidates.MAX_POSITIONS, c.toString());
                        int bytes = dir == Direction.FORWARD ? t.bytes() : 4;
                        assertTrue(c.dStride() * bytes <= (dir == Direction.FORWARD ? 32 : 16), c.toString());
                        assertTrue(dir == Direction.BACKWARD || !c.deterministic(), "deterministic forward: " + c);
                    }
                }
            }
        }
    }

    @Test
    void theOfficialStraddlingChoicesAreNeverCandidates() {
        // std-s16 (Q = 196) and std-s32 (Q = 49): the official heuristic picks m = 8 and m = 4
        Dcnv4Problem s16 = PAPER.get(2), s32 = PAPER.get(3);
        assertTrue(LaunchCandidates.all(s16, DType.FP16, Direction.FORWARD, 1024, false).stream()
                .noneMatch(c -> c.positionsPerBlock() == 8));
        assertTrue(LaunchCandidates.all(s32, DType.FP16, Direction.FORWARD, 1024, false).stream()
                .noneMatch(c -> c.positionsPerBlock() == 4));
        assertEquals(List.of(1, 2, 4, 7, 14, 28, 49), LaunchCandidates.positionsPerBlock(196));
        assertEquals(List.of(1, 7, 49), LaunchCandidates.positionsPerBlock(49));
    }

    @Test
    void strideRulesFollowDtypeAndDirection() {
        assertEquals(List.of(1, 2, 4, 8, 16), LaunchCandidates.dStrides(32, DType.FP16, Direction.FORWARD));
        assertEquals(List.of(1, 2, 4, 8), LaunchCandidates.dStrides(32, DType.FP32, Direction.FORWARD));
        assertEquals(List.of(1, 2, 4), LaunchCandidates.dStrides(32, DType.BF16, Direction.BACKWARD));
        assertEquals(List.of(1, 2, 4), LaunchCandidates.dStrides(12, DType.FP16, Direction.FORWARD));
        assertEquals(List.of(1), LaunchCandidates.dStrides(7, DType.FP32, Direction.FORWARD));
    }

    @Test
    void deterministicRequirementKeepsOnlyDeterministicBackwardCandidates() {
        Dcnv4Problem p = PAPER.getFirst();
        List<LaunchConfig> both = LaunchCandidates.all(p, DType.FP32, Direction.BACKWARD, 1024, false);
        List<LaunchConfig> det = LaunchCandidates.all(p, DType.FP32, Direction.BACKWARD, 1024, true);
        assertTrue(det.stream().allMatch(LaunchConfig::deterministic));
        assertEquals(both.size(), 2 * det.size());
        assertTrue(LaunchCandidates.all(p, DType.FP32, Direction.FORWARD, 1024, true).stream()
                .noneMatch(LaunchConfig::deterministic));
    }

    @Test
    void smallerBlockLimitsGiveFewerCandidates() {
        Dcnv4Problem p = PAPER.getFirst();
        List<LaunchConfig> small = LaunchCandidates.all(p, DType.FP16, Direction.FORWARD, 128, false);
        assertTrue(small.size() < LaunchCandidates.all(p, DType.FP16, Direction.FORWARD, 1024, false).size());
        assertTrue(small.stream().allMatch(c -> c.blockThreads(4, 32) <= 128));
    }

    @Test
    void defaultIsOneSixteenByteAccessAndAStraddleFreeBlockOfAtMost256Threads() {
        for (Dcnv4Problem p : PAPER) {
            for (DType t : DType.values()) {
                LaunchConfig f = LaunchCandidates.defaultConfig(p, t, Direction.FORWARD, 1024, false);
                assertEquals(16 / t.bytes(), f.dStride(), p + " " + t);
                assertEquals(0, p.positions() % f.positionsPerBlock());
                assertTrue(f.blockThreads(p.config().groups(), 32) <= 256, f.toString());
                LaunchConfig b = LaunchCandidates.defaultConfig(p, t, Direction.BACKWARD, 1024, true);
                assertEquals(1, b.dStride());   // the official backward stride for D = 32
                assertTrue(b.deterministic());
                assertEquals(0, p.positions() % b.positionsPerBlock());
            }
        }
        // std-s4 fp16: ds 8 -> 4 threads per group * 4 groups = 16 per position; 16 positions = 256 threads
        assertEquals(new LaunchConfig(8, 16, false),
                LaunchCandidates.defaultConfig(PAPER.getFirst(), DType.FP16, Direction.FORWARD, 1024, false));
        // D = 64 backward: official stride 2
        assertEquals(2, LaunchCandidates.defaultConfig(problem(1, 8, 8, 2, 64), DType.FP32, Direction.BACKWARD,
                1024, false).dStride());
        // G = 80, D = 16 (FlashInternImage-L stage 4): 1280 threads at stride 1, so a wider stride is taken
        LaunchConfig wide = LaunchCandidates.defaultConfig(problem(1, 7, 7, 80, 16), DType.FP32, Direction.BACKWARD,
                1024, false);
        assertEquals(2, wide.dStride());
        assertEquals(1, wide.positionsPerBlock());
    }
}
