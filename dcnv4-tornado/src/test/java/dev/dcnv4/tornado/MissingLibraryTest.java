package dev.dcnv4.tornado;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertTrue;

/** -Ddcnv4.opencl.library pointing at nothing: opening "opencl" fails naming the library and the fix. */
class MissingLibraryTest {

    @Test
    void openingOpenClWithAMissingLibraryNamesIt() throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process p = new ProcessBuilder(List.of(java, "--enable-native-access=ALL-UNNAMED",
                "-Ddcnv4.opencl.library=/nonexistent/libOpenCL.so.1", "-cp", System.getProperty("java.class.path"),
                MissingLibraryMain.class.getName())).redirectErrorStream(true).start();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "forked JVM did not finish");
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(out.contains("FAILED") && out.contains("/nonexistent/libOpenCL.so.1")
                && out.contains("dcnv4.opencl.library"), out);
    }
}
