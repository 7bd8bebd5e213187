package dev.dcnv4.golden;

import org.junit.jupiter.api.Assumptions;

import java.nio.file.Files;
import java.nio.file.Path;

/** Locates the shipped golden folder (system property dcnv4.goldens, set by surefire to ../shared/goldens). */
public final class Goldens {
    private Goldens() {
    }

    /** The golden folder; skips the calling test with the reason when it is not there. */
    public static Path folder() {
        String p = System.getProperty("dcnv4.goldens", "../shared/goldens");
        Path dir = Path.of(p).toAbsolutePath().normalize();
        Assumptions.assumeTrue(Files.isRegularFile(dir.resolve("cases.json")),
                "golden folder not found at " + dir + " (set -Ddcnv4.goldens=DIR)");
        return dir;
    }
}
