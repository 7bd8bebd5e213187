package dev.dcnv4.tornado.runtime;

/**
 * Memory owned by a {@link Backend}: device memory for GPU backends, an off-heap host segment for
 * the Java backend. Freed by {@link #close()} (idempotent, nothing checked).
 */
public interface DeviceBuffer extends AutoCloseable {

    /** Size in bytes. */
    long bytes();

    @Override
    void close();
}
