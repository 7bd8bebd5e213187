package dev.dcnv4.cpu;

import dev.dcnv4.arrays.DType;
import dev.dcnv4.arrays.NativeArray;
import dev.dcnv4.op.Dcnv4Config;
import dev.dcnv4.op.Dcnv4Problem;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;

/**
 * The forward pass over a contiguous range of output positions (one task's share).
 *
 * <p>Per (position, group) {@link SamplingGeometry} reads the 3K offsets and weights once and
 * computes the K points' corner indices and bilinear weights once; the D channels of the group are
 * then processed {@link #LANES} at a time with the Vector API (four vectors per pass with 256-bit or
 * narrower vectors, two with 512-bit, while they fit; groups without border points in
 * {@link InteriorPasses}), with a scalar tail for D not a multiple of the vector length. (Masked vector loads from memory
 * segments were measured 50x slower than plain ones with JDK 25 on AVX-512: not used.) Every channel follows the canonical order of
 * docs/dcnv4-semantics.md 2.6 with fused multiply-adds ({@code FloatVector.fma} is lanewise
 * {@code Math.fma}), so fp32 results are bit-identical to the official CUDA kernel's:
 *
 * <pre>
 *   t = w2*v2;  t = fma(w1, v1, t);  t = fma(w3, v3, t);  t = fma(w4, v4, t);  acc = fma(m, t, acc)
 * </pre>
 *
 * The kernel reads an fp32 input (the caller's array for fp32 storage, else a per-task copy widened
 * row by row on first use, see {@link Task}). Corners outside the image read as zero vectors.
 */
final class ForwardKernel {
    static final VectorSpecies<Float> S = Lanes.SPECIES;
    static final int LANES = S.length();
    /** Positions whose fp16 results are rounded together (8 x C = 128: 4 KB of floats, in L1). */
    static final int STAGED = 8;
    private static final ByteOrder ORDER = ByteOrder.nativeOrder();

    private final int positions, width, channels, groups, groupChannels, kPoints, offsetDim;

    ForwardKernel(Dcnv4Problem problem) {
        Dcnv4Config c = problem.config();
        positions = problem.positions();
        width = problem.width();
        channels = c.channels();
        groups = c.groups();
        groupChannels = c.groupChannels();
        kPoints = c.points();
        offsetDim = c.paddedOffsetDim();
    }

    /**
     * One task's (thread's) state for a call, reused across the chunks the task runs.
     *
     * <p>fp32 storage: {@code in} is the caller's input and results go straight to the caller's output.
     * fp16/bf16 storage: the input is widened lazily, row by row, into this task's own fp32 copy
     * {@code in} ({@code ready} flags the rows widened in this call) just before a point first reads
     * them, so the conversion happens on the core that uses it while the rows are in its cache, and there
     * is no separate conversion pass or hand-over between threads. Results for an fp16 output are staged
     * {@link #STAGED} positions at a time in {@link #halfStage}, for a bf16 output one position at a time
     * in {@code stage} (C floats, in cache), and rounded once into the caller's output.
     */
    static final class Task {
        final SamplingGeometry geo;
        final float[] omRow;
        final MemorySegment in;
        private final NativeArray source;
        /**
         * Rows widened (fp16/bf16) or streamed in (fp32) in this call. fp32 rows are read into the
         * cache sequentially just ahead of the points that read them ({@link Storage#touch}): the corner
         * loads alone, spread over two rows, leave the hardware prefetcher idle and wait on memory
         * whenever the input is not in cache (1x200x320x128: 18.3 -> 11.4 ms; and on this shared
         * machine, where other tenants evict it, the median backward of 1x56x56x128 fell by 20%).
         */
        private final boolean[] ready;
        private final MemorySegment stage;
        /**
         * fp16 output: the results of up to {@link #STAGED} consecutive positions, stored by the kernels
         * as arrays (not segments: a second segment class at the kernels' stores slowed fp32 too) and
         * rounded together by the hardware conversion ({@link Storage#floatsToHalves}), then copied out.
         */
        final float[] halfStage;
        private final short[] halves;
        private final Storage.Scratch scratch;
        private final long rowFloats;
        private final int lastInputRow;
        private int lo, hi, sink;

