package dev.dcnv4.analysis;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.dcnv4.arrays.DType;
import dev.dcnv4.op.Direction;
import org.junit.jupiter.api.Test;

import java.math.BigDecimal;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

class AnalyzerTest {

    static MeasuredResult result(int n, int c, int g, DType t, Direction d, String ms) {
        return new MeasuredResult("cuda:0", "NVIDIA A100-SXM4-80GB", null, new int[] {n, 56, 56, c}, g, 3, 1, t, d,
                new BigDecimal(ms), null, null, null);
    }

    @Test
    void requestedShapesFirstThenMeasuredShapesInOrder() {
        var req = new Analyzer.Request(ForwardCostTest.problem(64, 56, 56, 128, 4, 3, 1, false), DType.FP16, 0);
        List<MeasuredResult> rs = List.of(
                result(1, 128, 4, DType.FP32, Direction.FORWARD, "1.5"),
                result(64, 128, 4, DType.FP16, Direction.FORWARD, "0.2"),
                result(64, 128, 4, DType.FP16, Direction.BACKWARD, "1.1"),
                result(1, 128, 4, DType.FP32, Direction.BACKWARD, "3.5"));
        List<ShapeAnalysis> a = Analyzer.analyze(List.of(req), rs, DevicePresets.H100);
        assertEquals(2, a.size());
        assertEquals(64, a.get(0).problem().batch());
        assertEquals(2, a.get(0).measured().size());
        assertEquals(8, a.get(0).ds());           // fp16: 128-bit = 8 halves
        assertEquals(1, a.get(0).dsBackward());   // D = 32 < 64
        assertEquals(1, a.get(1).problem().batch());
        assertEquals(DevicePresets.A100, a.get(1).measured().get(0).device());
        var json = a.get(0).toJson(new ObjectMapper());
        assertEquals("0.2", json.at("/measured/0/median_ms").decimalValue().toPlainString());
        assertEquals("a100", json.at("/measured/0/roof_device").asText());
        assertEquals(147_718_144L, json.get("bytes_min").asLong());
    }

    @Test
    void explicitDStrideIsKept() {
        var req = new Analyzer.Request(ForwardCostTest.problem(1, 8, 8, 64, 4, 3, 1, false), DType.FP32, 2);
        ShapeAnalysis a = Analyzer.analyze(List.of(req), List.of(), DevicePresets.H200).get(0);
        assertEquals(2, a.ds());
        // D = 16: 16 % 4 == 0, default would be 4
        assertEquals(4, ShapeAnalysis.of(req.problem(), DType.FP32, DevicePresets.H200, List.of()).ds());
    }
}
