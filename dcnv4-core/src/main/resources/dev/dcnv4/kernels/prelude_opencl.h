/*
 * OpenCL C prelude for the portable DCNv4 kernels (dcnv4_common.h, dcnv4_forward.cl,
 * dcnv4_backward.cl). The kernel bodies use only C99 plus the macros defined here; the CUDA
 * prelude (prelude_cuda.h) defines the same names. See KernelSource for the full contract.
 *
 * Storage vs arithmetic: every number is widened to fp32 when loaded and rounded once when stored.
 *   fp16: IEEE binary16 through vload_half / vstore_half_rte on `half*` (storage only: no
 *         cl_khr_fp16 needed, NVIDIA's OpenCL and PoCL do not offer half arithmetic);
 *   bf16: the upper 16 bits of a binary32, kept as ushort: widen = bits << 16,
 *         narrow = round to nearest-even on the integer bits (NaN stays a quiet NaN).
 */
#pragma OPENCL FP_CONTRACT OFF

#define KERNEL __kernel void
#define GLOBAL __global
#define LOCAL __local
#define RESTRICT restrict
#define DEVFN static inline
#define GID0 ((int) get_global_id(0))
#define LID0 ((int) get_local_id(0))
#define GROUP_ID0 ((int) get_group_id(0))
#define BARRIER() barrier(CLK_LOCAL_MEM_FENCE)

/* fp32 arithmetic with no contraction: only FMA fuses. */
#define FMA(a, b, c) fma((a), (b), (c))
#define MUL(a, b) ((a) * (b))
#define ADD(a, b) ((a) + (b))
#define SUB(a, b) ((a) - (b))
#define DIV(a, b) ((a) / (b))
#define FLOORF(x) floor(x)
#define EXPF(x) exp(x)
#define NEG_INF_F (-INFINITY)

#if DCN_DTYPE == 0
typedef float storage_t;
#define LOAD_F(p, i) ((p)[i])
#define STORE_F(p, i, v) ((p)[i] = (v))
#define LOAD4_F(p, i, dst) do { float4 _v = vload4(0, (p) + (i)); \
    (dst)[0] = _v.s0; (dst)[1] = _v.s1; (dst)[2] = _v.s2; (dst)[3] = _v.s3; } while (0)
#elif DCN_DTYPE == 1
typedef half storage_t;
#define LOAD_F(p, i) vload_half((i), (p))
#define STORE_F(p, i, v) vstore_half_rte((v), (i), (p))
#define LOAD4_F(p, i, dst) do { float4 _v = vload_half4(0, (p) + (i)); \
    (dst)[0] = _v.s0; (dst)[1] = _v.s1; (dst)[2] = _v.s2; (dst)[3] = _v.s3; } while (0)
#elif DCN_DTYPE == 2
typedef ushort storage_t;
DEVFN float dcn_bf16_to_f(ushort b) { return as_float(((uint) b) << 16); }
DEVFN ushort dcn_f_to_bf16(float f) {
    uint u = as_uint(f);
    if ((u & 0x7fffffffu) > 0x7f800000u) return (ushort) ((u >> 16) | 0x0040u);
    return (ushort) ((u + 0x7fffu + ((u >> 16) & 1u)) >> 16);
}
#define LOAD_F(p, i) dcn_bf16_to_f((p)[i])
#define STORE_F(p, i, v) ((p)[i] = dcn_f_to_bf16(v))
#define LOAD4_F(p, i, dst) do { ushort4 _v = vload4(0, (p) + (i)); \
    (dst)[0] = dcn_bf16_to_f(_v.s0); (dst)[1] = dcn_bf16_to_f(_v.s1); \
    (dst)[2] = dcn_bf16_to_f(_v.s2); (dst)[3] = dcn_bf16_to_f(_v.s3); } while (0)
#else
#error "DCN_DTYPE must be 0 (fp32), 1 (fp16) or 2 (bf16)"
#endif

/* fp32 atomic add on global memory: compare-and-swap on the int bits (OpenCL 1.1 core). */
DEVFN void dcn_atomic_add_f(volatile GLOBAL float *p, float v) {
    volatile GLOBAL int *ip = (volatile GLOBAL int *) p;
    int old = *ip, assumed;
    do {
        assumed = old;
        old = atomic_cmpxchg(ip, assumed, as_int(as_float(assumed) + v));
    } while (old != assumed);
}
#define ATOMIC_ADD_F(p, v) dcn_atomic_add_f((p), (v))
#define ATOMIC_MAX_I(p, v) atomic_max((p), (v))
