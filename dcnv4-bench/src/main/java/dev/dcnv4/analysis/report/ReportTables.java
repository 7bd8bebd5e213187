package dev.dcnv4.analysis.report;

import dev.dcnv4.analysis.BackwardCost;
import dev.dcnv4.analysis.CostModel;
import dev.dcnv4.analysis.DevicePreset;
import dev.dcnv4.analysis.ForwardCost;
import dev.dcnv4.analysis.MeasuredPoint;
import dev.dcnv4.analysis.MeasuredResult;
import dev.dcnv4.analysis.ShapeAnalysis;
import dev.dcnv4.arrays.DType;

import java.util.ArrayList;
import java.util.List;

/**
 * The report's tables, built once and rendered by both {@link MarkdownReport} and
 * {@link HtmlReport}. Measured numbers are printed exactly as the bench JSON wrote them;
 * everything else is derived and rounded to three significant digits.
 */
final class ReportTables {

    private ReportTables() {
    }

    static Table devices(Report r) {
        List<List<String>> rows = new ArrayList<>();
        for (DevicePreset d : r.roofDevices()) {
            rows.add(List.of(d.id(), d.name(), Fmt.sig3(d.bandwidthBytes() / 1e9) + (d.measured() ? " (measured)" : ""),
                    Fmt.sig3(d.peakFp32Flops() / 1e12), Fmt.sig3(d.peakFp16Flops() / 1e12),
                    Fmt.sig3(d.ridgeIntensity(DType.FP32)), d.source()));
        }
        return new Table("Devices", List.of("preset", "device", "bandwidth GB/s", "fp32 TFLOP/s", "fp16 TFLOP/s",
                "ridge (mult-adds/B)", "source"), rows,
                "Vendor peaks count an FMA as 2 FLOPs; the roof is drawn in multiply-adds/s (fp32 peak / 2) because "
                        + "the paper's FLOPs count one multiply-add as one and every kernel computes in fp32.");
    }

    static String heading(ShapeAnalysis s) {
        var c = s.problem().config();
        int[] in = s.problem().inputShape();
        return "N,H,W,C = " + in[0] + "," + in[1] + "," + in[2] + "," + in[3] + ", G=" + c.groups() + " (D="
                + c.groupChannels() + "), kernel " + c.kernelH() + "x" + c.kernelW() + ", stride " + c.strideH()
                + (c.removeCenter() ? ", remove_center" : "") + ", " + s.dtype().label();
    }

    static Table forward(ShapeAnalysis s) {
        ForwardCost f = s.forward();
        DevicePreset d = s.device();
        DType t = s.dtype();
        int ds = s.ds();
        double ops = f.flopsPaper();
        List<List<String>> rows = new ArrayList<>();
        rows.add(List.of("FLOPs (multiply-adds, 4 per bilinear sample per channel)", Fmt.count(f.flopsPaper()), "-",
                "-", Fmt.ms(ops / d.peakMultiplyAdds(t) * 1e3)));
        rows.add(row("ideal MAC, paper (2HWC + 3KHWG: offsets/weights unpadded)", f.macIdealElements(),
                f.bytesIdealPaper(), ops, d, t));
        rows.add(row("ideal, actual bytes B_min (offset_mask padded to P=" + f.p() + ")",
                f.bytesMin() / (double) t.bytes(), f.bytesMin(), ops, d, t));
        rows.add(row("DCNv4 group reuse, no cache, ds=" + ds + " (B_max)", f.macGroupReuseElements(ds), f.bytesMax(ds),
                ops, d, t));
        rows.add(row("DCNv3 no cache, one thread per channel (64HWC for 3x3)", f.macNoCacheElements(),
                f.bytesNoCache(), ops, d, t));
        return new Table("Forward: cost models on " + d.name(),
                List.of("model", "elements", "bytes", "mult-adds / byte", "bound ms"), rows,
                String.format(java.util.Locale.ROOT, "No-cache / ideal = %.1fx (elements). Executed flops F_core = %s, "
                                + "coefficient flops F_coeff(ds=%d) = %s. Bound = max(FLOPs / peak, bytes / bandwidth).",
                        (double) f.macNoCacheElements() / f.macIdealElements(), Fmt.si(f.flopsCore()), ds,
                        Fmt.si(f.flopsCoeff(ds))));
    }

    private static List<String> row(String label, double elements, double bytes, double ops, DevicePreset d, DType t) {
        return List.of(label, Fmt.count(elements), Fmt.mb(bytes), Fmt.sig3(ops / bytes),
                Fmt.ms(d.boundSeconds(ops, bytes, t) * 1e3));
    }

