package dev.dcnv4.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The vector shape of the CPU kernels, fixed once per JVM so that it is a constant for the JIT
 * (the Vector API compiles to SIMD instructions only when the species is a constant).
 *
 * <p>Default: the platform's preferred width (512-bit = 16 floats with AVX-512, 256-bit with AVX2).
 * On the 2-core AVX-512 test machine 512-bit vectors ran the 1x56x56x128 G=4 forward 1.7x faster than
 * 256-bit ones; channels past the last full vector use masked vectors, so D = 8 stays vectorised.
 * {@code -Ddcnv4.vectorBits=256} or {@code 128} force narrower vectors.
 */
final class Lanes {
    /** System property choosing the vector width in bits: 128, 256 or 512. */
    static final String PROPERTY = "dcnv4.vectorBits";
    static final VectorSpecies<Float> SPECIES = pick(System.getProperty(PROPERTY));
    /**
     * Whether the kernels take four vectors per pass where a group's channels hold them (256-bit or
     * narrower vectors): D = 32 is then one pass per group on AVX2, as it is with two 512-bit vectors,
     * so a point's state, index, weights, loop step and (backward) lane tree are paid once per 32
     * channels (AVX2 VM: docs/cpu-performance.md, 2026-12-04). Each channel's arithmetic is unchanged.
     * 512-bit vectors keep two per pass (four were not measured there).
     */
    static final boolean QUADS = SPECIES.length() <= 8;

    private Lanes() {
    }

    private static VectorSpecies<Float> pick(String bits) {
        int preferred = FloatVector.SPECIES_PREFERRED.vectorBitSize();
        int wanted = bits == null || bits.isBlank() ? Math.min(512, preferred) : Integer.parseInt(bits.trim());
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
