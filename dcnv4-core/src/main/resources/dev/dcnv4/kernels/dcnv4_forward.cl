/*
 * DCNv4 forward with group-level thread reuse: one work-item computes DS consecutive channels
 * of one group at one output position. It reads the group's K weights once (softmax once),
 * computes each point's position and bilinear coefficients once for its DS channels, and loads
 * the DS channels of each corner with 4-wide vector loads when D and DS are multiples of 4.
 * The last work-item of a group handles the tail when D % DS != 0.
 *
 * Work-item index = ((pos * G) + g) * NCH + chunk with pos = flat (n, yo, xo) over all N*HO*WO
 * positions: n, yo, xo come from that flat index, so no block ever straddles two images wrongly.
 *
 * Per channel, exactly the order of semantics 2.6:
 *   t = w2*v2; t = fma(w1,v1,t); t = fma(w3,v3,t); t = fma(w4,v4,t); acc = fma(m,t,acc)
 * with v = 0 for corners outside the image; the output is rounded once.
 */
#define VEC4 ((D % 4 == 0) && (DS % 4 == 0))

KERNEL dcnv4_forward(const GLOBAL storage_t *RESTRICT input, const GLOBAL storage_t *RESTRICT om,
                     GLOBAL storage_t *RESTRICT out, int N, int H, int W, int HO, int WO, float s) {
    int gid = GID0;
    int Q = HO * WO;
    if (gid >= N * Q * G * NCH) {
        return;
    }
    int chunk = gid % NCH;
    int pg = gid / NCH;
    int g = pg % G;
    int pos = pg / G;
    int n = pos / Q;
    int q = pos - n * Q;
    int yo = q / WO;
    int xo = q - yo * WO;
    int c0 = chunk * DS;
    int cnt = D - c0 < DS ? D - c0 : DS;

    const GLOBAL storage_t *omg = om + pos * PDIM + g * 3 * KPTS;
    float m[KPTS];
    dcn_load_weights(omg, m);
    float bx = dcn_base_x(xo, s);
    float by = dcn_base_y(yo, s);
    const GLOBAL storage_t *img = input + n * H * W * C_ALL + g * D + c0;

    float acc[DS];
    for (int c = 0; c < DS; c++) {
        acc[c] = 0.0f;
    }
    DCN_FOR_POINTS(i, j, k) {
        dcn_point p = dcn_sample(LOAD_F(omg, 2 * k), LOAD_F(omg, 2 * k + 1), i, j, s, bx, by, H, W);
        if (p.valid) {
            int i1 = (p.y0 * W + p.x0) * C_ALL;
            int i2 = i1 + C_ALL;
            int i3 = i1 + W * C_ALL;
            int i4 = i3 + C_ALL;
            float mk = m[k];
#if VEC4
            for (int c = 0; c < DS; c += 4) {
                if (c < cnt) {
                    float v1[4] = {0.0f, 0.0f, 0.0f, 0.0f}, v2[4] = {0.0f, 0.0f, 0.0f, 0.0f};
                    float v3[4] = {0.0f, 0.0f, 0.0f, 0.0f}, v4[4] = {0.0f, 0.0f, 0.0f, 0.0f};
                    if (p.in1) LOAD4_F(img, i1 + c, v1);
                    if (p.in2) LOAD4_F(img, i2 + c, v2);
                    if (p.in3) LOAD4_F(img, i3 + c, v3);
                    if (p.in4) LOAD4_F(img, i4 + c, v4);
                    for (int e = 0; e < 4; e++) {
                        float t = MUL(p.w2, v2[e]);
                        t = FMA(p.w1, v1[e], t);
                        t = FMA(p.w3, v3[e], t);
                        t = FMA(p.w4, v4[e], t);
                        acc[c + e] = FMA(mk, t, acc[c + e]);
                    }
                }
            }
#else
            for (int c = 0; c < DS; c++) {
                if (c < cnt) {
                    float v1 = p.in1 ? LOAD_F(img, i1 + c) : 0.0f;
                    float v2 = p.in2 ? LOAD_F(img, i2 + c) : 0.0f;
                    float v3 = p.in3 ? LOAD_F(img, i3 + c) : 0.0f;
                    float v4 = p.in4 ? LOAD_F(img, i4 + c) : 0.0f;
                    float t = MUL(p.w2, v2);
                    t = FMA(p.w1, v1, t);
                    t = FMA(p.w3, v3, t);
                    t = FMA(p.w4, v4, t);
                    acc[c] = FMA(mk, t, acc[c]);
                }
            }
#endif
        }
        DCN_NEXT_POINT(k);
    }
    GLOBAL storage_t *o = out + pos * C_ALL + g * D + c0;
    for (int c = 0; c < DS; c++) {
        if (c < cnt) {
            STORE_F(o, c, acc[c]);
        }
    }
}
