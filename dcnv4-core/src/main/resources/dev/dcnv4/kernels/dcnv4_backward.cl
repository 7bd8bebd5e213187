/*
 * DCNv4 backward (semantics 3). Work-item = BDS consecutive channels of one group at one output
 * position; a work-group holds BPG such (position, group) pairs, BNCH = ceil(D/BDS) work-items
 * each, so the per-point partial sums of one pair are reduced inside the work-group in a fixed
 * order (deterministic): a tree v[l] += v[l + step], step = BNCH/2 .. 1, when BNCH is a power of
 * two <= 32 (the official warp-shuffle shape), otherwise lane 0 adds them left to right (the
 * official shared-memory shape). With BDS equal to the official backward d_stride (1 for D < 64,
 * 2 otherwise) grad_offset_mask reproduces the official bits.
 *
 * grad_input: with gin_atomic != 0 (default) every in-range corner gets (t*m)*w by an fp32 atomic
 * add into a zeroed fp32 buffer (order not reproducible). The deterministic variant runs this kernel
 * with gin_atomic = 0 (gin untouched), then dcnv4_backward_radius + dcnv4_backward_gather below.
 * grad_offset_mask: fp32 buffer (zeroed by the host so padding entries stay exactly 0); lane 0
 * writes X, Y (times m*s) and the weight gradient Z, or the softmax Jacobian of the Z's.
 */
#define BNCH_IS_POW2 ((BNCH & (BNCH - 1)) == 0 && BNCH <= 32)

