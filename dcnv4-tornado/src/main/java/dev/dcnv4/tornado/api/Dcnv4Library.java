package dev.dcnv4.tornado.api;

/** The library kernels a {@link TaskGraph#libraryTask} can run. */
public enum Dcnv4Library {
    /** Arguments: input, offsetMask, output. */
    FORWARD(2),
    /** Arguments: input, offsetMask, gradOutput, gradInput, gradOffsetMask; grad_input by atomics. */
    BACKWARD(3),
    /** Same arguments; grad_input bit-identical run to run (slower). */
    BACKWARD_DETERMINISTIC(3);

    private final int reads;

    Dcnv4Library(int reads) {
        this.reads = reads;
    }

    /** Number of leading arguments the kernel reads (the rest it writes). */
    public int reads() {
        return reads;
    }

    /** Total number of array arguments. */
    public int arity() {
        return this == FORWARD ? 3 : 5;
    }
}
