package dev.dcnv4.tornado.drivers.cuda;

import dev.dcnv4.device.DeviceException;
import dev.dcnv4.device.Devices;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

/** What a machine without the NVIDIA driver sees: clear errors, no fallback. */
class CudaUnavailableTest {

    @BeforeEach
    void onlyWithoutDriver() {
        assumeFalse(Cuda.available(), "libcuda.so.1 is present: this test covers machines without the CUDA driver");
    }

    @Test
    void requireNamesTheLibraryAndTheCause() {
        DeviceException e = assertThrows(DeviceException.class, Cuda::require);
        assertEquals("cuda", e.device());
        assertTrue(e.getMessage().contains("libcuda.so.1"), e.getMessage());
        assertTrue(e.getMessage().contains("no CUDA driver"), e.getMessage());
        // the loader's own message is kept as the cause text
        assertTrue(e.getMessage().length() > "cuda: no CUDA driver (libcuda.so.1) on this machine".length() + 10,
                e.getMessage());
        assertTrue(e.getMessage().contains("opencl"), "names an alternative: " + e.getMessage());
    }

    @Test
    void providerAndDeviceSelectionFailWithTheSameReason() {
        DeviceException e = assertThrows(DeviceException.class, () -> new CudaDeviceProvider().discover());
        assertTrue(e.getMessage().contains("libcuda.so.1"), e.getMessage());
        DeviceException open = assertThrows(DeviceException.class, () -> Devices.open("cuda:0"));
        assertTrue(open.getMessage().contains("libcuda.so.1"), open.getMessage());
    }

    @Test
    void discoveryListsCudaAsUnavailableAndStillFindsTheOthers() {
        Devices.Discovery d = Devices.discover();
        assertTrue(d.unavailable().containsKey("cuda"), d.unavailable().toString());
        assertTrue(d.unavailable().get("cuda").contains("libcuda.so.1"));
        assertFalse(d.devices().isEmpty(), "reference/java devices remain");
        d.devices().forEach(dev -> dev.close());
    }

    @Test
    void providerIsRegisteredFirstInOrder() {
        var providers = Devices.providers();
        assertEquals("cuda", providers.getFirst().prefix());
        assertEquals(0, providers.getFirst().order());
    }
}
