package dev.dcnv4.tornado.drivers.cuda;

import java.lang.foreign.Arena;
import java.lang.foreign.SymbolLookup;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Where the CUDA driver and NVRTC come from (design.md section 4). Kept apart from the bindings so
 * that the search order is a pure function over directories that tests can exercise with fake files.
 *
 * <p>NVRTC search order: the file named by {@code -Ddcnv4.nvrtc=PATH}; then, in each of
 * {@code $CUDA_HOME/lib64}, {@code /usr/local/cuda/lib64}, {@code /usr/local/cuda/targets/x86_64-linux/lib},
 * {@code libnvrtc.so.13} then {@code libnvrtc.so.12}; then the dynamic loader's own path with the same two
 * names. A file under a {@code stubs/} folder is never used: the toolkit ships a stub NVRTC there that
 * loads but fails every call.
 */
// binds a native library: java.lang.foreign restricted methods (the JVM runs with --enable-native-access)
@SuppressWarnings("restricted")
public final class CudaLibraries {
    /** The CUDA driver library (the driver API, not the runtime). */
    public static final String DRIVER = "libcuda.so.1";
    /** System property naming an NVRTC library file explicitly. */
    public static final String NVRTC_PROPERTY = "dcnv4.nvrtc";
    /** System property naming the driver library file explicitly (tests, unusual installs). */
    public static final String DRIVER_PROPERTY = "dcnv4.libcuda";
    /** NVRTC sonames in order of preference. */
    public static final List<String> NVRTC_NAMES = List.of("libnvrtc.so.13", "libnvrtc.so.12");

    private CudaLibraries() {
    }

    /** The standard directories after {@code $CUDA_HOME/lib64}, in search order. */
    public static final List<Path> STANDARD_DIRS = List.of(Path.of("/usr/local/cuda/lib64"),
            Path.of("/usr/local/cuda/targets/x86_64-linux/lib"));

    /**
     * The directories searched for NVRTC, in order: {@code $CUDA_HOME/lib64} (when set) then
     * {@code standardDirs}.
     */
    public static List<Path> nvrtcDirectories(String cudaHome, List<Path> standardDirs) {
        List<Path> dirs = new ArrayList<>();
        if (cudaHome != null && !cudaHome.isBlank()) {
            dirs.add(Path.of(cudaHome, "lib64"));
        }
        dirs.addAll(standardDirs);
        return dirs;
    }

    /** Every file path tried, in order (the explicit property first when given). */
    public static List<Path> nvrtcCandidates(String explicitPath, List<Path> directories) {
        List<Path> out = new ArrayList<>();
        if (explicitPath != null && !explicitPath.isBlank()) {
            out.add(Path.of(explicitPath));
        }
        for (Path dir : directories) {
            for (String name : NVRTC_NAMES) {
                out.add(dir.resolve(name));
            }
        }
        return out;
    }

    /** True for a path with a directory component named {@code stubs}. */
    public static boolean isStub(Path file) {
        for (Path part : file.toAbsolutePath().normalize()) {
            if (part.toString().equals("stubs")) {
                return true;
            }
        }
        return false;
    }

    /**
     * The first candidate that exists as a regular file (after resolving links) and is not a stub,
     * or empty when none does (the caller then asks the dynamic loader).
     */
    public static Optional<Path> findNvrtc(String explicitPath, List<Path> directories) {
        for (Path p : nvrtcCandidates(explicitPath, directories)) {
            if (isStub(p) || !Files.isRegularFile(p)) {
                continue;
            }
            try {
                if (isStub(p.toRealPath())) {
                    continue;   // a link into stubs/ is still the stub
                }
            } catch (java.io.IOException e) {
                continue;
            }
            return Optional.of(p);
        }
        return Optional.empty();
    }

    /** A loaded library, or why it could not be loaded. */
    public record Loaded(SymbolLookup lookup, String path, String error) {
        public boolean ok() {
            return lookup != null;
        }
    }

    /** Loads the driver: {@code -Ddcnv4.libcuda} when set, else {@code libcuda.so.1} through the loader. */
    static Loaded loadDriver() {
        String explicit = System.getProperty(DRIVER_PROPERTY);
        String name = explicit != null && !explicit.isBlank() ? explicit : DRIVER;
        return load(name, "no CUDA driver (" + DRIVER + ") on this machine");
    }

    /** Loads NVRTC following the documented search order. */
    static Loaded loadNvrtc() {
        String explicit = System.getProperty(NVRTC_PROPERTY);
        List<Path> dirs = nvrtcDirectories(System.getenv("CUDA_HOME"), STANDARD_DIRS);
        if (explicit != null && !explicit.isBlank()) {
            Path p = Path.of(explicit);
            if (!Files.isRegularFile(p) || isStub(p)) {
                return new Loaded(null, explicit, "-D" + NVRTC_PROPERTY + "=" + explicit
                        + " does not name a usable NVRTC library" + (isStub(p) ? " (it is the stubs/ copy)" : ""));
            }
            return load(explicit, "cannot load " + explicit);
        }
        Optional<Path> found = findNvrtc(null, dirs);
        if (found.isPresent()) {
            return load(found.get().toString(), "cannot load " + found.get());
        }
        List<String> errors = new ArrayList<>();
        for (String name : NVRTC_NAMES) {
            Loaded l = load(name, name);
            if (l.ok()) {
                return l;
            }
            errors.add(l.error());
        }
        return new Loaded(null, null, NVRTC_NAMES.get(0) + " not found in " + dirs
                + " nor on the loader path (" + String.join("; ", errors) + "); set -D" + NVRTC_PROPERTY
                + "=/path/to/libnvrtc.so.13 or use --device opencl:0");
    }

    private static Loaded load(String nameOrPath, String what) {
        try {
            return new Loaded(SymbolLookup.libraryLookup(nameOrPath, Arena.global()), nameOrPath, null);
        } catch (IllegalArgumentException | IllegalCallerException e) {
            return new Loaded(null, nameOrPath, what + ": " + e.getMessage());
        }
    }
}
