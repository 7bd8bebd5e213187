package dev.dcnv4.device;

import java.util.List;

/** Provides the always-available "reference" device. */
public final class ReferenceDeviceProvider implements DeviceProvider {
    @Override
    public String prefix() {
        return ReferenceDevice.ID;
    }

    @Override
    public int order() {
        return 3;
    }

    @Override
    public List<Dcnv4Device> discover() {
        return List.of(new ReferenceDevice());
    }
}