        /**
         * @param buffer for non-fp32 storage, this task's workspace of at least
         *               {@code (input is fp32 ? 0 : inputSize) + channels} floats; else unused
         * @param state  this task slot's reusable geometry, offset row and scratch
         */
        Task(Dcnv4Problem problem, NativeArray input, NativeArray output, MemorySegment buffer, TaskState state) {
            Dcnv4Config c = problem.config();
            TaskState.Forward reused = state.forward(problem);
            geo = reused.geometry();
            omRow = reused.offsetRow();
            scratch = state.scratch;
            rowFloats = (long) problem.width() * c.channels();
            boolean lazy = input.dtype() != DType.FP32;
            long wide = lazy ? 4L * problem.inputSize() : 0;
            source = lazy ? input : null;
            in = lazy ? buffer.asSlice(0, wide) : input.getSegment();
            lastInputRow = problem.batch() * problem.height() - 1;
            ready = new boolean[lastInputRow + 1];
            boolean half = output.dtype() == DType.FP16;
            stage = output.dtype() == DType.FP32 || half ? null : buffer.asSlice(wide, 4L * c.channels());
            halfStage = half ? reused.halfStage() : null;
            halves = half ? reused.halves() : null;
        }

        /**
         * Prepares the input rows that the valid points of {@link #geo} read ({@code firstRow..lastRow}),
         * where not done yet in this call: widens them (fp16/bf16), or streams them, and the next row,
         * into the cache (fp32). {@code [lo, hi)} is a run of rows known to be ready, so that the
         * common case (the rows of the previous positions) costs one comparison.
         */
        private void prepareRows() {
            int a = geo.firstRow, b = geo.lastRow;
            if (source == null && b >= a) {
                b = Math.min(b + 1, lastInputRow);       // one row ahead of the points
            }
            if (a > b || (a >= lo && b < hi)) {
                return;
            }
            for (int r = a; r <= b; r++) {
                if (!ready[r]) {
                    if (source != null) {
                        widenRow(r);
                    } else {
                        sink |= Storage.touch(in, 4L * r * rowFloats, 4L * rowFloats);
                    }
                    ready[r] = true;
                }
            }
            if (lo == hi || b + 1 < lo || a > hi) {
                lo = a;                                  // disjoint: the new run replaces the old one
                hi = b + 1;
            } else {
                lo = Math.min(lo, a);
                hi = Math.max(hi, b + 1);
            }
        }

        private void widenRow(int r) {
            int from = (int) (r * rowFloats);
            Storage.widen(source, from, from + (int) rowFloats, in, scratch);
        }
    }

