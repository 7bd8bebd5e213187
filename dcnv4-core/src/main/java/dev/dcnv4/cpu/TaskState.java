package dev.dcnv4.cpu;

import dev.dcnv4.op.Dcnv4Problem;

/**
 * One task slot's reusable per-call objects: the conversion scratch, and the forward's and the
 * backward's buffers for the last problem each ran, made again only when the problem changes.
 * Without it every call allocated them anew, per task and per chunk: 17-34 KB per forward and
 * 23-300 KB per backward (1x56x56x128, 1-2 threads, fp32/fp16), garbage for the collector on every
 * layer call of a network.
 *
 * <p>Slot t is used only by the thread running task t of a call, and calls on a device are serialised;
 * the pool's hand-over (a volatile write and read) orders one call's use before the next call's, so
 * the slot needs no locking. Nothing kept here affects results: the geometry and rows are rewritten
 * for every position before they are read.
 */
final class TaskState {
    /** The forward's buffers: geometry, the fp32 offset_mask row, the fp16 output's staging. */
    record Forward(Dcnv4Problem problem, SamplingGeometry geometry, float[] offsetRow, float[] halfStage, short[] halves) {
    }

    /** The backward's buffers: geometry and the per-position rows. */
    record Backward(Dcnv4Problem problem, SamplingGeometry geometry, BackwardKernel.Rows rows) {
    }

    final Storage.Scratch scratch = new Storage.Scratch();
    private Forward forward;
    private Backward backward;

    /** The forward's buffers for {@code problem}. */
    Forward forward(Dcnv4Problem problem) {
        if (forward == null || !forward.problem().equals(problem)) {
            int staged = ForwardKernel.STAGED * problem.config().channels();
            forward = new Forward(problem, new SamplingGeometry(problem, false),
                    new float[SamplingGeometry.rowLength(problem.config())], new float[staged], new short[staged]);
        }
        return forward;
    }

    /** The backward's buffers for {@code problem}. */
    Backward backward(Dcnv4Problem problem) {
        if (backward == null || !backward.problem().equals(problem)) {
            backward = new Backward(problem, new SamplingGeometry(problem, true), new BackwardKernel.Rows(
                    problem.config().paddedOffsetDim(), problem.config().points() * problem.config().groups(), scratch));
        }
        return backward;
    }
}
