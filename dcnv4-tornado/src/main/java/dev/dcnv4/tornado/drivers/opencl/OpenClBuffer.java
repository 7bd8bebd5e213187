package dev.dcnv4.tornado.drivers.opencl;

import dev.dcnv4.tornado.runtime.DeviceBuffer;

import java.lang.foreign.MemorySegment;

/** A cl_mem owned by an {@link OpenClBackend}. */
final class OpenClBuffer implements DeviceBuffer {
    private final OpenCl cl;
    private final long bytes;
    private MemorySegment mem;

    OpenClBuffer(OpenCl cl, MemorySegment mem, long bytes) {
        this.cl = cl;
        this.mem = mem;
        this.bytes = bytes;
    }

    MemorySegment mem() {
        if (mem == null) {
            throw new IllegalStateException("OpenCL buffer of " + bytes + " bytes used after close()");
        }
        return mem;
    }

    @Override
    public long bytes() {
        return bytes;
    }

    @Override
    public synchronized void close() {
        if (mem != null) {
            cl.releaseMem(mem);
            mem = null;
        }
    }
}