    /**
     * Computes output positions [from, to) (flat over batch and H_out*W_out).
     *
     * @param om     offset_mask in its storage precision (read and widened per position)
     * @param output the caller's output
     */
    void run(int from, int to, Task task, NativeArray om, NativeArray output) {
        int d = groupChannels;
        SamplingGeometry geo = task.geo;
        MemorySegment in = task.in, stage = task.stage;
        MemorySegment out = stage == null ? output.getSegment() : stage;
        float[] omRow = task.omRow, oa = task.halfStage;
        int first = from;                                   // the first position in halfStage
        long cs = 4L * channels, rs = cs * width;          // bytes to the right / lower neighbour
        boolean quadGroups = Lanes.QUADS && d == 4 * LANES;    // D = 32 with 256-bit vectors: one call per position
        boolean pairGroups = d == 2 * LANES;                   // D = 16 with 256-bit, D = 32 with 512-bit vectors
        for (int pos = from; pos < to; pos++) {
            int n = pos / positions, q = pos - n * positions;
            Storage.read(om, pos * offsetDim, omRow, offsetDim);   // whole padded row: full vectors
            geo.compute(omRow, n, q);
            task.prepareRows();
            long posBase = oa != null ? 4L * (pos - first) * channels : stage == null ? 4L * pos * channels : 0;
            // a position without border points, groups of one pass each: one call for all groups
            boolean whole = (quadGroups || pairGroups) && !geo.anyBorder();
            if (whole && quadGroups) {
                InteriorPasses.interiorQuadAll(in, geo, groups, kPoints, cs, rs, out, oa, posBase);
            } else if (whole) {
                InteriorPasses.interiorPairAll(in, geo, groups, kPoints, cs, rs, out, oa, posBase);
            }
            for (int g = 0; g < groups && !whole; g++) {
                int p0 = g * kPoints, p1 = p0 + kPoints;
                long outBase = posBase + 4L * g * d;
                int c = 0;
                if (geo.anyBorder(p0, p1)) {
                    for (; Lanes.QUADS && c + 4 * LANES <= d; c += 4 * LANES) {
                        vectorQuad(in, geo, p0, p1, 4L * c, cs, rs, out, oa, outBase + 4L * c);
                    }
                    for (; c + 2 * LANES <= d; c += 2 * LANES) {
                        vectorPair(in, geo, p0, p1, 4L * c, cs, rs, out, oa, outBase + 4L * c);
                    }
                } else {
                    for (; Lanes.QUADS && c + 4 * LANES <= d; c += 4 * LANES) {
                        InteriorPasses.interiorQuad(in, geo, p0, p1, 4L * c, cs, rs, out, oa, outBase + 4L * c);
                    }
                    for (; c + 2 * LANES <= d; c += 2 * LANES) {
                        InteriorPasses.interiorPair(in, geo, p0, p1, 4L * c, cs, rs, out, oa, outBase + 4L * c);
                    }
                }
                for (; c + LANES <= d; c += LANES) {
                    vectorSingle(in, geo, p0, p1, 4L * c, cs, rs, out, oa, outBase + 4L * c);
                }
                for (; c < d; c++) {
                    float v = scalarChannel(in, geo, p0, p1, c);
                    if (oa == null) {
                        out.set(Storage.F32, outBase + 4L * c, v);
                    } else {
                        oa[(int) ((outBase >> 2) + c)] = v;
                    }
                }
            }
            if (stage != null) {
                Storage.narrowBf16(stage, 0, output.getSegment(), (long) pos * channels, channels);   // one position
            } else if (oa != null && (pos + 1 - first == STAGED || pos + 1 == to)) {
                int count = (pos + 1 - first) * channels;
                Storage.floatsToHalves(oa, 0, task.halves, count);
                MemorySegment.copy(task.halves, 0, output.getSegment(), Storage.I16, 2L * first * channels, count);
                first = pos + 1;
            }
        }
    }

