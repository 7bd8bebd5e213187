package dev.dcnv4.tornado.drivers.cuda;

import dev.dcnv4.device.DeviceException;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.util.ArrayList;
import java.util.List;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * The one binding to NVRTC, the run-time CUDA C compiler. Found by {@link CudaLibraries} (never the
 * stubs/ copy), symbols resolved once into {@code static final} handles. Compiles CUDA C to PTX for
 * a virtual architecture ({@code compute_XY}); the driver then JIT-compiles the PTX for the GPU.
 * A failed compilation throws with NVRTC's status and the full program log.
 */
// binds a native library: java.lang.foreign restricted methods (the JVM runs with --enable-native-access)
@SuppressWarnings("restricted")
public final class Nvrtc {
    private static final Linker LINKER = Linker.nativeLinker();
    private static final CudaLibraries.Loaded LIB = CudaLibraries.loadNvrtc();
    private static final List<String> MISSING = new ArrayList<>();

    private static final MethodHandle nvrtcVersion = bind("nvrtcVersion", ADDRESS, ADDRESS);
    private static final MethodHandle nvrtcGetErrorString = bindTo("nvrtcGetErrorString",
            FunctionDescriptor.of(ADDRESS, JAVA_INT));
    private static final MethodHandle nvrtcCreateProgram = bind("nvrtcCreateProgram", ADDRESS, ADDRESS, ADDRESS,
            JAVA_INT, ADDRESS, ADDRESS);
    private static final MethodHandle nvrtcCompileProgram = bind("nvrtcCompileProgram", ADDRESS, JAVA_INT, ADDRESS);
    private static final MethodHandle nvrtcGetProgramLogSize = bind("nvrtcGetProgramLogSize", ADDRESS, ADDRESS);
    private static final MethodHandle nvrtcGetProgramLog = bind("nvrtcGetProgramLog", ADDRESS, ADDRESS);
    private static final MethodHandle nvrtcGetPTXSize = bind("nvrtcGetPTXSize", ADDRESS, ADDRESS);
    private static final MethodHandle nvrtcGetPTX = bind("nvrtcGetPTX", ADDRESS, ADDRESS);
    private static final MethodHandle nvrtcDestroyProgram = bind("nvrtcDestroyProgram", ADDRESS);

    private static final String INIT_ERROR = !LIB.ok() ? LIB.error()
            : MISSING.isEmpty() ? null : LIB.path() + " lacks the symbols " + MISSING;

    private Nvrtc() {
    }

    private static MethodHandle bind(String name, MemoryLayout... args) {
        return bindTo(name, FunctionDescriptor.of(JAVA_INT, args));
    }

    private static MethodHandle bindTo(String name, FunctionDescriptor fd) {
        if (!LIB.ok()) {
            return null;
        }
        var sym = LIB.lookup().find(name);
        if (sym.isEmpty()) {
            MISSING.add(name);
            return null;
        }
        return LINKER.downcallHandle(sym.get(), fd);
    }

    public static boolean available() {
        return INIT_ERROR == null;
    }

    /** Throws a {@link DeviceException} naming NVRTC, where it was searched and what to do. */
    public static void require() {
        if (INIT_ERROR != null) {
            throw new DeviceException("cuda", "NVRTC unavailable: " + INIT_ERROR);
        }
    }

    /** The file or soname NVRTC was loaded from. */
    public static String libraryPath() {
        return LIB.path();
    }

    private static volatile String version;

    /** "13.0" (asked once). */
    public static String version() {
        String v = version;
        if (v == null) {
            version = v = queryVersion();
        }
        return v;
    }

    private static String queryVersion() {
        require();
        try (Arena a = Arena.ofConfined()) {
            MemorySegment major = a.allocate(JAVA_INT), minor = a.allocate(JAVA_INT);
            check((int) nvrtcVersion.invokeExact(major, minor), "nvrtcVersion", null);
            return major.get(JAVA_INT, 0) + "." + minor.get(JAVA_INT, 0);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /**
     * Compiles {@code source} (named {@code name} in messages) with {@code options} (e.g.
     * {@code --gpu-architecture=compute_90}, {@code -DDCNV4_D=32}) and returns the PTX text.
     *
     * @throws DeviceException with the status and NVRTC's log when compilation fails
     */
    public static String compileToPtx(String source, String name, List<String> options) {
        require();
        try (Arena a = Arena.ofConfined()) {
            MemorySegment progOut = a.allocate(ADDRESS);
            check((int) nvrtcCreateProgram.invokeExact(progOut, a.allocateFrom(source), a.allocateFrom(name), 0,
                    MemorySegment.NULL, MemorySegment.NULL), "nvrtcCreateProgram", null);
            MemorySegment prog = progOut.get(ADDRESS, 0);
            try {
                MemorySegment opts = a.allocate(ADDRESS, Math.max(1, options.size()));
                for (int i = 0; i < options.size(); i++) {
                    opts.setAtIndex(ADDRESS, i, a.allocateFrom(options.get(i)));
                }
                int rc = (int) nvrtcCompileProgram.invokeExact(prog, options.size(), opts);
                if (rc != 0) {
                    check(rc, "nvrtcCompileProgram(" + name + ", " + options + ")", log(a, prog));
                }
                MemorySegment size = a.allocate(JAVA_LONG);
                check((int) nvrtcGetPTXSize.invokeExact(prog, size), "nvrtcGetPTXSize", null);
                MemorySegment ptx = a.allocate(size.get(JAVA_LONG, 0));
                check((int) nvrtcGetPTX.invokeExact(prog, ptx), "nvrtcGetPTX", null);
                return ptx.getString(0);
            } finally {
                int ignored = (int) nvrtcDestroyProgram.invokeExact(progOut);
            }
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    private static String log(Arena a, MemorySegment prog) throws Throwable {
        MemorySegment size = a.allocate(JAVA_LONG);
        if ((int) nvrtcGetProgramLogSize.invokeExact(prog, size) != 0) {
            return "(no log)";
        }
        MemorySegment text = a.allocate(Math.max(1, size.get(JAVA_LONG, 0)));
        if ((int) nvrtcGetProgramLog.invokeExact(prog, text) != 0) {
            return "(no log)";
        }
        return text.getString(0).strip();
    }

    private static void check(int rc, String call, String log) throws Throwable {
        if (rc == 0) {
            return;
        }
        String status = "nvrtcResult " + rc;
        MemorySegment s = (MemorySegment) nvrtcGetErrorString.invokeExact(rc);
        if (!s.equals(MemorySegment.NULL)) {
            status = s.reinterpret(256).getString(0) + " (" + rc + ")";
        }
        throw new DeviceException("cuda", call + " failed: " + status + " [" + LIB.path() + "]"
                + (log == null ? "" : "\n--- NVRTC log ---\n" + log));
    }

    private static RuntimeException rethrow(Throwable t) {
        if (t instanceof RuntimeException r) {
            return r;
        }
        if (t instanceof Error e) {
            throw e;
        }
        return new IllegalStateException(t);
    }
}
