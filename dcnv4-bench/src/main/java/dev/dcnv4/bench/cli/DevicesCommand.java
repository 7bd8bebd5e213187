package dev.dcnv4.bench.cli;

import dev.dcnv4.device.Dcnv4Device;
import dev.dcnv4.device.DeviceInfo;
import dev.dcnv4.device.Devices;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * {@code dcnv4 devices}: every device in discovery order (the order ids are numbered in) with id,
 * name, memory, compute units and half-precision support; for families that are unavailable here,
 * the reason (library missing, no platform, driver error).
 */
@Command(name = "devices", mixinStandardHelpOptions = true,
        description = {"Lists the devices DCNv4 can run on, in discovery order, and why a backend family is unavailable.",
                "Select one with --device ID (or -Ddcnv4.device=ID): java, reference, opencl[:N], cuda[:N]."})
public final class DevicesCommand implements Callable<Integer> {

    @Option(names = "--ids", description = "Print only the ids of the available devices, one per line (for scripts).")
    boolean idsOnly;

    @Option(names = "--gpus", description = "With --ids: only GPUs (CUDA devices and OpenCL GPUs).")
    boolean gpusOnly;

    @Override
    public Integer call() {
        Devices.Discovery d = Devices.discover();
        if (idsOnly || gpusOnly) {
            for (Dcnv4Device dev : d.devices()) {
                try {
                    DeviceInfo.Kind k = dev.info().kind();
                    if (!gpusOnly || k == DeviceInfo.Kind.CUDA || k == DeviceInfo.Kind.OPENCL_GPU) {
                        System.out.println(dev.id());
                    }
                } finally {
                    dev.close();
                }
            }
            return 0;
        }
        System.out.printf(Locale.ROOT, "%-11s %-44s %10s %5s  %s%n", "ID", "NAME", "MEMORY", "CU", "FP16");
        for (Dcnv4Device dev : d.devices()) {
            try {
                DeviceInfo i = dev.info();
                System.out.printf(Locale.ROOT, "%-11s %-44s %10s %5s  %s%n", i.id(), clip(i.name(), 44),
                        memory(i.memoryBytes()), i.computeUnits() < 0 ? "?" : Integer.toString(i.computeUnits()), i.fp16());
                System.out.printf(Locale.ROOT, "%-11s   %s%n", "", i.driver());
            } finally {
                dev.close();
            }
        }
        for (Map.Entry<String, String> e : d.unavailable().entrySet()) {
            String why = e.getValue().startsWith(e.getKey() + ": ") ? e.getValue().substring(e.getKey().length() + 2)
                    : e.getValue();
            System.out.printf(Locale.ROOT, "%-11s unavailable: %s%n", e.getKey(), why);
        }
        return 0;
    }

    private static String memory(long bytes) {
        return bytes < 0 ? "?" : String.format(Locale.ROOT, "%.1f GiB", bytes / (double) (1L << 30));
    }

    private static String clip(String s, int n) {
        return s.length() <= n ? s : s.substring(0, n - 3) + "...";
    }
}
