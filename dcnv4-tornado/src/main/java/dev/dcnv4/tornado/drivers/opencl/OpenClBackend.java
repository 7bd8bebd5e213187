package dev.dcnv4.tornado.drivers.opencl;

import dev.dcnv4.arrays.DType;
import dev.dcnv4.device.Dcnv4Device;
import dev.dcnv4.kernels.KernelSource;
import dev.dcnv4.op.Dcnv4Config;
import dev.dcnv4.op.Dcnv4Problem;
import dev.dcnv4.tornado.runtime.Backend;
import dev.dcnv4.tornado.runtime.DeviceBuffer;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Runs the DCNv4 kernels on one {@link OpenClDevice}: its context, its single in-order profiling
 * queue and its program cache. Every operation holds the device's lock, so plans on several threads
 * share the queue safely (one after another). Times come from OpenCL profiling events.
 */
public final class OpenClBackend implements Backend {
    private final OpenClDevice device;
    private final OpenCl cl;
    private final Map<String, KernelSource> sources = new HashMap<>();

    OpenClBackend(OpenClDevice device) {
        this.device = device;
        this.cl = device.cl();
    }

    @Override
    public Dcnv4Device device() {
        return device;
    }

    @Override
    public DeviceBuffer allocate(long bytes) {
        synchronized (device) {
            return new OpenClBuffer(cl, cl.createBuffer(device.context(), bytes), bytes);
        }
    }

    @Override
    public long copyIn(DeviceBuffer dst, MemorySegment src) {
        synchronized (device) {
            return cl.elapsedAndRelease(cl.write(device.queue(), mem(dst), src, true));
        }
    }

    @Override
    public long copyOut(DeviceBuffer src, MemorySegment dst) {
        synchronized (device) {
            return cl.elapsedAndRelease(cl.read(device.queue(), mem(src), dst, true));
        }
    }

    /** The program for this configuration and dtype (d_strides chosen here, see KernelSource). */
    KernelSource source(Dcnv4Config c, DType dtype) {
        String key = c.toBuilder().offsetScale(1f).build() + "/" + dtype;
        return sources.computeIfAbsent(key, k -> {
            int d = c.groupChannels();
            int maxWg = device.maxWorkGroupSize();
            int bds = KernelSource.officialBackwardDStride(d);
            while ((d + bds - 1) / bds > maxWg) {
                bds *= 2;
            }
            int lanes = (d + bds - 1) / bds;
            int pairs = KernelSource.defaultBackwardPairs(d, bds);
            while (pairs > 1 && pairs * lanes > maxWg) {
                pairs--;
            }
            return KernelSource.dcnv4(KernelSource.Dialect.OPENCL, c, dtype,
                    KernelSource.defaultForwardDStride(d, dtype), bds, pairs);
        });
    }

    @Override
    public long compile(Dcnv4Problem problem, DType dtype) {
        synchronized (device) {
            device.programs().program(source(problem.config(), dtype));
            return device.programs().lastCompileNanos();
        }
    }

    @Override
    public long forward(Dcnv4Problem p, DType dtype, DeviceBuffer input, DeviceBuffer offsetMask, DeviceBuffer output) {
        synchronized (device) {
            KernelSource src = source(p.config(), dtype);
            int d = p.config().groupChannels();
            int ds = Integer.parseInt(src.defines().get("DS"));
            long items = (long) p.batch() * p.positions() * p.config().groups() * ((d + ds - 1) / ds);
            MemorySegment k = device.programs().kernel(src, KernelSource.FORWARD);
            setArgs(k, mem(input), mem(offsetMask), mem(output));
            setShape(k, 3, p);
            return cl.elapsedAndRelease(cl.launch(device.queue(), k, items, 0));
        }
    }

