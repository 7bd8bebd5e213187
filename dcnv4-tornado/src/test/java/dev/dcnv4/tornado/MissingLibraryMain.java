package dev.dcnv4.tornado;

import dev.dcnv4.device.DeviceException;
import dev.dcnv4.device.Devices;

/** Run in a forked JVM by {@link MissingLibraryTest}: opens "opencl" and prints the failure. */
public final class MissingLibraryMain {
    private MissingLibraryMain() {
    }

    public static void main(String[] args) {
        try {
            Devices.open("opencl").close();
            System.out.println("OPENED");
        } catch (DeviceException e) {
            System.out.println("FAILED " + e.getMessage());
        }
    }
}
