package dev.dcnv4.cpu;

import dev.dcnv4.arrays.DType;
import dev.dcnv4.arrays.NativeArray;
import dev.dcnv4.op.Dcnv4Config;
import dev.dcnv4.op.Dcnv4Data;
import dev.dcnv4.op.Dcnv4Problem;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Repeated calls give bit-identical results: the backward on a problem where many positions hit
 * the same input pixels (large offsets, batch 2), over enough runs that the JIT recompiles the
 * kernels between them; the forward is also independent of the thread count.
 */
class JavaDeviceDeterminismTest {

    @Test
    void backwardIsBitIdenticalAcrossRepeats() {
        Dcnv4Problem p = Dcnv4Problem.of(Dcnv4Config.builder().groups(3).groupChannels(20).offsetScale(2f)
                .softmax(true).build(), 2, 13, 11);
        for (DType t : DType.values()) {
            try (JavaDevice dev = new JavaDevice(3); Dcnv4Data data = Dcnv4Data.random(p, t, 7, 4f);
                 NativeArray gi = NativeArray.allocate(DType.FP32, p.inputSize());
                 NativeArray gom = NativeArray.allocate(t, p.offsetMaskSize())) {
                byte[] firstGi = null, firstGom = null;
                for (int run = 0; run < 40; run++) {
                    dev.backward(p, data.input(), data.offsetMask(), data.gradOutput(), gi, gom);
                    byte[] a = bytes(gi.getSegment()), b = bytes(gom.getSegment());
                    if (firstGi == null) {
                        firstGi = a;
                        firstGom = b;
                    } else {
                        assertTrue(java.util.Arrays.equals(firstGi, a), t + " grad_input differs in run " + run);
                        assertTrue(java.util.Arrays.equals(firstGom, b), t + " grad_offset_mask differs in run " + run);
                    }
                }
            }
        }
    }

    /**
     * The backward's partial buffers stay zero between calls (the reduction re-zeroes what it read),
     * and the per-task geometry and row buffers kept between calls ({@link TaskState}) are remade when
     * the problem changes: calls on one device that alternate problems of different sizes and
     * configurations, in fp32 and fp16, give the same bits as a fresh device for each call, forward
     * and backward, with one thread and with two.
     */
    @Test
    void reusedWorkspaceGivesTheSameBitsAsAFreshOne() {
        Dcnv4Problem big = Dcnv4Problem.of(Dcnv4Config.builder().groups(2).groupChannels(16).build(), 2, 12, 14);
        Dcnv4Problem small = Dcnv4Problem.of(Dcnv4Config.builder().groups(2).groupChannels(16).build(), 1, 7, 9);
        Dcnv4Problem other = Dcnv4Problem.of(Dcnv4Config.builder().groups(3).groupChannels(8).kernel(5).pad(2)
                .softmax(true).build(), 1, 9, 8);
        for (int threads = 1; threads <= 2; threads++) {
            try (JavaDevice reused = new JavaDevice(threads)) {
                for (int round = 0; round < 3; round++) {
                    for (Dcnv4Problem p : new Dcnv4Problem[] {big, small, other}) {
                        DType t = round == 1 ? DType.FP16 : DType.FP32;
                        try (Dcnv4Data data = Dcnv4Data.random(p, t, 11 + round, 3f);
                             NativeArray out = NativeArray.allocate(t, p.outputSize());
                             NativeArray out0 = NativeArray.allocate(t, p.outputSize());
                             NativeArray gi = NativeArray.allocate(t, p.inputSize());
                             NativeArray gom = NativeArray.allocate(t, p.offsetMaskSize());
                             NativeArray gi0 = NativeArray.allocate(t, p.inputSize());
                             NativeArray gom0 = NativeArray.allocate(t, p.offsetMaskSize());
                             JavaDevice fresh = new JavaDevice(threads)) {
                            reused.forward(p, data.input(), data.offsetMask(), out);
                            reused.backward(p, data.input(), data.offsetMask(), data.gradOutput(), gi, gom);
                            fresh.forward(p, data.input(), data.offsetMask(), out0);
                            fresh.backward(p, data.input(), data.offsetMask(), data.gradOutput(), gi0, gom0);
                            String what = t + " " + p + " round " + round + ", " + threads + " threads";
                            assertTrue(java.util.Arrays.equals(bytes(out0.getSegment()), bytes(out.getSegment())), what);
                            assertTrue(java.util.Arrays.equals(bytes(gi0.getSegment()), bytes(gi.getSegment())), what);
                            assertTrue(java.util.Arrays.equals(bytes(gom0.getSegment()), bytes(gom.getSegment())), what);
                        }
                    }
                }
            }
        }
    }

