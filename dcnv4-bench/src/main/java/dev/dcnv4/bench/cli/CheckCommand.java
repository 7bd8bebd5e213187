package dev.dcnv4.bench.cli;

import dev.dcnv4.arrays.DType;
import dev.dcnv4.device.Dcnv4Device;
import dev.dcnv4.device.Devices;
import dev.dcnv4.golden.GoldenChecker;
import dev.dcnv4.op.Direction;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/** {@code dcnv4 check}: runs a golden folder on one device; exit status 0 only if nothing failed. */
@Command(name = "check", mixinStandardHelpOptions = true,
        description = {"Runs every case of a golden folder (cases.json + .npy files) forward and backward on a device",
                "and prints one PASS/FAIL line per case x dtype x direction, then 'N passed, M failed'.",
                "Exit status: 0 when nothing failed, 1 when something failed, 2 for a usage or device error."})
public final class CheckCommand implements Callable<Integer> {

    @Option(names = "--goldens", required = true, paramLabel = "DIR",
            description = "Golden folder holding cases.json (format: shared/goldens/README.md).")
    Path goldens;

    @Option(names = "--device", paramLabel = "ID",
            description = "Device id: reference, java, opencl[:N], cuda[:N] (default: -Ddcnv4.device or reference).")
    String device;

    @Option(names = "--dtype", defaultValue = "all", paramLabel = "TYPE",
            description = "fp32, fp16, bf16 or all (default: ${DEFAULT-VALUE}).")
    String dtype;

    @Option(names = "--direction", defaultValue = "both", paramLabel = "DIR",
            description = "forward, backward or both (default: ${DEFAULT-VALUE}).")
    String direction;

    @Option(names = "--repeat", defaultValue = "1", paramLabel = "N",
            description = "Run each check N times in a row; results must agree (default: ${DEFAULT-VALUE}).")
    int repeat;

    @Override
    public Integer call() throws IOException {
        List<DType> dtypes = dtype.equalsIgnoreCase("all") ? List.of(DType.values()) : List.of(DType.parse(dtype));
        List<Direction> directions = switch (direction.toLowerCase(Locale.ROOT)) {
            case "both" -> List.of(Direction.FORWARD, Direction.BACKWARD);
            case "forward", "fwd" -> List.of(Direction.FORWARD);
            case "backward", "bwd" -> List.of(Direction.BACKWARD);
            default -> throw new IllegalArgumentException("--direction: expected forward, backward or both but was '"
                    + direction + "'");
        };
        if (repeat < 1) {
            throw new IllegalArgumentException("--repeat: expected >= 1 but was " + repeat);
        }
        String id = device != null ? device : Devices.defaultId("reference");
        try (Dcnv4Device dev = Devices.open(id)) {
            GoldenChecker.Summary s = GoldenChecker.check(goldens, dev, new ArrayList<>(dtypes), directions, repeat,
                    System.out);
            System.out.flush();
            if (s.passed() + s.failed() == 0) {
                System.err.println("dcnv4: " + goldens + " has no cases");
                return 1;
            }
            return s.failed() == 0 ? 0 : 1;
        }
    }
}
