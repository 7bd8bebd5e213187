package dev.dcnv4.tornado.drivers.opencl;

import dev.dcnv4.device.DeviceException;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.charset.StandardCharsets;
import java.util.Map;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * The one binding to {@code libOpenCL.so.1} (the ICD loader) over java.lang.foreign. Nothing else
 * in the project calls OpenCL. Every symbol is resolved once when the library is loaded; every call
 * returning a status is checked and a failure becomes a {@link DeviceException} naming the function,
 * the status name (e.g. {@code CL_BUILD_PROGRAM_FAILURE}) and its number.
 *
 * <p>The library path is {@code -Ddcnv4.opencl.library} or {@code libOpenCL.so.1} (searched by the
 * system loader). Handles (platform, device, context, queue, mem, program, kernel, event) are plain
 * {@link MemorySegment} addresses; callers own them and release them with the release methods.
 */
// binds a native library: java.lang.foreign restricted methods (the JVM runs with --enable-native-access)
@SuppressWarnings("restricted")
public final class OpenCl {
    /** System property overriding the OpenCL library path. */
    public static final String LIBRARY_PROPERTY = "dcnv4.opencl.library";
    public static final String DEFAULT_LIBRARY = "libOpenCL.so.1";

    // selected constants from cl.h
    static final long CL_DEVICE_TYPE_ALL = 0xFFFFFFFFL;
    static final int CL_PLATFORM_NAME = 0x0902, CL_PLATFORM_VERSION = 0x0901;
    static final int CL_DEVICE_TYPE = 0x1000, CL_DEVICE_MAX_COMPUTE_UNITS = 0x1002, CL_DEVICE_GLOBAL_MEM_SIZE = 0x101F;
    static final int CL_DEVICE_NAME = 0x102B, CL_DEVICE_VERSION = 0x102F, CL_DRIVER_VERSION = 0x102D;
    static final int CL_DEVICE_EXTENSIONS = 0x1030, CL_DEVICE_MAX_WORK_GROUP_SIZE = 0x1004;
    static final long CL_DEVICE_TYPE_CPU = 2, CL_DEVICE_TYPE_GPU = 4;
    static final long CL_QUEUE_PROFILING_ENABLE = 2;
    static final long CL_MEM_READ_WRITE = 1;
    static final int CL_PROGRAM_BUILD_LOG = 0x1183, CL_PROGRAM_BINARY_SIZES = 0x1165, CL_PROGRAM_BINARIES = 0x1166;
    static final int CL_PROFILING_COMMAND_START = 0x1282, CL_PROFILING_COMMAND_END = 0x1283;