    @Test
    void forwardDoesNotDependOnThreadCount() {
        Dcnv4Problem p = Dcnv4Problem.of(Dcnv4Config.builder().groups(4).groupChannels(19).build(), 3, 9, 10);
        try (Dcnv4Data data = Dcnv4Data.random(p, DType.FP16, 3, 3f);
             NativeArray o1 = NativeArray.allocate(DType.FP16, p.outputSize());
             NativeArray o4 = NativeArray.allocate(DType.FP16, p.outputSize());
             JavaDevice one = new JavaDevice(1); JavaDevice four = new JavaDevice(4)) {
            one.forward(p, data.input(), data.offsetMask(), o1);
            four.forward(p, data.input(), data.offsetMask(), o4);
            assertTrue(java.util.Arrays.equals(bytes(o1.getSegment()), bytes(o4.getSegment())));
        }
    }

    @Test
    void rejectsBadArgumentsAndClosedUse() {
        Dcnv4Problem p = Dcnv4Problem.of(Dcnv4Config.builder().groups(2).groupChannels(8).build(), 1, 5, 5);
        assertThrows(IllegalArgumentException.class, () -> new JavaDevice(0));
        JavaDevice dev = new JavaDevice(2);
        try (Dcnv4Data data = Dcnv4Data.random(p, DType.FP32, 1, 1f);
             NativeArray wrong = NativeArray.allocate(DType.FP32, p.outputSize() - 1);
             NativeArray out = NativeArray.allocate(DType.FP32, p.outputSize())) {
            assertThrows(IllegalArgumentException.class, () -> dev.forward(p, data.input(), data.offsetMask(), wrong));
            dev.close();
            assertThrows(dev.dcnv4.device.DeviceException.class,
                    () -> dev.forward(p, data.input(), data.offsetMask(), out));
        }
        assertEquals("java", dev.id());
    }

    /** A device dropped without close() stops its worker threads once it is collected (its cleaner). */
    @Test
    void aDroppedDeviceStopsItsWorkers() throws InterruptedException {
        java.util.Set<Thread> before = workers();
        Dcnv4Problem p = Dcnv4Problem.of(Dcnv4Config.builder().groups(2).groupChannels(16).build(), 1, 6, 6);
        try (Dcnv4Data data = Dcnv4Data.random(p, DType.FP32, 2, 1f);
             NativeArray out = NativeArray.allocate(DType.FP32, p.outputSize())) {
            JavaDevice dev = new JavaDevice(3);
            dev.forward(p, data.input(), data.offsetMask(), out);
            dev = null;
        }
        java.util.Set<Thread> started = workers();
        started.removeAll(before);
        assertEquals(2, started.size(), "a 3-thread device has 2 workers");
        long deadline = System.nanoTime() + 20_000_000_000L;
        while (started.stream().anyMatch(Thread::isAlive) && System.nanoTime() < deadline) {
            System.gc();
            Thread.sleep(50);
        }
        assertTrue(started.stream().noneMatch(Thread::isAlive), "workers still running: " + started);
    }

    private static java.util.Set<Thread> workers() {
        java.util.Set<Thread> s = new java.util.HashSet<>();
        for (Thread t : Thread.getAllStackTraces().keySet()) {
            if (t.getName().startsWith("dcnv4-java-") && !t.getName().equals("dcnv4-java-cleaner") && t.isAlive()) {
                s.add(t);
            }
        }
        return s;
    }

    private static byte[] bytes(MemorySegment s) {
        return s.toArray(java.lang.foreign.ValueLayout.JAVA_BYTE);
    }
}
