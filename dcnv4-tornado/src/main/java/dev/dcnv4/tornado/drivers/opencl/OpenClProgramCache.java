package dev.dcnv4.tornado.drivers.opencl;

import dev.dcnv4.device.DeviceException;
import dev.dcnv4.kernels.KernelSource;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Map;

/**
 * Built programs of one OpenCL context, cached in memory (hash -> program and its kernels) and on
 * disk as device binaries under {@code -Ddcnv4.cache.dir} (default {@code ~/.cache/dcnv4}),
 * {@code opencl/<sha256(source hash, device, driver)>.bin}. PoCL takes seconds per build, a binary
 * reload milliseconds. A binary that the driver rejects is deleted and the source rebuilt.
 * Not thread-safe: the owning {@link OpenClDevice} serializes access.
 */
final class OpenClProgramCache {
    /** System property for the cache folder. */
    static final String CACHE_PROPERTY = "dcnv4.cache.dir";

    private final OpenCl cl;
    private final MemorySegment context;
    private final MemorySegment device;
    private final String deviceKey;
    private final Map<String, Program> programs = new HashMap<>();
    private long lastCompileNanos;

    /** A built program plus its kernels, created on first use. */
    static final class Program {
        final MemorySegment handle;
        final Map<String, MemorySegment> kernels = new HashMap<>();

        Program(MemorySegment handle) {
            this.handle = handle;
        }
    }

    OpenClProgramCache(OpenCl cl, MemorySegment context, MemorySegment device, String deviceKey) {
        this.cl = cl;
        this.context = context;
        this.device = device;
        this.deviceKey = deviceKey;
    }

    /** Compile time of the last {@link #program} call that missed the memory cache, else 0. */
    long lastCompileNanos() {
        return lastCompileNanos;
    }

    Program program(KernelSource src) {
        lastCompileNanos = 0;
        Program p = programs.get(src.hash());
        if (p != null) {
            return p;
        }
        long t0 = System.nanoTime();
        String options = String.join(" ", src.options());
        Path file = diskFile(src);
        MemorySegment handle = null;
        if (file != null && Files.isRegularFile(file)) {
            try {
                handle = cl.programFromBinary(context, device, Files.readAllBytes(file));
                cl.build(handle, device, options);
            } catch (IOException | DeviceException e) {
                if (handle != null) {
                    cl.releaseProgram(handle);
                    handle = null;
                }
                try {
                    Files.deleteIfExists(file);
                } catch (IOException ignored) {
                    // a stale file that cannot be deleted is rebuilt again next time
                }
            }
        }
        if (handle == null) {
            handle = cl.programFromSource(context, src.text());
            try {
                cl.build(handle, device, options);
            } catch (DeviceException e) {
                cl.releaseProgram(handle);
                throw e;
            }
            if (file != null) {
                store(file, cl.binary(handle));
            }
        }
        lastCompileNanos = System.nanoTime() - t0;
        p = new Program(handle);
        programs.put(src.hash(), p);
        return p;
    }

    MemorySegment kernel(KernelSource src, String entry) {
        Program p = program(src);
        MemorySegment k = p.kernels.get(entry);
        if (k == null) {
            k = cl.createKernel(p.handle, entry);
            p.kernels.put(entry, k);
        }
        return k;
    }

    private Path diskFile(KernelSource src) {
        String dir = System.getProperty(CACHE_PROPERTY);
        Path base = dir != null && !dir.isBlank() ? Path.of(dir)
                : Path.of(System.getProperty("user.home"), ".cache", "dcnv4");
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            md.update((src.hash() + "|" + deviceKey).getBytes(StandardCharsets.UTF_8));
            return base.resolve("opencl").resolve(HexFormat.of().formatHex(md.digest()) + ".bin");
        } catch (NoSuchAlgorithmException e) {
            return null;
        }
    }

    private static void store(Path file, byte[] binary) {
        if (binary.length == 0) {
            return;
        }
        try {
            Files.createDirectories(file.getParent());
            Path tmp = Files.createTempFile(file.getParent(), "prog", ".tmp");
            Files.write(tmp, binary);
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException ignored) {
            // the disk cache is an optimisation: an unwritable folder only costs compile time
        }
    }

    void close() {
        for (Program p : programs.values()) {
            for (MemorySegment k : p.kernels.values()) {
                cl.releaseKernel(k);
            }
            cl.releaseProgram(p.handle);
        }
        programs.clear();
    }
}
