/**
 * The chaos suite's harness: a worker main for child JVMs ({@link dev.tokenherd.chaos.ChaosWorker})
 * with an event log and breakpoints, a fault-injecting TCP proxy ({@link
 * dev.tokenherd.chaos.TcpProxy}), the invariant checker ({@link
 * dev.tokenherd.chaos.InvariantChecker}) and the run summary ({@link
 * dev.tokenherd.chaos.ChaosSummary}). Not published.
 */
@NullMarked
package dev.tokenherd.chaos;

import org.jspecify.annotations.NullMarked;