    static Table instructions(ShapeAnalysis s) {
        ForwardCost f = s.forward();
        int ds = s.ds();
        int vb = ds * s.dtype().bytes() * 8;
        List<List<String>> rows = List.of(
                List.of("DCNv3: one thread per channel, scalar", Fmt.count(f.memoryInstructionsDcnv3())),
                List.of("DCNv4 group reuse ds=" + ds + ", scalar loads", Fmt.count(f.memoryInstructionsScalar(ds))),
                List.of("DCNv4 group reuse ds=" + ds + ", " + vb + "-bit vector loads/stores",
                        Fmt.count(f.memoryInstructionsVector(ds))),
                List.of("hardware accesses of at most 128 bits", Fmt.count(f.accesses128(ds))));
        return new Table("Forward: memory instructions", List.of("access pattern", "instructions"), rows, null);
    }

    static Table backward(ShapeAnalysis s) {
        BackwardCost b = s.backward();
        DevicePreset d = s.device();
        DType t = s.dtype();
        int ds = s.dsBackward();
        long compulsory = new CostModel(s.problem(), t).backwardIdealBytes();
        double ops = b.flopsPaper();
        List<List<String>> rows = List.of(
                List.of("multiply-adds (3 x forward)", Fmt.count(b.flopsPaper()), "-", "-"),
                List.of("executed flops (ds=" + ds + ")", Fmt.si(b.flops(ds)), "-", "-"),
                List.of("compulsory: read inputs, write fp32 gradients once", "-", Fmt.mb(compulsory),
                        Fmt.ms(d.boundSeconds(ops, compulsory, t) * 1e3)),
                List.of("official B_min (+ zero-init" + (t.bytes() == 2 ? " + cast pass" : "") + ")", "-",
                        Fmt.mb(b.bytesMin()), Fmt.ms(d.boundSeconds(ops, b.bytesMin(), t) * 1e3)),
                List.of("B_max, no cache, atomics as 8-byte RMW (ds=" + ds + ")", "-", Fmt.mb(b.bytesMax(ds)),
                        Fmt.ms(d.boundSeconds(ops, b.bytesMax(ds), t) * 1e3)),
                List.of("fp32 atomicAdds into grad_input", Fmt.count(b.atomics()), "-", "-"));
        return new Table("Backward on " + d.name(), List.of("quantity", "count", "bytes", "bound ms"), rows, null);
    }

    /**
     * One row per measured result across all shapes: the measured median next to the model's
     * bounds on that result's device (compulsory traffic, and DCNv3-style no-cache traffic).
     */
    static Table summary(Report r) {
        List<List<String>> rows = new ArrayList<>();
        for (ShapeAnalysis s : r.shapes()) {
            for (MeasuredPoint p : s.measured()) {
                MeasuredResult m = p.result();
                ForwardCost f = s.forward();
                double noCache = m.direction() == dev.dcnv4.op.Direction.FORWARD
                        ? p.device().boundSeconds(f.flopsPaper(), f.bytesNoCache(), s.dtype()) * 1e3
                        : p.device().boundSeconds(3.0 * f.flopsPaper(), s.backward().bytesMax(s.dsBackward()),
                                s.dtype()) * 1e3;
                int[] in = s.problem().inputShape();
                rows.add(List.of(m.name() == null ? "-" : m.name(),
                        in[0] + "," + in[1] + "," + in[2] + "," + in[3] + " G" + s.problem().config().groups(),
                        m.device(), m.dtype().label(), m.direction().label(), MeasuredResult.plain(m.medianMs()),
                        Fmt.ms(p.boundMs()), Fmt.ms(noCache), Fmt.pct(p.fractionOfRoof())));
            }
        }
        return new Table("Summary of measured results", List.of("name", "N,H,W,C G", "device", "dtype", "direction",
                "median_ms", "bound ms (ideal)", "bound ms (no cache)", "% of roof"), rows,
                "median_ms as in the bench JSON; bounds on the result's device: ideal = compulsory traffic, "
                        + "no cache = the DCNv3-style B_max(1) forward, B_max backward; % of roof = ideal bound / median.");
    }

    static Table measured(ShapeAnalysis s) {
        List<List<String>> rows = new ArrayList<>();
        for (MeasuredPoint p : s.measured()) {
            MeasuredResult r = p.result();
            rows.add(List.of(r.device() + (r.deviceName() != null ? " (" + r.deviceName() + ")" : ""),
                    r.name() == null ? "-" : r.name(), r.direction().label(), r.dtype().label(),
                    MeasuredResult.plain(r.medianMs()), MeasuredResult.plain(r.minMs()),
                    MeasuredResult.plain(r.gbps()), MeasuredResult.plain(r.gflops()), p.device().id(),
                    Fmt.ms(p.boundMs()), Fmt.pct(p.fractionOfRoof())));
        }
        return new Table("Measured (numbers as in the bench JSON)", List.of("device", "name", "direction", "dtype",
                "median_ms", "min_ms", "gbps", "gflops", "roof", "bound ms", "% of roof"), rows,
                "bound ms: compulsory bytes (CostModel.idealBytes) and CostModel.flops on the roof's device; "
                        + "% of roof = bound / median.");
    }
}