    private static final Map<Integer, String> STATUS = Map.ofEntries(
            Map.entry(0, "CL_SUCCESS"), Map.entry(-1, "CL_DEVICE_NOT_FOUND"), Map.entry(-2, "CL_DEVICE_NOT_AVAILABLE"),
            Map.entry(-3, "CL_COMPILER_NOT_AVAILABLE"), Map.entry(-4, "CL_MEM_OBJECT_ALLOCATION_FAILURE"),
            Map.entry(-5, "CL_OUT_OF_RESOURCES"), Map.entry(-6, "CL_OUT_OF_HOST_MEMORY"),
            Map.entry(-7, "CL_PROFILING_INFO_NOT_AVAILABLE"), Map.entry(-11, "CL_BUILD_PROGRAM_FAILURE"),
            Map.entry(-14, "CL_EXEC_STATUS_ERROR_FOR_EVENTS_IN_WAIT_LIST"), Map.entry(-30, "CL_INVALID_VALUE"),
            Map.entry(-32, "CL_INVALID_PLATFORM"), Map.entry(-33, "CL_INVALID_DEVICE"), Map.entry(-34, "CL_INVALID_CONTEXT"),
            Map.entry(-36, "CL_INVALID_COMMAND_QUEUE"), Map.entry(-38, "CL_INVALID_MEM_OBJECT"),
            Map.entry(-42, "CL_INVALID_BINARY"), Map.entry(-43, "CL_INVALID_BUILD_OPTIONS"),
            Map.entry(-44, "CL_INVALID_PROGRAM"), Map.entry(-45, "CL_INVALID_PROGRAM_EXECUTABLE"),
            Map.entry(-46, "CL_INVALID_KERNEL_NAME"), Map.entry(-48, "CL_INVALID_KERNEL"),
            Map.entry(-49, "CL_INVALID_ARG_INDEX"), Map.entry(-50, "CL_INVALID_ARG_VALUE"),
            Map.entry(-51, "CL_INVALID_ARG_SIZE"), Map.entry(-52, "CL_INVALID_KERNEL_ARGS"),
            Map.entry(-53, "CL_INVALID_WORK_DIMENSION"), Map.entry(-54, "CL_INVALID_WORK_GROUP_SIZE"),
            Map.entry(-55, "CL_INVALID_WORK_ITEM_SIZE"), Map.entry(-56, "CL_INVALID_GLOBAL_OFFSET"),
            Map.entry(-58, "CL_INVALID_EVENT"), Map.entry(-61, "CL_INVALID_BUFFER_SIZE"),
            Map.entry(-63, "CL_INVALID_GLOBAL_WORK_SIZE"), Map.entry(-1001, "CL_PLATFORM_NOT_FOUND_KHR"));

    private static final Linker LINKER = Linker.nativeLinker();
    private static volatile OpenCl defaultInstance;
    private static volatile DeviceException defaultFailure;

    private final String library;
    private final MethodHandle getPlatformIDs, getPlatformInfo, getDeviceIDs, getDeviceInfo, createContext,
            createCommandQueue, createBuffer, enqueueWriteBuffer, enqueueReadBuffer, enqueueFillBuffer,
            createProgramWithSource, createProgramWithBinary, buildProgram, getProgramBuildInfo, getProgramInfo,
            createKernel, setKernelArg, enqueueNDRangeKernel, finish, getEventProfilingInfo, waitForEvents,
            releaseEvent, releaseKernel, releaseProgram, releaseMemObject, releaseCommandQueue, releaseContext;

