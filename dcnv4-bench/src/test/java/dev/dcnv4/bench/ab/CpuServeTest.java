package dev.dcnv4.bench.ab;

import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** cpu-serve answers each burst request with at least five positive call times, and says what it expected otherwise. */
class CpuServeTest {
    @Test
    void answersBurstsAndRejectsOtherRequests() throws Exception {
        CpuServe serve = new CpuServe();
        new CommandLine(serve).parseArgs("--shape", "1,6,7,16", "--groups", "2", "--threads", "2");
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        try (PrintStream out = new PrintStream(buf, true, StandardCharsets.UTF_8)) {
            serve.serve(new BufferedReader(new StringReader("forward 0.05\nbackward 0.05\nsideways 1\nquit\nforward 1\n")), out);
        }
        String[] lines = buf.toString(StandardCharsets.UTF_8).split("\n");
        assertEquals(3, lines.length, "one answer per request, nothing after quit: " + String.join(" | ", lines));
        for (int i = 0; i < 2; i++) {
            String[] times = lines[i].trim().split(" ");
            assertTrue(times.length >= 5, lines[i]);
            for (String t : times) {
                assertTrue(Double.parseDouble(t) > 0, lines[i]);
            }
        }
        assertTrue(lines[2].startsWith("error: expected 'forward SECONDS'"), lines[2]);
    }
}
