package dev.dcnv4.cpu;

import org.junit.jupiter.api.Test;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Chunk hand-out: every chunk once, and the second phase only after the whole first one. */
class TaskPoolTest {
    @Test
    void chunksThenPartsEachRunOnceInOrder() {
        for (int threads : new int[] {1, 2, 3, 5}) {
            try (TaskPool pool = new TaskPool(threads)) {
                for (int round = 0; round < 200; round++) {
                    int chunks = 1 + round % 13, parts = 1 + round % 7;
                    AtomicIntegerArray ranChunk = new AtomicIntegerArray(chunks), ranPart = new AtomicIntegerArray(parts);
                    AtomicInteger finished = new AtomicInteger(), early = new AtomicInteger();
                    pool.runChunksThen(chunks, (t, c) -> {
                        if (c % 3 == 0) {
                            Thread.onSpinWait();
                        }
                        ranChunk.incrementAndGet(c);
                        finished.incrementAndGet();
                    }, parts, (t, p) -> {
                        if (finished.get() != chunks) {
                            early.incrementAndGet();
                        }
                        ranPart.incrementAndGet(p);
                    });
                    for (int c = 0; c < chunks; c++) {
                        assertEquals(1, ranChunk.get(c), "chunk " + c + " with " + threads + " threads");
                    }
                    for (int p = 0; p < parts; p++) {
                        assertEquals(1, ranPart.get(p), "part " + p + " with " + threads + " threads");
                    }
                    assertEquals(0, early.get(), "a part started before every chunk had finished");
                }
            }
        }
    }

    /** Each task id of a call is in range and runs on one thread at a time: a slot for per-task state. */
    @Test
    void taskIdsAreInRangeAndNeverShared() {
        for (int threads : new int[] {1, 2, 3}) {
            try (TaskPool pool = new TaskPool(threads)) {
                AtomicIntegerArray inUse = new AtomicIntegerArray(threads);
                AtomicInteger clashes = new AtomicInteger(), outOfRange = new AtomicInteger();
                TaskPool.TaskItem check = (t, item) -> {
                    if (t < 0 || t >= threads) {
                        outOfRange.incrementAndGet();
                        return;
                    }
                    if (inUse.incrementAndGet(t) != 1) {
                        clashes.incrementAndGet();
                    }
                    for (int i = 0; i < 200; i++) {
                        Thread.onSpinWait();
                    }
                    inUse.decrementAndGet(t);
                };
                for (int round = 0; round < 100; round++) {
                    pool.runChunksThen(1 + round % 11, check, 1 + round % 5, check);
                }
                assertEquals(0, outOfRange.get(), threads + " threads");
                assertEquals(0, clashes.get(), threads + " threads");
            }
        }
    }

    @Test
    void aFailingChunkIsRethrownAfterAllTasksStop() {
        try (TaskPool pool = new TaskPool(2)) {
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> pool.runChunks(8, c -> {
                if (c == 5) {
                    throw new IllegalStateException("chunk 5");
                }
            }));
            assertTrue(e.getMessage().contains("chunk 5"));
        }
    }

    @Test
    void aFailingChunkStopsTheSecondPhaseWithoutHanging() {
        try (TaskPool pool = new TaskPool(3)) {
            AtomicInteger parts = new AtomicInteger();
            assertTimeoutPreemptively(java.time.Duration.ofSeconds(20), () -> {
                IllegalStateException e = assertThrows(IllegalStateException.class, () -> pool.runChunksThen(9, (t, c) -> {
                    if (c == 4) {
                        throw new IllegalStateException("chunk 4");
                    }
                }, 5, (t, p) -> parts.incrementAndGet()));
                assertTrue(e.getMessage().contains("chunk 4"));
            });
            assertEquals(0, parts.get(), "no part may run after a failed chunk");
        }
    }
}
