package dev.dcnv4.tornado.drivers.cuda;

import dev.dcnv4.device.Dcnv4Device;
import dev.dcnv4.device.DeviceException;
import dev.dcnv4.device.DeviceProvider;

import java.util.ArrayList;
import java.util.List;

/**
 * The "cuda" family: every GPU the CUDA driver reports, as cuda:0, cuda:1, ... (the driver's
 * ordinal order; set CUDA_VISIBLE_DEVICES to restrict it). First in the discovery order.
 * Without libcuda.so.1 {@link #discover()} throws a {@link DeviceException} saying so.
 */
public final class CudaDeviceProvider implements DeviceProvider {
    @Override
    public String prefix() {
        return "cuda";
    }

    @Override
    public int order() {
        return 0;
    }

    @Override
    public List<Dcnv4Device> discover() {
        Cuda.require();
        boolean deterministic = Boolean.getBoolean(CudaDevice.DETERMINISTIC_PROPERTY);
        int count = CudaContext.deviceCount();
        List<Dcnv4Device> out = new ArrayList<>();
        try {
            for (int i = 0; i < count; i++) {
                out.add(open(i, deterministic));
            }
        } catch (RuntimeException e) {
            out.forEach(Dcnv4Device::close);
            throw e;
        }
        return out;
    }

    /** Opens GPU {@code ordinal} with the atomic (false) or deterministic (true) backward. */
    public static CudaDevice open(int ordinal, boolean deterministicBackward) {
        return new CudaDevice(CudaContext.open(ordinal), deterministicBackward, LaunchTuner.standard());
    }
}
