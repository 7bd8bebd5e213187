package dev.dcnv4.analysis.report;

import dev.dcnv4.analysis.DevicePreset;
import dev.dcnv4.analysis.MeasuredPoint;
import dev.dcnv4.analysis.ShapeAnalysis;
import dev.dcnv4.arrays.DType;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.LogAxis;
import org.jfree.chart.axis.NumberTickUnit;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.chart.title.TextTitle;
import org.jfree.chart.ui.RectangleEdge;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;
import org.jfree.svg.SVGGraphics2D;
import org.jfree.svg.SVGHints;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Shape;
import java.awt.geom.Ellipse2D;
import java.awt.geom.Rectangle2D;
import java.text.DecimalFormat;
import java.text.FieldPosition;
import java.text.NumberFormat;
import java.text.ParsePosition;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The log-log roofline as an SVG element (JFreeChart drawn into JFreeSVG's Graphics2D, headless).
 * x: multiply-adds per byte; y: multiply-adds per second. One roof per device (bandwidth slope
 * up to the ridge, flat fp32 peak after it); one point per cost model of each analysed shape
 * (placed on the report device's roof: what that model would allow); one point per measured
 * result (x from the cost model, y = flops / median time).
 */
public final class RooflineChart {

    private static final Color[] ROOF = {new Color(0x222222), new Color(0x7a4f9a), new Color(0x2b7a78)};
    private static final Color[] MODEL = {new Color(0x1f77b4), new Color(0x6baed6), new Color(0x9ecae1)};
    // ten distinct colours: two devices x fp32/fp16 x forward/backward (8 series) never share one
    private static final Color[] MEASURED = {new Color(0xd62728), new Color(0xff7f0e), new Color(0x8c564b),
            new Color(0xe377c2), new Color(0xbcbd22), new Color(0x17becf), new Color(0x2ca02c),
            new Color(0x9467bd), new Color(0x7f7f7f), new Color(0x000080)};

    private RooflineChart() {
    }

    public static String svg(Report report, int width, int height) {
        System.setProperty("java.awt.headless", "true");
        JFreeChart chart = chart(report);
        SVGGraphics2D g = new SVGGraphics2D(width, height);
        // two decimals are plenty at screen resolution and keep the inline SVG small
        g.setGeomDoubleConverter(v -> trim(String.format(java.util.Locale.ROOT, "%.2f", v)));
        g.setTransformDoubleConverter(v -> trim(String.format(java.util.Locale.ROOT, "%.4f", v)));
        g.setRenderingHint(SVGHints.KEY_DRAW_STRING_TYPE, SVGHints.VALUE_DRAW_STRING_TYPE_STANDARD);
        chart.draw(g, new Rectangle2D.Double(0, 0, width, height));
        return g.getSVGElement();
    }

    private static String trim(String n) {
        if (n.indexOf('.') >= 0) {
            n = n.replaceAll("0+$", "");
            if (n.endsWith(".")) {
                n = n.substring(0, n.length() - 1);
            }
        }
        return n.equals("-0") ? "0" : n;
    }

    static JFreeChart chart(Report report) {
        XYSeriesCollection data = new XYSeriesCollection();
        XYLineAndShapeRenderer r = new XYLineAndShapeRenderer();
        double[] range = {Double.MAX_VALUE, 0, Double.MAX_VALUE, 0}; // xmin xmax ymin ymax
        DType roofType = report.shapes().isEmpty() ? DType.FP32 : report.shapes().get(0).dtype();

        // points first (their x range sets the roofs' extent)
        Map<String, XYSeries> models = new LinkedHashMap<>();
        Map<String, XYSeries> measured = new LinkedHashMap<>();
        for (ShapeAnalysis s : report.modelShapes()) {
            int i = 0;
            for (ShapeAnalysis.ModelPoint m : s.modelPoints()) {
                String key = "model: " + m.label().replaceAll(", ds=\\d+", "");
                double x = m.intensity();
                double y = report.device().attainable(x, s.dtype());
                models.computeIfAbsent(key + "#" + i, k -> new XYSeries(key, false, true)).add(x, y);
                widen(range, x, y);
                i++;
            }
        }
        for (ShapeAnalysis s : report.shapes()) {
            for (MeasuredPoint p : s.measured()) {
                String key = "measured: " + p.result().device() + " " + p.result().direction().label() + " "
                        + p.result().dtype().label();
                measured.computeIfAbsent(key, k -> new XYSeries(k, false, true)).add(p.intensity(), p.opsPerSecond());
                widen(range, p.intensity(), p.opsPerSecond());
            }
        }
        double xmin = Math.min(range[0], 0.05) / 2;
        double xmax = Math.max(range[1], 20) * 2;
        List<DevicePreset> roofs = report.roofDevices();
        for (DevicePreset d : roofs) {
            widen(range, xmin, d.attainable(xmin, roofType));
            widen(range, xmax, d.peakMultiplyAdds(roofType));
        }

        int series = 0;
        for (int i = 0; i < roofs.size(); i++) {
            DevicePreset d = roofs.get(i);
            XYSeries s = new XYSeries("roof: " + d.name() + String.format(java.util.Locale.ROOT, " (%.0f GB/s%s)",
                    d.bandwidthBytes() / 1e9, d.measured() ? ", measured" : ""), false, true);
            double ridge = d.ridgeIntensity(roofType);
            s.add(xmin, d.attainable(xmin, roofType));
            if (ridge > xmin && ridge < xmax) {
                s.add(ridge, d.peakMultiplyAdds(roofType));
            }
            s.add(xmax, d.attainable(xmax, roofType));
            data.addSeries(s);
            r.setSeriesPaint(series, ROOF[i % ROOF.length]);
            r.setSeriesStroke(series, new BasicStroke(2.2f));
            r.setSeriesShapesVisible(series, false);
            series++;
        }
        int m = 0;
        for (XYSeries s : models.values()) {
            data.addSeries(s);
            r.setSeriesPaint(series, MODEL[m++ % MODEL.length]);
            r.setSeriesLinesVisible(series, false);
            r.setSeriesShape(series, diamond(7));
            series++;
        }
        int k = 0;
        for (XYSeries s : measured.values()) {
            data.addSeries(s);
            r.setSeriesPaint(series, MEASURED[k++ % MEASURED.length]);
            r.setSeriesLinesVisible(series, false);
            r.setSeriesShape(series, new Ellipse2D.Double(-5, -5, 10, 10));
            series++;
        }

        LogAxis x = new LogAxis("arithmetic intensity (multiply-adds per byte)");
        x.setRange(xmin, xmax);
        x.setNumberFormatOverride(SI);
        x.setTickUnit(new NumberTickUnit(1));   // LogAxis tick units are exponents: one tick per decade
        x.setMinorTickMarksVisible(true);
        LogAxis y = new LogAxis("multiply-adds per second (paper FLOPs/s)");
        y.setRange(range[2] / 3, range[3] * 3);
        y.setNumberFormatOverride(SI);
        y.setTickUnit(new NumberTickUnit(1));
        y.setMinorTickMarksVisible(true);
        XYPlot plot = new XYPlot(data, x, y, r);
        plot.setBackgroundPaint(Color.WHITE);
        plot.setDomainGridlinePaint(new Color(0xdddddd));
        plot.setRangeGridlinePaint(new Color(0xdddddd));
        JFreeChart chart = new JFreeChart("DCNv4 roofline", new Font(Font.SANS_SERIF, Font.BOLD, 16), plot, true);
        chart.setBackgroundPaint(Color.WHITE);
        chart.getLegend().setPosition(RectangleEdge.BOTTOM);
        chart.addSubtitle(new TextTitle("roofs: memory bandwidth x intensity, capped by the fp32 peak; "
                + "diamonds: cost models on " + report.device().name() + "; circles: measured",
                new Font(Font.SANS_SERIF, Font.PLAIN, 11)));
        return chart;
    }

    /** Legend entries with one series per model kind, even across shapes. */
    private static Shape diamond(double s) {
        java.awt.geom.Path2D.Double p = new java.awt.geom.Path2D.Double();
        p.moveTo(0, -s);
        p.lineTo(s, 0);
        p.lineTo(0, s);
        p.lineTo(-s, 0);
        p.closePath();
        return p;
    }

    private static void widen(double[] range, double x, double y) {
        if (x > 0 && Double.isFinite(x)) {
            range[0] = Math.min(range[0], x);
            range[1] = Math.max(range[1], x);
        }
        if (y > 0 && Double.isFinite(y)) {
            range[2] = Math.min(range[2], y);
            range[3] = Math.max(range[3], y);
        }
    }

    /** Tick labels with SI prefixes (100 M, 1 G, 10 T), readable at a glance on log axes. */
    private static final NumberFormat SI = new NumberFormat() {
        private final DecimalFormat plain = new DecimalFormat("0.###");

        @Override
        public StringBuffer format(double v, StringBuffer to, FieldPosition pos) {
            String[] p = {"", "k", "M", "G", "T", "P"};
            if (v >= 1 || v == 0) {
                int i = 0;
                while (v >= 1000 && i < p.length - 1) {
                    v /= 1000;
                    i++;
                }
                return to.append(plain.format(v)).append(p[i].isEmpty() ? "" : " " + p[i]);
            }
            return to.append(plain.format(v));
        }

        @Override
        public StringBuffer format(long v, StringBuffer to, FieldPosition pos) {
            return format((double) v, to, pos);
        }

        @Override
        public Number parse(String source, ParsePosition pos) {
            throw new UnsupportedOperationException("format only");
        }
    };
}
