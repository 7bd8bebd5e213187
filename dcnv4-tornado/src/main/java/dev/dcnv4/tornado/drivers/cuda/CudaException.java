package dev.dcnv4.tornado.drivers.cuda;

import dev.dcnv4.device.DeviceException;

/**
 * A CUDA driver call that returned an error: carries the call, the CUresult code and its name,
 * e.g. "cuMemAlloc_v2(1073741824 bytes) failed: CUDA_ERROR_OUT_OF_MEMORY (2) [libcuda.so.1]".
 */
public final class CudaException extends DeviceException {
    private final int status;
    private final String statusName;

    public CudaException(String call, int status, String statusName) {
        super("cuda", call + " failed: " + statusName + " (" + status + ") [" + CudaLibraries.DRIVER + "]");
        this.status = status;
        this.statusName = statusName;
    }

    /** The CUresult code. */
    public int status() {
        return status;
    }

    /** The CUresult name, e.g. "CUDA_ERROR_OUT_OF_MEMORY". */
    public String statusName() {
        return statusName;
    }
}
