package dev.dcnv4.cpu;

import dev.dcnv4.op.Dcnv4Problem;

/**
 * One task slot's reusable per-call objects: the conversion scratch, and the sampling geometry and
 * row buffers of the last problem, made again only when the problem changes. Without it every call
 * allocated them anew, per task and per chunk: 17-34 KB per forward and 23-300 KB per backward
 * (1x56x56x128, 1-2 threads, fp32/fp16), garbage for the collector on every layer call of a network.
 *
 * <p>Slot t is used only by the thread running task t of a call, and calls on a device are serialised;
 * the pool's hand-over (a volatile write and read) orders one call's use before the next call's, so
 * the slot needs no locking. Nothing kept here affects results: the geometry and rows are rewritten
 * for every position before they are read.
 */
final class TaskState {
    final Storage.Scratch scratch = new Storage.Scratch();
    private Dcnv4Problem forwardProblem, backwardProblem;
    private SamplingGeometry forwardGeometry, backwardGeometry;
    private BackwardKernel.Rows rows;
    private float[] omRow, halfStage;
    private short[] halves;

    /** The forward's geometry for {@code problem}. */
    SamplingGeometry forwardGeometry(Dcnv4Problem problem) {
        if (!problem.equals(forwardProblem)) {
            forwardGeometry = new SamplingGeometry(problem, false);
            omRow = new float[SamplingGeometry.rowLength(problem.config())];
            halfStage = null;
            halves = null;
            forwardProblem = problem;
        }
        return forwardGeometry;
    }

    /** The forward's fp32 offset_mask row for the problem of the last {@link #forwardGeometry} call. */
    float[] forwardOffsetRow() {
        return omRow;
    }

    /** The fp16 output's staging floats ({@link ForwardKernel#STAGED} positions), for the last forward problem. */
    float[] forwardHalfStage() {
        if (halfStage == null) {
            halfStage = new float[ForwardKernel.STAGED * forwardProblem.config().channels()];
        }
        return halfStage;
    }

    /** The fp16 output's staging halves, as {@link #forwardHalfStage}. */
    short[] forwardHalves() {
        if (halves == null) {
            halves = new short[ForwardKernel.STAGED * forwardProblem.config().channels()];
        }
        return halves;
    }

    /** The backward's geometry for {@code problem}. */
    SamplingGeometry backwardGeometry(Dcnv4Problem problem) {
        ensureBackward(problem);
        return backwardGeometry;
    }

    /** The backward's row buffers for {@code problem}. */
    BackwardKernel.Rows backwardRows(Dcnv4Problem problem) {
        ensureBackward(problem);
        return rows;
    }

    private void ensureBackward(Dcnv4Problem problem) {
        if (!problem.equals(backwardProblem)) {
            backwardGeometry = new SamplingGeometry(problem, true);
            rows = new BackwardKernel.Rows(problem.config().paddedOffsetDim(),
                    problem.config().points() * problem.config().groups(), scratch);
            backwardProblem = problem;
        }
    }
}
