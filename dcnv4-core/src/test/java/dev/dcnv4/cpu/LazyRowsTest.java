package dev.dcnv4.cpu;

import dev.dcnv4.arrays.HalfFloatArray;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Rows widened on first use by whichever thread asks first; others wait for them, never read them half done. */
class LazyRowsTest {
    @Test
    void threadsAskingForOverlappingRowsAllSeeTheExactWidenedRows() throws Exception {
        int rows = 200, width = 3 * Storage.CHUNK / 2 + 7;          // rows longer than one conversion chunk
        SplittableRandom r = new SplittableRandom(5);
        try (HalfFloatArray h = HalfFloatArray.allocate(rows * width); Arena arena = Arena.ofShared();
             ExecutorService pool = Executors.newFixedThreadPool(4)) {
            for (int i = 0; i < rows * width; i++) {
                h.getSegment().setAtIndex(Storage.I16, i, (short) r.nextInt());
            }
            for (int round = 0; round < 5; round++) {
                MemorySegment wide = arena.allocate(4L * rows * width, 64);
                LazyRows lazy = new LazyRows(h, wide, rows, width);
                List<Future<Integer>> done = new ArrayList<>();
                for (int t = 0; t < 4; t++) {
                    int seed = round * 4 + t;
                    done.add(pool.submit(() -> {
                        SplittableRandom q = new SplittableRandom(seed);
                        Storage.Scratch s = new Storage.Scratch();
                        int wrong = 0;
                        for (int k = 0; k < 300; k++) {
                            int a = q.nextInt(rows), b = Math.min(rows - 1, a + q.nextInt(4));
                            lazy.ensure(a, b, s);
                            for (int row = a; row <= b; row++) {
                                int i = row * width + q.nextInt(width);
                                float want = Float.float16ToFloat(h.getSegment().getAtIndex(Storage.I16, i));
                                wrong += Float.floatToRawIntBits(want) == Float.floatToRawIntBits(wide.getAtIndex(Storage.F32, i)) ? 0 : 1;
                            }
                        }
                        return wrong;
                    }));
                }
                for (Future<Integer> f : done) {
                    assertEquals(0, f.get(), "values read from a row after ensure() that differ from the widened input");
                }
            }
        }
    }

    @Test
    void rejectsASizeThatIsNotTheArrays() {
        try (HalfFloatArray h = HalfFloatArray.allocate(12); Arena arena = Arena.ofConfined()) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> new LazyRows(h, arena.allocate(48), 5, 3));
            assertTrue(e.getMessage().contains("expected 12") && e.getMessage().contains("was 15"), e.getMessage());
        }
    }
}