    private OpenCl(String library, SymbolLookup lib) {
        this.library = library;
        getPlatformIDs = fn(lib, "clGetPlatformIDs", JAVA_INT, ADDRESS, ADDRESS);
        getPlatformInfo = fn(lib, "clGetPlatformInfo", ADDRESS, JAVA_INT, JAVA_LONG, ADDRESS, ADDRESS);
        getDeviceIDs = fn(lib, "clGetDeviceIDs", ADDRESS, JAVA_LONG, JAVA_INT, ADDRESS, ADDRESS);
        getDeviceInfo = fn(lib, "clGetDeviceInfo", ADDRESS, JAVA_INT, JAVA_LONG, ADDRESS, ADDRESS);
        createContext = fnA(lib, "clCreateContext", ADDRESS, JAVA_INT, ADDRESS, ADDRESS, ADDRESS, ADDRESS);
        createCommandQueue = fnA(lib, "clCreateCommandQueue", ADDRESS, ADDRESS, JAVA_LONG, ADDRESS);
        createBuffer = fnA(lib, "clCreateBuffer", ADDRESS, JAVA_LONG, JAVA_LONG, ADDRESS, ADDRESS);
        enqueueWriteBuffer = fn(lib, "clEnqueueWriteBuffer", ADDRESS, ADDRESS, JAVA_INT, JAVA_LONG, JAVA_LONG,
                ADDRESS, JAVA_INT, ADDRESS, ADDRESS);
        enqueueReadBuffer = fn(lib, "clEnqueueReadBuffer", ADDRESS, ADDRESS, JAVA_INT, JAVA_LONG, JAVA_LONG,
                ADDRESS, JAVA_INT, ADDRESS, ADDRESS);
        enqueueFillBuffer = fn(lib, "clEnqueueFillBuffer", ADDRESS, ADDRESS, ADDRESS, JAVA_LONG, JAVA_LONG, JAVA_LONG,
                JAVA_INT, ADDRESS, ADDRESS);
        createProgramWithSource = fnA(lib, "clCreateProgramWithSource", ADDRESS, JAVA_INT, ADDRESS, ADDRESS, ADDRESS);
        createProgramWithBinary = fnA(lib, "clCreateProgramWithBinary", ADDRESS, JAVA_INT, ADDRESS, ADDRESS, ADDRESS,
                ADDRESS, ADDRESS);
        buildProgram = fn(lib, "clBuildProgram", ADDRESS, JAVA_INT, ADDRESS, ADDRESS, ADDRESS, ADDRESS);
        getProgramBuildInfo = fn(lib, "clGetProgramBuildInfo", ADDRESS, ADDRESS, JAVA_INT, JAVA_LONG, ADDRESS, ADDRESS);
        getProgramInfo = fn(lib, "clGetProgramInfo", ADDRESS, JAVA_INT, JAVA_LONG, ADDRESS, ADDRESS);
        createKernel = fnA(lib, "clCreateKernel", ADDRESS, ADDRESS, ADDRESS);
        setKernelArg = fn(lib, "clSetKernelArg", ADDRESS, JAVA_INT, JAVA_LONG, ADDRESS);
        enqueueNDRangeKernel = fn(lib, "clEnqueueNDRangeKernel", ADDRESS, ADDRESS, JAVA_INT, ADDRESS, ADDRESS, ADDRESS,
                JAVA_INT, ADDRESS, ADDRESS);
        finish = fn(lib, "clFinish", ADDRESS);
        getEventProfilingInfo = fn(lib, "clGetEventProfilingInfo", ADDRESS, JAVA_INT, JAVA_LONG, ADDRESS, ADDRESS);
        waitForEvents = fn(lib, "clWaitForEvents", JAVA_INT, ADDRESS);
        releaseEvent = fn(lib, "clReleaseEvent", ADDRESS);
        releaseKernel = fn(lib, "clReleaseKernel", ADDRESS);
        releaseProgram = fn(lib, "clReleaseProgram", ADDRESS);
        releaseMemObject = fn(lib, "clReleaseMemObject", ADDRESS);
        releaseCommandQueue = fn(lib, "clReleaseCommandQueue", ADDRESS);
        releaseContext = fn(lib, "clReleaseContext", ADDRESS);
    }

    /** The binding for {@code -Ddcnv4.opencl.library} or libOpenCL.so.1, loaded once (a failure is remembered). */
    public static OpenCl get() {
        OpenCl cl = defaultInstance;
        if (cl != null) {
            return cl;
        }
        synchronized (OpenCl.class) {
            if (defaultInstance == null && defaultFailure == null) {
                try {
                    defaultInstance = load(System.getProperty(LIBRARY_PROPERTY, DEFAULT_LIBRARY));
                } catch (DeviceException e) {
                    defaultFailure = e;
                }
            }
            if (defaultFailure != null) {
                throw new DeviceException("opencl", defaultFailure.getMessage().substring("opencl: ".length()),
                        defaultFailure.getCause());
            }
            return defaultInstance;
        }
    }

    /** Loads the OpenCL library at {@code library} (a path or a name for the system loader). */
    public static OpenCl load(String library) {
        SymbolLookup lib;
        try {
            lib = SymbolLookup.libraryLookup(library, Arena.global());
        } catch (IllegalArgumentException e) {
            throw new DeviceException("opencl", "cannot load the OpenCL library " + library + ": " + e.getMessage()
                    + "; install an OpenCL ICD loader and driver (Debian: apt-get install ocl-icd-libopencl1 "
                    + "pocl-opencl-icd) or set -D" + LIBRARY_PROPERTY + "=/path/to/libOpenCL.so.1");
        }
        return new OpenCl(library, lib);
    }

