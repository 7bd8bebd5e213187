package dev.dcnv4.op;

/**
 * The operator's parameters (everything except the tensor sizes N, H, W), validated on
 * construction. Build one with {@link #builder()}:
 *
 * <pre>{@code
 * Dcnv4Config cfg = Dcnv4Config.builder().groups(4).groupChannels(32).offsetScale(2f).build();
 * }</pre>
 *
 * Defaults are those of the official module: 3x3 kernel, stride 1, pad 1, dilation 1,
 * offset scale 1, no remove_center, no softmax. Groups and group channels must be given.
 *
 * <p>Layout reminder (docs/layouts.md): value (N, H, W, G*D); offset_mask (N, H_out, W_out, P)
 * with, per group g at g*3K, the 2K offsets as (x, y) pairs then the K weights; P = 8*ceil(3KG/8).
 * Sampling point k walks the kernel column-major: kernel column i (x) outer, row j (y) inner.
 *
 * @param kernelH        kernel height kh >= 1
 * @param kernelW        kernel width kw >= 1
 * @param strideH        vertical stride >= 1
 * @param strideW        horizontal stride >= 1
 * @param padH           vertical zero padding >= 0
 * @param padW           horizontal zero padding >= 0
 * @param dilationH      vertical dilation >= 1
 * @param dilationW      horizontal dilation >= 1
 * @param groups         G >= 1, spatial-aggregation groups
 * @param groupChannels  D >= 1, channels per group (C = G*D)
 * @param offsetScale    s, finite; scales both the kernel grid around the window centre and the offsets
 * @param removeCenter   skip the centre tap (kw/2, kh/2); K = kh*kw - 1
 * @param softmax        DCNv3 mode: softmax over the K weights of each (position, group)
 */
