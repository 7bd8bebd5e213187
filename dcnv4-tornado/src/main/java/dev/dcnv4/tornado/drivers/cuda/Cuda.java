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
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * The one binding to the CUDA driver API ({@code libcuda.so.1}); nothing else in the project calls
 * libcuda. Symbols are resolved once into {@code static final} handles when this class initialises.
 * Where cuda.h maps a name to a versioned symbol ({@code cuMemAlloc} -> {@code cuMemAlloc_v2}) the
 * versioned one is bound. Every call's CUresult is checked and a failure becomes a
 * {@link CudaException} carrying the code and its name.
 *
 * <p>Handles (CUcontext, CUmodule, CUfunction, CUstream, CUevent, CUgraph, CUgraphExec) are opaque
 * pointers ({@link MemorySegment}); device pointers (CUdeviceptr) are 64-bit integers ({@code long}).
 *
 * <p>Without the driver this class still initialises: {@link #available()} is false, and
 * {@link #require()} (called by every entry point of the backend before any other method) throws a
 * {@link DeviceException} naming {@code libcuda.so.1} and the loader's message.
 */
// binds a native library: java.lang.foreign restricted methods (the JVM runs with --enable-native-access)
@SuppressWarnings("restricted")
public final class Cuda {
    public static final int CU_DEVICE_ATTRIBUTE_MAX_THREADS_PER_BLOCK = 1;
    public static final int CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK = 8;
    public static final int CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT = 16;
    public static final int CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR = 75;
    public static final int CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR = 76;
    public static final int CU_FUNC_ATTRIBUTE_LOCAL_SIZE_BYTES = 3;
    public static final int CU_FUNC_ATTRIBUTE_NUM_REGS = 4;
    public static final int CU_STREAM_NON_BLOCKING = 1;
    public static final int CU_EVENT_DEFAULT = 0;
    public static final int CU_STREAM_CAPTURE_MODE_THREAD_LOCAL = 1;
    public static final int CU_STREAM_CAPTURE_MODE_RELAXED = 2;

    private static final Linker LINKER = Linker.nativeLinker();
    private static final CudaLibraries.Loaded LIB = CudaLibraries.loadDriver();
    private static final List<String> MISSING = new ArrayList<>();

    private static final MethodHandle cuGetErrorName = bind("cuGetErrorName", JAVA_INT, ADDRESS);
    private static final MethodHandle cuInit = bind("cuInit", JAVA_INT);
    private static final MethodHandle cuDriverGetVersion = bind("cuDriverGetVersion", ADDRESS);
    private static final MethodHandle cuDeviceGetCount = bind("cuDeviceGetCount", ADDRESS);
    private static final MethodHandle cuDeviceGet = bind("cuDeviceGet", ADDRESS, JAVA_INT);
    private static final MethodHandle cuDeviceGetName = bind("cuDeviceGetName", ADDRESS, JAVA_INT, JAVA_INT);
    private static final MethodHandle cuDeviceGetAttribute = bind("cuDeviceGetAttribute", ADDRESS, JAVA_INT, JAVA_INT);
    private static final MethodHandle cuDeviceTotalMem = bind("cuDeviceTotalMem_v2", ADDRESS, JAVA_INT);
    private static final MethodHandle cuDevicePrimaryCtxRetain = bind("cuDevicePrimaryCtxRetain", ADDRESS, JAVA_INT);
    private static final MethodHandle cuDevicePrimaryCtxRelease = bind("cuDevicePrimaryCtxRelease_v2", JAVA_INT);
    private static final MethodHandle cuCtxSetCurrent = bind("cuCtxSetCurrent", ADDRESS);
    private static final MethodHandle cuMemAlloc = bind("cuMemAlloc_v2", ADDRESS, JAVA_LONG);
    private static final MethodHandle cuMemFree = bind("cuMemFree_v2", JAVA_LONG);
    private static final MethodHandle cuMemcpyHtoDAsync = bind("cuMemcpyHtoDAsync_v2", JAVA_LONG, ADDRESS, JAVA_LONG, ADDRESS);
    private static final MethodHandle cuMemcpyDtoHAsync = bind("cuMemcpyDtoHAsync_v2", ADDRESS, JAVA_LONG, JAVA_LONG, ADDRESS);
    private static final MethodHandle cuMemsetD8Async = bind("cuMemsetD8Async", JAVA_LONG, JAVA_BYTE, JAVA_LONG, ADDRESS);
    private static final MethodHandle cuModuleLoadData = bind("cuModuleLoadData", ADDRESS, ADDRESS);
    private static final MethodHandle cuModuleGetFunction = bind("cuModuleGetFunction", ADDRESS, ADDRESS, ADDRESS);
    private static final MethodHandle cuModuleUnload = bind("cuModuleUnload", ADDRESS);
    private static final MethodHandle cuFuncGetAttribute = bind("cuFuncGetAttribute", ADDRESS, JAVA_INT, ADDRESS);
    private static final MethodHandle cuLaunchKernel = bind("cuLaunchKernel", ADDRESS, JAVA_INT, JAVA_INT, JAVA_INT,
            JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS, ADDRESS, ADDRESS);
    private static final MethodHandle cuStreamCreate = bind("cuStreamCreate", ADDRESS, JAVA_INT);
    private static final MethodHandle cuStreamSynchronize = bind("cuStreamSynchronize", ADDRESS);
    private static final MethodHandle cuStreamDestroy = bind("cuStreamDestroy_v2", ADDRESS);
    private static final MethodHandle cuEventCreate = bind("cuEventCreate", ADDRESS, JAVA_INT);
    private static final MethodHandle cuEventRecord = bind("cuEventRecord", ADDRESS, ADDRESS);
    private static final MethodHandle cuEventSynchronize = bind("cuEventSynchronize", ADDRESS);
    /** cuda.h 13 maps cuEventElapsedTime to the _v2 symbol; drivers before 12.8 only have the plain one. */
    private static final MethodHandle cuEventElapsedTime = bindFirst(List.of("cuEventElapsedTime_v2",
            "cuEventElapsedTime"), ADDRESS, ADDRESS, ADDRESS);
    private static final MethodHandle cuEventDestroy = bind("cuEventDestroy_v2", ADDRESS);
    private static final MethodHandle cuStreamBeginCapture = bind("cuStreamBeginCapture_v2", ADDRESS, JAVA_INT);
    private static final MethodHandle cuStreamEndCapture = bind("cuStreamEndCapture", ADDRESS, ADDRESS);
    private static final MethodHandle cuGraphInstantiate = bind("cuGraphInstantiateWithFlags", ADDRESS, ADDRESS, JAVA_LONG);
    private static final MethodHandle cuGraphLaunch = bind("cuGraphLaunch", ADDRESS, ADDRESS);
    private static final MethodHandle cuGraphExecDestroy = bind("cuGraphExecDestroy", ADDRESS);
    private static final MethodHandle cuGraphDestroy = bind("cuGraphDestroy", ADDRESS);

    /** The CUDA driver status name for errors raised by this class's checks. */
    private static final String INIT_ERROR = initError();

    private Cuda() {
    }

    /** True when libcuda.so.1 loaded and every required symbol was found. */
    public static boolean available() {
        return INIT_ERROR == null;
    }

    /** Why the driver cannot be used, or null when it can. */
    public static String unavailableReason() {
        return INIT_ERROR;
    }

    /** Throws a {@link DeviceException} naming libcuda.so.1 and the cause when the driver is unusable. */
    public static void require() {
        if (INIT_ERROR != null) {
            throw new DeviceException("cuda", INIT_ERROR + "; install the NVIDIA driver or use --device opencl:0");
        }
    }

    private static String initError() {
        if (!LIB.ok()) {
            return LIB.error();
        }
        if (!MISSING.isEmpty()) {
            return LIB.path() + " lacks the symbols " + MISSING + " (driver too old; CUDA 12 or newer is needed)";
        }
        return null;
    }

    private static MethodHandle bind(String name, MemoryLayout... args) {
        return bindFirst(List.of(name), args);
    }

    private static MethodHandle bindFirst(List<String> names, MemoryLayout... args) {
        if (!LIB.ok()) {
            return null;
        }
        for (String n : names) {
            var sym = LIB.lookup().find(n);
            if (sym.isPresent()) {
                return LINKER.downcallHandle(sym.get(), FunctionDescriptor.of(JAVA_INT, args));
            }
        }
        MISSING.add(names.getFirst());
        return null;
    }

    // ---- status handling -------------------------------------------------------------------

    /** The driver's name for {@code code} (cuGetErrorName), or the cuda.h table's when the driver cannot say. */
    public static String statusName(int code) {
        if (cuGetErrorName != null) {
            try (Arena a = Arena.ofConfined()) {
                MemorySegment out = a.allocate(ADDRESS);
                if ((int) cuGetErrorName.invokeExact(code, out) == 0) {
                    MemorySegment s = out.get(ADDRESS, 0);
                    if (!s.equals(MemorySegment.NULL)) {
                        return s.reinterpret(256).getString(0);
                    }
                }
            } catch (Throwable t) {
                // fall through to the table
            }
        }
        return CudaStatus.name(code);
    }

    static void check(int rc, String call) {
        if (rc != CudaStatus.SUCCESS) {
            throw new CudaException(call, rc, statusName(rc));
        }
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

    // ---- device and context ----------------------------------------------------------------

    public static void init() {
        try {
            check((int) cuInit.invokeExact(0), "cuInit");
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** Driver version as 1000*major + 10*minor (13000 = CUDA 13.0). */
    public static int driverVersion() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment out = a.allocate(JAVA_INT);
            check((int) cuDriverGetVersion.invokeExact(out), "cuDriverGetVersion");
            return out.get(JAVA_INT, 0);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public static int deviceCount() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment out = a.allocate(JAVA_INT);
            check((int) cuDeviceGetCount.invokeExact(out), "cuDeviceGetCount");
            return out.get(JAVA_INT, 0);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** The CUdevice handle (an int) of ordinal {@code ordinal}. */
    public static int device(int ordinal) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment out = a.allocate(JAVA_INT);
            check((int) cuDeviceGet.invokeExact(out, ordinal), "cuDeviceGet");
            return out.get(JAVA_INT, 0);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public static String deviceName(int device) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment out = a.allocate(256);
            check((int) cuDeviceGetName.invokeExact(out, 256, device), "cuDeviceGetName");
            return out.getString(0);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public static int deviceAttribute(int attribute, int device) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment out = a.allocate(JAVA_INT);
            check((int) cuDeviceGetAttribute.invokeExact(out, attribute, device), "cuDeviceGetAttribute");
            return out.get(JAVA_INT, 0);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public static long deviceTotalMemory(int device) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment out = a.allocate(JAVA_LONG);
            check((int) cuDeviceTotalMem.invokeExact(out, device), "cuDeviceTotalMem_v2");
            return out.get(JAVA_LONG, 0);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** Retains the device's primary context (shared with every other user of the driver in this process). */
    public static MemorySegment primaryContextRetain(int device) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment out = a.allocate(ADDRESS);
            check((int) cuDevicePrimaryCtxRetain.invokeExact(out, device), "cuDevicePrimaryCtxRetain");
            return out.get(ADDRESS, 0);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public static void primaryContextRelease(int device) {
        try {
            check((int) cuDevicePrimaryCtxRelease.invokeExact(device), "cuDevicePrimaryCtxRelease_v2");
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public static void setCurrentContext(MemorySegment context) {
        try {
            check((int) cuCtxSetCurrent.invokeExact(context), "cuCtxSetCurrent");
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    // ---- memory -----------------------------------------------------------------------------

    public static long memAlloc(long bytes) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment out = a.allocate(JAVA_LONG);
            check((int) cuMemAlloc.invokeExact(out, Math.max(bytes, 1L)), "cuMemAlloc_v2(" + bytes + " bytes)");
            return out.get(JAVA_LONG, 0);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public static void memFree(long devicePointer) {
        try {
            check((int) cuMemFree.invokeExact(devicePointer), "cuMemFree_v2");
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public static void memcpyHtoDAsync(long dst, MemorySegment src, long bytes, MemorySegment stream) {
        try {
            check((int) cuMemcpyHtoDAsync.invokeExact(dst, src, bytes, stream), "cuMemcpyHtoDAsync_v2");
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public static void memcpyDtoHAsync(MemorySegment dst, long src, long bytes, MemorySegment stream) {
        try {
            check((int) cuMemcpyDtoHAsync.invokeExact(dst, src, bytes, stream), "cuMemcpyDtoHAsync_v2");
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public static void memsetD8Async(long dst, byte value, long bytes, MemorySegment stream) {
        try {
            check((int) cuMemsetD8Async.invokeExact(dst, value, bytes, stream), "cuMemsetD8Async");
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    // ---- modules and launches ---------------------------------------------------------------

    /** Loads a NUL-terminated PTX image; the driver JIT-compiles it for the current context's device. */
    public static MemorySegment moduleLoadData(MemorySegment image) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment out = a.allocate(ADDRESS);
            check((int) cuModuleLoadData.invokeExact(out, image), "cuModuleLoadData");
            return out.get(ADDRESS, 0);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public static MemorySegment moduleFunction(MemorySegment module, String name) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment out = a.allocate(ADDRESS);
            check((int) cuModuleGetFunction.invokeExact(out, module, a.allocateFrom(name)),
                    "cuModuleGetFunction(" + name + ")");
            return out.get(ADDRESS, 0);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public static void moduleUnload(MemorySegment module) {
        try {
            check((int) cuModuleUnload.invokeExact(module), "cuModuleUnload");
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public static int functionAttribute(int attribute, MemorySegment function) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment out = a.allocate(JAVA_INT);
            check((int) cuFuncGetAttribute.invokeExact(out, attribute, function), "cuFuncGetAttribute");
            return out.get(JAVA_INT, 0);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /**
     * Launches {@code function}. {@code params} is a native array of pointers, one per kernel
     * parameter, each pointing at that parameter's value (the driver's calling convention).
     */
    public static void launchKernel(MemorySegment function, int gridX, int gridY, int gridZ, int blockX, int blockY,
                                    int blockZ, int sharedBytes, MemorySegment stream, MemorySegment params) {
        try {
            check((int) cuLaunchKernel.invokeExact(function, gridX, gridY, gridZ, blockX, blockY, blockZ, sharedBytes,
                    stream, params, MemorySegment.NULL), "cuLaunchKernel");
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    // ---- streams and events -----------------------------------------------------------------

    public static MemorySegment streamCreate(int flags) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment out = a.allocate(ADDRESS);
            check((int) cuStreamCreate.invokeExact(out, flags), "cuStreamCreate");
            return out.get(ADDRESS, 0);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public static void streamSynchronize(MemorySegment stream) {
        try {
            check((int) cuStreamSynchronize.invokeExact(stream), "cuStreamSynchronize");
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public static void streamDestroy(MemorySegment stream) {
        try {
            check((int) cuStreamDestroy.invokeExact(stream), "cuStreamDestroy_v2");
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public static MemorySegment eventCreate(int flags) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment out = a.allocate(ADDRESS);
            check((int) cuEventCreate.invokeExact(out, flags), "cuEventCreate");
            return out.get(ADDRESS, 0);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public static void eventRecord(MemorySegment event, MemorySegment stream) {
        try {
            check((int) cuEventRecord.invokeExact(event, stream), "cuEventRecord");
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public static void eventSynchronize(MemorySegment event) {
        try {
            check((int) cuEventSynchronize.invokeExact(event), "cuEventSynchronize");
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** Milliseconds between two recorded, completed events. */
    public static float eventElapsedMillis(MemorySegment start, MemorySegment end) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment out = a.allocate(JAVA_FLOAT);
            check((int) cuEventElapsedTime.invokeExact(out, start, end), "cuEventElapsedTime");
            return out.get(JAVA_FLOAT, 0);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public static void eventDestroy(MemorySegment event) {
        try {
            check((int) cuEventDestroy.invokeExact(event), "cuEventDestroy_v2");
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    // ---- graphs -----------------------------------------------------------------------------

    /** Starts capturing the work submitted to {@code stream} into a graph ({@code CU_STREAM_CAPTURE_MODE_*}). */
    public static void streamBeginCapture(MemorySegment stream, int mode) {
        try {
            check((int) cuStreamBeginCapture.invokeExact(stream, mode), "cuStreamBeginCapture_v2");
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public static MemorySegment streamEndCapture(MemorySegment stream) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment out = a.allocate(ADDRESS);
            check((int) cuStreamEndCapture.invokeExact(stream, out), "cuStreamEndCapture");
            return out.get(ADDRESS, 0);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public static MemorySegment graphInstantiate(MemorySegment graph) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment out = a.allocate(ADDRESS);
            check((int) cuGraphInstantiate.invokeExact(out, graph, 0L), "cuGraphInstantiateWithFlags");
            return out.get(ADDRESS, 0);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public static void graphLaunch(MemorySegment graphExec, MemorySegment stream) {
        try {
            check((int) cuGraphLaunch.invokeExact(graphExec, stream), "cuGraphLaunch");
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public static void graphExecDestroy(MemorySegment graphExec) {
        try {
            check((int) cuGraphExecDestroy.invokeExact(graphExec), "cuGraphExecDestroy");
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public static void graphDestroy(MemorySegment graph) {
        try {
            check((int) cuGraphDestroy.invokeExact(graph), "cuGraphDestroy");
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }
}