    public String library() {
        return library;
    }

    private static MethodHandle fn(SymbolLookup lib, String name, ValueLayout... args) {
        return LINKER.downcallHandle(find(lib, name), FunctionDescriptor.of(JAVA_INT, args));
    }

    private static MethodHandle fnA(SymbolLookup lib, String name, ValueLayout... args) {
        return LINKER.downcallHandle(find(lib, name), FunctionDescriptor.of(ADDRESS, args));
    }

    private static MemorySegment find(SymbolLookup lib, String name) {
        return lib.find(name).orElseThrow(() -> new DeviceException("opencl",
                "symbol " + name + " not found in the OpenCL library"));
    }

    /** "CL_INVALID_VALUE (-30)". */
    public static String statusName(int status) {
        return STATUS.getOrDefault(status, "CL_UNKNOWN_ERROR") + " (" + status + ")";
    }

    void check(int status, String function) {
        if (status != 0) {
            throw new DeviceException("opencl", function + " failed: " + statusName(status) + " [" + library + "]");
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

    // ---- platforms and devices -------------------------------------------------------------

    /** Platform handles in the loader's order (empty when the ICD loader finds none). */
    public MemorySegment[] platforms() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment n = a.allocate(JAVA_INT);
            int st = (int) getPlatformIDs.invokeExact(0, MemorySegment.NULL, n);
            if (st == -1001) {
                return new MemorySegment[0];
            }
            check(st, "clGetPlatformIDs");
            int count = n.get(JAVA_INT, 0);
            if (count == 0) {
                return new MemorySegment[0];
            }
            MemorySegment ids = a.allocate(ADDRESS, count);
            check((int) getPlatformIDs.invokeExact(count, ids, MemorySegment.NULL), "clGetPlatformIDs");
            MemorySegment[] out = new MemorySegment[count];
            for (int i = 0; i < count; i++) {
                out[i] = ids.getAtIndex(ADDRESS, i);
            }
            return out;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public String platformString(MemorySegment platform, int param) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment size = a.allocate(JAVA_LONG);
            check((int) getPlatformInfo.invokeExact(platform, param, 0L, MemorySegment.NULL, size), "clGetPlatformInfo");
            MemorySegment buf = a.allocate(Math.max(1, size.get(JAVA_LONG, 0)));
            check((int) getPlatformInfo.invokeExact(platform, param, buf.byteSize(), buf, MemorySegment.NULL),
                    "clGetPlatformInfo");
            return buf.getString(0, StandardCharsets.UTF_8).trim();
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** Devices of a platform (all types); empty when it has none. */
    public MemorySegment[] devices(MemorySegment platform) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment n = a.allocate(JAVA_INT);
            int st = (int) getDeviceIDs.invokeExact(platform, CL_DEVICE_TYPE_ALL, 0, MemorySegment.NULL, n);
            if (st == -1) {
                return new MemorySegment[0];
            }
            check(st, "clGetDeviceIDs");
            int count = n.get(JAVA_INT, 0);
            MemorySegment ids = a.allocate(ADDRESS, Math.max(1, count));
            check((int) getDeviceIDs.invokeExact(platform, CL_DEVICE_TYPE_ALL, count, ids, MemorySegment.NULL),
                    "clGetDeviceIDs");
            MemorySegment[] out = new MemorySegment[count];
            for (int i = 0; i < count; i++) {
                out[i] = ids.getAtIndex(ADDRESS, i);
            }
            return out;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public String deviceString(MemorySegment device, int param) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment size = a.allocate(JAVA_LONG);
            check((int) getDeviceInfo.invokeExact(device, param, 0L, MemorySegment.NULL, size), "clGetDeviceInfo");
            MemorySegment buf = a.allocate(Math.max(1, size.get(JAVA_LONG, 0)));
            check((int) getDeviceInfo.invokeExact(device, param, buf.byteSize(), buf, MemorySegment.NULL),
                    "clGetDeviceInfo");
            return buf.getString(0, StandardCharsets.UTF_8).trim();
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** A cl_uint / cl_ulong / size_t device property widened to long ({@code bytes} = 4 or 8). */
    public long deviceLong(MemorySegment device, int param, int bytes) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment buf = a.allocate(8);
            check((int) getDeviceInfo.invokeExact(device, param, (long) bytes, buf, MemorySegment.NULL),
                    "clGetDeviceInfo");
            return bytes == 4 ? Integer.toUnsignedLong(buf.get(JAVA_INT, 0)) : buf.get(JAVA_LONG, 0);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    // ---- context, queue, buffers -----------------------------------------------------------

    public MemorySegment createContext(MemorySegment device) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment devs = a.allocate(ADDRESS);
            devs.set(ADDRESS, 0, device);
            MemorySegment err = a.allocate(JAVA_INT);
            MemorySegment ctx = (MemorySegment) createContext.invokeExact(MemorySegment.NULL, 1, devs,
                    MemorySegment.NULL, MemorySegment.NULL, err);
            check(err.get(JAVA_INT, 0), "clCreateContext");
            return ctx;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** An in-order queue with profiling enabled (events carry start/end times). */
    public MemorySegment createQueue(MemorySegment context, MemorySegment device) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment err = a.allocate(JAVA_INT);
            MemorySegment q = (MemorySegment) createCommandQueue.invokeExact(context, device,
                    CL_QUEUE_PROFILING_ENABLE, err);
            check(err.get(JAVA_INT, 0), "clCreateCommandQueue");
            return q;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public MemorySegment createBuffer(MemorySegment context, long bytes) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment err = a.allocate(JAVA_INT);
            MemorySegment m = (MemorySegment) createBuffer.invokeExact(context, CL_MEM_READ_WRITE, Math.max(1L, bytes),
                    MemorySegment.NULL, err);
            check(err.get(JAVA_INT, 0), "clCreateBuffer(" + bytes + " bytes)");
            return m;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** Blocking write; returns the event (caller releases) or NULL when {@code event} is false. */
    public MemorySegment write(MemorySegment queue, MemorySegment mem, MemorySegment src, boolean event) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment ev = a.allocate(ADDRESS);
            MemorySegment evOut = event ? ev : MemorySegment.NULL;
            check((int) enqueueWriteBuffer.invokeExact(queue, mem, 1, 0L, src.byteSize(), src, 0, MemorySegment.NULL,
                    evOut), "clEnqueueWriteBuffer");
            return event ? ev.get(ADDRESS, 0) : MemorySegment.NULL;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** Blocking read of {@code dst.byteSize()} bytes; returns the event or NULL. */
    public MemorySegment read(MemorySegment queue, MemorySegment mem, MemorySegment dst, boolean event) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment ev = a.allocate(ADDRESS);
            MemorySegment evOut = event ? ev : MemorySegment.NULL;
            check((int) enqueueReadBuffer.invokeExact(queue, mem, 1, 0L, dst.byteSize(), dst, 0, MemorySegment.NULL,
                    evOut), "clEnqueueReadBuffer");
            return event ? ev.get(ADDRESS, 0) : MemorySegment.NULL;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** Fills {@code bytes} (a multiple of 4) with zeros; returns the event or NULL. */
    public MemorySegment zero(MemorySegment queue, MemorySegment mem, long bytes, boolean event) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment pattern = a.allocate(JAVA_INT);
            MemorySegment ev = a.allocate(ADDRESS);
            MemorySegment evOut = event ? ev : MemorySegment.NULL;
            check((int) enqueueFillBuffer.invokeExact(queue, mem, pattern, 4L, 0L, bytes, 0, MemorySegment.NULL,
                    evOut), "clEnqueueFillBuffer");
            return event ? ev.get(ADDRESS, 0) : MemorySegment.NULL;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    // ---- programs and kernels --------------------------------------------------------------

    public MemorySegment programFromSource(MemorySegment context, String source) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment text = a.allocateFrom(source, StandardCharsets.UTF_8);
            MemorySegment strings = a.allocate(ADDRESS);
            strings.set(ADDRESS, 0, text);
            MemorySegment err = a.allocate(JAVA_INT);
            MemorySegment p = (MemorySegment) createProgramWithSource.invokeExact(context, 1, strings,
                    MemorySegment.NULL, err);
            check(err.get(JAVA_INT, 0), "clCreateProgramWithSource");
            return p;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public MemorySegment programFromBinary(MemorySegment context, MemorySegment device, byte[] binary) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment devs = a.allocate(ADDRESS);
            devs.set(ADDRESS, 0, device);
            MemorySegment lengths = a.allocate(JAVA_LONG);
            lengths.set(JAVA_LONG, 0, binary.length);
            MemorySegment bin = a.allocateFrom(ValueLayout.JAVA_BYTE, binary);
            MemorySegment bins = a.allocate(ADDRESS);
            bins.set(ADDRESS, 0, bin);
            MemorySegment status = a.allocate(JAVA_INT);
            MemorySegment err = a.allocate(JAVA_INT);
            MemorySegment p = (MemorySegment) createProgramWithBinary.invokeExact(context, 1, devs, lengths, bins,
                    status, err);
            check(err.get(JAVA_INT, 0), "clCreateProgramWithBinary");
            check(status.get(JAVA_INT, 0), "clCreateProgramWithBinary (binary status)");
            return p;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** Builds for one device; a failure's message carries the full build log. */
    public void build(MemorySegment program, MemorySegment device, String options) {
        int st;
        try (Arena a = Arena.ofConfined()) {
            MemorySegment devs = a.allocate(ADDRESS);
            devs.set(ADDRESS, 0, device);
            st = (int) buildProgram.invokeExact(program, 1, devs, a.allocateFrom(options, StandardCharsets.UTF_8),
                    MemorySegment.NULL, MemorySegment.NULL);
        } catch (Throwable t) {
            throw rethrow(t);
        }
        if (st != 0) {
            throw new DeviceException("opencl", "clBuildProgram failed: " + statusName(st) + " [" + library
                    + "], options '" + options + "'; build log:\n" + buildLog(program, device));
        }
    }

    public String buildLog(MemorySegment program, MemorySegment device) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment size = a.allocate(JAVA_LONG);
            int st = (int) getProgramBuildInfo.invokeExact(program, device, CL_PROGRAM_BUILD_LOG, 0L,
                    MemorySegment.NULL, size);
            if (st != 0) {
                return "(no build log: " + statusName(st) + ")";
            }
            MemorySegment buf = a.allocate(Math.max(1, size.get(JAVA_LONG, 0)));
            st = (int) getProgramBuildInfo.invokeExact(program, device, CL_PROGRAM_BUILD_LOG, buf.byteSize(), buf,
                    MemorySegment.NULL);
            return st != 0 ? "(no build log: " + statusName(st) + ")" : buf.getString(0, StandardCharsets.UTF_8);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** The built program's binary for its single device (for the disk cache). */
    public byte[] binary(MemorySegment program) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment size = a.allocate(JAVA_LONG);
            check((int) getProgramInfo.invokeExact(program, CL_PROGRAM_BINARY_SIZES, 8L, size, MemorySegment.NULL),
                    "clGetProgramInfo(BINARY_SIZES)");
            long n = size.get(JAVA_LONG, 0);
            MemorySegment buf = a.allocate(Math.max(1, n));
            MemorySegment ptrs = a.allocate(ADDRESS);
            ptrs.set(ADDRESS, 0, buf);
            check((int) getProgramInfo.invokeExact(program, CL_PROGRAM_BINARIES, ADDRESS.byteSize(), ptrs,
                    MemorySegment.NULL), "clGetProgramInfo(BINARIES)");
            return buf.asSlice(0, n).toArray(ValueLayout.JAVA_BYTE);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public MemorySegment createKernel(MemorySegment program, String name) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment err = a.allocate(JAVA_INT);
            MemorySegment k = (MemorySegment) createKernel.invokeExact(program,
                    a.allocateFrom(name, StandardCharsets.UTF_8), err);
            check(err.get(JAVA_INT, 0), "clCreateKernel(" + name + ")");
            return k;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** Sets argument {@code index} from {@code value} (a mem handle, Integer or Float). */
    public void setArg(MemorySegment kernel, int index, Object value) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment v;
            if (value instanceof MemorySegment mem) {
                v = a.allocate(ADDRESS);
                v.set(ADDRESS, 0, mem);
            } else if (value instanceof Integer i) {
                v = a.allocateFrom(JAVA_INT, i);
            } else if (value instanceof Float f) {
                v = a.allocateFrom(ValueLayout.JAVA_FLOAT, f);
            } else {
                throw new IllegalArgumentException("kernel argument " + index + ": expected a buffer, Integer or Float but was "
                        + (value == null ? "null" : value.getClass().getSimpleName()));
            }
            check((int) setKernelArg.invokeExact(kernel, index, v.byteSize(), v), "clSetKernelArg(" + index + ")");
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** 1-D launch; {@code local} 0 lets the driver choose. Returns the event (caller releases). */
    public MemorySegment launch(MemorySegment queue, MemorySegment kernel, long global, long local) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment g = a.allocateFrom(JAVA_LONG, global);
            MemorySegment l = local > 0 ? a.allocateFrom(JAVA_LONG, local) : MemorySegment.NULL;
            MemorySegment ev = a.allocate(ADDRESS);
            check((int) enqueueNDRangeKernel.invokeExact(queue, kernel, 1, MemorySegment.NULL, g, l, 0,
                    MemorySegment.NULL, ev), "clEnqueueNDRangeKernel(global " + global + ", local " + local + ")");
            return ev.get(ADDRESS, 0);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public void finish(MemorySegment queue) {
        try {
            check((int) finish.invokeExact(queue), "clFinish");
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** Waits for the event, returns end - start in nanoseconds and releases the event. */
    public long elapsedAndRelease(MemorySegment event) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment evs = a.allocate(ADDRESS);
            evs.set(ADDRESS, 0, event);
            check((int) waitForEvents.invokeExact(1, evs), "clWaitForEvents");
            MemorySegment t0 = a.allocate(JAVA_LONG);
            MemorySegment t1 = a.allocate(JAVA_LONG);
            check((int) getEventProfilingInfo.invokeExact(event, CL_PROFILING_COMMAND_START, 8L, t0, MemorySegment.NULL),
                    "clGetEventProfilingInfo(START)");
            check((int) getEventProfilingInfo.invokeExact(event, CL_PROFILING_COMMAND_END, 8L, t1, MemorySegment.NULL),
                    "clGetEventProfilingInfo(END)");
            return t1.get(JAVA_LONG, 0) - t0.get(JAVA_LONG, 0);
        } catch (Throwable t) {
            throw rethrow(t);
        } finally {
            release(releaseEvent, event);
        }
    }

    public void releaseKernel(MemorySegment h) {
        release(releaseKernel, h);
    }

    public void releaseProgram(MemorySegment h) {
        release(releaseProgram, h);
    }

    public void releaseMem(MemorySegment h) {
        release(releaseMemObject, h);
    }

    public void releaseQueue(MemorySegment h) {
        release(releaseCommandQueue, h);
    }

    public void releaseContext(MemorySegment h) {
        release(releaseContext, h);
    }

    private void release(MethodHandle h, MemorySegment handle) {
        if (handle == null || handle.equals(MemorySegment.NULL)) {
            return;
        }
        try {
            check((int) h.invokeExact(handle), "clRelease*");
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }
}
