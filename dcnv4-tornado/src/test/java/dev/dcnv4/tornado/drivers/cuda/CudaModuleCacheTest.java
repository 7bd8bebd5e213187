package dev.dcnv4.tornado.drivers.cuda;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CudaModuleCacheTest {

    private static CudaModuleCache.Key key(Map<String, String> defines) {
        return CudaModuleCache.Key.of("abc123", defines, 90, 13000, "13.0");
    }

    @Test
    void keyIgnoresDefineOrderButSeesEveryField() {
        Map<String, String> ab = new LinkedHashMap<>();
        ab.put("DCNV4_D", "32");
        ab.put("DCNV4_DSTRIDE", "8");
        Map<String, String> ba = new LinkedHashMap<>();
        ba.put("DCNV4_DSTRIDE", "8");
        ba.put("DCNV4_D", "32");
        String base = key(ab).digest();
        assertEquals(base, key(ba).digest());
        assertEquals(64, base.length());
        List<String> variants = List.of(
                CudaModuleCache.Key.of("abc124", ab, 90, 13000, "13.0").digest(),
                CudaModuleCache.Key.of("abc123", Map.of("DCNV4_D", "16", "DCNV4_DSTRIDE", "8"), 90, 13000, "13.0").digest(),
                CudaModuleCache.Key.of("abc123", ab, 80, 13000, "13.0").digest(),
                CudaModuleCache.Key.of("abc123", ab, 90, 12080, "13.0").digest(),
                CudaModuleCache.Key.of("abc123", ab, 90, 13000, "12.8").digest());
        for (String v : variants) {
            assertNotEquals(base, v);
        }
    }

    @Test
    void optionsTargetTheComputeCapabilityWithoutContraction() {
        List<String> o = key(Map.of("B", "2", "A", "1")).options();
        assertEquals(List.of("--gpu-architecture=compute_90", "--fmad=false", "-DA=1", "-DB=2"), o);
    }

    @Test
    void compilesOnceThenServesFromMemoryAndFromDisk(@TempDir Path dir) throws Exception {
        List<List<String>> calls = new ArrayList<>();
        CudaModuleCache.Compiler fake = (src, name, options) -> {
            calls.add(options);
            return "// ptx of " + name + " " + options;
        };
        CudaModuleCache cache = new CudaModuleCache(dir, fake);
        CudaModuleCache.Key k = key(Map.of("DCNV4_D", "32"));
        String first = cache.ptx(k, "source", "fwd");
        assertEquals(first, cache.ptx(k, "source", "fwd"));
        assertEquals(1, cache.compilations());
        assertTrue(Files.isRegularFile(dir.resolve(k.digest() + ".ptx")));

        CudaModuleCache fresh = new CudaModuleCache(dir, fake);   // a new process: disk hit, no compile
        assertEquals(first, fresh.ptx(k, "source", "fwd"));
        assertEquals(0, fresh.compilations());
        assertEquals(1, calls.size());

        fresh.ptx(key(Map.of("DCNV4_D", "16")), "source", "fwd");   // another specialisation compiles
        assertEquals(1, fresh.compilations());
    }

    @Test
    void memoryOnlyCacheWorksWithoutADirectory() {
        CudaModuleCache cache = new CudaModuleCache(null, (s, n, o) -> "ptx");
        CudaModuleCache.Key k = key(Map.of());
        cache.ptx(k, "s", "n");
        cache.ptx(k, "s", "n");
        assertEquals(1, cache.compilations());
        cache.clearMemory();
        cache.ptx(k, "s", "n");
        assertEquals(2, cache.compilations());
    }
}
