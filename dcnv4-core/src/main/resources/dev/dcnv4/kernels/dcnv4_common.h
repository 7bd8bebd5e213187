/*
 * DCNv4 kernels, shared part: compile-time shape, sampling positions, bilinear geometry, softmax.
 * Written once for OpenCL C and CUDA C; needs a prelude (prelude_opencl.h / prelude_cuda.h) first.
 *
 * Compile-time defines (KernelSource sets all of them):
 *   DCN_DTYPE 0|1|2 (fp32|fp16|bf16 storage)    G, D          groups, channels per group
 *   KH, KW, SH, SW, PH, PW, DH, DW               kernel, stride, padding, dilation
 *   RC 0|1 remove_center   SOFTMAX 0|1          KPTS = KH*KW - RC     PDIM padded offset dim
 *   DS   forward d_stride (channels per work-item)
 *   BDS  backward d_stride   BPG  backward (position, group) pairs per work-group
 *
 * Layouts (channel-last, see dcnv4-semantics.md 1): input (N,H,W,C), offset_mask (N,HO,WO,PDIM)
 * with group g's 2K (x,y) offsets then K weights at g*3K, output (N,HO,WO,C), C = G*D.
 */
#define C_ALL (G * D)
#define HALF_W ((DW * (KW - 1)) >> 1)
#define HALF_H ((DH * (KH - 1)) >> 1)
#define NCH ((D + DS - 1) / DS)      /* forward work-items per (position, group) */
#define BNCH ((D + BDS - 1) / BDS)   /* backward work-items per (position, group) */
#define BWG (BPG * BNCH)             /* backward work-group size */

/* Geometry of one sampling point: validity, the 4 corner weights and which corners lie inside. */
typedef struct {
    int valid;
    int y0, x0;
    float lx, ly, hx, hy;
    float w1, w2, w3, w4;
    int in1, in2, in3, in4;          /* corner (y0,x0) (y0,x1) (y1,x0) (y1,x1) inside the image */
} dcn_point;

/* Positions (semantics 2.1) and bilinear rule (2.4). bx/by are the fused window bases. */
DEVFN dcn_point dcn_sample(float offx, float offy, int i, int j, float s, float bx, float by, int H, int W) {
    dcn_point p;
    float x = FMA(ADD((float) (i * DW), offx), s, bx);
    float y = FMA(ADD((float) (j * DH), offy), s, by);
    p.valid = (y > -1.0f) && (x > -1.0f) && (y < (float) H) && (x < (float) W);
    if (!p.valid) {
        p.y0 = p.x0 = 0;
        p.lx = p.ly = p.hx = p.hy = 0.0f;
        p.w1 = p.w2 = p.w3 = p.w4 = 0.0f;
        p.in1 = p.in2 = p.in3 = p.in4 = 0;
        return p;
    }
    p.y0 = (int) FLOORF(y);
    p.x0 = (int) FLOORF(x);
    p.ly = SUB(y, (float) p.y0);
    p.lx = SUB(x, (float) p.x0);
    p.hy = SUB(1.0f, p.ly);
    p.hx = SUB(1.0f, p.lx);
    p.w1 = MUL(p.hy, p.hx);
    p.w2 = MUL(p.hy, p.lx);
    p.w3 = MUL(p.ly, p.hx);
    p.w4 = MUL(p.ly, p.lx);
    int y1 = p.y0 + 1, x1 = p.x0 + 1;
    p.in1 = p.y0 >= 0 && p.x0 >= 0;
    p.in2 = p.y0 >= 0 && x1 < W;
    p.in3 = y1 < H && p.x0 >= 0;
    p.in4 = y1 < H && x1 < W;
    return p;
}

/* bx = fma(-halfw, s, p0x): one rounding, as the GPU fuses it (semantics 2.1). */
DEVFN float dcn_base_x(int xo, float s) {
    return FMA(-(float) HALF_W, s, (float) (HALF_W - PW + xo * SW));
}

DEVFN float dcn_base_y(int yo, float s) {
    return FMA(-(float) HALF_H, s, (float) (HALF_H - PH + yo * SH));
}

/* Loads the K modulation weights of one (position, group); softmax over them in DCNv3 mode (2.5). */
DEVFN void dcn_load_weights(const GLOBAL storage_t *omg, float *m) {
    for (int k = 0; k < KPTS; k++) {
        m[k] = LOAD_F(omg, 2 * KPTS + k);
    }
#if SOFTMAX
    float mx = NEG_INF_F;
    for (int k = 0; k < KPTS; k++) {
        mx = m[k] > mx ? m[k] : mx;
    }
    float sum = 0.0f;
    for (int k = 0; k < KPTS; k++) {
        m[k] = EXPF(SUB(m[k], mx));
        sum = ADD(sum, m[k]);
    }
    for (int k = 0; k < KPTS; k++) {
        m[k] = DIV(m[k], sum);
    }
#endif
}

/* Kernel tap (i, j) of point k: column i outer, row j inner, centre skipped with RC (2.2, 2.3). */
#define DCN_FOR_POINTS(i, j, k) \
    for (int i = 0, k = 0; i < KW; i++) \
        for (int j = 0; j < KH; j++) \
            if (!(RC && i == KW / 2 && j == KH / 2))
#define DCN_NEXT_POINT(k) k++

/* Converts an fp32 scratch buffer into the storage dtype (gradients asked for in fp16/bf16). */
KERNEL dcnv4_store_f32(const GLOBAL float *RESTRICT src, GLOBAL storage_t *RESTRICT dst, int n) {
    int i = GID0;
    if (i < n) {
        STORE_F(dst, i, src[i]);
    }
}
