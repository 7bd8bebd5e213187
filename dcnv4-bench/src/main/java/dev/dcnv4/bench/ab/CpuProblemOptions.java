package dev.dcnv4.bench.ab;

import picocli.CommandLine;
import picocli.CommandLine.Option;

import java.util.Arrays;

/** The problem and thread options shared by cpu-ab and cpu-serve (a picocli mixin). */
final class CpuProblemOptions {
    @Option(names = "--shape", split = ",", defaultValue = "1,56,56,128", description = "N,H,W,C (default ${DEFAULT-VALUE}).")
    int[] shape;

    @Option(names = "--groups", defaultValue = "4", description = "Groups (default ${DEFAULT-VALUE}).")
    int groups;

    @Option(names = "--threads", defaultValue = "2", description = "Threads of each device (default ${DEFAULT-VALUE}).")
    int threads;

    /** Rejects a shape that is not N,H,W,C, as a usage error of {@code command}. */
    void check(Object command) {
        if (shape.length != 4) {
            throw new CommandLine.ParameterException(new CommandLine(command),
                    "--shape: expected N,H,W,C but was " + Arrays.toString(shape));
        }
    }
}
