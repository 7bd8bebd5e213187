package dev.dcnv4.cpu;

import dev.dcnv4.device.Dcnv4Device;
import dev.dcnv4.device.DeviceProvider;

import java.util.List;

/** Provides device "java" (always available: pure Java, no native library). */
public final class JavaDeviceProvider implements DeviceProvider {
    @Override
    public String prefix() {
        return JavaDevice.ID;
    }

    @Override
    public int order() {
        return 2;
    }

    @Override
    public List<Dcnv4Device> discover() {
        return List.of(new JavaDevice());
    }
}
