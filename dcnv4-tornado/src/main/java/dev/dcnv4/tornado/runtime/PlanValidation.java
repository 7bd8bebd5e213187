package dev.dcnv4.tornado.runtime;

import dev.dcnv4.arrays.NativeArray;
import dev.dcnv4.tornado.api.ImmutableTaskGraph;

import java.util.Collections;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** Checks a plan's graphs before anything runs. */
public final class PlanValidation {
    private PlanValidation() {
    }

    /** Checks that every consumeFromDevice names an earlier graph of the plan that persisted those arrays. */
    public static void check(List<ImmutableTaskGraph> graphs) {
        Map<String, Set<NativeArray>> persisted = new HashMap<>();
        for (ImmutableTaskGraph g : graphs) {
            for (TaskSpec s : g.steps()) {
                if (s instanceof TaskSpec.Consume c) {
                    Set<NativeArray> p = persisted.get(c.producer());
                    if (p == null) {
                        throw new IllegalArgumentException("graph " + g.name() + ": consumeFromDevice names graph '"
                                + c.producer() + "' but no earlier graph of this plan has that name " + persisted.keySet());
                    }
                    for (NativeArray a : c.arrays()) {
                        if (!p.contains(a)) {
                            throw new IllegalArgumentException("graph " + g.name() + ": consumes " + a + " from graph "
                                    + c.producer() + ", which did not persistOnDevice it");
                        }
                    }
                }
            }
            Set<NativeArray> mine = Collections.newSetFromMap(new IdentityHashMap<>());
            g.steps().stream().filter(s -> s instanceof TaskSpec.Persist)
                    .forEach(s -> mine.addAll(((TaskSpec.Persist) s).arrays()));
            persisted.put(g.name(), mine);
        }
    }

}
