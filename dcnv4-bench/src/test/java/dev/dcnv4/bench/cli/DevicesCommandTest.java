package dev.dcnv4.bench.cli;

import dev.dcnv4.device.Devices;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** `dcnv4 devices`: every discovered device has a line with its id; unavailable families say why. */
class DevicesCommandTest {

    @Test
    void listsDevicesInDiscoveryOrderAndReasons() {
        CheckCommandTest.Run r = CheckCommandTest.run("devices");
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.out().startsWith("ID"), r.out());
        Devices.Discovery d = Devices.discover();
        int last = -1;
        for (var dev : d.devices()) {
            int at = r.out().indexOf("\n" + dev.id() + " ");
            assertTrue(at > last, dev.id() + " missing or out of order:\n" + r.out());
            last = at;
            dev.close();
        }
        for (String family : d.unavailable().keySet()) {
            assertTrue(r.out().contains(family + " ") && r.out().contains("unavailable"), r.out());
        }
        assertTrue(r.out().contains("reference"), r.out());
    }
}
