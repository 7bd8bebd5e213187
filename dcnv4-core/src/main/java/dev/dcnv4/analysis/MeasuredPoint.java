package dev.dcnv4.analysis;

/**
 * A measured result placed on a roofline. x is the compulsory-traffic arithmetic intensity of
 * the timed shape, {@code CostModel.flops / CostModel.idealBytes} (multiply-adds per byte, the
 * same counts the bench uses for its GFLOP/s and GB/s); y is {@code CostModel.flops / median}.
 * The roof and the lower-bound time come from the device preset matched to the result.
 *
 * @param result      the bench JSON entry, numbers as written
 * @param device      the preset whose roof applies
 * @param flops       CostModel.flops(direction), multiply-adds
 * @param idealBytes  CostModel.idealBytes(direction)
 */
public record MeasuredPoint(MeasuredResult result, DevicePreset device, long flops, long idealBytes) {

    public static MeasuredPoint of(MeasuredResult r, DevicePreset fallback) {
        CostModel m = new CostModel(r.problem(), r.dtype());
        DevicePreset d = DevicePresets.forResult(r.device(), r.deviceName(), fallback);
        return new MeasuredPoint(r, d, m.flops(r.direction()), m.idealBytes(r.direction()));
    }

    public double medianSeconds() {
        return result.medianMs().doubleValue() / 1e3;
    }

    /** x: multiply-adds per compulsory byte. */
    public double intensity() {
        return (double) flops / idealBytes;
    }

    /** y: multiply-adds per second at the median time. */
    public double opsPerSecond() {
        return flops / medianSeconds();
    }

    /** Lower bound on the device: max(flops / peak, idealBytes / bandwidth), in ms. */
    public double boundMs() {
        return device.boundSeconds(flops, idealBytes, result.dtype()) * 1e3;
    }

    /** Fraction of the roof reached: bound time / measured median (= y / roof(x)). */
    public double fractionOfRoof() {
        return boundMs() / result.medianMs().doubleValue();
    }
}