    /**
     * Channels [co/4, co/4 + 2*LANES) of the group whose points are [from, to): two accumulators share
     * each point's weights. A point with all four corners inside (state 2) needs only its first
     * corner's index: the others are {@code cs} bytes to the right and {@code rs} bytes below.
     * Void on purpose: a vector returned from a method that is not inlined would be boxed.
     */
    private static void vectorPair(MemorySegment in, SamplingGeometry geo, int from, int to, long co, long cs,
                                   long rs, MemorySegment out, float[] oa, long at) {
        FloatVector acc0 = FloatVector.zero(S), acc1 = acc0;
        long co1 = co + 4L * LANES;
        int[] state = geo.state, c1 = geo.c1, corners = geo.corners;
        float[] w1s = geo.w1, w2s = geo.w2, w3s = geo.w3, w4s = geo.w4, ms = geo.m;
        for (int p = from; p < to; p++) {
            int st = state[p];
            if (st == 0) {
                continue;                        // invalid point: contributes nothing
            }
            FloatVector w1 = FloatVector.broadcast(S, w1s[p]), w2 = FloatVector.broadcast(S, w2s[p]);
            FloatVector w3 = FloatVector.broadcast(S, w3s[p]), w4 = FloatVector.broadcast(S, w4s[p]);
            FloatVector m = FloatVector.broadcast(S, ms[p]);
            FloatVector a1, a2, a3, a4, b1, b2, b3, b4;
            if (st == 2) {
                long o1 = 4L * c1[p], o3 = o1 + rs;
                a1 = FloatVector.fromMemorySegment(S, in, o1 + co, ORDER);
                a2 = FloatVector.fromMemorySegment(S, in, o1 + cs + co, ORDER);
                a3 = FloatVector.fromMemorySegment(S, in, o3 + co, ORDER);
                a4 = FloatVector.fromMemorySegment(S, in, o3 + cs + co, ORDER);
                b1 = FloatVector.fromMemorySegment(S, in, o1 + co1, ORDER);
                b2 = FloatVector.fromMemorySegment(S, in, o1 + cs + co1, ORDER);
                b3 = FloatVector.fromMemorySegment(S, in, o3 + co1, ORDER);
                b4 = FloatVector.fromMemorySegment(S, in, o3 + cs + co1, ORDER);
            } else {
                // a corner outside the image reads as zero, branch-free (which corners are outside is
                // not predictable): it loads pixel 0, which every input has, and is zeroed by a blend
                long o1 = 4L * c1[p], o3 = o1 + rs;
                int cb = corners[p];
                long q1 = (cb & 1) == 0 ? 0 : o1, q2 = (cb & 2) == 0 ? 0 : o1 + cs;
                long q3 = (cb & 4) == 0 ? 0 : o3, q4 = (cb & 8) == 0 ? 0 : o3 + cs;
                VectorMask<Float> k1 = VectorMask.fromLong(S, -(cb & 1)), k2 = VectorMask.fromLong(S, -((cb >> 1) & 1));
                VectorMask<Float> k3 = VectorMask.fromLong(S, -((cb >> 2) & 1)), k4 = VectorMask.fromLong(S, -((cb >> 3) & 1));
                FloatVector z = FloatVector.zero(S);
                a1 = z.blend(FloatVector.fromMemorySegment(S, in, q1 + co, ORDER), k1);
                a2 = z.blend(FloatVector.fromMemorySegment(S, in, q2 + co, ORDER), k2);
                a3 = z.blend(FloatVector.fromMemorySegment(S, in, q3 + co, ORDER), k3);
                a4 = z.blend(FloatVector.fromMemorySegment(S, in, q4 + co, ORDER), k4);
                b1 = z.blend(FloatVector.fromMemorySegment(S, in, q1 + co1, ORDER), k1);
                b2 = z.blend(FloatVector.fromMemorySegment(S, in, q2 + co1, ORDER), k2);
                b3 = z.blend(FloatVector.fromMemorySegment(S, in, q3 + co1, ORDER), k3);
                b4 = z.blend(FloatVector.fromMemorySegment(S, in, q4 + co1, ORDER), k4);
            }
            FloatVector t = a2.mul(w2), u = b2.mul(w2);
            t = a1.fma(w1, t);
            u = b1.fma(w1, u);
            t = a3.fma(w3, t);
            u = b3.fma(w3, u);
            t = a4.fma(w4, t);
            u = b4.fma(w4, u);
            acc0 = t.fma(m, acc0);
            acc1 = u.fma(m, acc1);
        }
        if (oa == null) {
            acc0.intoMemorySegment(out, at, ORDER);
            acc1.intoMemorySegment(out, at + 4L * LANES, ORDER);
        } else {
            acc0.intoArray(oa, (int) (at >> 2));
            acc1.intoArray(oa, (int) (at >> 2) + LANES);
        }
    }

