package dev.dcnv4.tornado.drivers.cuda;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CudaStatusTest {

    @Test
    void namesTheCommonCodes() {
        assertEquals("CUDA_SUCCESS", CudaStatus.name(0));
        assertEquals("CUDA_ERROR_INVALID_VALUE", CudaStatus.name(1));
        assertEquals("CUDA_ERROR_OUT_OF_MEMORY", CudaStatus.name(2));
        assertEquals("CUDA_ERROR_NO_DEVICE", CudaStatus.name(100));
        assertEquals("CUDA_ERROR_INVALID_PTX", CudaStatus.name(218));
        assertEquals("CUDA_ERROR_NOT_READY", CudaStatus.name(CudaStatus.ERROR_NOT_READY));
        assertEquals("CUDA_ERROR_ILLEGAL_ADDRESS", CudaStatus.name(700));
        assertEquals("CUDA_ERROR_LAUNCH_OUT_OF_RESOURCES", CudaStatus.name(701));
        assertEquals("CUDA_ERROR_UNKNOWN", CudaStatus.name(999));
    }

    @Test
    void unknownCodesSaySo() {
        assertEquals("CUresult 123456 (unknown)", CudaStatus.name(123456));
    }

    @Test
    void bindingNamesCodesWithOrWithoutTheDriver() {
        // with a driver cuGetErrorName answers, without one the table does: same names either way
        assertEquals("CUDA_ERROR_OUT_OF_MEMORY", Cuda.statusName(2));
    }

    @Test
    void exceptionsCarryCallCodeNameAndLibrary() {
        CudaException e = new CudaException("cuMemAlloc_v2(64 bytes)", 2, CudaStatus.name(2));
        assertEquals(2, e.status());
        assertEquals("CUDA_ERROR_OUT_OF_MEMORY", e.statusName());
        assertTrue(e.getMessage().contains("cuMemAlloc_v2(64 bytes) failed: CUDA_ERROR_OUT_OF_MEMORY (2)"),
                e.getMessage());
        assertTrue(e.getMessage().contains("libcuda.so.1"), e.getMessage());
    }
}
