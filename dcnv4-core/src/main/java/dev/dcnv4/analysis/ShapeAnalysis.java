package dev.dcnv4.analysis;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.dcnv4.arrays.DType;
import dev.dcnv4.op.Dcnv4Problem;

import java.util.List;

/**
 * Everything the analyzer says about one shape on one device: forward and backward costs at the
 * chosen d_strides, intensities, lower-bound times, and the measured results of that shape.
 * {@link #toJson} is the {@code dcnv4 analyze --json} format (field names documented in
 * docs/report.md).
 *
 * @param problem    the shape
 * @param dtype      storage precision
 * @param ds         forward d_stride (default: the 128-bit one, 16 / b)
 * @param dsBackward backward d_stride (default: the official heuristic, 2 if D >= 64 else 1)
 * @param device     the roofline's device
 * @param measured   measured points of this shape and dtype (may be empty)
 */
public record ShapeAnalysis(Dcnv4Problem problem, DType dtype, int ds, int dsBackward, DevicePreset device,
                            List<MeasuredPoint> measured) {

    public ShapeAnalysis {
        if (ds < 1 || dsBackward < 1) {
            throw new IllegalArgumentException("d_stride: expected >= 1 but was " + ds + " / " + dsBackward);
        }
        if (problem.config().groupChannels() % ds != 0) {
            throw new IllegalArgumentException("d_stride: expected a divisor of D=" + problem.config().groupChannels()
                    + " but was " + ds);
        }
        measured = List.copyOf(measured);
    }

    public static ShapeAnalysis of(Dcnv4Problem problem, DType dtype, DevicePreset device, List<MeasuredPoint> measured) {
        int d = problem.config().groupChannels();
        int ds = Math.min(16 / dtype.bytes(), d);
        while (d % ds != 0) {
            ds--;
        }
        return new ShapeAnalysis(problem, dtype, ds, d >= 64 ? 2 : 1, device, measured);
    }

    public ForwardCost forward() {
        return new ForwardCost(problem, dtype);
    }

    public BackwardCost backward() {
        return new BackwardCost(problem, dtype);
    }

    /** The cost models as roofline points: label, multiply-adds, bytes. */
    public List<ModelPoint> modelPoints() {
        ForwardCost f = forward();
        return List.of(
                new ModelPoint("ideal (B_min, padded P)", f.flopsPaper(), f.bytesMin()),
                new ModelPoint("DCNv4 group reuse, no cache (B_max, ds=" + ds + ")", f.flopsPaper(), f.bytesMax(ds)),
                new ModelPoint("DCNv3 no cache (B_max, ds=1)", f.flopsPaper(), f.bytesNoCache()));
    }

    /** One cost model on the roofline: x = ops / bytes, y = attainable rate there. */
    public record ModelPoint(String label, double ops, double bytes) {
        public double intensity() {
            return ops / bytes;
        }
    }

    public ObjectNode toJson(ObjectMapper mapper) {
        ForwardCost f = forward();
        BackwardCost b = backward();
        var cfg = problem.config();
        ObjectNode o = mapper.createObjectNode();
        ArrayNode shape = o.putArray("shape");
        for (int v : problem.inputShape()) {
            shape.add(v);
        }
        o.put("groups", cfg.groups());
        o.put("group_channels", cfg.groupChannels());
        o.putArray("kernel").add(cfg.kernelH()).add(cfg.kernelW());
        o.putArray("stride").add(cfg.strideH()).add(cfg.strideW());
        o.put("remove_center", cfg.removeCenter());
        o.put("dtype", dtype.label());
        o.put("bytes_per_element", dtype.bytes());
        o.put("points", f.k());
        o.put("padded_offset_dim", f.p());
        o.putArray("output_shape").add(problem.batch()).add(problem.outHeight()).add(problem.outWidth())
                .add(cfg.channels());
        o.put("positions", f.q());
        o.put("d_stride", ds);
        o.put("d_stride_backward", dsBackward);
        o.put("flops_convention", "flops = multiply-adds (paper: 4 bilinear corners per point per channel)");
        o.put("flops", f.flopsPaper());
        o.put("flops_core", f.flopsCore());
        num(o, "flops_coeff", f.flopsCoeff(ds));
        o.put("mac_ideal_elements", f.macIdealElements());
        o.put("mac_nocache_elements", f.macNoCacheElements());
        num(o, "mac_group_reuse_elements", f.macGroupReuseElements(ds));
        o.put("nocache_over_ideal", (double) f.macNoCacheElements() / f.macIdealElements());
        o.put("mac_ideal_bytes_paper", f.bytesIdealPaper());
        o.put("bytes_min", f.bytesMin());
        num(o, "bytes_group_reuse", f.bytesMax(ds));
        o.put("bytes_nocache", f.bytesNoCache());
        ObjectNode ins = o.putObject("memory_instructions");
        ins.put("dcnv3_scalar", f.memoryInstructionsDcnv3());
        num(ins, "group_reuse_scalar", f.memoryInstructionsScalar(ds));
        num(ins, "group_reuse_vector", f.memoryInstructionsVector(ds));
        num(ins, "accesses_128bit", f.accesses128(ds));
        ObjectNode ai = o.putObject("intensity");
        ai.put("unit", "multiply-adds per byte");
        ai.put("ideal", f.flopsPaper() / (double) f.bytesMin());
        ai.put("group_reuse", f.flopsPaper() / f.bytesMax(ds));
        ai.put("nocache", f.flopsPaper() / (double) f.bytesNoCache());
        ai.put("per_element_ideal", f.flopsPaper() / (double) f.macIdealElements());
        ai.put("per_element_nocache", f.flopsPaper() / (double) f.macNoCacheElements());
        o.set("device", deviceJson(mapper));
        ObjectNode bound = o.putObject("bound_ms");
        bound.put("compute", f.flopsPaper() / device.peakMultiplyAdds(dtype) * 1e3);
        bound.put("ideal", device.boundSeconds(f.flopsPaper(), f.bytesMin(), dtype) * 1e3);
        bound.put("group_reuse", device.boundSeconds(f.flopsPaper(), f.bytesMax(ds), dtype) * 1e3);
        bound.put("nocache", device.boundSeconds(f.flopsPaper(), f.bytesNoCache(), dtype) * 1e3);
        ObjectNode bw = o.putObject("backward");
        bw.put("flops", b.flopsPaper());
        num(bw, "flops_executed", b.flops(dsBackward));
        bw.put("bytes_compulsory", new CostModel(problem, dtype).backwardIdealBytes());
        bw.put("bytes_min_official", b.bytesMin());
        num(bw, "bytes_max", b.bytesMax(dsBackward));
        bw.put("atomics", b.atomics());
        bw.put("bound_ms_min", device.boundSeconds(b.flopsPaper(), b.bytesMin(), dtype) * 1e3);
        bw.put("bound_ms_max", device.boundSeconds(b.flopsPaper(), b.bytesMax(dsBackward), dtype) * 1e3);
        ArrayNode ms = o.putArray("measured");
        for (MeasuredPoint p : measured) {
            ms.add(measuredJson(mapper, p));
        }
        return o;
    }

    /** Counts that are whole numbers are written as integers, fractional ones (ds not dividing) as decimals. */
    private static void num(ObjectNode o, String field, double v) {
        if (v == Math.rint(v) && Math.abs(v) < 9e15) {
            o.put(field, (long) v);
        } else {
            o.put(field, v);
        }
    }

    private ObjectNode deviceJson(ObjectMapper mapper) {
        ObjectNode d = mapper.createObjectNode();
        d.put("id", device.id());
        d.put("name", device.name());
        d.put("bandwidth_gbps", device.bandwidthBytes() / 1e9);
        d.put("peak_fp32_tflops", device.peakFp32Flops() / 1e12);
        d.put("peak_fp16_tflops", device.peakFp16Flops() / 1e12);
        d.put("roof_multiply_adds_per_s", device.peakMultiplyAdds(dtype));
        d.put("ridge_intensity", device.ridgeIntensity(dtype));
        d.put("bandwidth_measured", device.measured());
        d.put("source", device.source());
        return d;
    }

    static ObjectNode measuredJson(ObjectMapper mapper, MeasuredPoint p) {
        MeasuredResult r = p.result();
        ObjectNode m = mapper.createObjectNode();
        m.put("device", r.device());
        if (r.deviceName() != null) {
            m.put("device_name", r.deviceName());
        }
        if (r.name() != null) {
            m.put("name", r.name());
        }
        m.put("direction", r.direction().label());
        m.put("dtype", r.dtype().label());
        m.put("median_ms", r.medianMs());
        if (r.minMs() != null) {
            m.put("min_ms", r.minMs());
        }
        if (r.gbps() != null) {
            m.put("gbps", r.gbps());
        }
        if (r.gflops() != null) {
            m.put("gflops", r.gflops());
        }
        m.put("roof_device", p.device().id());
        m.put("intensity", p.intensity());
        m.put("multiply_adds_per_s", p.opsPerSecond());
        m.put("bound_ms", p.boundMs());
        m.put("fraction_of_roof", p.fractionOfRoof());
        return m;
    }
}
