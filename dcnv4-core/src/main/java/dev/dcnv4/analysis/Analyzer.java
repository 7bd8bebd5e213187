package dev.dcnv4.analysis;

import dev.dcnv4.arrays.DType;
import dev.dcnv4.op.Dcnv4Problem;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Puts requested shapes and measured results together: one {@link ShapeAnalysis} per distinct
 * (problem, dtype), the requested ones first (with the measured results of the same shape and
 * dtype attached), then every other measured shape in the order the bench wrote them.
 */
public final class Analyzer {

    private Analyzer() {
    }

    /** A shape asked for on the command line; {@code ds} <= 0 picks the default d_stride. */
    public record Request(Dcnv4Problem problem, DType dtype, int ds) {
    }

    public static List<ShapeAnalysis> analyze(List<Request> requests, List<MeasuredResult> results, DevicePreset device) {
        record Key(Dcnv4Problem problem, DType dtype) {
        }
        Map<Key, List<MeasuredPoint>> measured = new LinkedHashMap<>();
        for (MeasuredResult r : results) {
            measured.computeIfAbsent(new Key(r.problem(), r.dtype()), k -> new ArrayList<>())
                    .add(MeasuredPoint.of(r, device));
        }
        List<ShapeAnalysis> out = new ArrayList<>();
        for (Request q : requests) {
            List<MeasuredPoint> pts = measured.remove(new Key(q.problem(), q.dtype()));
            ShapeAnalysis a = ShapeAnalysis.of(q.problem(), q.dtype(), device, pts == null ? List.of() : pts);
            if (q.ds() > 0) {
                a = new ShapeAnalysis(a.problem(), a.dtype(), q.ds(), a.dsBackward(), device, a.measured());
            }
            out.add(a);
        }
        measured.forEach((k, pts) -> out.add(ShapeAnalysis.of(k.problem(), k.dtype(), device, pts)));
        return out;
    }
}
