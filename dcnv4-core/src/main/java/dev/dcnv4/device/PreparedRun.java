package dev.dcnv4.device;

/**
 * One operator call set up for repeated execution, for benchmarks: the data is already where the
 * device wants it (e.g. copied to GPU memory once), so {@link #run()} executes only the operator.
 * Obtained from {@link Dcnv4Device#prepare}.
 */
public interface PreparedRun extends AutoCloseable {

    /** Runs the prepared pass once and waits for it to finish. */
    void run();

    /**
     * Device-measured time of the last {@link #run()} in nanoseconds (GPU events / profiling), or
     * -1 when the device has no timer of its own and the caller should use wall-clock time.
     */
    default long lastDeviceNanos() {
        return -1;
    }

    /** Copies the results of the last run back into the host arrays given to {@code prepare}. */
    default void fetchResults() {
    }

    /** Frees device memory; idempotent, throws nothing checked. */
    @Override
    default void close() {
    }
}
