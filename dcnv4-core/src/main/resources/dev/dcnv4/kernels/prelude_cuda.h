/*
 * CUDA C prelude (for NVRTC) for the portable DCNv4 kernels. Header-free on purpose: NVRTC on a
 * machine without the toolkit cannot include cuda_fp16.h, so fp16 goes through inline PTX
 * (cvt.f32.f16 / cvt.rn.f16.f32) on unsigned short. Same macro names as prelude_opencl.h.
 * Arithmetic uses the explicitly rounded intrinsics so that nvcc/NVRTC never contracts a
 * multiply and an add into an FMA the kernel did not ask for.
 */
#define KERNEL extern "C" __global__ void
#define GLOBAL
#define LOCAL __shared__
#define RESTRICT __restrict__
#define DEVFN static __device__ __forceinline__
#define GID0 ((int) (blockIdx.x * blockDim.x + threadIdx.x))
#define LID0 ((int) threadIdx.x)
#define GROUP_ID0 ((int) blockIdx.x)
#define BARRIER() __syncthreads()

#define FMA(a, b, c) __fmaf_rn((a), (b), (c))
#define MUL(a, b) __fmul_rn((a), (b))
#define ADD(a, b) __fadd_rn((a), (b))
#define SUB(a, b) __fsub_rn((a), (b))
#define DIV(a, b) __fdiv_rn((a), (b))
#define FLOORF(x) floorf(x)
#define EXPF(x) expf(x)
#define NEG_INF_F (__int_as_float(0xff800000))

typedef unsigned short ushort;
typedef unsigned int uint;

#if DCN_DTYPE == 0
typedef float storage_t;
#define LOAD_F(p, i) ((p)[i])
#define STORE_F(p, i, v) ((p)[i] = (v))
#define LOAD4_F(p, i, dst) do { float4 _v = *(const float4 *) ((p) + (i)); \
    (dst)[0] = _v.x; (dst)[1] = _v.y; (dst)[2] = _v.z; (dst)[3] = _v.w; } while (0)
#elif DCN_DTYPE == 1
typedef unsigned short storage_t;
DEVFN float dcn_h2f(unsigned short h) { float f; asm("cvt.f32.f16 %0, %1;" : "=f"(f) : "h"(h)); return f; }
DEVFN unsigned short dcn_f2h(float f) { unsigned short h; asm("cvt.rn.f16.f32 %0, %1;" : "=h"(h) : "f"(f)); return h; }
#define LOAD_F(p, i) dcn_h2f((p)[i])
#define STORE_F(p, i, v) ((p)[i] = dcn_f2h(v))
#define LOAD4_F(p, i, dst) do { ushort4 _v = *(const ushort4 *) ((p) + (i)); \
    (dst)[0] = dcn_h2f(_v.x); (dst)[1] = dcn_h2f(_v.y); (dst)[2] = dcn_h2f(_v.z); (dst)[3] = dcn_h2f(_v.w); } while (0)
#elif DCN_DTYPE == 2
typedef unsigned short storage_t;
DEVFN float dcn_bf16_to_f(unsigned short b) { return __uint_as_float(((unsigned int) b) << 16); }
DEVFN unsigned short dcn_f_to_bf16(float f) {
    unsigned int u = __float_as_uint(f);
    if ((u & 0x7fffffffu) > 0x7f800000u) return (unsigned short) ((u >> 16) | 0x0040u);
    return (unsigned short) ((u + 0x7fffu + ((u >> 16) & 1u)) >> 16);
}
#define LOAD_F(p, i) dcn_bf16_to_f((p)[i])
#define STORE_F(p, i, v) ((p)[i] = dcn_f_to_bf16(v))
#define LOAD4_F(p, i, dst) do { ushort4 _v = *(const ushort4 *) ((p) + (i)); \
    (dst)[0] = dcn_bf16_to_f(_v.x); (dst)[1] = dcn_bf16_to_f(_v.y); \
    (dst)[2] = dcn_bf16_to_f(_v.z); (dst)[3] = dcn_bf16_to_f(_v.w); } while (0)
#else
#error "DCN_DTYPE must be 0 (fp32), 1 (fp16) or 2 (bf16)"
#endif

#define ATOMIC_ADD_F(p, v) atomicAdd((p), (v))
#define ATOMIC_MAX_I(p, v) atomicMax((p), (v))
