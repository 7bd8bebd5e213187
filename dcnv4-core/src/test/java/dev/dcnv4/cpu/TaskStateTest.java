package dev.dcnv4.cpu;

import dev.dcnv4.op.Dcnv4Config;
import dev.dcnv4.op.Dcnv4Problem;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;

/** A task slot keeps its objects for an equal problem and makes new ones when the problem changes. */
class TaskStateTest {
    private static Dcnv4Problem problem(int groups, int height) {
        return Dcnv4Problem.of(Dcnv4Config.builder().groups(groups).groupChannels(16).build(), 1, height, 9);
    }

    @Test
    void reusesForAnEqualProblemAndRemakesForAnother() {
        TaskState s = new TaskState();
        TaskState.Forward f = s.forward(problem(2, 7));
        TaskState.Backward b = s.backward(problem(2, 7));
        // an equal problem (a new but equal record): the same objects
        assertSame(f, s.forward(problem(2, 7)));
        assertSame(b, s.backward(problem(2, 7)));
        assertSame(s.scratch, b.rows().scratch, "the rows convert through the slot's scratch");
        // another problem: new objects, sized for it
        TaskState.Forward f3 = s.forward(problem(3, 7));
        assertNotSame(f.geometry(), f3.geometry());
        assertEquals(27, f3.geometry().count);
        assertEquals(ForwardKernel.STAGED * 48, f3.halfStage().length);
        assertEquals(SamplingGeometry.rowLength(problem(3, 7).config()), f3.offsetRow().length);
        assertSame(b, s.backward(problem(2, 7)), "the forward's problem does not touch the backward's");
        TaskState.Backward b8 = s.backward(problem(2, 8));
        assertNotSame(b.geometry(), b8.geometry());
        assertNotSame(b.rows(), b8.rows());
    }
}
