package dev.dcnv4.tornado;

import dev.dcnv4.device.DeviceException;
import dev.dcnv4.device.Devices;
import dev.dcnv4.kernels.KernelSource;
import dev.dcnv4.tornado.api.TaskGraph;
import dev.dcnv4.tornado.api.TornadoExecutionPlan;
import dev.dcnv4.tornado.drivers.opencl.OpenCl;
import dev.dcnv4.tornado.drivers.opencl.OpenClDevice;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Failures name their cause: bad ids, a missing library, a kernel that does not build. */
class ErrorTest {

    @Test
    void badDeviceIds() {
        OpenClTestSupport.device();
        DeviceException e = assertThrows(DeviceException.class, () -> Devices.open("opencl:99"));
        assertTrue(e.getMessage().contains("opencl:99") && e.getMessage().contains("no such device"), e.getMessage());
        IllegalArgumentException f = assertThrows(IllegalArgumentException.class, () -> Devices.open("vulkan:0"));
        assertTrue(f.getMessage().contains("opencl"), f.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Devices.open("opencl:x"));
        TornadoExecutionPlan plan = new TornadoExecutionPlan(new TaskGraph("g").snapshot());
        assertThrows(DeviceException.class, () -> plan.withDevice("opencl:42"));
        plan.close();
    }

    @Test
    void missingOpenClLibraryNamesTheLibraryAndTheFix() {
        DeviceException e = assertThrows(DeviceException.class, () -> OpenCl.load("/nonexistent/libOpenCL.so.1"));
        assertTrue(e.getMessage().contains("/nonexistent/libOpenCL.so.1"), e.getMessage());
        assertTrue(e.getMessage().contains(OpenCl.LIBRARY_PROPERTY), e.getMessage());
    }

    @Test
    void kernelThatFailsToBuildCarriesTheBuildLog() {
        OpenClDevice dev = (OpenClDevice) OpenClTestSupport.device();
        KernelSource broken = KernelSource.raw(KernelSource.Dialect.OPENCL,
                "__kernel void broken(__global float *a) { a[0] = undefined_identifier_xyz; }", Map.of());
        try (var be = dev.backend()) {
            DeviceException e = assertThrows(DeviceException.class, () -> be.launch(broken, "broken", 1, 0,
                    be.allocate(4)));
            assertTrue(e.getMessage().contains("CL_BUILD_PROGRAM_FAILURE"), e.getMessage());
            assertTrue(e.getMessage().contains("undefined_identifier_xyz"), "build log missing: " + e.getMessage());
        }
    }

    @Test
    void noDeviceSelectedIsAnError() {
        String old = System.clearProperty(Devices.DEVICE_PROPERTY);
        try (TornadoExecutionPlan plan = new TornadoExecutionPlan(new TaskGraph("g").snapshot())) {
            IllegalStateException e = assertThrows(IllegalStateException.class, plan::execute);
            assertTrue(e.getMessage().contains("withDevice"), e.getMessage());
        } finally {
            if (old != null) {
                System.setProperty(Devices.DEVICE_PROPERTY, old);
            }
        }
    }
}
