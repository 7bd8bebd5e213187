package dev.dcnv4.tornado.drivers.cuda;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * A kernel's argument block in the form cuLaunchKernel wants: an array of pointers, one per
 * parameter, each to a slot holding the value. Built once per prepared run in its arena, so a
 * launch allocates nothing.
 */
final class KernelArgs {
    private final Arena arena;
    private final MemorySegment pointers;
    private int count;

    KernelArgs(Arena arena, int capacity) {
        this.arena = arena;
        this.pointers = arena.allocate(ADDRESS, capacity);
    }

    /** A device pointer (CUdeviceptr, 64-bit). */
    KernelArgs pointer(long devicePointer) {
        return slot(arena.allocateFrom(JAVA_LONG, devicePointer));
    }

    KernelArgs i32(int value) {
        return slot(arena.allocateFrom(JAVA_INT, value));
    }

    KernelArgs f32(float value) {
        return slot(arena.allocateFrom(JAVA_FLOAT, value));
    }

    private KernelArgs slot(MemorySegment value) {
        pointers.setAtIndex(ADDRESS, count++, value);
        return this;
    }

    MemorySegment segment() {
        return pointers;
    }
}
