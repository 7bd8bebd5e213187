package dev.dcnv4.bench.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code dcnv4} command line. Each subcommand is its own class in this package; add new
 * ones to the {@code subcommands} list (one per line, kept alphabetical).
 */
@Command(name = "dcnv4", mixinStandardHelpOptions = true, version = "dcnv4-java 0.1.0",
        description = "DCNv4 deformable convolution: golden checks, benchmarks, cost analysis.",
        subcommands = {
                AnalyzeCommand.class,
                BenchCommand.class,
                CheckCommand.class,
                DevicesCommand.class,
                CommandLine.HelpCommand.class,
        })
public final class Dcnv4Command implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    /** Builds the command line with the project's error handling: no stack traces for user errors. */
    public static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new Dcnv4Command());
        cl.setExecutionExceptionHandler((ex, cmd, parseResult) -> {
            if (ex instanceof IllegalArgumentException || ex instanceof dev.dcnv4.device.DeviceException
                    || ex instanceof java.io.IOException || ex instanceof java.io.UncheckedIOException) {
                cmd.getErr().println("dcnv4: " + ex.getMessage());
                return 2;
            }
            throw ex;
        });
        return cl;
    }

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }
}