    /**
     * {@link #vectorPair} for channels [co/4, co/4 + 4*LANES), as {@link InteriorPasses#interiorQuad} is to {@link InteriorPasses#interiorPair}.
     * Points with all corners inside take interiorQuad's plain loads, written out (a border group's other
     * points are mostly inside): x0.93-0.95 of the forward against blending those too (AVX2 VM, 1 thread,
     * two instances each; as a two-step loop x0.95-0.97); the rest blend as vectorPair does.
     */
    private static void vectorQuad(MemorySegment in, SamplingGeometry geo, int from, int to, long co, long cs,
                                   long rs, MemorySegment out, float[] oa, long at) {
        FloatVector acc0 = FloatVector.zero(S), acc1 = acc0, acc2 = acc0, acc3 = acc0;
        long v = 4L * LANES;
        int[] state = geo.state, c1 = geo.c1, corners = geo.corners;
        float[] w1s = geo.w1, w2s = geo.w2, w3s = geo.w3, w4s = geo.w4, ms = geo.m;
        for (int p = from; p < to; p++) {
            int st = state[p];
            if (st == 0) {
                continue;                        // invalid point: contributes nothing
            }
            FloatVector w1 = FloatVector.broadcast(S, w1s[p]), w2 = FloatVector.broadcast(S, w2s[p]);
            FloatVector w3 = FloatVector.broadcast(S, w3s[p]), w4 = FloatVector.broadcast(S, w4s[p]);
            FloatVector m = FloatVector.broadcast(S, ms[p]);
            long o1 = 4L * c1[p], o3 = o1 + rs;
            if (st == 2) {
                long o = o1 + co, rc = rs + cs;
                FloatVector t = FloatVector.fromMemorySegment(S, in, o + cs, ORDER).mul(w2);
                FloatVector u = FloatVector.fromMemorySegment(S, in, o + cs + v, ORDER).mul(w2);
                t = FloatVector.fromMemorySegment(S, in, o, ORDER).fma(w1, t);
                u = FloatVector.fromMemorySegment(S, in, o + v, ORDER).fma(w1, u);
                t = FloatVector.fromMemorySegment(S, in, o + rs, ORDER).fma(w3, t);
                u = FloatVector.fromMemorySegment(S, in, o + rs + v, ORDER).fma(w3, u);
                t = FloatVector.fromMemorySegment(S, in, o + rc, ORDER).fma(w4, t);
                u = FloatVector.fromMemorySegment(S, in, o + rc + v, ORDER).fma(w4, u);
                acc0 = t.fma(m, acc0);
                acc1 = u.fma(m, acc1);
                o += 2 * v;
                t = FloatVector.fromMemorySegment(S, in, o + cs, ORDER).mul(w2);
                u = FloatVector.fromMemorySegment(S, in, o + cs + v, ORDER).mul(w2);
                t = FloatVector.fromMemorySegment(S, in, o, ORDER).fma(w1, t);
                u = FloatVector.fromMemorySegment(S, in, o + v, ORDER).fma(w1, u);
                t = FloatVector.fromMemorySegment(S, in, o + rs, ORDER).fma(w3, t);
                u = FloatVector.fromMemorySegment(S, in, o + rs + v, ORDER).fma(w3, u);
                t = FloatVector.fromMemorySegment(S, in, o + rc, ORDER).fma(w4, t);
                u = FloatVector.fromMemorySegment(S, in, o + rc + v, ORDER).fma(w4, u);
                acc2 = t.fma(m, acc2);
                acc3 = u.fma(m, acc3);
                continue;
            }
            // outside corners load pixel 0 and are zeroed (see vectorPair)
            int cb = corners[p];
            long q1 = ((cb & 1) == 0 ? 0 : o1) + co, q2 = ((cb & 2) == 0 ? 0 : o1 + cs) + co;
            long q3 = ((cb & 4) == 0 ? 0 : o3) + co, q4 = ((cb & 8) == 0 ? 0 : o3 + cs) + co;
            VectorMask<Float> k1 = VectorMask.fromLong(S, -(cb & 1)), k2 = VectorMask.fromLong(S, -((cb >> 1) & 1));
            VectorMask<Float> k3 = VectorMask.fromLong(S, -((cb >> 2) & 1)), k4 = VectorMask.fromLong(S, -((cb >> 3) & 1));
            FloatVector z = FloatVector.zero(S);
            for (int h = 0; h < 2; h++) {            // an int counter: see BackwardKernel.quadPassAll
                long e = h * 2 * v;
                FloatVector t = z.blend(FloatVector.fromMemorySegment(S, in, q2 + e, ORDER), k2).mul(w2);
                FloatVector u = z.blend(FloatVector.fromMemorySegment(S, in, q2 + e + v, ORDER), k2).mul(w2);
                t = z.blend(FloatVector.fromMemorySegment(S, in, q1 + e, ORDER), k1).fma(w1, t);
                u = z.blend(FloatVector.fromMemorySegment(S, in, q1 + e + v, ORDER), k1).fma(w1, u);
                t = z.blend(FloatVector.fromMemorySegment(S, in, q3 + e, ORDER), k3).fma(w3, t);
                u = z.blend(FloatVector.fromMemorySegment(S, in, q3 + e + v, ORDER), k3).fma(w3, u);
                t = z.blend(FloatVector.fromMemorySegment(S, in, q4 + e, ORDER), k4).fma(w4, t);
                u = z.blend(FloatVector.fromMemorySegment(S, in, q4 + e + v, ORDER), k4).fma(w4, u);
                if (h == 0) {
                    acc0 = t.fma(m, acc0);
                    acc1 = u.fma(m, acc1);
                } else {
                    acc2 = t.fma(m, acc2);
                    acc3 = u.fma(m, acc3);
                }
            }
        }
        if (oa == null) {
            acc0.intoMemorySegment(out, at, ORDER);
            acc1.intoMemorySegment(out, at + v, ORDER);
            acc2.intoMemorySegment(out, at + 2 * v, ORDER);
            acc3.intoMemorySegment(out, at + 3 * v, ORDER);
        } else {
            int i = (int) (at >> 2);
            acc0.intoArray(oa, i);
            acc1.intoArray(oa, i + LANES);
            acc2.intoArray(oa, i + 2 * LANES);
            acc3.intoArray(oa, i + 3 * LANES);
        }
    }

