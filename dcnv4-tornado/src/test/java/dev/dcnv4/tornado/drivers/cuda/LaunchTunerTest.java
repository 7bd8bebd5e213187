package dev.dcnv4.tornado.drivers.cuda;

import dev.dcnv4.arrays.DType;
import dev.dcnv4.device.DeviceException;
import dev.dcnv4.op.Dcnv4Problem;
import dev.dcnv4.op.Direction;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class LaunchTunerTest {

    /** A fake device: time = 1/(ds*m) (bigger is faster), wrong for one chosen configuration. */
    static final class FakeEvaluator implements LaunchTuner.Evaluator {
        final LaunchConfig wrong;
        final List<LaunchConfig> timed = new ArrayList<>();
        int validations;

        FakeEvaluator(LaunchConfig wrong) {
            this.wrong = wrong;
        }

        @Override
        public String validate(LaunchConfig c) {
            validations++;
            return c.equals(wrong) ? "max error 6.5 vs reference" : null;
        }

        @Override
        public double millis(LaunchConfig c) {
            timed.add(c);
            return 1.0 / (c.dStride() * c.positionsPerBlock());
        }
    }

    @Test
    void picksTheFastestCorrectCandidateAndNeverTimesWrongOnes() {
        LaunchConfig fastestButWrong = new LaunchConfig(8, 64, false);
        List<LaunchConfig> cands = List.of(new LaunchConfig(4, 16, false), fastestButWrong,
                new LaunchConfig(8, 32, false), new LaunchConfig(2, 64, false));
        FakeEvaluator ev = new FakeEvaluator(fastestButWrong);
        LaunchTuner.Result r = LaunchTuner.select(cands, ev);
        assertEquals(new LaunchConfig(8, 32, false), r.choice());
        assertEquals(1.0 / 256, r.millis());
        assertEquals(4, r.tried());
        assertEquals(1, r.rejected().size());
        assertTrue(r.rejected().getFirst().contains("6.5"));
        assertTrue(ev.timed.stream().noneMatch(fastestButWrong::equals));
    }

    @Test
    void allWrongIsAnErrorNotAChoice() {
        LaunchConfig only = new LaunchConfig(1, 1, false);
        DeviceException e = assertThrows(DeviceException.class,
                () -> LaunchTuner.select(List.of(only), new FakeEvaluator(only)));
        assertTrue(e.getMessage().contains("wrong results"), e.getMessage());
    }

    @Test
    void tunesOncePersistsAndReusesTheChoice(@TempDir Path dir) {
        Path file = dir.resolve("tuning.json");
        Dcnv4Problem p = LaunchCandidatesTest.PAPER.get(2);   // std-s16, Q = 196
        FakeEvaluator ev = new FakeEvaluator(null);
        LaunchTuner tuner = new LaunchTuner(new TuningStore(file), true);
        LaunchConfig c = tuner.choose("Fake GPU", p, DType.FP16, Direction.FORWARD, false, 1024, ev);
        int calls = ev.validations;
        assertEquals(LaunchCandidates.all(p, DType.FP16, Direction.FORWARD, 1024, false).size(), calls);
        assertEquals(0, p.positions() % c.positionsPerBlock());
        assertTrue(Files.isRegularFile(file));

        // same key again, and from a fresh tuner reading the file: no evaluation at all
        assertEquals(c, tuner.choose("Fake GPU", p, DType.FP16, Direction.FORWARD, false, 1024, ev));
        LaunchTuner other = new LaunchTuner(new TuningStore(file), true);
        assertEquals(c, other.choose("Fake GPU", p, DType.FP16, Direction.FORWARD, false, 1024, ev));
        assertEquals(calls, ev.validations);

        // another dtype, direction or device is another key
        other.choose("Fake GPU", p, DType.FP32, Direction.FORWARD, false, 1024, ev);
        assertTrue(ev.validations > calls);
        assertEquals(2, new TuningStore(file).all().size());
    }

    @Test
    void tuningOffUsesTheDefaultWithoutEvaluating(@TempDir Path dir) {
        Dcnv4Problem p = LaunchCandidatesTest.PAPER.getFirst();
        LaunchTuner tuner = new LaunchTuner(new TuningStore(dir.resolve("t.json")), false);
        FakeEvaluator ev = new FakeEvaluator(null);
        LaunchConfig c = tuner.choose("Fake GPU", p, DType.FP16, Direction.BACKWARD, true, 1024, ev);
        assertEquals(LaunchCandidates.defaultConfig(p, DType.FP16, Direction.BACKWARD, 1024, true), c);
        assertEquals(0, ev.validations);
        assertTrue(Files.notExists(dir.resolve("t.json")));
    }

    @Test
    void jsonRoundTripKeepsEveryField(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("sub/tuning.json");
        TuningStore s = new TuningStore(file);
        TuningStore.Entry e = new TuningStore.Entry(8, 14, false, 0.0612, 36, 2, "2026-11-27T22:00:00Z");
        TuningStore.Entry b = new TuningStore.Entry(2, 7, true, 0.5, 20, 0, "2026-11-27T22:01:00Z");
        s.put("dev|fwd", e);
        s.put("dev|bwd", b);
        Map<String, TuningStore.Entry> back = new TuningStore(file).all();
        assertEquals(Map.of("dev|fwd", e, "dev|bwd", b), back);
        assertEquals(new LaunchConfig(2, 7, true), back.get("dev|bwd").config());
        assertTrue(Files.readString(file).contains("\"positionsPerBlock\" : 14"));
    }

    @Test
    void keysNameDeviceShapeDtypeAndDirection() {
        Dcnv4Problem p = LaunchCandidatesTest.PAPER.getFirst();
        assertEquals("NVIDIA H100|N64 H56 W56 G4 D32 k3x3 s1x1 p1x1 d1x1|fp16|forward",
                LaunchTuner.key("NVIDIA H100", p, DType.FP16, Direction.FORWARD, false));
        assertEquals("NVIDIA H100|N64 H56 W56 G4 D32 k3x3 s1x1 p1x1 d1x1|fp32|backward|deterministic",
                LaunchTuner.key("NVIDIA H100", p, DType.FP32, Direction.BACKWARD, true));
    }
}
