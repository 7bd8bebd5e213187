package dev.dcnv4.bench.ab;

import dev.dcnv4.bench.run.BenchRunner;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.InvocationTargetException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.function.IntSupplier;
import java.util.function.Supplier;

/**
 * A/B timing of several builds of the CPU backend in one JVM: each {@code label=classes-folder}
 * is loaded through its own class loader, and the versions are called in turn, ten calls each,
 * for the measuring time. On a shared machine whose speed drifts by 30-50% over minutes, only
 * versions measured interleaved like this can be compared; separate runs cannot.
 * {@code scripts/cpu-ab.sh} builds a git revision's classes and calls this.
 *
 * <p>With several storage precisions ({@code --dtype fp32,fp16}) every version runs each of them,
 * each (version, precision) through a class loader of its own, so that the JIT compiles each as a
 * program that only ever sees that precision (as an application using one precision does), and the
 * precisions are timed interleaved too: the fair way to compare fp16 with fp32 on a drifting host.
 * Results are compared bit for bit with the first version's in the same precision.
 */
@Command(name = "cpu-ab", mixinStandardHelpOptions = true,
        description = "Times builds of device java against each other, interleaved in one JVM, after checking that their results are the same bits.")
public final class CpuAb implements Callable<Integer> {
    @Parameters(paramLabel = "LABEL=CLASSES", arity = "1..*",
            description = "A label and a dcnv4-core classes folder (or jar) per version.")
    List<String> versions;

    @CommandLine.Mixin
    CpuProblemOptions problem;

    @Option(names = "--dtype", split = ",", defaultValue = "fp32",
            description = "fp32, fp16 or bf16, or several, comma-separated, timed interleaved (default ${DEFAULT-VALUE}).")
    List<String> dtypes;

    @Option(names = "--backward", description = "Time the backward instead of the forward.")
    boolean backward;

    @Option(names = "--both", description = "Time a forward then a backward per call (a training step): the two "
            + "directions share the JIT's profiles of the code they have in common, as in an application.")
    boolean both;

    @Option(names = "--grad-output-scale", defaultValue = "1",
            description = "Scale of the random grad_output, uniform in (-S, S) (default ${DEFAULT-VALUE}); e.g. 1e-5 "
                    + "makes most fp16 values subnormal.")
    float gradOutputScale;

    @Option(names = "--offset-amplitude", defaultValue = "" + BenchRunner.OFFSET_AMPLITUDE,
            description = "Offsets uniform in (-A, A) pixels (default ${DEFAULT-VALUE}, as dcnv4 bench); small values keep "
                    + "the points near the kernel's taps: a small working set.")
    float offsetAmplitude;

    @Option(names = "--seconds", defaultValue = "20", description = "Measuring time (default ${DEFAULT-VALUE}).")
    double seconds;

    @Option(names = "--warmup-seconds", defaultValue = "6", description = "Warm-up time, all versions in turn (default ${DEFAULT-VALUE}).")
    double warmupSeconds;

    @Option(names = "--evict-mb", defaultValue = "0",
            description = "Before each timed call, read this many MB of another buffer (untimed), so that every call "
                    + "starts with the arrays out of the caches and the worker threads parked, as between the layers "
                    + "of a network (0: back-to-back calls, default; 64 covers a 32 MB L3).")
    int evictMb;

    @Option(names = "--profile", paramLabel = "FILE",
            description = "Record the measuring time with JFR's execution sampler (every 1 ms) into FILE (.jfr) and print "
                    + "the share of samples per dev.dcnv4 method; one version and one --dtype only.")
    Path profile;

