package dev.dcnv4.device;

/**
 * What `dcnv4 devices` lists about a device.
 *
 * @param id            selection id ("java", "opencl:1", ...)
 * @param name          device name as the driver reports it
 * @param kind          backend family
 * @param memoryBytes   global memory in bytes (host memory available to the JVM for CPU devices); -1 unknown
 * @param computeUnits  SMs, OpenCL compute units or CPU threads; -1 unknown
 * @param fp16          how half precision is supported, e.g. "storage (vload_half)" or "storage + arithmetic"
 * @param driver        driver / library / version text
 */
public record DeviceInfo(String id, String name, Kind kind, long memoryBytes, int computeUnits, String fp16,
                         String driver) {

    /** Backend families in discovery order. */
    public enum Kind {
        CUDA, OPENCL_GPU, OPENCL_CPU, OPENCL_OTHER, JAVA, REFERENCE
    }
}