public record Dcnv4Config(int kernelH, int kernelW, int strideH, int strideW, int padH, int padW,
                          int dilationH, int dilationW, int groups, int groupChannels, float offsetScale,
                          boolean removeCenter, boolean softmax) {

    public Dcnv4Config {
        atLeast("kernelH", kernelH, 1);
        atLeast("kernelW", kernelW, 1);
        atLeast("strideH", strideH, 1);
        atLeast("strideW", strideW, 1);
        atLeast("padH", padH, 0);
        atLeast("padW", padW, 0);
        atLeast("dilationH", dilationH, 1);
        atLeast("dilationW", dilationW, 1);
        atLeast("groups", groups, 1);
        atLeast("groupChannels", groupChannels, 1);
        if (!Float.isFinite(offsetScale)) {
            throw new IllegalArgumentException("offsetScale: expected a finite number but was " + offsetScale);
        }
        if (removeCenter && kernelH * kernelW < 2) {
            throw new IllegalArgumentException("removeCenter: expected a kernel with at least 2 taps but was "
                    + kernelH + "x" + kernelW);
        }
        long p = 8L * ((3L * (kernelH * (long) kernelW - (removeCenter ? 1 : 0)) * groups + 7) / 8);
        if (p > Integer.MAX_VALUE || (long) groups * groupChannels > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("groups * groupChannels (" + groups + " * " + groupChannels
                    + ") or the offset_mask width (" + p + ") exceeds " + Integer.MAX_VALUE);
        }
    }

    private static void atLeast(String name, long value, long min) {
        if (value < min) {
            throw new IllegalArgumentException(name + ": expected >= " + min + " but was " + value);
        }
    }

    /** Sampling points per group: kh*kw, minus one with removeCenter. */
    public int points() {
        return kernelH * kernelW - (removeCenter ? 1 : 0);
    }

    /** Channels C = G*D. */
    public int channels() {
        return groups * groupChannels;
    }

    /** Width of offset_mask's last axis: 3*K*G rounded up to a multiple of 8. */
    public int paddedOffsetDim() {
        return 8 * ((3 * points() * groups + 7) / 8);
    }

    /** Output height for an input of height {@code inHeight}; the dilated kernel must fit. */
    public int outputHeight(int inHeight) {
        return outputSize("height", inHeight, padH, dilationH, kernelH, strideH);
    }

    /** Output width for an input of width {@code inWidth}; the dilated kernel must fit. */
    public int outputWidth(int inWidth) {
        return outputSize("width", inWidth, padW, dilationW, kernelW, strideW);
    }

    private static int outputSize(String axis, int in, int pad, int dil, int k, int stride) {
        long extent = (long) dil * (k - 1) + 1;
        long span = in + 2L * pad - extent;
        if (in < 1 || span < 0) {
            throw new IllegalArgumentException("input " + axis + ": expected >= " + Math.max(1, extent - 2L * pad)
                    + " (padded input must hold the dilated kernel of extent " + extent + ") but was " + in);
        }
        return (int) (span / stride + 1);
    }

    /** Half of the dilated kernel width, floor(dw*(kw-1)/2): the window centre's offset from its left. */
    public int halfW() {
        return (dilationW * (kernelW - 1)) >> 1;
    }

    /** Half of the dilated kernel height, floor(dh*(kh-1)/2). */
    public int halfH() {
        return (dilationH * (kernelH - 1)) >> 1;
    }

    /** A builder starting from a copy of this configuration. */
    public Builder toBuilder() {
        return new Builder().kernel(kernelH, kernelW).stride(strideH, strideW).pad(padH, padW)
                .dilation(dilationH, dilationW).groups(groups).groupChannels(groupChannels)
                .offsetScale(offsetScale).removeCenter(removeCenter).softmax(softmax);
    }

    public static Builder builder() {
        return new Builder();
    }

    @Override
    public String toString() {
        return "k" + kernelH + "x" + kernelW + " s" + strideH + "x" + strideW + " p" + padH + "x" + padW
                + " d" + dilationH + "x" + dilationW + " G" + groups + " D" + groupChannels
                + " scale" + offsetScale + (removeCenter ? " rc" : "") + (softmax ? " softmax" : "");
    }

    /** Mutable builder; {@link #build()} validates. */
    public static final class Builder {
        private int kernelH = 3, kernelW = 3, strideH = 1, strideW = 1, padH = 1, padW = 1;
        private int dilationH = 1, dilationW = 1, groups = -1, groupChannels = -1;
        private float offsetScale = 1f;
        private boolean removeCenter, softmax;

        public Builder kernel(int k) {
            return kernel(k, k);
        }

        public Builder kernel(int h, int w) {
            kernelH = h;
            kernelW = w;
            return this;
        }

        public Builder stride(int s) {
            return stride(s, s);
        }

        public Builder stride(int h, int w) {
            strideH = h;
            strideW = w;
            return this;
        }

        public Builder pad(int p) {
            return pad(p, p);
        }

        public Builder pad(int h, int w) {
            padH = h;
            padW = w;
            return this;
        }

        public Builder dilation(int d) {
            return dilation(d, d);
        }

        public Builder dilation(int h, int w) {
            dilationH = h;
            dilationW = w;
            return this;
        }

        public Builder groups(int g) {
            groups = g;
            return this;
        }

        public Builder groupChannels(int d) {
            groupChannels = d;
            return this;
        }

        public Builder offsetScale(float s) {
            offsetScale = s;
            return this;
        }

        public Builder removeCenter(boolean rc) {
            removeCenter = rc;
            return this;
        }

        public Builder softmax(boolean sm) {
            softmax = sm;
            return this;
        }

        public Dcnv4Config build() {
            if (groups == -1) {
                throw new IllegalArgumentException("groups: expected a value >= 1 but none was set");
            }
            if (groupChannels == -1) {
                throw new IllegalArgumentException("groupChannels: expected a value >= 1 but none was set");
            }
            return new Dcnv4Config(kernelH, kernelW, strideH, strideW, padH, padW, dilationH, dilationW,
                    groups, groupChannels, offsetScale, removeCenter, softmax);
        }
    }
}
