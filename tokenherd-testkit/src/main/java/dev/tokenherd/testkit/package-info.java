/**
 * Test support for OAuth 2.0 clients and Tokenherd users: a fake authorization server on loopback
 * and virtual time (a mutable clock and a scheduler that runs tasks as the clock advances); and,
 * for tests that start processes, how long to wait for one to start ({@link
 * dev.tokenherd.testkit.StartupTimeout}), its {@code name=value} arguments ({@link
 * dev.tokenherd.testkit.ProcessArguments}) and what it wrote ({@link
 * dev.tokenherd.testkit.ProcessOutput}).
 */
@NullMarked
package dev.tokenherd.testkit;

import org.jspecify.annotations.NullMarked;
