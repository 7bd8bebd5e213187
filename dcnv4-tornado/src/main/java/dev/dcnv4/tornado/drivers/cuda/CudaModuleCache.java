package dev.dcnv4.tornado.drivers.cuda;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * PTX produced by NVRTC, cached in memory (per process) and on disk (across processes), so that a
 * kernel specialisation is compiled once per machine. The key covers everything that can change the
 * PTX or make it unusable: the assembled source's hash, the -D specialisations (order-independent),
 * the device's compute capability, the driver version and the NVRTC version.
 *
 * <p>Disk files are written to a temporary name and moved into place, so a concurrent reader never
 * sees half a file; an unreadable or unwritable cache directory only costs a recompilation.
 */
public final class CudaModuleCache {

    /** Compiles CUDA C to PTX; {@link Nvrtc#compileToPtx} in production, a fake in tests. */
    @FunctionalInterface
    public interface Compiler {
        String compile(String source, String name, List<String> options);
    }

    /** What identifies one compiled specialisation. */
    public record Key(String sourceHash, SortedMap<String, String> defines, int computeCapability, int driverVersion,
                      String compilerVersion) {
        public Key {
            defines = new TreeMap<>(defines);
        }

        public static Key of(String sourceHash, Map<String, String> defines, int computeCapability,
                             int driverVersion, String compilerVersion) {
            return new Key(sourceHash, new TreeMap<>(defines), computeCapability, driverVersion, compilerVersion);
        }

        /** NVRTC options: PTX for this compute capability, no FMA contraction, then the defines. */
        public List<String> options() {
            List<String> o = new ArrayList<>();
            o.add("--gpu-architecture=compute_" + computeCapability);
            // the kernels spell out every fused multiply-add (dcnv4-semantics.md 2.6); forbid others
            o.add("--fmad=false");
            defines.forEach((k, v) -> o.add("-D" + k + "=" + v));
            return o;
        }

        /** Hex SHA-256 over every field: the cache file name. */
        public String digest() {
            StringBuilder sb = new StringBuilder();
            sb.append("src=").append(sourceHash).append('\n');
            defines.forEach((k, v) -> sb.append("D ").append(k).append('=').append(v).append('\n'));
            sb.append("cc=").append(computeCapability).append('\n');
            sb.append("driver=").append(driverVersion).append('\n');
            sb.append("compiler=").append(compilerVersion).append('\n');
            return sha256(sb.toString());
        }
    }

    private final Path directory;
    private final Compiler compiler;
    private final Map<String, String> memory = new ConcurrentHashMap<>();
    private final AtomicInteger compilations = new AtomicInteger();

    /** A cache in {@code directory} (null: memory only) compiling with {@code compiler}. */
    public CudaModuleCache(Path directory, Compiler compiler) {
        this.directory = directory;
        this.compiler = compiler;
    }

    /** The process-wide cache under the cache root, compiling with NVRTC. */
    public static CudaModuleCache standard() {
        return Holder.STANDARD;
    }

    private static final class Holder {
        static final CudaModuleCache STANDARD = new CudaModuleCache(CacheDir.root().resolve("cuda").resolve("ptx"),
                Nvrtc::compileToPtx);
    }

    /** PTX for {@code key}, compiling {@code source} only when neither memory nor disk has it. */
    public String ptx(Key key, String source, String name) {
        String digest = key.digest();
        String hit = memory.get(digest);
        if (hit != null) {
            return hit;
        }
        String ptx = readDisk(digest);
        if (ptx == null) {
            ptx = compiler.compile(source, name, key.options());
            compilations.incrementAndGet();
            writeDisk(digest, ptx);
        }
        memory.put(digest, ptx);
        return ptx;
    }

    /** How many times this cache called the compiler (tests, and the profiler's compile count). */
    public int compilations() {
        return compilations.get();
    }

    /** Drops the in-memory entries (the disk stays). */
    public void clearMemory() {
        memory.clear();
    }

    private String readDisk(String digest) {
        if (directory == null) {
            return null;
        }
        Path f = directory.resolve(digest + ".ptx");
        try {
            return Files.isRegularFile(f) ? Files.readString(f, StandardCharsets.UTF_8) : null;
        } catch (IOException e) {
            return null;
        }
    }

    private void writeDisk(String digest, String ptx) {
        if (directory == null) {
            return;
        }
        try {
            Files.createDirectories(directory);
            Path tmp = Files.createTempFile(directory, digest, ".tmp");
            Files.writeString(tmp, ptx, StandardCharsets.UTF_8);
            Files.move(tmp, directory.resolve(digest + ".ptx"), StandardCopyOption.REPLACE_EXISTING,
                    StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            // the cache is an optimisation: a read-only home directory must not break compilation
        }
    }

    static String sha256(String text) {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            return HexFormat.of().formatHex(md.digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 missing from the JDK", e);
        }
    }
}
