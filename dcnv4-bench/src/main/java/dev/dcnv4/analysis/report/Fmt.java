package dev.dcnv4.analysis.report;

import java.util.Locale;

/** Number formatting shared by the Markdown and HTML renderers (derived values only). */
final class Fmt {

    private Fmt() {
    }

    /** 3 significant digits with an SI prefix: 1.48 M, 924 G, 3.35 T. */
    static String si(double v) {
        if (v == 0 || !Double.isFinite(v)) {
            return String.valueOf(v);
        }
        String[] p = {"", " k", " M", " G", " T", " P"};
        int i = 0;
        double a = Math.abs(v);
        while (a >= 1000 && i < p.length - 1) {
            a /= 1000;
            v /= 1000;
            i++;
        }
        return sig3(v) + p[i];
    }

    /** Bytes in decimal MB. */
    static String mb(double bytes) {
        return sig3(bytes / 1e6) + " MB";
    }

    static String ms(double ms) {
        return ms >= 100 ? String.format(Locale.ROOT, "%.1f", ms) : sig3(ms);
    }

    static String pct(double fraction) {
        return String.format(Locale.ROOT, "%.1f%%", 100 * fraction);
    }

    /** Three significant digits, plain notation (0.0441, 2.44, 14.5, 1480). */
    static String sig3(double v) {
        if (v == 0 || !Double.isFinite(v)) {
            return String.valueOf(v);
        }
        if (Math.abs(v) >= 100) {
            return String.format(Locale.ROOT, "%.0f", v);
        }
        return new java.math.BigDecimal(v).round(new java.math.MathContext(3)).stripTrailingZeros().toPlainString();
    }

    static String count(long v) {
        return String.format(Locale.ROOT, "%,d", v);
    }

    static String count(double v) {
        return v == Math.rint(v) && Math.abs(v) < 9e18 ? count((long) v) : String.format(Locale.ROOT, "%,.1f", v);
    }
}
