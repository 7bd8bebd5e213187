package dev.dcnv4.tornado.drivers.cuda;

import dev.dcnv4.arrays.DType;
import dev.dcnv4.device.DeviceException;
import dev.dcnv4.op.Dcnv4Problem;
import dev.dcnv4.op.Direction;

import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Chooses a kernel's launch configuration per device, shape, dtype and direction: tries every
 * candidate of {@link LaunchCandidates}, runs each once on the tuning data and rejects those whose
 * result disagrees with the fp64 reference (some fast configurations are simply wrong, e.g. a block
 * straddling two images), times the correct ones and keeps the fastest. Choices persist as JSON
 * ({@link TuningStore}) so that a shape is tuned once per device.
 *
 * <p>With tuning off ({@code -Ddcnv4.tune=false} or {@link #setEnabled(boolean)}), the choice is
 * {@link LaunchCandidates#defaultConfig} unless a persisted one exists.
 */
public final class LaunchTuner {
    /** System property switching tuning off ("false"). */
    public static final String PROPERTY = "dcnv4.tune";

    /** What the tuner needs from a device: run one candidate and say whether it is right, and time it. */
    public interface Evaluator {
        /** Runs the candidate on the tuning data; null when correct, else why not (e.g. "max error 6.5"). */
        String validate(LaunchConfig candidate);

        /** Milliseconds per run of a (validated) candidate, measured with device events. */
        double millis(LaunchConfig candidate);
    }

    /** The outcome of tuning one key. */
    public record Result(LaunchConfig choice, double millis, int tried, List<String> rejected) {
    }

    private static final System.Logger LOG = System.getLogger(LaunchTuner.class.getName());

    private final TuningStore store;
    private volatile boolean enabled;

    public LaunchTuner(TuningStore store, boolean enabled) {
        this.store = store;
        this.enabled = enabled;
    }

    /** The process-wide tuner: file under the cache root, enabled unless -Ddcnv4.tune=false. */
    public static LaunchTuner standard() {
        return Holder.STANDARD;
    }

    private static final class Holder {
        static final LaunchTuner STANDARD = new LaunchTuner(
                new TuningStore(CacheDir.root().resolve("cuda").resolve("launch-tuning.json")),
                !"false".equalsIgnoreCase(System.getProperty(PROPERTY, "true").trim()));
    }

    public boolean enabled() {
        return enabled;
    }

    /** The API switch; equivalent to -Ddcnv4.tune=false for later calls. */
    public void setEnabled(boolean enabled) {
        this.enabled = enabled;
    }

    public Path file() {
        return store.file();
    }

    /** The key a choice is stored under. */
    public static String key(String deviceName, Dcnv4Problem p, DType dtype, Direction direction,
                             boolean deterministic) {
        var c = p.config();
        return String.format(Locale.ROOT, "%s|N%d H%d W%d G%d D%d k%dx%d s%dx%d p%dx%d d%dx%d%s%s|%s|%s%s",
                deviceName, p.batch(), p.height(), p.width(), c.groups(), c.groupChannels(), c.kernelH(),
                c.kernelW(), c.strideH(), c.strideW(), c.padH(), c.padW(), c.dilationH(), c.dilationW(),
                c.removeCenter() ? " rc" : "", c.softmax() ? " softmax" : "", dtype.label(), direction.label(),
                direction == Direction.BACKWARD && deterministic ? "|deterministic" : "");
    }

    /**
     * The configuration to launch with: persisted choice, else (tuning on) the tuned one, else the default.
     * {@code evaluator} is only used when tuning actually runs.
     */
    public LaunchConfig choose(String deviceName, Dcnv4Problem p, DType dtype, Direction direction,
                               boolean deterministic, int maxBlockThreads, Evaluator evaluator) {
        String key = key(deviceName, p, dtype, direction, deterministic);
        TuningStore.Entry known = store.get(key);
        if (known != null) {
            return known.config();
        }
        if (!enabled) {
            return LaunchCandidates.defaultConfig(p, dtype, direction, maxBlockThreads, deterministic);
        }
        List<LaunchConfig> candidates = LaunchCandidates.all(p, dtype, direction, maxBlockThreads, deterministic);
        if (candidates.isEmpty()) {
            // nothing fits the block limit: the default explains why (or finds the one stride that works)
            return LaunchCandidates.defaultConfig(p, dtype, direction, maxBlockThreads, deterministic);
        }
        Result r = select(candidates, evaluator);
        try {
            store.put(key, new TuningStore.Entry(r.choice().dStride(), r.choice().positionsPerBlock(),
                    r.choice().deterministic(), r.millis(), r.tried(), r.rejected().size(), Instant.now().toString()));
        } catch (UncheckedIOException e) {
            // an unwritable cache only costs tuning again next time; the choice itself stands
            LOG.log(System.Logger.Level.WARNING, "launch tuning not persisted: " + e.getMessage());
        }
        if (!r.rejected().isEmpty()) {
            LOG.log(System.Logger.Level.INFO, "launch tuning " + key + ": rejected " + r.rejected());
        }
        return r.choice();
    }

    /**
     * Validates every candidate, times the correct ones and returns the fastest (ties: the earlier
     * candidate). Throws when no candidate is correct: that is a kernel bug, not a tuning result.
     */
    public static Result select(List<LaunchConfig> candidates, Evaluator evaluator) {
        if (candidates.isEmpty()) {
            throw new IllegalArgumentException("candidates: expected at least one launch configuration but was none");
        }
        LaunchConfig best = null;
        double bestMs = Double.POSITIVE_INFINITY;
        List<String> rejected = new ArrayList<>();
        for (LaunchConfig c : candidates) {
            String wrong = evaluator.validate(c);
            if (wrong != null) {
                rejected.add(c + ": " + wrong);
                continue;
            }
            double ms = evaluator.millis(c);
            if (ms < bestMs) {
                bestMs = ms;
                best = c;
            }
        }
        if (best == null) {
            throw new DeviceException("cuda", "launch tuning: all " + candidates.size()
                    + " candidate configurations gave wrong results, e.g. " + rejected.getFirst()
                    + "; this is a kernel bug (run with -Ddcnv4.tune=false to use the default configuration)");
        }
        return new Result(best, bestMs, candidates.size(), List.copyOf(rejected));
    }
}
