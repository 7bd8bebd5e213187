package dev.dcnv4.bench.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.dcnv4.arrays.DType;
import dev.dcnv4.arrays.NativeArray;
import dev.dcnv4.bench.run.BenchRunner;
import dev.dcnv4.bench.run.BenchSpec;
import dev.dcnv4.device.Dcnv4Device;
import dev.dcnv4.device.DeviceInfo;
import dev.dcnv4.device.Devices;
import dev.dcnv4.op.Dcnv4Problem;
import dev.dcnv4.op.Direction;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The bench verifies every timed case: a wrong device gets FAIL, no timing in the JSON and exit 1. */
class BenchVerifyTest {
    private static final BenchRunner.Settings ONE_RUN = new BenchRunner.Settings(0, 1, 0, 1, 1);

    /** Device java, except that the chosen direction's result is off in one element of image 0. */
    static final class WrongDevice implements Dcnv4Device {
        private final Dcnv4Device real = Devices.open("java");
        private final Direction wrong;

        WrongDevice(Direction wrong) {
            this.wrong = wrong;
        }

        @Override
        public String id() {
            return "wrong";
        }

        @Override
        public String name() {
            return "java with a wrong " + wrong.label();
        }

        @Override
        public DeviceInfo info() {
            return real.info();
        }

        @Override
        public void forward(Dcnv4Problem p, NativeArray in, NativeArray om, NativeArray out) {
            real.forward(p, in, om, out);
            if (wrong == Direction.FORWARD) {
                out.setFloat(7, out.getFloat(7) + 0.25f);
            }
        }

        @Override
        public void backward(Dcnv4Problem p, NativeArray in, NativeArray om, NativeArray go, NativeArray gi,
                             NativeArray gom) {
            real.backward(p, in, om, go, gi, gom);
            if (wrong == Direction.BACKWARD) {
                gom.setFloat(3, gom.getFloat(3) + 1f);
            }
        }

        @Override
        public boolean deterministicBackward() {
            return true;
        }

        @Override
        public void close() {
            real.close();
        }
    }

    private static List<BenchSpec> cases(DType t) {
        BenchSpec f = new BenchSpec("tiny", 2, 6, 5, 24, 3, 3, 1, t, Direction.FORWARD);
        return List.of(f, f.with(t, Direction.BACKWARD));
    }

    @Test
    void wrongForwardIsRejectedAndLeftOutOfTheJson(@TempDir Path dir) throws Exception {
        Path json = dir.resolve("b.json");
        try (Dcnv4Device d = new WrongDevice(Direction.FORWARD)) {
            assertEquals(1, BenchCommand.bench(d, cases(DType.FP32), ONE_RUN, true, false, json));
        }
        JsonNode results = new ObjectMapper().readTree(json.toFile()).get("results");
        assertEquals(1, results.size(), results.toString());          // the backward only
        assertEquals("backward", results.get(0).get("direction").asText());
        assertTrue(results.get(0).get("verified").asBoolean());
    }

    @Test
    void wrongBackwardIsRejectedInFp16Too(@TempDir Path dir) throws Exception {
        Path json = dir.resolve("b.json");
        try (Dcnv4Device d = new WrongDevice(Direction.BACKWARD)) {
            assertEquals(1, BenchCommand.bench(d, cases(DType.FP16), ONE_RUN, true, false, json));
        }
        JsonNode results = new ObjectMapper().readTree(json.toFile()).get("results");
        assertEquals(1, results.size(), results.toString());
        assertEquals("forward", results.get(0).get("direction").asText());
    }

    @Test
    void correctDevicePassesWithItsErrorInTheJson(@TempDir Path dir) throws Exception {
        Path json = dir.resolve("b.json");
        try (Dcnv4Device d = Devices.open("java")) {
            assertEquals(0, BenchCommand.bench(d, cases(DType.FP32), ONE_RUN, true, false, json));
        }
        JsonNode results = new ObjectMapper().readTree(json.toFile()).get("results");
        assertEquals(2, results.size());
        for (JsonNode r : results) {
            assertTrue(r.get("verified").asBoolean(), r.toString());
            double err = r.get("max_rel_err").asDouble();
            assertTrue(err >= 0 && err <= 1e-5, r.toString());
        }
    }

    @Test
    void noVerifyTimesEvenAWrongDeviceAndSaysSo(@TempDir Path dir) throws Exception {
        Path json = dir.resolve("b.json");
        try (Dcnv4Device d = new WrongDevice(Direction.FORWARD)) {
            assertEquals(0, BenchCommand.bench(d, cases(DType.FP32), ONE_RUN, false, false, json));
        }
        JsonNode results = new ObjectMapper().readTree(json.toFile()).get("results");
        assertEquals(2, results.size());
        for (JsonNode r : results) {
            assertFalse(r.get("verified").asBoolean(), r.toString());
            assertFalse(r.has("max_rel_err"), r.toString());
        }
    }

    @Test
    void noVerifyOptionOnTheCommandLine(@TempDir Path dir) throws Exception {
        Path json = dir.resolve("b.json");
        int rc = Dcnv4Command.commandLine().execute("bench", "--shape", "1,6,5,24", "--groups", "3", "--device",
                "java", "--no-verify", "--warmup-runs", "0", "--warmup-seconds", "0", "--runs", "1", "--seconds", "0",
                "--json", json.toString());
        assertEquals(0, rc);
        JsonNode r = new ObjectMapper().readTree(json.toFile()).get("results").get(0);
        assertFalse(r.get("verified").asBoolean(), r.toString());
    }
}
