/**
 * The fleet demo: {@link FleetDemo} runs a fleet of pods hammering one credential against a fake
 * authorization server that rotates refresh tokens and revokes the token family on reuse, with
 * Tokenherd or one of its peers, and reports what the server saw. Not API: runnable examples only.
 */
@NullMarked
package dev.tokenherd.examples;

import org.jspecify.annotations.NullMarked;
