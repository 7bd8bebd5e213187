package dev.dcnv4.analysis.report;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Writes report.md, report.html and roofline.svg into a folder (created if missing). */
public final class ReportWriter {

    public static final int WIDTH = 1000;
    public static final int HEIGHT = 620;

    private ReportWriter() {
    }

    /** Writes the three files and returns the HTML file's path. */
    public static Path write(Report report, Path dir) throws IOException {
        Files.createDirectories(dir);
        String svg = RooflineChart.svg(report, WIDTH, HEIGHT);
        Files.writeString(dir.resolve("roofline.svg"), "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n" + svg + "\n");
        Files.writeString(dir.resolve("report.md"), MarkdownReport.render(report));
        Path html = dir.resolve("report.html");
        Files.writeString(html, HtmlReport.render(report, svg));
        return html;
    }
}
