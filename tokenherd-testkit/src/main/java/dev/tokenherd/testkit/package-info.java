/**
 * Test support for OAuth 2.0 clients and Tokenherd users: a fake authorization server on loopback
 * and virtual time (a mutable clock and a scheduler that runs tasks as the clock advances).
 */
@NullMarked
package dev.tokenherd.testkit;

import org.jspecify.annotations.NullMarked;
