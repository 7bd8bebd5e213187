package dev.dcnv4.bench.run;

import dev.dcnv4.device.PreparedRun;
import org.junit.jupiter.api.Test;

import java.math.BigDecimal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Warm-up until stable (with its cap) and the rounding of the JSON's numbers. */
class BenchRunnerTest {

    /** A run that sleeps 1 ms and reports device times from {@code ms(i)} for run i. */
    private static PreparedRun fake(java.util.function.IntToDoubleFunction ms) {
        return new PreparedRun() {
            int i;
            long last;

            @Override
            public void run() {
                try {
                    Thread.sleep(1);
                } catch (InterruptedException e) {
                    throw new AssertionError(e);
                }
                last = (long) (ms.applyAsDouble(i++) * 1e6);
            }

            @Override
            public long lastDeviceNanos() {
                return last;
            }
        };
    }

    @Test
    void warmUpGoesOnPastTheMinimumUntilTheTimesSettle() {
        // a JIT warming up: the time halves every 5 runs for 40 runs (256 ms .. 2 ms), then stays at
        // 1 ms; the minimum (1 run, 0.02 s) is done long before
        BenchRunner.Warmup w = BenchRunner.warmUp(fake(i -> i < 40 ? Math.pow(2, 8 - i / 5) : 1),
                new BenchRunner.Settings(0.02, 1, 0, 1, 1));
        // stable once the median of the earlier window (its 3rd of 5 runs, run n - 8) is warm: n = 48
        assertEquals(new BenchRunner.Warmup(48, true), w);
    }

    @Test
    void warmUpStopsAtTheCapWhenTimesNeverSettle() {
        BenchRunner.Settings s = new BenchRunner.Settings(0.01, 1, 0, 1, 1);
        assertEquals(0.1, s.warmupCapSeconds(), 1e-12);
        long t0 = System.nanoTime();
        BenchRunner.Warmup w = BenchRunner.warmUp(fake(i -> i % 2 == 0 ? 1 : 100), s);
        double seconds = (System.nanoTime() - t0) / 1e9;
        assertTrue(seconds >= 0.1 && seconds < 1, seconds + " s");
        assertTrue(w.runs() > 10, "runs " + w);
        assertFalse(w.stable(), "the cap, not stability, ended it");
    }

    @Test
    void warmUpDoesAtLeastTheConfiguredRuns() {
        assertEquals(3, BenchRunner.warmUp(fake(i -> 1), new BenchRunner.Settings(0, 3, 0, 1, 1)).runs());
        assertEquals(0, BenchRunner.warmUp(fake(i -> 1), new BenchRunner.Settings(0, 0, 0, 1, 1)).runs());
    }

    @Test
    void capIsTenTimesTheWarmUpAtMostFiveSeconds() {
        assertEquals(2.0, BenchRunner.Settings.quick().warmupCapSeconds(), 1e-12);
        assertEquals(5.0, BenchRunner.Settings.defaults().warmupCapSeconds(), 1e-12);
        assertEquals(9.0, new BenchRunner.Settings(9, 1, 0, 1, 1).warmupCapSeconds(), 1e-12);
    }

    @Test
    void stableComparesTheMediansOfTheLastTwoWindows() {
        double[] t = {9, 9, 9, 9, 9, 1, 1, 1, 1, 1, 1.1, 1.14, 0.9, 100, 1};
        assertFalse(BenchRunner.stable(t, 9));
        assertFalse(BenchRunner.stable(t, 10));   // 9 vs 1
        assertTrue(BenchRunner.stable(t, 15));    // median 1.1 vs 1: within 15%, the outlier ignored
    }

    @Test
    void jsonNumbersAreRoundedToWhatIsMeasurable() {
        assertEquals("5.067", BenchJson.round(5.0672809999999995, 4, 6).toPlainString());
        assertEquals("26.12", BenchJson.round(26.1249, 4, 6).toPlainString());
        assertEquals("0.0875", BenchJson.round(0.0875, 4, 6).toPlainString());
        assertEquals("0.000012", BenchJson.round(0.0000123456, 4, 6).toPlainString());   // 1 ns
        assertEquals("1235", BenchJson.round(1234.5678, 4, Integer.MAX_VALUE).toPlainString());
        assertEquals("12350", BenchJson.round(12345.678, 4, Integer.MAX_VALUE).toPlainString());
        assertEquals("3", BenchJson.round(3.0, 4, 6).toPlainString());
        assertEquals(new BigDecimal("0"), BenchJson.round(0, 2, Integer.MAX_VALUE));
    }
}
