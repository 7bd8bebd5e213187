package dev.dcnv4.device;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.ServiceLoader;

/**
 * Device discovery and selection. Order is stable and documented: CUDA GPUs, OpenCL devices,
 * the Java CPU backend, the fp64 reference. Selection is always explicit: by id
 * ({@code java}, {@code reference}, {@code opencl} = {@code opencl:0}, {@code opencl:N},
 * {@code cuda} = {@code cuda:0}, {@code cuda:N}) or by the system property {@code dcnv4.device}.
 * An id that cannot be satisfied throws; nothing falls back to another device.
 */
public final class Devices {
    /** System property holding the default device id. */
    public static final String DEVICE_PROPERTY = "dcnv4.device";

    private Devices() {
    }

    /** Providers found on the class path, in discovery order. */
    public static List<DeviceProvider> providers() {
        List<DeviceProvider> list = new ArrayList<>();
        ServiceLoader.load(DeviceProvider.class).forEach(list::add);
        list.sort(Comparator.comparingInt(DeviceProvider::order).thenComparing(DeviceProvider::prefix));
        return list;
    }

    /** Result of a discovery sweep: the devices found and, per unavailable family, why. */
    public record Discovery(List<Dcnv4Device> devices, Map<String, String> unavailable) {
    }

    /** Discovers every family; families that fail are reported in {@link Discovery#unavailable()}. */
    public static Discovery discover() {
        List<Dcnv4Device> devices = new ArrayList<>();
        Map<String, String> unavailable = new LinkedHashMap<>();
        for (DeviceProvider p : providers()) {
            try {
                devices.addAll(p.discover());
            } catch (DeviceException | UnsupportedOperationException | LinkageError e) {
                unavailable.put(p.prefix(), String.valueOf(e.getMessage()));
            }
        }
        return new Discovery(List.copyOf(devices), unavailable);
    }

    /** The id from {@code -Ddcnv4.device}, or {@code fallbackId} when the property is not set. */
    public static String defaultId(String fallbackId) {
        String p = System.getProperty(DEVICE_PROPERTY);
        return p == null || p.isBlank() ? fallbackId : p.trim();
    }

    /**
     * Opens the device with this id.
     *
     * @throws IllegalArgumentException for a malformed id or an unknown family, listing the valid ones
     * @throws DeviceException          when the family exists but the device is unavailable or out of range
     */
    public static Dcnv4Device open(String id) {
        if (id == null || id.isBlank()) {
            throw new IllegalArgumentException("device: expected an id such as java, opencl:0 or cuda:0 but was '"
                    + id + "'");
        }
        String norm = id.trim().toLowerCase(Locale.ROOT);
        String prefix = norm;
        int index = 0;
        int colon = norm.indexOf(':');
        if (colon >= 0) {
            prefix = norm.substring(0, colon);
            try {
                index = Integer.parseInt(norm.substring(colon + 1));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("device: expected PREFIX:INDEX with a number after ':' but was '"
                        + id + "'");
            }
            if (index < 0) {
                throw new IllegalArgumentException("device: expected an index >= 0 but was '" + id + "'");
            }
        }
        List<String> known = new ArrayList<>();
        for (DeviceProvider p : providers()) {
            known.add(p.prefix());
            if (!p.prefix().equals(prefix)) {
                continue;
            }
            List<Dcnv4Device> found = p.discover();
            if (index >= found.size()) {
                for (Dcnv4Device d : found) {
                    d.close();
                }
                throw new DeviceException(id, "no such device: the " + prefix + " backend has " + found.size()
                        + " device(s)" + (found.isEmpty() ? "" : " (" + prefix + ":0 .. " + prefix + ":"
                        + (found.size() - 1) + ")") + "; run `dcnv4 devices` to list them");
            }
            for (int i = 0; i < found.size(); i++) {
                if (i != index) {
                    found.get(i).close();
                }
            }
            return found.get(index);
        }
        throw new IllegalArgumentException("device: expected one of " + known + " (optionally with :N) but was '"
                + id + "'");
    }
}