    /** Channels [c, c + LANES) of the group, same order. */
    private static void vectorSingle(MemorySegment in, SamplingGeometry geo, int from, int to, long co, long cs,
                                     long rs, MemorySegment out, float[] oa, long at) {
        FloatVector acc = FloatVector.zero(S);
        int[] state = geo.state, c1 = geo.c1;
        for (int p = from; p < to; p++) {
            int st = state[p];
            if (st == 0) {
                continue;
            }
            FloatVector a1, a2, a3, a4;
            if (st == 2) {
                long o1 = 4L * c1[p] + co, o3 = o1 + rs;
                a1 = FloatVector.fromMemorySegment(S, in, o1, ORDER);
                a2 = FloatVector.fromMemorySegment(S, in, o1 + cs, ORDER);
                a3 = FloatVector.fromMemorySegment(S, in, o3, ORDER);
                a4 = FloatVector.fromMemorySegment(S, in, o3 + cs, ORDER);
            } else {
                // as in vectorPair: branch-free, outside corners read pixel 0 and are zeroed
                long o1 = 4L * c1[p], o3 = o1 + rs;
                int cb = geo.corners[p];
                long q1 = (cb & 1) == 0 ? 0 : o1, q2 = (cb & 2) == 0 ? 0 : o1 + cs;
                long q3 = (cb & 4) == 0 ? 0 : o3, q4 = (cb & 8) == 0 ? 0 : o3 + cs;
                FloatVector z = FloatVector.zero(S);
                a1 = z.blend(FloatVector.fromMemorySegment(S, in, q1 + co, ORDER), VectorMask.fromLong(S, -(cb & 1)));
                a2 = z.blend(FloatVector.fromMemorySegment(S, in, q2 + co, ORDER), VectorMask.fromLong(S, -((cb >> 1) & 1)));
                a3 = z.blend(FloatVector.fromMemorySegment(S, in, q3 + co, ORDER), VectorMask.fromLong(S, -((cb >> 2) & 1)));
                a4 = z.blend(FloatVector.fromMemorySegment(S, in, q4 + co, ORDER), VectorMask.fromLong(S, -((cb >> 3) & 1)));
            }
            FloatVector t = a2.mul(geo.w2[p]);
            t = a1.fma(FloatVector.broadcast(S, geo.w1[p]), t);
            t = a3.fma(FloatVector.broadcast(S, geo.w3[p]), t);
            t = a4.fma(FloatVector.broadcast(S, geo.w4[p]), t);
            acc = t.fma(FloatVector.broadcast(S, geo.m[p]), acc);
        }
        if (oa == null) {
            acc.intoMemorySegment(out, at, ORDER);
        } else {
            acc.intoArray(oa, (int) (at >> 2));
        }
    }

    /** One channel {@code c} of the group (the tail past the last full vector), same order. */
    private float scalarChannel(MemorySegment in, SamplingGeometry geo, int from, int to, int c) {
        float acc = 0f;
        int[] state = geo.state;
        for (int p = from; p < to; p++) {
            if (state[p] == 0) {
                continue;
            }
            // corners are filled in for state-1 points only
            int i1 = geo.c1[p] + c, i3 = i1 + width * channels, cb = state[p] == 2 ? 15 : geo.corners[p];
            float v1 = (cb & 1) == 0 ? 0f : in.get(Storage.F32, 4L * i1);
            float v2 = (cb & 2) == 0 ? 0f : in.get(Storage.F32, 4L * (i1 + channels));
            float v3 = (cb & 4) == 0 ? 0f : in.get(Storage.F32, 4L * i3);
            float v4 = (cb & 8) == 0 ? 0f : in.get(Storage.F32, 4L * (i3 + channels));
            float t = geo.w2[p] * v2;
            t = Math.fma(geo.w1[p], v1, t);
            t = Math.fma(geo.w3[p], v3, t);
            t = Math.fma(geo.w4[p], v4, t);
            acc = Math.fma(geo.m[p], t, acc);
        }
        return acc;
    }
}
