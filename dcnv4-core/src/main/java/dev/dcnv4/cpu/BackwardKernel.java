package dev.dcnv4.cpu;

import dev.dcnv4.arrays.NativeArray;
import dev.dcnv4.op.Dcnv4Config;
import dev.dcnv4.op.Dcnv4Problem;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * The backward pass over a contiguous range of output positions (one task's share).
 *
 * <p>Per position the geometry of all G*K points is computed once ({@link SamplingGeometry}); then
 * per valid point the group's D channels are walked {@link ForwardKernel#LANES} at a time, with the
 * upstream gradient {@code t_c} of each channel:
 * <ul>
 *   <li>grad_input: every in-range corner gets {@code (t*m)*w} added into this chunk's own fp32
 *       buffer ({@code partial}, all zero on entry), whose written rows are flagged in
 *       {@code touched}; the caller sums the chunks' rows in chunk order, so the result depends
 *       neither on thread timing nor on the thread count, and repeated runs are bit-identical;</li>
 *   <li>grad_offset_mask: only the four corner sums {@code S_j = sum_c t_c * v_j,c} are accumulated
 *       per channel (four fused multiply-adds), because every gradient of the point is linear in them
 *       (docs/dcnv4-semantics.md 3.2):
 *       <pre>
 *   dL/dx = m * (hy*(S2 - S1) + ly*(S4 - S3))      dL/doffx = s * dL/dx   (m*s rounded first)
 *   dL/dy = m * (hx*(S3 - S1) + lx*(S4 - S2))      dL/doffy = s * dL/dy
 *   dL/dm = w1*S1 + w2*S2 + w3*S3 + w4*S4
 *       </pre>
 *       (the official kernel forms the per-channel derivatives first and needs 15 operations per
 *       channel; the rounding errors of the two are of the same order, eps * sum|t*v|). The lanes
 *       of each S_j are summed by a fixed pairwise tree (never {@code reduceLanes}, whose order is
 *       unspecified), then the scalar tail channels are added in order. The combination above runs
 *       once per point after all groups of the position ({@link PointGradients}). Softmax mode applies the Jacobian
 *       {@code g_k - p_k * sum_j g_j} with {@code g_k = p_k * dL/dp_k}.</li>
 * </ul>
 * Each (position) row of grad_offset_mask is written once; invalid points and padding entries as 0.
 *
 * <p>The channels are walked in passes of two vectors ({@link #pairPass}), then one, then scalars,
 * each with the group's point loop inside, so that the code per point is straight-line; points with
 * a corner outside the image follow the others, in their own method. When the group's channels are
 * exactly two vectors (D = 32 with 512-bit vectors), one pass covers all groups' points, point k of
 * each group in turn ({@link #pairPassAll}); when they are exactly four vectors of 256 bits or fewer
 * (D = 32 on AVX2), {@link #quadPassAll} does the same with four. The input is read into the
 * cache row by row, sequentially, ahead of the points ({@link Storage#touch}).
 */
final class BackwardKernel {
    private static final VectorSpecies<Float> S = ForwardKernel.S;
    private static final VectorSpecies<Integer> I = S.withLanes(int.class);
    private static final int LANES = ForwardKernel.LANES;
    private static final ByteOrder ORDER = ByteOrder.nativeOrder();

    /**
     * The packed lane tree that sums the lanes of the four corner-sum vectors S1..S4 of a point with
     * fixed pairings (never {@code reduceLanes}, whose order is unspecified), for L = 4, 8 or 16 lanes:
     * <pre>
     *   a = lower halves of (S1, S2) + upper halves     S1 partials in the lower half, S2 in the upper
     *   b = the same of (S3, S4)
     *   r = quarters 0, 2 of (a, b) + quarters 1, 3    S1, S3, S2, S4 partials in the four quarters
     *   r += rotation by 2 within 4-lane blocks (L = 16), by 1 within 2-lane blocks (L >= 8)
     * </pre>
     * leaving S1 in lane 0, S3 in lane L/4, S2 in lane L/2 and S4 in lane 3L/4. The first two levels
     * are two-vector permutations ({@code selectFrom(v1, v2)}: 6 permutations and 3 adds, no blend),
     * the last two rotations: 10 shuffles and 5 adds for 16 lanes, instead of 16 and 16 for four
     * separate trees. {@code r} is stored whole into the point's 16-float block of {@link Rows#sums}.
     * The tree is written out in each pass on purpose: moved into one helper method,
     * C2 did not inline it into the large pass loops and boxed its vector arguments (backward x2.9).
     */
    static final int AT1 = 0, AT2 = LANES / 2, AT3 = LANES / 4, AT4 = 3 * LANES / 4, BLOCK = 16;
    private static final VectorShuffle<Float> IN4 = blockRotation(4), IN2 = blockRotation(2);
    private static final int[] IN4_IDX = indexes(IN4), IN2_IDX = indexes(IN2);
    /**
     * Two-vector permutations (indexes into v1 ++ v2) of the first two tree levels: the lower halves
     * of v1 and v2 and their upper halves; quarters 0 and 2 of v1 and v2 in turn and quarters 1 and 3.
     */
    private static final int[] LOW_HALVES = new int[LANES], HIGH_HALVES = new int[LANES],
            EVEN_QUARTERS = new int[LANES], ODD_QUARTERS = new int[LANES];

    /**
     * The first two tree levels by blends and one-vector permutations in {@link #quadPassAll} (256-bit
     * or narrower vectors, where a two-vector permutation compiles to two permutations and a blend):
     * {@code [v1.lo, v2.hi] + swap([v2.lo, v1.hi])} pairs the same lanes as LOW_HALVES + HIGH_HALVES
     * (addition commutes: the same bits), likewise for the quarters. Backward x0.975 (1x56x56x128, AVX2
     * VM, three instances each, twice); in pairPassAll (D = 16 on AVX2) it measured the same as the
     * two-vector form, which pairPassAll keeps.
     */
    private static final int[] SWAP_HALVES = new int[LANES], SWAP_QUARTERS = new int[LANES];
    private static final boolean[] UPPER_HALF = new boolean[LANES], ODD_QUARTER = new boolean[LANES];

    static {
        int half = LANES / 2, q = LANES / 4;
        for (int i = 0; i < LANES; i++) {
            int block = i / q, j = i % q;
            LOW_HALVES[i] = i < half ? i : LANES + i - half;
            HIGH_HALVES[i] = LOW_HALVES[i] + half;
            EVEN_QUARTERS[i] = (block % 2 == 1 ? LANES : 0) + (block / 2) * 2 * q + j;
            ODD_QUARTERS[i] = EVEN_QUARTERS[i] + q;
            SWAP_HALVES[i] = i ^ half;
            SWAP_QUARTERS[i] = i ^ q;
            UPPER_HALF[i] = i >= half;
            ODD_QUARTER[i] = block % 2 == 1;
        }
    }

    /**
     * The shuffles' lane indexes: the hot passes load them into vectors once per call and use
     * {@code selectFrom}, because {@code rearrange} with a constant shuffle made C2 reload and re-mask
     * the index array for every point (measured 7% of the 1x56x56x128 backward).
     */
    private static int[] indexes(VectorShuffle<Float> s) {
        return s.toArray();
    }

    private final int positions, outWidth, width, channels, groups, groupChannels, kPoints, offsetDim;
    /** Floats per input row, W*C. */
    private final long rowFloats;
    /**
     * The points in the order {@link #pairPassAll} visits them: point k of every group, then point k + 1
     * (p = g*K + k); and per point p the byte offset of its group's channels.
     */
    private final int[] kMajor;
    private final long[] groupBytes;
    private final PointGradients gradients;

    BackwardKernel(Dcnv4Problem problem) {
        rowFloats = (long) problem.width() * problem.config().channels();
        Dcnv4Config c = problem.config();
        positions = problem.positions();
        outWidth = problem.outWidth();
        width = problem.width();
        channels = c.channels();
        groups = c.groups();
        groupChannels = c.groupChannels();
        kPoints = c.points();
        offsetDim = c.paddedOffsetDim();
        gradients = new PointGradients(c);
        int count = groups * kPoints;
        kMajor = new int[count];
        groupBytes = new long[count];
        for (int i = 0; i < count; i++) {
            kMajor[i] = (i % groups) * kPoints + i / groups;
            groupBytes[i] = 4L * (i / kPoints) * groupChannels;
        }
    }

    private static VectorShuffle<Float> blockRotation(int block) {
        int b = Math.min(block, LANES);
        return VectorShuffle.fromOp(S, i -> (i & -b) | ((i + b / 2) & (b - 1)));
    }

    /**
     * Per-task scratch: the offset_mask row in, the gradient row out (with a vector of slack: whole
     * vectors are stored), the points' corner sums, and the points' three gradients in point order.
     */
    static final class Rows {
        final float[] om, gom, sums, gx, gy, gm;
        /** The points a pass visits (see {@link #compact}). */
        final int[] live;
        final Storage.Scratch scratch;
        /** Keeps the streaming reads alive. */
        int sink;

        Rows(int offsetDim, int points, Storage.Scratch scratch) {
            this.scratch = scratch;
            om = new float[offsetDim + LANES];         // SamplingGeometry.rowLength
            gom = new float[offsetDim + 2 * LANES];
            int padded = (points + LANES - 1) / LANES * LANES;
            sums = new float[BLOCK * padded];
            gx = new float[padded + LANES];
            gy = new float[padded + LANES];
            gm = new float[padded + LANES];
            live = new int[points];
        }
    }

    /**
     * Positions [from, to): gradients of sum(output * gradOut).
     *
     * @param in      fp32 input
     * @param gradOut fp32 grad_output
     * @param partial fp32 grad_input accumulator, input-sized: this chunk's own buffer, or the result
     *                itself (already zeroed) when one task does all positions
     * @param touched with a buffer of its own (all zero on entry): the rows of {@code partial} written
     *                so far are flagged here; null when {@code partial} is the result
     * @param gradOm  grad_offset_mask (fp32 or storage precision), rows [from, to) written
     * @param inRows  fp16/bf16 input: its lazily widened copy, which is {@code in}; null for fp32
     * @param goRows  fp16/bf16 grad_output: its lazily widened copy, which is {@code gradOut}; null for fp32
     */
    void run(int from, int to, MemorySegment in, NativeArray om, MemorySegment gradOut, MemorySegment partial,
             boolean[] touched, NativeArray gradOm, SamplingGeometry geo, Rows rows, LazyRows inRows, LazyRows goRows) {
        int d = groupChannels;
        long cs = 4L * channels, rs = cs * width;
        int lastRow = (int) (in.byteSize() / (4L * rowFloats)) - 1, streamed = -1, sink = 0;
        int goReady = from;                      // grad_output widened for positions [from, goReady)
        boolean onePair = d == 2 * LANES;       // D = 32 with 512-bit vectors: all groups in one pass
        boolean oneQuad = Lanes.QUADS && d == 4 * LANES;                // D = 32 with 256-bit vectors
        for (int pos = from; pos < to; pos++) {
            int n = pos / positions, q = pos - n * positions;
            if (goRows != null && pos >= goReady) {
                int row = pos / outWidth;        // output rows are contiguous across the batch
                goRows.ensure(row, row, rows.scratch);
                goReady = (row + 1) * outWidth;
            }
            Storage.read(om, pos * offsetDim, rows.om, offsetDim);
            geo.compute(rows.om, n, q);
            if (inRows != null && geo.firstRow <= geo.lastRow) {
                // widened as first needed, on this core, in its cache (the rows and the next, as below);
                // rows already done cost one read of their state each
                inRows.ensure(geo.firstRow, Math.min(geo.lastRow + 1, lastRow), rows.scratch);
            }
            if (geo.lastRow >= geo.firstRow && geo.lastRow + 1 > streamed) {
                // rows past `streamed` (the rows and the next): the fp32 input's brought in sequentially
                // (see ForwardKernel.Task), and grad_input's claimed for writing before the scatter's
                // read-modify-writes reach them. Every point so far wrote rows <= streamed only, so these
                // rows of `partial` are still all zero (see Storage.claim). 1x56x56x128, 2 threads,
                // interleaved: median x0.909, x0.969, x0.969; 1 thread x0.986; a read instead: noise
                for (int r = Math.max(streamed + 1, geo.firstRow), end = Math.min(geo.lastRow + 1, lastRow); r <= end; r++) {
                    if (inRows == null) {
                        sink |= Storage.touch(in, 4L * r * rowFloats, 4L * rowFloats);
                    }
                    Storage.claim(partial, 4L * r * rowFloats, 4L * rowFloats);
                }
                streamed = Math.min(geo.lastRow + 1, lastRow);
            }
            if (touched != null && geo.firstRow <= geo.lastRow) {
                Arrays.fill(touched, geo.firstRow, geo.lastRow + 1, true);
            }
            float[] sums = rows.sums;
            if (onePair) {
                pairPassAll(in, gradOut, partial, geo, kMajor, rows.live, groupBytes, 4L * pos * channels, cs, rs, sums);
            } else if (oneQuad) {
                quadPassAll(in, gradOut, partial, geo, kMajor, rows.live, groupBytes, 4L * pos * channels, cs, rs, sums);
            }
            for (int g = 0; g < groups && !onePair && !oneQuad; g++) {
                long go = 4L * ((long) pos * channels + (long) g * d);
                int p0 = g * kPoints, p1 = p0 + kPoints, c = 0;
                for (; c + 2 * LANES <= d; c += 2 * LANES) {
                    pairPass(in, gradOut, partial, geo, p0, p1, go, 4L * c, cs, rs, sums, c == 0);
                }
                for (; c + LANES <= d; c += LANES) {
                    singlePass(in, gradOut, partial, geo, p0, p1, go, 4L * c, cs, rs, sums, c == 0);
                }
                if (c < d) {
                    for (int p = p0; p < p1; p++) {
                        if (geo.state[p] != 0) {
                            scalarTail(in, gradOut, partial, geo, p, c, d, go, sums, BLOCK * p, c == 0);
                        }
                    }
                }
            }
            gradients.write(geo, rows);
            Storage.write(rows.gom, gradOm, pos * offsetDim, offsetDim, rows.scratch);
        }
        rows.sink |= sink;
    }

    /**
     * Channels [co/4, co/4 + 2*LANES) of the group's points [from, to): per valid point, scatter
     * {@code (t*m)*w_j} into grad_input and sum {@code t*v_j} over these channels into four vectors,
     * whose lanes the packed tree adds up; the four sums are stored ({@code first}) or added into the
     * point's block of {@code sums} (see {@link #AT1}). The point loop is inside and the channel count
     * fixed so that the JIT keeps the pass straight-line per point; all vector work stays inside this
     * method (a vector passed to or returned from a call that is not inlined is boxed).
     */
    private static void pairPass(MemorySegment in, MemorySegment gradOut, MemorySegment partial, SamplingGeometry geo,
                                 int from, int to, long go, long co, long cs, long rs, float[] sums, boolean first) {
        long co1 = co + 4L * LANES;
        FloatVector t0 = FloatVector.fromMemorySegment(S, gradOut, go + co, ORDER);
        FloatVector t1 = FloatVector.fromMemorySegment(S, gradOut, go + co1, ORDER);
        int[] state = geo.state, c1 = geo.c1;
        IntVector lowHalves = IntVector.fromArray(I, LOW_HALVES, 0), highHalves = IntVector.fromArray(I, HIGH_HALVES, 0);
        IntVector evenQuarters = IntVector.fromArray(I, EVEN_QUARTERS, 0), oddQuarters = IntVector.fromArray(I, ODD_QUARTERS, 0);
        IntVector in4 = IntVector.fromArray(I, IN4_IDX, 0), in2 = IntVector.fromArray(I, IN2_IDX, 0);
        float[] w1s = geo.w1, w2s = geo.w2, w3s = geo.w3, w4s = geo.w4, ms = geo.m;
        for (int p = from; p < to; p++) {
            if (state[p] != 2) {
                continue;                    // invalid (no gradient at all) or a corner outside: below
            }
            FloatVector w1 = FloatVector.broadcast(S, w1s[p]), w2 = FloatVector.broadcast(S, w2s[p]);
            FloatVector w3 = FloatVector.broadcast(S, w3s[p]), w4 = FloatVector.broadcast(S, w4s[p]);
            FloatVector m = FloatVector.broadcast(S, ms[p]);
            FloatVector tm0 = t0.mul(m), tm1 = t1.mul(m);
            // all four corners inside: the others are cs bytes right and rs bytes below the first
            long o1 = 4L * c1[p], o2 = o1 + cs, o3 = o1 + rs, o4 = o3 + cs;
            FloatVector s1 = t1.fma(FloatVector.fromMemorySegment(S, in, o1 + co1, ORDER),
                    t0.mul(FloatVector.fromMemorySegment(S, in, o1 + co, ORDER)));
            FloatVector s2 = t1.fma(FloatVector.fromMemorySegment(S, in, o2 + co1, ORDER),
                    t0.mul(FloatVector.fromMemorySegment(S, in, o2 + co, ORDER)));
            FloatVector s3 = t1.fma(FloatVector.fromMemorySegment(S, in, o3 + co1, ORDER),
                    t0.mul(FloatVector.fromMemorySegment(S, in, o3 + co, ORDER)));
            FloatVector s4 = t1.fma(FloatVector.fromMemorySegment(S, in, o4 + co1, ORDER),
                    t0.mul(FloatVector.fromMemorySegment(S, in, o4 + co, ORDER)));
            // grad_input[corner] += (t*m)*w (helper methods would not be inlined: "uses too much stack")
            tm0.fma(w1, FloatVector.fromMemorySegment(S, partial, o1 + co, ORDER)).intoMemorySegment(partial, o1 + co, ORDER);
            tm1.fma(w1, FloatVector.fromMemorySegment(S, partial, o1 + co1, ORDER)).intoMemorySegment(partial, o1 + co1, ORDER);
            tm0.fma(w2, FloatVector.fromMemorySegment(S, partial, o2 + co, ORDER)).intoMemorySegment(partial, o2 + co, ORDER);
            tm1.fma(w2, FloatVector.fromMemorySegment(S, partial, o2 + co1, ORDER)).intoMemorySegment(partial, o2 + co1, ORDER);
            tm0.fma(w3, FloatVector.fromMemorySegment(S, partial, o3 + co, ORDER)).intoMemorySegment(partial, o3 + co, ORDER);
            tm1.fma(w3, FloatVector.fromMemorySegment(S, partial, o3 + co1, ORDER)).intoMemorySegment(partial, o3 + co1, ORDER);
            tm0.fma(w4, FloatVector.fromMemorySegment(S, partial, o4 + co, ORDER)).intoMemorySegment(partial, o4 + co, ORDER);
            tm1.fma(w4, FloatVector.fromMemorySegment(S, partial, o4 + co1, ORDER)).intoMemorySegment(partial, o4 + co1, ORDER);
            // the lane sums by the packed tree (see AT1), stored or added into the point's block
            IntVector i1 = s1.reinterpretAsInts(), i2 = s2.reinterpretAsInts(), i3 = s3.reinterpretAsInts(), i4 = s4.reinterpretAsInts();
            IntVector a = lowHalves.selectFrom(i1, i2).reinterpretAsFloats().add(highHalves.selectFrom(i1, i2).reinterpretAsFloats()).reinterpretAsInts();
            IntVector b = lowHalves.selectFrom(i3, i4).reinterpretAsFloats().add(highHalves.selectFrom(i3, i4).reinterpretAsFloats()).reinterpretAsInts();
            FloatVector r = evenQuarters.selectFrom(a, b).reinterpretAsFloats().add(oddQuarters.selectFrom(a, b).reinterpretAsFloats());
            if (LANES >= 16) {
                r = r.add(in4.selectFrom(r.reinterpretAsInts()).reinterpretAsFloats());
            }
            if (LANES >= 8) {
                r = r.add(in2.selectFrom(r.reinterpretAsInts()).reinterpretAsFloats());
            }
            int at = BLOCK * p;
            (first ? r : r.add(FloatVector.fromArray(S, sums, at))).intoArray(sums, at);
        }
        // points with a corner outside the image (rare) after the others, so that the loop above has no
        // call in it: a call would make the JIT reload the segments' state and the shuffles per point
        for (int p = from; p < to; p++) {
            if (state[p] == 1) {
                pairBorder(in, gradOut, partial, geo, p, go, co, sums, first);
            }
        }
    }

    /**
     * {@link #pairPass} for D = 2*LANES (each group's channels in one pass), all groups' points at once
     * in {@code order}: point k of each group in turn, so that two consecutive points never add into the
     * same grad_input element (the groups' channels are disjoint) and a point's read-modify-writes do not
     * wait on the previous point's: neighbouring points of one group often share corners, and their loads
     * then depend on the stores just before them (1x56x56x128, interleaved against the group-by-group
     * order: x0.942, x0.959 and x0.961 with 2 threads, x0.945 with 1). Each element still receives its
     * points in the order of {@link #pairPass} (within a group k ascending, the points with a corner
     * outside after the others), so the results are the same bits. The upstream gradient is loaded per
     * point (L1 hits). Kept apart from {@link #pairPass}: one method with a channel offset and the
     * first-pass flag for every D measured x1.05-1.08 slower (the JIT's code for it).
     */
    private static void pairPassAll(MemorySegment in, MemorySegment gradOut, MemorySegment partial, SamplingGeometry geo,
                                    int[] order, int[] live, long[] groupBytes, long go, long cs, long rs, float[] sums) {
        long co1 = 4L * LANES;
        int[] state = geo.state, c1 = geo.c1;
        IntVector lowHalves = IntVector.fromArray(I, LOW_HALVES, 0), highHalves = IntVector.fromArray(I, HIGH_HALVES, 0);
        IntVector evenQuarters = IntVector.fromArray(I, EVEN_QUARTERS, 0), oddQuarters = IntVector.fromArray(I, ODD_QUARTERS, 0);
        IntVector in4 = IntVector.fromArray(I, IN4_IDX, 0), in2 = IntVector.fromArray(I, IN2_IDX, 0);
        float[] w1s = geo.w1, w2s = geo.w2, w3s = geo.w3, w4s = geo.w4, ms = geo.m;
        int n = compact(order, state, live);
        for (int i = 0; i < n; i++) {           // no branch that skips a point: see compact
            int p = live[i];
            long gt = go + groupBytes[p];
            FloatVector t0 = FloatVector.fromMemorySegment(S, gradOut, gt, ORDER);
            FloatVector t1 = FloatVector.fromMemorySegment(S, gradOut, gt + co1, ORDER);
            FloatVector w1 = FloatVector.broadcast(S, w1s[p]), w2 = FloatVector.broadcast(S, w2s[p]);
            FloatVector w3 = FloatVector.broadcast(S, w3s[p]), w4 = FloatVector.broadcast(S, w4s[p]);
            FloatVector m = FloatVector.broadcast(S, ms[p]);
            FloatVector tm0 = t0.mul(m), tm1 = t1.mul(m);
            // all four corners inside: the others are cs bytes right and rs bytes below the first
            long o1 = 4L * c1[p], o2 = o1 + cs, o3 = o1 + rs, o4 = o3 + cs;
            FloatVector s1 = t1.fma(FloatVector.fromMemorySegment(S, in, o1 + co1, ORDER),
                    t0.mul(FloatVector.fromMemorySegment(S, in, o1, ORDER)));
            FloatVector s2 = t1.fma(FloatVector.fromMemorySegment(S, in, o2 + co1, ORDER),
                    t0.mul(FloatVector.fromMemorySegment(S, in, o2, ORDER)));
            FloatVector s3 = t1.fma(FloatVector.fromMemorySegment(S, in, o3 + co1, ORDER),
                    t0.mul(FloatVector.fromMemorySegment(S, in, o3, ORDER)));
            FloatVector s4 = t1.fma(FloatVector.fromMemorySegment(S, in, o4 + co1, ORDER),
                    t0.mul(FloatVector.fromMemorySegment(S, in, o4, ORDER)));
            // grad_input[corner] += (t*m)*w
            tm0.fma(w1, FloatVector.fromMemorySegment(S, partial, o1, ORDER)).intoMemorySegment(partial, o1, ORDER);
            tm1.fma(w1, FloatVector.fromMemorySegment(S, partial, o1 + co1, ORDER)).intoMemorySegment(partial, o1 + co1, ORDER);
            tm0.fma(w2, FloatVector.fromMemorySegment(S, partial, o2, ORDER)).intoMemorySegment(partial, o2, ORDER);
            tm1.fma(w2, FloatVector.fromMemorySegment(S, partial, o2 + co1, ORDER)).intoMemorySegment(partial, o2 + co1, ORDER);
            tm0.fma(w3, FloatVector.fromMemorySegment(S, partial, o3, ORDER)).intoMemorySegment(partial, o3, ORDER);
            tm1.fma(w3, FloatVector.fromMemorySegment(S, partial, o3 + co1, ORDER)).intoMemorySegment(partial, o3 + co1, ORDER);
            tm0.fma(w4, FloatVector.fromMemorySegment(S, partial, o4, ORDER)).intoMemorySegment(partial, o4, ORDER);
            tm1.fma(w4, FloatVector.fromMemorySegment(S, partial, o4 + co1, ORDER)).intoMemorySegment(partial, o4 + co1, ORDER);
            // the lane sums by the packed tree (see AT1), stored into the point's block
            IntVector i1 = s1.reinterpretAsInts(), i2 = s2.reinterpretAsInts(), i3 = s3.reinterpretAsInts(), i4 = s4.reinterpretAsInts();
            IntVector a = lowHalves.selectFrom(i1, i2).reinterpretAsFloats().add(highHalves.selectFrom(i1, i2).reinterpretAsFloats()).reinterpretAsInts();
            IntVector b = lowHalves.selectFrom(i3, i4).reinterpretAsFloats().add(highHalves.selectFrom(i3, i4).reinterpretAsFloats()).reinterpretAsInts();
            FloatVector r = evenQuarters.selectFrom(a, b).reinterpretAsFloats().add(oddQuarters.selectFrom(a, b).reinterpretAsFloats());
            if (LANES >= 16) {
                r = r.add(in4.selectFrom(r.reinterpretAsInts()).reinterpretAsFloats());
            }
            if (LANES >= 8) {
                r = r.add(in2.selectFrom(r.reinterpretAsInts()).reinterpretAsFloats());
            }
            r.intoArray(sums, BLOCK * p);
        }
        // points with a corner outside the image after the others (see pairPass)
        for (int p = 0; p < order.length; p++) {
            if (state[p] == 1) {
                pairBorder(in, gradOut, partial, geo, p, go + groupBytes[p], 0, sums, true);
            }
        }
    }

    /**
     * {@link #pairPassAll} for D = 4*LANES (D = 32 with 256-bit vectors), in the same point order: one
     * pass per position instead of two per group, so a point's weights, indexes and lane tree are paid
     * once per 32 channels (AVX2 VM: see docs/cpu-performance.md, 2026-12-04). Per point the two halves
     * of the group's channels are a two-step loop (written out as sixteen vectors, the method was too
     * large for C1, "out of virtual registers", and ran boxed, x56). The loop counts with an int: with a
     * long counter C2 compiled the method two ways, one of them (about a third of the JIT instances, for
     * a JVM's lifetime) with the loop unrolled under long range-check predication and stack spills, x1.45
     * slower; the int loop compiles one way, within 5-10% of the better one. grad_input receives the same
     * additions in the same order as with two pair passes (same bits), while each corner sum carries
     * across the halves, {@code s = fma(t1, v1, fma(t0, v0, s))} from 0, before the one lane tree, so
     * grad_offset_mask rounds differently from two passes. Points with a corner outside the image take
     * two pair steps, as before.
     */
    private static void quadPassAll(MemorySegment in, MemorySegment gradOut, MemorySegment partial, SamplingGeometry geo,
                                    int[] order, int[] live, long[] groupBytes, long go, long cs, long rs, float[] sums) {
        long v = 4L * LANES;
        int[] state = geo.state, c1 = geo.c1;
        IntVector swapHalves = IntVector.fromArray(I, SWAP_HALVES, 0), swapQuarters = IntVector.fromArray(I, SWAP_QUARTERS, 0);
        VectorMask<Integer> upperHalf = VectorMask.fromArray(I, UPPER_HALF, 0), oddQuarter = VectorMask.fromArray(I, ODD_QUARTER, 0);
        IntVector in2 = IntVector.fromArray(I, IN2_IDX, 0);
        float[] w1s = geo.w1, w2s = geo.w2, w3s = geo.w3, w4s = geo.w4, ms = geo.m;
        int n = compact(order, state, live);
        for (int i = 0; i < n; i++) {           // no branch that skips a point: see compact
            int p = live[i];
            long gt = go + groupBytes[p];
            FloatVector w1 = FloatVector.broadcast(S, w1s[p]), w2 = FloatVector.broadcast(S, w2s[p]);
            FloatVector w3 = FloatVector.broadcast(S, w3s[p]), w4 = FloatVector.broadcast(S, w4s[p]);
            FloatVector m = FloatVector.broadcast(S, ms[p]);
            FloatVector s1 = FloatVector.zero(S), s2 = s1, s3 = s1, s4 = s1;
            long o1 = 4L * c1[p], o2 = o1 + cs, o3 = o1 + rs, o4 = o3 + cs;
            for (int h = 0; h < 2; h++) {           // an int counter on purpose: see above
                long co = h * 2 * v, co1 = co + v;
                FloatVector t0 = FloatVector.fromMemorySegment(S, gradOut, gt + co, ORDER);
                FloatVector t1 = FloatVector.fromMemorySegment(S, gradOut, gt + co1, ORDER);
                FloatVector tm0 = t0.mul(m), tm1 = t1.mul(m);
                s1 = t1.fma(FloatVector.fromMemorySegment(S, in, o1 + co1, ORDER), t0.fma(FloatVector.fromMemorySegment(S, in, o1 + co, ORDER), s1));
                s2 = t1.fma(FloatVector.fromMemorySegment(S, in, o2 + co1, ORDER), t0.fma(FloatVector.fromMemorySegment(S, in, o2 + co, ORDER), s2));
                s3 = t1.fma(FloatVector.fromMemorySegment(S, in, o3 + co1, ORDER), t0.fma(FloatVector.fromMemorySegment(S, in, o3 + co, ORDER), s3));
                s4 = t1.fma(FloatVector.fromMemorySegment(S, in, o4 + co1, ORDER), t0.fma(FloatVector.fromMemorySegment(S, in, o4 + co, ORDER), s4));
                tm0.fma(w1, FloatVector.fromMemorySegment(S, partial, o1 + co, ORDER)).intoMemorySegment(partial, o1 + co, ORDER);
                tm1.fma(w1, FloatVector.fromMemorySegment(S, partial, o1 + co1, ORDER)).intoMemorySegment(partial, o1 + co1, ORDER);
                tm0.fma(w2, FloatVector.fromMemorySegment(S, partial, o2 + co, ORDER)).intoMemorySegment(partial, o2 + co, ORDER);
                tm1.fma(w2, FloatVector.fromMemorySegment(S, partial, o2 + co1, ORDER)).intoMemorySegment(partial, o2 + co1, ORDER);
                tm0.fma(w3, FloatVector.fromMemorySegment(S, partial, o3 + co, ORDER)).intoMemorySegment(partial, o3 + co, ORDER);
                tm1.fma(w3, FloatVector.fromMemorySegment(S, partial, o3 + co1, ORDER)).intoMemorySegment(partial, o3 + co1, ORDER);
                tm0.fma(w4, FloatVector.fromMemorySegment(S, partial, o4 + co, ORDER)).intoMemorySegment(partial, o4 + co, ORDER);
                tm1.fma(w4, FloatVector.fromMemorySegment(S, partial, o4 + co1, ORDER)).intoMemorySegment(partial, o4 + co1, ORDER);
            }
            // the lane sums by the packed tree (see AT1; LANES <= 8 here), stored into the point's block
            IntVector i1 = s1.reinterpretAsInts(), i2 = s2.reinterpretAsInts(), i3 = s3.reinterpretAsInts(), i4 = s4.reinterpretAsInts();
            // the same pairs by blends and one-vector swaps (see SWAP_HALVES)
            IntVector a = i1.blend(i2, upperHalf).reinterpretAsFloats()
                    .add(swapHalves.selectFrom(i2.blend(i1, upperHalf)).reinterpretAsFloats()).reinterpretAsInts();
            IntVector b = i3.blend(i4, upperHalf).reinterpretAsFloats()
                    .add(swapHalves.selectFrom(i4.blend(i3, upperHalf)).reinterpretAsFloats()).reinterpretAsInts();
            FloatVector r = a.blend(b, oddQuarter).reinterpretAsFloats()
                    .add(swapQuarters.selectFrom(b.blend(a, oddQuarter)).reinterpretAsFloats());
            if (LANES >= 8) {
                r = r.add(in2.selectFrom(r.reinterpretAsInts()).reinterpretAsFloats());
            }
            r.intoArray(sums, BLOCK * p);
        }
        // points with a corner outside the image after the others, in two pair steps (see pairPass)
        for (int p = 0; p < order.length; p++) {
            if (state[p] == 1) {
                pairBorder(in, gradOut, partial, geo, p, go + groupBytes[p], 0, sums, true);
                pairBorder(in, gradOut, partial, geo, p, go + groupBytes[p], 2 * v, sums, false);
            }
        }
    }

    /**
     * The points of {@code order} with state 2 (all four corners inside), in that order, into {@code live};
     * returns their count. The point loops then run over {@code live} with no branch that skips a point:
     * with a {@code continue} for the other points, the segment accesses sat on a path that not every
     * iteration takes, and C2 checked the segments' state (size, arena alive and owner, read-only) again
     * for every point, ~60 instructions, instead of once before the loop (seen with hsdis). Backward
     * x0.91-0.93 (1x56x56x128, 1 thread, AVX2 VM, three instances each), same bits; in pairPassAll
     * (1x56x56x64) x0.98. Not in {@link #pairPass}, whose loop is per group and pass: there the list
     * measured x1.07-1.08 slower (1x56x56x256).
     */
    private static int compact(int[] order, int[] state, int[] live) {
        int n = 0;
        for (int p : order) {
            live[n] = p;
            n += state[p] == 2 ? 1 : 0;          // written always, kept when valid: no branch
        }
        return n;
    }

    /** One point with a corner outside the image (state 1), channels as {@link #pairPass}. */
    private static void pairBorder(MemorySegment in, MemorySegment gradOut, MemorySegment partial, SamplingGeometry geo,
                                   int p, long go, long co, float[] sums, boolean first) {
        long co1 = co + 4L * LANES;
        FloatVector t0 = FloatVector.fromMemorySegment(S, gradOut, go + co, ORDER);
        FloatVector t1 = FloatVector.fromMemorySegment(S, gradOut, go + co1, ORDER);
        FloatVector w1 = FloatVector.broadcast(S, geo.w1[p]), w2 = FloatVector.broadcast(S, geo.w2[p]);
        FloatVector w3 = FloatVector.broadcast(S, geo.w3[p]), w4 = FloatVector.broadcast(S, geo.w4[p]);
        FloatVector m = FloatVector.broadcast(S, geo.m[p]);
        FloatVector tm0 = t0.mul(m), tm1 = t1.mul(m), z = FloatVector.zero(S);
        FloatVector s1 = z, s2 = z, s3 = z, s4 = z;
        long o1 = 4L * geo.c1[p], o2 = 4L * geo.c2[p], o3 = 4L * geo.c3[p], o4 = 4L * geo.c4[p];
        if (o1 >= 0) {
            s1 = t1.fma(FloatVector.fromMemorySegment(S, in, o1 + co1, ORDER),
                    t0.mul(FloatVector.fromMemorySegment(S, in, o1 + co, ORDER)));
            tm0.fma(w1, FloatVector.fromMemorySegment(S, partial, o1 + co, ORDER)).intoMemorySegment(partial, o1 + co, ORDER);
            tm1.fma(w1, FloatVector.fromMemorySegment(S, partial, o1 + co1, ORDER)).intoMemorySegment(partial, o1 + co1, ORDER);
        }
        if (o2 >= 0) {
            s2 = t1.fma(FloatVector.fromMemorySegment(S, in, o2 + co1, ORDER),
                    t0.mul(FloatVector.fromMemorySegment(S, in, o2 + co, ORDER)));
            tm0.fma(w2, FloatVector.fromMemorySegment(S, partial, o2 + co, ORDER)).intoMemorySegment(partial, o2 + co, ORDER);
            tm1.fma(w2, FloatVector.fromMemorySegment(S, partial, o2 + co1, ORDER)).intoMemorySegment(partial, o2 + co1, ORDER);
        }
        if (o3 >= 0) {
            s3 = t1.fma(FloatVector.fromMemorySegment(S, in, o3 + co1, ORDER),
                    t0.mul(FloatVector.fromMemorySegment(S, in, o3 + co, ORDER)));
            tm0.fma(w3, FloatVector.fromMemorySegment(S, partial, o3 + co, ORDER)).intoMemorySegment(partial, o3 + co, ORDER);
            tm1.fma(w3, FloatVector.fromMemorySegment(S, partial, o3 + co1, ORDER)).intoMemorySegment(partial, o3 + co1, ORDER);
        }
        if (o4 >= 0) {
            s4 = t1.fma(FloatVector.fromMemorySegment(S, in, o4 + co1, ORDER),
                    t0.mul(FloatVector.fromMemorySegment(S, in, o4 + co, ORDER)));
            tm0.fma(w4, FloatVector.fromMemorySegment(S, partial, o4 + co, ORDER)).intoMemorySegment(partial, o4 + co, ORDER);
            tm1.fma(w4, FloatVector.fromMemorySegment(S, partial, o4 + co1, ORDER)).intoMemorySegment(partial, o4 + co1, ORDER);
        }
        IntVector lowHalves = IntVector.fromArray(I, LOW_HALVES, 0), highHalves = IntVector.fromArray(I, HIGH_HALVES, 0);
        IntVector evenQuarters = IntVector.fromArray(I, EVEN_QUARTERS, 0), oddQuarters = IntVector.fromArray(I, ODD_QUARTERS, 0);
        IntVector i1 = s1.reinterpretAsInts(), i2 = s2.reinterpretAsInts(), i3 = s3.reinterpretAsInts(), i4 = s4.reinterpretAsInts();
        IntVector a = lowHalves.selectFrom(i1, i2).reinterpretAsFloats().add(highHalves.selectFrom(i1, i2).reinterpretAsFloats()).reinterpretAsInts();
        IntVector b = lowHalves.selectFrom(i3, i4).reinterpretAsFloats().add(highHalves.selectFrom(i3, i4).reinterpretAsFloats()).reinterpretAsInts();
        FloatVector r = evenQuarters.selectFrom(a, b).reinterpretAsFloats().add(oddQuarters.selectFrom(a, b).reinterpretAsFloats());
        if (LANES >= 16) {
            r = r.add(r.rearrange(IN4));
        }
        if (LANES >= 8) {
            r = r.add(r.rearrange(IN2));
        }
        int at = BLOCK * p;
        (first ? r : r.add(FloatVector.fromArray(S, sums, at))).intoArray(sums, at);
    }

    /** Channels [co/4, co/4 + LANES) of the group's points [from, to), as {@link #pairPass}. */
    private static void singlePass(MemorySegment in, MemorySegment gradOut, MemorySegment partial,
                                   SamplingGeometry geo, int from, int to, long go, long co, long cs, long rs,
                                   float[] sums, boolean first) {
        FloatVector t = FloatVector.fromMemorySegment(S, gradOut, go + co, ORDER);
        int[] state = geo.state;
        IntVector lowHalves = IntVector.fromArray(I, LOW_HALVES, 0), highHalves = IntVector.fromArray(I, HIGH_HALVES, 0);
        IntVector evenQuarters = IntVector.fromArray(I, EVEN_QUARTERS, 0), oddQuarters = IntVector.fromArray(I, ODD_QUARTERS, 0);
        IntVector in4 = IntVector.fromArray(I, IN4_IDX, 0), in2 = IntVector.fromArray(I, IN2_IDX, 0);
        for (int p = from; p < to; p++) {
            int st = state[p];
            if (st == 0) {
                continue;
            }
            FloatVector w1 = FloatVector.broadcast(S, geo.w1[p]), w2 = FloatVector.broadcast(S, geo.w2[p]);
            FloatVector w3 = FloatVector.broadcast(S, geo.w3[p]), w4 = FloatVector.broadcast(S, geo.w4[p]);
            FloatVector tm = t.mul(geo.m[p]), z = FloatVector.zero(S);
            long o1, o2, o3, o4;
            if (st == 2) {
                o1 = 4L * geo.c1[p] + co;
                o2 = o1 + cs;
                o3 = o1 + rs;
                o4 = o3 + cs;
            } else {
                o1 = geo.c1[p] < 0 ? -1 : 4L * geo.c1[p] + co;
                o2 = geo.c2[p] < 0 ? -1 : 4L * geo.c2[p] + co;
                o3 = geo.c3[p] < 0 ? -1 : 4L * geo.c3[p] + co;
                o4 = geo.c4[p] < 0 ? -1 : 4L * geo.c4[p] + co;
            }
            FloatVector s1 = z, s2 = z, s3 = z, s4 = z;
            if (o1 >= 0) {
                s1 = t.mul(FloatVector.fromMemorySegment(S, in, o1, ORDER));
                tm.fma(w1, FloatVector.fromMemorySegment(S, partial, o1, ORDER)).intoMemorySegment(partial, o1, ORDER);
            }
            if (o2 >= 0) {
                s2 = t.mul(FloatVector.fromMemorySegment(S, in, o2, ORDER));
                tm.fma(w2, FloatVector.fromMemorySegment(S, partial, o2, ORDER)).intoMemorySegment(partial, o2, ORDER);
            }
            if (o3 >= 0) {
                s3 = t.mul(FloatVector.fromMemorySegment(S, in, o3, ORDER));
                tm.fma(w3, FloatVector.fromMemorySegment(S, partial, o3, ORDER)).intoMemorySegment(partial, o3, ORDER);
            }
            if (o4 >= 0) {
                s4 = t.mul(FloatVector.fromMemorySegment(S, in, o4, ORDER));
                tm.fma(w4, FloatVector.fromMemorySegment(S, partial, o4, ORDER)).intoMemorySegment(partial, o4, ORDER);
            }
            // the lane sums by the packed tree (see AT1), stored or added into the point's block
            IntVector i1 = s1.reinterpretAsInts(), i2 = s2.reinterpretAsInts(), i3 = s3.reinterpretAsInts(), i4 = s4.reinterpretAsInts();
            IntVector a = lowHalves.selectFrom(i1, i2).reinterpretAsFloats().add(highHalves.selectFrom(i1, i2).reinterpretAsFloats()).reinterpretAsInts();
            IntVector b = lowHalves.selectFrom(i3, i4).reinterpretAsFloats().add(highHalves.selectFrom(i3, i4).reinterpretAsFloats()).reinterpretAsInts();
            FloatVector r = evenQuarters.selectFrom(a, b).reinterpretAsFloats().add(oddQuarters.selectFrom(a, b).reinterpretAsFloats());
            if (LANES >= 16) {
                r = r.add(in4.selectFrom(r.reinterpretAsInts()).reinterpretAsFloats());
            }
            if (LANES >= 8) {
                r = r.add(in2.selectFrom(r.reinterpretAsInts()).reinterpretAsFloats());
            }
            int at = BLOCK * p;
            (first ? r : r.add(FloatVector.fromArray(S, sums, at))).intoArray(sums, at);
        }
    }

    /** Channels [from, d) one at a time, same order as the vector path; adds to the point's sums. */
    private static void scalarTail(MemorySegment in, MemorySegment gradOut, MemorySegment partial,
                                   SamplingGeometry geo, int p, int from, int d, long goBase, float[] sums, int at,
                                   boolean first) {
        if (first) {
            sums[at + AT1] = sums[at + AT2] = sums[at + AT3] = sums[at + AT4] = 0f;
        }
        int i1 = geo.c1[p], i2 = geo.c2[p], i3 = geo.c3[p], i4 = geo.c4[p];
        float w1 = geo.w1[p], w2 = geo.w2[p], w3 = geo.w3[p], w4 = geo.w4[p], m = geo.m[p];
        float s1 = sums[at + AT1], s2 = sums[at + AT2], s3 = sums[at + AT3], s4 = sums[at + AT4];
        for (int c = from; c < d; c++) {
            float t = gradOut.get(Storage.F32, goBase + 4L * c);
            s1 = Math.fma(t, value(in, i1, c), s1);
            s2 = Math.fma(t, value(in, i2, c), s2);
            s3 = Math.fma(t, value(in, i3, c), s3);
            s4 = Math.fma(t, value(in, i4, c), s4);
            float tm = t * m;
            add(partial, i1, c, tm * w1);
            add(partial, i2, c, tm * w2);
            add(partial, i3, c, tm * w3);
            add(partial, i4, c, tm * w4);
        }
        sums[at + AT1] = s1;
        sums[at + AT2] = s2;
        sums[at + AT3] = s3;
        sums[at + AT4] = s4;
    }

    private static float value(MemorySegment in, int index, int c) {
        return index < 0 ? 0f : in.get(Storage.F32, 4L * (index + c));
    }

    private static void add(MemorySegment partial, int index, int c, float x) {
        if (index >= 0) {
            long at = 4L * (index + c);
            partial.set(Storage.F32, at, partial.get(Storage.F32, at) + x);
        }
    }
}
