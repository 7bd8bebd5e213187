package dev.dcnv4.tornado;

import dev.dcnv4.arrays.DType;
import dev.dcnv4.golden.GoldenChecker;
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
        return GoldenChecker.tolerance(t);
    }

    /** The golden protocol's error, max |a - e| / max |e| (absolute when all expected values are 0). */
    public static double relError(float[] actual, double[] expected) {
        return GoldenChecker.relativeError(actual, expected);
    }
}
