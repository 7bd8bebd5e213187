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
        SamplingGeometry f = s.forwardGeometry(problem(2, 7));
        float[] row = s.forwardOffsetRow(), stage = s.forwardHalfStage();
        SamplingGeometry b = s.backwardGeometry(problem(2, 7));
        BackwardKernel.Rows rows = s.backwardRows(problem(2, 7));
        // an equal problem (a new but equal record): the same objects
        assertSame(f, s.forwardGeometry(problem(2, 7)));
        assertSame(row, s.forwardOffsetRow());
        assertSame(stage, s.forwardHalfStage());
        assertSame(b, s.backwardGeometry(problem(2, 7)));
        assertSame(rows, s.backwardRows(problem(2, 7)));
        assertSame(s.scratch, rows.scratch, "the rows convert through the slot's scratch");
        // another problem: new objects, sized for it
        SamplingGeometry f3 = s.forwardGeometry(problem(3, 7));
        assertNotSame(f, f3);
        assertEquals(27, f3.count);
        assertNotSame(stage, s.forwardHalfStage());
        assertEquals(ForwardKernel.STAGED * 48, s.forwardHalfStage().length);
        assertSame(b, s.backwardGeometry(problem(2, 7)), "the forward's problem does not touch the backward's");
        assertNotSame(b, s.backwardGeometry(problem(2, 8)));
        assertNotSame(rows, s.backwardRows(problem(2, 8)));
    }
}
