package dev.dcnv4.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The vector shape of the CPU kernels, fixed once per JVM so that it is a constant for the JIT
 * (the Vector API compiles to SIMD instructions only when the species is a constant).
 *
 * <p>Default: 256-bit (8 floats) or the platform's preferred width if smaller. 256 bits keep D = 8
 * groups on the vector path and run on every AVX2 machine; {@code -Ddcnv4.vectorBits=512} selects
 * 512-bit vectors (16 floats) where the CPU has them, {@code 128} forces SSE/NEON-sized vectors.
 */
final class Lanes {
    /** System property choosing the vector width in bits: 128, 256 or 512. */
    static final String PROPERTY = "dcnv4.vectorBits";
    static final VectorSpecies<Float> SPECIES = pick(System.getProperty(PROPERTY));

    private Lanes() {
    }

    private static VectorSpecies<Float> pick(String bits) {
        int preferred = FloatVector.SPECIES_PREFERRED.vectorBitSize();
        int wanted = bits == null || bits.isBlank() ? Math.min(256, preferred) : Integer.parseInt(bits.trim());
        if (wanted > preferred) {
            wanted = preferred;                 // the hardware cannot do more; the device name says what ran
        }
        return switch (wanted) {
            case 512 -> FloatVector.SPECIES_512;
            case 256 -> FloatVector.SPECIES_256;
            case 128 -> FloatVector.SPECIES_128;
            default -> throw new IllegalArgumentException(PROPERTY + ": expected 128, 256 or 512 but was " + bits);
        };
    }
}
