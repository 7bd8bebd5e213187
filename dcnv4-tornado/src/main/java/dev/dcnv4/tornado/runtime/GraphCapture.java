package dev.dcnv4.tornado.runtime;

/**
 * Implemented by backends that can record a sequence of device work once and replay it with a
 * single call (CUDA graphs). While {@link #capture} runs its argument, the backend's kernel
 * operations (forward, backward, raw launches) are recorded instead of executed and return 0;
 * host transfers are not allowed inside a capture.
 */
public interface GraphCapture {

    /** Records what {@code work} submits through this backend. */
    Captured capture(Runnable work);

    /** A recorded sequence. */
    interface Captured extends AutoCloseable {
        /** Runs the recorded sequence once, waits for it, returns the device nanoseconds. */
        long replay();

        @Override
        void close();
    }
}
