package dev.dcnv4.analysis;

import java.util.List;
import java.util.Locale;

/**
 * The known devices. GPU numbers are vendor figures (boost clock, non-tensor FP32/FP16, peak
 * DRAM bandwidth); the {@code cpu} preset is measured on the spot by {@link CpuProbe}.
 *
 * <p>Sources, by title:
 * <ul>
 *   <li>H100 SXM5: "NVIDIA H100 Tensor Core GPU" datasheet (80 GB HBM3, 3.35 TB/s, FP32 67 TFLOPS)
 *       and "NVIDIA H100 Tensor Core GPU Architecture" whitepaper (FP32 66.9, FP16 non-tensor 133.8
 *       TFLOPS at the 1.98 GHz boost clock). Measured here: 3014 GB/s device copy bandwidth
 *       (read + write), docs/performance-targets.md.</li>
 *   <li>H200 SXM: "NVIDIA H200 Tensor Core GPU" datasheet (141 GB HBM3e, 4.8 TB/s); same GH100
 *       compute as the H100 SXM5 (FP32 67, FP16 non-tensor 133.8 TFLOPS).</li>
 *   <li>A100 80GB SXM: "NVIDIA A100 Tensor Core GPU" datasheet (HBM2e 2,039 GB/s, FP32 19.5
 *       TFLOPS) and "NVIDIA A100 Tensor Core GPU Architecture" whitepaper (FP16 non-tensor 78 TFLOPS).</li>
 * </ul>
 */
public final class DevicePresets {

    /** Device copy bandwidth measured on the project's H100 (docs/performance-targets.md), bytes/s. */
    public static final double H100_MEASURED_COPY_BYTES = 3014e9;

    public static final DevicePreset H100 = new DevicePreset("h100", "NVIDIA H100 SXM5 80GB", 3.35e12, 66.9e12,
            133.8e12, "NVIDIA H100 Tensor Core GPU datasheet (3.35 TB/s HBM3, FP32 67 TFLOPS); H100 architecture "
            + "whitepaper (FP16 non-tensor 133.8 TFLOPS)", false);

    public static final DevicePreset H200 = new DevicePreset("h200", "NVIDIA H200 SXM 141GB", 4.8e12, 66.9e12,
            133.8e12, "NVIDIA H200 Tensor Core GPU datasheet (4.8 TB/s HBM3e); compute as H100 SXM5", false);

    public static final DevicePreset A100 = new DevicePreset("a100", "NVIDIA A100 SXM 80GB", 2.039e12, 19.5e12,
            78e12, "NVIDIA A100 Tensor Core GPU datasheet (2,039 GB/s HBM2e, FP32 19.5 TFLOPS); A100 architecture "
            + "whitepaper (FP16 non-tensor 78 TFLOPS)", false);

    public static final List<String> IDS = List.of("h100", "h200", "a100", "cpu");

    private static volatile DevicePreset cpu;

    private DevicePresets() {
    }

    /** The preset named {@code id} (h100, h200, a100, cpu); cpu is measured once per JVM. */
    public static DevicePreset byId(String id) {
        return switch (id.toLowerCase(Locale.ROOT)) {
            case "h100" -> H100;
            case "h200" -> H200;
            case "a100" -> A100;
            case "cpu" -> cpu();
            default -> throw new IllegalArgumentException("device preset: expected one of " + IDS + " but was " + id);
        };
    }

    /** This machine, measured now (copy bandwidth) and estimated (peak), cached for the JVM. */
    public static DevicePreset cpu() {
        DevicePreset p = cpu;
        if (p == null) {
            synchronized (DevicePresets.class) {
                if (cpu == null) {
                    cpu = CpuProbe.measure();
                }
                p = cpu;
            }
        }
        return p;
    }

    /**
     * The preset matching a measured result: GPUs recognised by name, CPU devices ("java",
     * "reference", "cpu" ids) get the measured cpu preset, anything else {@code fallback}.
     */
    public static DevicePreset forResult(String deviceId, String deviceName, DevicePreset fallback) {
        String n = ((deviceName == null ? "" : deviceName) + " " + (deviceId == null ? "" : deviceId))
                .toUpperCase(Locale.ROOT);
        if (n.contains("H100")) {
            return fallback.id().equals("h100") ? fallback : H100;
        }
        if (n.contains("H200")) {
            return fallback.id().equals("h200") ? fallback : H200;
        }
        if (n.contains("A100")) {
            return fallback.id().equals("a100") ? fallback : A100;
        }
        String id = deviceId == null ? "" : deviceId.toLowerCase(Locale.ROOT);
        if (id.equals("java") || id.equals("reference") || id.startsWith("cpu")) {
            return fallback.id().equals("cpu") ? fallback : cpu();
        }
        return fallback;
    }
}
