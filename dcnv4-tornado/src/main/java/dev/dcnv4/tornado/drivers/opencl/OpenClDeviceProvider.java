package dev.dcnv4.tornado.drivers.opencl;

import dev.dcnv4.device.Dcnv4Device;
import dev.dcnv4.device.DeviceException;
import dev.dcnv4.device.DeviceProvider;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;

/**
 * The "opencl" family: every device of every platform, numbered {@code opencl:0, opencl:1, ...}
 * in a stable order: GPUs first, then CPUs, then others; within a kind, platform order then the
 * platform's device order ({@code opencl} alone means {@code opencl:0}).
 */
public final class OpenClDeviceProvider implements DeviceProvider {

    @Override
    public String prefix() {
        return "opencl";
    }

    @Override
    public int order() {
        return 1;
    }

    @Override
    public List<Dcnv4Device> discover() {
        OpenCl cl = OpenCl.get();
        MemorySegment[] platforms = cl.platforms();
        if (platforms.length == 0) {
            throw new DeviceException("opencl", "no OpenCL platform found by " + cl.library()
                    + " (no ICD file in /etc/OpenCL/vendors or $OCL_ICD_VENDORS); install a driver, e.g. pocl-opencl-icd");
        }
        List<MemorySegment[]> gpus = new ArrayList<>(), cpus = new ArrayList<>(), others = new ArrayList<>();
        for (MemorySegment p : platforms) {
            for (MemorySegment d : cl.devices(p)) {
                long type = cl.deviceLong(d, OpenCl.CL_DEVICE_TYPE, 8);
                ((type & OpenCl.CL_DEVICE_TYPE_GPU) != 0 ? gpus : (type & OpenCl.CL_DEVICE_TYPE_CPU) != 0 ? cpus : others)
                        .add(new MemorySegment[] {p, d});
            }
        }
        List<Dcnv4Device> out = new ArrayList<>();
        for (List<MemorySegment[]> kind : List.of(gpus, cpus, others)) {
            for (MemorySegment[] pd : kind) {
                out.add(new OpenClDevice(cl, "opencl:" + out.size(), pd[0], pd[1]));
            }
        }
        return out;
    }
}
