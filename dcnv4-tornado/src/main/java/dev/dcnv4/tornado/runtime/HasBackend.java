package dev.dcnv4.tornado.runtime;

/** Implemented by devices that run task graphs on their own memory (OpenCL, CUDA). */
public interface HasBackend {

    /** A backend over this device; closing it leaves the device open. */
    Backend backend();
}
