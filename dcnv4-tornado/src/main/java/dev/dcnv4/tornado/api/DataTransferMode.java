package dev.dcnv4.tornado.api;

/**
 * When a transfer declared on a {@link TaskGraph} happens.
 * <ul>
 *   <li>{@link #FIRST_EXECUTION}: on the plan's first {@code execute()} only (constant inputs, weights);</li>
 *   <li>{@link #EVERY_EXECUTION}: on every {@code execute()};</li>
 *   <li>{@link #UNDER_DEMAND}: only when asked: to the host by
 *       {@link TornadoExecutionResult#transferToHost}, to the device by
 *       {@link TornadoExecutionPlan#transferToDevice} (an execute that needs data never sent throws).</li>
 * </ul>
 */
public enum DataTransferMode {
    FIRST_EXECUTION, EVERY_EXECUTION, UNDER_DEMAND
}
