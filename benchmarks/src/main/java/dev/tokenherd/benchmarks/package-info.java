/**
 * JMH benchmarks of Tokenherd and the {@link dev.tokenherd.benchmarks.BenchRunner} that runs them
 * and writes {@code target/bench/}. Not a library: never deployed.
 */
@NullMarked
package dev.tokenherd.benchmarks;

import org.jspecify.annotations.NullMarked;
