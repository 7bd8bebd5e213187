package dev.dcnv4.cpu;

import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The vector width the CPU tests ran with is the one the build asked for ({@code -Ddcnv4.vectorBits},
 * set by the 256- and 128-bit surefire runs of pom.xml), and the device's name says it.
 */
class LanesTest {
    @Test
    void requestedWidthIsTheOneInUse() {
        String wanted = System.getProperty(Lanes.PROPERTY);
        int preferred = FloatVector.SPECIES_PREFERRED.vectorBitSize();
        int expected = wanted == null ? Math.min(512, preferred) : Math.min(Integer.parseInt(wanted), preferred);
        assertEquals(expected, Lanes.SPECIES.vectorBitSize());
        try (JavaDevice d = new JavaDevice(1)) {
            assertTrue(d.name().contains(expected + "-bit"), d.name());
        }
    }
}
