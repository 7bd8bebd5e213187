package dev.dcnv4.device;

/**
 * A device, driver or native-library failure. The message always names the device (or the
 * device id that was asked for), the native library involved and the cause, and where possible
 * what to do about it.
 */
public class DeviceException extends RuntimeException {
    private final String device;

    public DeviceException(String device, String message) {
        super(device + ": " + message);
        this.device = device;
    }

    public DeviceException(String device, String message, Throwable cause) {
        super(device + ": " + message + (cause != null && cause.getMessage() != null ? " (" + cause.getMessage() + ")" : ""),
                cause);
        this.device = device;
    }

    /** The device id or name this failure concerns. */
    public String device() {
        return device;
    }
}
