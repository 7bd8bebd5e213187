package dev.dcnv4.tornado.runtime;

import dev.dcnv4.device.Dcnv4Device;
import dev.dcnv4.tornado.drivers.java.JavaBackend;

/** Finds the backend for a device: its own ({@link HasBackend}) or the host-memory Java backend. */
public final class Backends {
    private Backends() {
    }

    public static Backend forDevice(Dcnv4Device device) {
        if (device instanceof HasBackend hb) {
            return hb.backend();
        }
        return new JavaBackend(device);
    }
}
