package dev.dcnv4.op;

/** Which pass of the operator: forward (output) or backward (both gradients). */
public enum Direction {
    FORWARD, BACKWARD;

    public String label() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