KERNEL dcnv4_backward(const GLOBAL storage_t *RESTRICT input, const GLOBAL storage_t *RESTRICT om,
                      const GLOBAL storage_t *RESTRICT gout, GLOBAL float *RESTRICT gin,
                      GLOBAL float *RESTRICT gom, int N, int H, int W, int HO, int WO, float s,
                      int gin_atomic) {
    LOCAL float red[3 * BWG];
    int lid = LID0;
    int lane = lid % BNCH;
    int pair = GROUP_ID0 * BPG + lid / BNCH;        /* pair = pos * G + g */
    int Q = HO * WO;
    int active = pair < N * Q * G;
    int g = active ? pair % G : 0;
    int pos = active ? pair / G : 0;
    int n = pos / Q;
    int q = pos - n * Q;
    int yo = q / WO;
    int xo = q - yo * WO;
    int c0 = lane * BDS;
    int cnt = active ? (D - c0 < BDS ? D - c0 : BDS) : 0;

    const GLOBAL storage_t *omg = om + pos * PDIM + g * 3 * KPTS;
    GLOBAL float *gomg = gom + pos * PDIM + g * 3 * KPTS;
    float m[KPTS];
    if (active) {
        dcn_load_weights(omg, m);
    } else {
        for (int k = 0; k < KPTS; k++) m[k] = 0.0f;
    }
    float t[BDS];
    for (int c = 0; c < BDS; c++) {
        t[c] = c < cnt ? LOAD_F(gout, pos * C_ALL + g * D + c0 + c) : 0.0f;
    }
    float bx = dcn_base_x(xo, s);
    float by = dcn_base_y(yo, s);
    int img = n * H * W * C_ALL + g * D + c0;
#if SOFTMAX
    float zk[KPTS];
#endif
    DCN_FOR_POINTS(i, j, k) {
        dcn_point p;
        if (active) {
            p = dcn_sample(LOAD_F(omg, 2 * k), LOAD_F(omg, 2 * k + 1), i, j, s, bx, by, H, W);
        } else {
            p.valid = 0;
        }
        float ax = 0.0f, ay = 0.0f, az = 0.0f;
        if (p.valid) {
            float mk = m[k];
            int i1 = img + (p.y0 * W + p.x0) * C_ALL;
            int i2 = i1 + C_ALL;
            int i3 = i1 + W * C_ALL;
            int i4 = i3 + C_ALL;
            for (int c = 0; c < BDS; c++) {
                if (c < cnt) {
                    float tm = MUL(t[c], mk);
                    float gx = 0.0f, gy = 0.0f;
                    float v1 = 0.0f, v2 = 0.0f, v3 = 0.0f, v4 = 0.0f;
                    if (p.in1) {
                        v1 = LOAD_F(input, i1 + c);
                        gy = FMA(-p.hx, v1, gy);
                        gx = FMA(-p.hy, v1, gx);
                        if (gin_atomic) ATOMIC_ADD_F(gin + i1 + c, MUL(tm, p.w1));
                    }
                    if (p.in2) {
                        v2 = LOAD_F(input, i2 + c);
                        gy = FMA(-p.lx, v2, gy);
                        gx = FMA(p.hy, v2, gx);
                        if (gin_atomic) ATOMIC_ADD_F(gin + i2 + c, MUL(tm, p.w2));
                    }
                    if (p.in3) {
                        v3 = LOAD_F(input, i3 + c);
                        gy = FMA(p.hx, v3, gy);
                        gx = FMA(-p.ly, v3, gx);
                        if (gin_atomic) ATOMIC_ADD_F(gin + i3 + c, MUL(tm, p.w3));
                    }
                    if (p.in4) {
                        v4 = LOAD_F(input, i4 + c);
                        gy = FMA(p.lx, v4, gy);
                        gx = FMA(p.ly, v4, gx);
                        if (gin_atomic) ATOMIC_ADD_F(gin + i4 + c, MUL(tm, p.w4));
                    }
                    float val = FMA(p.w4, v4, FMA(p.w3, v3, FMA(p.w1, v1, MUL(p.w2, v2))));
                    ax = FMA(t[c], gx, ax);
                    ay = FMA(t[c], gy, ay);
                    az = FMA(t[c], val, az);
                }
            }
            float ms = MUL(mk, s);
            ax = MUL(ms, ax);
            ay = MUL(ms, ay);
        }
        red[lid] = ax;
        red[BWG + lid] = ay;
        red[2 * BWG + lid] = az;
        BARRIER();
#if BNCH_IS_POW2
        for (int step = BNCH / 2; step > 0; step >>= 1) {
            if (lane < step) {
                red[lid] = ADD(red[lid], red[lid + step]);
                red[BWG + lid] = ADD(red[BWG + lid], red[BWG + lid + step]);
                red[2 * BWG + lid] = ADD(red[2 * BWG + lid], red[2 * BWG + lid + step]);
            }
            BARRIER();
        }
#else
        if (lane == 0) {
            for (int l = 1; l < BNCH; l++) {
                red[lid] = ADD(red[lid], red[lid + l]);
                red[BWG + lid] = ADD(red[BWG + lid], red[BWG + lid + l]);
                red[2 * BWG + lid] = ADD(red[2 * BWG + lid], red[2 * BWG + lid + l]);
            }
        }
#endif
        if (lane == 0 && active) {
            gomg[2 * k] = p.valid ? red[lid] : 0.0f;
            gomg[2 * k + 1] = p.valid ? red[BWG + lid] : 0.0f;
#if SOFTMAX
            zk[k] = p.valid ? red[2 * BWG + lid] : 0.0f;
#else
            gomg[2 * KPTS + k] = p.valid ? red[2 * BWG + lid] : 0.0f;
#endif
        }
        BARRIER();
        DCN_NEXT_POINT(k);
    }
#if SOFTMAX
    /* dL/dz_k = g_k - p_k * sum_j g_j with g_k = p_k * dL/dp_k (semantics 3.2). */
    if (lane == 0 && active) {
        float sum = 0.0f;
        for (int k = 0; k < KPTS; k++) {
            zk[k] = MUL(zk[k], m[k]);
            sum = ADD(sum, zk[k]);
        }
        for (int k = 0; k < KPTS; k++) {
            gomg[2 * KPTS + k] = SUB(zk[k], MUL(m[k], sum));
        }
    }
#endif
}

/*
 * Deterministic grad_input, pass 1: the reach R of the valid sampling points, in input pixels,
 * measured from the position's stride-grid point (xo*SW, yo*SH): radius[0] >= |corner x - xo*SW|,
 * radius[1] likewise for y. atomic_max is order-independent, so the result is deterministic.
 * One work-item per (position, group); radius must be zeroed first.
 */