    /** Heap bytes allocated by all threads, for the "allocated per call" column. */
    private static final com.sun.management.ThreadMXBean ALLOCATION =
            (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();

    /** Read by {@link #evict} so that the reads are not optimised away. */
    private long evictSink;

    /** Reads every 64-byte line of {@code junk} once. */
    private void evict(long[] junk) {
        long s = 0;
        for (int i = 0; i < junk.length; i += 8) {
            s += junk[i];
        }
        evictSink += s;
    }

    @Override
    public Integer call() throws Exception {
        if (both && backward) {
            throw new CommandLine.ParameterException(new CommandLine(this), "--both: times a forward and a backward per call; "
                    + "expected it without --backward");
        }
        if (evictMb < 0) {
            throw new CommandLine.ParameterException(new CommandLine(this), "--evict-mb: expected >= 0 but was " + evictMb);
        }
        if (!(offsetAmplitude >= 0 && Float.isFinite(offsetAmplitude))) {
            throw new CommandLine.ParameterException(new CommandLine(this),
                    "--offset-amplitude: expected a finite number >= 0 but was " + offsetAmplitude);
        }
        long[] junk = new long[(int) Math.min(Integer.MAX_VALUE - 8, (long) evictMb << 17)];
        java.util.Arrays.fill(junk, 1);
        problem.check(this);
        if (profile != null && versions.size() * dtypes.size() != 1) {
            throw new CommandLine.ParameterException(new CommandLine(this), "--profile: expected one version and one "
                    + "--dtype (samples cannot tell the versions apart) but got " + versions.size() + " x " + dtypes.size());
        }
        Path runnerDir = extractRunner();
        List<String> labels = new ArrayList<>(), labelDtypes = new ArrayList<>();
        List<Runnable> runs = new ArrayList<>();
        List<AutoCloseable> open = new ArrayList<>();
        try {
            for (String v : versions) {
                int eq = v.indexOf('=');
                if (eq <= 0) {
                    throw new CommandLine.ParameterException(new CommandLine(this), "version: expected LABEL=CLASSES but was '" + v + "'");
                }
                Path classes = Path.of(v.substring(eq + 1));
                if (!Files.exists(classes)) {
                    throw new CommandLine.ParameterException(new CommandLine(this), v.substring(0, eq) + ": no such folder or jar " + classes);
                }
                for (String dtype : dtypes) {
                    String label = dtypes.size() == 1 ? v.substring(0, eq) : v.substring(0, eq) + "/" + dtype;
                    // named after the version, so that JFR samples and stack traces say which one ran
                    URLClassLoader loader = new URLClassLoader(label, new URL[] {classes.toUri().toURL(), runnerDir.toUri().toURL()},
                            ClassLoader.getPlatformClassLoader());
                    Object r = newRunner(loader, dtype);
                    labels.add(label);
                    labelDtypes.add(dtype);
                    runs.add((Runnable) r);
                    open.add((AutoCloseable) r);
                }
            }
            System.err.printf(Locale.ROOT, "%s %s %s, %d threads: warming up %.0f s, then %.0f s interleaved%s%n",
                    String.join(",", Arrays.stream(problem.shape).mapToObj(Integer::toString).toList()), String.join(",", dtypes),
                    both ? "forward+backward" : backward ? "backward" : "forward", problem.threads, warmupSeconds, seconds,
                    junk.length > 0 ? ", " + evictMb + " MB read before each call" : "");
            long warm = System.nanoTime() + (long) (warmupSeconds * 1e9);
            while (System.nanoTime() < warm) {
                for (Runnable r : runs) {
                    for (int i = 0; i < 5; i++) {
                        r.run();
                    }
                }
            }
            reportResults(labels, labelDtypes, open, both ? "output and grad_input" : "grad_input");
            List<List<Double>> times = new ArrayList<>();
            runs.forEach(r -> times.add(new ArrayList<>()));
            jdk.jfr.Recording recording = profile == null ? null : MethodProfile.sampler();
            if (recording != null) {
                open.add(recording);                  // closed with the runners, on every path
                recording.start();
            }
            double[] batch = new double[10];
            long[] allocated = new long[runs.size()];
            long stop = System.nanoTime() + (long) (seconds * 1e9);
            while (System.nanoTime() < stop) {
                for (int v = 0; v < runs.size(); v++) {
                    // heap bytes allocated by all threads over the ten calls (times kept in a primitive
                    // array meanwhile, so that only the version's own allocation is counted)
                    long a0 = ALLOCATION.getTotalThreadAllocatedBytes();
                    for (int i = 0; i < 10; i++) {
                        if (junk.length > 0) {
                            evict(junk);
                        }
                        long t0 = System.nanoTime();
                        runs.get(v).run();
                        batch[i] = (System.nanoTime() - t0) / 1e6;
                    }
                    allocated[v] += ALLOCATION.getTotalThreadAllocatedBytes() - a0;
                    for (double b : batch) {
                        times.get(v).add(b);
                    }
                }
            }
            if (recording != null) {
                recording.stop();
                recording.dump(profile);
            }
            double base = 0;
            for (int v = 0; v < runs.size(); v++) {
                double[] t = times.get(v).stream().mapToDouble(Double::doubleValue).sorted().toArray();
                double median = t[t.length / 2], mean = Arrays.stream(t).average().orElse(0);
                base = v == 0 ? median : base;
                System.out.printf(Locale.ROOT, "%-10s min %8.3f  p10 %8.3f  median %8.3f  mean %8.3f ms  (%d calls, %d B allocated per call)  median %s%n",
                        labels.get(v), t[0], t[t.length / 10], median, mean, t.length, allocated[v] / t.length,
                        v == 0 ? "= 1" : String.format(Locale.ROOT, "x %.3f of %s", median / base, labels.get(0)));
            }
            if (profile != null) {
                System.out.print(MethodProfile.format(MethodProfile.read(profile, "dev.dcnv4."), 15));
                System.out.println("  (recording: " + profile + "; jfr print --events jdk.ExecutionSample " + profile + ")");
            }
            return 0;
        } finally {
            for (AutoCloseable c : open) {
                c.close();
            }
        }
    }

    /**
     * Whether each version's results equal the first version's in the same precision, bit for bit
     * (same inputs, same seed).
     */
    @SuppressWarnings("unchecked")
    private static void reportResults(List<String> labels, List<String> dtypes, List<AutoCloseable> runners,
                                      String firstPart) {
        for (int v = 0; v < runners.size(); v++) {
            int f = dtypes.indexOf(dtypes.get(v));
            if (f == v) {
                continue;                      // the first of its precision: the reference for the others
            }
            byte[] first = ((Supplier<byte[]>) runners.get(f)).get();
            byte[] r = ((Supplier<byte[]>) runners.get(v)).get();
            // backward: grad_offset_mask reported apart from the rest (a change may round one differently)
            int split = ((IntSupplier) runners.get(v)).getAsInt();
            String what;
            if (r.length != first.length) {
                what = "a different size than " + labels.get(f);
            } else if (split == r.length) {
                what = differing(first, r, 0, r.length, labels.get(f));
            } else {
                what = firstPart + " " + differing(first, r, 0, split, labels.get(f))
                        + "; grad_offset_mask " + differing(first, r, split, r.length, labels.get(f));
            }
            System.out.printf(Locale.ROOT, "results of %s: %s%n", labels.get(v), what);
        }
    }

    private static String differing(byte[] a, byte[] b, int from, int to, String label) {
        int differ = 0;
        for (int i = from; i < to; i++) {
            differ += a[i] == b[i] ? 0 : 1;
        }
        return differ == 0 ? "bit-identical to " + label : differ + " of " + (to - from) + " bytes differ from " + label;
    }

    private Object newRunner(ClassLoader loader, String dtype) throws ReflectiveOperationException {
        Class<?> c = loader.loadClass(CpuAbRunner.class.getName());
        try {
            return c.getConstructor(int.class, String.class, boolean.class, boolean.class, int[].class, int.class, float.class,
                    float.class).newInstance(problem.threads, dtype, backward, both, problem.shape, problem.groups, gradOutputScale, offsetAmplitude);
        } catch (InvocationTargetException e) {
            if (e.getCause() instanceof RuntimeException re) {
                throw re;                      // a bad argument, with its message
            }
            throw e;
        }
    }

    /** Copies the runner's class file into a temporary folder that each version's loader also sees. */
    private static Path extractRunner() throws IOException {
        String name = CpuAbRunner.class.getName().replace('.', '/') + ".class";
        Path dir = Files.createTempDirectory("dcnv4-ab");
        Path file = dir.resolve(name);
        Files.createDirectories(file.getParent());
        try (InputStream in = CpuAb.class.getClassLoader().getResourceAsStream(name)) {
            if (in == null) {
                throw new IOException("runner class " + name + " not found");
            }
            Files.copy(in, file);
        }
        file.toFile().deleteOnExit();
        return dir;
    }

    public static void main(String[] args) {
        System.exit(new CommandLine(new CpuAb()).execute(args));
    }
}
