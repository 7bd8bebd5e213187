package dev.dcnv4.analysis.report;

import dev.dcnv4.analysis.ShapeAnalysis;

import java.util.List;

/**
 * The report as GitHub-flavoured Markdown. The roofline is referenced as {@code roofline.svg},
 * written beside report.md by {@link ReportWriter}; report.html carries the same chart inline.
 */
public final class MarkdownReport {

    private MarkdownReport() {
    }

    public static String render(Report r) {
        StringBuilder b = new StringBuilder();
        b.append("# DCNv4 roofline and memory-access-cost report\n\n");
        b.append(r.generated()).append("\n\n");
        if (r.benchNote() != null) {
            b.append("> **Note from the bench file:** ").append(r.benchNote()).append("\n\n");
        }
        b.append(r.benchSource() == null ? "No measurements given (model only).\n\n"
                : "Measurements: `" + r.benchSource() + "`.\n\n");
        b.append(Text.INTRO).append("\n\n");
        b.append("![roofline](roofline.svg)\n\n");
        table(b, ReportTables.devices(r), "##");
        if (r.hasMeasurements()) {
            table(b, ReportTables.summary(r), "##");
        }
        for (ShapeAnalysis s : r.shapes()) {
            b.append("## ").append(ReportTables.heading(s)).append("\n\n");
            if (!s.measured().isEmpty()) {
                table(b, ReportTables.measured(s), "###");
            }
            table(b, ReportTables.forward(s), "###");
            table(b, ReportTables.instructions(s), "###");
            table(b, ReportTables.backward(s), "###");
        }
        b.append("## How the numbers are defined\n\n").append(Text.DEFINITIONS).append('\n');
        return b.toString();
    }

    private static void table(StringBuilder b, Table t, String level) {
        b.append(level).append(' ').append(t.title()).append("\n\n");
        row(b, t.header());
        b.append('|');
        for (int i = 0; i < t.header().size(); i++) {
            b.append(i == 0 ? " --- |" : " ---: |");
        }
        b.append('\n');
        for (List<String> r : t.rows()) {
            row(b, r);
        }
        b.append('\n');
        if (t.note() != null) {
            b.append(t.note()).append("\n\n");
        }
    }

    private static void row(StringBuilder b, List<String> cells) {
        b.append('|');
        for (String c : cells) {
            b.append(' ').append(c.replace("|", "\\|")).append(" |");
        }
        b.append('\n');
    }
}
