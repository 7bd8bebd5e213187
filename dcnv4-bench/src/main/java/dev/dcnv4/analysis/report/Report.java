package dev.dcnv4.analysis.report;

import dev.dcnv4.analysis.DevicePreset;
import dev.dcnv4.analysis.MeasuredPoint;
import dev.dcnv4.analysis.ShapeAnalysis;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What a report shows: the analysed shapes (each with its measured points), the roofline's
 * device, where the measurements came from and any note the bench file carries (a sample file
 * says so there, and the report repeats it at the top).
 *
 * @param device      the device of the model bounds (--device-preset, bandwidth override applied)
 * @param shapes      analyses, requested shapes first
 * @param requested   how many of {@code shapes} were asked for (--shape): the chart draws the cost-model
 *                    diamonds of those only, or of every shape when none was asked for
 * @param benchSource the bench JSON's path as given, or null
 * @param benchNote   the bench JSON's top-level "note", or null
 * @param generated   a timestamp line
 */
public record Report(DevicePreset device, List<ShapeAnalysis> shapes, int requested, String benchSource,
                     String benchNote, String generated) {

    public Report {
        shapes = List.copyOf(shapes);
        if (requested < 0 || requested > shapes.size()) {
            throw new IllegalArgumentException("requested: expected 0.." + shapes.size() + " but was " + requested);
        }
    }

    /** The shapes whose cost models are drawn as diamonds. */
    public List<ShapeAnalysis> modelShapes() {
        return requested == 0 ? shapes : shapes.subList(0, requested);
    }

    /** Every device whose roof is drawn: the report's device, then those matched to measured results. */
    public List<DevicePreset> roofDevices() {
        Map<String, DevicePreset> m = new LinkedHashMap<>();
        m.put(device.id() + device.bandwidthBytes(), device);
        for (ShapeAnalysis s : shapes) {
            for (MeasuredPoint p : s.measured()) {
                m.putIfAbsent(p.device().id() + p.device().bandwidthBytes(), p.device());
            }
        }
        return List.copyOf(m.values());
    }

    public boolean hasMeasurements() {
        return shapes.stream().anyMatch(s -> !s.measured().isEmpty());
    }
}
