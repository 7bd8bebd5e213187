package dev.dcnv4.bench.ab;

import jdk.jfr.Recording;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordedFrame;
import jdk.jfr.consumer.RecordingFile;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Where a program's time goes, by method, without performance counters (this project's VMs have
 * none): JFR's execution sampler ({@code jdk.ExecutionSample}, every millisecond) stops the running
 * Java threads and records their stacks, including the methods the JIT inlined. Each sample counts
 * for the first frame whose class is under {@code prefix} (so time in the JDK, e.g. inside a
 * {@code MemorySegment} copy, counts for the project method that called it); samples with no such
 * frame are left out. Shares are of the samples counted.
 */
final class MethodProfile {
    /** One method's samples. */
    record Share(String method, long samples, double percent) {
    }

    private MethodProfile() {
    }

    /** A recording of the execution sampler alone, every millisecond; start it, stop it, then {@link #read}. */
    static Recording sampler() {
        Recording r = new Recording();
        r.enable("jdk.ExecutionSample").withPeriod(Duration.ofMillis(1));
        r.setToDisk(true);
        return r;
    }

    /** The recording's samples by method (class simple name + method), most samples first. */
    static List<Share> read(Path jfr, String prefix) throws IOException {
        Map<String, Long> counts = new HashMap<>();
        long total = 0;
        for (RecordedEvent e : RecordingFile.readAllEvents(jfr)) {
            if (!e.getEventType().getName().equals("jdk.ExecutionSample") || e.getStackTrace() == null) {
                continue;
            }
            for (RecordedFrame f : e.getStackTrace().getFrames()) {
                String type = f.getMethod().getType().getName();
                if (type.startsWith(prefix)) {
                    String name = type.substring(type.lastIndexOf('.') + 1) + "." + f.getMethod().getName();
                    counts.merge(name, 1L, Long::sum);
                    total++;
                    break;
                }
            }
        }
        List<Share> shares = new ArrayList<>();
        for (Map.Entry<String, Long> c : counts.entrySet()) {
            shares.add(new Share(c.getKey(), c.getValue(), 100.0 * c.getValue() / total));
        }
        shares.sort(Comparator.comparingLong(Share::samples).reversed().thenComparing(Share::method));
        return shares;
    }

    /** The first {@code top} shares as lines "  64.7%  BackwardKernel.pairPassAll  (11650 samples)". */
    static String format(List<Share> shares, int top) {
        StringBuilder sb = new StringBuilder();
        long total = shares.stream().mapToLong(Share::samples).sum();
        sb.append(String.format(Locale.ROOT, "profile: %d samples in %s (JFR execution sampler, 1 ms)%n", total,
                shares.isEmpty() ? "no project method" : "project methods"));
        for (Share s : shares.subList(0, Math.min(top, shares.size()))) {
            sb.append(String.format(Locale.ROOT, "  %5.1f%%  %s  (%d samples)%n", s.percent(), s.method(), s.samples()));
        }
        return sb.toString();
    }
}
