package dev.dcnv4.analysis.report;

import java.util.List;

/** A titled table of already-formatted cells; the renderers only lay it out. */
record Table(String title, List<String> header, List<List<String>> rows, String note) {
}
