package dev.dcnv4.analysis.report;

/** The report's fixed prose (Markdown; the HTML renderer converts the few inline marks it uses). */
final class Text {

    private Text() {
    }

    static final String INTRO = """
            DCNv4 gathers 4 bilinear corners per sampling point and channel and does one multiply-add per corner, \
            so it does little arithmetic per byte: it is memory bound on GPUs. The roofline below plots, on log-log \
            axes, arithmetic intensity (multiply-adds per byte moved) against speed (multiply-adds per second). \
            Each device's roof is min(peak, intensity x bandwidth). Diamonds are the cost models of section 3.2 of \
            the DCNv4 paper placed on the roof (the best each traffic model allows); circles are measured runs, \
            x from the compulsory traffic of their shape, y = FLOPs / median time. A circle's distance below the \
            roof is the share of the lower-bound speed it reached ("% of roof").""";

    static final String DEFINITIONS = """
            - **FLOPs** follow the paper: one multiply-add counts once, 4 per sampling point per channel: \
            4*K*Q*C (36HWC for a 3x3 kernel). The backward counts 3x the forward.
            - **Ideal MAC (paper)**: input + output + 3K offset/weight numbers per group and position, in elements: \
            2HWC + 27HWG for 3x3, stride 1. **B_min** is the same traffic in bytes with the offset_mask at its real, \
            padded width P = 8*ceil(3KG/8).
            - **No cache (DCNv3)**: one thread per output channel, every corner, offset and weight read from DRAM: \
            (7K+1)*Q*C elements (64HWC for 3x3), about 17x the ideal for 16 channels per group.
            - **DCNv4 group reuse**: one thread handles ds channels of a group, reading its 3K offsets/weights once: \
            4KQC + 3KQC/ds + QC elements; with ds*b = 16 bytes every value access is one 128-bit load.
            - **Bound ms** = max(FLOPs / peak, bytes / bandwidth); **% of roof** = bound / measured median.
            - Formulas: docs/dcnv4-semantics.md section 7; how to read this report: docs/report.md.""";
}
