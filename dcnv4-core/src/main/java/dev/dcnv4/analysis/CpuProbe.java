package dev.dcnv4.analysis;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * Roofline numbers for the machine we run on. The bandwidth is <em>measured</em>: a STREAM-like
 * copy between two off-heap buffers much larger than any cache, best of several passes, counted
 * as read + write bytes (the same convention as the H100's measured 3014 GB/s). The peak is an
 * <em>estimate</em>: cores x fp32 vector lanes x 2 FMA pipes x 2 flops x clock, the clock read
 * from /sys or /proc/cpuinfo (3 GHz assumed where neither says).
 */
public final class CpuProbe {

    private static final long BUFFER_BYTES = 128L << 20;
    private static final int PASSES = 6;

    private CpuProbe() {
    }

    public static DevicePreset measure() {
        double bw = copyBandwidth();
        int cores = Runtime.getRuntime().availableProcessors();
        int lanes = vectorLanes();
        double ghz = clockGHz();
        double peak = cores * lanes * 2.0 * 2.0 * ghz * 1e9;
        String src = String.format(Locale.ROOT, "measured here: copy bandwidth %.1f GB/s (read + write, %d MiB buffers, "
                + "best of %d); peak estimated: %d cores x %d fp32 lanes x 2 FMA pipes x 2 x %.2f GHz",
                bw / 1e9, BUFFER_BYTES >> 20, PASSES, cores, lanes, ghz);
        return new DevicePreset("cpu", cpuName() + " (" + cores + " cores)", bw, peak, peak, src, true);
    }

    /** Best copy rate in bytes/s (read + write) over {@link #PASSES} passes of a 128 MiB copy. */
    static double copyBandwidth() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment a = arena.allocate(BUFFER_BYTES, 64);
            MemorySegment b = arena.allocate(BUFFER_BYTES, 64);
            a.fill((byte) 1);
            b.fill((byte) 2);
            double best = 0;
            for (int i = 0; i < PASSES; i++) {
                long t0 = System.nanoTime();
                MemorySegment.copy(a, 0, b, 0, BUFFER_BYTES);
                long t1 = System.nanoTime();
                best = Math.max(best, 2.0 * BUFFER_BYTES / ((t1 - t0) * 1e-9));
                MemorySegment t = a;
                a = b;
                b = t;
            }
            return best;
        }
    }

    /** fp32 lanes of the preferred vector shape, from the Vector API when present, else 8 (AVX2). */
    static int vectorLanes() {
        try {
            Class<?> fv = Class.forName("jdk.incubator.vector.FloatVector");
            Object species = fv.getField("SPECIES_PREFERRED").get(null);
            return (Integer) species.getClass().getMethod("length").invoke(species);
        } catch (ReflectiveOperationException | RuntimeException | LinkageError e) {
            return 8;
        }
    }

    static double clockGHz() {
        try {
            Path max = Path.of("/sys/devices/system/cpu/cpu0/cpufreq/cpuinfo_max_freq");
            if (Files.isReadable(max)) {
                return Long.parseLong(Files.readString(max).trim()) / 1e6;
            }
            Path info = Path.of("/proc/cpuinfo");
            if (Files.isReadable(info)) {
                List<String> lines = Files.readAllLines(info);
                for (String l : lines) {
                    if (l.startsWith("cpu MHz")) {
                        return Double.parseDouble(l.substring(l.indexOf(':') + 1).trim()) / 1e3;
                    }
                }
            }
        } catch (IOException | NumberFormatException e) {
            // fall through to the assumption below
        }
        return 3.0;
    }

    static String cpuName() {
        try {
            for (String l : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                if (l.startsWith("model name")) {
                    return l.substring(l.indexOf(':') + 1).trim();
                }
            }
        } catch (IOException | RuntimeException e) {
            // not Linux: use the OS architecture below
        }
        return System.getProperty("os.arch", "cpu");
    }
}
