package dev.dcnv4.analysis.report;

import dev.dcnv4.analysis.ShapeAnalysis;

import java.util.List;

/**
 * The report as one self-contained HTML page: inline CSS, the roofline as inline SVG, no
 * scripts, no external URLs, so it opens offline and can be mailed as a single file.
 */
public final class HtmlReport {

    private static final String CSS = """
            body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:2em auto;max-width:1100px;\
            color:#222;line-height:1.45;padding:0 1em}
            h1{font-size:1.6em}h2{font-size:1.25em;margin-top:2em;border-bottom:1px solid #ccc}h3{font-size:1.05em}
            table{border-collapse:collapse;margin:.5em 0 .3em;font-size:.88em}
            th,td{border:1px solid #ccc;padding:.25em .55em;text-align:left;vertical-align:top}
            th{background:#f3f3f3}td.n{text-align:right;font-variant-numeric:tabular-nums}
            td.src{text-align:left;font-size:.85em;max-width:28em}
            .note{font-size:.85em;color:#555;margin:0 0 1em}
            .banner{background:#fff4d6;border:1px solid #e0b84c;padding:.6em 1em}
            figure{margin:1em 0}code{background:#f3f3f3;padding:0 .2em}
            """;

    /** Cells that are numbers (with an optional unit or %) are right-aligned. */
    private static final java.util.regex.Pattern NUMERIC =
            java.util.regex.Pattern.compile("-|[-+0-9.,]+( ?[a-zA-Z%]{1,2})?( \\(measured\\))?");

    private HtmlReport() {
    }

    public static String render(Report r, String svg) {
        StringBuilder b = new StringBuilder();
        b.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">")
                .append("<title>DCNv4 roofline and memory-access-cost report</title><style>")
                .append(CSS).append("</style></head><body>\n");
        b.append("<h1>DCNv4 roofline and memory-access-cost report</h1>\n");
        b.append("<p>").append(esc(r.generated())).append("</p>\n");
        if (r.benchNote() != null) {
            b.append("<p class=\"banner\"><strong>Note from the bench file:</strong> ").append(esc(r.benchNote()))
                    .append("</p>\n");
        }
        b.append("<p>").append(r.benchSource() == null ? "No measurements given (model only)."
                : "Measurements: <code>" + esc(r.benchSource()) + "</code>.").append("</p>\n");
        b.append("<p>").append(inline(Text.INTRO)).append("</p>\n");
        b.append("<figure>").append(svg).append("</figure>\n");
        table(b, ReportTables.devices(r), "h2", true);
        if (r.hasMeasurements()) {
            table(b, ReportTables.summary(r), "h2", false);
        }
        for (ShapeAnalysis s : r.shapes()) {
            b.append("<h2>").append(esc(ReportTables.heading(s))).append("</h2>\n");
            if (!s.measured().isEmpty()) {
                table(b, ReportTables.measured(s), "h3", false);
            }
            table(b, ReportTables.forward(s), "h3", false);
            table(b, ReportTables.instructions(s), "h3", false);
            table(b, ReportTables.backward(s), "h3", false);
        }
        b.append("<h2>How the numbers are defined</h2>\n<ul>\n");
        for (String item : Text.DEFINITIONS.split("\n")) {
            b.append("<li>").append(inline(item.substring(2))).append("</li>\n");
        }
        b.append("</ul>\n</body></html>\n");
        return b.toString();
    }

    private static void table(StringBuilder b, Table t, String level, boolean lastIsSource) {
        b.append('<').append(level).append('>').append(esc(t.title())).append("</").append(level).append(">\n");
        b.append("<table><thead><tr>");
        for (String h : t.header()) {
            b.append("<th>").append(esc(h)).append("</th>");
        }
        b.append("</tr></thead><tbody>\n");
        for (List<String> row : t.rows()) {
            b.append("<tr>");
            for (int i = 0; i < row.size(); i++) {
                boolean src = lastIsSource && i == row.size() - 1;
                String cls = src ? " class=\"src\"" : NUMERIC.matcher(row.get(i)).matches() ? " class=\"n\"" : "";
                b.append("<td").append(cls).append('>').append(esc(row.get(i))).append("</td>");
            }
            b.append("</tr>\n");
        }
        b.append("</tbody></table>\n");
        if (t.note() != null) {
            b.append("<p class=\"note\">").append(esc(t.note())).append("</p>\n");
        }
    }

    static String esc(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }

    /** Escapes, then turns the prose's **bold** marks into strong elements. */
    private static String inline(String s) {
        return esc(s).replaceAll("\\*\\*(.+?)\\*\\*", "<strong>$1</strong>");
    }
}