KERNEL dcnv4_backward_radius(const GLOBAL storage_t *RESTRICT om, GLOBAL int *RESTRICT radius,
                             int N, int H, int W, int HO, int WO, float s) {
    int pair = GID0;
    int Q = HO * WO;
    if (pair >= N * Q * G) {
        return;
    }
    int g = pair % G;
    int pos = pair / G;
    int q = pos % Q;
    int yo = q / WO;
    int xo = q - yo * WO;
    const GLOBAL storage_t *omg = om + pos * PDIM + g * 3 * KPTS;
    float bx = dcn_base_x(xo, s);
    float by = dcn_base_y(yo, s);
    int rx = 0, ry = 0;
    DCN_FOR_POINTS(i, j, k) {
        dcn_point p = dcn_sample(LOAD_F(omg, 2 * k), LOAD_F(omg, 2 * k + 1), i, j, s, bx, by, H, W);
        if (p.valid) {
            int a = p.x0 - xo * SW, b = p.x0 + 1 - xo * SW;
            a = a < 0 ? -a : a;
            b = b < 0 ? -b : b;
            rx = a > rx ? a : rx;
            rx = b > rx ? b : rx;
            a = p.y0 - yo * SH;
            b = p.y0 + 1 - yo * SH;
            a = a < 0 ? -a : a;
            b = b < 0 ? -b : b;
            ry = a > ry ? a : ry;
            ry = b > ry ? b : ry;
        }
        DCN_NEXT_POINT(k);
    }
    ATOMIC_MAX_I(radius, rx);
    ATOMIC_MAX_I(radius + 1, ry);
}

/*
 * Deterministic grad_input, pass 2: a gather. One work-item per BDS channels of one group of one
 * input pixel visits, in a fixed order (yo, xo row-major, then point k), every output position
 * whose stride-grid point lies within the radius of pass 1, recomputes its sampling points and adds
 * (t*m)*w for each point that has this pixel as a corner. Bit-identical run to run. Cost: about
 * (2Ry/SH + 1)(2Rx/SW + 1) * K point evaluations per pixel instead of 4K atomics per position;
 * fine for offsets of a few pixels, quadratic in the offset range for wild offsets.
 */
KERNEL dcnv4_backward_gather(const GLOBAL storage_t *RESTRICT om, const GLOBAL storage_t *RESTRICT gout,
                             const GLOBAL int *RESTRICT radius, GLOBAL float *RESTRICT gin,
                             int N, int H, int W, int HO, int WO, float s) {
    int gid = GID0;
    if (gid >= N * H * W * G * BNCH) {
        return;
    }
    int chunk = gid % BNCH;
    int pg = gid / BNCH;
    int g = pg % G;
    int pix = pg / G;                 /* flat (n, y, x) */
    int n = pix / (H * W);
    int r = pix - n * H * W;
    int y = r / W;
    int x = r - y * W;
    int c0 = chunk * BDS;
    int cnt = D - c0 < BDS ? D - c0 : BDS;
    int rx = radius[0], ry = radius[1];
    int xlo = x - rx <= 0 ? 0 : (x - rx + SW - 1) / SW;
    int xhi = (x + rx) / SW;
    int ylo = y - ry <= 0 ? 0 : (y - ry + SH - 1) / SH;
    int yhi = (y + ry) / SH;
    xhi = xhi < WO - 1 ? xhi : WO - 1;
    yhi = yhi < HO - 1 ? yhi : HO - 1;
    float acc[BDS];
    for (int c = 0; c < BDS; c++) {
        acc[c] = 0.0f;
    }
    for (int yo = ylo; yo <= yhi; yo++) {
        for (int xo = xlo; xo <= xhi; xo++) {
            int pos = (n * HO + yo) * WO + xo;
            const GLOBAL storage_t *omg = om + pos * PDIM + g * 3 * KPTS;
            float m[KPTS];
            dcn_load_weights(omg, m);
            float bx = dcn_base_x(xo, s);
            float by = dcn_base_y(yo, s);
            const GLOBAL storage_t *go = gout + pos * C_ALL + g * D + c0;
            DCN_FOR_POINTS(i, j, k) {
                dcn_point p = dcn_sample(LOAD_F(omg, 2 * k), LOAD_F(omg, 2 * k + 1), i, j, s, bx, by, H, W);
                if (p.valid && (y == p.y0 || y == p.y0 + 1) && (x == p.x0 || x == p.x0 + 1)) {
                    float w = y == p.y0 ? (x == p.x0 ? p.w1 : p.w2) : (x == p.x0 ? p.w3 : p.w4);
                    for (int c = 0; c < BDS; c++) {
                        if (c < cnt) {
                            acc[c] = ADD(acc[c], MUL(MUL(LOAD_F(go, c), m[k]), w));
                        }
                    }
                }
                DCN_NEXT_POINT(k);
            }
        }
    }
    GLOBAL float *dst = gin + pix * C_ALL + g * D + c0;
    for (int c = 0; c < cnt; c++) {
        dst[c] = acc[c];
    }
}
