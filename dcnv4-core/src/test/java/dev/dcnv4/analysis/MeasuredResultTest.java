package dev.dcnv4.analysis;

import dev.dcnv4.arrays.DType;
import dev.dcnv4.op.Direction;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

class MeasuredResultTest {

    @Test
    void readsBenchJsonKeepingNumbersAsWritten(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("r.json");
        Files.writeString(f, """
                {"results":[
                 {"device":"java","device_name":"Java CPU","name":"std-s4","shape":[1,56,56,128],"groups":4,
                  "dtype":"fp16","direction":"forward","median_ms":1.250,"min_ms":1.1875,"gbps":7.5,"gflops":0.4,
                  "kernel":3,"stride":1,"extra":"ignored"},
                 {"device":"cuda:0","shape":[64,28,28,256],"groups":8,"dtype":"fp32","direction":"backward",
                  "median_ms":1.2e-1}
                ]}""");
        List<MeasuredResult> rs = MeasuredResult.read(f);
        assertEquals(2, rs.size());
        MeasuredResult a = rs.get(0);
        assertEquals("1.250", MeasuredResult.plain(a.medianMs()));
        assertEquals("1.1875", MeasuredResult.plain(a.minMs()));
        assertEquals(DType.FP16, a.dtype());
        assertEquals(Direction.FORWARD, a.direction());
        assertEquals("1,56,56,128 G=4", a.shapeLabel());
        assertEquals(32, a.problem().config().groupChannels());
        MeasuredResult b = rs.get(1);
        assertEquals("0.12", MeasuredResult.plain(b.medianMs()));
        assertEquals(3, b.kernel());
        assertNull(b.gbps());
        assertEquals("-", MeasuredResult.plain(b.gbps()));
    }

    @Test
    void badEntriesAreNamed(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("bad.json");
        Files.writeString(f, "{\"results\":[{\"device\":\"java\",\"shape\":[1,8,8,30],\"groups\":4,"
                + "\"dtype\":\"fp32\",\"direction\":\"forward\",\"median_ms\":1}]}");
        var e = assertThrows(IllegalArgumentException.class, () -> MeasuredResult.read(f));
        assertEquals(true, e.getMessage().contains("results[0]"), e.getMessage());
        Files.writeString(f, "{\"nothing\":1}");
        assertThrows(IllegalArgumentException.class, () -> MeasuredResult.read(f));
    }

    @Test
    void measuredPointUsesCostModelCounts() {
        MeasuredResult r = new MeasuredResult("cuda:0", "NVIDIA H100 80GB HBM3", "std-s4", new int[] {64, 56, 56, 128}, 4,
                3, 1, DType.FP16, Direction.FORWARD, new java.math.BigDecimal("0.223"), null, null, null);
        MeasuredPoint p = MeasuredPoint.of(r, DevicePresets.A100);
        assertEquals(DevicePresets.H100, p.device());
        assertEquals(924_844_032L, p.flops());
        assertEquals(147_718_144L, p.idealBytes());
        assertEquals(924_844_032L / 0.223e-3, p.opsPerSecond(), 1);
        assertEquals(147_718_144L / 3.35e12 * 1e3, p.boundMs(), 1e-12);
        assertEquals(p.boundMs() / 0.223, p.fractionOfRoof(), 1e-12);
    }
}
