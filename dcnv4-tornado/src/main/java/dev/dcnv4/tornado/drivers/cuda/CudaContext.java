package dev.dcnv4.tornado.drivers.cuda;

import dev.dcnv4.device.DeviceException;
import dev.dcnv4.kernels.KernelSource;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * One GPU as the backend sees it: the device's retained primary context (cuCtxCreate changed
 * signature in CUDA 13, and the primary context is what every other CUDA user in the process shares),
 * one non-blocking stream for all work, the device's facts, and the modules loaded into the context.
 *
 * <p>Not thread-safe: a {@link CudaDevice} serialises calls on it. {@link #makeCurrent()} binds the
 * context to the calling thread before driver calls, since the context is per thread in the driver.
 */
public final class CudaContext implements AutoCloseable {
    /** CUDA_ERROR_UNSUPPORTED_PTX_VERSION: PTX from a newer NVRTC than the driver understands. */
    private static final int UNSUPPORTED_PTX_VERSION = 222;

    private final int ordinal;
    private final int device;
    private final MemorySegment context;
    private final MemorySegment stream;
    private final String name;
    private final int computeCapability;
    private final int maxBlockThreads;
    private final int multiprocessors;
    private final long totalMemory;
    private final int driverVersion;
    private final Map<String, Program> programs = new HashMap<>();
    private boolean closed;

    /** A loaded module; entry points are looked up once each, on first use. */
    public static final class Program {
        private final MemorySegment module;
        private final Map<String, MemorySegment> functions = new java.util.concurrent.ConcurrentHashMap<>();

        Program(MemorySegment module) {
            this.module = module;
        }

        public MemorySegment module() {
            return module;
        }

        /** The kernel {@code entry} (CUfunction); the driver names a missing one (CUDA_ERROR_NOT_FOUND). */
        public MemorySegment function(String entry) {
            return functions.computeIfAbsent(entry, e -> Cuda.moduleFunction(module, e));
        }
    }

    private CudaContext(int ordinal) {
        this.ordinal = ordinal;
        this.device = Cuda.device(ordinal);
        this.name = Cuda.deviceName(device);
        this.computeCapability = 10 * Cuda.deviceAttribute(Cuda.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR, device)
                + Cuda.deviceAttribute(Cuda.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR, device);
        this.maxBlockThreads = Cuda.deviceAttribute(Cuda.CU_DEVICE_ATTRIBUTE_MAX_THREADS_PER_BLOCK, device);
        this.multiprocessors = Cuda.deviceAttribute(Cuda.CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT, device);
        this.totalMemory = Cuda.deviceTotalMemory(device);
        this.driverVersion = Cuda.driverVersion();
        this.context = Cuda.primaryContextRetain(device);
        MemorySegment s;
        try {
            Cuda.setCurrentContext(context);
            s = Cuda.streamCreate(Cuda.CU_STREAM_NON_BLOCKING);
        } catch (RuntimeException e) {
            Cuda.primaryContextRelease(device);
            throw e;
        }
        this.stream = s;
    }

    /** Initialises the driver and opens device {@code ordinal}. */
    public static CudaContext open(int ordinal) {
        Cuda.require();
        Cuda.init();
        return new CudaContext(ordinal);
    }

    /** Number of CUDA devices (initialises the driver). */
    public static int deviceCount() {
        Cuda.require();
        Cuda.init();
        return Cuda.deviceCount();
    }

    public void makeCurrent() {
        Cuda.setCurrentContext(context);
    }

    public MemorySegment stream() {
        return stream;
    }

    public int ordinal() {
        return ordinal;
    }

    public String name() {
        return name;
    }

    /** 10*major + minor, e.g. 90 for an H100. */
    public int computeCapability() {
        return computeCapability;
    }

    public int maxBlockThreads() {
        return maxBlockThreads;
    }

    public int multiprocessors() {
        return multiprocessors;
    }

    public long totalMemory() {
        return totalMemory;
    }

    public int driverVersion() {
        return driverVersion;
    }

    /** "13.0" from 13000. */
    public String driverVersionText() {
        return driverVersion / 1000 + "." + (driverVersion % 1000) / 10;
    }

    /**
     * The program for {@code source}: compiled to PTX through the module cache (memory, disk, NVRTC),
     * then loaded once into this context and kept until {@link #close()}.
     */
    public Program program(KernelSource source, List<String> entries) {
        CudaModuleCache.Key key = CudaModuleCache.Key.of(source.hash(), source.defines(), computeCapability,
                driverVersion, Nvrtc.available() ? Nvrtc.version() : "none");
        String digest = key.digest();
        Program p = programs.get(digest);
        if (p != null) {
            return p;
        }
        String ptx = CudaModuleCache.standard().ptx(key, source.text(), "dcnv4.cu");
        makeCurrent();
        MemorySegment module;
        try (Arena a = Arena.ofConfined()) {
            module = Cuda.moduleLoadData(a.allocateFrom(ptx));
        } catch (CudaException e) {
            if (e.status() == UNSUPPORTED_PTX_VERSION) {
                throw new DeviceException("cuda:" + ordinal, "the driver (CUDA " + driverVersionText()
                        + ") cannot load PTX from NVRTC " + Nvrtc.version() + " (" + Nvrtc.libraryPath()
                        + "): NVRTC must not be newer than the driver; point -D" + CudaLibraries.NVRTC_PROPERTY
                        + " at an older libnvrtc", e);
            }
            throw e;
        }
        p = new Program(module);
        programs.put(digest, p);
        for (String e : entries) {
            p.function(e);   // fail here, with the entry's name, rather than at the first launch
        }
        return p;
    }

    /** Loaded programs (for the profiler). */
    public int programCount() {
        return programs.size();
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        List<RuntimeException> errors = new ArrayList<>();
        try {
            makeCurrent();
            Cuda.streamSynchronize(stream);
        } catch (RuntimeException e) {
            errors.add(e);
        }
        for (Program p : programs.values()) {
            try {
                Cuda.moduleUnload(p.module());
            } catch (RuntimeException e) {
                errors.add(e);
            }
        }
        programs.clear();
        try {
            Cuda.streamDestroy(stream);
        } catch (RuntimeException e) {
            errors.add(e);
        }
        try {
            Cuda.primaryContextRelease(device);
        } catch (RuntimeException e) {
            errors.add(e);
        }
        if (!errors.isEmpty()) {
            RuntimeException first = errors.getFirst();
            errors.stream().skip(1).forEach(first::addSuppressed);
            throw first;
        }
    }
}
