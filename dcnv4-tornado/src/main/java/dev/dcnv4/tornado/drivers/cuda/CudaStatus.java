package dev.dcnv4.tornado.drivers.cuda;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Properties;

/**
 * Names of CUDA driver status codes (CUresult). The driver's own {@code cuGetErrorName} is asked
 * first (see {@link Cuda#statusName}); this table, taken from cuda.h, answers when no driver is
 * loaded or the code is newer than the driver.
 */
public final class CudaStatus {
    public static final int SUCCESS = 0;
    public static final int ERROR_NOT_READY = 600;

    private static final Properties NAMES = loadNames();

    private CudaStatus() {
    }

    /** "CUDA_ERROR_OUT_OF_MEMORY" for 2, "CUresult 12345 (unknown)" for an unknown code. */
    public static String name(int code) {
        String n = NAMES.getProperty(Integer.toString(code));
        return n != null ? n : "CUresult " + code + " (unknown)";
    }

    private static Properties loadNames() {
        Properties p = new Properties();
        try (InputStream in = CudaStatus.class.getResourceAsStream("cuda-status.properties")) {
            if (in == null) {
                throw new IllegalStateException("resource cuda-status.properties missing from the jar");
            }
            p.load(in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return p;
    }
}
