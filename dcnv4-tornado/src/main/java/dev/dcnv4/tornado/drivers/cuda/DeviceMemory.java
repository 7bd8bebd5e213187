package dev.dcnv4.tornado.drivers.cuda;

import java.util.ArrayList;
import java.util.List;

/**
 * Device allocations owned together (one prepared run's buffers), freed together on
 * {@link #close()} in reverse order; a failure while allocating frees what was already allocated.
 */
final class DeviceMemory implements AutoCloseable {
    private final List<Long> pointers = new ArrayList<>();

    /** Allocates {@code bytes} (at least 1) of device memory owned by this set. */
    long allocate(long bytes) {
        long p = Cuda.memAlloc(bytes);
        pointers.add(p);
        return p;
    }

    @Override
    public void close() {
        RuntimeException first = null;
        for (int i = pointers.size() - 1; i >= 0; i--) {
            try {
                Cuda.memFree(pointers.get(i));
            } catch (RuntimeException e) {
                if (first == null) {
                    first = e;
                } else {
                    first.addSuppressed(e);
                }
            }
        }
        pointers.clear();
        if (first != null) {
            throw first;
        }
    }
}
