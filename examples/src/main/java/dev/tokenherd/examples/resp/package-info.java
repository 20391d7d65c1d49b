/**
 * Counting what Redis clients send: a RESP request parser and a counting TCP proxy, which the fleet
 * demo and the fleet benchmark put between the pods and Redis to report Redis round trips per
 * refresh.
 */
@NullMarked
package dev.tokenherd.examples.resp;

import org.jspecify.annotations.NullMarked;
