package dev.dcnv4.tornado.drivers.cuda;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CudaLibrariesTest {

    private static Path touch(Path file) throws IOException {
        Files.createDirectories(file.getParent());
        return Files.writeString(file, "not really a library");
    }

    @Test
    void directoriesStartWithCudaHomeThenTheStandardOnes() {
        List<Path> dirs = CudaLibraries.nvrtcDirectories("/opt/cuda-13", CudaLibraries.STANDARD_DIRS);
        assertEquals(List.of(Path.of("/opt/cuda-13/lib64"), Path.of("/usr/local/cuda/lib64"),
                Path.of("/usr/local/cuda/targets/x86_64-linux/lib")), dirs);
        assertEquals(CudaLibraries.STANDARD_DIRS, CudaLibraries.nvrtcDirectories(null, CudaLibraries.STANDARD_DIRS));
        assertEquals(CudaLibraries.STANDARD_DIRS, CudaLibraries.nvrtcDirectories(" ", CudaLibraries.STANDARD_DIRS));
    }

    @Test
    void candidatesPutTheExplicitPathFirstAndPrefer13Over12InEachDirectory(@TempDir Path tmp) {
        Path a = tmp.resolve("a"), b = tmp.resolve("b");
        List<Path> c = CudaLibraries.nvrtcCandidates("/x/libnvrtc.so", List.of(a, b));
        assertEquals(List.of(Path.of("/x/libnvrtc.so"), a.resolve("libnvrtc.so.13"), a.resolve("libnvrtc.so.12"),
                b.resolve("libnvrtc.so.13"), b.resolve("libnvrtc.so.12")), c);
    }

    @Test
    void findsTheFirstExistingFileInSearchOrder(@TempDir Path tmp) throws IOException {
        Path home = tmp.resolve("home/lib64"), std = tmp.resolve("std");
        touch(std.resolve("libnvrtc.so.13"));
        Path home12 = touch(home.resolve("libnvrtc.so.12"));
        // the earlier directory wins even with the older soname
        assertEquals(Optional.of(home12), CudaLibraries.findNvrtc(null, List.of(home, std)));
        Path home13 = touch(home.resolve("libnvrtc.so.13"));
        assertEquals(Optional.of(home13), CudaLibraries.findNvrtc(null, List.of(home, std)));
        Path explicit = touch(tmp.resolve("mine/libnvrtc-custom.so"));
        assertEquals(Optional.of(explicit), CudaLibraries.findNvrtc(explicit.toString(), List.of(home, std)));
    }

    @Test
    void neverPicksTheStubsCopy(@TempDir Path tmp) throws IOException {
        Path stubs = tmp.resolve("lib/stubs");
        touch(stubs.resolve("libnvrtc.so.13"));
        assertEquals(Optional.empty(), CudaLibraries.findNvrtc(null, List.of(stubs)));
        // a link that resolves into stubs/ is the stub as well
        Path dir = tmp.resolve("lib64");
        Files.createDirectories(dir);
        Files.createSymbolicLink(dir.resolve("libnvrtc.so.13"), stubs.resolve("libnvrtc.so.13"));
        assertEquals(Optional.empty(), CudaLibraries.findNvrtc(null, List.of(dir)));
        Path real = touch(tmp.resolve("targets/lib/libnvrtc.so.12"));
        assertEquals(Optional.of(real), CudaLibraries.findNvrtc(null, List.of(stubs, dir, real.getParent())));
        assertTrue(CudaLibraries.isStub(stubs.resolve("libnvrtc.so.13")));
        assertFalse(CudaLibraries.isStub(real));
    }

    @Test
    void missingFilesAndDirectoriesGiveEmpty(@TempDir Path tmp) {
        assertEquals(Optional.empty(), CudaLibraries.findNvrtc(tmp.resolve("nope.so").toString(),
                List.of(tmp.resolve("missing"))));
    }
}
