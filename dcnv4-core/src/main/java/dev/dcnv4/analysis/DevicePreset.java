package dev.dcnv4.analysis;

import dev.dcnv4.arrays.DType;

/**
 * A device's roofline parameters: memory bandwidth and peak arithmetic rates, with where each
 * number came from.
 *
 * <p>Units. Vendor peaks count a fused multiply-add as two floating-point operations;
 * {@code peakFp32Flops} and {@code peakFp16Flops} are stored that way (FLOP/s). The paper's FLOP
 * count (and {@link CostModel#flops}) counts one multiply-add as one operation, so the roofline
 * drawn against those counts uses {@link #peakMultiplyAdds(DType)} = peak / 2.
 *
 * @param id              command-line name ("h100", "cpu", ...)
 * @param name            human-readable device name
 * @param bandwidthBytes  memory bandwidth in bytes/s used for the memory roof
 * @param peakFp32Flops   fp32 non-tensor peak, FLOP/s (FMA = 2)
 * @param peakFp16Flops   fp16 non-tensor peak, FLOP/s (FMA = 2)
 * @param source          where the numbers come from (datasheet title, measurement description)
 * @param measured        true when the bandwidth was measured rather than taken from a datasheet
 */
public record DevicePreset(String id, String name, double bandwidthBytes, double peakFp32Flops,
                           double peakFp16Flops, String source, boolean measured) {

    public DevicePreset {
        if (!(bandwidthBytes > 0) || !(peakFp32Flops > 0) || !(peakFp16Flops > 0)) {
            throw new IllegalArgumentException("device preset " + id + ": expected positive bandwidth and peaks but was "
                    + bandwidthBytes + " B/s, " + peakFp32Flops + " / " + peakFp16Flops + " FLOP/s");
        }
    }

    /**
     * Peak multiply-adds per second for this operator's arithmetic. Every DCNv4 kernel here
     * widens fp16/bf16 at load and computes in fp32 (semantics section 2.6), so the roof is the
     * fp32 peak whatever the storage dtype.
     */
    public double peakMultiplyAdds(DType storage) {
        return peakFp32Flops / 2;
    }

    /** The ridge point: the arithmetic intensity (multiply-adds per byte) where the two roofs meet. */
    public double ridgeIntensity(DType storage) {
        return peakMultiplyAdds(storage) / bandwidthBytes;
    }

    /** Attainable multiply-adds per second at intensity {@code ai}: min(peak, ai * bandwidth). */
    public double attainable(double ai, DType storage) {
        return Math.min(peakMultiplyAdds(storage), ai * bandwidthBytes);
    }

    /** Lower-bound time in seconds for {@code ops} multiply-adds moving {@code bytes} bytes. */
    public double boundSeconds(double ops, double bytes, DType storage) {
        return Math.max(ops / peakMultiplyAdds(storage), bytes / bandwidthBytes);
    }

    /** This preset with another bandwidth (a measured copy bandwidth, for instance). */
    public DevicePreset withBandwidth(double bytesPerSecond, String why) {
        return new DevicePreset(id, name, bytesPerSecond, peakFp32Flops, peakFp16Flops,
                source + "; bandwidth overridden: " + why, true);
    }
}
