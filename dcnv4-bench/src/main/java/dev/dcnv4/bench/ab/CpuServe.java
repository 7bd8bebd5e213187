package dev.dcnv4.bench.ab;

import dev.dcnv4.bench.run.BenchRunner;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * Device "java" kept warm in a long-lived process that times bursts on request, so that another
 * program (scripts/cpu-vs-torch-interleaved.py, which times PyTorch in its own process) can
 * alternate short bursts of the two: both are then measured in the same periods of this shared
 * host's drift, as versions are by {@link CpuAb}. Protocol, one line each way:
 * <pre>
 *   in:  forward SECONDS | backward SECONDS | quit
 *   out: the burst's call times in ms, space-separated (at least 5 calls)
 * </pre>
 * The calls are {@link CpuAbRunner}'s, one runner (and device) per direction.
 */
@Command(name = "cpu-serve", mixinStandardHelpOptions = true,
        description = "Keeps device java warm and times bursts of forward or backward calls on request (stdin/stdout).")
public final class CpuServe implements Callable<Integer> {
    @CommandLine.Mixin
    CpuProblemOptions problem;

    @Option(names = "--dtype", defaultValue = "fp32", description = "fp32, fp16 or bf16 (default ${DEFAULT-VALUE}).")
    String dtype;

    public static void main(String[] args) {
        System.exit(new CommandLine(new CpuServe()).execute(args));
    }

    @Override
    public Integer call() throws IOException {
        problem.check(this);
        serve(new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)), System.out);
        return 0;
    }

    /** Answers requests from {@code in} on {@code out} until "quit" or the end of the input. */
    void serve(BufferedReader in, PrintStream out) throws IOException {
        try (CpuAbRunner forward = runner(false); CpuAbRunner backward = runner(true)) {
            for (String line = in.readLine(); line != null; line = in.readLine()) {
                String[] w = line.trim().split("\\s+");
                if (w[0].equals("quit")) {
                    return;
                }
                if (w.length != 2 || !(w[0].equals("forward") || w[0].equals("backward"))) {
                    out.println("error: expected 'forward SECONDS', 'backward SECONDS' or 'quit' but got '" + line + "'");
                    continue;
                }
                out.println(burst(w[0].equals("forward") ? forward : backward, Double.parseDouble(w[1])));
                out.flush();
            }
        }
    }

    private CpuAbRunner runner(boolean backward) {
        return new CpuAbRunner(problem.threads, dtype, backward, false, problem.shape, problem.groups, 1f,
                BenchRunner.OFFSET_AMPLITUDE);
    }

    /** Calls {@code call} for {@code seconds} (at least 5 times): the times in ms, space-separated. */
    private static String burst(Runnable call, double seconds) {
        double[] ms = new double[64];
        int n = 0;
        long stop = System.nanoTime() + (long) (seconds * 1e9);
        while (n < 5 || System.nanoTime() < stop) {
            long t0 = System.nanoTime();
            call.run();
            long t1 = System.nanoTime();
            if (n == ms.length) {
                ms = Arrays.copyOf(ms, 2 * n);
            }
            ms[n++] = (t1 - t0) / 1e6;
        }
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < n; i++) {
            sb.append(i == 0 ? "" : " ").append(String.format(Locale.ROOT, "%.4f", ms[i]));
        }
        return sb.toString();
    }
}
