package dev.dcnv4.analysis;

import dev.dcnv4.arrays.DType;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DevicePresetTest {

    @Test
    void presetsCarryDatasheetNumbers() {
        assertEquals(3.35e12, DevicePresets.byId("h100").bandwidthBytes());
        assertEquals(4.8e12, DevicePresets.byId("H200").bandwidthBytes());
        assertEquals(2.039e12, DevicePresets.byId("a100").bandwidthBytes());
        assertEquals(19.5e12, DevicePresets.A100.peakFp32Flops());
        assertTrue(DevicePresets.H100.source().contains("datasheet"));
        assertThrows(IllegalArgumentException.class, () -> DevicePresets.byId("v100"));
    }

    @Test
    void roofUsesMultiplyAddsAtTheFp32Peak() {
        DevicePreset a = DevicePresets.A100;
        assertEquals(9.75e12, a.peakMultiplyAdds(DType.FP16));
        assertEquals(9.75e12 / 2.039e12, a.ridgeIntensity(DType.FP32), 1e-12);
        assertEquals(2.039e12, a.attainable(1.0, DType.FP32));
        assertEquals(9.75e12, a.attainable(100.0, DType.FP32));
        // the worked example on the A100: 6.26 multiply-adds per byte is right of the ridge (4.78),
        // so the fp32 arithmetic (0.925 G / 9.75 T/s) bounds it, not the 147.7 MB at 2.039 TB/s
        assertEquals(924_844_032L / 9.75e12, a.boundSeconds(924_844_032L, 147_718_144L, DType.FP16), 1e-15);
        // on the H100 (ridge ~10) the same call is memory bound
        assertEquals(147_718_144 / 3.35e12, DevicePresets.H100.boundSeconds(924_844_032L, 147_718_144L, DType.FP16),
                1e-15);
    }

    @Test
    void bandwidthOverride() {
        DevicePreset m = DevicePresets.H100.withBandwidth(DevicePresets.H100_MEASURED_COPY_BYTES, "measured copy");
        assertEquals(3014e9, m.bandwidthBytes());
        assertTrue(m.measured());
        assertEquals(DevicePresets.H100.peakFp32Flops(), m.peakFp32Flops());
    }

    @Test
    void resultsAreMatchedToTheirDevice() {
        DevicePreset fb = DevicePresets.A100;
        assertSame(DevicePresets.H100, DevicePresets.forResult("cuda:0", "NVIDIA H100 80GB HBM3", fb));
        assertSame(DevicePresets.H200, DevicePresets.forResult("cuda:0", "NVIDIA H200", fb));
        assertSame(fb, DevicePresets.forResult("opencl:1", "Some GPU", fb));
    }

    @Test
    void cpuIsMeasured() {
        DevicePreset cpu = DevicePresets.cpu();
        assertTrue(cpu.measured());
        assertTrue(cpu.bandwidthBytes() > 1e8, "copy bandwidth " + cpu.bandwidthBytes());
        assertTrue(cpu.source().startsWith("measured here"));
        assertSame(cpu, DevicePresets.byId("cpu"));
        assertSame(cpu, DevicePresets.forResult("java", "Java CPU", DevicePresets.H100));
    }
}
