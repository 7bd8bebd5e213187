package dev.dcnv4.kernels;

import dev.dcnv4.arrays.DType;
import dev.dcnv4.op.Dcnv4Config;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * One compilable DCNv4 program for one dialect: prelude + shared part + kernel bodies, plus the
 * {@code -D} specializations. The same kernel bodies serve OpenCL C and CUDA C (NVRTC); only the
 * prelude differs. Resources (this package's folder):
 *
 * <pre>
 *   prelude_opencl.h | prelude_cuda.h   dialect macros
 *   dcnv4_common.h                      shape defines, positions, bilinear geometry, softmax, dcnv4_store_f32
 *   dcnv4_forward.cl                    dcnv4_forward
 *   dcnv4_backward.cl                   dcnv4_backward, dcnv4_backward_radius, dcnv4_backward_gather
 * </pre>
 *
 * <p>Macro contract a prelude must define (the kernel bodies use nothing else beyond C99):
 * {@code KERNEL} (entry qualifier + void), {@code GLOBAL}, {@code LOCAL}, {@code RESTRICT},
 * {@code DEVFN} (helper function qualifier), {@code GID0}, {@code LID0}, {@code GROUP_ID0} (1-D ids as
 * int), {@code BARRIER()} (work-group barrier with local-memory fence), {@code FMA/MUL/ADD/SUB/DIV}
 * (binary32, correctly rounded, never contracted), {@code FLOORF}, {@code EXPF}, {@code NEG_INF_F},
 * {@code storage_t} (element type per {@code DCN_DTYPE}), {@code LOAD_F(p,i)} (widen element i to float),
 * {@code STORE_F(p,i,v)} (round v once, nearest-even), {@code LOAD4_F(p,i,dst)} (4 elements at i, a
 * multiple of 4, into float dst[4]), {@code ATOMIC_ADD_F(float*,float)}, {@code ATOMIC_MAX_I(int*,int)}.
 *
 * <p>Defines set here: {@code DCN_DTYPE G D KH KW SH SW PH PW DH DW RC SOFTMAX KPTS PDIM DS BDS BPG}.
 * Kernel arguments (all entries end with {@code int N, int H, int W, int HO, int WO, float s}):
 * <pre>
 *   dcnv4_forward(input, offset_mask, output, N,H,W,HO,WO,s)                 global = N*HO*WO*G*ceil(D/DS)
 *   dcnv4_backward(input, offset_mask, grad_out, gin(f32), gom(f32), N,H,W,HO,WO,s, int gin_atomic)
 *                                                      local = BPG*ceil(D/BDS), global = ceil(N*HO*WO*G/BPG)*local
 *   dcnv4_backward_radius(offset_mask, int radius[2], N,H,W,HO,WO,s)         global = N*HO*WO*G
 *   dcnv4_backward_gather(offset_mask, grad_out, radius, gin(f32), N,H,W,HO,WO,s)  global = N*H*W*G*ceil(D/BDS)
 *   dcnv4_store_f32(const float* src, storage_t* dst, int n)                 global = n
 * </pre>
 */
public final class KernelSource {

    /** Kernel language. */
    public enum Dialect {
        OPENCL("prelude_opencl.h"), CUDA("prelude_cuda.h");

        private final String prelude;

        Dialect(String prelude) {
            this.prelude = prelude;
        }
    }

    public static final String FORWARD = "dcnv4_forward";
    public static final String BACKWARD = "dcnv4_backward";
    public static final String BACKWARD_RADIUS = "dcnv4_backward_radius";
    public static final String BACKWARD_GATHER = "dcnv4_backward_gather";
    public static final String STORE_F32 = "dcnv4_store_f32";

    private static final List<String> BODIES = List.of("dcnv4_common.h", "dcnv4_forward.cl", "dcnv4_backward.cl");

    private final Dialect dialect;
    private final String text;
    private final Map<String, String> defines;
    private final String hash;

    private KernelSource(Dialect dialect, String text, Map<String, String> defines) {
        this.dialect = dialect;
        this.text = text;
        this.defines = Map.copyOf(defines);
        this.hash = sha256(text + "\n" + options());
    }

    /**
     * The DCNv4 program for {@code config} and storage {@code dtype}.
     *
     * @param forwardDStride  channels per forward work-item (any value >= 1; tails handled)
     * @param backwardDStride channels per backward work-item
     * @param backwardPairs   (position, group) pairs per backward work-group
     */
    public static KernelSource dcnv4(Dialect dialect, Dcnv4Config config, DType dtype, int forwardDStride,
                                     int backwardDStride, int backwardPairs) {
        if (forwardDStride < 1 || backwardDStride < 1 || backwardPairs < 1) {
            throw new IllegalArgumentException("d_stride and pairs: expected >= 1 but were " + forwardDStride
                    + ", " + backwardDStride + ", " + backwardPairs);
        }
        Map<String, String> d = new LinkedHashMap<>();
        d.put("DCN_DTYPE", Integer.toString(dtype.ordinal()));
        d.put("G", Integer.toString(config.groups()));
        d.put("D", Integer.toString(config.groupChannels()));
        d.put("KH", Integer.toString(config.kernelH()));
        d.put("KW", Integer.toString(config.kernelW()));
        d.put("SH", Integer.toString(config.strideH()));
        d.put("SW", Integer.toString(config.strideW()));
        d.put("PH", Integer.toString(config.padH()));
        d.put("PW", Integer.toString(config.padW()));
        d.put("DH", Integer.toString(config.dilationH()));
        d.put("DW", Integer.toString(config.dilationW()));
        d.put("RC", config.removeCenter() ? "1" : "0");
        d.put("SOFTMAX", config.softmax() ? "1" : "0");
        d.put("KPTS", Integer.toString(config.points()));
        d.put("PDIM", Integer.toString(config.paddedOffsetDim()));
        d.put("DS", Integer.toString(forwardDStride));
        d.put("BDS", Integer.toString(backwardDStride));
        d.put("BPG", Integer.toString(backwardPairs));
        return of(dialect, d);
    }

    /** Prelude + all bodies with the given defines (also used for deliberately broken test programs). */
    public static KernelSource of(Dialect dialect, Map<String, String> defines) {
        StringBuilder sb = new StringBuilder();
        sb.append(resource(dialect.prelude));
        for (String b : BODIES) {
            sb.append("\n/* ---- ").append(b).append(" ---- */\n").append(resource(b));
        }
        return new KernelSource(dialect, sb.toString(), new LinkedHashMap<>(defines));
    }

    /** A program from raw text (no prelude); for tests and prebuilt tasks. */
    public static KernelSource raw(Dialect dialect, String text, Map<String, String> defines) {
        return new KernelSource(dialect, text, new LinkedHashMap<>(defines));
    }

    /** Forward d_stride: the widest of 8 (2-byte storage) or 4 (fp32) down to 1 that divides D. */
    public static int defaultForwardDStride(int d, DType dtype) {
        for (int ds = dtype.bytes() == 2 ? 8 : 4; ds > 1; ds >>= 1) {
            if (d % ds == 0) {
                return ds;
            }
        }
        return 1;
    }

    /** Backward d_stride of the official launcher (1 for D < 64, else 2): gives its grad_offset_mask bits. */
    public static int officialBackwardDStride(int d) {
        return d >= 64 && d % 2 == 0 ? 2 : 1;
    }

    /** Pairs per backward work-group so that a work-group has about 64 work-items. */
    public static int defaultBackwardPairs(int d, int backwardDStride) {
        int lanes = (d + backwardDStride - 1) / backwardDStride;
        return Math.max(1, 64 / lanes);
    }

    /** Reads one kernel resource as text. */
    public static String resource(String name) {
        try (InputStream in = KernelSource.class.getResourceAsStream(name)) {
            if (in == null) {
                throw new IllegalStateException("kernel resource missing from the class path: dev/dcnv4/kernels/" + name);
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("reading kernel resource " + name, e);
        }
    }

    public Dialect dialect() {
        return dialect;
    }

    /** Program text without the defines. */
    public String text() {
        return text;
    }

    public Map<String, String> defines() {
        return defines;
    }

    /** The defines as compiler options, in a stable order: {@code -DNAME=VALUE ...}. */
    public List<String> options() {
        List<String> o = new ArrayList<>();
        defines.entrySet().stream().sorted(Map.Entry.comparingByKey())
                .forEach(e -> o.add("-D" + e.getKey() + "=" + e.getValue()));
        return o;
    }

    /** Text with the defines prepended as #define lines (for tools without -D, and for nvcc checks). */
    public String textWithDefines() {
        StringBuilder sb = new StringBuilder();
        defines.entrySet().stream().sorted(Map.Entry.comparingByKey())
                .forEach(e -> sb.append("#define ").append(e.getKey()).append(' ').append(e.getValue()).append('\n'));
        return sb.append(text).toString();
    }

    /** SHA-256 (hex) of text and options: the program cache key's source part. */
    public String hash() {
        return hash;
    }

    private static String sha256(String s) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 unavailable", e);
        }
    }

    @Override
    public String toString() {
        return dialect.name().toLowerCase(Locale.ROOT) + " program " + hash.substring(0, 12) + " " + options();
    }
}
