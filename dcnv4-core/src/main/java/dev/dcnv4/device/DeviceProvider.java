package dev.dcnv4.device;

import java.util.List;

/**
 * Service-provider interface: one per backend family, found with {@link java.util.ServiceLoader}
 * (META-INF/services/dev.dcnv4.device.DeviceProvider). dcnv4-core provides "reference" and "java";
 * dcnv4-tornado provides "opencl" and "cuda".
 */
public interface DeviceProvider {

    /** Id prefix this provider answers for: "cuda", "opencl", "java", "reference". */
    String prefix();

    /** Position in the discovery order (CUDA 0, OpenCL 1, Java 2, reference 3). */
    int order();

    /**
     * The devices of this family, in a stable order (ids prefix:0, prefix:1, ... or just the prefix
     * for single-device families).
     *
     * @throws DeviceException when the family is unavailable here (library missing, driver error),
     *                         with the library name and cause in the message
     */
    List<Dcnv4Device> discover();
}
