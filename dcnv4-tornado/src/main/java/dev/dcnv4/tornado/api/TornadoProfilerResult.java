package dev.dcnv4.tornado.api;

/**
 * Times and traffic of one {@code execute()}, all device-measured (profiling events / GPU events;
 * wall-clock for host backends). {@code kernelBytes} is the compulsory traffic of the library kernels
 * (input + output + offset_mask, and the gradients; see {@code CostModel}), so {@link #kernelGBs()}
 * is an effective bandwidth comparable with the device's peak.
 */
public record TornadoProfilerResult(long totalNanos, long kernelNanos, long copyInNanos, long copyOutNanos,
                                    long compileNanos, long bytesCopiedIn, long bytesCopiedOut, long kernelBytes) {

    /** Host-to-device copy bandwidth in GB/s (0 when nothing was copied). */
    public double copyInGBs() {
        return gbs(bytesCopiedIn, copyInNanos);
    }

    /** Device-to-host copy bandwidth in GB/s. */
    public double copyOutGBs() {
        return gbs(bytesCopiedOut, copyOutNanos);
    }

    /** Compulsory kernel traffic over kernel time, GB/s. */
    public double kernelGBs() {
        return gbs(kernelBytes, kernelNanos);
    }

    private static double gbs(long bytes, long nanos) {
        return nanos <= 0 ? 0 : (double) bytes / nanos;
    }

    @Override
    public String toString() {
        return String.format(java.util.Locale.ROOT,
                "total %.3f ms, kernels %.3f ms (%.2f GB/s), copy-in %.3f ms (%d B, %.2f GB/s), copy-out %.3f ms "
                        + "(%d B, %.2f GB/s), compile %.1f ms",
                totalNanos / 1e6, kernelNanos / 1e6, kernelGBs(), copyInNanos / 1e6, bytesCopiedIn, copyInGBs(),
                copyOutNanos / 1e6, bytesCopiedOut, copyOutGBs(), compileNanos / 1e6);
    }
}
