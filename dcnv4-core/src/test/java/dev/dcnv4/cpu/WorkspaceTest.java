package dev.dcnv4.cpu;

import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** {@link Workspace#zeros}: all zero whether the slot is fresh, cleaned by its user, or written since. */
class WorkspaceTest {

    @Test
    void zerosIsAllZeroUnlessTheUserBrokeItsPromise() {
        try (Workspace w = new Workspace()) {
            MemorySegment s = w.zeros(Workspace.PARTIAL, 100);
            assertEquals(0f, max(s));
            s.setAtIndex(ValueLayout.JAVA_FLOAT, 7, 3f);
            assertEquals(0f, max(w.zeros(Workspace.PARTIAL, 100)), "written and not cleaned: zeroed again");
            w.clean(Workspace.PARTIAL);
            assertEquals(0f, max(w.zeros(Workspace.PARTIAL, 100)));
            w.floats(Workspace.PARTIAL, 100).setAtIndex(ValueLayout.JAVA_FLOAT, 3, 5f);
            assertEquals(0f, max(w.zeros(Workspace.PARTIAL, 100)), "floats() marks the slot written");
            w.clean(Workspace.PARTIAL);
            assertEquals(0f, max(w.zeros(Workspace.PARTIAL, 5000)), "grown: fresh memory");
        }
    }

    private static float max(MemorySegment s) {
        float m = 0f;
        for (long i = 0; i < s.byteSize() / 4; i++) {
            m = Math.max(m, Math.abs(s.getAtIndex(ValueLayout.JAVA_FLOAT, i)));
        }
        return m;
    }
}