    @Override
    public long backward(Dcnv4Problem p, DType dtype, DeviceBuffer input, DeviceBuffer offsetMask,
                         DeviceBuffer gradOutput, DeviceBuffer gradInput, DeviceBuffer gradOffsetMask, DType gradType,
                         boolean deterministic) {
        synchronized (device) {
            KernelSource src = source(p.config(), dtype);
            MemorySegment q = device.queue();
            long ns = 0;
            List<OpenClBuffer> scratch = new ArrayList<>();
            try {
                boolean f32 = gradType == DType.FP32;
                OpenClBuffer gin = f32 ? (OpenClBuffer) gradInput : scratch(scratch, 4L * p.inputSize());
                OpenClBuffer gom = f32 ? (OpenClBuffer) gradOffsetMask : scratch(scratch, 4L * p.offsetMaskSize());
                ns += cl.elapsedAndRelease(cl.zero(q, gom.mem(), gom.bytes(), true));
                if (!deterministic) {
                    ns += cl.elapsedAndRelease(cl.zero(q, gin.mem(), gin.bytes(), true));
                }
                int d = p.config().groupChannels();
                int bds = Integer.parseInt(src.defines().get("BDS"));
                int pairs = Integer.parseInt(src.defines().get("BPG"));
                int lanes = (d + bds - 1) / bds;
                long pairsAll = (long) p.batch() * p.positions() * p.config().groups();
                MemorySegment k = device.programs().kernel(src, KernelSource.BACKWARD);
                setArgs(k, mem(input), mem(offsetMask), mem(gradOutput), gin.mem(), gom.mem());
                setShape(k, 5, p);
                cl.setArg(k, 11, deterministic ? 0 : 1);
                long wg = (long) pairs * lanes;
                ns += cl.elapsedAndRelease(cl.launch(q, k, (pairsAll + pairs - 1) / pairs * wg, wg));
                if (deterministic) {
                    OpenClBuffer radius = scratch(scratch, 8);
                    ns += cl.elapsedAndRelease(cl.zero(q, radius.mem(), 8, true));
                    MemorySegment kr = device.programs().kernel(src, KernelSource.BACKWARD_RADIUS);
                    setArgs(kr, mem(offsetMask), radius.mem());
                    setShape(kr, 2, p);
                    ns += cl.elapsedAndRelease(cl.launch(q, kr, pairsAll, 0));
                    MemorySegment kg = device.programs().kernel(src, KernelSource.BACKWARD_GATHER);
                    setArgs(kg, mem(offsetMask), mem(gradOutput), radius.mem(), gin.mem());
                    setShape(kg, 4, p);
                    ns += cl.elapsedAndRelease(cl.launch(q, kg,
                            (long) p.batch() * p.height() * p.width() * p.config().groups() * lanes, 0));
                }
                if (!f32) {
                    ns += store(src, gin, gradInput, p.inputSize());
                    ns += store(src, gom, gradOffsetMask, p.offsetMaskSize());
                }
                return ns;
            } finally {
                cl.finish(q);
                scratch.forEach(OpenClBuffer::close);
            }
        }
    }

    private long store(KernelSource src, OpenClBuffer f32, DeviceBuffer dst, int n) {
        MemorySegment k = device.programs().kernel(src, KernelSource.STORE_F32);
        setArgs(k, f32.mem(), mem(dst));
        cl.setArg(k, 2, n);
        return cl.elapsedAndRelease(cl.launch(device.queue(), k, n, 0));
    }

    private OpenClBuffer scratch(List<OpenClBuffer> list, long bytes) {
        OpenClBuffer b = (OpenClBuffer) allocate(bytes);
        list.add(b);
        return b;
    }

    @Override
    public long launch(KernelSource source, String entry, long globalSize, long localSize, Object... args) {
        if (source.dialect() != KernelSource.Dialect.OPENCL) {
            throw new IllegalArgumentException("source: expected an OpenCL program but was " + source.dialect());
        }
        synchronized (device) {
            MemorySegment k = device.programs().kernel(source, entry);
            for (int i = 0; i < args.length; i++) {
                cl.setArg(k, i, args[i] instanceof DeviceBuffer b ? mem(b) : args[i]);
            }
            return cl.elapsedAndRelease(cl.launch(device.queue(), k, globalSize, localSize));
        }
    }

    private void setArgs(MemorySegment kernel, MemorySegment... mems) {
        for (int i = 0; i < mems.length; i++) {
            cl.setArg(kernel, i, mems[i]);
        }
    }

    /** The trailing (N, H, W, HO, WO, s) arguments every DCNv4 entry takes, from index {@code first}. */
    private void setShape(MemorySegment k, int first, Dcnv4Problem p) {
        cl.setArg(k, first, p.batch());
        cl.setArg(k, first + 1, p.height());
        cl.setArg(k, first + 2, p.width());
        cl.setArg(k, first + 3, p.outHeight());
        cl.setArg(k, first + 4, p.outWidth());
        cl.setArg(k, first + 5, p.config().offsetScale());
    }

    private static MemorySegment mem(DeviceBuffer b) {
        if (b instanceof OpenClBuffer ob) {
            return ob.mem();
        }
        throw new IllegalArgumentException("buffer: expected an OpenCL buffer of this backend but was "
                + (b == null ? "null" : b.getClass().getSimpleName()));
    }

    @Override
    public void close() {
        // buffers are owned by their users; programs by the device
    }
}
