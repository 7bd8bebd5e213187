package dev.dcnv4.tornado;

import dev.dcnv4.arrays.DType;
import dev.dcnv4.device.Dcnv4Device;
import dev.dcnv4.device.DeviceException;
import dev.dcnv4.device.Devices;
import org.junit.jupiter.api.Assumptions;

/** Shared helpers: the OpenCL device (tests skip with the reason when there is none) and error measures. */
public final class OpenClTestSupport {
    private static Dcnv4Device device;
    private static String unavailable;

    private OpenClTestSupport() {
    }

    /** The shared opencl:0 device; skips the calling test when OpenCL is unavailable. */
    public static synchronized Dcnv4Device device() {
        if (device == null && unavailable == null) {
            try {
                device = Devices.open("opencl");
            } catch (DeviceException e) {
                unavailable = e.getMessage();
            }
        }
        Assumptions.assumeTrue(device != null, () -> "no OpenCL device: " + unavailable);
        return device;
    }

    /** Tolerance of the golden protocol per storage type (max abs error / max abs expected). */
    public static double tolerance(DType t) {
        return switch (t) {
            case FP32 -> 1e-5;
            case FP16 -> 8e-4;
            case BF16 -> 6e-3;
        };
    }

    /** max |a - e| / max |e| (max |e| taken as 1 when all expected values are 0). */
    public static double relError(float[] actual, double[] expected) {
        double maxErr = 0, maxRef = 0;
        for (int i = 0; i < expected.length; i++) {
            maxErr = Math.max(maxErr, Math.abs(actual[i] - expected[i]));
            maxRef = Math.max(maxRef, Math.abs(expected[i]));
        }
        return maxErr / (maxRef == 0 ? 1 : maxRef);
    }
}
