package dev.dcnv4.tornado.runtime;

import dev.dcnv4.arrays.NativeArray;
import dev.dcnv4.kernels.KernelSource;
import dev.dcnv4.op.Dcnv4Problem;
import dev.dcnv4.tornado.api.Dcnv4Library;

import java.util.List;

/** One step of a frozen task graph, in program order. */
public sealed interface TaskSpec {

    /** A transfer declared with transferToDevice / transferToHost. */
    record Transfer(boolean toDevice, dev.dcnv4.tornado.api.DataTransferMode mode, List<NativeArray> arrays)
            implements TaskSpec {
    }

    /** A DCNv4 library kernel. */
    record Library(String name, Dcnv4Library op, Dcnv4Problem problem, List<NativeArray> arrays) implements TaskSpec {
    }

    /** A raw kernel: args are NativeArray (bound to its device buffer), Integer or Float. */
    record Prebuilt(String name, KernelSource source, String entry, long globalSize, long localSize, List<Object> args)
            implements TaskSpec {
    }

    /** Arrays left on the device for a later graph of the same plan ({@code persistOnDevice}). */
    record Persist(List<NativeArray> arrays) implements TaskSpec {
    }

    /** Arrays taken from the device as an earlier graph of the same plan left them ({@code consumeFromDevice}). */
    record Consume(String producer, List<NativeArray> arrays) implements TaskSpec {
    }
}
