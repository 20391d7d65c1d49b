/**
 * Test support for OAuth 2.0 clients and Tokenherd users: a fake authorization server on loopback
 * and virtual time (a mutable clock and a scheduler that runs tasks as the clock advances); and,
 * for tests that start processes, how long to wait for one to start ({@link
 * dev.tokenherd.testkit.StartupTimeout}), its {@code name=value} arguments ({@link
 * dev.tokenherd.testkit.ProcessArguments}) and what it wrote ({@link
 * dev.tokenherd.testkit.ProcessOutput}); and real Redis processes on loopback: one server ({@link
 * dev.tokenherd.testkit.RedisServerProcess}), a Redis Cluster ({@link
 * dev.tokenherd.testkit.RedisCluster}) and a Sentinel group ({@link
 * dev.tokenherd.testkit.RedisSentinelGroup}).
 */
@NullMarked
package dev.tokenherd.testkit;

import org.jspecify.annotations.NullMarked;
