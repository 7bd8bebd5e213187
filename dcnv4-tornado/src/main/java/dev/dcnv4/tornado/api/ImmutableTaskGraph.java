package dev.dcnv4.tornado.api;

import dev.dcnv4.tornado.runtime.TaskSpec;

import java.util.List;

/** A frozen {@link TaskGraph} ({@link TaskGraph#snapshot()}): the unit a {@link TornadoExecutionPlan} runs. */
public record ImmutableTaskGraph(String name, List<TaskSpec> steps) {
    public ImmutableTaskGraph {
        steps = List.copyOf(steps);
    }
}
