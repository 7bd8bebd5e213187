package dev.dcnv4.bench.run;

import dev.dcnv4.arrays.DType;
import dev.dcnv4.op.Dcnv4Config;
import dev.dcnv4.op.Dcnv4Problem;
import dev.dcnv4.op.Direction;

/**
 * One benchmark case: a shape (N, H, W, C) with G groups, a square kernel and stride (pad keeps
 * "same" size at stride 1: (k-1)/2), a storage type and a direction. {@code name} is the suite
 * shape's name ("std-s4", ...) or "custom".
 */
public record BenchSpec(String name, int batch, int height, int width, int channels, int groups, int kernel,
                        int stride, DType dtype, Direction direction) {

    public BenchSpec {
        if (groups < 1 || channels % groups != 0) {
            throw new IllegalArgumentException("groups: expected a divisor of C = " + channels + " but was " + groups);
        }
        if (kernel < 1 || stride < 1) {
            throw new IllegalArgumentException("kernel/stride: expected >= 1 but were " + kernel + "/" + stride);
        }
    }

    /** The operator problem; offset_scale 1, pad (k-1)/2, dilation 1, as the official module uses it. */
    public Dcnv4Problem problem() {
        Dcnv4Config c = Dcnv4Config.builder().kernel(kernel).stride(stride).pad((kernel - 1) / 2).groups(groups)
                .groupChannels(channels / groups).build();
        return Dcnv4Problem.of(c, batch, height, width);
    }

    public BenchSpec with(DType t, Direction d) {
        return new BenchSpec(name, batch, height, width, channels, groups, kernel, stride, t, d);
    }

    public BenchSpec withBatch(int n) {
        return new BenchSpec(name, n, height, width, channels, groups, kernel, stride, dtype, direction);
    }

    /** "N,H,W,C" as on the command line. */
    public String shapeText() {
        return batch + "," + height + "," + width + "," + channels;
    }
}
